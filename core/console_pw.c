/*
 * console_pw.c - scrypt password hashes for the console (console_pw.h):
 * the format, making and verifying one. Linked into switchboardctl too
 * (`console hash`); the daemon's worker thread is console_pw_worker.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "console_pw.h"

#define PW_KEY_BYTES 32
#define PW_SALT_BYTES 16
#define PW_SALT_MAX 64

struct pw_params {
	uint64_t n;
	uint32_t r, p;
	unsigned char salt[PW_SALT_MAX];
	size_t nsalt;
	unsigned char key[PW_KEY_BYTES];
};

static int
unhex(const char *s, size_t nhex, unsigned char *out)
{
	for (size_t i = 0; i < nhex; i++) {
		int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		    c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

static void
tohex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Read one "u:" field of the hash into *v within [min, max]; advance *s. */
static int
read_uint(const char **s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	if (errno != 0 || *end != ':' || *v < min || *v > max)
		return -1;
	*s = end + 1;
	return 0;
}

static int
parse(const char *hash, struct pw_params *pp, const char **why)
{
	const char *s = hash, *colon;
	uint64_t r, p;
	size_t nhex;

	*why = "expected \"scrypt:N:r:p:SALT:KEY\" (switchboardctl console hash makes one)";
	if (hash == NULL || strncmp(s, "scrypt:", 7) != 0)
		return -1;
	s += 7;
	if (read_uint(&s, 1024, 1u << 20, &pp->n) < 0 || (pp->n & (pp->n - 1)) != 0) {
		*why = "the cost N must be a power of two from 1024 to 1048576";
		return -1;
	}
	if (read_uint(&s, 1, 32, &r) < 0 || read_uint(&s, 1, 16, &p) < 0) {
		*why = "r must be 1 to 32 and p 1 to 16";
		return -1;
	}
	pp->r = (uint32_t)r;
	pp->p = (uint32_t)p;
	colon = strchr(s, ':');
	nhex = colon != NULL ? (size_t)(colon - s) : 0;
	if (nhex < 2 * PW_SALT_BYTES || nhex > 2 * PW_SALT_MAX || nhex % 2 != 0 ||
	    unhex(s, nhex, pp->salt) < 0) {
		*why = "the salt must be 16 to 64 bytes in lowercase hex";
		return -1;
	}
	pp->nsalt = nhex / 2;
	s = colon + 1;
	if (strlen(s) != 2 * PW_KEY_BYTES || unhex(s, 2 * PW_KEY_BYTES, pp->key) < 0) {
		*why = "the key must be 32 bytes in lowercase hex";
		return -1;
	}
	return 0;
}

static int
derive(const char *password, const struct pw_params *pp, unsigned char out[PW_KEY_BYTES])
{
	uint64_t n = pp->n, maxmem = 128ull * pp->n * pp->r * pp->p + (1u << 20);
	uint32_t r = pp->r, p = pp->p;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
		    strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)pp->salt,
		    pp->nsalt),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int rc = ctx != NULL && EVP_KDF_derive(ctx, out, PW_KEY_BYTES, params) == 1 ? 0 : -1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
sb_console_pw_check_format(const char *hash, const char **why)
{
	struct pw_params pp;

	return parse(hash, &pp, why);
}

int
sb_console_pw_make(const char *password, unsigned long n, char *out, size_t len)
{
	struct pw_params pp = { .n = n, .r = SB_CONSOLE_PW_R, .p = SB_CONSOLE_PW_P,
		.nsalt = PW_SALT_BYTES };
	char salt[2 * PW_SALT_BYTES + 1], key[2 * PW_KEY_BYTES + 1];
	int w;

	if (RAND_bytes(pp.salt, PW_SALT_BYTES) != 1 || derive(password, &pp, pp.key) < 0)
		return -1;
	tohex(pp.salt, PW_SALT_BYTES, salt);
	tohex(pp.key, PW_KEY_BYTES, key);
	w = snprintf(out, len, "scrypt:%lu:%u:%u:%s:%s", n, pp.r, pp.p, salt, key);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

int
sb_console_pw_verify(const char *hash, const char *password)
{
	struct pw_params pp;
	unsigned char key[PW_KEY_BYTES];
	const char *why;
	int ok;

	if (parse(hash, &pp, &why) < 0 || derive(password, &pp, key) < 0)
		return 0;
	ok = CRYPTO_memcmp(key, pp.key, PW_KEY_BYTES) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}
