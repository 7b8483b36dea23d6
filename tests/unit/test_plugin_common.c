/*
 * test_plugin_common.c - plugins/common, the support library every channel
 * links: Retry-After per RFC 9110 (delay-seconds and the three HTTP-date
 * forms), form and query lookup (bad escapes, NULs, sizes), constant-time
 * comparison, the default outcome of an HTTP status, escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sbp_buf.h"
#include "sbp_chan.h"
#include "sbp_http.h"
#include "webparams.h"

static void
test_retry_after_delay_seconds(void **state)
{
	time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	assert_int_equal(sbp_retry_after("120", now), 120);
	assert_int_equal(sbp_retry_after(" 7 ", now), 7);
	assert_int_equal(sbp_retry_after("\t0\t", now), 0);
	assert_int_equal(sbp_retry_after("99999999999999", now), INT32_MAX);
	assert_int_equal(sbp_retry_after(NULL, now), -1);
	assert_int_equal(sbp_retry_after("", now), -1);
	assert_int_equal(sbp_retry_after("   ", now), -1);
	assert_int_equal(sbp_retry_after("soon", now), -1);
	assert_int_equal(sbp_retry_after("-5", now), -1);
	assert_int_equal(sbp_retry_after("+5", now), -1);
	assert_int_equal(sbp_retry_after("12abc", now), -1);
	assert_int_equal(sbp_retry_after("12s", now), -1);
	assert_int_equal(sbp_retry_after("1.5", now), -1);
	assert_int_equal(sbp_retry_after("1 2", now), -1);
}

static void
test_retry_after_http_dates(void **state)
{
	time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	int64_t t;

	/* The three forms of RFC 9110 5.6.7, all the same instant. */
	assert_int_equal(sbp_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(sbp_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(sbp_http_date("Sun Nov  6 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777);

	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30);
	assert_int_equal(sbp_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now), 86400);
	assert_int_equal(sbp_retry_after("Sunday, 06-Nov-94 08:50:07 GMT", now), 30);
	assert_int_equal(sbp_retry_after("Sun Nov  6 08:50:07 1994", now), 30);
	assert_int_equal(sbp_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now), 0); /* past */
	assert_int_equal(sbp_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800), 0);
	assert_int_equal(sbp_retry_after(" Sun, 06 Nov 1994 08:50:07 GMT ", now), 30);

	/* Malformed dates. */
	assert_int_equal(sbp_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now), -1);
	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994 08:49:37 PST", now), -1);
	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994 08:49:37 GMT junk", now), -1);
	assert_int_equal(sbp_retry_after("Sun, 31 Nov 1994 08:49:37 GMT", now), -1);
	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994 24:49:37 GMT", now), -1);
	assert_int_equal(sbp_retry_after("Xyz, 06 Nov 1994 08:49:37 GMT", now), -1);
	assert_int_equal(sbp_retry_after("06 Nov 1994 08:49:37 GMT", now), -1);
	assert_int_equal(sbp_retry_after("Sun Nov  6 08:49:37 1994 x", now), -1);
	assert_int_equal(sbp_retry_after("Sun, 06 Nov 1994", now), -1);
	assert_int_equal(sbp_http_date("Sunday, 06-Nov-94 08:49:37", &t), -1);
}

static void
test_http_outcome(void **state)
{
	assert_int_equal(sbp_http_outcome(200), SB_OUT_ACCEPTED);
	assert_int_equal(sbp_http_outcome(202), SB_OUT_ACCEPTED);
	assert_int_equal(sbp_http_outcome(0), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(408), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(425), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(429), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(500), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(503), SB_OUT_TEMPORARY);
	assert_int_equal(sbp_http_outcome(301), SB_OUT_FAILED);
	assert_int_equal(sbp_http_outcome(400), SB_OUT_FAILED);
	assert_int_equal(sbp_http_outcome(401), SB_OUT_FAILED);
	assert_int_equal(sbp_http_outcome(404), SB_OUT_FAILED);
	assert_int_equal(sbp_http_outcome(100), SB_OUT_FAILED);
	assert_int_equal(sbp_http_outcome(600), SB_OUT_FAILED);
}

