/*
 * test_whatsapp.c - the pure parts of the whatsapp channel
 * (plugins/whatsapp/wa_*.c): the error-code table and the classification
 * of answers and failed statuses, the request bodies (text, templates and
 * how variables become components), the X-Hub-Signature-256 check, query
 * parameters of the handshake, Retry-After, and the webhook payload walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wa.h"

/* ---- error codes ---- */

static void
test_code_table_sorted_and_classes(void **unused)
{
	size_t i;

	(void)unused;
	/* Binary search needs sorted, disjoint rows; every row must be reachable. */
	assert_true(wa_ncodes > 30);
	for (i = 0; i < wa_ncodes; i++) {
		assert_true(wa_codes[i].lo <= wa_codes[i].hi);
		if (i > 0)
			assert_true(wa_codes[i - 1].hi < wa_codes[i].lo);
		assert_ptr_equal(wa_code_lookup(wa_codes[i].lo), &wa_codes[i]);
		assert_ptr_equal(wa_code_lookup(wa_codes[i].hi), &wa_codes[i]);
		assert_non_null(wa_codes[i].what);
		assert_true(wa_codes[i].cls == WA_TEMPORARY || wa_codes[i].min_retry_s == 0);
	}
	assert_int_equal(wa_code_lookup(131026)->cls, WA_UNDELIVERABLE);
	assert_int_equal(wa_code_lookup(131047)->cls, WA_UNDELIVERABLE);
	assert_int_equal(wa_code_lookup(130429)->cls, WA_TEMPORARY);
	assert_int_equal(wa_code_lookup(131056)->min_retry_s, 6);
	assert_int_equal(wa_code_lookup(132000)->cls, WA_FAILED);
	assert_int_equal(wa_code_lookup(132001)->cls, WA_FAILED);
	assert_int_equal(wa_code_lookup(190)->cls, WA_FAILED);
	assert_true(wa_code_lookup(190)->alert);
	assert_true(wa_code_lookup(250)->alert); /* inside the 200-299 permissions range */
	assert_int_equal(wa_code_lookup(200)->lo, 200);
	assert_int_equal(wa_code_lookup(299)->hi, 299);
	assert_null(wa_code_lookup(300));
	assert_null(wa_code_lookup(131001));
	assert_null(wa_code_lookup(-5));
}

static struct wa_verdict
classify(long status, long code, int transient)
{
	struct wa_api_error e = { .code = code, .is_transient = transient };
	struct wa_verdict v;

	wa_classify_send(status, code >= 0 ? &e : NULL, &v);
	return v;
}

