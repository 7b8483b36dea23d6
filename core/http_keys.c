/*
 * http_keys.c - the SHA-256 of the API keys clients present (http_keys.h).
 *
 * A keep-alive client sends the same key with every request, and hashing
 * it each time cost about 1 % of a message's CPU under scripts/bench (twice
 * per submission: the check, and the key's name for the broadcast's user).
 * So the keys that matched a configured hash are remembered with their
 * hash in a small direct-mapped table. An unknown key is hashed every time
 * and never kept, so a client guessing keys cannot fill the table or push
 * good keys out of it. Only key -> hash is remembered, which no reload
 * changes: the caller checks the hash against the configuration on every
 * request, so a key a reload removed is refused at once. The keys stay in
 * the daemon's memory (as each request's headers already do), never on
 * disk or in a log, and the table is wiped when freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "http_keys.h"

#define KEYS_SLOTS 64     /* a power of two; a few keys per subaccount */
#define KEYS_MAX_LEN 128  /* longer keys are hashed each time ("apikey new": 64) */

struct keys_slot {
	size_t len;               /* 0: empty */
	char key[KEYS_MAX_LEN];
	char hex[65];
};

struct sb_http_keys {
	EVP_MD *sha256;           /* fetched once: OpenSSL 3 looks it up per call */
	struct keys_slot slots[KEYS_SLOTS];
};

struct sb_http_keys *
sb_http_keys_new(void)
{
	struct sb_http_keys *keys = calloc(1, sizeof(*keys));

	if (keys == NULL)
		return NULL;
	keys->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (keys->sha256 == NULL) {
		free(keys);
		return NULL;
	}
	return keys;
}

void
sb_http_keys_free(struct sb_http_keys *keys)
{
	if (keys == NULL)
		return;
	EVP_MD_free(keys->sha256);
	OPENSSL_cleanse(keys->slots, sizeof(keys->slots));
	free(keys);
}

/* FNV-1a: the slot only spreads keys; the match is a full comparison. */
static struct keys_slot *
keys_slot_of(struct sb_http_keys *keys, const char *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return &keys->slots[h & (KEYS_SLOTS - 1)];
}

int
sb_http_keys_hash(struct sb_http_keys *keys, const char *key, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	size_t len = strlen(key);
	struct keys_slot *slot = keys_slot_of(keys, key, len);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (len > 0 && slot->len == len && CRYPTO_memcmp(slot->key, key, len) == 0) {
		memcpy(out, slot->hex, 65);
		return 1;
	}
	if (EVP_Digest(key, len, md, &n, keys->sha256, NULL) != 1 ||
	    n != SHA256_DIGEST_LENGTH) {
		memset(out, 'x', 64);
		out[64] = '\0';
		return -1;
	}
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

void
sb_http_keys_remember(struct sb_http_keys *keys, const char *key, const char hex[65])
{
	size_t len = strlen(key);
	struct keys_slot *slot;

	if (len == 0 || len > KEYS_MAX_LEN)
		return;
	slot = keys_slot_of(keys, key, len);
	OPENSSL_cleanse(slot, sizeof(*slot));
	memcpy(slot->key, key, len);
	memcpy(slot->hex, hex, 65);
	slot->len = len;
}
