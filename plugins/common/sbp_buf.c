/*
 * sbp_buf.c - growable buffer and escaping (see sbp_buf.h). Keeps no state
 * and never logs: buffers may hold expanded secrets.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sbp_buf.h"

int
sbp_buf_add(struct sbp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
sbp_buf_adds(struct sbp_buf *b, const char *s)
{
	return sbp_buf_add(b, s, strlen(s));
}

void
sbp_buf_clear(struct sbp_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
sbp_buf_free(struct sbp_buf *b)
{
	/* Buffers held expanded secrets (Basic auth, headers): do not leave them in the heap. */
	if (b->p != NULL)
		memset(b->p, 0, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int
sbp_escape(struct sbp_buf *out, const char *s, size_t n, enum sbp_esc esc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, start;

	if (esc == SBP_ESC_RAW)
		return sbp_buf_add(out, s, n);
	for (i = 0, start = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[3];
		size_t enclen;

		if (esc == SBP_ESC_HEADER ? (c != '\r' && c != '\n') : unreserved(c))
			continue;
		/* Flush the plain run, then the one encoded byte. */
		if (sbp_buf_add(out, s + start, i - start) < 0)
			return -1;
		start = i + 1;
		if (esc == SBP_ESC_HEADER || (esc == SBP_ESC_FORM && c == ' ')) {
			enc[0] = esc == SBP_ESC_HEADER ? ' ' : '+';
			enclen = 1;
		} else {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			enclen = 3;
		}
		if (sbp_buf_add(out, enc, enclen) < 0)
			return -1;
	}
	return sbp_buf_add(out, s + start, n - start);
}
