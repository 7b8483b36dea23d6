/*
 * dispatch_impl.h - what dispatch.c, submit.c and receipt.c share.
 */
#ifndef SB_DISPATCH_IMPL_H
#define SB_DISPATCH_IMPL_H

#include <stdint.h>

#include <event2/event.h>

#include "dispatch_internal.h"
#include "ratelimit.h"
#include "status.h"
#include "store.h"

struct sb_instance;
struct sb_config_chain;

#define MAX_TEXT_BYTES 65536   /* of a message's text */

/* What the state machine needs to know about one attempt. */
struct attempt_ref {
	int64_t attempt_id, message_id;
	int step, message_step, tries;
	enum sb_status status, message_status;
	const char *chain;
	const char *instance;
	int64_t expires_ms;
};

/*
 * One status change: of an attempt (change != NULL), of its message
 * (message_status >= 0), or both, with one history row.
 */
struct transition_req {
	int64_t message_id;
	int64_t attempt_id;                  /* 0: message only */
	const struct sb_attempt_change *change;
	enum sb_status old_message_status;
	enum sb_status message_status;       /* (enum sb_status)-1: unchanged */
	int step;                            /* new current step, -1: unchanged */
	const char *reason;                  /* NULL: unchanged, "": cleared */
	int64_t send_at_ms;                  /* new send time, 0: unchanged */
	int64_t expires_ms;                  /* with send_at_ms: new validity end, 0: unchanged */
};

struct inflight {
	uint64_t ticket;
	uint32_t gen;
	uint32_t next_free;
	int used;
	struct sb_instance *inst;
	int64_t started_us;
	struct attempt_ref ref;
	char chain[128];
	int sub_slot;                /* index into sb_dispatch.subs, or -1 */
};

struct ready {
	struct sb_attempt_row row;
	struct sb_instance *inst;
	int skip;
	int sub_slot;                /* index into sb_dispatch.subs, or -1 */
};

/* A subaccount's token bucket (subaccounts.X.rate), by name. */
struct sub_bucket {
	char name[72];
	struct sb_bucket bucket;
	unsigned inflight;           /* sends of the subaccount not yet answered */
};

/* Subaccounts with queued attempts on one instance looked at per pass. */
#define SB_MAX_LANES 1024

struct due_collect {
	int64_t *ids;
	size_t n, cap;
};

struct sb_dispatch {
	struct sb_daemon *d;
	struct event *pump_ev;       /* run a pass at the next loop turn */
	struct event *due_ev;        /* the earliest due time */
	struct event *commit_ev;     /* end of the group commit window */
	int commit_armed;
	int new_work;                /* the open group queued something */
	int want_full;               /* the next pass also scans due times */
	int64_t due_at_ms;           /* monotonic deadline of due_ev, when armed */
	struct inflight *slots;      /* tickets, indexed by their low 32 bits */
	size_t nslots;
	uint32_t free_slot;
	struct ready *ready;         /* one pass's batch, strings in `arena` */
	size_t nready, capready;
	char *arena;
	size_t arena_used, arena_cap;
	size_t first_inst;           /* the instance a pass starts with */
	int batch_full;              /* a queue filled this pass's batch */
	struct sub_bucket *subs;     /* subaccount buckets (ratelimit.c) */
	size_t nsubs, capsubs;
	char (*lanes)[72];           /* SB_MAX_LANES names, one pass's lanes */
};

void transition(struct sb_dispatch *dp, const struct transition_req *t);
/*
 * A subaccount's slot in dp->subs (its bucket and in-flight count), made
 * on first use; -1 without memory. Slots never move, so tickets keep them.
 */
int sb_sub_slot(struct sb_dispatch *dp, const char *name);
/* Count a send of the subaccount in slot `slot` in (+1) or out (-1). */
void sb_sub_inflight(struct sb_dispatch *dp, int slot, int delta);
/*
 * Run a pump pass at the next loop turn. A full pass also scans what may
 * have come due (schedules, fallbacks, expiry, polls); the cheap one only
 * refills free send slots, which is all a finished send needs.
 */
void pump_soon(struct sb_dispatch *dp, int full);
void apply_outcome(struct sb_dispatch *dp, const struct attempt_ref *a,
    enum sb_outcome out, const char *provider_id, const char *error_code,
    const char *error_text, int32_t retry_after_s, int32_t parts);
void start_step(struct sb_dispatch *dp, int64_t message_id, enum sb_status old_status,
    const char *chain_name, int step, const char *reason);
const struct sb_config_chain *chain_of(struct sb_dispatch *dp, const char *name);
/* The attempt's idempotency key, also its provider id until the provider names one. */
void make_attempt_key(struct sb_dispatch *dp, int64_t attempt_id, char *buf, size_t len);
void attempt_ref_from_row(struct attempt_ref *a, const struct sb_attempt_row *r,
    char *chain_buf, size_t chain_len, char *inst_buf, size_t inst_len);

/* dispatch.c: copy a row into the pass's batch; 1 when the batch is full. */
int collect_ready(void *arg, const struct sb_attempt_row *r);

/*
 * ratelimit.c: append up to `cap` ready attempts of `inst` to dp->ready,
 * within the subaccounts' buckets (the caller applies the instance's).
 * Lowers *wait (ms from now) to when held-back work may go. Returns the
 * number appended.
 */
size_t sb_pump_select(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now,
    int cap, int64_t *wait);

/*
 * polling.c: receipt polling and expiry, run by the pump. The first poll
 * time of an attempt of `instance` accepted at `now`, or 0 when that
 * channel is not polled.
 */
int64_t sb_poll_first(struct sb_dispatch *dp, const char *instance, int64_t now);
void sb_poll_due(struct sb_dispatch *dp, int64_t now);
void sb_expire_due(struct sb_dispatch *dp, int64_t now);

/* submit.c: a scheduled message whose time has come. */
void activate_message(struct sb_dispatch *dp, int64_t id);
int collect_id(void *arg, int64_t id);

/*
 * schedule.c: may step `step` of a message start now under its
 * subaccount's allowed hours? 0: yes. 1: no, and `t` (the step's message
 * transition) is filled with what happens instead: `scheduled` at the
 * next allowed minute (send_at_ms, expires_ms), or `blocked_time`, or
 * `expired` if its validity ends first; reason in `why`, which must
 * outlive the transition.
 */
int hours_gate(struct sb_dispatch *dp, int64_t message_id, int step, int64_t now_ms,
    struct transition_req *t, char *why, size_t why_len);

#endif
