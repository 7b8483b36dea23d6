/*
 * tz.h - IANA time zones without the C library's global TZ state.
 *
 * tz.c owns a small TZif reader (RFC 8536: version 1, and the 64-bit data
 * of version 2+ with its POSIX TZ footer for instants after the last
 * transition) and a process-wide cache of loaded zones. A zone file is read
 * only by sb_tz_get(), which the configuration calls at load and reload;
 * the delivery path only asks a loaded zone for offsets, which never does
 * I/O. It never calls setenv("TZ"), tzset() or localtime().
 */
#ifndef SB_TZ_H
#define SB_TZ_H

#include <stddef.h>
#include <stdint.h>

struct sb_tz;

/*
 * The zone `name` ("Europe/Berlin") from $TZDIR or /usr/share/zoneinfo,
 * loaded on first use and cached. A later call re-reads the file only if it
 * changed on disk (a tzdata update picked up by a config reload); zones
 * handed out earlier stay valid until sb_tz_cache_clear(). Returns NULL with
 * *why (if why != NULL) set to a static text: "no such zone", "not a TZif
 * file", ... Names that could leave the zoneinfo tree are refused.
 */
const struct sb_tz *sb_tz_get(const char *name, const char **why);

/* Free every cached zone. Only at exit: pointers from sb_tz_get die. */
void sb_tz_cache_clear(void);

/*
 * A zone from TZif bytes, or from a POSIX TZ string alone
 * ("CET-1CEST,M3.5.0,M10.5.0/3"). The caller owns it (sb_tz_free).
 * NULL with *why on malformed input. Mostly for tests.
 */
struct sb_tz *sb_tz_parse(const char *name, const unsigned char *data, size_t len,
    const char **why);
struct sb_tz *sb_tz_from_posix(const char *spec, const char **why);
void sb_tz_free(struct sb_tz *tz);

/* The name it was loaded as. */
const char *sb_tz_name(const struct sb_tz *tz);

/* UTC offset in seconds (east positive) in effect at `utc_s`. NULL: UTC. */
int32_t sb_tz_offset(const struct sb_tz *tz, int64_t utc_s);

/*
 * The first instant after `utc_s` at which the offset may change, or
 * INT64_MAX if it never does. It may name an instant where the offset
 * stays the same (a change of abbreviation only): callers must not rely on
 * a change happening, only on none happening in between.
 */
int64_t sb_tz_next_change(const struct sb_tz *tz, int64_t utc_s);

/* Proleptic Gregorian calendar: days since 1970-01-01 and back. */
int64_t sb_days_from_civil(int64_t y, unsigned m, unsigned d);
void sb_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 0 = Sunday ... 6 = Saturday, as struct tm. */
int sb_weekday_from_days(int64_t days);

#endif
