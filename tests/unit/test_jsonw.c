/*
 * test_jsonw.c - JSON text written by hand (core/jsonw.c): every string
 * reads back through jansson as what went in (bytes that are not UTF-8 as
 * U+FFFD), integers at both ends of their range, and the room the header
 * promises is enough.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonw.h"

/* s written as a JSON string, parsed back by jansson. */
static char *
round_trip(const char *s, size_t *written)
{
	size_t room = SB_JSONW_STRING_ROOM(strlen(s));
	char *buf = malloc(room + 1), *end, *back;
	json_t *v;
	json_error_t err;

	assert_non_null(buf);
	memset(buf, 'X', room + 1);
	end = sb_jsonw_string(buf, s);
	*written = (size_t)(end - buf);
	assert_true(*written <= room);
	assert_int_equal(buf[room], 'X');    /* nothing past the promised room */
	v = json_loadb(buf, *written, JSON_DECODE_ANY, &err);
	assert_non_null(v);
	assert_true(json_is_string(v));
	back = strdup(json_string_value(v));
	json_decref(v);
	free(buf);
	return back;
}

static void
test_strings_read_back_as_written(void **state)
{
	static const char *const same[] = {
		"", "+5511999990001", "quote \" and backslash \\ and slash /",
		"tab\tnew\nline\rreturn", "\x01\x1f\x7f", "Olá & ação: 日本語 🎉",
		"</script>",
	};
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *back = round_trip(same[i], &n);

		assert_string_equal(back, same[i]);
		free(back);
	}
}

static void
test_bytes_that_are_not_utf8_become_the_replacement_character(void **state)
{
	size_t n;
	char *back;

	(void)state;
	back = round_trip("a\xff" "b\xc3" "", &n);
	assert_string_equal(back, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	free(back);
	/* The worst case: every byte a control character, 6 bytes each. */
	back = round_trip("\x01\x02\x03", &n);
	assert_int_equal(n, SB_JSONW_STRING_ROOM(3));
	assert_string_equal(back, "\x01\x02\x03");
	free(back);
}

static void
test_integers_and_literals(void **state)
{
	static const int64_t vals[] = { 0, 7, -1, 1234567890123LL, INT64_MAX, INT64_MIN };
	char buf[SB_JSONW_INT_ROOM + 1], want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char *end = sb_jsonw_int(buf, vals[i]);

		assert_true((size_t)(end - buf) <= SB_JSONW_INT_ROOM);
		*end = '\0';
		snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
		assert_string_equal(buf, want);
	}
	*SB_JSONW_LIT(buf, "null") = '\0';
	assert_string_equal(buf, "null");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_read_back_as_written),
		cmocka_unit_test(test_bytes_that_are_not_utf8_become_the_replacement_character),
		cmocka_unit_test(test_integers_and_literals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
