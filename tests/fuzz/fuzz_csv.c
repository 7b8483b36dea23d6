/*
 * fuzz_csv.c - core/csvfeed.c: any bytes as a recipients file. The first
 * byte picks the size of the pieces the rest is pushed in and small caps
 * (so the field, row and column limits are reached). Properties: the
 * rows, their lines and the verdict are the same whether the file comes
 * whole or in pieces; lines never go back and never pass the number of
 * line breaks + 1; every field is NUL-terminated at its length.
 */
#include <stdio.h>

#include "csvfeed.h"
#include "fuzz.h"

static const char *const keys[] = { "phone", "to", NULL };

struct digest {
	uint64_t h;
	int64_t rows, last_line, max_line;
};

static int
row_cb(void *arg, const struct sb_csv_row *row)
{
	struct digest *d = arg;

	FZ_ASSERT(row->index == d->rows);
	FZ_ASSERT(row->line >= d->last_line && row->line >= 1 && row->line <= d->max_line);
	d->last_line = row->line;
	d->h = d->h * 1099511628211ull ^ (uint64_t)row->line;
	for (size_t i = 0; i < row->nfields; i++) {
		FZ_ASSERT(strlen(row->fields[i]) == row->lens[i]);
		for (size_t k = 0; k < row->lens[i]; k++)
			d->h = (d->h ^ (unsigned char)row->fields[i][k]) * 1099511628211ull;
		d->h = d->h * 31 + 1;
	}
	d->rows++;
	return 0;
}

static int
run(const uint8_t *data, size_t size, size_t step, const struct sb_csvfeed_opts *o,
    struct digest *d, struct sb_error *err)
{
	struct sb_csvfeed *f = sb_csvfeed_new(o);
	int rc = 0;

	if (f == NULL)
		abort();
	for (size_t off = 0; off < size && rc == 0; off += step)
		rc = sb_csvfeed_push(f, data + off, size - off < step ? size - off : step, row_cb,
		    d, err);
	if (rc == 0)
		rc = sb_csvfeed_finish(f, row_cb, d, err);
	if (rc == 0)
		FZ_ASSERT(sb_csvfeed_key_column(f) >= 0);
	sb_csvfeed_free(f);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_csvfeed_opts o = { .key_columns = keys };
	struct digest whole = { .h = 14695981039346656037ull }, parts;
	struct sb_error e1 = { 0 }, e2 = { 0 };
	size_t step;
	int r1, r2;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] & 15) + 1;
	if (data[0] & 0x80) {
		o.max_field = 16;
		o.max_row = 48;
		o.max_columns = 4;
	}
	data++;
	size--;
	whole.max_line = 1;
	for (size_t i = 0; i < size; i++)
		whole.max_line += data[i] == '\n' || data[i] == '\r';
	parts = whole;
	r1 = run(data, size, size > 0 ? size : 1, &o, &whole, &e1);
	r2 = run(data, size, step, &o, &parts, &e2);
	FZ_ASSERT(r1 == r2);
	FZ_ASSERT(whole.rows == parts.rows && whole.h == parts.h);
	if (r1 != 0) {
		FZ_ASSERT(e1.code == e2.code);
		FZ_ASSERT(strcmp(e1.message, e2.message) == 0);
	}
	return 0;
}
