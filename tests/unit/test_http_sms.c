/*
 * test_http_sms.c - the pure helpers of the http_sms plugin
 * (plugins/http_sms/http_sms_util.c): templates and escaping, form and JSON
 * bodies, status classification, provider id extraction, receipt parameter
 * lookup, constant-time compare and Retry-After.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "http_sms_util.h"

static int
fake_secret(void *ctx, const char *name, const char **value)
{
	if (strcmp(name, "token") == 0) {
		*value = "s3cr&t";
		return 0;
	}
	return -1;
}

static struct hs_vars
sample_vars(void)
{
	struct hs_vars v = { { 0 } };

	v.v[HS_VAR_TO] = "+55 11 99999-0000";
	v.v[HS_VAR_TO_DIGITS] = "5511999990000";
	v.v[HS_VAR_FROM] = "ACME";
	v.v[HS_VAR_TEXT] = "Olá & bem-vindo 100%";
	v.v[HS_VAR_MESSAGE_ID] = "42";
	v.v[HS_VAR_ATTEMPT_KEY] = "m42-a1";
	return v;
}

static char *
expand(const char *src, enum sbp_esc lit, enum sbp_esc var)
{
	struct hs_tmpl t;
	struct sbp_buf b = { 0 };
	struct hs_vars v = sample_vars();
	char err[256];
	char *out;

	assert_int_equal(hs_tmpl_parse(&t, src, fake_secret, NULL, err, sizeof(err)), 0);
	assert_int_equal(hs_tmpl_expand(&t, &v, lit, var, &b), 0);
	out = strdup(b.p != NULL ? b.p : "");
	sbp_buf_free(&b);
	hs_tmpl_free(&t);
	return out;
}

static void
test_template_raw_and_braces(void **state)
{
	char *s = expand("Hi {from}: {text} {{x}} #{message_id}", SBP_ESC_RAW, SBP_ESC_RAW);

	assert_string_equal(s, "Hi ACME: Olá & bem-vindo 100% {x} #42");
	free(s);
	s = expand("", SBP_ESC_RAW, SBP_ESC_RAW);
	assert_string_equal(s, "");
	free(s);
	s = expand("{to_digits}{attempt_key}{dlr_url}{subaccount}", SBP_ESC_RAW, SBP_ESC_RAW);
	assert_string_equal(s, "5511999990000m42-a1"); /* unset values expand to "" */
	free(s);
}

