/*
 * apikey.c - credentials made where the operator is: new API keys for
 * subaccounts (`apikey new`) and console password hashes (`console hash`).
 *
 * A key is 32 random bytes from OpenSSL's CSPRNG written as 64 hex digits;
 * the configuration gets "sha256:" + SHA-256 of those 64 characters, the
 * same hash the daemon computes of the key a client sends. Nothing is
 * stored or sent anywhere: the key is printed once. A console password is
 * read from standard input (without echo on a terminal) and only its
 * scrypt hash (console_pw.c) is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "console_pw.h"

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
sb_apikey_make(char key[2 * SB_APIKEY_BYTES + 1], char hash[72])
{
	unsigned char raw[SB_APIKEY_BYTES], md[SHA256_DIGEST_LENGTH];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex(raw, sizeof(raw), key);
	OPENSSL_cleanse(raw, sizeof(raw));
	SHA256((const unsigned char *)key, strlen(key), md);
	memcpy(hash, "sha256:", 8); /* with its NUL, until hex() ends the string */
	hex(md, sizeof(md), hash + 7);
	return 0;
}

int
sb_apikey_command(int argc, char **argv, int json, FILE *out)
{
	char key[2 * SB_APIKEY_BYTES + 1], hash[72];

	if (argc != 1 || strcmp(argv[0], "new") != 0) {
		fputs("switchboardctl: usage: switchboardctl apikey new\n", stderr);
		return 2;
	}
	if (sb_apikey_make(key, hash) < 0) {
		fputs("switchboardctl: no random bytes available\n", stderr);
		return 1;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s}", "key", key, "hash", hash);

		json_dumpf(o, out, JSON_COMPACT);
		fputc('\n', out);
		json_decref(o);
	} else {
		fprintf(out, "key:  %s\nhash: %s\n"
		    "Give the key to the client (Authorization: Bearer KEY); put the hash in\n"
		    "subaccounts.NAME.api_keys. The key is not stored anywhere.\n", key, hash);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* One line of standard input, without its newline; no echo on a terminal. */
static int
read_password(char *buf, size_t len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *ok;

	if (tty) {
		fputs("console password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (ok == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
sb_console_hash_command(int argc, char **argv, int json, FILE *out)
{
	char password[1100], hash[SB_CONSOLE_PW_HASH_MAX];
	unsigned long n = SB_CONSOLE_PW_N;
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "--cost") == 0) {
		char *end;

		n = strtoul(argv[2], &end, 10);
		if (*end != '\0' || n < 1024 || n > (1ul << 20) || (n & (n - 1)) != 0) {
			fputs("switchboardctl: --cost must be a power of two from 1024 to"
			    " 1048576\n", stderr);
			return 2;
		}
		argc = 1;
	}
	if (argc != 1 || strcmp(argv[0], "hash") != 0) {
		fputs("switchboardctl: usage: switchboardctl console hash [--cost N]"
		    " < password\n", stderr);
		return 2;
	}
	if (read_password(password, sizeof(password)) < 0 || password[0] == '\0' ||
	    strlen(password) > 1024) {
		fputs("switchboardctl: expected a password of 1 to 1024 bytes on standard"
		    " input\n", stderr);
		rc = 2;
	} else if (sb_console_pw_make(password, n, hash, sizeof(hash)) < 0) {
		fputs("switchboardctl: cannot hash the password (no randomness or memory)\n",
		    stderr);
		rc = 1;
	} else if (json) {
		json_t *o = json_pack("{s:s}", "hash", hash);

		json_dumpf(o, out, JSON_COMPACT);
		fputc('\n', out);
		json_decref(o);
	} else {
		fprintf(out, "%s\n", hash);
	}
	OPENSSL_cleanse(password, sizeof(password));
	return rc;
}
