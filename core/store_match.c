/*
 * store_match.c - what "a message's text contains the searched text"
 * means, for both parts of a text search (store_search.c).
 *
 * The text index (store_text.c) keeps, per message, which trigrams (three
 * characters) its text holds, and not where: no positions (FTS5
 * detail=none) make it about a third of the size and cheaper to keep.
 * So the index answers "holds every trigram of the searched text", a few
 * candidates too many (the trigrams in another order), and sb_contains()
 * on the candidates' texts decides. The messages the index has not taken
 * in yet are decided by sb_contains() alone, so both parts agree.
 *
 * sb_contains(text, needle) compares letters by their lowercase
 * (utf8proc_tolower, one character for one, as the trigram tokenizer
 * folds them), the needle folded once by sb_store_match_fold.
 *
 * Owns: the index's match expression, the fold, and the SQL function.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "store_internal.h"
#include "store_search.h"

/* The UTF-8 of code point c into out (at least 4 bytes); its length. */
static size_t
match_put(utf8proc_int32_t c, char *out)
{
	utf8proc_ssize_t n = utf8proc_encode_char(c, (utf8proc_uint8_t *)out);

	return n > 0 ? (size_t)n : 0;
}

int
sb_store_match_fold(const char *text, char *out, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	size_t o = 0;

	while (*p != '\0') {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);

		if (n <= 0) {           /* not UTF-8: the byte as it is */
			c = -1;
			n = 1;
		}
		if (o + 5 > len)
			return -1;
		if (c < 0)
			out[o++] = (char)*p;
		else
			o += match_put(utf8proc_tolower(c), out + o);
		p += n;
	}
	if (o >= len)
		return -1;
	out[o] = '\0';
	return 0;
}

/* sb_contains(text, folded needle): 1, 0, or NULL for a NULL text. */
static void
match_contains(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	const char *needle = (const char *)sqlite3_value_text(argv[1]);
	char small[1024], *folded;
	size_t len;

	(void)argc;
	if (text == NULL || needle == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	/* A lowercase is at most 4 bytes for each input byte, and 1 more. */
	len = (size_t)sqlite3_value_bytes(argv[0]) * 4 + 1;
	folded = len <= sizeof(small) ? small : malloc(len);
	if (folded == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (sb_store_match_fold(text, folded, len) < 0)
		folded[0] = '\0';
	sqlite3_result_int(ctx, strstr(folded, needle) != NULL);
	if (folded != small)
		free(folded);
}

int
sb_store_match_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "sb_contains", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, match_contains, NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

/* Append the bytes [from, to) as one FTS5 string: "..." with " doubled. */
static int
match_quote(const char *from, const char *to, char *buf, size_t len, size_t *o)
{
	if (*o + 2 * (size_t)(to - from) + 8 > len)
		return -1;
	if (*o > 0) {
		memcpy(buf + *o, " AND ", 5);
		*o += 5;
	}
	buf[(*o)++] = '"';
	for (const char *p = from; p < to; p++) {
		if (*p == '"')
			buf[(*o)++] = '"';
		buf[(*o)++] = *p;
	}
	buf[(*o)++] = '"';
	buf[*o] = '\0';
	return 0;
}

int
sb_store_match_expr(const char *text, char *buf, size_t len)
{
	const char *at[SB_SEARCH_TEXT_MAX + 1];
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	size_t n = 0, o = 0;
	int tokens = 0;

	/* Where each character starts (a byte that is not UTF-8 counts as one). */
	while (*p != '\0' && n < SB_SEARCH_TEXT_MAX) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);

		at[n++] = (const char *)p;
		p += k > 0 ? k : 1;
	}
	at[n] = (const char *)p;
	if (len > 0)
		buf[0] = '\0';
	/* Trigrams side by side cover the text, and the last one its end:
	 * every trigram between is checked by sb_contains on the candidates. */
	for (size_t i = 0; i + 3 <= n; i += 3) {
		if (match_quote(at[i], at[i + 3], buf, len, &o) < 0)
			return -1;
		tokens++;
	}
	if (n >= 3 && n % 3 != 0) {
		if (match_quote(at[n - 3], at[n], buf, len, &o) < 0)
			return -1;
		tokens++;
	}
	return tokens;
}
