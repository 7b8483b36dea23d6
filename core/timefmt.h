/*
 * timefmt.h - ISO 8601 / RFC 3339 timestamps <-> Unix milliseconds.
 *
 * timefmt.c owns the one parser and the one formatter of wall-clock times
 * that users see (control socket, HTTP API, CLI tables). It never looks at
 * the local time zone: input must carry its offset, output is always UTC.
 */
#ifndef SB_TIMEFMT_H
#define SB_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse "YYYY-MM-DDTHH:MM[:SS[.fff...]]" followed by "Z", "+hh:mm" or
 * "+hhmm" (or "-"). 'T' may also be 't' or a space; "z" is accepted.
 * Fractions beyond milliseconds are truncated. Dates are checked against
 * the calendar (2026-02-30 is refused); leap seconds (:60) are refused.
 * Returns 0 with *out set, or -1 (and *out untouched).
 */
int sb_parse_iso8601_ms(const char *s, int64_t *out);
/* The same; on -1, *why (if why is not NULL) is a static phrase saying
 * what is wrong, to follow the value's name: "is not a valid date ...",
 * "has no UTC offset ...". The time in UTC must fall in years 0001-9999. */
int sb_parse_iso8601_why(const char *s, int64_t *out, const char **why);

/*
 * Write `ms` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters plus NUL; a
 * buffer of 32 is always enough). Returns buf.
 */
char *sb_format_iso8601_ms(int64_t ms, char *buf, size_t len);

#endif
