/*
 * dispatch.h - the delivery engine's interface to the rest of the daemon:
 * from a stored message to a final status.
 *
 * The engine (core/engine/, see engine.h for its modules) owns the life of
 * every message after submission: it creates attempts along the chain the
 * message started with, hands them to channel instances within their rate
 * and in-flight limits, applies send results and receipts, retries
 * temporary failures, falls back to the next step, and is the only place
 * where a status changes. The queue lives in SQLite, not in memory.
 */
#ifndef SB_DISPATCH_H
#define SB_DISPATCH_H

#include <stdint.h>

#include "errors.h"
#include "status.h"

struct sb_config;
struct sb_daemon;
struct sb_dispatch;

/*
 * A new broadcast made by the first message a trigger stores (an API call,
 * a control-socket send): who and how. `id` is 0 until then, and the
 * broadcast's id after; a trigger whose every message was a duplicate
 * (idempotency key) makes none.
 */
struct sb_bcast_origin {
	const char *source;         /* "api", "control", "file" */
	const char *user;           /* API key name, control peer's user; or NULL */
	const char *file_name;      /* or NULL */
	int single;                 /* one message only (store_bcast.h, single_message) */
	int64_t id;
};

struct sb_submit {
	const char *subaccount;     /* NULL: the first configured subaccount */
	const char *chain;          /* NULL: the subaccount's default chain */
	const char *to;             /* phone number; normalised to E.164 */
	const char *from;           /* or NULL: the subaccount's sender */
	const char *text;           /* text, or NULL with a template */
	const char *template_name;
	const char *template_lang;
	const char *template_vars;  /* JSON object text, or NULL */
	int64_t template_version;   /* of a stored template; 0: its latest */
	int64_t send_at_ms;         /* 0: now */
	const char *idempotency_key;/* or NULL */
	int64_t broadcast_id;       /* 0: none */
	int64_t resend_of;          /* 0: none */
	struct sb_bcast_origin *bcast; /* makes the broadcast (broadcast_id 0), or NULL */
};

/*
 * Called once the submission is durable (id > 0), or failed (err set).
 * `duplicate` is 1 when an earlier message with the same idempotency key
 * was found and returned instead. `status` is the one the submission
 * left it in (queued, sending, scheduled, blocked_time, rejected); for a
 * duplicate, the earlier message's when it was found; with `err`, none
 * (callers pass SB_ST_QUEUED).
 */
typedef void (*sb_submit_done_fn)(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err);

struct sb_dispatch *sb_dispatch_new(struct sb_daemon *d);
void sb_dispatch_free(struct sb_dispatch *dp);

/*
 * Validate and store a message. Returns 0 if `done` will be called after
 * the group commit, or -1 with `err` set (bad number, unknown chain...),
 * in which case `done` is not called. Nothing is sent before the commit.
 * Outside a batch, a failure after the first write rolls the whole open
 * group back (its other waiters hear ok = 0): nothing half written stays.
 */
int sb_dispatch_submit(struct sb_dispatch *dp, const struct sb_submit *s,
    sb_submit_done_fn done, void *arg, struct sb_error *err);

/*
 * Store several submissions all or nothing: between begin and end, each
 * sb_dispatch_submit joins one savepoint and its `done` is held back. End
 * with ok=1 to keep them (each `done` then comes after the commit) or 0 to
 * undo every one (each held `done` is called at once with an error).
 */
int sb_dispatch_batch_begin(struct sb_dispatch *dp, struct sb_error *err);
void sb_dispatch_batch_end(struct sb_dispatch *dp, int ok);

/*
 * Before a reload swaps in `cfg`: refuse (-1 with err naming the instance
 * and the count) if it drops a channel instance that unfinished messages
 * still need. After the swap, sb_dispatch_reloaded gives the new chains
 * their versions.
 */
int sb_dispatch_check_reload(struct sb_dispatch *dp, const struct sb_config *cfg,
    struct sb_error *err);
int sb_dispatch_reloaded(struct sb_dispatch *dp, struct sb_error *err);

/*
 * Cancel a message that is scheduled or queued (not yet handed to a
 * channel). `subaccount` limits it to that subaccount (NULL: any).
 * Returns 0 (the change is in the open group: use sb_store_after_commit
 * before acknowledging) or -1 with err (not_found, invalid_state).
 */
int sb_dispatch_cancel(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    struct sb_error *err);

/*
 * Move a scheduled message to a new send time *at_ms (a past time means
 * now: *at_ms is set to the time stored), and give it a new text if `text`
 * is not NULL; the text passes the
 * content filters again, and a blocked text changes nothing. Returns 0
 * (the change is in the open group: acknowledge after the commit) or -1
 * with err: not_found, invalid_state (not scheduled), bad_argument,
 * too_large, forbidden (a filter blocked the text).
 */
int sb_dispatch_reschedule(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    int64_t *at_ms, const char *text, struct sb_error *err);

/*
 * Run the filter instances on a text without sending anything. Returns 0
 * with *blocked and `reason` ("filter 'content': word 'gratis'") filled.
 */
int sb_dispatch_filter_check(struct sb_dispatch *dp, const char *subaccount,
    const char *to, const char *text, int *blocked, char *reason, size_t reason_len,
    struct sb_error *err);

/*
 * Submit a copy of an earlier message as a new one linked to it
 * (resend_of), e.g. after support allowlisted what rejected it.
 */
int sb_dispatch_resend(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    sb_submit_done_fn done, void *arg, struct sb_error *err);

/*
 * Stop a broadcast: record the stop (once; *stopped_ms gets its time) and
 * cancel, reason "broadcast stopped", every message of it not yet handed
 * to a provider, in batches; no later send or chain step of it starts.
 * Idempotent. 0 (acknowledge after the commit) or -1 with err (not_found).
 */
int sb_dispatch_broadcast_stop(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    int64_t *stopped_ms, struct sb_error *err);

struct sb_restart_result {
	int64_t id;                 /* the new broadcast */
	int64_t restart_of;
	int64_t recipients;         /* numbers it sends to */
	int existing;               /* 1: it was restarted before; this is that restart */
};
/*
 * Restart a finished broadcast: a new broadcast linked to it, sending to
 * each number whose latest message ended undeliverable, failed, expired or
 * cancelled and that never got it, once. A second restart answers with
 * the first. -1 with err: not_found, invalid_state (still running, or no
 * one to send to).
 */
int sb_dispatch_broadcast_restart(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    const char *user, struct sb_restart_result *res, struct sb_error *err);

/* Look for due work now (after a clock change or a config reload). */
void sb_dispatch_kick(struct sb_dispatch *dp);

/* Counters for /metrics and `plugins`: attempts in flight per instance. */
unsigned sb_dispatch_inflight(struct sb_dispatch *dp, const char *instance);

#endif
