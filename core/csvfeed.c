/*
 * csvfeed.c - the streaming CSV reader of csvfeed.h over libcsv.
 *
 * Owns: the byte order mark, line counting, the caps on fields, rows and
 * columns, UTF-8 checking of every field, and the header's checks. libcsv
 * does the quoting; it is fed one piece at a time, each piece ending at a
 * line break (or after PIECE bytes), so that the line of every byte it
 * sees is known. It must never keep more than one row: a row is copied
 * into `rowbuf` field by field and handed over when libcsv ends it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "csvfeed.h"

#define PIECE 4096

struct sb_csvfeed {
	struct csv_parser p;
	size_t max_field, max_row, max_columns;
	const char *const *keys;

	unsigned char bom[3];      /* the first bytes, until we know whether they are a BOM */
	size_t nbom;
	int started;               /* past the BOM check */
	int done;                  /* finished, failed or stopped: no more input */
	int failed;
	int stop_rc;
	struct sb_error err;

	int64_t line;              /* line of the next byte */
	int prev_cr;               /* the last byte fed was a CR */
	int64_t row_line;          /* line of the row being read; 0: none begun */
	size_t row_bytes;

	char *rowbuf;              /* the fields of the row being read, each NUL-ended */
	size_t used, cap;
	size_t *offs, *lens;
	const char **ptrs;
	size_t nfields;

	char **names;              /* the header's, once read */
	size_t nnames;
	int key_col;
	int64_t rows;

	sb_csv_row_fn fn;          /* during a push */
	void *arg;
};

static int
fail(struct sb_csvfeed *f, enum sb_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct sb_csvfeed *f, enum sb_err code, const char *fmt, ...)
{
	va_list ap;

	if (f->failed)
		return -1;
	f->failed = 1;
	f->done = 1;
	f->err.code = code;
	va_start(ap, fmt);
	vsnprintf(f->err.message, sizeof(f->err.message), fmt, ap);
	va_end(ap);
	return -1;
}

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, surrogates or NULs). */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], n, cp, min;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

