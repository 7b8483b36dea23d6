/*
 * test_tz.c - the TZif reader and POSIX TZ rules against glibc.
 *
 * glibc's localtime_r (with setenv("TZ"), here in the test only) is the
 * reference: for real zones from the system's zoneinfo and for bare POSIX
 * strings, every sampled instant must give the same UTC offset, and every
 * offset change glibc shows must be one sb_tz_next_change names. Broken
 * TZif files are built byte by byte and must be refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tz.h"

static const char *const zones[] = {
	"Europe/Berlin", "America/Sao_Paulo", "America/New_York", "Australia/Lord_Howe",
	"Asia/Kolkata", "UTC", "Europe/Dublin", "America/Nuuk", "Pacific/Chatham",
	"Africa/Casablanca", "Asia/Tehran", "Pacific/Apia",
};

static long
glibc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	return tm.tm_gmtoff;
}

static void
use_glibc_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* Every instant from `from` to `to` in steps of `step` agrees with glibc. */
static void
compare_range(const struct sb_tz *z, const char *name, int64_t from, int64_t to,
    int64_t step)
{
	for (int64_t t = from; t <= to; t += step) {
		long want = glibc_offset(t);
		int32_t got = sb_tz_offset(z, t);

		if (got != want)
			fail_msg("%s at %lld: got %d, glibc %ld", name, (long long)t, got, want);
	}
}

/*
 * Walk glibc's offset hour by hour; wherever it changes, our next change
 * after the previous hour must fall in that hour, with glibc's offsets on
 * both sides of it.
 */
static void
compare_changes(const struct sb_tz *z, const char *name, int64_t from, int64_t to)
{
	long prev = glibc_offset(from);

	for (int64_t t = from + 3600; t <= to; t += 3600) {
		long cur = glibc_offset(t);
		int64_t c;

		if (cur == prev)
			continue;
		c = sb_tz_next_change(z, t - 3600);
		if (c <= t - 3600 || c > t)
			fail_msg("%s: glibc changes in (%lld, %lld], next change says %lld", name,
			    (long long)(t - 3600), (long long)t, (long long)c);
		if (sb_tz_offset(z, c) != glibc_offset(c) ||
		    sb_tz_offset(z, c - 1) != glibc_offset(c - 1))
			fail_msg("%s: offsets around the change at %lld differ", name, (long long)c);
		prev = cur;
	}
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return sb_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60;
}

static void
test_real_zones_match_glibc(void **state)
{
	unsetenv("TZDIR");
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const char *why = NULL;
		const struct sb_tz *z = sb_tz_get(zones[i], &why);

		if (z == NULL)
			fail_msg("%s: %s", zones[i], why);
		use_glibc_tz(zones[i]);
		/* 1970..2050 every 5h59m (drifts across every hour of the day). */
		compare_range(z, zones[i], utc(1970, 1, 1, 0, 0), utc(2050, 1, 1, 0, 0), 21540);
		/* 1901..1970: the 32-bit era, coarser. */
		compare_range(z, zones[i], utc(1902, 1, 1, 0, 0), utc(1970, 1, 1, 0, 0), 86399);
		compare_changes(z, zones[i], utc(2005, 1, 1, 0, 0), utc(2046, 1, 1, 0, 0));
		/* After the last transition of any file: the footer rule. */
		compare_range(z, zones[i], utc(2040, 1, 1, 0, 0), utc(2041, 1, 1, 0, 0), 900);
	}
	unsetenv("TZ");
}