static void
test_classify_send(void **unused)
{
	(void)unused;
	assert_int_equal(classify(400, 131026, 0).outcome, SB_OUT_UNDELIVERABLE);
	assert_int_equal(classify(400, 132000, 0).outcome, SB_OUT_FAILED);
	assert_int_equal(classify(400, 132001, 0).outcome, SB_OUT_FAILED);
	assert_int_equal(classify(400, 100, 0).outcome, SB_OUT_FAILED);
	assert_int_equal(classify(429, 4, 1).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(400, 130429, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(400, 131048, 0).min_retry_s, 300);
	/* is_transient wins over the table and the HTTP status */
	assert_int_equal(classify(400, 100, 1).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(400, 555555, 1).outcome, SB_OUT_TEMPORARY);
	/* the code wins over the HTTP status */
	assert_int_equal(classify(500, 131026, 0).outcome, SB_OUT_UNDELIVERABLE);
	assert_int_equal(classify(401, 190, 0).outcome, SB_OUT_FAILED);
	assert_true(classify(401, 190, 0).alert);
	assert_false(classify(400, 132000, 0).alert);
	/* unknown code: the HTTP status decides */
	assert_int_equal(classify(503, 555555, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(400, 555555, 0).outcome, SB_OUT_FAILED);
	/* no Graph error at all */
	assert_int_equal(classify(0, -1, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(502, -1, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(408, -1, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(429, -1, 0).outcome, SB_OUT_TEMPORARY);
	assert_int_equal(classify(404, -1, 0).outcome, SB_OUT_FAILED);
	assert_int_equal(classify(403, -1, 0).outcome, SB_OUT_FAILED);
	assert_true(classify(403, -1, 0).alert);
}

static void
test_classify_failed_status(void **unused)
{
	(void)unused;
	assert_int_equal(wa_classify_failed_status(131026, 1), SB_OUT_UNDELIVERABLE);
	assert_int_equal(wa_classify_failed_status(131050, 1), SB_OUT_UNDELIVERABLE);
	assert_int_equal(wa_classify_failed_status(132001, 1), SB_OUT_FAILED);
	/* a receipt cannot ask for a retry: throttling there is a failure */
	assert_int_equal(wa_classify_failed_status(130429, 1), SB_OUT_FAILED);
	assert_int_equal(wa_classify_failed_status(424242, 1), SB_OUT_FAILED);
	assert_int_equal(wa_classify_failed_status(131026, 0), SB_OUT_FAILED);
}

static void
test_api_error_parse(void **unused)
{
	static const char doc[] = "{\"error\":{\"message\":\"(#130429) Rate limit hit\","
	    "\"type\":\"OAuthException\",\"code\":130429,\"error_data\":{\"messaging_product\":"
	    "\"whatsapp\",\"details\":\"Cloud API message throughput\\nhas been reached.\"},"
	    "\"error_subcode\":2494055,\"fbtrace_id\":\"Az8or2yhqkZfEZ-_4Qn_Bam\","
	    "\"is_transient\":false}}";
	static const char transient[] = "{\"error\":{\"code\":2,\"is_transient\":true,"
	    "\"message\":\"x\",\"type\":\"t\"}}";
	struct wa_api_error e;

	(void)unused;
	assert_int_equal(wa_api_error_parse(doc, strlen(doc), &e), 0);
	assert_int_equal(e.code, 130429);
	assert_int_equal(e.is_transient, 0);
	assert_string_equal(e.message, "(#130429) Rate limit hit");
	assert_string_equal(e.details, "Cloud API message throughput has been reached.");
	assert_int_equal(wa_api_error_parse(transient, strlen(transient), &e), 0);
	assert_int_equal(e.is_transient, 1);
	assert_string_equal(e.details, "");
	assert_int_equal(wa_api_error_parse("<html>bad gateway</html>", 24, &e), -1);
	assert_int_equal(wa_api_error_parse("{\"error\":{\"message\":\"no code\"}}", 31, &e), -1);
	assert_int_equal(wa_api_error_parse("{\"error\":\"x\"}", 13, &e), -1);
	assert_int_equal(wa_api_error_parse("", 0, &e), -1);
	assert_int_equal(wa_api_error_parse(NULL, 0, &e), -1);
}

/* ---- bodies ---- */

static void
test_to_digits(void **unused)
{
	char d[32];

	(void)unused;
	assert_int_equal(wa_to_digits("+5511999990001", d, sizeof(d)), 0);
	assert_string_equal(d, "5511999990001");
	assert_int_equal(wa_to_digits("+1 (650) 555-1234", d, sizeof(d)), 0);
	assert_string_equal(d, "16505551234");
	assert_int_equal(wa_to_digits("12345", d, sizeof(d)), -1);
	assert_int_equal(wa_to_digits("+1234567890123456", d, sizeof(d)), -1);
	assert_int_equal(wa_to_digits("+55abc11999990001", d, sizeof(d)), -1);
	assert_int_equal(wa_to_digits("", d, sizeof(d)), -1);
	assert_int_equal(wa_to_digits(NULL, d, sizeof(d)), -1);
	assert_int_equal(wa_to_digits("+5511999990001", d, 5), -1);
}

static void
test_text_body(void **unused)
{
	struct wa_build_err err = { 0 };
	char *b;

	(void)unused;
	b = wa_build_text("+5511999990001", "Olá \"Ana\"\n", 0, 4096, &err);
	assert_non_null(b);
	assert_string_equal(b, "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
	    "\"to\":\"5511999990001\",\"type\":\"text\",\"text\":{\"preview_url\":false,"
	    "\"body\":\"Olá \\\"Ana\\\"\\n\"}}");
	free(b);
	b = wa_build_text("+5511999990001", "see https://example.com", 1, 0, &err);
	assert_non_null(strstr(b, "\"preview_url\":true"));
	free(b);
}

static void
test_text_body_errors(void **unused)
{
	struct wa_build_err err = { 0 };
	char *longtext = malloc(2 * 4097 + 1), *b;
	size_t i;

	(void)unused;
	assert_null(wa_build_text("+5511999990001", "bad \xff byte", 0, 0, &err));
	assert_string_equal(err.code, "bad_text");
	assert_null(wa_build_text("", "hi", 0, 0, &err));
	assert_string_equal(err.code, "no_recipient");
	assert_null(wa_build_text("not a number", "hi", 0, 0, &err));
	assert_string_equal(err.code, "bad_recipient");
	assert_null(wa_build_text("+5511999990001", NULL, 0, 0, &err));
	assert_string_equal(err.code, "no_text");
	/* the limit counts characters, not bytes: 4096 'é' pass, 4097 do not */
	for (i = 0; i < 4096; i++)
		memcpy(longtext + 2 * i, "\xc3\xa9", 2);
	longtext[2 * 4096] = '\0';
	b = wa_build_text("+5511999990001", longtext, 0, 4096, &err);
	assert_non_null(b);
	free(b);
	memcpy(longtext + 2 * 4096, "\xc3\xa9", 3);
	assert_null(wa_build_text("+5511999990001", longtext, 0, 4096, &err));
	assert_string_equal(err.code, "too_long");
	assert_non_null(strstr(err.text, "4097 characters"));
	assert_null(strstr(err.text, "\xc3\xa9")); /* the text itself never reaches an error */
	free(longtext);
}

#define TPL_HEAD "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\"," \
	"\"to\":\"5511999990001\",\"type\":\"template\",\"template\":{\"name\":\"order_update\"," \
	"\"language\":{\"code\":\"pt_BR\",\"policy\":\"deterministic\"}"

static char *
tpl(const char *vars, struct wa_build_err *err)
{
	return wa_build_template("+5511999990001", "order_update", "pt_BR", vars, err);
}

static void
expect_tpl(const char *vars, const char *tail)
{
	struct wa_build_err err = { 0 };
	char *b = tpl(vars, &err), *want;

	if (b == NULL)
		fail_msg("vars %s: %s %s", vars != NULL ? vars : "(null)", err.code, err.text);
	assert_true(asprintf(&want, "%s%s", TPL_HEAD, tail) > 0);
	assert_string_equal(b, want);
	free(b);
	free(want);
}

static void
test_template_body(void **unused)
{
	(void)unused;
	/* numbered: in numeric order, whatever the JSON order */
	expect_tpl("{\"2\":\"1234\",\"1\":\"Ana\"}", ",\"components\":[{\"type\":\"body\","
	    "\"parameters\":[{\"type\":\"text\",\"text\":\"Ana\"},{\"type\":\"text\","
	    "\"text\":\"1234\"}]}]}}");
	expect_tpl("{\"10\":\"j\",\"9\":\"i\",\"8\":\"h\",\"7\":\"g\",\"6\":\"f\",\"5\":\"e\","
	    "\"4\":\"d\",\"3\":\"c\",\"2\":\"b\",\"1\":\"a\"}", ",\"components\":[{\"type\":"
	    "\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\","
	    "\"text\":\"b\"},{\"type\":\"text\",\"text\":\"c\"},{\"type\":\"text\",\"text\":\"d\"},"
	    "{\"type\":\"text\",\"text\":\"e\"},{\"type\":\"text\",\"text\":\"f\"},{\"type\":\"text\","
	    "\"text\":\"g\"},{\"type\":\"text\",\"text\":\"h\"},{\"type\":\"text\",\"text\":\"i\"},"
	    "{\"type\":\"text\",\"text\":\"j\"}]}]}}");
	/* a list, integers as text */
	expect_tpl("[\"Ana\", 1234]", ",\"components\":[{\"type\":\"body\",\"parameters\":["
	    "{\"type\":\"text\",\"text\":\"Ana\"},{\"type\":\"text\",\"text\":\"1234\"}]}]}}");
	/* named parameters, in the given order */
	expect_tpl("{\"first_name\":\"Ana\",\"order_2\":\"X1\"}", ",\"components\":[{\"type\":"
	    "\"body\",\"parameters\":[{\"type\":\"text\",\"parameter_name\":\"first_name\","
	    "\"text\":\"Ana\"},{\"type\":\"text\",\"parameter_name\":\"order_2\",\"text\":"
	    "\"X1\"}]}]}}");
	/* no variables: no components at all */
	expect_tpl(NULL, "}}");
	expect_tpl("{}", "}}");
	expect_tpl("[]", "}}");
	expect_tpl("null", "}}");
	/* components as given */
	expect_tpl("{\"components\":[{\"type\":\"header\",\"parameters\":[{\"type\":\"text\","
	    "\"text\":\"Hi\"}]},{\"type\":\"button\",\"sub_type\":\"url\",\"index\":\"0\","
	    "\"parameters\":[{\"type\":\"text\",\"text\":\"abc\"}]}]}",
	    ",\"components\":[{\"type\":\"header\",\"parameters\":[{\"type\":\"text\",\"text\":"
	    "\"Hi\"}]},{\"type\":\"button\",\"sub_type\":\"url\",\"index\":\"0\",\"parameters\":"
	    "[{\"type\":\"text\",\"text\":\"abc\"}]}]}}");
}

static void
expect_tpl_error(const char *vars, const char *code, const char *words)
{
	struct wa_build_err err = { 0 };
	char *b = tpl(vars, &err);

	if (b != NULL)
		fail_msg("vars %s were accepted: %s", vars, b);
	assert_string_equal(err.code, code);
	if (strstr(err.text, words) == NULL)
		fail_msg("vars %s: error '%s' lacks '%s'", vars, err.text, words);
}

static void
test_template_errors(void **unused)
{
	struct wa_build_err err = { 0 };

	(void)unused;
	expect_tpl_error("{\"1\":\"a\",\"3\":\"c\"}", "bad_template_vars", "without gaps");
	expect_tpl_error("{\"0\":\"a\"}", "bad_template_vars", "all numbered");
	expect_tpl_error("{\"01\":\"a\"}", "bad_template_vars", "all numbered");
	expect_tpl_error("{\"1\":\"a\",\"name\":\"b\"}", "bad_template_vars", "without gaps");
	expect_tpl_error("{\"name\":\"b\",\"1\":\"a\"}", "bad_template_vars", "all numbered");
	expect_tpl_error("{\"First Name\":\"b\"}", "bad_template_vars", "lower-case");
	expect_tpl_error("{\"2nd\":\"b\"}", "bad_template_vars", "lower-case");
	expect_tpl_error("{\"1\":1.5}", "bad_template_vars", "'1' must be a string");
	expect_tpl_error("[\"a\", {\"x\":1}]", "bad_template_vars", "'2' must be a string");
	expect_tpl_error("{\"n\":true}", "bad_template_vars", "'n' must be a string");
	expect_tpl_error("{\"1\":null}", "bad_template_vars", "'1' must be a string");
	expect_tpl_error("{not json", "bad_template_vars", "JSON object or list");
	expect_tpl_error("\"just text\"", "bad_template_vars", "JSON object or list");
	expect_tpl_error("{\"1\":\"a\",\"1\":\"b\"}", "bad_template_vars", "JSON object or list");
	expect_tpl_error("{\"components\":{\"type\":\"body\"}}", "bad_template_vars",
	    "list of template components");
	expect_tpl_error("{\"components\":[{\"type\":\"footer\"}]}", "bad_template_vars",
	    "components[0]");
	expect_tpl_error("{\"components\":[],\"1\":\"a\"}", "bad_template_vars", "mixed");
	assert_null(wa_build_template("+5511999990001", "", "en", NULL, &err));
	assert_string_equal(err.code, "bad_template");
	assert_null(wa_build_template("+5511999990001", "x", NULL, NULL, &err));
	assert_string_equal(err.code, "bad_template");
	assert_null(wa_build_template("+5511999990001", "bad\xff", "en", NULL, &err));
	assert_string_equal(err.code, "bad_template");
	assert_null(wa_build_template("555", "x", "en", NULL, &err));
	assert_string_equal(err.code, "bad_recipient");
}

/* ---- signature, query, Retry-After ---- */

static void
test_signature(void **unused)
{
	static const char vec[] = "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";
	char hex[65], hdr[80], upper[80];
	size_t i;

	(void)unused;
	wa_sig_hex("secret", 6, "test", 4, hex);
	assert_string_equal(hex, vec); /* the vector in specs/whatsapp.md */
	snprintf(hdr, sizeof(hdr), "sha256=%s", vec);
	assert_int_equal(wa_sig_check(hdr, "secret", 6, "test", 4), WA_SIG_OK);
	for (i = 0; hdr[i] != '\0'; i++)
		upper[i] = (char)(i >= 7 && hdr[i] >= 'a' && hdr[i] <= 'f' ? hdr[i] - 32 : hdr[i]);
	upper[i] = '\0';
	assert_int_equal(wa_sig_check(upper, "secret", 6, "test", 4), WA_SIG_OK);
	assert_int_equal(wa_sig_check(hdr, "secret", 6, "test ", 5), WA_SIG_BAD);
	assert_int_equal(wa_sig_check(hdr, "Secret", 6, "test", 4), WA_SIG_BAD);
	assert_int_equal(wa_sig_check(NULL, "secret", 6, "test", 4), WA_SIG_MISSING);
	assert_int_equal(wa_sig_check("", "secret", 6, "test", 4), WA_SIG_MISSING);
	assert_int_equal(wa_sig_check(vec, "secret", 6, "test", 4), WA_SIG_BAD);
	assert_int_equal(wa_sig_check("sha1=0329a06b62cd16b33eb6792be8c60b158d89a2ee", "secret",
	    6, "test", 4), WA_SIG_BAD);
	hdr[20] = 'x';
	assert_int_equal(wa_sig_check(hdr, "secret", 6, "test", 4), WA_SIG_BAD);
	hdr[strlen(hdr) - 1] = '\0';
	assert_int_equal(wa_sig_check(hdr, "secret", 6, "test", 4), WA_SIG_BAD);
}

/* ---- payloads ---- */

struct seen {
	char log[4096];
	int statuses, inbound, errors, skipped;
};

static void
seen_add(struct seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
seen_add(struct seen *s, const char *fmt, ...)
{
	size_t n = strlen(s->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->log + n, sizeof(s->log) - n, fmt, ap);
	va_end(ap);
}

static void
cb_status(void *ctx, const struct wa_status *st)
{
	struct seen *s = ctx;

	s->statuses++;
	seen_add(s, "S %s %s %d %d %s %lld %ld %s %s|", st->id, st->status, st->known,
	    st->known ? (int)st->outcome : -1, st->recipient_id ? st->recipient_id : "-",
	    (long long)st->at_ms, st->err_code, st->err_title ? st->err_title : "-",
	    st->err_details ? st->err_details : "-");
}

static void
cb_inbound(void *ctx, const struct wa_inbound *m)
{
	struct seen *s = ctx;

	s->inbound++;
	seen_add(s, "M %s %s %s %s|", m->from, m->to ? m->to : "-", m->type,
	    m->text ? m->text : "(none)");
}

static void
cb_error(void *ctx, long code, const char *title, const char *details)
{
	struct seen *s = ctx;

	s->errors++;
	seen_add(s, "E %ld %s %s|", code, title ? title : "-", details ? details : "-");
}

static void
cb_skipped(void *ctx, const char *why)
{
	struct seen *s = ctx;

	s->skipped++;
	seen_add(s, "K %s|", why);
}

static const struct wa_hook_cb cbs = { cb_status, cb_inbound, cb_error, cb_skipped };

#define META "\"metadata\":{\"display_phone_number\":\"15550783881\"," \
	"\"phone_number_id\":\"106540352242922\"}"

static const char payload[] =
    "{\"object\":\"whatsapp_business_account\",\"entry\":["
    "{\"id\":\"419561257915477\",\"changes\":[{\"field\":\"messages\",\"value\":{"
    "\"messaging_product\":\"whatsapp\"," META ",\"statuses\":["
    "{\"id\":\"wamid.A\",\"status\":\"sent\",\"timestamp\":\"1749416383\","
    "\"recipient_id\":\"16505551234\",\"conversation\":{\"id\":\"c1\",\"origin\":{\"type\":"
    "\"service\"}},\"pricing\":{\"billable\":true,\"pricing_model\":\"PMP\",\"category\":"
    "\"service\"}},"
    "{\"id\":\"wamid.A\",\"status\":\"read\",\"timestamp\":\"1749416390\","
    "\"recipient_id\":\"16505551234\"},"
    "{\"id\":\"wamid.B\",\"status\":\"failed\",\"timestamp\":\"1749416391\","
    "\"recipient_id\":\"16505551235\",\"errors\":[{\"code\":131026,\"title\":"
    "\"Message undeliverable\",\"message\":\"Message undeliverable\",\"error_data\":"
    "{\"details\":\"Message Undeliverable.\"},\"href\":\"https://developers.facebook.com/"
    "docs/whatsapp/cloud-api/support/error-codes/\"}]},"
    "{\"id\":\"wamid.C\",\"status\":\"failed\",\"timestamp\":\"1749416392\","
    "\"recipient_id\":\"16505551236\",\"errors\":[{\"code\":132001,\"title\":"
    "\"Template name does not exist in the translation\"}]},"
    "{\"id\":\"wamid.D\",\"status\":\"failed\",\"timestamp\":\"x\",\"recipient_id\":\"1\"},"
    "{\"id\":\"wamid.E\",\"status\":\"deleted\",\"timestamp\":\"1\",\"recipient_id\":\"1\"},"
    "{\"status\":\"delivered\",\"timestamp\":\"1\",\"recipient_id\":\"1\"}"
    "]}}]},"
    "{\"id\":\"2\",\"changes\":["
    "{\"field\":\"group_lifecycle_update\",\"value\":{}},"
    "{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\"," META ","
    "\"contacts\":[{\"profile\":{\"name\":\"Sheena Nelson\"},\"wa_id\":\"16505551234\"}],"
    "\"messages\":["
    "{\"from\":\"16505551234\",\"id\":\"wamid.M1\",\"timestamp\":\"1749416383\","
    "\"type\":\"text\",\"text\":{\"body\":\"Does it come in another color?\"}},"
    "{\"from\":\"16505551234\",\"id\":\"wamid.M2\",\"timestamp\":\"1\",\"type\":\"image\","
    "\"image\":{\"mime_type\":\"image/jpeg\",\"id\":\"1003383421387256\"}},"
    "{\"from\":\"16505551234\",\"id\":\"wamid.M3\",\"timestamp\":\"1\",\"type\":"
    "\"interactive\",\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"r1\","
    "\"title\":\"Row one\"}}},"
    "{\"id\":\"wamid.M4\",\"type\":\"text\"}"
    "]}},"
    "{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\"," META ","
    "\"errors\":[{\"code\":130429,\"title\":\"Rate limit hit\",\"message\":\"Rate limit hit\","
    "\"error_data\":{\"details\":\"Cloud API message throughput has been reached.\"}}]}}"
    "]},"
    "{\"id\":\"3\"}"
    "]}";

static void
test_hook_parse(void **unused)
{
	struct seen s = { "", 0, 0, 0, 0 };
	char err[128];
	char want[2048];

	(void)unused;
	assert_int_equal(wa_hook_parse(payload, strlen(payload), &cbs, &s, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
	    "S wamid.A sent 1 %d 16505551234 1749416383000 0 - -|"
	    "S wamid.A read 1 %d 16505551234 1749416390000 0 - -|"
	    "S wamid.B failed 1 %d 16505551235 1749416391000 131026 Message undeliverable"
	    " Message Undeliverable.|"
	    "S wamid.C failed 1 %d 16505551236 1749416392000 132001 Template name does not exist"
	    " in the translation -|"
	    "S wamid.D failed 1 %d 1 0 0 - -|"
	    "S wamid.E deleted 0 -1 1 1000 0 - -|"
	    "K a status without id or status|"
	    "K a change of a field other than messages|"
	    "M 16505551234 15550783881 text Does it come in another color?|"
	    "M 16505551234 15550783881 image (none)|"
	    "M 16505551234 15550783881 interactive Row one|"
	    "K a message without from or type|"
	    "E 130429 Rate limit hit Cloud API message throughput has been reached.|"
	    "K an entry without a changes list|",
	    SB_OUT_ACCEPTED, SB_OUT_READ, SB_OUT_UNDELIVERABLE, SB_OUT_FAILED, SB_OUT_FAILED);
	assert_string_equal(s.log, want);
	assert_int_equal(s.statuses, 6);
	assert_int_equal(s.inbound, 3);
	assert_int_equal(s.errors, 1);
}

static void
test_hook_parse_malformed(void **unused)
{
	static const char *const bad[] = {
		"this is not json",
		"{\"object\":\"whatsapp_business_account\",\"entry\":[",
		"[]",
		"{\"object\":\"page\",\"entry\":[]}",
		"{\"object\":\"whatsapp_business_account\"}",
		"{\"object\":\"whatsapp_business_account\",\"entry\":{}}",
		"{\"entry\":[]}",
		"",
	};
	static const char odd[] = "{\"object\":\"whatsapp_business_account\",\"entry\":["
	    "{\"changes\":[{\"field\":\"messages\",\"value\":{\"statuses\":{}}},"
	    "{\"field\":\"messages\",\"value\":\"x\"},{\"field\":\"messages\",\"value\":"
	    "{\"statuses\":[1,{\"id\":2,\"status\":\"read\"}],\"messages\":7}}]}, 5]}";
	struct seen s = { "", 0, 0, 0, 0 };
	char err[128];
	size_t i;

	(void)unused;
	for (i = 0; i < WA_NELEM(bad); i++) {
		err[0] = '\0';
		if (wa_hook_parse(bad[i], strlen(bad[i]), &cbs, &s, err, sizeof(err)) != -1)
			fail_msg("payload %zu accepted", i);
		assert_true(err[0] != '\0');
	}
	assert_string_equal(s.log, "");
	/* odd items inside a good envelope are skipped, not fatal */
	assert_int_equal(wa_hook_parse(odd, strlen(odd), &cbs, &s, err, sizeof(err)), 0);
	assert_string_equal(s.log, "K statuses is not a list|K a change without a value|"
	    "K a status without id or status|K a status without id or status|"
	    "K messages is not a list|K an entry without a changes list|");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_table_sorted_and_classes),
		cmocka_unit_test(test_classify_send),
		cmocka_unit_test(test_classify_failed_status),
		cmocka_unit_test(test_api_error_parse),
		cmocka_unit_test(test_to_digits),
		cmocka_unit_test(test_text_body),
		cmocka_unit_test(test_text_body_errors),
		cmocka_unit_test(test_template_body),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_hook_parse),
		cmocka_unit_test(test_hook_parse_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
