/*
 * events.h - signed event delivery to applications (docs/http-api.md,
 * "Events").
 *
 * events.c owns the dispatcher: it takes due events from the outbox
 * (store_events.c), at most one in flight per (subaccount, contact) so
 * each contact's events arrive in order, and a bounded number overall;
 * POSTs each, signed (HMAC-SHA256 of "timestamp.body" with the
 * subaccount's secret), to the subaccount's `events.url`; and records the
 * outcome: delivered (2xx), retried with exponential backoff (network
 * error, timeout, 5xx, 429) until `retry_for` has passed, or failed
 * (other answers). One timer, armed to the earliest due event, wakes it,
 * so it works on a quiet daemon. It never blocks the loop, never waits
 * for a commit of its own, and never slows the send path: the engine only
 * inserts a row (sb_events_status), in the transaction of the change.
 */
#ifndef SB_EVENTS_H
#define SB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "status.h"

struct sb_daemon;
struct sb_events;

#define SB_EVENTS_MAX_IN_FLIGHT 16       /* requests at once, all subaccounts */
#define SB_EVENTS_BACKOFF_FIRST_MS 1000  /* first retry after 1 s, then 2 s, 4 s ... */
#define SB_EVENTS_BACKOFF_MAX_MS 600000  /* ... capped at 10 min */
#define SB_EVENTS_TIMEOUT_MS 10000       /* per request */

/* The dispatcher of daemon `d` (its store and HTTP client must exist). NULL: no memory. */
struct sb_events *sb_events_new(struct sb_daemon *d);
/* Requests in flight are left pending in the store (delivered after a restart). */
void sb_events_free(struct sb_events *ev);

/*
 * Store an event of `kind` ("message.inbound", ...) for `subaccount`,
 * ordered by `contact` (the other party's address), in the open group;
 * `payload` (borrowed) becomes the body's "message" member; `url` is a
 * flow's callback URL, or NULL for the subaccount's `events.url`. Nothing
 * is stored (0) when the subaccount has no `events` configured. Returns
 * the event id, 0, or -1. Delivery starts once the group is committed.
 */
int64_t sb_events_emit(struct sb_daemon *d, const char *subaccount, const char *contact,
    const char *kind, int64_t message_id, json_t *payload, const char *url);

/*
 * The engine's hook (apply.c): message `message_id` has just moved to
 * `status` (with `reason`, or NULL) in the open group. Stores a
 * "message.status" event if its subaccount asked for that status. Cheap
 * when no subaccount has events: one comparison per configured subaccount.
 */
void sb_events_status(struct sb_daemon *d, int64_t message_id, enum sb_status status,
    const char *reason, int64_t now_ms);

/* Look for due events now (a redeliver, a reload). */
void sb_events_kick(struct sb_events *ev);

/* The pending gauge and friends, set before /metrics renders. */
void sb_events_metrics(struct sb_events *ev);

/* ---- pure helpers (unit tested) ---- */

/*
 * The signature header's value for `body` sent at `timestamp` (Unix
 * seconds): "v1=" and 64 lowercase hex digits of
 * HMAC-SHA256(secret, "<timestamp>.<body>"), into out (at least 68 bytes).
 * Returns 0, or -1 if out is too small.
 */
int sb_events_sign(const char *secret, int64_t timestamp, const char *body,
    size_t body_len, char *out, size_t out_len);
/* The delay before retry number `tries` (1: the first retry): 1 s doubling, capped. */
int64_t sb_events_backoff_ms(int tries);

#endif
