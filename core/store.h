/*
 * store.h - durable state in SQLite (WAL): messages, attempts, status
 * history, chain versions, broadcasts, inbound messages and allowlist
 * entries.
 *
 * store.c owns the connection, the schema and its migrations
 * (PRAGMA user_version), the exclusive lock that keeps a second daemon off
 * the same database, and the group commit: the store keeps one write
 * transaction open, statements run at once (so reads on the connection see
 * them), and a commit ends the group with one fsync. Whoever must not
 * answer before the data is durable registers with sb_store_after_commit().
 * Attached to a loop (sb_store_attach), the store commits by itself
 * (store_group.c): a group ends at the next loop turn after its first
 * write or waiter, or as soon as the previous group's sync is done, and
 * the fsync runs on a thread of its own, never on the loop. The texts'
 * trigram index is kept in <path>.text by a thread of its own too
 * (store_text.c).
 * Status writes are compare-and-set: they name the status they expect.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "errors.h"
#include "status.h"

#define SB_STORE_SCHEMA_VERSION 18

struct sb_store;

/*
 * Open (create, migrate) the database. Takes an exclusive lock on
 * `<path>.lock`: a database another daemon has open is refused with an
 * error naming its pid.
 */
struct sb_store *sb_store_open(const char *path, int sync_full, struct sb_error *err);
/* Commits what is pending and closes. */
void sb_store_close(struct sb_store *st);
/* Remove a closed store's files: the database, its WAL and shared memory,
 * its lock and its text index's (tests and tools). */
void sb_store_remove_files(const char *path);
int sb_store_schema_version(struct sb_store *st);

/* ---- group commit ---- */
typedef void (*sb_store_commit_fn)(void *arg, int ok);
/* Call fn(arg, ok) once the current group is committed (or failed). */
int sb_store_after_commit(struct sb_store *st, sb_store_commit_fn fn, void *arg);
/* Commit the open group now; runs the callbacks. Returns 0 or -1. */
int sb_store_commit(struct sb_store *st);
/* Statements in the open group. */
unsigned sb_store_pending(const struct sb_store *st);
/*
 * The open group's number: groups ended so far. A write made while this
 * returns n is committed with the first waiter registered while it still
 * returns n.
 */
uint64_t sb_store_group_seq(const struct sb_store *st);
/*
 * Commit groups by themselves on `base`: after `interval_ms` from a group's
 * first write or waiter, or at once past `max` statements. Call again to
 * change the settings (a reload).
 */
int sb_store_attach(struct sb_store *st, struct event_base *base, int64_t interval_ms,
    unsigned max);
/*
 * The text index: bring it up to date now, on the calling thread (tests
 * and tools; attached to a loop, its thread does this by itself). 0 or -1.
 */
int sb_store_text_index_now(struct sb_store *st);
/* The highest message id the text index covers (0 without an index). */
int64_t sb_store_text_indexed(struct sb_store *st);
/* Messages stored above it, and text changes it has not applied (0
 * without an index). */
int64_t sb_store_text_unindexed(struct sb_store *st);
/* How many times the WAL was checkpointed to the end and so rewound. */
uint64_t sb_store_wal_rewinds(const struct sb_store *st);
/* Bytes the loop's connections wrote to their WAL files so far (frames and
 * headers, as they reached the kernel; the process's total). */
uint64_t sb_store_wal_bytes(void);
/* Tests: the syncer sleeps this long before each sync (a slow disk). */
void sb_store_set_sync_delay(struct sb_store *st, int64_t ms);
/* Tests: the checkpointer sleeps this long before each round. */
void sb_store_set_checkpoint_delay(struct sb_store *st, int64_t ms);
/*
 * A savepoint inside the open group, for writes that stand or fall
 * together (a multi-recipient submission). End it with ok=1 (keep) or 0
 * (undo every write since). Not nested.
 */
int sb_store_savepoint(struct sb_store *st);
int sb_store_savepoint_end(struct sb_store *st, int ok);
/*
 * Rows changed on the connection so far (never goes back): a caller that
 * sees it move across a failed operation knows that operation wrote part
 * of itself.
 */
int64_t sb_store_total_changes(const struct sb_store *st);
/*
 * The open group must not commit: something in it was written half way.
 * Its end rolls every write of the group back and tells its waiters
 * ok = 0, as when a COMMIT fails.
 */
