/*
 * jsonw.c - JSON text written by hand (jsonw.h): a history entry per
 * status change (store_hist.c) and the submission's answer per request
 * (http_messages.c), where jansson's objects and json_dumps cost more than
 * the rest of building them.
 */
#include <string.h>

#include <utf8proc.h>

#include "jsonw.h"

char *
sb_jsonw_bytes(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

char *
sb_jsonw_int(char *p, int64_t v)
{
	char digits[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*p++ = '-';
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

char *
sb_jsonw_string(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);

	*p++ = '"';
	while (left > 0) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n;

		/* A run of plain ASCII (most of any text) is copied as it is. */
		if (*u >= 0x20 && *u < 0x80 && *u != '"' && *u != '\\') {
			*p++ = (char)*u++;
			left--;
			continue;
		}
		n = utf8proc_iterate(u, left, &c);
		if (n < 0) {
			p = sb_jsonw_bytes(p, "\\ufffd", 6);
			u++;
			left--;
			continue;
		}
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			p = sb_jsonw_bytes(p, "\\u00", 4);
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			p = sb_jsonw_bytes(p, (const char *)u, (size_t)n);
		}
		u += n;
		left -= n;
	}
	*p++ = '"';
	return p;
}
