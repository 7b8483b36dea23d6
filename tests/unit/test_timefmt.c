/*
 * test_timefmt.c - core/timefmt.c: ISO 8601 with offsets in, UTC out.
 * Expected values were computed independently (Python's datetime).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timefmt.h"

static int64_t
parse_ok(const char *s)
{
	int64_t ms = 12345;

	if (sb_parse_iso8601_ms(s, &ms) != 0)
		fail_msg("refused: '%s'", s);
	return ms;
}

static void
test_offsets(void **state)
{
	/* One instant, four spellings. */
	assert_int_equal(parse_ok("2026-11-23T18:00:00-03:00"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23T21:00:00Z"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23T21:00:00z"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23T18:00:00-0300"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-24T02:30:00+05:30"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23T21:00:00-00:00"), INT64_C(1795467600000));
	/* Seconds are optional; 't' and a space stand for 'T'. */
	assert_int_equal(parse_ok("2026-11-23T18:00-03:00"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23t21:00:00Z"), INT64_C(1795467600000));
	assert_int_equal(parse_ok("2026-11-23 21:00:00Z"), INT64_C(1795467600000));
}

static void
test_fractions(void **state)
{
	assert_int_equal(parse_ok("2024-02-29T12:34:56.789+05:30"), INT64_C(1709190296789));
	assert_int_equal(parse_ok("2026-11-23T21:00:00.5Z"), INT64_C(1795467600500));
	assert_int_equal(parse_ok("2026-11-23T21:00:00.05Z"), INT64_C(1795467600050));
	/* Beyond milliseconds: truncated, never rounded into the next second. */
	assert_int_equal(parse_ok("2026-11-23T21:00:00.999999Z"), INT64_C(1795467600999));
	assert_int_equal(parse_ok("2026-11-23T21:00:00,25Z"), INT64_C(1795467600250));
}

static void
test_calendar_edges(void **state)
{
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("1969-12-31T23:59:59.999Z"), -1);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), INT64_C(951782400000));
	assert_int_equal(parse_ok("0001-01-01T00:00:00Z"), INT64_C(-62135596800000));
	assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"2026-02-30T10:00:00Z",     /* no such day */
		"2026-02-29T10:00:00Z",     /* not a leap year */
		"1900-02-29T10:00:00Z",     /* century, not a leap year */
		"2026-04-31T10:00:00Z",
		"2026-13-01T10:00:00Z",
		"2026-00-10T10:00:00Z",
		"2026-11-00T10:00:00Z",
		"0000-01-01T00:00:00Z",
		"2026-11-23T24:00:00Z",
		"2026-11-23T23:60:00Z",
		"2026-11-23T23:59:60Z",     /* leap seconds are refused */
		"2026-11-23T18:00:00",      /* no offset: ambiguous */
		"2026-11-23",
		"2026-11-23T18",
		"2026-11-23T18:00:00+25:00",
		"2026-11-23T18:00:00+03:60",
		"2026-11-23T18:00:00+3:00",
		"2026-11-23T18:00:00+03:0",
		"2026-11-23T18:00:00+03",
		"2026-11-23T18:00:00+03:00x",
		"2026-11-23T18:00:00Zx",
		"2026-11-23T18:00:00.Z",    /* empty fraction */
		"2026-11-23T18:00:00 Z",
		"2026-11-23X18:00:00Z",
		"26-11-23T18:00:00Z",
		"2026-1-23T18:00:00Z",
		"2026/11/23T18:00:00Z",
		" 2026-11-23T18:00:00Z",
		"",
		"now",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 777;

		if (sb_parse_iso8601_ms(bad[i], &ms) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_int_equal(ms, 777);   /* untouched on error */
	}
	assert_int_equal(sb_parse_iso8601_ms(NULL, &(int64_t){ 0 }), -1);
}

/* Each refusal says what is wrong, in words a client can act on. */
static void
test_reasons(void **state)
{
	static const struct { const char *in, *why; } cases[] = {
		{ "2030-02-30T10:00:00Z", "is not a valid date" },
		{ "2030-13-01T10:00:00Z", "is not a valid date" },
		{ "2030-02-28T24:00:00Z", "is not a valid time of day" },
		{ "2030-02-28T10:00:00", "has no UTC offset" },
		{ "2030-02-28T10:00:00+25:00", "has an invalid UTC offset" },
		{ "tomorrow", "is not an ISO 8601 time" },
		/* Valid locally, but year 10000 in UTC: it could not be shown back. */
		{ "9999-12-31T23:00:00-23:59", "is outside the years 0001 to 9999 in UTC" },
		{ "0001-01-01T00:30:00+01:00", "is outside the years 0001 to 9999 in UTC" },
	};
	int64_t ms = 0;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		assert_int_equal(sb_parse_iso8601_why(cases[i].in, &ms, &why), -1);
		if (why == NULL || strstr(why, cases[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", cases[i].in, why ? why : "(null)",
			    cases[i].why);
	}
	assert_int_equal(sb_parse_iso8601_why("9999-12-31T23:59:59.999Z", &ms, &why), 0);
	assert_int_equal(sb_parse_iso8601_ms("9999-12-31T23:00:00-23:59", &ms), -1);
}

static void
test_format(void **state)
{
	char buf[32];

	assert_string_equal(sb_format_iso8601_ms(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000Z");
	assert_string_equal(sb_format_iso8601_ms(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999Z");
	assert_string_equal(sb_format_iso8601_ms(INT64_C(1795467600000), buf, sizeof(buf)),
	    "2026-11-23T21:00:00.000Z");
	assert_string_equal(sb_format_iso8601_ms(INT64_C(1709190296789), buf, sizeof(buf)),
	    "2024-02-29T07:04:56.789Z");
	/* A short buffer is truncated, never overrun. */
	assert_string_equal(sb_format_iso8601_ms(0, buf, 5), "1970");
}

static void
test_roundtrip(void **state)
{
	char buf[32];

	/* Every ~37 hours and ~13 ms across 1969..2100. */
	for (int64_t ms = INT64_C(-86400000) * 365; ms < INT64_C(4102444800000);
	    ms += INT64_C(133200013)) {
		int64_t back = 0;

		sb_format_iso8601_ms(ms, buf, sizeof(buf));
		assert_int_equal(sb_parse_iso8601_ms(buf, &back), 0);
		assert_int_equal(back, ms);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_calendar_edges),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
