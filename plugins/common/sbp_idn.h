/*
 * sbp_idn.h - one IDN A-label ("xn--...") to its Unicode form, with
 * libidn2. The one decoder of the daemon's allowlist (core/allowlist.c)
 * and the content filter (plugins/content_filter/cf_link.c): both compile
 * this file in, so that a host name support allowlists is stored exactly
 * as the filter reports it. Pure: no host, no logging, no state.
 */
#ifndef SBP_IDN_H
#define SBP_IDN_H

#include <stddef.h>

/*
 * Decode the A-label lab[0..n) (the "xn--" prefix included, any case)
 * into UTF-8 in out (cap bytes with the NUL). The label must be valid
 * IDNA2008: valid punycode whose Unicode form encodes back to the same
 * label (so "xn--a", U+0080, and disallowed characters are refused).
 * Returns the length written (at least 1), or -1.
 */
int sbp_idn_label(const char *lab, size_t n, char *out, size_t cap);

#endif
