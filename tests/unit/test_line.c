/*
 * test_line.c - the pure parts of the LINE channels (line_common.c): the
 * number hash of LINE notification messages, webhook signatures, LINE's
 * error and push answers, the status tables' lookup, users_file lines and
 * webhook bodies. Expected values were computed independently (Python
 * hashlib/hmac) or come from LINE's documentation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "line_common.h"

static void
test_e164(void **state)
{
	char out[LC_E164_MAX];

	(void)state;
	assert_int_equal(lc_e164("+818000001234", out, sizeof(out)), 0);
	assert_string_equal(out, "+818000001234");
	/* "no hyphens": separators are dropped before hashing. */
	assert_int_equal(lc_e164(" +81-80-0000-1234", out, sizeof(out)), 0);
	assert_string_equal(out, "+818000001234");
	assert_int_equal(lc_e164("+55 (11) 99999.0001", out, sizeof(out)), 0);
	assert_string_equal(out, "+5511999990001");
	assert_int_equal(lc_e164("+123456789012345", out, sizeof(out)), 0);
	assert_int_equal(lc_e164("+1234567890123456", out, sizeof(out)), -1); /* 16 digits */
	assert_int_equal(lc_e164("+1234567", out, sizeof(out)), -1);          /* 7 digits */
	assert_int_equal(lc_e164("818000001234", out, sizeof(out)), -1);      /* no + */
	assert_int_equal(lc_e164("+0818000001234", out, sizeof(out)), -1);
	assert_int_equal(lc_e164("+81800000123x", out, sizeof(out)), -1);
	assert_int_equal(lc_e164("", out, sizeof(out)), -1);
	assert_int_equal(lc_e164(NULL, out, sizeof(out)), -1);
	assert_int_equal(lc_e164("+818000001234", out, 8), -1);
}

static void
test_phone_hash(void **state)
{
	char h[LC_HASH_LEN + 1];

	(void)state;
	/* LINE's own example number; "+" included in what is hashed. */
	assert_int_equal(lc_phone_hash("+818000001234", h), 0);
	assert_string_equal(h, "d41e0ad70dddfeb68f149ad6fc61574b9c5780ab7bcb2fba5517771ffbb2409c");
	assert_int_equal(lc_phone_hash("+81-80-0000-1234", h), 0);
	assert_string_equal(h, "d41e0ad70dddfeb68f149ad6fc61574b9c5780ab7bcb2fba5517771ffbb2409c");
	assert_int_equal(lc_phone_hash("+5511999990001", h), 0);
	assert_string_equal(h, "ee9351a9a83f5e929121d6dc13f4fa05aa0fa6ce321e64f0eb6519c78224abed");
	assert_int_equal(lc_phone_hash("08000001234", h), -1);
}