static const struct {
	const char *zone;
	int y, mo, d, h, mi;     /* UTC instant */
	int32_t off;             /* expected offset there */
} known[] = {
	/* Berlin 2026: CEST from 29 Mar 01:00 UTC to 25 Oct 01:00 UTC. */
	{ "Europe/Berlin", 2026, 3, 29, 0, 59, 3600 },
	{ "Europe/Berlin", 2026, 3, 29, 1, 0, 7200 },
	{ "Europe/Berlin", 2026, 10, 25, 0, 59, 7200 },
	{ "Europe/Berlin", 2026, 10, 25, 1, 0, 3600 },
	/* Sao Paulo: DST 2018-11-04 03:00 UTC to 2019-02-17 02:00 UTC; none since. */
	{ "America/Sao_Paulo", 2018, 11, 4, 2, 59, -10800 },
	{ "America/Sao_Paulo", 2018, 11, 4, 3, 0, -7200 },
	{ "America/Sao_Paulo", 2019, 2, 17, 1, 59, -7200 },
	{ "America/Sao_Paulo", 2019, 2, 17, 2, 0, -10800 },
	{ "America/Sao_Paulo", 2026, 1, 15, 12, 0, -10800 },
	/* Lord Howe: +10:30, +11 in summer (a 30-minute DST). */
	{ "Australia/Lord_Howe", 2026, 10, 3, 15, 29, 37800 },
	{ "Australia/Lord_Howe", 2026, 10, 3, 15, 30, 39600 },
	{ "Asia/Kolkata", 2026, 6, 1, 0, 0, 19800 },
	{ "Europe/Berlin", 2040, 7, 1, 0, 0, 7200 },
	{ "Europe/Berlin", 2040, 12, 1, 0, 0, 3600 },
	{ "UTC", 2040, 12, 1, 0, 0, 0 },
};

/* Fixed answers, in case glibc and we were wrong together. */
static void
test_known_offsets(void **state)
{
	unsetenv("TZDIR");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct sb_tz *z = sb_tz_get(known[i].zone, NULL);

		assert_non_null(z);
		if (sb_tz_offset(z, utc(known[i].y, known[i].mo, known[i].d, known[i].h,
		    known[i].mi)) != known[i].off)
			fail_msg("case %zu (%s)", i, known[i].zone);
	}
	assert_int_equal(sb_tz_next_change(sb_tz_get("Europe/Berlin", NULL),
	    utc(2026, 3, 1, 0, 0)), utc(2026, 3, 29, 1, 0));
	assert_int_equal(sb_tz_next_change(sb_tz_get("Europe/Berlin", NULL),
	    utc(2040, 3, 1, 0, 0)), utc(2040, 3, 25, 1, 0));
	assert_true(sb_tz_next_change(sb_tz_get("Asia/Kolkata", NULL), utc(2026, 1, 1, 0, 0)) ==
	    INT64_MAX);
	assert_int_equal(sb_tz_offset(NULL, 12345), 0);
	assert_true(sb_tz_next_change(NULL, 0) == INT64_MAX);
	assert_string_equal(sb_tz_name(sb_tz_get("Asia/Kolkata", NULL)), "Asia/Kolkata");
}

/* A DST zone without rules gets the US ones (glibc would use "posixrules"). */
static void
test_posix_default_rules(void **state)
{
	struct sb_tz *z = sb_tz_from_posix("AAA5BBB", NULL);

	assert_non_null(z);
	assert_int_equal(sb_tz_offset(z, utc(2026, 3, 8, 6, 59)), -18000);
	assert_int_equal(sb_tz_offset(z, utc(2026, 3, 8, 7, 0)), -14400);
	assert_int_equal(sb_tz_offset(z, utc(2026, 11, 1, 5, 59)), -14400);
	assert_int_equal(sb_tz_offset(z, utc(2026, 11, 1, 6, 0)), -18000);
	sb_tz_free(z);
}

/*
 * DST all year: the end (Dec 31, 25:00 DST) meets the next start. glibc
 * picks the rule year from UTC and shows standard time for the first
 * hours of each UTC year; tzcode and RFC 8536 say DST throughout.
 */
static void
test_posix_dst_all_year(void **state)
{
	struct sb_tz *z = sb_tz_from_posix("EST5EDT,0/0,J365/25", NULL);

	assert_non_null(z);
	for (int64_t t = utc(2024, 12, 25, 0, 0); t < utc(2027, 1, 10, 0, 0); t += 1800)
		if (sb_tz_offset(z, t) != -14400)
			fail_msg("not in DST at %lld", (long long)t);
	sb_tz_free(z);
}

static const char *const posix_specs[] = {
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"<-03>3",
	"EST5EDT,M3.2.0,M11.1.0",
	"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
	"IST-1GMT0,M10.5.0,M3.5.0/1",            /* Dublin: "negative" DST */
	"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",       /* Nuuk: negative rule time */
	"AAA3BBB,J60/2,J300",                    /* Jn skips Feb 29 */
	"AAA3BBB,59/2,300",                      /* n counts it */
	"AAA-13:45BBB-14:45,M9.5.0/2:45,M4.1.0/3:45",
	"<+0545>-5:45",
	"AAA+3:30BBB+2:30:15,M3.1.0/26,M11.5.6/-20:30",
};

