/*
 * statem.h - the delivery engine's rules: one pure function from (an
 * attempt and its message as stored, an event, the step's settings) to a
 * decision (new statuses, timers to store, what happens to the chain),
 * and the tables of status moves the store may ever make.
 *
 * Nothing here touches SQLite, the event loop, the clock or a plugin:
 * apply.c feeds it what the store holds and writes what it decides, and
 * the unit tests drive it alone (every status x event pair, and a random
 * model of thousands of event sequences). A rule of the engine that is not
 * in this file is a bug.
 */
#ifndef SB_STATEM_H
#define SB_STATEM_H

#include <stdint.h>

#include "status.h"

/* What can happen to an attempt. */
enum sb_sm_event {
	SB_EV_SEND,            /* the pump takes the queued attempt */
	SB_EV_UNSENT,          /* taken, but never handed to the plugin (stop, replaced instance) */
	SB_EV_ACCEPTED,        /* provider outcomes, from send results and receipts */
	SB_EV_DELIVERED,
	SB_EV_READ,
	SB_EV_TEMPORARY,
	SB_EV_UNDELIVERABLE,
	SB_EV_FAILED,
	SB_EV_EXPIRED,
	SB_EV_FALLBACK_DUE,    /* fallback_after passed without a final receipt */
	SB_EV_VALIDITY_END,    /* the message's validity end came */
	SB_EV_RESTART,         /* a restart found the attempt `sending` */
	SB_EV_CHANNEL_GONE,    /* its channel instance is not configured any more */
	SB_EV_COUNT
};

/* The event's name ("fallback_due"), for logs and tests. */
const char *sb_sm_event_name(enum sb_sm_event ev);

/* An attempt and its message, as stored. */
struct sb_sm_state {
	enum sb_status attempt;
	int attempt_step;
	int tries;                 /* sends made, the one in flight included */
	int has_provider_id;       /* the provider named the attempt (it can be asked) */
	enum sb_status message;
	int message_step;
	int64_t expires_ms;        /* the message's validity end */
};

/* The attempt's step in the chain its message started with. */
struct sb_sm_step {
	int has_next;              /* a later step exists */
	int64_t fallback_after_ms; /* 0: none */
	int undeliverable_waits;   /* on_undeliverable: wait */
};

/* The channel and the moment: everything else the rules depend on. */
struct sb_sm_env {
	int64_t now_ms;
	int max_tries;             /* retry.max_attempts */
	int64_t retry_delay_ms;    /* the backoff of this try, Retry-After applied */
	int64_t first_poll_ms;     /* when to poll an accepted attempt, 0: not polled */
	int polled;                /* the channel can be asked for a status */
	int in_doubt;              /* the event leaves the send's fate unknown */
	int resend_in_doubt;       /* the instance's policy: send it again (else review) */
};

/* Why: one code per rule, a fixed text per code (sb_sm_why_text). */
enum sb_sm_why {
	SB_WHY_NONE,
	SB_WHY_NOT_SENT_FINAL,
	SB_WHY_SUPERSEDED,
	SB_WHY_VALIDITY_BEFORE_SEND,
	SB_WHY_UNSENT_STOP,
	SB_WHY_GAVE_UP,
	SB_WHY_PROVIDER,           /* "<status> via <instance>: <error>" */
	SB_WHY_EARLIER_STEP_RECEIPT,
	SB_WHY_LATE_RECEIPT,
	SB_WHY_NO_RECEIPT_FALLBACK,
	SB_WHY_NO_FINAL_RECEIPT,
	SB_WHY_VALIDITY_BEFORE_NEXT,
	SB_WHY_NEXT_STEP_WAITS,
	SB_WHY_RESTART_POLL,
	SB_WHY_RESTART_RESEND,
	SB_WHY_RESTART_REVIEW,
	SB_WHY_RESTART_FINAL,
	SB_WHY_CHANNEL_GONE,
	SB_WHY_TIMEOUT_REVIEW,
	SB_WHY_COUNT
};

const char *sb_sm_why_text(enum sb_sm_why why);

/* What the chain does after the decision. */
enum sb_sm_next {
	SB_NEXT_NONE,
	SB_NEXT_STEP,              /* start step + 1 now (the hours gate still applies) */
	SB_NEXT_STEP_AT,           /* the message waits `scheduled` for step + 1 until next_at_ms */
};

#define SB_SM_KEEP SB_ST_COUNT /* a status left as it is */

struct sb_sm_decision {
	int change;                /* 0: nothing to write (a duplicate, a late echo) */
	enum sb_status attempt;    /* new attempt status, or SB_SM_KEEP */
	enum sb_status message;    /* new message status, or SB_SM_KEEP */
	int tries;                 /* -1: unchanged */
	int64_t next_ms;           /* queued attempt's due time, -1: unchanged */
	int64_t fallback_ms;       /* -1: unchanged, 0: clear */
	int64_t poll_ms;           /* 0: unchanged, -1: clear */
	int set_sent, set_accepted, set_final; /* stamp that time with now */
	enum sb_sm_next next;
	int64_t next_at_ms;        /* with SB_NEXT_STEP_AT */
	enum sb_sm_why why;
	enum sb_sm_why chain_why;  /* SB_WHY_VALIDITY_BEFORE_NEXT when the chain ends for it */
};

/*
 * Decide what `ev` does to the attempt in `s`. Pure: the same arguments
 * always give the same decision. `step` may be NULL when the message's
 * chain is unknown (no next step). Never returns a move that
 * sb_sm_message_move_ok / sb_sm_attempt_move_ok refuse.
 */
void sb_sm_decide(const struct sb_sm_state *s, enum sb_sm_event ev,
    const struct sb_sm_step *step, const struct sb_sm_env *env, struct sb_sm_decision *d);

/*
 * The tables: may a message (an attempt) go from `from` to `to`? A final
 * message never changes again, except delivered -> read; an attempt's
 * record follows its provider's word (a late receipt of an expired
 * attempt is kept on the attempt, not on its message).
 */
int sb_sm_message_move_ok(enum sb_status from, enum sb_status to);
int sb_sm_attempt_move_ok(enum sb_status from, enum sb_status to);

#endif