void sb_store_group_fail(struct sb_store *st);

/* ---- messages ---- */
struct sb_message {
	int64_t id;
	const char *subaccount;
	const char *chain;
	const char *to;
	const char *from;         /* or NULL */
	const char *text;         /* or NULL with template */
	const char *template_name, *template_lang, *template_vars;
	int64_t template_ver;     /* the stored template's version used, 0: none */
	int64_t contact_id;       /* the recipient's contact, 0: none */
	const char *idem_key;     /* client idempotency key, or NULL */
	enum sb_status status;
	int64_t created_ms;
	int64_t send_at_ms;       /* when it may start */
	int64_t expires_ms;       /* validity end */
	int64_t broadcast_id;     /* 0: none */
	int64_t resend_of;        /* 0: none */
	int step;                 /* current chain step (read only) */
	int64_t chain_ver;        /* the chain version it follows, 0: by name */
	const char *reason;       /* at insert: the reason for its first status, or NULL */
	const char *channel_type; /* at insert: its first step's, when that starts at once */
	int broadcast_single;     /* at insert: its broadcast has this message alone */
};

/* Insert a message with its first history entry (store_hist.c); sets
 * m->id. Strings are copied into the database. */
int sb_store_message_insert(struct sb_store *st, struct sb_message *m, struct sb_error *err);
/* Id of an earlier message with the same subaccount and idempotency key, or 0. */
int64_t sb_store_message_by_idem(struct sb_store *st, const char *subaccount, const char *key);

/*
 * The message as the API and CLI show it: fields, attempts (in order) and
 * history (every transition with its time). `subaccount` limits the lookup
 * to that subaccount (API keys); NULL for operators. NULL if not found.
 * The caller owns the returned reference.
 */
json_t *sb_store_message_json(struct sb_store *st, int64_t id, const char *subaccount);

struct sb_list_query {
	const char *subaccount;   /* NULL: all */
	int status;               /* -1: all */
	const char *channel;      /* instance name of any attempt, or NULL */
	const char *to;           /* or NULL */
	int64_t from_ms, until_ms;/* created between, 0: open */
	int64_t broadcast_id;     /* 0: all */
	int64_t before_id;        /* pagination: ids below this, 0: newest */
	int limit;                /* default 50, max 1000 */
};
/* {"messages": [...], "next_before": id or null}. Caller owns it. */
json_t *sb_store_message_list(struct sb_store *st, const struct sb_list_query *q);

/* ---- attempts and transitions (the dispatcher's side) ---- */

/* An attempt joined with what a channel needs of its message. */
struct sb_attempt_row {
	int64_t id, message_id;
	int step;
	int tries;
	enum sb_status status;
	enum sb_status message_status;
	int message_step;         /* the message's current step */
	const char *instance;
	const char *provider_id;
	const char *subaccount, *chain, *to, *from, *text;
	const char *template_name, *template_lang, *template_vars;
	int64_t template_ver;     /* the stored template's version, 0: none */
	int64_t next_ms, fallback_ms, expires_ms, created_ms;
	int64_t accepted_ms;      /* 0: not accepted */
	int64_t poll_ms;          /* next receipt poll, 0: none */
	int polls;                /* receipt polls made */
	int64_t expire_ms;        /* the attempt's copy of its message's validity end, 0: none */
	int64_t chain_ver;        /* the message's chain version, 0: by name */
};
/* Called per row; strings are valid only during the call. Return non-zero to stop. */
typedef int (*sb_attempt_fn)(void *arg, const struct sb_attempt_row *row);

/*
 * A new attempt; *expire_ms (if not NULL) gets its copy of the message's
 * validity end. Stored `sending`, it is its first try, sent at now_ms (a
 * step that starts at once: the engine's direct start).
 */
int64_t sb_store_attempt_insert(struct sb_store *st, int64_t message_id, int step,
    const char *instance, enum sb_status status, int64_t next_ms, int64_t now_ms,
    int64_t *expire_ms);
/*
 * The attempt's idempotency key: a UUID's 36 characters (truncated to fit
 * `len`) made of the install id and the attempt id. It is never stored:
 * where a provider names no id of its own, the key is the attempt's
 * provider id (sb_store_message_json shows it, receipts carry it back).
 */
