/*
 * hours.h - a subaccount's allowed sending hours, judged in its time zone.
 *
 * hours.c owns the meaning of `allowed_hours` (config.h parses it): weekly
 * windows of local wall-clock time, a window that crosses midnight
 * belonging to the day it starts on. It answers "may a step start at this
 * instant, and if not, when next" and formats the windows for reasons. It
 * never reads the clock or a file: time and zone are arguments.
 */
#ifndef SB_HOURS_H
#define SB_HOURS_H

#include <stddef.h>
#include <stdint.h>

struct sb_allowed_hours;
struct sb_tz;

/*
 * How far ahead sb_hours_check looks for the next window: two weeks and a
 * day, so that a weekly window lost to a DST gap is found the week after.
 */
#define SB_HOURS_HORIZON_S (15 * 86400)

/*
 * May something start at `t_ms` (Unix ms) under `h`, in zone `tz` (NULL:
 * UTC)? Returns 1 if yes (also when h is NULL or h->set is 0), 0 if not,
 * with *next_ms the first instant after t_ms at which it may (exact, whole
 * seconds), or -1 if it never may within SB_HOURS_HORIZON_S (every day is
 * closed).
 *
 * The instant is the first at which the local wall clock shows an allowed
 * time. Where the clock jumps forward over a window's opening (a window
 * opening at 02:30 on a day clocks go from 02:00 to 03:00), it is the
 * instant of the jump: the first valid local time after the opening,
 * 03:00, if the window is still open then; a window wholly inside the gap
 * does not happen that day. Where the clock falls back, a window opening
 * inside the repeated hour opens at the first occurrence, and a time in
 * the repeated hour is allowed on both passes if the window covers it.
 */
int sb_hours_check(const struct sb_allowed_hours *h, const struct sb_tz *tz, int64_t t_ms,
    int64_t *next_ms);

/*
 * The windows as people read them, e.g. "allowed mon-fri 08:00-20:00,
 * sat 09:00-13:00 (America/Sao_Paulo)"; days with the same windows are
 * grouped, closed days left out ("every day closed (UTC)" if all are).
 * Truncates to `len`; returns buf.
 */
char *sb_hours_format(const struct sb_allowed_hours *h, const char *tzname, char *buf,
    size_t len);

#endif
