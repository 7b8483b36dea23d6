/*
 * test_phone.c - E.164 normalisation: a table of inputs and answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "phone.h"

static const struct {
	const char *in, *cc, *want; /* want NULL: refused */
} cases[] = {
	{ "+5511999990000", NULL, "+5511999990000" },
	{ " +55 (11) 99999-0000 ", NULL, "+5511999990000" },
	{ "005511999990000", NULL, "+5511999990000" },
	{ "11 99999-0000", "55", "+5511999990000" },
	{ "011 99999-0000", "55", "+5511999990000" },
	{ "030 1234567", "49", "+49301234567" },
	{ "11999990000", NULL, NULL },
	{ "+55 11 9999x0000", NULL, NULL },
	{ "+1234", NULL, NULL },
	{ "+1234567890123456", NULL, NULL },
	{ "+0551199999", NULL, NULL },
	{ "", "55", NULL },
	{ "call me", "55", NULL },
};

static void
test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];
		const char *why = NULL;
		int rc = sb_phone_normalize(cases[i].in, cases[i].cc, out, sizeof(out), &why);

		if (cases[i].want == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(why);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, cases[i].want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_table) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
