/*
 * test_csvfeed.c - the streaming CSV reader (core/csvfeed.c): a BOM, CRLF,
 * a quoted field with line breaks (and the line numbers of the rows after
 * it), input cut into pieces anywhere, a header without the key column,
 * the field and row caps, bad quoting, bad UTF-8 and an empty file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvfeed.h"

static const char *const keys[] = { "phone", "to", NULL };

/* Every row as "line:f1|f2|..." on its own line of `out`. */
struct seen {
	char out[8192];
	int64_t rows;
};

static int
collect(void *arg, const struct sb_csv_row *row)
{
	struct seen *s = arg;
	size_t n = strlen(s->out);

	n += (size_t)snprintf(s->out + n, sizeof(s->out) - n, "%lld:", (long long)row->line);
	for (size_t i = 0; i < row->nfields; i++) {
		assert_int_equal(strlen(row->fields[i]), row->lens[i]);
		n += (size_t)snprintf(s->out + n, sizeof(s->out) - n, "%s%s", i ? "|" : "",
		    row->fields[i]);
	}
	snprintf(s->out + n, sizeof(s->out) - n, "\n");
	assert_int_equal(row->index, s->rows);
	s->rows++;
	return 0;
}

/* Parse `in` pushed in pieces of `step` bytes; the return of finish (or push). */
static int
parse(const char *in, size_t len, size_t step, const struct sb_csvfeed_opts *opts,
    struct seen *s, struct sb_error *err)
{
	struct sb_csvfeed *f = sb_csvfeed_new(opts);
	int rc = 0;

	assert_non_null(f);
	memset(s, 0, sizeof(*s));
	for (size_t off = 0; off < len && rc == 0; off += step)
		rc = sb_csvfeed_push(f, in + off, len - off < step ? len - off : step, collect, s,
		    err);
	if (rc == 0)
		rc = sb_csvfeed_finish(f, collect, s, err);
	sb_csvfeed_free(f);
	return rc;
}

static const struct sb_csvfeed_opts key_opts = { .key_columns = keys };

/* The same rows and lines whatever the pieces are. */
static void
expect_all_steps(const char *in, size_t len, const char *want)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 64, 1 << 20 };
	struct sb_error err = { 0 };
	struct seen s;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = parse(in, len, steps[i], &key_opts, &s, &err);

		if (rc != 0)
			fail_msg("step %zu: %s", steps[i], err.message);
		assert_string_equal(s.out, want);
	}
}

static void
test_bom_crlf_quoted_newlines(void **state)
{
	static const char in[] =
	    "\xef\xbb\xbfphone,name,note\r\n"
	    "+5511999990001,Ana,plain\r\n"
	    "+5511999990002,\"Bo, Jr\",\"two\r\nline\nbreaks\"\r\n"
	    "\r\n"
	    "+5511999990003,\"Cé \"\"quoted\"\"\",x\r\n"
	    "+5511999990004,Di,last";

	(void)state;
	expect_all_steps(in, sizeof(in) - 1,
	    "1:phone|name|note\n"
	    "2:+5511999990001|Ana|plain\n"
	    "3:+5511999990002|Bo, Jr|two\r\nline\nbreaks\n"
	    "7:+5511999990003|Cé \"quoted\"|x\n"
	    "8:+5511999990004|Di|last\n");
}

static void
test_lf_and_cr_only(void **state)
{
	static const char lf[] = "to,v\n1,a\n\n\n2,\"b\nc\"\n3,d\n";
	static const char cr[] = "to,v\r1,a\r2,b\r";

	(void)state;
	expect_all_steps(lf, sizeof(lf) - 1, "1:to|v\n2:1|a\n5:2|b\nc\n7:3|d\n");
	expect_all_steps(cr, sizeof(cr) - 1, "1:to|v\n2:1|a\n3:2|b\n");
}

static void
test_header_columns(void **state)
{
	static const char in[] = "Name,PHONE,code\nx,1,2\n";
	struct sb_csvfeed *f = sb_csvfeed_new(&key_opts);
	struct sb_error err = { 0 };
	const char *const *names;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(sb_csvfeed_push(f, in, sizeof(in) - 1, collect, &s, &err), 0);
	assert_int_equal(sb_csvfeed_finish(f, collect, &s, &err), 0);
	assert_int_equal(sb_csvfeed_key_column(f), 1);
	assert_int_equal(sb_csvfeed_column(f, "phone"), 1);
	assert_int_equal(sb_csvfeed_column(f, "CODE"), 2);
	assert_int_equal(sb_csvfeed_column(f, "missing"), -1);
	assert_int_equal(sb_csvfeed_columns(f, &names), 3);
	assert_string_equal(names[0], "Name");
	assert_int_equal(sb_csvfeed_rows(f), 2);
	sb_csvfeed_free(f);
}