static void
test_template_uses_and_secret(void **state)
{
	struct hs_tmpl t;
	char err[256];

	assert_int_equal(hs_tmpl_parse(&t, "Bearer {secret:token} {to}", fake_secret, NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(t.uses, 1u << HS_VAR_TO);
	assert_true(t.has_secret);
	hs_tmpl_free(&t);
}

static void
test_template_errors(void **state)
{
	struct hs_tmpl t;
	char err[256];

	assert_int_equal(hs_tmpl_parse(&t, "{nope}", fake_secret, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown placeholder '{nope}'"));
	assert_int_equal(hs_tmpl_parse(&t, "abc {to", fake_secret, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unclosed"));
	assert_int_equal(hs_tmpl_parse(&t, "{secret:missing}", fake_secret, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "missing"));
	/* Without a resolver, secrets are not allowed at all. */
	assert_int_equal(hs_tmpl_parse(&t, "{secret:token}", NULL, NULL, err, sizeof(err)), -1);
}

static void
test_escaping(void **state)
{
	char *s;

	/* Form: every byte of a value is data, literal text included. */
	s = expand("a b&{text}", SBP_ESC_FORM, SBP_ESC_FORM);
	assert_string_equal(s, "a+b%26Ol%C3%A1+%26+bem-vindo+100%25");
	free(s);
	/* URL template: the literal is structure, the value is encoded (%20 for spaces). */
	s = expand("http://h/x?to={to}&k={secret:token}", SBP_ESC_RAW, SBP_ESC_URL);
	assert_string_equal(s, "http://h/x?to=%2B55%2011%2099999-0000&k=s3cr%26t");
	free(s);
	{
		struct sbp_buf b = { 0 };

		assert_int_equal(sbp_escape(&b, "a\r\nX-Evil: 1", 12, SBP_ESC_HEADER), 0);
		assert_string_equal(b.p, "a  X-Evil: 1");
		sbp_buf_free(&b);
	}
}

static void
test_form_and_json_bodies(void **state)
{
	struct hs_param p[3];
	struct sbp_buf out = { 0 }, scratch = { 0 };
	struct hs_vars v = sample_vars();
	char err[256];
	size_t i;

	p[0].name = "to";
	p[1].name = "text";
	p[2].name = "dlr-mask";
	assert_int_equal(hs_tmpl_parse(&p[0].value, "{to}", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(hs_tmpl_parse(&p[1].value, "{text}", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(hs_tmpl_parse(&p[2].value, "31", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(hs_form_build(p, 3, &v, &out), 0);
	assert_string_equal(out.p, "to=%2B55+11+99999-0000&text=Ol%C3%A1+%26+bem-vindo+100%25"
	    "&dlr-mask=31");
	sbp_buf_clear(&out);
	v.v[HS_VAR_TEXT] = "say \"hi\"\n";
	assert_int_equal(hs_json_build(p, 3, &v, &scratch, &out), 0);
	assert_string_equal(out.p, "{\"to\":\"+55 11 99999-0000\",\"text\":\"say \\\"hi\\\"\\n\","
	    "\"dlr-mask\":\"31\"}");
	sbp_buf_clear(&out);
	v.v[HS_VAR_TEXT] = "bad \xff utf8";
	assert_int_equal(hs_json_build(p, 3, &v, &scratch, &out), -2);
	for (i = 0; i < 3; i++)
		hs_tmpl_free(&p[i].value);
	sbp_buf_free(&out);
	sbp_buf_free(&scratch);
}

static void
test_ranges_and_classify(void **state)
{
	struct hs_range r;
	struct hs_range acc[] = { { 200, 299 } };
	struct hs_range tmp[] = { { 408, 408 }, { 429, 429 }, { 500, 599 } };
	struct hs_range und[] = { { 404, 404 }, { 503, 503 } };
	struct hs_ranges a = { acc, 1 }, t = { tmp, 3 }, u = { und, 2 }, none = { NULL, 0 };

	assert_int_equal(hs_range_parse("404", &r), 0);
	assert_int_equal(r.lo, 404);
	assert_int_equal(r.hi, 404);
	assert_int_equal(hs_range_parse("500-599", &r), 0);
	assert_int_equal(r.lo, 500);
	assert_int_equal(r.hi, 599);
	assert_int_equal(hs_range_parse("599-500", &r), -1);
	assert_int_equal(hs_range_parse("abc", &r), -1);
	assert_int_equal(hs_range_parse("200x", &r), -1);
	assert_int_equal(hs_range_parse("99", &r), -1);
	assert_int_equal(hs_range_parse("500-", &r), -1);

	assert_int_equal(hs_classify(&a, &t, &u, 202), SB_OUT_ACCEPTED);
	assert_int_equal(hs_classify(&a, &t, &u, 0), SB_OUT_TEMPORARY);
	assert_int_equal(hs_classify(&a, &t, &u, 429), SB_OUT_TEMPORARY);
	assert_int_equal(hs_classify(&a, &t, &u, 500), SB_OUT_TEMPORARY);
	assert_int_equal(hs_classify(&a, &t, &u, 503), SB_OUT_UNDELIVERABLE); /* explicit wins */
	assert_int_equal(hs_classify(&a, &t, &u, 404), SB_OUT_UNDELIVERABLE);
	assert_int_equal(hs_classify(&a, &t, &u, 400), SB_OUT_FAILED);
	assert_int_equal(hs_classify(&a, &t, &none, 301), SB_OUT_FAILED);
}

static const char *
fake_header(const void *ctx, const char *name)
{
	return strcasecmp(name, "X-Message-Id") == 0 ? " hdr-77 " : NULL;
}

static int
extract(const char *spec_text, const char *body, char *out, size_t cap)
{
	struct hs_idspec spec;
	int rc;

	assert_int_equal(hs_idspec_parse(spec_text, &spec), 0);
	rc = hs_extract_id(&spec, body, strlen(body), fake_header, NULL, "m42-a1", out, cap);
	hs_idspec_free(&spec);
	return rc;
}

static void
test_extract_id(void **state)
{
	char id[64];
	struct hs_idspec spec;
	const char *vonage = "{\"message-count\":\"1\",\"messages\":[{\"status\":\"0\","
	    "\"message-id\":\"0A0000000123ABCD1\"}]}";

	assert_int_equal(extract("json:message_id", "{\"message_id\":\"abc\"}", id, sizeof(id)), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(extract("json:message_id", "{\"message_id\":1234}", id, sizeof(id)), 0);
	assert_string_equal(id, "1234");
	assert_int_equal(extract("json:messages.0.message-id", vonage, id, sizeof(id)), 0);
	assert_string_equal(id, "0A0000000123ABCD1");
	assert_int_equal(extract("json:messages.1.message-id", vonage, id, sizeof(id)), -1);
	assert_int_equal(extract("json:message_id", "not json", id, sizeof(id)), -1);
	assert_int_equal(extract("json:message_id", "{\"message_id\":null}", id, sizeof(id)), -1);
	assert_int_equal(extract("json:message_id", "{\"message_id\":\"\"}", id, sizeof(id)), -1);
	assert_int_equal(extract("header:x-message-id", "", id, sizeof(id)), 0);
	assert_string_equal(id, "hdr-77");
	assert_int_equal(extract("header:X-Other", "", id, sizeof(id)), -1);
	assert_int_equal(extract("body", "  id-9\r\n", id, sizeof(id)), 0);
	assert_string_equal(id, "id-9");
	assert_int_equal(extract("body", " \n", id, sizeof(id)), -1);
	assert_int_equal(extract("prefix:OK:", "status OK: 5531 queued", id, sizeof(id)), 0);
	assert_string_equal(id, "5531");
	assert_int_equal(extract("prefix:ID=", "nothing here", id, sizeof(id)), -1);
	assert_int_equal(extract("attempt_key", "0: Accepted for delivery", id, sizeof(id)), 0);
	assert_string_equal(id, "m42-a1");
	/* A cut id would never match its receipt: too long is not found. */
	assert_int_equal(extract("body", "0123456789", id, 5), -1);

	assert_int_equal(hs_idspec_parse("json:", &spec), -1);
	assert_int_equal(hs_idspec_parse("xml:a", &spec), -1);
	assert_int_equal(hs_idspec_parse("bodyx", &spec), -1);
}

static void
test_json_path(void **state)
{
	json_t *root = json_loads("{\"a\":{\"b\":[{\"c\":7},{\"c\":true}]},\"s\":\"x\"}", 0, NULL);
	char out[16];

	assert_non_null(root);
	assert_int_equal(hs_json_text(hs_json_path(root, "a.b.0.c"), out, sizeof(out)), 0);
	assert_string_equal(out, "7");
	assert_int_equal(hs_json_text(hs_json_path(root, "a.b.1.c"), out, sizeof(out)), 0);
	assert_string_equal(out, "true");
	assert_null(hs_json_path(root, "a.x"));
	assert_null(hs_json_path(root, "s.t"));
	assert_int_equal(hs_json_text(hs_json_path(root, "a"), out, sizeof(out)), -1);
	assert_int_equal(hs_json_text(NULL, out, sizeof(out)), -1);
	json_decref(root);
}

static void
test_smsc_field(void **state)
{
	const char *r = "id:7 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201"
	    " stat:UNDELIV err:011 text:err:999 here";
	char out[16];

	assert_int_equal(hs_smsc_field(r, "err", out, sizeof(out)), 1);
	assert_string_equal(out, "011");
	assert_int_equal(hs_smsc_field(r, "stat", out, sizeof(out)), 1);
	assert_string_equal(out, "UNDELIV");
	assert_int_equal(hs_smsc_field(r, "id", out, sizeof(out)), 1);
	assert_string_equal(out, "7");
	assert_int_equal(hs_smsc_field("xerr:5", "err", out, sizeof(out)), 0); /* not a field */
	assert_int_equal(hs_smsc_field("err: 5", "err", out, sizeof(out)), 0); /* empty */
	assert_int_equal(hs_smsc_field("err:0123456789abcdef", "err", out, sizeof(out)), 0);
	assert_int_equal(hs_smsc_field("", "err", out, sizeof(out)), 0);
	assert_int_equal(hs_smsc_field("stat:DELIVRD", "err", out, sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smsc_field),
		cmocka_unit_test(test_template_raw_and_braces),
		cmocka_unit_test(test_template_uses_and_secret),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_form_and_json_bodies),
		cmocka_unit_test(test_ranges_and_classify),
		cmocka_unit_test(test_extract_id),
		cmocka_unit_test(test_json_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
