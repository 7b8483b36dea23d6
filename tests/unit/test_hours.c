/*
 * test_hours.c - allowed hours: inside or not, the next opening, across
 * midnight, window edges and DST changes; the formatted windows.
 *
 * Fixed cases give the expected UTC instant worked out by hand (comments
 * say the local wall times). A randomized check then compares the search
 * with a brute-force minute-by-minute walk whose local time comes from
 * glibc's localtime_r (TZ set in this test only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "hours.h"
#include "tz.h"

enum { SUN = 0x01, MON = 0x02, TUE = 0x04, WED = 0x08, THU = 0x10, FRI = 0x20, SAT = 0x40,
	WEEKDAYS = 0x3e, ALL = 0x7f };

/* Add the window "sh:sm-eh:em" to each day in `days`. */
static void
win(struct sb_allowed_hours *h, unsigned days, int sh, int sm, int eh, int em)
{
	h->set = 1;
	for (int d = 0; d < SB_WEEKDAYS; d++)
		if (days & (1u << d))
			h->r[d][h->n[d]++] = (struct sb_hours_range){
				(int16_t)(sh * 60 + sm), (int16_t)(eh * 60 + em) };
}

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return (sb_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + s) * 1000;
}

static const struct sb_tz *
zone(const char *name)
{
	const struct sb_tz *z = sb_tz_get(name, NULL);

	assert_non_null(z);
	return z;
}

/* Allowed at t (want_next 0), or not with the next opening want_next. */
static void
check_at(const struct sb_allowed_hours *h, const struct sb_tz *z, int64_t t, int64_t want_next,
    int line)
{
	int64_t next = 12345;
	int rc = sb_hours_check(h, z, t, &next);

	if (want_next == 0 && rc != 1)
		fail_msg("line %d: not allowed (next %lld)", line, (long long)next);
	if (want_next != 0 && (rc != 0 || next != want_next))
		fail_msg("line %d: rc %d next %lld, want %lld (diff %lld s)", line, rc,
		    (long long)next, (long long)want_next, (long long)(next - want_next) / 1000);
}
#define ALLOWED(h, z, t) check_at((h), (z), (t), 0, __LINE__)
#define NEXT(h, z, t, want) check_at((h), (z), (t), (want), __LINE__)

static void
test_weekdays_utc(void **state)
{
	struct sb_allowed_hours h = { 0 };

	win(&h, WEEKDAYS, 8, 0, 20, 0);
	for (int i = 0; i < 2; i++) {
		const struct sb_tz *z = i ? zone("UTC") : NULL;

		/* 2026-11-23 is a Monday. */
		NEXT(&h, z, utc(2026, 11, 23, 7, 59, 59), utc(2026, 11, 23, 8, 0, 0));
		NEXT(&h, z, utc(2026, 11, 23, 7, 59, 59) + 500, utc(2026, 11, 23, 8, 0, 0));
		ALLOWED(&h, z, utc(2026, 11, 23, 8, 0, 0));
		ALLOWED(&h, z, utc(2026, 11, 23, 19, 59, 59) + 999);
		NEXT(&h, z, utc(2026, 11, 23, 20, 0, 0), utc(2026, 11, 24, 8, 0, 0));
		NEXT(&h, z, utc(2026, 11, 27, 20, 0, 0), utc(2026, 11, 30, 8, 0, 0));
		NEXT(&h, z, utc(2026, 11, 28, 12, 0, 0), utc(2026, 11, 30, 8, 0, 0));
		NEXT(&h, z, utc(2026, 11, 29, 23, 59, 59), utc(2026, 11, 30, 8, 0, 0));
	}
}

static void
test_several_windows_and_week_wrap(void **state)
{
	struct sb_allowed_hours h = { 0 }, s = { 0 };

	win(&h, MON, 8, 0, 12, 0);
	win(&h, MON, 14, 0, 18, 0);
	NEXT(&h, NULL, utc(2026, 11, 23, 12, 30, 0), utc(2026, 11, 23, 14, 0, 0));
	NEXT(&h, NULL, utc(2026, 11, 23, 12, 0, 0), utc(2026, 11, 23, 14, 0, 0));
	ALLOWED(&h, NULL, utc(2026, 11, 23, 14, 0, 0));
	NEXT(&h, NULL, utc(2026, 11, 23, 18, 0, 0), utc(2026, 11, 30, 8, 0, 0));
	/* One hour a week: from just after it, six days and 23 hours ahead. */
	win(&s, SUN, 10, 0, 11, 0);
	NEXT(&s, NULL, utc(2026, 11, 29, 11, 0, 0), utc(2026, 12, 6, 10, 0, 0));
}

