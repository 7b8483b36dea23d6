/*
 * jsonw.h - JSON text written by hand, where a message's hot path writes
 * it (a history entry, the submission's answer): into a buffer the caller
 * sized, with no allocation and no printf. Each returns the end of what it
 * wrote; none writes a NUL.
 */
#ifndef SB_JSONW_H
#define SB_JSONW_H

#include <stddef.h>
#include <stdint.h>

/* Room sb_jsonw_string needs for a string of n bytes. */
#define SB_JSONW_STRING_ROOM(n) ((n) * 6 + 2)
/* Room sb_jsonw_int needs. */
#define SB_JSONW_INT_ROOM 21

/* The n bytes of s at p. */
char *sb_jsonw_bytes(char *p, const char *s, size_t n);
/* A string literal's bytes at p. */
#define SB_JSONW_LIT(p, lit) sb_jsonw_bytes((p), (lit), sizeof(lit) - 1)
/* v in decimal. */
char *sb_jsonw_int(char *p, int64_t v);
/* s as a JSON string, quotes included; bytes that are not UTF-8 become
 * U+FFFD, so the text is JSON whatever a provider or a client put in it. */
char *sb_jsonw_string(char *p, const char *s);

#endif