struct sb_csvfeed *
sb_csvfeed_new(const struct sb_csvfeed_opts *opts)
{
	struct sb_csvfeed *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->max_field = opts != NULL && opts->max_field ? opts->max_field : SB_CSV_MAX_FIELD_DEFAULT;
	f->max_row = opts != NULL && opts->max_row ? opts->max_row : SB_CSV_MAX_ROW_DEFAULT;
	f->max_columns = opts != NULL && opts->max_columns ? opts->max_columns :
	    SB_CSV_MAX_COLUMNS_DEFAULT;
	f->keys = opts != NULL ? opts->key_columns : NULL;
	f->line = 1;
	f->key_col = -1;
	/* A row holds at most max_row bytes of input, hence of fields. */
	f->cap = f->max_row + f->max_columns + 1;
	f->rowbuf = malloc(f->cap);
	f->offs = calloc(f->max_columns, sizeof(*f->offs));
	f->lens = calloc(f->max_columns, sizeof(*f->lens));
	f->ptrs = calloc(f->max_columns, sizeof(*f->ptrs));
	if (f->rowbuf == NULL || f->offs == NULL || f->lens == NULL || f->ptrs == NULL ||
	    csv_init(&f->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(f->rowbuf);
		free(f->offs);
		free(f->lens);
		free(f->ptrs);
		free(f);
		return NULL;
	}
	return f;
}

void
sb_csvfeed_free(struct sb_csvfeed *f)
{
	if (f == NULL)
		return;
	csv_free(&f->p);
	for (size_t i = 0; i < f->nnames; i++)
		free(f->names[i]);
	free(f->names);
	free(f->rowbuf);
	free(f->offs);
	free(f->lens);
	free(f->ptrs);
	free(f);
}

static void
on_field(void *s, size_t len, void *data)
{
	struct sb_csvfeed *f = data;
	int64_t line = f->row_line ? f->row_line : f->line;

	if (f->done)
		return;
	if (f->nfields == f->max_columns) {
		fail(f, SB_E_TOO_LARGE, "line %lld: more than %zu fields in a row", (long long)line,
		    f->max_columns);
		return;
	}
	if (len > f->max_field) {
		fail(f, SB_E_TOO_LARGE, "line %lld: field %zu is longer than %zu bytes",
		    (long long)line, f->nfields + 1, f->max_field);
		return;
	}
	if (!utf8_valid(s, len)) {
		fail(f, SB_E_BAD_ARGUMENT, "line %lld: field %zu is not valid UTF-8 text"
		    " (save the file as UTF-8)", (long long)line, f->nfields + 1);
		return;
	}
	if (f->used + len + 1 > f->cap) { /* cannot happen while row_bytes <= max_row */
		fail(f, SB_E_TOO_LARGE, "line %lld: the row is longer than %zu bytes",
		    (long long)line, f->max_row);
		return;
	}
	if (len > 0)
		memcpy(f->rowbuf + f->used, s, len);
	f->rowbuf[f->used + len] = '\0';
	f->offs[f->nfields] = f->used;
	f->lens[f->nfields] = len;
	f->nfields++;
	f->used += len + 1;
}

/* The first row: names, once each, and a key column. 0 or -1 (failed). */
static int
take_header(struct sb_csvfeed *f, int64_t line)
{
	f->names = calloc(f->nfields, sizeof(*f->names));
	if (f->names == NULL)
		return fail(f, SB_E_INTERNAL, "out of memory");
	for (size_t i = 0; i < f->nfields; i++) {
		if (f->lens[i] == 0)
			return fail(f, SB_E_BAD_ARGUMENT, "line %lld: column %zu of the header"
			    " row has no name", (long long)line, i + 1);
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(f->names[k], f->ptrs[i]) == 0)
				return fail(f, SB_E_BAD_ARGUMENT, "line %lld: the header row names"
				    " column '%.64s' twice", (long long)line, f->ptrs[i]);
		f->names[i] = strdup(f->ptrs[i]);
		if (f->names[i] == NULL)
			return fail(f, SB_E_INTERNAL, "out of memory");
		f->nnames = i + 1;
	}
	for (size_t k = 0; f->keys != NULL && f->keys[k] != NULL && f->key_col < 0; k++)
		f->key_col = sb_csvfeed_column(f, f->keys[k]);
	if (f->keys != NULL && f->key_col < 0) {
		char want[256] = "";

		for (size_t k = 0; f->keys[k] != NULL; k++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s'%s'",
			    k == 0 ? "" : " or ", f->keys[k]);
		return fail(f, SB_E_BAD_ARGUMENT, "line %lld: the header row names no %s column"
		    " (the first row must name the columns)", (long long)line, want);
	}
	return 0;
}

static void
on_row(int c, void *data)
{
	struct sb_csvfeed *f = data;
	struct sb_csv_row row;
	int rc;

	(void)c;
	if (f->done)
		return;
	row.line = f->row_line ? f->row_line : f->line;
	row.index = f->rows;
	for (size_t i = 0; i < f->nfields; i++)
		f->ptrs[i] = f->rowbuf + f->offs[i];
	row.nfields = f->nfields;
	row.fields = f->ptrs;
	row.lens = f->lens;
	if (f->rows == 0 && take_header(f, row.line) < 0)
		return;
	f->rows++;
	f->nfields = 0;
	f->used = 0;
	f->row_line = 0;
	f->row_bytes = 0;
	rc = f->fn != NULL ? f->fn(f->arg, &row) : 0;
	if (rc != 0) {
		f->done = 1;
		f->stop_rc = rc;
	}
}

static int
is_term(unsigned char c)
{
	return c == '\r' || c == '\n';
}

/* libcsv over s[0..n); 0, or -1 (failed). */
static int
parse(struct sb_csvfeed *f, const unsigned char *s, size_t n)
{
	if (n == 0 || csv_parse(&f->p, s, n, on_field, on_row, f) == n || f->done)
		return f->failed ? -1 : 0;
	if (csv_error(&f->p) == CSV_EPARSE)
		return fail(f, SB_E_BAD_ARGUMENT, "line %lld: not valid CSV (a quote inside a"
		    " field that is not quoted, or text after a closing quote; write a quote"
		    " inside a quoted field as \"\")", (long long)f->line);
	return fail(f, SB_E_INTERNAL, "line %lld: %s", (long long)f->line,
	    csv_strerror(csv_error(&f->p)));
}

/*
 * Feed one piece: no line break inside it, at most one at its end. A row
 * is counted from its first byte that is not a blank, and cut at exactly
 * max_row bytes, so the verdict never depends on how input was split.
 */
