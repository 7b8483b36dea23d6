/*
 * sbp_http.h - what every HTTP channel reads the same way: Retry-After
 * (RFC 9110, section 10.2.3) and the default outcome of an HTTP status.
 *
 * Part of plugins/common (libsbplugin.la); not part of the ABI. Pure
 * functions: no host, no logging, no state.
 */
#ifndef SBP_HTTP_H
#define SBP_HTTP_H

#include <stdint.h>
#include <time.h>

#include <switchboard/types.h>

/*
 * A Retry-After field value -> seconds from `now`, or -1 when it is absent
 * or malformed. RFC 9110: delay-seconds (1*DIGIT), or an HTTP-date in any
 * of its three forms a recipient must accept: IMF-fixdate ("Sun, 06 Nov
 * 1994 08:49:37 GMT"), the obsolete RFC 850 form ("Sunday, 06-Nov-94
 * 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Surrounding
 * spaces and tabs are ignored; a date in the past is 0; values beyond
 * INT32_MAX are INT32_MAX. Locale-independent.
 */
int32_t sbp_retry_after(const char *value, time_t now);

/*
 * Parse an HTTP-date (the three forms above) into Unix seconds. 0, or -1
 * when it is not one.
 */
int sbp_http_date(const char *s, int64_t *out);

/*
 * The outcome of an HTTP status when the provider's answer says nothing
 * more precise: 0 (no answer), 408, 425, 429 and 5xx are temporary; 2xx is
 * accepted; everything else (1xx, 3xx, other 4xx) is failed.
 */
enum sb_outcome sbp_http_outcome(long status);

#endif
