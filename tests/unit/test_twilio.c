/*
 * test_twilio.c - the pure parts of the twilio channel (twilio_util.c) and
 * the shared callback-parameter code (plugins/common/webparams.c):
 * X-Twilio-Signature against twilio-python's own test vector and its URL
 * variants, the error-code and status tables, request building for
 * CreateMessage and FetchMessage (what `poll` sends), and answer reading.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "twilio_util.h"

static void
form(struct wp_list *l, const char *s)
{
	wp_clear(l);
	assert_int_equal(wp_parse_form(l, s, strlen(s)), 0);
	wp_sort(l);
}

/* ---- webparams ---- */

static void
test_form_parsing(void **state)
{
	struct wp_list l = { 0 };

	form(&l, "b=2&a=x+y%21&&c&a=0");
	assert_int_equal(l.n, 4);
	/* Sorted by name, then value. */
	assert_string_equal(l.v[0].name, "a");
	assert_string_equal(l.v[0].value, "0");
	assert_string_equal(l.v[1].value, "x y!");
	assert_string_equal(l.v[2].name, "b");
	assert_string_equal(l.v[3].name, "c");
	assert_string_equal(l.v[3].value, "");
	assert_string_equal(wp_get(&l, "b"), "2");
	assert_null(wp_get(&l, "z"));
	wp_clear(&l);
	/* Bad escapes, a NUL escape, an empty name: refused. */
	assert_int_equal(wp_parse_form(&l, "a=%zz", 5), -1);
	assert_int_equal(wp_parse_form(&l, "a=%4", 4), -1);
	assert_int_equal(wp_parse_form(&l, "a=x%00y", 7), -1);
	assert_int_equal(wp_parse_form(&l, "=1", 2), -1);
	wp_free(&l);
}

static void
test_form_limit_and_json(void **state)
{
	struct wp_list l = { 0 };
	char big[WP_MAX_PARAMS * 4 + 16];
	size_t i, o = 0;
	const char *j = "{\"s\":\"v\",\"n\":12,\"t\":true,\"z\":null}";

	for (i = 0; i <= WP_MAX_PARAMS; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "a=&");
	assert_int_equal(wp_parse_form(&l, big, o), -1);
	wp_free(&l);
	assert_int_equal(wp_parse_json(&l, j, strlen(j)), 0);
	wp_sort(&l);
	assert_string_equal(wp_get(&l, "s"), "v");
	assert_string_equal(wp_get(&l, "n"), "12");
	assert_string_equal(wp_get(&l, "t"), "true");
	assert_string_equal(wp_get(&l, "z"), "");
	wp_clear(&l);
	assert_int_equal(wp_parse_json(&l, "{\"a\":{\"b\":1}}", 13), -1);
	wp_clear(&l);
	assert_int_equal(wp_parse_json(&l, "[1]", 3), -1);
	assert_int_equal(wp_parse_json(&l, "{bad", 4), -1);
	assert_int_equal(wp_parse_json(&l, "{\"a\":\"x\\u0000y\"}", 16), -1);
	wp_free(&l);
}

static void
test_utf8_and_compare(void **state)
{
	assert_int_equal(wp_utf8_valid("ok \xc3\xa9 \xf0\x9f\x91\x8d", 10), 1);
	assert_int_equal(wp_utf8_valid("\xc0\xaf", 2), 0);         /* overlong */
	assert_int_equal(wp_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(wp_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(wp_utf8_valid("\xe2\x82", 2), 0);         /* truncated */
	assert_int_equal(wp_ct_equal("abc", 3, "abc", 3, 0), 1);
	assert_int_equal(wp_ct_equal("abd", 3, "abc", 3, 0), 0);
	assert_int_equal(wp_ct_equal("ab", 2, "abc", 3, 0), 0);
	assert_int_equal(wp_ct_equal("abcd", 4, "abc", 3, 0), 0);
	assert_int_equal(wp_ct_equal("6AF8", 4, "6af8", 4, 1), 1);
	assert_int_equal(wp_ct_equal("6AF8", 4, "6af8", 4, 0), 0);
}

/* ---- X-Twilio-Signature ---- */

#define VECTOR_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define VECTOR_FORM "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&" \
	"From=%2B14158675309&To=%2B18005551212"

static void
test_signature_vector(void **state)
{
	struct wp_list l = { 0 };
	char sig[TW_SIG_LEN + 1];

	form(&l, VECTOR_FORM);
	/* twilio-python tests/unit/test_request_validator.py */
	assert_int_equal(tw_signature("12345", VECTOR_URL, &l, sig), 0);
	assert_string_equal(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 1);
	/* Wrong token, a changed value, an extra parameter, no header, a cut header. */
	assert_int_equal(tw_signature_valid("12346", VECTOR_URL, &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 0);
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0, NULL), 0);
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8"), 0);
	form(&l, VECTOR_FORM "&Extra=1");
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 0);
	form(&l, "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1235&"
	    "From=%2B14158675309&To=%2B18005551212");
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 0);
	wp_free(&l);
}

