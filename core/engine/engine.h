/*
 * engine.h - what the engine's modules share, and nobody outside core/engine.
 *
 * The engine is split by concern, each file owning its part of struct
 * sb_dispatch and touching no other part:
 *
 *   statem.c   the rules: a pure decision per (state, event, step)
 *   apply.c    the only writer of statuses: sb_eng_transition (checked
 *              against statem's tables, compare-and-set in the store),
 *              events turned into decisions, chain steps started
 *   chains.c   chain versions: a message follows the chain it started with
 *   due.c      time: the one due timer, always armed to the earliest stored
 *              time; activation, fallback, receipt polls and expiry scans
 *   pump.c     sending: ready attempts -> `sending` -> plugins; tickets
 *   lanes.c    which ready attempts go in a pass (rates, subaccount lanes)
 *   submit.c   messages in: validation, filters, storing, batches, cancel
 *   schedule.c allowed hours before each step; reschedule
 *   receipt.c  receipts by provider id; crash recovery of `sending` attempts
 *   watch.c    which messages changed while an attempt of theirs was out
 */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include <stdint.h>

#include <event2/event.h>

#include "dispatch_internal.h"
#include "ratelimit.h"
#include "statem.h"
#include "status.h"
#include "store.h"

struct sb_instance;
struct sb_config_subaccount;

#define SB_MAX_TEXT_BYTES 65536   /* of a message's text */

/* ---- apply.c ---- */

/* An attempt and its message as stored: what an event is judged against. */
struct sb_attempt_ref {
	int64_t attempt_id, message_id;
	int step, message_step, tries;
	enum sb_status status, message_status;
	int has_provider_id;      /* a provider-given id, not our own attempt key */
	int64_t chain_ver;        /* 0: a message older than chain versions */
	const char *chain;        /* its name */
	const char *instance;
	int64_t expires_ms;
};

/* What the provider said with an outcome (all optional). */
struct sb_outcome_info {
	const char *provider_id, *error_code, *error_text;
	int32_t retry_after_s;    /* -1: none */
	int32_t parts;            /* 0: unknown */
	int in_doubt;             /* the request may have reached the provider */
};

/*
 * One status change: of an attempt (change != NULL), of its message
 * (message_status != SB_SM_KEEP), or both, with one history entry. The old
 * statuses are what the caller read: the store writes only if the row
 * still has them (compare and set), so a stale decision never overwrites
 * a newer one.
 */
struct sb_transition {
	int64_t message_id;
	int64_t attempt_id;                  /* 0: message only */
	enum sb_status old_attempt_status;
	const struct sb_attempt_change *change;
	enum sb_status old_message_status;
	enum sb_status message_status;       /* SB_SM_KEEP: unchanged */
	int step;                            /* new current step, -1: unchanged */
	const char *reason;                  /* NULL: none, "": cleared */
	int64_t send_at_ms;                  /* new send time, 0: unchanged */
	int64_t expires_ms;                  /* with send_at_ms: new validity end, 0: unchanged */
	/* The message was just stored queued and this is its first step's
	 * start: its row holds the entry "queued, with its first attempt"
	 * already, so a move replaces that entry and no move writes one. */
	int first;
};

/*
 * Write a transition. Returns 0, or -1 when the tables refuse the move or
 * the rows no longer hold the old statuses (logged; nothing written).
 */
int sb_eng_transition(struct sb_dispatch *dp, const struct sb_transition *t);
/* A message was stored with its first status: its history entry, gauge, timer. */
void sb_eng_created(struct sb_dispatch *dp, const struct sb_message *m);
/*
 * Judge `ev` on the attempt `a` (statem.c) and apply the decision. Returns
 * the attempt's status after it, or -1 when nothing changed.
 */
int sb_eng_event(struct sb_dispatch *dp, const struct sb_attempt_ref *a,
    enum sb_sm_event ev, const struct sb_outcome_info *info);
