/*
 * test_tpl_render.c - `{{variable}}` substitution (core/tpl_render.c):
 * spaces inside braces, repeated and missing variables, numbers, and the
 * braces that are not variables and stay literal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tpl_render.h"

static void
check(const char *text, const char *vars_json, const char *want)
{
	json_t *vars = json_loads(vars_json, 0, NULL);
	struct sb_error err = { 0 };
	char *out = sb_tpl_render(text, vars, "the text", &err);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(sb_tpl_check_vars(text, vars, "the text", &err), 0);
	free(out);
	json_decref(vars);
}

static void
test_substitutes(void **state)
{
	(void)state;
	check("Your code is {{code}}.", "{\"code\": \"1234\"}", "Your code is 1234.");
	check("{{ name }}, {{name}}!", "{\"name\": \"Ana\"}", "Ana, Ana!");
	check("{{n}} items at {{p}}", "{\"n\": 3, \"p\": 1.5}", "3 items at 1.5");
	check("{{a.b-c_d}}", "{\"a.b-c_d\": \"x\"}", "x");
	check("no variables", "{}", "no variables");
	check("", "{}", "");
}

static void
test_literal_braces(void **state)
{
	(void)state;
	check("{{}} {{ }} {{a b}} {{x", "{}", "{{}} {{ }} {{a b}} {{x");
	check("{{{v}}}", "{\"v\": \"1\"}", "{1}");
	check("{v} {{v}", "{\"v\": \"1\"}", "{v} {{v}");
}

static void
test_missing(void **state)
{
	struct sb_error err = { 0 };
	json_t *vars = json_pack("{s:s, s:o, s:[]}", "a", "1", "n", json_null(), "l");

	(void)state;
	assert_null(sb_tpl_render("{{a}} {{b}}", vars, "template 'otp'", &err));
	assert_int_equal(err.code, SB_E_BAD_ARGUMENT);
	assert_non_null(strstr(err.message, "template 'otp' needs the variable 'b'"));
	assert_int_equal(sb_tpl_check_vars("{{a}} {{n}}", vars, "t", &err), -1);
	assert_non_null(strstr(err.message, "'n'"));
	assert_int_equal(sb_tpl_check_vars("{{l}}", vars, "t", &err), -1);
	assert_null(sb_tpl_render("{{x}}", NULL, "t", &err));
	json_decref(vars);
}

static int
collect(const char *name, void *arg)
{
	strcat(arg, name);
	strcat(arg, ",");
	return 0;
}

static int
stop_at_b(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "b") == 0 ? 7 : 0;
}

static void
test_foreach(void **state)
{
	char seen[128] = "";

	(void)state;
	assert_int_equal(sb_tpl_foreach_var("{{b}} {{a}} {{b}} {{ c }} {{a}}", collect, seen), 0);
	assert_string_equal(seen, "b,a,c,");
	assert_int_equal(sb_tpl_foreach_var("{{a}} {{b}} {{c}}", stop_at_b, NULL), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_substitutes),
		cmocka_unit_test(test_literal_braces),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