#define SB_ATTEMPT_KEY_LEN 36
void sb_store_attempt_key(struct sb_store *st, int64_t attempt_id, char *buf, size_t len);
/* The attempt whose key `key` is, if this store made it; 0 if none. (A
 * key holds the id's low 48 bits: ids stay far below 2^48.) */
int64_t sb_store_attempt_of_key(struct sb_store *st, const char *key);
/* Queued attempts of `instance` due by `now_ms`, oldest first. */
int sb_store_attempts_ready(struct sb_store *st, const char *instance, int64_t now_ms,
    int limit, sb_attempt_fn fn, void *arg);
/* The same for one subaccount's attempts on `instance`. */
int sb_store_attempts_ready_lane(struct sb_store *st, const char *instance,
    const char *subaccount, int64_t now_ms, int limit, sb_attempt_fn fn, void *arg);
/*
 * The first subaccount after `after` ("" to start) with queued attempts on
 * `instance`, copied into buf. Returns 0, or 1 when there is none.
 */
int sb_store_lane_next(struct sb_store *st, const char *instance, const char *after,
    char *buf, size_t len);
/* The earliest next_ms after `after_ms` of the queued attempts of `instance`, or INT64_MAX. */
int64_t sb_store_instance_next_queued(struct sb_store *st, const char *instance,
    int64_t after_ms);
/* Accepted attempts whose next receipt poll is due. */
int sb_store_attempts_poll_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg);
/* Queued or accepted attempts whose (copied) validity end has come. */
int sb_store_attempts_expire_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg);
/* Accepted attempts whose fallback time has come. */
int sb_store_attempts_fallback_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg);
/* The instances that queued or accepted attempts are on: fn(arg, name). */
int sb_store_live_instances(struct sb_store *st, void (*fn)(void *arg, const char *name),
    void *arg);
/* Queued or accepted attempts on `instance`, oldest first. */
int sb_store_attempts_live_on(struct sb_store *st, const char *instance, int limit,
    sb_attempt_fn fn, void *arg);
/* Attempts left `sending` by a crash. */
int sb_store_attempts_sending(struct sb_store *st, sb_attempt_fn fn, void *arg);
/*
 * One attempt's state by id, or by (instance, provider id): its message's
 * content (subaccount, to, from, text, template) reads NULL. 0 found, 1
 * not found.
 */
int sb_store_attempt_get(struct sb_store *st, int64_t id, sb_attempt_fn fn, void *arg);
int sb_store_attempt_by_provider(struct sb_store *st, const char *instance,
    const char *provider_id, sb_attempt_fn fn, void *arg);
/*
 * The same as sb_store_attempt_get for what a judge of the attempt needs
 * (its id, message, step, tries, status, instance and provider id; its
 * message's status, step, chain, chain version and validity end), from
 * what the store last wrote when it has all of it (store_attcache.c),
 * else read: the other fields may then read 0 or NULL.
 */
int sb_store_attempt_state(struct sb_store *st, int64_t id, sb_attempt_fn fn, void *arg);

/* What changes on an attempt in one transition; NULL/0/-1 leave a field alone. */
struct sb_attempt_change {
	enum sb_status status;
	const char *provider_id;
	const char *error_code;
	const char *error_text;
	int tries;                /* -1: unchanged */
	int parts;                /* 0: unchanged */
	int64_t next_ms;          /* -1: unchanged */
	int64_t fallback_ms;      /* -1: unchanged, 0: clear */
	int64_t sent_ms, accepted_ms, final_ms; /* 0: unchanged */
	/* Appended fields: 0 leaves them alone, so older initialisers stay right. */
	int64_t poll_ms;          /* 0: unchanged, < 0: clear */
	int polls;                /* 0: unchanged */
	int64_t expire_ms;        /* 0: unchanged, < 0: clear */
	/* The attempt's channel instance, if the caller has it (a move into or
	 * out of `queued` counts on it: store_gauges.c); NULL: the store reads it. */
	const char *instance;
};
/* The queued attempt of a message, or 0. */
int64_t sb_store_attempt_queued_of(struct sb_store *st, int64_t message_id);
/*
 * Change an attempt whose status is still `old`. Returns 0 (changed), 1
 * (its status is not `old` any more: nothing written) or -1 (error).
 */