/*
 * Start step `step` of a message's chain: queue an attempt, or hold the
 * message for allowed hours, or end it if the chain has no such step.
 */
void sb_eng_start_step(struct sb_dispatch *dp, int64_t message_id, enum sb_status old_status,
    int64_t chain_ver, const char *chain_name, int step, const char *reason);
/*
 * The direct start (apply.c): the instance a new message's first step would
 * go to if the message may be stored `sending` at once, else NULL; then,
 * once it is stored so, its attempt, sent after the commit. -1: the
 * attempt could not be stored (the submission fails).
 */
struct sb_instance *sb_eng_direct_first(struct sb_dispatch *dp,
    const struct sb_config_subaccount *sub, const struct sb_message *m, int64_t now);
int sb_eng_direct_start(struct sb_dispatch *dp, const struct sb_config_subaccount *sub,
    const struct sb_message *m, struct sb_instance *inst);
/* Fill `a` from a store row; its strings point into the row. */
void sb_eng_ref_of_row(struct sb_dispatch *dp, struct sb_attempt_ref *a,
    const struct sb_attempt_row *r);

/* An attempt read from the store, its strings kept (a row callback's target). */
struct sb_found_attempt {
	struct sb_dispatch *dp;
	int found;
	struct sb_attempt_ref ref;
	char chain[128], instance[128];
};
/* sb_attempt_fn: keep the row in the struct sb_found_attempt `arg`; stops the walk. */
int sb_eng_keep_attempt(void *arg, const struct sb_attempt_row *r);

/* Copy s (or NULL) into an arena at *used; the caller checked the room. */
const char *sb_eng_arena_dup(char *arena, size_t *used, const char *s);
/* 1 if the instance's in-doubt policy resends (plugins.X.in_doubt). */
int sb_eng_resends_in_doubt(struct sb_dispatch *dp, const char *instance);
/* Does the instance poll for receipts, and when is an attempt accepted now first polled? */
int64_t sb_eng_first_poll(struct sb_dispatch *dp, const char *instance, int64_t now);

/* ---- chains.c ---- */

struct sb_chain_step {
	char *channel;
	int64_t fallback_after_ms;
	int undeliverable_waits;
};

struct sb_chain_version {
	int64_t id;
	char *name;
	size_t nsteps;
	struct sb_chain_step *steps;
};

struct sb_chains;
struct sb_chains *sb_chains_new(void);
void sb_chains_free(struct sb_chains *c);
/*
 * Load the stored versions, and give every chain of `cfg` a version (a new
 * one when its steps changed). Returns 0, or -1 with err.
 */
int sb_chains_sync(struct sb_chains *c, struct sb_store *st, const struct sb_config *cfg,
    struct sb_error *err);
/* A version by id; by name in the current configuration when ver is 0. NULL: none. */
const struct sb_chain_version *sb_chains_get(const struct sb_chains *c, int64_t ver,
    const char *name);
/* The current version of a configured chain, or 0. */
int64_t sb_chains_current(const struct sb_chains *c, const char *name);
/* Call fn for every version whose steps name `instance`, with the last such step. */
void sb_chains_using(const struct sb_chains *c, const char *instance,
    void (*fn)(void *arg, int64_t ver, int last_step), void *arg);

/* ---- due.c ---- */

struct sb_due;
struct sb_due *sb_due_new(struct sb_dispatch *dp, struct event_base *base);
void sb_due_free(struct sb_due *due);
/* A time was stored (or a queue waits until then): make sure we wake by `at_ms`. */
void sb_due_note(struct sb_due *due, int64_t at_ms);
/* Run the scans at the next loop turn, whatever is armed (a clock move, a reload). */
void sb_due_now(struct sb_due *due);
/* Scan everything due now, run a pump pass, and re-arm the timer. */
void sb_due_run(struct sb_due *due);

/* ---- pump.c ---- */

