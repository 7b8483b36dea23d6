/*
 * idempotency.h - client idempotency keys of submissions: their limits and
 * the check that a key reused is reused for the same request.
 */
#ifndef SB_IDEMPOTENCY_H
#define SB_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct sb_store;
struct sb_submit;

/* Longest key a client may give, in bytes. With several recipients each
 * gets KEY#i, so a recipient's key is at most this plus "#999". */
#define SB_IDEM_KEY_MAX 256
#define SB_IDEM_KEY_BUF (SB_IDEM_KEY_MAX + 8)

/* 0 if `key` is a usable key (1 to SB_IDEM_KEY_MAX bytes, no control
 * characters); else -1 and err (bad_argument) naming `what`. */
int sb_idem_key_check(const char *key, const char *what, struct sb_error *err);

/* The key of recipient `index` of `n` (KEY itself when n == 1) in out. */
void sb_idem_recipient_key(const char *key, size_t index, size_t n,
    char out[SB_IDEM_KEY_BUF]);

/*
 * If subaccount s->subaccount already has a message under s->idempotency_key,
 * compare it with the request `s` (to as normalized, `chain` and `from`
 * as resolved with the subaccount's defaults): 0 if there is none or it is
 * the same request, -1 and err (conflict, naming the field) if not. The
 * send time is not compared: a reschedule or the sending hours may have
 * moved it; the text is compared as stored (a reschedule may change it).
 */
int sb_idem_same_request(struct sb_store *st, const struct sb_submit *s, const char *to,
    const char *chain, const char *from, struct sb_error *err);

#endif