static void
test_across_midnight(void **state)
{
	struct sb_allowed_hours h = { 0 }, e = { 0 }, z = { 0 };

	/* fri 22:00-02:00 belongs to Friday: Saturday early morning is in. */
	win(&h, FRI, 22, 0, 2, 0);
	NEXT(&h, NULL, utc(2026, 11, 27, 21, 59, 0), utc(2026, 11, 27, 22, 0, 0));
	ALLOWED(&h, NULL, utc(2026, 11, 27, 23, 0, 0));
	ALLOWED(&h, NULL, utc(2026, 11, 28, 0, 0, 0));
	ALLOWED(&h, NULL, utc(2026, 11, 28, 1, 59, 59));
	NEXT(&h, NULL, utc(2026, 11, 28, 2, 0, 0), utc(2026, 12, 4, 22, 0, 0));
	NEXT(&h, NULL, utc(2026, 11, 26, 23, 0, 0), utc(2026, 11, 27, 22, 0, 0));
	/* Thursday has no window, so Friday 01:00 is out. */
	NEXT(&h, NULL, utc(2026, 11, 27, 1, 0, 0), utc(2026, 11, 27, 22, 0, 0));
	/* "22:00-24:00" ends at midnight; "20:00-00:00" too. */
	win(&e, MON, 22, 0, 24, 0);
	ALLOWED(&e, NULL, utc(2026, 11, 23, 23, 59, 59));
	NEXT(&e, NULL, utc(2026, 11, 24, 0, 0, 0), utc(2026, 11, 30, 22, 0, 0));
	win(&z, MON, 20, 0, 0, 0);
	ALLOWED(&z, NULL, utc(2026, 11, 23, 23, 59, 59));
	NEXT(&z, NULL, utc(2026, 11, 24, 0, 0, 0), utc(2026, 11, 30, 20, 0, 0));
	/* A window crossing midnight from Saturday into Sunday, week wrap. */
	memset(&z, 0, sizeof(z));
	win(&z, SAT, 23, 0, 1, 0);
	ALLOWED(&z, NULL, utc(2026, 11, 29, 0, 30, 0));
	NEXT(&z, NULL, utc(2026, 11, 29, 1, 0, 0), utc(2026, 12, 5, 23, 0, 0));
}

static void
test_closed_and_unset(void **state)
{
	struct sb_allowed_hours closed = { .set = 1 }, unset = { 0 };
	int64_t next = 0;

	assert_int_equal(sb_hours_check(&closed, NULL, utc(2026, 11, 23, 12, 0, 0), &next), 0);
	assert_int_equal(next, -1);
	assert_int_equal(sb_hours_check(&unset, NULL, 0, &next), 1);
	assert_int_equal(sb_hours_check(NULL, NULL, 0, &next), 1);
}

