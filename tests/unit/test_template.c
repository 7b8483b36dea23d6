/*
 * test_template.c - template specs (core/template.c): what a spec may
 * hold and the error for each mistake, its normal form, the variables it
 * needs, which variant each channel type gets, and rendering, including a
 * WhatsApp template's parameters in their declared order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

static json_t *
parse(const char *text)
{
	json_t *in = json_loads(text, 0, NULL), *spec;
	struct sb_error err = { 0 };

	assert_non_null(in);
	spec = sb_template_spec_parse(in, &err);
	json_decref(in);
	return spec;
}

static void
refused(const char *text, const char *words)
{
	json_t *in = json_loads(text, 0, NULL);
	struct sb_error err = { 0 };

	assert_non_null(in);
	assert_null(sb_template_spec_parse(in, &err));
	assert_int_equal(err.code, SB_E_BAD_ARGUMENT);
	if (strstr(err.message, words) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, err.message, words);
	json_decref(in);
}

static void
test_bad_specs(void **state)
{
	(void)state;
	refused("[]", "a template is an object of variants");
	refused("{}", "at least one variant");
	refused("{\"text\": null}", "at least one variant");
	refused("{\"email\": \"x\"}", "unknown key 'email'");
	refused("{\"text\": \"\"}", "'text' must be a text of 1 to");
	refused("{\"sms\": 5}", "'sms' must be a text");
	refused("{\"whatsapp\": \"otp\"}", "'whatsapp' must be {name, language, params}");
	refused("{\"whatsapp\": {\"name\": \"otp\"}}", "needs 'name'");
	refused("{\"whatsapp\": {\"name\": \"otp\", \"language\": \"en\", \"x\": 1}}",
	    "unknown key 'whatsapp.x'");
	refused("{\"whatsapp\": {\"name\": \"otp\", \"language\": \"en\", \"params\": [\"a b\"]}}",
	    "'whatsapp.params[0]' must be a variable name");
	refused("{\"whatsapp\": {\"name\": \"otp\", \"language\": \"en\", \"params\": \"a\"}}",
	    "must be a list");
}

static void
test_names(void **state)
{
	struct sb_error err = { 0 };
	char long_name[80];

	(void)state;
	assert_int_equal(sb_template_name_check("otp-v2.final_1", &err), 0);
	assert_int_equal(sb_template_name_check("a b", &err), -1);
	assert_non_null(strstr(err.message, "only letters, digits"));
	assert_int_equal(sb_template_name_check("", &err), -1);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(sb_template_name_check(long_name, &err), -1);
	assert_non_null(strstr(err.message, "1 to 64 bytes"));
}

/* The normal form keeps only the variants, in one order: equal specs compare equal. */
static void
test_normal_form_and_variables(void **state)
{
	json_t *a = parse("{\"whatsapp\": {\"params\": [\"code\", \"name\"], \"language\": \"en\","
	    " \"name\": \"otp\"}, \"sms\": \"{{code}} for {{ name }}\", \"text\": \"{{code}}\"}");
	json_t *b = parse("{\"text\": \"{{code}}\", \"sms\": \"{{code}} for {{ name }}\","
	    " \"whatsapp\": {\"name\": \"otp\", \"language\": \"en\", \"params\": [\"code\","
	    " \"name\"]}}");
	json_t *vars;
	char *sa, *sb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	sa = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	sb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(sa, sb);
	vars = sb_template_variables(a);
	free(sa);
	sa = json_dumps(vars, JSON_COMPACT);
	assert_string_equal(sa, "[\"code\",\"name\"]");
	free(sa);
	free(sb);
	json_decref(vars);
	json_decref(a);
	json_decref(b);
}

static void
test_variants(void **state)
{
	json_t *spec = parse("{\"text\": \"t\", \"sms\": \"s\", \"whatsapp\": {\"name\": \"w\","
	    " \"language\": \"en\"}}");
	json_t *only_sms = parse("{\"sms\": \"s\"}");

	(void)state;
	assert_string_equal(sb_template_variant(spec, "sms"), "sms");
	assert_string_equal(sb_template_variant(spec, "whatsapp"), "whatsapp");
	assert_string_equal(sb_template_variant(spec, "line_push"), "text");
	assert_string_equal(sb_template_variant(spec, "other"), "text");
	assert_string_equal(sb_template_variant(only_sms, "sms"), "sms");
	assert_null(sb_template_variant(only_sms, "line_push"));
	json_decref(spec);
	json_decref(only_sms);
}

static void
test_render(void **state)
{
	json_t *spec = parse("{\"text\": \"Hi {{name}}\", \"sms\": \"{{code}} is your code\","
	    " \"whatsapp\": {\"name\": \"otp_v1\", \"language\": \"pt_BR\","
	    " \"params\": [\"code\", \"name\"]}}");
	json_t *vars = json_loads("{\"name\": \"Ana\", \"code\": 4711}", 0, NULL);
	json_t *partial = json_loads("{\"name\": \"Ana\"}", 0, NULL);
	struct sb_template_out out;
	struct sb_error err = { 0 };

	(void)state;
	assert_int_equal(sb_template_render(spec, "sms", vars, "template 'otp'", &out, &err), 0);
	assert_string_equal(out.text, "4711 is your code");
	assert_null(out.wa_name);
	sb_template_out_clear(&out);
	assert_int_equal(sb_template_render(spec, "line_push", vars, "template 'otp'", &out,
	    &err), 0);
	assert_string_equal(out.text, "Hi Ana");
	sb_template_out_clear(&out);
	assert_int_equal(sb_template_render(spec, "whatsapp", vars, "template 'otp'", &out,
	    &err), 0);
	assert_null(out.text);
	assert_string_equal(out.wa_name, "otp_v1");
	assert_string_equal(out.wa_lang, "pt_BR");
	assert_string_equal(out.wa_params, "[\"4711\",\"Ana\"]");
	sb_template_out_clear(&out);

	/* A missing variable is named, whichever variant needs it. */
	assert_int_equal(sb_template_check_vars(spec, partial, "template 'otp'", &err), -1);
	assert_string_equal(err.message,
	    "template 'otp' needs the variable 'code' (a string or number)");
	assert_int_equal(sb_template_render(spec, "whatsapp", partial, "template 'otp'", &out,
	    &err), -1);
	assert_non_null(strstr(err.message, "'code'"));
	assert_int_equal(sb_template_check_vars(spec, vars, "template 'otp'", &err), 0);
	json_decref(spec);
	json_decref(vars);
	json_decref(partial);

	/* A channel type without a variant, and no default text. */
	spec = parse("{\"sms\": \"s\"}");
	assert_int_equal(sb_template_render(spec, "line_push", NULL, "template 'x'", &out, &err),
	    -1);
	assert_string_equal(err.message,
	    "template 'x' has no variant for line_push channels (add 'line_push' or 'text')");
	json_decref(spec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_normal_form_and_variables),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
