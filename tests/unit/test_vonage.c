/*
 * test_vonage.c - the pure parts of the vonage channel: request and
 * webhook signatures (the SDK's test vector and every HMAC method),
 * GSM 03.38 detection and part counting at the boundaries, the send
 * answer, the status tables, and the tracker that folds the receipts of a
 * long text's parts into one outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbp_sms.h"
#include "vonage_util.h"

static void
form(struct wp_list *l, const char *s)
{
	wp_clear(l);
	assert_int_equal(wp_parse_form(l, s, strlen(s)), 0);
	wp_sort(l);
}

/* ---- signatures ---- */

static void
test_signature_methods(void **state)
{
	static const struct {
		const char *method, *want;
	} cases[] = {
		/* md5hash: the Vonage SDK's own test vector. */
		{ "md5hash", "6af838ef94998832dbfc29020b564830" },
		{ "md5", "c15c21ced558c93a226c305f58f902f2" },
		{ "sha1", "3e19a4e6880fdc2c1426bfd0587c98b9532f0210" },
		{ "sha256", "a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24" },
		{ "sha512", "812a18f76680fa0fe1b8bd9ee1625466ceb1bd96242e4d050d2cfd9a7b40166c"
		    "63ed26ec9702168781b6edcf1633db8ff95af9341701004eec3fcf9550572ee8" },
	};
	struct wp_list l = { 0 };
	enum vg_sig_method m;
	char sig[129], buf[300];
	size_t i;

	form(&l, "timestamp=1461605396&b=2&a=1");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(vg_sig_method_parse(cases[i].method, &m), 0);
		assert_int_equal(vg_sign(m, "secret", &l, sig, sizeof(sig)), 0);
		assert_string_equal(sig, cases[i].want);
		/* Verification: any case, `sig` itself not signed. */
		snprintf(buf, sizeof(buf), "timestamp=1461605396&b=2&a=1&sig=%s", cases[i].want);
		form(&l, buf);
		assert_int_equal(vg_sig_valid(m, "secret", &l), 1);
		assert_int_equal(vg_sig_valid(m, "Secret", &l), 0);
		form(&l, "timestamp=1461605396&b=2&a=1");
		assert_int_equal(vg_sig_valid(m, "secret", &l), 0); /* no sig at all */
	}
	assert_int_equal(vg_sig_method_parse("sha3", &m), -1);
	/* Upper-case hex, as Vonage's own example shows it. */
	form(&l, "timestamp=1461605396&b=2&a=1&sig=6AF838EF94998832DBFC29020B564830");
	assert_int_equal(vg_sig_valid(VG_SIG_MD5HASH, "secret", &l), 1);
	/* '&' and '=' inside values are signed as '_'. */
	form(&l, "a=x%26y%3Dz&b=2&timestamp=1");
	assert_int_equal(vg_sign(VG_SIG_MD5HASH, "secret", &l, sig, sizeof(sig)), 0);
	assert_string_equal(sig, "c88263fd7e6c68b23610ae948d5021ad");
	/* A changed value breaks it. */
	form(&l, "timestamp=1461605396&b=3&a=1&sig=6af838ef94998832dbfc29020b564830");
	assert_int_equal(vg_sig_valid(VG_SIG_MD5HASH, "secret", &l), 0);
	assert_int_equal(vg_sign(VG_SIG_SHA512, "secret", &l, sig, 64), -1); /* too small */
	wp_free(&l);
}

/* ---- text ---- */

static void
info(const char *s, int unicode, int parts, size_t units)
{
	struct sbp_sms_text t;

	assert_int_equal(sbp_sms_text_info(s, strlen(s), 0, &t), 0);
	assert_int_equal(t.unicode, unicode);
	assert_int_equal(t.parts, parts);
	assert_int_equal(t.units, units);
}

static char *
repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(ul * n + tl + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * n, tail, tl + 1);
	return s;
}