static void
test_posix_strings_match_glibc(void **state)
{
	for (size_t i = 0; i < sizeof(posix_specs) / sizeof(posix_specs[0]); i++) {
		const char *why = NULL;
		struct sb_tz *z = sb_tz_from_posix(posix_specs[i], &why);

		if (z == NULL)
			fail_msg("%s: %s", posix_specs[i], why);
		use_glibc_tz(posix_specs[i]);
		compare_range(z, posix_specs[i], utc(1999, 1, 1, 0, 0), utc(2042, 1, 1, 0, 0),
		    3593);
		compare_changes(z, posix_specs[i], utc(2020, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0));
		sb_tz_free(z);
	}
	unsetenv("TZ");
}

static void
test_posix_strings_refused(void **state)
{
	static const char *const bad[] = {
		"", "C", "CE-1", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J365",
		"CET-1CEST,J366,J1", "CET-1CEST,366,1", "CET-1CEST,M3.5.0/168,M10.5.0",
		"CET-25", "<AB>1", "<ABC1", "CET-1CEST,M3.5.0,M10.5.0 junk", "CET-1:60",
		"<A_B>1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		struct sb_tz *z = sb_tz_from_posix(bad[i], &why);

		if (z != NULL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(why);
	}
	assert_null(sb_tz_from_posix(NULL, NULL));
}

/* ---- TZif files built byte by byte ---- */

struct tzif {
	unsigned char b[4096];
	size_t n;
};

static void
put(struct tzif *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put32(struct tzif *f, uint32_t v)
{
	unsigned char b[4] = {
		(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v,
	};

	put(f, b, 4);
}

static void
put64(struct tzif *f, uint64_t v)
{
	put32(f, (uint32_t)(v >> 32));
	put32(f, (uint32_t)v);
}

static void
header(struct tzif *f, char version, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
	static const unsigned char zero[15];

	put(f, "TZif", 4);
	put(f, &version, 1);
	put(f, zero, 15);
	put32(f, 0);        /* isutcnt */
	put32(f, 0);        /* isstdcnt */
	put32(f, 0);        /* leapcnt */
	put32(f, timecnt);
	put32(f, typecnt);
	put32(f, charcnt);
}

/*
 * A zone with one transition at `at` from type 0 (+1h) to type 1 (+2h,
 * DST), version `version` ('2' or 0), with `footer` (v2 only).
 */
static void
build(struct tzif *f, char version, int64_t at, const char *footer)
{
	static const unsigned char types[12] = {
		0, 0, 0x0e, 0x10, 0, 0,  /* +3600, std, "AAA" */
		0, 0, 0x1c, 0x20, 1, 4,  /* +7200, dst, "BBB" */
	};
	unsigned char idx = 1;

	f->n = 0;
	header(f, version, 1, 2, 8);
	put32(f, (uint32_t)(int32_t)at);
	put(f, &idx, 1);
	put(f, types, sizeof(types));
	put(f, "AAA\0BBB\0", 8);
	if (version == 0)
		return;
	header(f, version, 1, 2, 8);
	put64(f, (uint64_t)at);
	put(f, &idx, 1);
	put(f, types, sizeof(types));
	put(f, "AAA\0BBB\0", 8);
	put(f, "\n", 1);
	put(f, footer, strlen(footer));
	put(f, "\n", 1);
}

static void
test_tzif_built(void **state)
{
	struct tzif f;
	struct sb_tz *z;
	const char *why = NULL;

	/* Version 1: 32-bit times, the last type forever after. */
	build(&f, 0, 1000000, "");
	z = sb_tz_parse("v1", f.b, f.n, &why);
	assert_non_null(z);
	assert_int_equal(sb_tz_offset(z, 999999), 3600);
	assert_int_equal(sb_tz_offset(z, 1000000), 7200);
	assert_int_equal(sb_tz_offset(z, INT64_C(4000000000)), 7200);
	assert_int_equal(sb_tz_next_change(z, 0), 1000000);
	assert_true(sb_tz_next_change(z, 1000000) == INT64_MAX);
	sb_tz_free(z);

	/* Version 2 with a footer: the rule takes over after the transition. */
	build(&f, '2', 1000000, "<+01>-1");
	z = sb_tz_parse("v2", f.b, f.n, &why);
	assert_non_null(z);
	assert_int_equal(sb_tz_offset(z, 1000000), 3600);
	assert_int_equal(sb_tz_offset(z, 999999), 3600);
	sb_tz_free(z);

	/* An empty footer means no rule. */
	build(&f, '3', 1000000, "");
	z = sb_tz_parse("v3", f.b, f.n, &why);
	assert_non_null(z);
	assert_int_equal(sb_tz_offset(z, 2000000), 7200);
	sb_tz_free(z);
}

static void
expect_refused(const unsigned char *b, size_t n, const char *want)
{
	const char *why = NULL;
	struct sb_tz *z = sb_tz_parse("bad", b, n, &why);

	if (z != NULL)
		fail_msg("accepted; wanted '%s'", want);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("'%s' does not say '%s'", why, want);
}

static void
test_tzif_refused(void **state)
{
	struct tzif f;
	unsigned char copy[4096];

	expect_refused((const unsigned char *)"hello", 5, "not a TZif file");
	expect_refused((const unsigned char *)"TZif2 fake zone", 15, "truncated");
	build(&f, '2', 1000000, "CET-1CEST,M3.5.0,M10.5.0/3");
	for (size_t cut = 1; cut < f.n; cut += 7)
		if (cut < f.n - 1) {
			const char *why = NULL;
			struct sb_tz *z = sb_tz_parse("cut", f.b, cut, &why);

			/* A v2 file cut right after its 64-bit block is a file without footer. */
			if (z != NULL) {
				assert_true(cut >= f.n - strlen("CET-1CEST,M3.5.0,M10.5.0/3") - 2);
				sb_tz_free(z);
			}
		}
	expect_refused(f.b, 30, "truncated");
	expect_refused(f.b, 3, "not a TZif file");
	expect_refused(f.b, 60, "truncated");
	/* A footer that is not a TZ string. */
	build(&f, '2', 1000000, "not a rule");
	expect_refused(f.b, f.n, "footer");
	/* No newline closing the footer. */
	build(&f, '2', 1000000, "CET-1");
	expect_refused(f.b, f.n - 1, "footer");
	/* Bad version byte. */
	build(&f, '2', 1000000, "CET-1");
	memcpy(copy, f.b, f.n);
	copy[4] = 'x';
	expect_refused(copy, f.n, "not a TZif file");
	/* A transition pointing at a type that does not exist (v1 index byte). */
	build(&f, 0, 1000000, "");
	memcpy(copy, f.b, f.n);
	copy[44 + 4] = 7;
	expect_refused(copy, f.n, "out of range");
	/* isdst must be 0 or 1. */
	memcpy(copy, f.b, f.n);
	copy[44 + 5 + 4] = 9;
	expect_refused(copy, f.n, "bad local time type");
	/* Zero types. */
	f.n = 0;
	header(&f, 0, 0, 0, 0);
	expect_refused(f.b, f.n, "no local time types");
}

/* Two transitions out of order in the 64-bit block. */
static void
test_tzif_out_of_order(void **state)
{
	static const unsigned char types[6] = { 0, 0, 0x0e, 0x10, 0, 0 };
	unsigned char idx[2] = { 0, 0 };
	struct tzif f = { .n = 0 };

	header(&f, '2', 0, 1, 4);
	put(&f, types, 6);
	put(&f, "AAA\0", 4);
	header(&f, '2', 2, 1, 4);
	put64(&f, 2000);
	put64(&f, 1000);
	put(&f, idx, 2);
	put(&f, types, 6);
	put(&f, "AAA\0", 4);
	put(&f, "\n\n", 2);
	expect_refused(f.b, f.n, "out of order");
}

/* ---- the cache and file handling ---- */

static char tzdir[64];

static void
write_bytes(const char *rel, const void *b, size_t n)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tzdir, rel);
	assert_non_null(f = fopen(p, "wb"));
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void
test_cache_and_files(void **state)
{
	struct tzif f;
	const struct sb_tz *a, *b, *c;
	const char *why = NULL;
	char p[160];
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 2000000000, 0 } };

	strcpy(tzdir, "/tmp/sb_tzc_XXXXXX");
	assert_non_null(mkdtemp(tzdir));
	setenv("TZDIR", tzdir, 1);
	snprintf(p, sizeof(p), "%s/Test", tzdir);
	assert_int_equal(mkdir(p, 0700), 0);
	build(&f, '2', 1000000, "<+02>-2");
	write_bytes("Test/Zone", f.b, f.n);
	write_bytes("junk", "hello", 5);

	a = sb_tz_get("Test/Zone", &why);
	assert_non_null(a);
	b = sb_tz_get("Test/Zone", &why);
	assert_ptr_equal(a, b); /* read once */
	assert_int_equal(sb_tz_offset(a, 2000000), 7200);

	/* The file changes (a tzdata update): the next get reads it again. */
	build(&f, '2', 1000000, "<+03>-3");
	write_bytes("Test/Zone", f.b, f.n);
	snprintf(p, sizeof(p), "%s/Test/Zone", tzdir);
	assert_int_equal(utimensat(AT_FDCWD, p, later, 0), 0);
	c = sb_tz_get("Test/Zone", &why);
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	assert_int_equal(sb_tz_offset(c, 2000000), 10800);
	assert_int_equal(sb_tz_offset(a, 2000000), 7200); /* the old one still works */

	assert_null(sb_tz_get("Nope/Nope", &why));
	assert_string_equal(why, "no such zone");
	assert_null(sb_tz_get("Test", &why)); /* a directory */
	assert_string_equal(why, "no such zone");
	assert_null(sb_tz_get("junk", &why));
	assert_string_equal(why, "not a TZif file");
	assert_null(sb_tz_get("../etc/passwd", &why));
	assert_string_equal(why, "not a zone name");
	assert_null(sb_tz_get("/etc/passwd", &why));
	assert_null(sb_tz_get("Test/../Test/Zone", &why));
	assert_null(sb_tz_get("", &why));
	assert_null(sb_tz_get(NULL, NULL));

	unlink(p);
	snprintf(p, sizeof(p), "%s/junk", tzdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/Test", tzdir);
	rmdir(p);
	rmdir(tzdir);
	unsetenv("TZDIR");
}

static void
test_calendar(void **state)
{
	int64_t y;
	unsigned m, d;

	assert_int_equal(sb_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(sb_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(sb_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(sb_weekday_from_days(0), 4);          /* Thursday */
	assert_int_equal(sb_weekday_from_days(-1), 3);
	assert_int_equal(sb_weekday_from_days(sb_days_from_civil(2026, 11, 23)), 1);
	for (int64_t days = -800000; days < 800000; days += 997) {
		sb_civil_from_days(days, &y, &m, &d);
		assert_int_equal(sb_days_from_civil(y, m, d), days);
	}
	sb_civil_from_days(sb_days_from_civil(2024, 2, 29), &y, &m, &d);
	assert_true(y == 2024 && m == 2 && d == 29);
}

static int
teardown(void **state)
{
	sb_tz_cache_clear();
	return 0;
}

/* Instants far beyond any calendar (a TZif file may name them): no overflow (fuzz_tz). */
static void
test_rule_at_extreme_instants(void **state)
{
	const char *why = NULL;
	struct sb_tz *tz = sb_tz_from_posix("CET-1CEST,M3.5.0,M10.5.0/3", &why);
	int32_t off;

	assert_non_null(tz);
	off = sb_tz_offset(tz, INT64_MAX - 10);
	assert_true(off == 3600 || off == 7200);
	off = sb_tz_offset(tz, INT64_MIN + 10);
	assert_true(off == 3600 || off == 7200);
	off = sb_tz_offset(tz, (int64_t)106751991167351 * 1000);
	assert_true(off == 3600 || off == 7200);
	assert_true(sb_tz_next_change(tz, INT64_MAX / 2) == INT64_MAX);
	assert_true(sb_tz_next_change(tz, INT64_MIN + 10) > INT64_MIN + 10);
	/* Ordinary instants are untouched: 2026-07-01 is summer time in Berlin. */
	assert_int_equal(sb_tz_offset(tz, 1782864000), 7200);
	sb_tz_free(tz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_real_zones_match_glibc),
		cmocka_unit_test(test_known_offsets),
		cmocka_unit_test(test_posix_strings_match_glibc),
		cmocka_unit_test(test_posix_default_rules),
		cmocka_unit_test(test_posix_dst_all_year),
		cmocka_unit_test(test_posix_strings_refused),
		cmocka_unit_test(test_tzif_built),
		cmocka_unit_test(test_tzif_refused),
		cmocka_unit_test(test_tzif_out_of_order),
		cmocka_unit_test(test_cache_and_files),
		cmocka_unit_test(test_rule_at_extreme_instants),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