/* Berlin 2026: clocks go 02:00 CET -> 03:00 CEST on Sun 29 Mar (01:00 UTC). */
static void
test_berlin_spring_forward(void **state)
{
	const struct sb_tz *z = zone("Europe/Berlin");
	struct sb_allowed_hours gap = { 0 }, inside = { 0 }, week = { 0 }, at3 = { 0 },
	    early = { 0 };

	/* Opens at 02:30, which does not exist: it opens at the jump, 03:00 CEST. */
	win(&gap, SUN, 2, 30, 4, 0);
	NEXT(&gap, z, utc(2026, 3, 28, 22, 0, 0), utc(2026, 3, 29, 1, 0, 0));
	ALLOWED(&gap, z, utc(2026, 3, 29, 1, 0, 0));
	/* Wholly inside the gap: no window that day; next Sunday 02:15 CEST. */
	win(&inside, SUN, 2, 15, 2, 45);
	NEXT(&inside, z, utc(2026, 3, 28, 22, 0, 0), utc(2026, 4, 5, 0, 15, 0));
	/* Fri 20:00 CET -> Mon 08:00 CEST, which is 06:00 UTC, not 07:00. */
	win(&week, WEEKDAYS, 8, 0, 20, 0);
	NEXT(&week, z, utc(2026, 3, 27, 19, 0, 0), utc(2026, 3, 30, 6, 0, 0));
	/* Opening exactly at the first valid time. */
	win(&at3, SUN, 3, 0, 5, 0);
	NEXT(&at3, z, utc(2026, 3, 28, 22, 0, 0), utc(2026, 3, 29, 1, 0, 0));
	/* Closes at 02:30, which the clock skips: closed from 03:00 CEST. */
	win(&early, SUN, 1, 0, 2, 30);
	ALLOWED(&early, z, utc(2026, 3, 29, 0, 59, 59));
	NEXT(&early, z, utc(2026, 3, 29, 1, 0, 0), utc(2026, 4, 4, 23, 0, 0));
	/* 2040, after the file's last transition: the footer rule. */
	NEXT(&gap, z, utc(2040, 3, 24, 22, 0, 0), utc(2040, 3, 25, 1, 0, 0));
	NEXT(&week, z, utc(2040, 3, 23, 19, 0, 0), utc(2040, 3, 26, 6, 0, 0));
}

/* Berlin 2026: 03:00 CEST -> 02:00 CET on Sun 25 Oct (01:00 UTC). */
static void
test_berlin_fall_back(void **state)
{
	const struct sb_tz *z = zone("Europe/Berlin");
	struct sb_allowed_hours until = { 0 }, from = { 0 }, week = { 0 };

	/* 00:00-02:30: out at 02:45 CEST, in again when 02:00 CET comes round. */
	win(&until, SUN, 0, 0, 2, 30);
	NEXT(&until, z, utc(2026, 10, 25, 0, 45, 0), utc(2026, 10, 25, 1, 0, 0));
	ALLOWED(&until, z, utc(2026, 10, 25, 1, 29, 59));
	NEXT(&until, z, utc(2026, 10, 25, 1, 30, 0), utc(2026, 10, 31, 23, 0, 0));
	/* Opening inside the repeated hour: the first 02:30 (CEST). */
	win(&from, SUN, 2, 30, 5, 0);
	NEXT(&from, z, utc(2026, 10, 24, 22, 0, 0), utc(2026, 10, 25, 0, 30, 0));
	ALLOWED(&from, z, utc(2026, 10, 25, 0, 59, 59));
	/* The wall clock is judged as it reads: 02:00 CET is before 02:30 again. */
	NEXT(&from, z, utc(2026, 10, 25, 1, 0, 0), utc(2026, 10, 25, 1, 30, 0));
	/* Fri 20:00 CEST -> Mon 08:00 CET = 07:00 UTC. */
	win(&week, WEEKDAYS, 8, 0, 20, 0);
	NEXT(&week, z, utc(2026, 10, 23, 18, 0, 0), utc(2026, 10, 26, 7, 0, 0));
}

/* Sao Paulo's last DST: 2018-11-04 00:00 -> 01:00 (-03 -> -02), 2019-02-17 back. */
static void
test_sao_paulo(void **state)
{
	const struct sb_tz *z = zone("America/Sao_Paulo");
	struct sb_allowed_hours gap = { 0 }, week = { 0 }, late = { 0 };

	win(&gap, SUN, 0, 30, 6, 0);
	NEXT(&gap, z, utc(2018, 11, 4, 2, 0, 0), utc(2018, 11, 4, 3, 0, 0));
	win(&week, WEEKDAYS, 8, 0, 20, 0);
	/* Fri 21:00 -03 -> Mon 08:00 -02 = 10:00 UTC. */
	NEXT(&week, z, utc(2018, 11, 3, 0, 0, 0), utc(2018, 11, 5, 10, 0, 0));
	/* Fri 21:00 -02 -> Mon 08:00 -03 = 11:00 UTC. */
	NEXT(&week, z, utc(2019, 2, 15, 23, 0, 0), utc(2019, 2, 18, 11, 0, 0));
	/* Saturday 23:30-24:00 happens twice on 16 Feb 2019. */
	win(&late, SAT, 23, 30, 24, 0);
	ALLOWED(&late, z, utc(2019, 2, 17, 1, 45, 0));
	NEXT(&late, z, utc(2019, 2, 17, 2, 0, 0), utc(2019, 2, 17, 2, 30, 0));
	ALLOWED(&late, z, utc(2019, 2, 17, 2, 59, 59));
	/* No DST any more: 2026 is -03 all year. */
	NEXT(&week, z, utc(2026, 11, 23, 10, 0, 0), utc(2026, 11, 23, 11, 0, 0));
}