static void
feed_piece(struct sb_csvfeed *f, const unsigned char *s, size_t n)
{
	unsigned char last = s[n - 1];
	size_t count = n, start = 0;

	if (f->row_line == 0) {
		for (start = 0; start < n; start++)
			if (s[start] != ' ' && s[start] != '\t' && !is_term(s[start]))
				break;
		if (start < n)
			f->row_line = f->line;
		count = n - start;
	}
	if (f->row_line != 0 && f->row_bytes + count > f->max_row) {
		size_t room = f->max_row - f->row_bytes;

		if (parse(f, s, start + room) == 0)
			fail(f, SB_E_TOO_LARGE, "line %lld: the row is longer than %zu bytes",
			    (long long)f->row_line, f->max_row);
		return;
	}
	if (f->row_line != 0)
		f->row_bytes += count;
	if (parse(f, s, n) < 0)
		return;
	if (last == '\r') {
		f->line++;
		f->prev_cr = 1;
	} else if (last == '\n') {
		if (n > 1 || !f->prev_cr)
			f->line++;
		f->prev_cr = 0;
	} else {
		f->prev_cr = 0;
	}
}

static void
feed(struct sb_csvfeed *f, const unsigned char *s, size_t len)
{
	while (len > 0 && !f->done) {
		size_t n = 0;

		while (n < len && n < PIECE && !is_term(s[n]))
			n++;
		if (n < len && n < PIECE)
			n++; /* the line break ends the piece */
		feed_piece(f, s, n);
		s += n;
		len -= n;
	}
}

static int
result(struct sb_csvfeed *f, struct sb_error *err)
{
	if (f->stop_rc != 0)
		return f->stop_rc;
	if (f->failed) {
		if (err != NULL)
			*err = f->err;
		return -1;
	}
	return 0;
}

int
sb_csvfeed_push(struct sb_csvfeed *f, const void *data, size_t len, sb_csv_row_fn fn,
    void *arg, struct sb_error *err)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
	const unsigned char *s = data;

	if (f->done)
		return f->stop_rc || f->failed ? result(f, err) :
		    sb_error_set(err, SB_E_INTERNAL, "the file was read to its end already");
	f->fn = fn;
	f->arg = arg;
	while (!f->started && len > 0) {
		f->bom[f->nbom++] = *s++;
		len--;
		if (memcmp(f->bom, bom, f->nbom) != 0) {
			f->started = 1;
			feed(f, f->bom, f->nbom);
		} else if (f->nbom == 3) {
			f->started = 1;
		}
	}
	if (f->started)
		feed(f, s, len);
	f->fn = NULL;
	return result(f, err);
}

int
sb_csvfeed_finish(struct sb_csvfeed *f, sb_csv_row_fn fn, void *arg, struct sb_error *err)
{
	if (f->done)
		return f->stop_rc || f->failed ? result(f, err) :
		    sb_error_set(err, SB_E_INTERNAL, "the file was read to its end already");
	f->fn = fn;
	f->arg = arg;
	if (!f->started && f->nbom > 0) {
		f->started = 1;
		feed(f, f->bom, f->nbom); /* fewer than 3 bytes: not a BOM */
	}
	if (!f->done && csv_fini(&f->p, on_field, on_row, f) != 0 && !f->done)
		fail(f, SB_E_BAD_ARGUMENT, "line %lld: a quoted field is not closed at the end"
		    " of the file", (long long)(f->row_line ? f->row_line : f->line));
	f->fn = NULL;
	if (!f->done && f->rows == 0)
		fail(f, SB_E_BAD_ARGUMENT, "the file is empty (expected a header row naming"
		    " the columns, then one row per recipient)");
	f->done = 1;
	return result(f, err);
}

int
sb_csvfeed_column(const struct sb_csvfeed *f, const char *name)
{
	for (size_t i = 0; i < f->nnames; i++)
		if (strcasecmp(f->names[i], name) == 0)
			return (int)i;
	return -1;
}

size_t
sb_csvfeed_columns(const struct sb_csvfeed *f, const char *const **names)
{
	*names = (const char *const *)f->names;
	return f->nnames;
}

int
sb_csvfeed_key_column(const struct sb_csvfeed *f)
{
	return f->key_col;
}

int64_t
sb_csvfeed_rows(const struct sb_csvfeed *f)
{
	return f->rows;
}
