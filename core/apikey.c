/*
 * apikey.c - new API keys for subaccounts, made where the operator is.
 *
 * A key is 32 random bytes from OpenSSL's CSPRNG written as 64 hex digits;
 * the configuration gets "sha256:" + SHA-256 of those 64 characters, the
 * same hash the daemon computes of the key a client sends. Nothing is
 * stored or sent anywhere: the key is printed once.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "apikey.h"

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
	memcpy(hash, "sha256:", 7);
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
