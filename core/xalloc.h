/*
 * xalloc.h - allocation that cannot fail (it aborts on exhaustion), for
 * code such as the config loader where out of memory is not recoverable
 * in any useful way. The delivery path does not use these: it returns
 * errors instead.
 */
#ifndef SB_XALLOC_H
#define SB_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *sb_xrealloc(void *p, size_t n, size_t size);
char *sb_xstrdup(const char *s);
char *sb_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *sb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
