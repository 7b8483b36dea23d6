/*
 * csvfeed.h - a streaming CSV reader (libcsv underneath) that yields rows
 * with the physical line each starts on.
 *
 * csvfeed.c owns the byte-level reading of a recipients file: a UTF-8 byte
 * order mark at the start is skipped, CRLF, LF and CR all end a row,
 * quoted fields may hold delimiters, quotes ("") and line breaks, blank
 * lines are skipped, and every field must be valid UTF-8. Input is pushed
 * in pieces of any size (a piece may end in the middle of a field or a
 * UTF-8 sequence); each complete row is handed to a callback at once, so
 * memory is bounded by the longest row, never by the file. Lines are
 * counted from 1 at the first byte after the BOM, by LF (a CR not followed
 * by LF counts as a line break too); a row's line is the line of its first
 * byte, so a row after a quoted field with two line breaks is two lines
 * further on.
 *
 * The first row is the header: it must name each column once (compared
 * without case), none empty, and name at least one of `key_columns` when
 * that list is given. It is handed to the callback like any other row
 * (row->line == 1 for a file that starts with it).
 *
 * It never interprets values (phone numbers, variables): that is the
 * broadcast's (bcast_file.c).
 */
#ifndef SB_CSVFEED_H
#define SB_CSVFEED_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define SB_CSV_MAX_FIELD_DEFAULT 4096   /* bytes of one field */
#define SB_CSV_MAX_ROW_DEFAULT 65536    /* bytes of one row, quotes and delimiters included */
#define SB_CSV_MAX_COLUMNS_DEFAULT 64

struct sb_csvfeed;

struct sb_csv_row {
	int64_t line;              /* physical line where the row starts (1-based) */
	int64_t index;             /* 0 for the header, then 1, 2, ... */
	size_t nfields;
	const char *const *fields; /* NUL-terminated, valid UTF-8; borrowed until the callback returns */
	const size_t *lens;
};

/*
 * Called for each complete row. Return 0 to go on, anything else to stop:
 * the push (or finish) returns that value and the feed takes no more input.
 */
typedef int (*sb_csv_row_fn)(void *arg, const struct sb_csv_row *row);

struct sb_csvfeed_opts {
	size_t max_field;                  /* 0: SB_CSV_MAX_FIELD_DEFAULT */
	size_t max_row;                    /* 0: SB_CSV_MAX_ROW_DEFAULT */
	size_t max_columns;                /* 0: SB_CSV_MAX_COLUMNS_DEFAULT */
	const char *const *key_columns;    /* NULL-ended; the header needs one of them; or NULL */
};

/* A new feed (`opts` may be NULL), or NULL when out of memory. */
struct sb_csvfeed *sb_csvfeed_new(const struct sb_csvfeed_opts *opts);
void sb_csvfeed_free(struct sb_csvfeed *f);

/*
 * Feed `len` bytes. Returns 0, the callback's non-zero value, or -1 with
 * err: bad_argument for input that is not CSV (a stray quote, an
 * unterminated quoted field), not UTF-8, or a header without a key
 * column or with an empty or repeated name; too_large for a field, row or
 * header over its cap. Every message names the line. After a non-zero
 * return the feed refuses more input (-1, same error).
 */
int sb_csvfeed_push(struct sb_csvfeed *f, const void *data, size_t len, sb_csv_row_fn fn,
    void *arg, struct sb_error *err);

/*
 * End of input: the last row (without a final line break) is handed
 * over. -1 with err as above, or bad_argument "the file is empty" when no
 * row at all was read.
 */
int sb_csvfeed_finish(struct sb_csvfeed *f, sb_csv_row_fn fn, void *arg,
    struct sb_error *err);

/* After the header: the index of column `name` (no case), or -1. */
int sb_csvfeed_column(const struct sb_csvfeed *f, const char *name);
/* The header's names (borrowed), and how many; 0 before the header. */
size_t sb_csvfeed_columns(const struct sb_csvfeed *f, const char *const **names);
/* The index of the first key column the header names, or -1. */
int sb_csvfeed_key_column(const struct sb_csvfeed *f);
/* Rows handed over so far, the header included. */
int64_t sb_csvfeed_rows(const struct sb_csvfeed *f);

#endif