static void
test_signature_url_variants(void **state)
{
	struct wp_list l = { 0 };

	form(&l, VECTOR_FORM);
	/* Signed without the port, called with :443 (and the other way round). */
	assert_int_equal(tw_signature_valid("12345",
	    "https://mycompany.com:443/myapp.php?foo=1&bar=2", &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 1);
	assert_int_equal(tw_signature_valid("12345", VECTOR_URL, &l, NULL, 0,
	    "kvajT1Ptam85bY51eRf/AJRuM3w="), 1);
	/* A different path or query is a different URL. */
	assert_int_equal(tw_signature_valid("12345",
	    "https://mycompany.com/myapp.php?foo=1&bar=3", &l, NULL, 0,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="), 0);
	/* Repeated names: each value, sorted, after the name. */
	form(&l, "b=0&a=2&a=1");
	assert_int_equal(tw_signature_valid("tok", "https://x.test/h", &l, NULL, 0,
	    "tiGsGK8xRlZgVhxfmKnQoouY/mI="), 1);
	wp_free(&l);
}

static void
test_signature_json_body_hash(void **state)
{
	static const char body[] = "{\"property\": \"value\", \"boolean\": true}";
	static const char url[] = "https://mycompany.com/myapp.php?bodySHA256="
	    "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
	struct wp_list none = { 0 };

	assert_int_equal(tw_signature_valid("12345", url, &none, body, strlen(body),
	    "y77kIzt2vzLz71DgmJGsen2scGs="), 1);
	/* The body is covered by its hash: change one byte and it fails. */
	assert_int_equal(tw_signature_valid("12345", url, &none, "{\"property\": \"valuE\","
	    " \"boolean\": true}", strlen(body), "y77kIzt2vzLz71DgmJGsen2scGs="), 0);
}

/* ---- tables ---- */

static void
test_error_table(void **state)
{
	static const struct {
		const char *code;
		enum sb_outcome want;
	} cases[] = {
		{ "21211", SB_OUT_UNDELIVERABLE }, { "21610", SB_OUT_UNDELIVERABLE },
		{ "21614", SB_OUT_UNDELIVERABLE }, { "21612", SB_OUT_UNDELIVERABLE },
		{ "21635", SB_OUT_UNDELIVERABLE }, { "21608", SB_OUT_FAILED },
		{ "21606", SB_OUT_FAILED }, { "21609", SB_OUT_FAILED }, { "20003", SB_OUT_FAILED },
		{ "20429", SB_OUT_TEMPORARY }, { "30001", SB_OUT_TEMPORARY },
		{ "30002", SB_OUT_FAILED }, { "30003", SB_OUT_TEMPORARY },
		{ "30004", SB_OUT_UNDELIVERABLE }, { "30005", SB_OUT_UNDELIVERABLE },
		{ "30006", SB_OUT_UNDELIVERABLE }, { "30007", SB_OUT_UNDELIVERABLE },
		{ "30008", SB_OUT_TEMPORARY },
	};
	enum sb_outcome o;
	const char *text;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tw_error_class(NULL, cases[i].code, &o, &text), 0);
		assert_int_equal(o, cases[i].want);
		assert_non_null(text);
	}
	assert_int_equal(tw_error_class(NULL, "99999", &o, &text), -1);
	assert_int_equal(tw_error_class(NULL, "", &o, &text), -1);
	assert_int_equal(tw_error_class(NULL, "3000x", &o, &text), -1);
	assert_null(tw_error_find(12345));
}

static void
test_failure_classification(void **state)
{
	struct tw_override err[] = { { "30007", SB_OUT_FAILED }, { "11111", SB_OUT_TEMPORARY } };
	struct tw_overrides ov = { .error = err, .nerror = 2 };

	assert_int_equal(tw_classify_failure(NULL, 400, "21211"), SB_OUT_UNDELIVERABLE);
	assert_int_equal(tw_classify_failure(NULL, 401, "20003"), SB_OUT_FAILED);
	assert_int_equal(tw_classify_failure(NULL, 429, "20429"), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(NULL, 429, ""), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(NULL, 503, ""), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(NULL, 408, ""), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(NULL, 0, ""), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(NULL, 400, "21999"), SB_OUT_FAILED);
	assert_int_equal(tw_classify_failure(NULL, 404, "20404"), SB_OUT_FAILED);
	/* The operator's error_map wins over the table and the HTTP status. */
	assert_int_equal(tw_classify_failure(&ov, 400, "11111"), SB_OUT_TEMPORARY);
	assert_int_equal(tw_classify_failure(&ov, 400, "21211"), SB_OUT_UNDELIVERABLE);
}

static void
test_status_mapping(void **state)
{
	static const struct {
		const char *status, *code;
		enum sb_outcome want;
	} cases[] = {
		{ "accepted", NULL, SB_OUT_ACCEPTED }, { "scheduled", NULL, SB_OUT_ACCEPTED },
		{ "queued", NULL, SB_OUT_ACCEPTED }, { "sending", NULL, SB_OUT_ACCEPTED },
		{ "sent", NULL, SB_OUT_ACCEPTED }, { "partially_delivered", NULL, SB_OUT_ACCEPTED },
		{ "delivered", NULL, SB_OUT_DELIVERED }, { "read", NULL, SB_OUT_READ },
		{ "undelivered", NULL, SB_OUT_UNDELIVERABLE }, { "failed", NULL, SB_OUT_FAILED },
		{ "canceled", NULL, SB_OUT_FAILED },
		/* The code refines failures: a receipt cannot retry, so temporary -> undeliverable. */
		{ "undelivered", "30003", SB_OUT_UNDELIVERABLE },
		{ "failed", "30001", SB_OUT_UNDELIVERABLE },
		{ "failed", "30005", SB_OUT_UNDELIVERABLE },
		{ "undelivered", "30002", SB_OUT_FAILED },
		{ "undelivered", "39999", SB_OUT_UNDELIVERABLE },
		{ "delivered", "30003", SB_OUT_DELIVERED },
	};
	struct tw_override st[] = { { "partially_delivered", SB_OUT_UNDELIVERABLE },
		{ "sent", SB_OUT_DELIVERED } };
	struct tw_overrides ov = { .status = st, .nstatus = 2 };
	enum sb_outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tw_status_outcome(NULL, cases[i].status, cases[i].code, &o), 0);
		assert_int_equal(o, cases[i].want);
	}
	assert_int_equal(tw_status_outcome(NULL, "teleported", NULL, &o), -1);
	assert_int_equal(tw_status_outcome(NULL, "received", NULL, &o), -1);
	assert_int_equal(tw_status_outcome(&ov, "partially_delivered", NULL, &o), 0);
	assert_int_equal(o, SB_OUT_UNDELIVERABLE);
	assert_int_equal(tw_status_outcome(&ov, "sent", NULL, &o), 0);
	assert_int_equal(o, SB_OUT_DELIVERED);
}