int sb_pump_init(struct sb_dispatch *dp, struct event_base *base);
void sb_pump_clear(struct sb_dispatch *dp);
/* The rules' event for a plugin's outcome (SB_OUT_*). */
enum sb_sm_event sb_eng_outcome_event(int outcome);

/* Run a pump pass (queues only) at the next loop turn. */
void sb_pump_soon(struct sb_dispatch *dp);
/* A pump pass now; lowers *wait_ms (from now) to when held-back work may go. */
void sb_pump_pass(struct sb_dispatch *dp, int64_t *wait_ms);

/* One pass's batch of ready attempts; strings live in the pass's arena. */
struct sb_send_batch;
/* ---- watch.c ---- */

/* The messages held: those with an attempt marked `sending` and not yet judged. */
struct sb_watch_entry;
struct sb_watch {
	struct sb_watch_entry *entries;
	size_t cap, n;               /* cap a power of two, or 0 */
};

/* One attempt's hold on its message: its change count when marked. */
struct sb_watch_hold {
	uint32_t seen;
	int held;                    /* in the table: release it once */
	int stale;                   /* known changed (read back since) */
};

/* Hold a message just marked (h->held stays 0 without memory). */
void sb_watch_hold(struct sb_dispatch *dp, int64_t message_id, struct sb_watch_hold *h);
/* 1 if nothing wrote to the message since it was held: what the mark wrote
 * is still the attempt's state. */
int sb_watch_unchanged(const struct sb_dispatch *dp, int64_t message_id,
    const struct sb_watch_hold *h);
void sb_watch_release(struct sb_dispatch *dp, int64_t message_id, struct sb_watch_hold *h);
/* A write to the message's rows (every transition; due.c's direct updates). */
void sb_watch_touch(struct sb_dispatch *dp, int64_t message_id);
size_t sb_watch_count(const struct sb_dispatch *dp);
void sb_watch_clear(struct sb_dispatch *dp);

struct sb_ready {
	struct sb_attempt_row row;
	struct sb_instance *inst;
	int skip;
	int sub_slot;                /* index into the pump's subaccounts, or -1 */
	struct sb_watch_hold watch;  /* its message, from its mark on */
	/* Marked ahead (send_ahead): waiting on its instance for a free slot. */
	struct sb_send_batch *batch; /* that holds its strings */
	struct sb_ready *next_ahead;
};

/* ---- lanes.c ---- */

/* A subaccount's token bucket and sends in flight (subaccounts.X.rate). */
struct sb_sub_bucket {
	char name[72];
	struct sb_bucket bucket;
	unsigned inflight;
};

/* Subaccounts with queued attempts on one instance looked at per pass. */
#define SB_MAX_LANES 1024

/* The pump's state: pump.c and lanes.c only. */
struct sb_pump {
	struct event *ev;            /* a pass at the next loop turn */
	struct sb_ready *ready;      /* one pass's batch, strings in `arena` */
	size_t nready, capready;
	char *arena;
	size_t arena_used, arena_cap;
	size_t first_inst;           /* the instance a pass starts with */
	int batch_full;              /* a queue filled this pass's batch */
	int refused;                 /* the batch had no room for a row this pass */
	struct sb_sub_bucket *subs;  /* subaccount buckets */
	size_t nsubs, capsubs;
	char (*lanes)[72];           /* SB_MAX_LANES names, one pass's lanes */
	struct sb_ticket_slot *slots;/* tickets, indexed by their low 32 bits */
	size_t nslots;
	uint32_t free_slot;
};

/* Copy a row into the pass's batch; 1 when the batch is full. */
int sb_pump_collect(void *arg, const struct sb_attempt_row *r);
/*
 * The direct start (apply.c): may a new message of `sub` have its first
 * step on `inst` marked `sending` now? Only outside a request of many
 * recipients, with a free send slot, a token of the instance's rate, no
 * queued attempt due on it, and room in the subaccount's in-flight limit
 * and a token of its rate where it has them.
 */
