/*
 * xalloc.c - allocation helpers that abort instead of returning NULL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void *
sb_xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		abort();
	if (!(p = realloc(p, n && size ? n * size : 1))) {
		fputs("switchboard: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
sb_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(sb_xrealloc(NULL, n, 1), s, n);
}

char *
sb_xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	char *s;

	va_copy(cp, ap);
	n = fmt ? vsnprintf(NULL, 0, fmt, cp) : -1;
	va_end(cp);
	if (n < 0)
		return sb_xstrdup("(unformattable text)");
	s = sb_xrealloc(NULL, (size_t)n + 1, 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
sb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sb_xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
