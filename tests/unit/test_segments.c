/*
 * test_segments.c - SMS segment counts (core/segments.c): GSM-7 with the
 * 160/153 limits, extension characters counting 2 septets, UCS-2 with the
 * 70/67 limits, and emoji counting 2 UTF-16 units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "segments.h"

static char buf[4096];

/* `n` copies of the UTF-8 string `s`. */
static const char *
rep(const char *s, int n)
{
	size_t len = strlen(s), used = 0;

	for (int i = 0; i < n && used + len < sizeof(buf); i++, used += len)
		memcpy(buf + used, s, len);
	buf[used] = '\0';
	return buf;
}

static void
check(const char *text, const char *enc, size_t units, size_t segs)
{
	struct sb_segments g;

	sb_sms_segments(text, &g);
	assert_string_equal(g.encoding, enc);
	assert_int_equal(g.units, units);
	assert_int_equal(g.segments, segs);
}

static void
test_gsm7(void **state)
{
	(void)state;
	check("", "gsm7", 0, 0);
	check("Your code is 1234", "gsm7", 17, 1);
	check(rep("a", 160), "gsm7", 160, 1);
	check(rep("a", 161), "gsm7", 161, 2);
	check(rep("a", 306), "gsm7", 306, 2);
	check(rep("a", 307), "gsm7", 307, 3);
	/* Accented letters of the default alphabet stay GSM-7. */
	check("Olá? não: é à ñ ü Ø å ß Δ Ω", "ucs2", 27, 1); /* á and ã are not GSM */
	check("é à ñ ü Ø å ß Δ Ω £ ¥ § ¿ ¡", "gsm7", 27, 1);
}

static void
test_extension_counts_two(void **state)
{
	(void)state;
	check("€", "gsm7", 2, 1);
	check("[x]{y}~|^\\", "gsm7", 18, 1);
	check(rep("€", 80), "gsm7", 160, 1);
	check(rep("€", 81), "gsm7", 162, 2);
	check(rep("a{", 54), "gsm7", 162, 2);
}

static void
test_ucs2(void **state)
{
	(void)state;
	check("Привет", "ucs2", 6, 1);
	check("`", "ucs2", 1, 1); /* the backtick is not in GSM 03.38 */
	check(rep("ж", 70), "ucs2", 70, 1);
	check(rep("ж", 71), "ucs2", 71, 2);
	check(rep("ж", 134), "ucs2", 134, 2);
	check(rep("ж", 135), "ucs2", 135, 3);
	check("日本語", "ucs2", 3, 1);
}

static void
test_emoji_is_a_surrogate_pair(void **state)
{
	(void)state;
	check("😀", "ucs2", 2, 1);
	check(rep("😀", 35), "ucs2", 70, 1);
	check(rep("😀", 36), "ucs2", 72, 2);
	check("hi 👍", "ucs2", 5, 1);
	/* An invalid byte is not GSM: one unit. */
	check("a\xff", "ucs2", 2, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm7),
		cmocka_unit_test(test_extension_counts_two),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_emoji_is_a_surrogate_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