int sb_pump_direct_ok(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_config_subaccount *sub);
/* Send a just marked attempt (r as its queued row would read) once the
 * open group, which holds its rows, is committed; takes the tokens and
 * slots sb_pump_direct_ok() found. */
void sb_pump_direct(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_config_subaccount *sub, const struct sb_attempt_row *r);
/* 1 if any subaccount has a rate or an in-flight limit: the pump reads by lanes. */
int sb_lanes_limited(const struct sb_config *cfg);
/*
 * How many sends `sub` may start now within its in-flight limit and rate:
 * INT_MAX without limits, 0 when held (*wait_ms: until its next token, or
 * 0 when an answer must free a slot first). *bucket is its slot's bucket
 * (NULL without limits), for the caller to take what it starts.
 */
int sb_lanes_sub_allowance(struct sb_dispatch *dp, const struct sb_config_subaccount *sub,
    int64_t now_us, int64_t *wait_ms, struct sb_sub_bucket **bucket);
/* A subaccount's slot (made on first use; -1 without memory); slots never move. */
int sb_lanes_sub_slot(struct sb_dispatch *dp, const char *name);
void sb_lanes_sub_inflight(struct sb_dispatch *dp, int slot, int delta);
/*
 * Append up to `cap` ready attempts of `inst` to the pass's batch, within
 * the subaccounts' buckets (the caller applies the instance's). Lowers
 * *wait (ms from now) to when held-back work may go. Returns how many.
 */
size_t sb_lanes_select(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now,
    int cap, int64_t *wait);

/* ---- submit.c ---- */

/* A batch of submissions stored all or nothing (submit.c). */
struct sb_submit_batch {
	int open;
	struct sb_submit_ack *acks;  /* acknowledged after the commit, if the batch holds */
	size_t nacks, capacks;
	int64_t moves[SB_ST_COUNT];  /* status gauge changes, applied if it holds */
};
/* A scheduled message whose time has come. */
void sb_eng_activate(struct sb_dispatch *dp, int64_t id);

/* ---- schedule.c ---- */

/*
 * May step `step` of a message start now under its subaccount's allowed
 * hours? 0: yes. 1: no, and `t` (the step's message transition) is filled
 * with what happens instead: `scheduled` at the next allowed minute
 * (send_at_ms, expires_ms), or `blocked_time`, or `expired` if its
 * validity ends first; reason in `why`, which must outlive the transition.
 */
int sb_hours_gate(struct sb_dispatch *dp, int64_t message_id, int step, int64_t now_ms,
    struct sb_transition *t, char *why, size_t why_len);

/* ---- broadcast.c ---- */

struct sb_bcast;
struct sb_bcast *sb_bcast_new(struct sb_dispatch *dp, struct event_base *base);
void sb_bcast_free(struct sb_bcast *b);
/* Does the message belong to a stopped broadcast? 1 or 0. */
int sb_bcast_stopped(struct sb_dispatch *dp, int64_t message_id);
/*
 * Before a queued attempt is sent: if its broadcast is stopped, cancel the
 * message (its status is `status`) and its queued attempt, and return 1.
 */
int sb_bcast_guard_send(struct sb_dispatch *dp, int64_t message_id, enum sb_status status);
/* "broadcast stopped" */
const char *sb_bcast_stop_reason(void);

/* ---- the engine ---- */

struct sb_dispatch {
	struct sb_daemon *d;
	struct sb_chains *chains;    /* chains.c */
	struct sb_due *due;          /* due.c */
	struct sb_pump pump;         /* pump.c, lanes.c */
	struct sb_submit_batch batch;/* submit.c */
	struct sb_bcast *bcast;      /* broadcast.c */
	struct sb_watch watch;       /* watch.c */
	uint64_t refused;            /* transitions refused (a bug if ever > 0) */
};

#endif