static void
expect_error(const char *in, size_t len, const struct sb_csvfeed_opts *opts, enum sb_err code,
    const char *words)
{
	struct sb_error err = { 0 };
	struct seen s;

	for (size_t step = 1; step <= len + 1; step = step * 3 + 1) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(parse(in, len, step, opts, &s, &err), -1);
		assert_int_equal(err.code, code);
		if (strstr(err.message, words) == NULL)
			fail_msg("'%s' does not say '%s'", err.message, words);
	}
}

static void
test_missing_phone_column(void **state)
{
	static const char in[] = "\xef\xbb\xbfnumber,name\n+5511999990001,Ana\n";
	static const char dup[] = "phone,Phone\n1,2\n";
	static const char noname[] = "phone,,x\n1,2,3\n";

	(void)state;
	expect_error(in, sizeof(in) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "line 1: the header row names no 'phone' or 'to' column");
	expect_error(dup, sizeof(dup) - 1, &key_opts, SB_E_BAD_ARGUMENT, "twice");
	expect_error(noname, sizeof(noname) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "column 2 of the header row has no name");
}

static void
test_oversize(void **state)
{
	const struct sb_csvfeed_opts small = {
		.key_columns = keys, .max_field = 8, .max_row = 32, .max_columns = 3,
	};
	static const char field[] = "phone,v\n1,12345678\n2,123456789\n";
	static const char quoted[] = "phone,v\n1,\"1234\n56789\"\n";
	static const char row[] = "phone,v\n1,\"aaaaaaa\"\"bbbbbbb\"\"ccccccc\"\"ddd\n";
	static const char cols[] = "phone,a,b\n1,2,3,4\n";

	(void)state;
	expect_error(field, sizeof(field) - 1, &small, SB_E_TOO_LARGE,
	    "line 3: field 2 is longer than 8 bytes");
	expect_error(quoted, sizeof(quoted) - 1, &small, SB_E_TOO_LARGE,
	    "line 2: field 2 is longer than 8 bytes");
	expect_error(row, sizeof(row) - 1, &small, SB_E_TOO_LARGE,
	    "line 2: the row is longer than 32 bytes");
	expect_error(cols, sizeof(cols) - 1, &small, SB_E_TOO_LARGE,
	    "line 2: more than 3 fields");
}

static void
test_not_csv_not_utf8_empty(void **state)
{
	static const char stray[] = "phone,v\n1,ab\"c\n";
	static const char after[] = "phone,v\n1,\"ab\"c\n";
	static const char open_q[] = "phone,v\n1,ok\n2,\"never closed\n3,x\n";
	static const char latin1[] = "phone,name\n1,Jos\xe9\n";
	static const char overlong[] = "phone,name\n1,\xc0\xaf\n";
	static const char nul[] = "phone,name\n1,a\0b\n";

	(void)state;
	expect_error(stray, sizeof(stray) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "line 2: not valid CSV");
	expect_error(after, sizeof(after) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "line 2: not valid CSV");
	expect_error(open_q, sizeof(open_q) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "line 3: a quoted field is not closed");
	expect_error(latin1, sizeof(latin1) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "line 2: field 2 is not valid UTF-8");
	expect_error(overlong, sizeof(overlong) - 1, &key_opts, SB_E_BAD_ARGUMENT,
	    "not valid UTF-8");
	expect_error(nul, sizeof(nul) - 1, &key_opts, SB_E_BAD_ARGUMENT, "not valid UTF-8");
	expect_error("", 0, &key_opts, SB_E_BAD_ARGUMENT, "the file is empty");
	expect_error("\xef\xbb\xbf\r\n\n", 5, &key_opts, SB_E_BAD_ARGUMENT, "the file is empty");
}

/* A short file that starts like a BOM but is not one keeps its bytes. */
static void
test_bom_prefix_only(void **state)
{
	struct sb_error err = { 0 };
	struct seen s;

	(void)state;
	assert_int_equal(parse("\xef\xbb", 2, 1, NULL, &s, &err), -1);
	assert_string_equal(parse("to\n", 3, 1, NULL, &s, &err) == 0 ? s.out : err.message,
	    "1:to\n");
}

static int
stop_at_two(void *arg, const struct sb_csv_row *row)
{
	(void)arg;
	return row->index == 2 ? 7 : 0;
}

static void
test_callback_stops(void **state)
{
	static const char in[] = "to\n1\n2\n3\n";
	struct sb_csvfeed *f = sb_csvfeed_new(&key_opts);
	struct sb_error err = { 0 };

	(void)state;
	assert_int_equal(sb_csvfeed_push(f, in, sizeof(in) - 1, stop_at_two, NULL, &err), 7);
	assert_int_equal(sb_csvfeed_rows(f), 3);
	assert_int_equal(sb_csvfeed_push(f, "4\n", 2, stop_at_two, NULL, &err), 7);
	sb_csvfeed_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bom_crlf_quoted_newlines),
		cmocka_unit_test(test_lf_and_cr_only),
		cmocka_unit_test(test_header_columns),
		cmocka_unit_test(test_missing_phone_column),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_not_csv_not_utf8_empty),
		cmocka_unit_test(test_bom_prefix_only),
		cmocka_unit_test(test_callback_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
