/*
 * sbp_buf.h - a growable text buffer and the escapings a provider request
 * needs (form, URL, header), shared by the channel plugins and the daemon's
 * HTTP client (core/http_client.c, for its request and answer buffers).
 *
 * Part of plugins/common (libsbplugin.la), the small support library every
 * in-tree plugin links. Not part of the ABI and not installed: each module
 * links it statically and exports only its plugin symbol; the daemon
 * compiles sbp_buf.c in as well (SBP_BUF_SOURCES).
 */
#ifndef SBP_BUF_H
#define SBP_BUF_H

#include <stddef.h>

/* Caller-owned and reused across sends: appending never allocates per call. */
struct sbp_buf {
	char *p;      /* NUL-terminated once anything was added */
	size_t len, cap;
};

int sbp_buf_add(struct sbp_buf *b, const char *s, size_t n); /* 0 or -1 (ENOMEM) */
int sbp_buf_adds(struct sbp_buf *b, const char *s);
void sbp_buf_clear(struct sbp_buf *b);                       /* len = 0, keeps memory */
void sbp_buf_free(struct sbp_buf *b);                        /* zeroes, then frees */

/* How text is written into its destination. */
enum sbp_esc {
	SBP_ESC_RAW,    /* as is (JSON values before jansson, Basic auth) */
	SBP_ESC_FORM,   /* x-www-form-urlencoded: space '+', other specials %XX */
	SBP_ESC_URL,    /* percent-encoding for URLs: space %20 */
	SBP_ESC_HEADER, /* as is, but CR and LF become spaces: no header injection */
};

/* Append s[0..n) to out, escaped. 0, or -1 out of memory. */
int sbp_escape(struct sbp_buf *out, const char *s, size_t n, enum sbp_esc esc);

#endif