static void
test_uuid_and_ids(void **state)
{
	(void)state;
	assert_true(lc_is_uuid("123e4567-e89b-12d3-a456-426614174000"));
	assert_true(lc_is_uuid("123E4567-E89B-12D3-A456-426614174000"));
	assert_false(lc_is_uuid("123e4567e89b12d3a456426614174000"));
	assert_false(lc_is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
	assert_false(lc_is_uuid("123e4567-e89b-12d3-a456-4266141740000"));
	assert_false(lc_is_uuid("123e4567-e89b-12d3-a456_426614174000"));
	assert_false(lc_is_uuid(""));
	assert_false(lc_is_uuid(NULL));

	assert_true(lc_is_line_id("U4af4980629a0b1c2d3e4f5a6b7c8d9e0"));
	assert_true(lc_is_line_id("Ca0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"));
	assert_true(lc_is_line_id("Ra0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"));
	assert_false(lc_is_line_id("U4AF4980629A0B1C2D3E4F5A6B7C8D9E0"));
	assert_false(lc_is_line_id("X4af4980629a0b1c2d3e4f5a6b7c8d9e0"));
	assert_false(lc_is_line_id("U4af4980629a0b1c2d3e4f5a6b7c8d9e"));
	assert_false(lc_is_line_id(NULL));
}

static void
test_signature(void **state)
{
	static const char body[] = "{\"destination\":\"U0\",\"events\":[]}";
	static const char good[] = "W3dP9Bhbu4pAfrrGKmS3sZ+m7GXhMWYtP0X+0oJHG4w=";
	char sig[LC_SIG_LEN + 1];

	(void)state;
	/* RFC 4231-style known answer: HMAC-SHA256("key", the fox). */
	assert_int_equal(lc_signature("key", 3, "The quick brown fox jumps over the lazy dog", 43,
	    sig), 0);
	assert_string_equal(sig, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
	assert_int_equal(lc_signature("channel-secret", 14, body, strlen(body), sig), 0);
	assert_string_equal(sig, good);

	assert_true(lc_signature_ok("channel-secret", 14, body, strlen(body), good));
	assert_false(lc_signature_ok("channel-secret", 14, body, strlen(body), NULL));
	assert_false(lc_signature_ok("channel-secret", 14, body, strlen(body), ""));
	assert_false(lc_signature_ok("channel-secreT", 14, body, strlen(body), good));
	/* One byte of the body changed, or the signature cut or padded. */
	assert_false(lc_signature_ok("channel-secret", 14, "{\"destination\":\"U1\",\"events\":[]}",
	    strlen(body), good));
	assert_false(lc_signature_ok("channel-secret", 14, body, strlen(body),
	    "W3dP9Bhbu4pAfrrGKmS3sZ+m7GXhMWYtP0X+0oJHG4w"));
	assert_false(lc_signature_ok("channel-secret", 14, body, strlen(body),
	    "W3dP9Bhbu4pAfrrGKmS3sZ+m7GXhMWYtP0X+0oJHG4w=="));
	assert_false(lc_signature_ok("channel-secret", 14, body, strlen(body),
	    "w3dP9Bhbu4pAfrrGKmS3sZ+m7GXhMWYtP0X+0oJHG4w="));
	/* An empty body has a signature too. */
	assert_int_equal(lc_signature("k", 1, "", 0, sig), 0);
	assert_true(lc_signature_ok("k", 1, "", 0, sig));
}

static void
test_error_text(void **state)
{
	char out[LC_TEXT_MAX];
	const char *b;

	(void)state;
	b = "{\"message\":\"The request body has 2 error(s)\",\"details\":[{\"message\":"
	    "\"May not be empty\",\"property\":\"messages[0].text\"},{\"message\":"
	    "\"Must be one of the following values: [text, image]\",\"property\":"
	    "\"messages[1].type\"}]}";
	assert_int_equal(lc_error_text(b, strlen(b), out, sizeof(out)), 0);
	assert_string_equal(out, "The request body has 2 error(s) (messages[0].text: May not be"
	    " empty; messages[1].type: Must be one of the following values: [text, image])");
	b = "{\"message\":\"You have reached your monthly limit.\"}";
	assert_int_equal(lc_error_text(b, strlen(b), out, sizeof(out)), 0);
	assert_string_equal(out, "You have reached your monthly limit.");
	/* Control characters never reach a log line; cut at the buffer. */
	b = "{\"message\":\"bad\\nline\"}";
	assert_int_equal(lc_error_text(b, strlen(b), out, sizeof(out)), 0);
	assert_string_equal(out, "bad line");
	assert_int_equal(lc_error_text(b, strlen(b), out, 4), 0);
	assert_string_equal(out, "bad");
	/* Not an ErrorResponse: a printable snippet, and -1. */
	b = "<html>502 Bad Gateway</html>\r\n";
	assert_int_equal(lc_error_text(b, strlen(b), out, sizeof(out)), -1);
	assert_string_equal(out, "<html>502 Bad Gateway</html>");
	assert_int_equal(lc_error_text("{\"msg\":1}", 9, out, sizeof(out)), -1);
	assert_int_equal(lc_error_text("", 0, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(lc_error_text(NULL, 0, out, sizeof(out)), -1);
}

static void
test_sent_id(void **state)
{
	char id[LC_ID_MAX];
	const char *b;

	(void)state;
	b = "{\"sentMessages\":[{\"id\":\"461230966842064897\",\"quoteToken\":\"IStG5h1Tz\"}]}";
	assert_int_equal(lc_sent_id(b, strlen(b), id, sizeof(id)), 0);
	assert_string_equal(id, "461230966842064897");
	/* A 409 body that carries the first request's messages. */
	b = "{\"message\":\"The retry key is already accepted\",\"sentMessages\":[{\"id\":\"77\"}]}";
	assert_int_equal(lc_sent_id(b, strlen(b), id, sizeof(id)), 0);
	assert_string_equal(id, "77");
	b = "{\"message\":\"The retry key is already accepted\"}";
	assert_int_equal(lc_sent_id(b, strlen(b), id, sizeof(id)), -1);
	assert_int_equal(lc_sent_id("{\"sentMessages\":[]}", 19, id, sizeof(id)), -1);
	assert_int_equal(lc_sent_id("{\"sentMessages\":[{\"id\":7}]}", 27, id, sizeof(id)), -1);
	assert_int_equal(lc_sent_id("{\"sentMessages\":[{\"id\":\"\"}]}", 28, id, sizeof(id)), -1);
	assert_int_equal(lc_sent_id("not json", 8, id, sizeof(id)), -1);
	assert_int_equal(lc_sent_id("{}", 2, id, sizeof(id)), -1);
	/* Too long to keep whole: none rather than a wrong one. */
	b = "{\"sentMessages\":[{\"id\":\"123456789\"}]}";
	assert_int_equal(lc_sent_id(b, strlen(b), id, 5), -1);
}

static void
test_quota(void **state)
{
	const char *q = "{\"message\":\"You have reached your monthly limit.\"}";
	const char *r = "{\"message\":\"The API rate limit has been exceeded. Try again later.\"}";

	(void)state;
	assert_true(lc_quota_exhausted(q, strlen(q), "monthly limit"));
	assert_true(lc_quota_exhausted(q, strlen(q), "MONTHLY LIMIT"));
	assert_false(lc_quota_exhausted(r, strlen(r), "monthly limit"));
	assert_false(lc_quota_exhausted("", 0, "monthly limit"));
	assert_false(lc_quota_exhausted("monthly limit", 13, "monthly limit"));
	assert_false(lc_quota_exhausted(q, strlen(q), ""));
}

static void
test_rules(void **state)
{
	static const struct lc_rule rules[] = {
		{ .lo = 200, .hi = 299, .outcome = SB_OUT_DELIVERED, .why = "ok" },
		{ .lo = 409, .hi = 409, .outcome = SB_OUT_DELIVERED, .why = "dup" },
		{ .lo = 429, .hi = 429, .outcome = SB_OUT_TEMPORARY, .quota = 1, .why = "limit" },
		{ .lo = 500, .hi = 599, .outcome = SB_OUT_TEMPORARY, .why = "5xx" },
	};
	static const struct lc_rule fb = { .outcome = SB_OUT_FAILED, .why = "other" };

	(void)state;
	assert_string_equal(lc_rule_find(rules, 4, 200, &fb)->why, "ok");
	assert_string_equal(lc_rule_find(rules, 4, 204, &fb)->why, "ok");
	assert_string_equal(lc_rule_find(rules, 4, 409, &fb)->why, "dup");
	assert_true(lc_rule_find(rules, 4, 429, &fb)->quota);
	assert_string_equal(lc_rule_find(rules, 4, 503, &fb)->why, "5xx");
	assert_ptr_equal(lc_rule_find(rules, 4, 400, &fb), &fb);
	assert_ptr_equal(lc_rule_find(rules, 4, 0, &fb), &fb);
	assert_ptr_equal(lc_rule_find(rules, 4, 302, &fb), &fb);
}

static void
test_users_line(void **state)
{
	char num[LC_E164_MAX], id[LC_USER_ID_LEN + 1], err[160];

	(void)state;
	assert_int_equal(lc_users_line("+5511999990001 U4af4980629a0b1c2d3e4f5a6b7c8d9e0\n", num,
	    id, err, sizeof(err)), 1);
	assert_string_equal(num, "+5511999990001");
	assert_string_equal(id, "U4af4980629a0b1c2d3e4f5a6b7c8d9e0");
	assert_int_equal(lc_users_line("\t+81-80-0000-1234\tU4af4980629a0b1c2d3e4f5a6b7c8d9e0",
	    num, id, err, sizeof(err)), 1);
	assert_string_equal(num, "+818000001234");
	assert_int_equal(lc_users_line("  +818000001234   U4af4980629a0b1c2d3e4f5a6b7c8d9e0  \r\n",
	    num, id, err, sizeof(err)), 1);
	assert_string_equal(num, "+818000001234");
	assert_int_equal(lc_users_line("\n", num, id, err, sizeof(err)), 0);
	assert_int_equal(lc_users_line("", num, id, err, sizeof(err)), 0);
	assert_int_equal(lc_users_line("   # a comment", num, id, err, sizeof(err)), 0);
	assert_int_equal(lc_users_line("+5511999990001\n", num, id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "two fields"));
	/* Spaces inside the number are fine: the id is the last field. */
	assert_int_equal(lc_users_line("+55 11 99999-0003 U4af4980629a0b1c2d3e4f5a6b7c8d9e0", num,
	    id, err, sizeof(err)), 1);
	assert_string_equal(num, "+5511999990003");
	assert_int_equal(lc_users_line("+5511999990001 U4af4980629a0b1c2d3e4f5a6b7c8d9e0 x", num,
	    id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'x' is not a LINE id"));
	assert_int_equal(lc_users_line("+5511999990001 # U4af4980629a0b1c2d3e4f5a6b7c8d9e0", num,
	    id, err, sizeof(err)), -1);
	assert_int_equal(lc_users_line("5511999990001 U4af4980629a0b1c2d3e4f5a6b7c8d9e0", num, id,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an E.164 number"));
	assert_int_equal(lc_users_line("+5511999990001 Ubad", num, id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a LINE id"));
}

/* The real tables: what each LINE answer means for an attempt. */
static const struct lc_rule *
push_rule(long status)
{
	return lc_rule_find(lc_push_rules, lc_push_nrules, status, &lc_rule_other);
}

static const struct lc_rule *
pnp_rule(long status)
{
	return lc_rule_find(lc_pnp_rules, lc_pnp_nrules, status, &lc_rule_other);
}

static void
test_push_mapping(void **state)
{
	(void)state;
	/* No receipts on push: accepted is delivered, with sentMessages[0].id. */
	assert_int_equal(push_rule(200)->outcome, SB_OUT_DELIVERED);
	assert_int_equal(push_rule(200)->id_from, LC_ID_SENT);
	/* 409: the same retry key was accepted before; never a second send. */
	assert_int_equal(push_rule(409)->outcome, SB_OUT_DELIVERED);
	assert_int_equal(push_rule(409)->id_from, LC_ID_SENT);
	assert_string_equal(push_rule(409)->id_header, "x-line-accepted-request-id");
	assert_true(push_rule(409)->already);
	assert_false(push_rule(200)->already);
	assert_int_equal(push_rule(400)->outcome, SB_OUT_FAILED);
	assert_int_equal(push_rule(401)->outcome, SB_OUT_FAILED);
	assert_int_equal(push_rule(403)->outcome, SB_OUT_FAILED);
	assert_int_equal(push_rule(404)->outcome, SB_OUT_FAILED);
	assert_int_equal(push_rule(422)->outcome, SB_OUT_FAILED);
	assert_int_equal(push_rule(429)->outcome, SB_OUT_TEMPORARY);
	assert_true(push_rule(429)->quota);
	assert_int_equal(push_rule(408)->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(push_rule(500)->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(push_rule(503)->outcome, SB_OUT_TEMPORARY);
	assert_false(push_rule(503)->quota);
	assert_int_equal(push_rule(302)->outcome, SB_OUT_FAILED);
}

static void
test_pnp_mapping(void **state)
{
	(void)state;
	/* 200 is accepted, not delivered: the completion event says delivered. */
	assert_int_equal(pnp_rule(200)->outcome, SB_OUT_ACCEPTED);
	assert_int_equal(pnp_rule(200)->id_from, LC_ID_KEY);
	assert_int_equal(pnp_rule(422)->outcome, SB_OUT_UNDELIVERABLE);
	assert_int_equal(pnp_rule(400)->outcome, SB_OUT_FAILED);
	assert_int_equal(pnp_rule(401)->outcome, SB_OUT_FAILED);
	assert_int_equal(pnp_rule(403)->outcome, SB_OUT_FAILED);
	/* PNP takes no retry key, so a 409 cannot mean "already accepted". */
	assert_int_equal(pnp_rule(409)->outcome, SB_OUT_FAILED);
	assert_int_equal(pnp_rule(429)->outcome, SB_OUT_TEMPORARY);
	assert_true(pnp_rule(429)->quota);
	assert_int_equal(pnp_rule(500)->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(pnp_rule(599)->outcome, SB_OUT_TEMPORARY);
}

struct seen {
	char data[4][LC_ID_MAX];
	int64_t at[4];
	int redelivery[4];
	int n;
};

static void
collect(void *arg, const char *data, int64_t at_ms, int redelivery)
{
	struct seen *s = arg;

	if (s->n < 4) {
		strcpy(s->data[s->n], data);
		s->at[s->n] = at_ms;
		s->redelivery[s->n] = redelivery;
	}
	s->n++;
}

#define EV_DELIVERY(tag, ts, redeliv)                                                   \
	"{\"type\":\"delivery\",\"delivery\":{\"data\":\"" tag "\"},\"mode\":\"active\","  \
	"\"timestamp\":" ts ",\"webhookEventId\":\"01H\",\"deliveryContext\":"            \
	"{\"isRedelivery\":" redeliv "},\"source\":{\"type\":\"user\",\"userId\":\"U1\"}}"

static int
parse(const char *body, struct seen *s, size_t *others, char *err)
{
	memset(s, 0, sizeof(*s));
	return lc_deliveries(body, strlen(body), collect, s, others, err, 160);
}

static void
test_deliveries(void **state)
{
	struct seen s;
	size_t others;
	char err[160];

	(void)state;
	assert_int_equal(parse("{\"destination\":\"U0\",\"events\":[" EV_DELIVERY("tag-1234567890abcdef",
	    "1700000000000", "false") "," "{\"type\":\"message\",\"message\":{\"type\":\"text\"}},"
	    EV_DELIVERY("tag-2", "1700000000001", "true") "]}", &s, &others, err), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(others, 1);
	assert_string_equal(s.data[0], "tag-1234567890abcdef");
	assert_int_equal(s.at[0], 1700000000000LL);
	assert_int_equal(s.redelivery[0], 0);
	assert_string_equal(s.data[1], "tag-2");
	assert_int_equal(s.redelivery[1], 1);

	/* LINE's connection check: no events at all. */
	assert_int_equal(parse("{\"destination\":\"U0\",\"events\":[]}", &s, &others, err), 0);
	assert_int_equal(s.n, 0);

	/* Anything malformed rejects the whole body before any receipt. */
	assert_int_equal(parse("{\"events\":[" EV_DELIVERY("ok-tag", "1", "false") ","
	    "{\"type\":\"delivery\",\"delivery\":{}}]}", &s, &others, err), -1);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err, "event 1"));
	assert_int_equal(parse("{\"events\":[{\"type\":\"delivery\",\"delivery\":{\"data\":\"t\"},"
	    "\"timestamp\":\"soon\"}]}", &s, &others, err), -1);
	assert_non_null(strstr(err, "timestamp"));
	assert_int_equal(parse("{\"events\":[{\"type\":\"delivery\",\"delivery\":{\"data\":\"\"},"
	    "\"timestamp\":1}]}", &s, &others, err), -1);
	assert_int_equal(parse("{\"events\":[42]}", &s, &others, err), -1);
	assert_int_equal(parse("{\"events\":[{\"type\":7}]}", &s, &others, err), -1);
	assert_int_equal(parse("{\"events\":{}}", &s, &others, err), -1);
	assert_non_null(strstr(err, "events"));
	assert_int_equal(parse("{\"destination\":\"U0\"}", &s, &others, err), -1);
	assert_int_equal(parse("[1,2]", &s, &others, err), -1);
	assert_int_equal(parse("{\"events\":[", &s, &others, err), -1);
	assert_int_equal(parse("", &s, &others, err), -1);
	/* Duplicate keys are ambiguous: which data would LINE mean? */
	assert_int_equal(parse("{\"events\":[],\"events\":[]}", &s, &others, err), -1);
	assert_int_equal(s.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_phone_hash),
		cmocka_unit_test(test_uuid_and_ids),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_sent_id),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_push_mapping),
		cmocka_unit_test(test_pnp_mapping),
		cmocka_unit_test(test_users_line),
		cmocka_unit_test(test_deliveries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