/* ---- requests ---- */

static void
test_request_building(void **state)
{
	struct sbp_buf b = { 0 };
	struct tw_create c = {
		.to = "+5511999990001", .from = "+15557122661", .body = "ol\xc3\xa1 & 1+1=2",
		.callback = "https://gw.example.com/hooks/tw", .validity_s = 600,
	};

	assert_int_equal(tw_create_url(&b, "https://api.twilio.com/",
	    "AC0123456789abcdef0123456789abcdef"), 0);
	assert_string_equal(b.p, "https://api.twilio.com/2010-04-01/Accounts/"
	    "AC0123456789abcdef0123456789abcdef/Messages.json");
	sbp_buf_clear(&b);
	/* What `poll` asks for. */
	assert_int_equal(tw_fetch_url(&b, "http://127.0.0.1:9",
	    "AC0123456789abcdef0123456789abcdef", "SM0123456789abcdef0123456789abcdef"), 0);
	assert_string_equal(b.p, "http://127.0.0.1:9/2010-04-01/Accounts/"
	    "AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json");
	sbp_buf_clear(&b);
	assert_int_equal(tw_create_body(&b, &c), 0);
	assert_string_equal(b.p, "To=%2B5511999990001&From=%2B15557122661"
	    "&Body=ol%C3%A1+%26+1%2B1%3D2"
	    "&StatusCallback=https%3A%2F%2Fgw.example.com%2Fhooks%2Ftw&ValidityPeriod=600");
	sbp_buf_clear(&b);
	c = (struct tw_create){ .to = "+1555", .service_sid = "MGx", .content_sid = "HXy",
		.content_vars = "{\"1\":\"a\"}" };
	assert_int_equal(tw_create_body(&b, &c), 0);
	assert_string_equal(b.p, "To=%2B1555&MessagingServiceSid=MGx&ContentSid=HXy"
	    "&ContentVariables=%7B%221%22%3A%22a%22%7D");
	sbp_buf_free(&b);
	assert_int_equal(tw_body_chars("a\xf0\x9f\x91\x8d" "b", 6), 3);
	assert_int_equal(tw_body_chars("a\xff", 2), -1);
	assert_int_equal(tw_sid_valid("AC0123456789abcdef0123456789abcdef", "AC"), 1);
	assert_int_equal(tw_sid_valid("AC0123456789abcdef0123456789abcdeg", "AC"), 0);
	assert_int_equal(tw_sid_valid("AC0123456789abcdef0123456789abcde", "AC"), 0);
	assert_int_equal(tw_message_sid_valid("MM0123456789ABCDEF0123456789abcdef"), 1);
	assert_int_equal(tw_message_sid_valid("SM0123456789abcdef0123456789abcdef/../x"), 0);
	assert_int_equal(tw_message_sid_valid(NULL), 0);
}

