/*
 * console_pw.h - the web console's passwords: the scrypt hash format the
 * configuration holds, making one (`switchboardctl console hash`) and
 * checking one off the event loop.
 *
 * A hash is "scrypt:N:r:p:SALT:KEY": scrypt (RFC 7914, OpenSSL's EVP_KDF)
 * with cost N (a power of two, 2^10 to 2^20), block size r (1 to 32) and
 * parallelism p (1 to 16), a per-user salt of 16 to 64 bytes and a derived
 * key of 32 bytes, both in lowercase hex. A check costs tens of
 * milliseconds and up to 128*N*r bytes on purpose; it runs on one worker
 * thread (made on the first login), and the loop hears the verdict through
 * an eventfd, so a login never stalls the daemon.
 */
#ifndef SB_CONSOLE_PW_H
#define SB_CONSOLE_PW_H

#include <stddef.h>

struct event_base;
struct sb_console_pw;

/* What `console hash` uses: 2^15 costs about 150 ms and 32 MiB here. */
#define SB_CONSOLE_PW_N 32768
#define SB_CONSOLE_PW_R 8
#define SB_CONSOLE_PW_P 1
/* Longest hash text: the parameters, a 64-byte salt and the key in hex. */
#define SB_CONSOLE_PW_HASH_MAX 256

/* 0 if `hash` is a well-formed hash, else -1 with why (for the config). */
int sb_console_pw_check_format(const char *hash, const char **why);

/* A new hash of `password` with cost n (a power of two) into out: 0 or -1. */
int sb_console_pw_make(const char *password, unsigned long n, char *out, size_t len);

/* 1 if `password` matches `hash`, else 0; blocking (the worker's, tests'). */
int sb_console_pw_verify(const char *hash, const char *password);

/*
 * The worker. sb_console_pw_check() copies hash (NULL: no such user, the
 * same work is done against nothing so the answer takes as long) and
 * password, and calls done(arg, ok) later on the loop. -1 if too many
 * checks are already waiting (the caller answers "busy").
 */
struct sb_console_pw *sb_console_pw_new(struct event_base *base);
void sb_console_pw_free(struct sb_console_pw *w);
int sb_console_pw_check(struct sb_console_pw *w, const char *hash, const char *password,
    void (*done)(void *arg, int ok), void *arg);

#endif
