/*
 * clock.h - the daemon's only source of time.
 *
 * Everything that schedules, expires or timestamps asks sb_now_ms(); nothing
 * calls time() directly. Tests shift the clock forward (control command
 * `clock.advance`, test mode only) to run hours of fallback and polling in
 * seconds. sb_mono_ms() is for measuring durations (latency), unaffected
 * by the shift.
 */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>

/* Wall clock in Unix milliseconds, plus the test offset. */
int64_t sb_now_ms(void);
/* Monotonic milliseconds, for durations only. */
int64_t sb_mono_ms(void);
/* Monotonic microseconds, for latency histograms. */
int64_t sb_mono_us(void);
/* Move the wall clock forward by `ms` (tests). */
void sb_clock_advance(int64_t ms);
int64_t sb_clock_offset(void);

#endif