static char *
join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static void
test_text_parts(void **state)
{
	struct sbp_sms_text bad;
	char *s, *t;

	info("", 0, 1, 0);
	info("code 1234 @ \xc2\xa3" "5 \xc3\xa9 \xce\x94", 0, 1, 18);      /* @ £ é Δ: GSM */
	info("{x} \xe2\x82\xac", 0, 1, 8);                               /* { } €: 2 septets each */
	info("`", 1, 1, 1);                                              /* backtick is not GSM */
	info("^[]\\~|", 0, 1, 12);                                       /* the extension table's ASCII */
	info("a\nb\r\f", 0, 1, 6);                                       /* \f: the extension's */
	info("\x01", 1, 1, 1);                                           /* a control character is not GSM */
	info("ol\xc3\xa1", 1, 1, 3);                                     /* á is not GSM */
	info("\xf0\x9f\x91\x8d", 1, 1, 2);                               /* 👍: a surrogate pair */
	s = repeat("a", 160, "");
	info(s, 0, 1, 160);
	free(s);
	s = repeat("a", 161, "");
	info(s, 0, 2, 161);
	free(s);
	s = repeat("a", 306, "");
	info(s, 0, 2, 306);
	free(s);
	s = repeat("a", 307, "");
	info(s, 0, 3, 307);
	free(s);
	/* An escaped character is never split: 152 + "{" does not fit in 153. */
	s = repeat("a", 152, "{bbbbbbbbbb");
	info(s, 0, 2, 164);
	free(s);
	t = repeat("a", 152, "");
	s = join(t, "{", t);          /* 306 septets would fit 2 parts, but "{" moves on */
	info(s, 0, 3, 306);
	free(s);
	free(t);
	t = repeat("a", 153, "");     /* the same count without the escape: 2 parts */
	s = join(t, "", t);
	info(s, 0, 2, 306);
	free(s);
	free(t);
	s = repeat("\xce\xa9", 70, "");  /* Ω is GSM: 70 septets */
	info(s, 0, 1, 70);
	free(s);
	s = repeat("\xd0\x96", 70, "");  /* Ж: UCS-2, 70 fits one part */
	info(s, 1, 1, 70);
	free(s);
	s = repeat("\xd0\x96", 71, "");
	info(s, 1, 2, 71);
	free(s);
	s = repeat("\xd0\x96", 134, "");
	info(s, 1, 2, 134);
	free(s);
	s = repeat("\xd0\x96", 135, "");
	info(s, 1, 3, 135);
	free(s);
	/* A surrogate pair is never split: 66 + a pair does not fit in 67. */
	t = repeat("\xd0\x96", 66, "");
	s = join(t, "\xf0\x9f\x91\x8d", t);
	info(s, 1, 3, 134);
	free(s);
	free(t);
	assert_int_equal(sbp_sms_text_info("a\xc3", 2, 0, &bad), -1);
}

/* ---- the send answer ---- */

static void
test_parse_answer(void **state)
{
	static const char one[] = "{\"message-count\":\"1\",\"messages\":[{\"to\":\"447700900000\","
	    "\"message-id\":\"0A0000000123ABCD1\",\"status\":\"0\",\"remaining-balance\":"
	    "\"3.14159265\",\"message-price\":\"0.03330000\",\"network\":\"12345\","
	    "\"client-ref\":\"my-personal-reference\"}]}";
	static const char three[] = "{\"message-count\":\"3\",\"messages\":["
	    "{\"message-id\":\"A1\",\"status\":\"0\"},{\"message-id\":\"A2\",\"status\":\"0\"},"
	    "{\"status\":\"1\",\"error-text\":\"Throughput Rate Exceeded\"}]}";
	static const char err[] = "{\"message-count\":\"1\",\"messages\":[{\"status\":\"2\","
	    "\"error-text\":\"Missing to param\"}]}";
	struct vg_answer *a = malloc(sizeof(*a));

	assert_int_equal(vg_parse_answer(one, strlen(one), a), 0);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->nparts, 1);
	assert_string_equal(a->parts[0].status, "0");
	assert_string_equal(a->parts[0].id, "0A0000000123ABCD1");
	assert_int_equal(vg_parse_answer(three, strlen(three), a), 0);
	assert_int_equal(a->count, 3);
	assert_string_equal(a->parts[1].id, "A2");
	assert_string_equal(a->parts[2].status, "1");
	assert_string_equal(a->parts[2].error, "Throughput Rate Exceeded");
	assert_int_equal(vg_parse_answer(err, strlen(err), a), 0);
	assert_string_equal(a->parts[0].status, "2");
	assert_string_equal(a->parts[0].id, "");
	/* Not JSON, no messages, an item without status: unreadable. */
	assert_int_equal(vg_parse_answer("OK", 2, a), -1);
	assert_int_equal(vg_parse_answer("{\"messages\":[]}", 15, a), -1);
	assert_int_equal(vg_parse_answer("{\"messages\":[{\"message-id\":\"x\"}]}", 33, a), -1);
	free(a);
}

/* ---- tables ---- */