static void
test_other_zones(void **state)
{
	struct sb_allowed_hours lh = { 0 }, lh_gap = { 0 }, lh_back = { 0 }, in = { 0 },
	    ny = { 0 };

	/* Lord Howe: 02:00 +10:30 -> 02:30 +11 on Sun 4 Oct 2026 (15:30 UTC the day before). */
	win(&lh, SUN, 2, 10, 3, 0);
	NEXT(&lh, zone("Australia/Lord_Howe"), utc(2026, 10, 3, 15, 0, 0),
	    utc(2026, 10, 3, 15, 30, 0));
	win(&lh_gap, SUN, 2, 0, 2, 20);
	NEXT(&lh_gap, zone("Australia/Lord_Howe"), utc(2026, 10, 3, 15, 0, 0),
	    utc(2026, 10, 10, 15, 0, 0));
	/* 02:00 +11 -> 01:30 +10:30 on Sun 5 Apr 2026 (15:00 UTC the day before). */
	win(&lh_back, SUN, 0, 0, 1, 45);
	NEXT(&lh_back, zone("Australia/Lord_Howe"), utc(2026, 4, 4, 14, 50, 0),
	    utc(2026, 4, 4, 15, 0, 0));
	/* Kolkata, +05:30. */
	win(&in, ALL, 9, 0, 18, 0);
	NEXT(&in, zone("Asia/Kolkata"), utc(2026, 11, 23, 3, 0, 0), utc(2026, 11, 23, 3, 30, 0));
	NEXT(&in, zone("Asia/Kolkata"), utc(2026, 11, 23, 12, 30, 0), utc(2026, 11, 24, 3, 30, 0));
	/* New York: Fri 18:00 EST -> Mon 09:00 EDT (DST began Sun 8 Mar 2026). */
	win(&ny, WEEKDAYS, 9, 0, 17, 0);
	NEXT(&ny, zone("America/New_York"), utc(2026, 3, 6, 23, 0, 0), utc(2026, 3, 9, 13, 0, 0));
}

/* ---- against a brute-force walk with glibc's local time ---- */

static int
brute_allowed(const struct sb_allowed_hours *h, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int sod, prev;

	localtime_r(&tt, &tm);
	sod = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	prev = (tm.tm_wday + 6) % 7;
	for (int i = 0; i < h->n[tm.tm_wday]; i++) {
		int s = h->r[tm.tm_wday][i].start_min * 60, e = h->r[tm.tm_wday][i].end_min * 60;

		if (sod >= s && (e < s || sod < e))
			return 1;
	}
	for (int i = 0; i < h->n[prev]; i++) {
		int s = h->r[prev][i].start_min * 60, e = h->r[prev][i].end_min * 60;

		if (e < s && sod < e)
			return 1;
	}
	return 0;
}

static void
random_hours(struct sb_allowed_hours *h, unsigned *seed)
{
	memset(h, 0, sizeof(*h));
	h->set = 1;
	for (int d = 0; d < SB_WEEKDAYS; d++) {
		int n = rand_r(seed) % 3;

		for (int i = 0; i < n; i++) {
			/* Quarter hours, to land in and around DST gaps often. */
			int s = (rand_r(seed) % 96) * 15, e = (rand_r(seed) % 97) * 15;

			if (e == s)
				e = (s + 60) % 1440;
			h->r[d][h->n[d]++] = (struct sb_hours_range){ (int16_t)s, (int16_t)e };
		}
	}
}

