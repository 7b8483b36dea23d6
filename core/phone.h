/*
 * phone.h - phone numbers to E.164.
 */
#ifndef SB_PHONE_H
#define SB_PHONE_H

#include <stddef.h>

/*
 * Normalise `in` to E.164 ("+5511999990000"). Spaces, dashes, dots and
 * parentheses are dropped; "+" or "00" starts an international number;
 * otherwise one trunk "0" is dropped and `default_cc` (calling code digits,
 * or NULL) is put in front. Returns 0, or -1 with a reason in `why`.
 */
int sb_phone_normalize(const char *in, const char *default_cc, char *out, size_t outlen,
    const char **why);

#endif