static void
test_tables(void **state)
{
	static const struct {
		const char *code;
		enum sb_outcome want;
	} sends[] = {
		{ "1", SB_OUT_TEMPORARY }, { "2", SB_OUT_FAILED }, { "3", SB_OUT_FAILED },
		{ "4", SB_OUT_FAILED }, { "5", SB_OUT_TEMPORARY }, { "6", SB_OUT_UNDELIVERABLE },
		{ "7", SB_OUT_UNDELIVERABLE }, { "8", SB_OUT_FAILED }, { "9", SB_OUT_FAILED },
		{ "10", SB_OUT_TEMPORARY }, { "11", SB_OUT_FAILED }, { "12", SB_OUT_FAILED },
		{ "14", SB_OUT_FAILED }, { "15", SB_OUT_FAILED }, { "22", SB_OUT_FAILED },
		{ "23", SB_OUT_FAILED }, { "29", SB_OUT_FAILED }, { "32", SB_OUT_FAILED },
		{ "33", SB_OUT_UNDELIVERABLE },
	};
	static const struct {
		const char *status;
		enum sb_outcome want;
	} dlrs[] = {
		{ "delivered", SB_OUT_DELIVERED }, { "expired", SB_OUT_EXPIRED },
		{ "failed", SB_OUT_UNDELIVERABLE }, { "rejected", SB_OUT_UNDELIVERABLE },
		{ "accepted", SB_OUT_ACCEPTED }, { "buffered", SB_OUT_ACCEPTED },
		{ "unknown", SB_OUT_EXPIRED },
	};
	enum sb_outcome o;
	int temp;
	size_t i;

	for (i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		assert_non_null(vg_send_status(sends[i].code));
		assert_int_equal(vg_send_status(sends[i].code)->outcome, sends[i].want);
	}
	assert_null(vg_send_status("13"));
	assert_null(vg_send_status("0x1"));
	assert_null(vg_send_status(""));
	for (i = 0; i < sizeof(dlrs) / sizeof(dlrs[0]); i++) {
		assert_int_equal(vg_dlr_outcome(dlrs[i].status, &o), 0);
		assert_int_equal(o, dlrs[i].want);
	}
	assert_int_equal(vg_dlr_outcome("DELIVERED", &o), -1);
	assert_string_equal(vg_dlr_error("2", &temp), "absent subscriber (temporary)");
	assert_int_equal(temp, 1);
	assert_string_equal(vg_dlr_error("14", &temp), "number blocked by carrier");
	assert_int_equal(temp, 0);
	assert_null(vg_dlr_error("99", &temp));
	assert_int_equal(vg_timestamp_ms("2020-01-01 12:00:00"), 1577880000000LL);
	assert_int_equal(vg_timestamp_ms("2020-01-01T12:00:00Z"), 0);
	assert_int_equal(vg_timestamp_ms(NULL), 0);
}

/* ---- the part tracker ---- */

static enum vg_verdict
rcpt(struct vg_tracker *t, const char *ref, const char *id, enum sb_outcome o, int64_t now,
    enum sb_outcome *out, char *refout)
{
	int part = -1, nparts = -1;

	return vg_tracker_receipt(t, ref, id, o, now, out, refout, VG_REF_MAX + 1, &part, &nparts);
}

static void
test_tracker_all_parts_delivered(void **state)
{
	const char *ids[] = { "P1", "P2", "P3" };
	struct vg_tracker *t = vg_tracker_new(10, 1000);
	enum sb_outcome out = 0;
	char ref[VG_REF_MAX + 1];

	assert_int_equal(vg_tracker_add(t, "ref-1", ids, 3, 0), 0);
	assert_int_equal(vg_tracker_add(t, "ref-single", ids, 1, 0), 0); /* not tracked */
	assert_int_equal(vg_tracker_count(t), 1);
	assert_int_equal(rcpt(t, "ref-single", "P9", SB_OUT_DELIVERED, 1, &out, ref), VG_UNTRACKED);
	assert_int_equal(rcpt(t, "ref-1", "P2", SB_OUT_DELIVERED, 1, &out, ref), VG_PENDING);
	assert_string_equal(ref, "ref-1");
	assert_int_equal(rcpt(t, "ref-1", "P2", SB_OUT_DELIVERED, 1, &out, ref), VG_PENDING);
	assert_int_equal(rcpt(t, "ref-1", "P1", SB_OUT_ACCEPTED, 1, &out, ref), VG_PENDING);
	assert_int_equal(rcpt(t, "ref-1", "P1", SB_OUT_DELIVERED, 1, &out, ref), VG_PENDING);
	/* Found by its part id alone (a receipt without client-ref). */
	assert_int_equal(rcpt(t, NULL, "P3", SB_OUT_DELIVERED, 1, &out, ref), VG_REPORT);
	assert_int_equal(out, SB_OUT_DELIVERED);
	assert_string_equal(ref, "ref-1");
	assert_int_equal(vg_tracker_count(t), 0);
	vg_tracker_free(t);
}