static void
test_matches_brute_force(void **state)
{
	static const char *const names[] = {
		"Europe/Berlin", "America/Sao_Paulo", "America/New_York", "Australia/Lord_Howe",
		"Asia/Kolkata",
	};
	/* Around DST changes, where the search has work to do. */
	static const int64_t around[] = {
		1521939600, 1540688400, 1541300400, 1550368800, 1774746000, 1792890000,
		1775314800, 1791041400, 2216250000, 1772953200,
	};
	unsigned seed = 20261123;
	int searched = 0;

	for (int trial = 0; trial < 600; trial++) {
		const char *name = names[trial % 5];
		const struct sb_tz *z = zone(name);
		struct sb_allowed_hours h;
		int64_t t = around[rand_r(&seed) % 10] - 4 * 86400 +
		    (rand_r(&seed) % (8 * 96)) * 900, next = 0, u;
		int rc;

		random_hours(&h, &seed);
		setenv("TZ", name, 1);
		tzset();
		rc = sb_hours_check(&h, z, t * 1000, &next);
		if (rc != brute_allowed(&h, t))
			fail_msg("trial %d %s t=%lld: rc %d", trial, name, (long long)t, rc);
		if (rc == 1)
			continue;
		searched++;
		/* Every minute (all changes here fall on whole minutes) until allowed. */
		for (u = t + 60 - t % 60; u <= t + SB_HOURS_HORIZON_S; u += 60)
			if (brute_allowed(&h, u))
				break;
		if (u > t + SB_HOURS_HORIZON_S)
			u = -1;
		if (next != (u < 0 ? -1 : u * 1000))
			fail_msg("trial %d %s t=%lld: next %lld, brute force %lld", trial, name,
			    (long long)t, (long long)next / 1000, (long long)u);
	}
	unsetenv("TZ");
	assert_true(searched > 200); /* the random windows leave most instants out */
}

/* ---- formatting ---- */

static void
test_format(void **state)
{
	struct sb_allowed_hours h = { 0 }, g = { 0 }, c = { .set = 1 };
	char buf[256];

	win(&h, WEEKDAYS, 8, 0, 20, 0);
	win(&h, SAT, 9, 0, 13, 0);
	assert_string_equal(sb_hours_format(&h, "America/Sao_Paulo", buf, sizeof(buf)),
	    "allowed mon-fri 08:00-20:00, sat 09:00-13:00 (America/Sao_Paulo)");
	win(&g, MON | WED | FRI | SUN, 8, 0, 12, 0);
	win(&g, MON | WED | FRI | SUN, 14, 0, 24, 0);
	win(&g, TUE, 22, 0, 2, 0);
	assert_string_equal(sb_hours_format(&g, "UTC", buf, sizeof(buf)),
	    "allowed mon,wed,fri,sun 08:00-12:00 and 14:00-24:00, tue 22:00-02:00 (UTC)");
	memset(&g, 0, sizeof(g));
	win(&g, ALL & ~WED, 7, 30, 19, 45);
	assert_string_equal(sb_hours_format(&g, "Europe/Berlin", buf, sizeof(buf)),
	    "allowed mon-tue,thu-sun 07:30-19:45 (Europe/Berlin)");
	assert_string_equal(sb_hours_format(&c, "UTC", buf, sizeof(buf)),
	    "every day closed (UTC)");
	assert_string_equal(sb_hours_format(NULL, "UTC", buf, sizeof(buf)), "allowed at any time");
	assert_string_equal(sb_hours_format(&h, NULL, buf, 20), "allowed mon-fri 08:");
}

static int
teardown(void **state)
{
	sb_tz_cache_clear();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekdays_utc),
		cmocka_unit_test(test_several_windows_and_week_wrap),
		cmocka_unit_test(test_across_midnight),
		cmocka_unit_test(test_closed_and_unset),
		cmocka_unit_test(test_berlin_spring_forward),
		cmocka_unit_test(test_berlin_fall_back),
		cmocka_unit_test(test_sao_paulo),
		cmocka_unit_test(test_other_zones),
		cmocka_unit_test(test_matches_brute_force),
		cmocka_unit_test(test_format),
	};

	unsetenv("TZDIR");
	return cmocka_run_group_tests(tests, NULL, teardown);
}
