/*
 * clock.c - wall and monotonic time, with a forward offset for tests.
 */
#include <time.h>

#include "clock.h"

static int64_t offset_ms;

int64_t
sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms;
}

int64_t
sb_mono_ms(void)
{
	return sb_mono_us() / 1000;
}

int64_t
sb_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
sb_clock_advance(int64_t ms)
{
	if (ms > 0)
		offset_ms += ms;
}

int64_t
sb_clock_offset(void)
{
	return offset_ms;
}