static void
test_tracker_failed_part_decides(void **state)
{
	const char *ids[] = { "Q1", "Q2" };
	struct vg_tracker *t = vg_tracker_new(10, 1000);
	enum sb_outcome out = 0;
	char ref[VG_REF_MAX + 1];
	int part = 0, nparts = 0;

	assert_int_equal(vg_tracker_add(t, "ref-2", ids, 2, 0), 0);
	assert_int_equal(vg_tracker_receipt(t, "ref-2", "Q2", SB_OUT_UNDELIVERABLE, 1, &out, ref,
	    sizeof(ref), &part, &nparts), VG_REPORT);
	assert_int_equal(out, SB_OUT_UNDELIVERABLE);
	assert_int_equal(part, 2);
	assert_int_equal(nparts, 2);
	/* Whatever the other part says later, the message was reported. */
	assert_int_equal(rcpt(t, "ref-2", "Q1", SB_OUT_DELIVERED, 2, &out, ref), VG_DONE);
	assert_int_equal(rcpt(t, "ref-2", "Q1", SB_OUT_EXPIRED, 2, &out, ref), VG_DONE);
	vg_tracker_free(t);
}

static void
test_tracker_bounds(void **state)
{
	const char *ids[] = { "X1", "X2" }, *ids2[] = { "Y1", "Y2" }, *ids3[] = { "Z1", "Z2" };
	struct vg_tracker *t = vg_tracker_new(2, 100);
	enum sb_outcome out = 0;
	char ref[VG_REF_MAX + 1], name[16];
	int i;

	assert_int_equal(vg_tracker_add(t, "a", ids, 2, 0), 0);
	assert_int_equal(vg_tracker_add(t, "b", ids2, 2, 10), 0);
	assert_int_equal(vg_tracker_add(t, "c", ids3, 2, 20), 0); /* evicts "a" */
	assert_int_equal(vg_tracker_count(t), 2);
	assert_int_equal(rcpt(t, "a", "X1", SB_OUT_DELIVERED, 30, &out, ref), VG_UNTRACKED);
	assert_int_equal(rcpt(t, NULL, "X1", SB_OUT_DELIVERED, 30, &out, ref), VG_UNTRACKED);
	assert_int_equal(rcpt(t, "b", "Y1", SB_OUT_DELIVERED, 30, &out, ref), VG_PENDING);
	/* Older than the ttl: forgotten. */
	assert_int_equal(rcpt(t, "b", "Y2", SB_OUT_DELIVERED, 111, &out, ref), VG_UNTRACKED);
	assert_int_equal(vg_tracker_count(t), 1);
	/* A re-send of the same attempt replaces its entry. */
	assert_int_equal(vg_tracker_add(t, "c", ids, 2, 112), 0);
	assert_int_equal(vg_tracker_count(t), 1);
	assert_int_equal(rcpt(t, NULL, "Z1", SB_OUT_DELIVERED, 112, &out, ref), VG_UNTRACKED);
	assert_int_equal(rcpt(t, NULL, "X1", SB_OUT_DELIVERED, 112, &out, ref), VG_PENDING);
	vg_tracker_free(t);
	/* Many entries: the index grows and still finds every one. */
	t = vg_tracker_new(5000, 1000000);
	for (i = 0; i < 3000; i++) {
		char p1[16], p2[16];
		const char *pp[] = { p1, p2 };

		snprintf(name, sizeof(name), "r%d", i);
		snprintf(p1, sizeof(p1), "%d-1", i);
		snprintf(p2, sizeof(p2), "%d-2", i);
		assert_int_equal(vg_tracker_add(t, name, pp, 2, i), 0);
	}
	assert_int_equal(vg_tracker_count(t), 3000);
	for (i = 0; i < 3000; i += 7) {
		char p1[16], p2[16];

		snprintf(name, sizeof(name), "r%d", i);
		snprintf(p1, sizeof(p1), "%d-1", i);
		snprintf(p2, sizeof(p2), "%d-2", i);
		assert_int_equal(rcpt(t, NULL, p1, SB_OUT_DELIVERED, 3000, &out, ref), VG_PENDING);
		assert_string_equal(ref, name);
		assert_int_equal(rcpt(t, name, p2, SB_OUT_DELIVERED, 3000, &out, ref), VG_REPORT);
	}
	vg_tracker_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_methods),
		cmocka_unit_test(test_text_parts),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_tracker_all_parts_delivered),
		cmocka_unit_test(test_tracker_failed_part_decides),
		cmocka_unit_test(test_tracker_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