/* ---- answers ---- */

static void
test_parse_message(void **state)
{
	/* Shaped as the spec's CreateMessage example. */
	static const char created[] = "{\"account_sid\":\"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	    "\"api_version\":\"2010-04-01\",\"body\":\"Hello!\",\"date_created\":"
	    "\"Mon, 29 Nov 2021 22:40:10 +0000\",\"date_sent\":null,\"direction\":"
	    "\"outbound-api\",\"error_code\":null,\"error_message\":null,\"from\":\"+15557122661\","
	    "\"num_media\":\"0\",\"num_segments\":\"3\",\"price\":null,\"sid\":"
	    "\"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"queued\"}";
	static const char fetched[] = "{\"sid\":\"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	    "\"status\":\"undelivered\",\"error_code\":30003,\"error_message\":\"Unreachable\\n"
	    "destination handset\",\"num_segments\":\"0\"}";
	static const char e1[] = "{\"code\": 21211, \"message\": \"Invalid 'To'\","
	    " \"more_info\": \"https://www.twilio.com/docs/errors/21211\", \"status\": 400}";
	static const char e2[] = "{\"type\":\"t\",\"title\":\"x\",\"status\":429,"
	    "\"code\":20429,\"detail\":\"slow down\"}";
	struct tw_message m;
	char code[16], msg[64];

	assert_int_equal(tw_parse_message(created, strlen(created), &m), 0);
	assert_string_equal(m.sid, "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(m.status, "queued");
	assert_string_equal(m.error_code, "");
	assert_int_equal(m.segments, 3);
	assert_int_equal(tw_parse_message(fetched, strlen(fetched), &m), 0);
	assert_string_equal(m.error_code, "30003");
	assert_string_equal(m.error_message, "Unreachable destination handset");
	assert_int_equal(m.segments, 0);
	/* No sid, a sid that is not a plain token, not JSON: no id. */
	assert_int_equal(tw_parse_message("{\"status\":\"queued\"}", 19, &m), -1);
	assert_int_equal(tw_parse_message("{\"sid\":\"SM1/../x\"}", 18, &m), -1);
	assert_int_equal(tw_parse_message("<html>", 6, &m), -1);
	tw_parse_error(e1, strlen(e1), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "21211");
	assert_string_equal(msg, "Invalid 'To'");
	tw_parse_error(e2, strlen(e2), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "20429");
	assert_string_equal(msg, "slow down");
	tw_parse_error("Bad Gateway", 11, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	assert_string_equal(msg, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_parsing),
		cmocka_unit_test(test_form_limit_and_json),
		cmocka_unit_test(test_utf8_and_compare),
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_signature_url_variants),
		cmocka_unit_test(test_signature_json_body_hash),
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_failure_classification),
		cmocka_unit_test(test_status_mapping),
		cmocka_unit_test(test_request_building),
		cmocka_unit_test(test_parse_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
