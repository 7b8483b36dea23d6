/*
 * http_keys.h - the API keys clients present, as the configuration holds
 * them: SHA-256 in lowercase hex (subaccounts.NAME.api_keys, "sha256:" +
 * hex), remembered for the keys that matched (http_keys.c).
 */
#ifndef SB_HTTP_KEYS_H
#define SB_HTTP_KEYS_H

struct sb_http_keys;

/* NULL if OpenSSL has no SHA-256. Free with sb_http_keys_free. */
struct sb_http_keys *sb_http_keys_new(void);
/* Wipes the remembered keys. NULL is fine. */
void sb_http_keys_free(struct sb_http_keys *keys);

/*
 * The SHA-256 of key in out (64 hex digits and a NUL). Returns 1 if it was
 * remembered, 0 if it was computed, -1 if OpenSSL failed (out is then 64
 * 'x's, which match no configured hash).
 */
int sb_http_keys_hash(struct sb_http_keys *keys, const char *key, char out[65]);

/* Remember key's hash; only for a key whose hash matched a configured one. */
void sb_http_keys_remember(struct sb_http_keys *keys, const char *key, const char hex[65]);

#endif
