/*
 * sbp_buf.c - growable buffer and escaping (see sbp_buf.h). Keeps no state
 * and never logs: buffers may hold expanded secrets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbp_buf.h"

/* Room for n more bytes and the NUL; 0, or -1 out of memory. */
static int
buf_reserve(struct sbp_buf *b, size_t n)
{
	size_t cap = b->cap != 0 ? b->cap : 256;
	char *p;

	if (n > SIZE_MAX / 4 - b->len)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
sbp_buf_add(struct sbp_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
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

/* RFC 3986's unreserved characters: ASCII only, whatever the locale. */
static int
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

int
sbp_escape(struct sbp_buf *out, const char *s, size_t n, enum sbp_esc esc)
{
	static const char hex[] = "0123456789ABCDEF";
	char *w;

	if (esc == SBP_ESC_RAW)
		return sbp_buf_add(out, s, n);
	/* A byte takes at most three: room once, then written in place (this
	 * runs for every field of every carrier request). */
	if (n > SIZE_MAX / 4 || buf_reserve(out, 3 * n) < 0)
		return -1;
	w = out->p + out->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (esc == SBP_ESC_HEADER) {
			*w++ = (char)(c == '\r' || c == '\n' ? ' ' : c);
		} else if (unreserved(c)) {
			*w++ = (char)c;
		} else if (esc == SBP_ESC_FORM && c == ' ') {
			*w++ = '+';
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	out->len = (size_t)(w - out->p);
	out->p[out->len] = '\0';
	return 0;
}
