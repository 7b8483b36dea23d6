/*
 * apikey.h - `switchboardctl apikey new`: a new API key and the hash the
 * configuration holds; `switchboardctl console hash`: a console user's
 * password_hash. Made on the client; the daemon is not involved.
 */
#ifndef SB_APIKEY_H
#define SB_APIKEY_H

#include <stdio.h>

/* Bytes of randomness in a key (256 bits), written as lowercase hex. */
#define SB_APIKEY_BYTES 32

/* Run `apikey ARGS...` (argv[0] is the word after "apikey"); print to out.
 * Returns the exit status: 0, or 2 for a usage error. */
int sb_apikey_command(int argc, char **argv, int json, FILE *out);

/* Run `console ARGS...` ("hash [--cost N]", the password on stdin). */
int sb_console_hash_command(int argc, char **argv, int json, FILE *out);

/* key (2 * SB_APIKEY_BYTES + 1) and hash ("sha256:" + 64 hex + NUL, 72):
 * 0, or -1 if the system has no randomness to give. */
int sb_apikey_make(char key[2 * SB_APIKEY_BYTES + 1], char hash[72]);

#endif