int sb_store_attempt_update(struct sb_store *st, int64_t id, enum sb_status old,
    const struct sb_attempt_change *c);
/*
 * Message status (and step, -1: unchanged) with the reason for that status
 * (NULL or "": none), if its status is still `old`. The reason always
 * belongs to the current status, so a move without one clears it: an
 * error that was retried past is in the history, not on a message that is
 * now accepted or delivered. The same write appends the change to the
 * message's history (at now_ms, with attempt_id, 0: none, and the reason).
 * Returns 0, 1 (not `old`: nothing written) or -1.
 */
int sb_store_message_update(struct sb_store *st, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t attempt_id,
    int64_t now_ms);
/*
 * The same for a message just stored queued whose first step did not
 * start: its INSERT wrote the entry "queued, with its first attempt",
 * which this move's entry replaces.
 */
int sb_store_message_update_first(struct sb_store *st, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t now_ms);
/* A new send time, and validity end (0: unchanged). */
int sb_store_message_set_times(struct sb_store *st, int64_t id, int64_t send_at_ms,
    int64_t expires_ms);
/* A new text (a scheduled message being edited). */
int sb_store_message_set_text(struct sb_store *st, int64_t id, const char *text);
/* A history entry for a change that did not move the message's status
 * (an attempt's, or the message's first status). */
int sb_store_history_add(struct sb_store *st, int64_t message_id, int64_t attempt_id,
    enum sb_status status, const char *reason, int64_t at_ms);

/* A message's current status, or -1 if there is no such message. */
int sb_store_message_status(struct sb_store *st, int64_t id);

/* Scheduled messages whose time has come: fn gets (arg, id). */
typedef int (*sb_id_fn)(void *arg, int64_t id);
int sb_store_messages_due(struct sb_store *st, int64_t now_ms, int limit, sb_id_fn fn,
    void *arg);
/* A message's row for the dispatcher (strings valid during fn). */
int sb_store_message_get(struct sb_store *st, int64_t id,
    int (*fn)(void *arg, const struct sb_message *m), void *arg);

/*
 * The earliest time a timer is due (schedule, fallback, receipt poll,
 * expiry), or INT64_MAX. Queued attempts are not counted: they wait per
 * instance (sb_store_instance_next_queued), behind rate limits.
 */
int64_t sb_store_next_due(struct sb_store *st);
/* Count of messages per status (index by enum sb_status). */
int sb_store_count_by_status(struct sb_store *st, int64_t counts[SB_ST_COUNT]);

/* Queued attempts per channel instance (the queue depth gauge), as counted while
 * they were written (store_gauges.c): no read of the rows. */
int sb_store_queue_depth(struct sb_store *st, void (*fn)(void *arg, const char *instance,
    int64_t n), void *arg);

/* ---- chain versions ---- */
typedef int (*sb_chain_row_fn)(void *arg, int64_t id, const char *name, const char *spec);
int sb_store_chain_each(struct sb_store *st, sb_chain_row_fn fn, void *arg);
/* The id of (name, spec), added if new; -1 on error. */
int64_t sb_store_chain_version(struct sb_store *st, const char *name, const char *spec,
    int64_t now_ms);
/*
 * Unfinished messages still bound to a channel instance: their current
 * step's attempt is on it, or their chain version vers[i] has it at a step
 * at or after theirs (up to last_steps[i]). -1 on error.
 */
int64_t sb_store_count_using(struct sb_store *st, const char *instance, const int64_t *vers,
    const int *last_steps, size_t n);

/* A stable per-database prefix for idempotency keys (32 hex chars). */
const char *sb_store_install_id(struct sb_store *st);

/* Allowlist rows (inbound messages and contacts: store_inbox.h). */
int sb_store_allow_add(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value, int64_t uid, int64_t at_ms);
/* 0 removed, 1 no such row. */
int sb_store_allow_remove(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value);
typedef int (*sb_allow_row_fn)(void *arg, const char *subaccount, const char *kind,
    const char *value, int64_t uid, int64_t at_ms);
int sb_store_allow_each(struct sb_store *st, sb_allow_row_fn fn, void *arg);

/* The last SQLite error text of the connection. */
const char *sb_store_errmsg(struct sb_store *st);

#endif