static void
test_form_get(void **state)
{
	const char *q = "id=m1-a1&status=1&err=id%3A12+stat%3ADELIVRD&empty=&flag&"
	    "hub.verify_token=a%20b+c%2Fd&na%6De=x";
	char out[64];

	assert_int_equal(wp_form_get(q, strlen(q), "id", out, sizeof(out)), 1);
	assert_string_equal(out, "m1-a1");
	assert_int_equal(wp_form_get(q, strlen(q), "err", out, sizeof(out)), 1);
	assert_string_equal(out, "id:12 stat:DELIVRD");
	assert_int_equal(wp_form_get(q, strlen(q), "empty", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(wp_form_get(q, strlen(q), "flag", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(wp_form_get(q, strlen(q), "hub.verify_token", out, sizeof(out)), 1);
	assert_string_equal(out, "a b c/d");
	assert_int_equal(wp_form_get(q, strlen(q), "name", out, sizeof(out)), 1); /* decoded name */
	assert_string_equal(out, "x");
	assert_int_equal(wp_form_get(q, strlen(q), "missing", out, sizeof(out)), 0);
	assert_int_equal(wp_form_get(q, strlen(q), "hub", out, sizeof(out)), 0);
	assert_int_equal(wp_form_get(q, strlen(q), "err", out, 5), -1); /* too long */
	assert_int_equal(wp_form_get("", 0, "x", out, sizeof(out)), 0);
	assert_int_equal(wp_form_get(NULL, 0, "x", out, sizeof(out)), 0);
	/* Bad escapes and NULs are malformed, not passed through. */
	assert_int_equal(wp_form_get("x=%00", 5, "x", out, sizeof(out)), -1);
	assert_int_equal(wp_form_get("x=1%", 4, "x", out, sizeof(out)), -1);
	assert_int_equal(wp_form_get("a=%G1", 5, "a", out, sizeof(out)), -1);
	assert_int_equal(wp_form_get("a=%2&b=1", 8, "a", out, sizeof(out)), -1);
	assert_int_equal(wp_form_get("bad=%zz", 7, "bad", out, sizeof(out)), -1);
	/* Not NUL-terminated input: the length is the limit. */
	assert_int_equal(wp_form_get("a=12345", 4, "a", out, sizeof(out)), 1);
	assert_string_equal(out, "12");
}

static void
test_ct_equal(void **state)
{
	assert_true(wp_ct_equal("abc", 3, "abc", 3, 0));
	assert_false(wp_ct_equal("abd", 3, "abc", 3, 0));
	assert_false(wp_ct_equal("ab", 2, "abc", 3, 0));
	assert_false(wp_ct_equal("abcd", 4, "abc", 3, 0));
	assert_false(wp_ct_equal("", 0, "abc", 3, 0));
	assert_false(wp_ct_equal("ABC", 3, "abc", 3, 0));
	assert_true(wp_ct_equal("ABC", 3, "abc", 3, 1));
}

static void
test_escape(void **state)
{
	struct sbp_buf b = { 0 };

	assert_int_equal(sbp_escape(&b, "a b&c", 5, SBP_ESC_FORM), 0);
	assert_string_equal(b.p, "a+b%26c");
	sbp_buf_clear(&b);
	assert_int_equal(sbp_escape(&b, "a b/c", 5, SBP_ESC_URL), 0);
	assert_string_equal(b.p, "a%20b%2Fc");
	sbp_buf_clear(&b);
	assert_int_equal(sbp_escape(&b, "x\r\ny", 4, SBP_ESC_HEADER), 0);
	assert_string_equal(b.p, "x  y");
	/* Appended; RFC 3986's unreserved kept, any other byte (UTF-8's) encoded. */
	assert_int_equal(sbp_escape(&b, "-._~\xc3\xa9 ", 7, SBP_ESC_URL), 0);
	assert_string_equal(b.p, "x  y-._~%C3%A9%20");
	sbp_buf_clear(&b);
	assert_int_equal(sbp_escape(&b, "\xc3\xa9\t", 3, SBP_ESC_HEADER), 0);
	assert_string_equal(b.p, "\xc3\xa9\t");
	/* Past the buffer's first size: it grows once for the whole field. */
	sbp_buf_clear(&b);
	{
		char many[1000];
		size_t i;

		memset(many, '&', sizeof(many));
		assert_int_equal(sbp_escape(&b, many, sizeof(many), SBP_ESC_FORM), 0);
		assert_int_equal(b.len, 3 * sizeof(many));
		for (i = 0; i < b.len; i += 3)
			assert_memory_equal(b.p + i, "%26", 3);
		assert_int_equal(b.p[b.len], '\0');
	}
	sbp_buf_free(&b);
	assert_null(b.p);
}

static void
test_outcome_words(void **state)
{
	enum sb_outcome o;

	assert_int_equal(sbp_outcome_parse("delivered", &o), 0);
	assert_int_equal(o, SB_OUT_DELIVERED);
	assert_int_equal(sbp_outcome_parse("Expired", &o), 0);
	assert_int_equal(o, SB_OUT_EXPIRED);
	assert_int_equal(sbp_outcome_parse("sent", &o), -1);
	assert_int_equal(sbp_outcome_parse("temporary", &o), -1);
	assert_int_equal(sbp_outcome_parse("", &o), -1);
	assert_int_equal(sbp_outcome_parse(NULL, &o), -1);
	assert_string_equal(sbp_outcome_name(SB_OUT_UNDELIVERABLE), "undeliverable");
	assert_string_equal(sbp_outcome_name(SB_OUT_TEMPORARY), "temporary");
	assert_string_equal(sbp_outcome_name((enum sb_outcome)99), "?");
}

static void
test_snippet(void **state)
{
	char out[8];

	sbp_snippet(out, sizeof(out), "a\nb\x01\xc3\xa9  ", 9);
	assert_string_equal(out, "a b");
	sbp_snippet(out, sizeof(out), "0123456789", 10);
	assert_string_equal(out, "0123456");
	sbp_snippet(out, sizeof(out), "", 0);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_delay_seconds),
		cmocka_unit_test(test_retry_after_http_dates),
		cmocka_unit_test(test_http_outcome),
		cmocka_unit_test(test_form_get),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_outcome_words),
		cmocka_unit_test(test_snippet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
