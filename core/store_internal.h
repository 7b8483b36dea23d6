/*
 * store_internal.h - what store*.c share and nobody else sees.
 */
#ifndef SB_STORE_INTERNAL_H
#define SB_STORE_INTERNAL_H

#include <sqlite3.h>

#include <event2/event.h>

#include "store.h"

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_MSG_INSERT,
	ST_MSG_BY_IDEM,
	ST_MSG_UPDATE,
	ST_MSG_UPDATE_FIRST,
	ST_MSG_GET,
	ST_MSG_DUE,
	ST_MSG_TIMES,
	ST_MSG_TEXT,
	ST_MSG_MAX_ID,
	ST_MSG_BODY,
	ST_TEXT_EDIT,
	ST_HISTORY_ADD,
	ST_ATT_INSERT,
	ST_ATT_READY,
	ST_ATT_READY_LANE,
	ST_ATT_LANE_NEXT,
	ST_ATT_NEXT_QUEUED,
	ST_ATT_POLL_DUE,
	ST_ATT_EXPIRE_DUE,
	ST_ATT_FALLBACK_DUE,
	ST_ATT_SENDING,
	ST_ATT_GET,
	ST_ATT_BY_PROVIDER,
	ST_ATT_QUEUED_OF,
	ST_NEXT_DUE,
	ST_INBOUND_FILE,
	ST_INBOUND_BY_PROVIDER,
	ST_CALL_FILE,
	ST_CONTACT_FIND,
	ST_CONTACT_ADD,
	ST_CONTACT_ID_ADD,
	ST_FLOW_FOR,
	ST_CONTACT_OTHER,
	ST_ALLOW_ADD,
	ST_ALLOW_REMOVE,
	ST_ALLOW_EACH,
	ST_LIVE_INSTANCES,
	ST_ATT_LIVE_ON,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_CHAIN_EACH,
	ST_CHAIN_FIND,
	ST_CHAIN_ADD,
	ST_BCAST_INSERT,
	ST_MSG_BCAST_STOPPED,
	ST_MSG_CHANNEL_TYPE,
	ST_EVT_MSG,
	ST_EVT_INSERT,
	ST_EVT_DUE,
	ST_EVT_NEXT,
	ST_EVT_DONE,
	ST_MSG_TALLY_KEY,
	ST_ATT_MSG_OF,
	ST_ATT_INSTANCE,
	ST_MSG_STATUS,
	ST_TALLY_MSG,
	ST_TALLY_BCAST,
	ST__COUNT
};

/* The columns struct sb_attempt_row is read from, in order. */
#define ATTEMPT_SELECT                                                         \
	"SELECT a.id, a.message_id, a.step, a.tries, a.status, m.status, m.step,"  \
	" a.instance, a.provider_id, m.subaccount, m.chain, m.to_addr,"         \
	" m.from_addr, m.body, m.template_name, m.template_lang,"              \
	" m.template_vars, a.next_ms, a.fallback_ms, m.expires_ms, a.created_ms," \
	" a.accepted_ms, a.poll_ms, a.polls, a.expire_ms, m.chain_ver,"          \
	" m.template_ver"                                                        \
	" FROM attempts a JOIN messages m ON m.id = a.message_id"

/*
 * The same columns for a result or a receipt, which judge an attempt's
 * state and never its content: the message's subaccount, addresses, text
 * and template read NULL, so SQLite decodes none of the row's long fields.
 */
#define ATTEMPT_STATE_SELECT                                                   \
	"SELECT a.id, a.message_id, a.step, a.tries, a.status, m.status, m.step,"  \
	" a.instance, a.provider_id, NULL, m.chain, NULL, NULL, NULL, NULL, NULL,"  \
	" NULL, a.next_ms, a.fallback_ms, m.expires_ms, a.created_ms,"            \
	" a.accepted_ms, a.poll_ms, a.polls, a.expire_ms, m.chain_ver, NULL"      \
	" FROM attempts a JOIN messages m ON m.id = a.message_id"

/*
 * A broadcast's messages per status (status, n), broadcast ?1: from
 * bcast_stats, or counted from its message for a broadcast of one
 * (single_message), which keeps no rows there.
 */
#define BCAST_COUNTS_SQL                                                        \
	"SELECT status, n FROM bcast_stats WHERE broadcast_id = ?1 AND n > 0"  \
	" UNION ALL SELECT status, count(*) FROM messages WHERE broadcast_id = ?1" \
	" AND (SELECT single_message FROM broadcasts WHERE id = ?1) GROUP BY status"

/* A message's statistics key, in struct sb_tally_key's order (store_tally.c),
 * from the message m joined with its broadcast b. */
#define MSG_TALLY_COLS "m.subaccount, m.template_name, m.channel_type, m.created_ms,"   \
	" CASE WHEN b.single_message THEN NULL ELSE m.broadcast_id END"

struct store_waiter {
	sb_store_commit_fn fn;
	void *arg;
};

/* A UTC day in ms: msg_stats.day is created_ms / STORE_DAY_MS. */
#define STORE_DAY_MS 86400000LL

/* The attempt update statements kept prepared; a change that sets another
 * set of columns is prepared for its one use. A daemon uses about ten. */
#define STORE_ATT_UPDATES 32

struct sb_store {
	sqlite3 *db;
	char *path;
	int lock_fd;                  /* <database>.lock, held while open */
	sqlite3_stmt *stmt[ST__COUNT];
	int in_txn;
	int in_savepoint;
	int group_failed;             /* sb_store_group_fail: roll the group back */
	unsigned pending;
	uint64_t groups;              /* groups ended (COMMIT run) so far */
	int sync_full;                /* daemon.sync: full (fdatasync per group) */
	/* The group commit (store_group.c); NULL without a loop. */
	struct event *commit_ev;
	int commit_armed;
	int64_t commit_interval_ms;
	unsigned commit_max;
	struct store_syncer *syncer;  /* the thread that waits for the disk */
	int syncing;                  /* a committed group waits for its sync */
	int commit_after_sync;
	struct store_waiter *synced;  /* that group's waiters */
	size_t nsynced, capsynced;
	sqlite3 *ckdb;                /* the syncer's connection, closed last */
	int wal_big;                  /* the WAL passed CHECKPOINT_PAGES */
	int wal_pages;                /* frames in the WAL after the last COMMIT */
	int checkpoint_asked;         /* of the checkpointer, not yet taken over */
	int commit_after_checkpoint;  /* a group held: the WAL is at its bound */
	uint64_t wal_rewinds;         /* checkpoints the loop finished (the WAL then rewinds) */
	struct store_waiter *waiters;
	size_t nwaiters, capwaiters;
	struct store_text *text;      /* store_text.c's index and its thread, or NULL */
	char install_id[33];
	struct store_tally *tally;    /* store_tally.c's log of the open group, or NULL */
	struct store_msgcache *msgcache; /* store_msgcache.c's newest messages, or NULL */
	struct store_attcache *attcache; /* store_attcache.c's newest attempts, or NULL */
	struct store_gauges *gauges;  /* store_gauges.c's counts, or NULL */
	struct store_tpl_cache *tpl_cache; /* store_tpl.c's, or NULL */
	/* sb_store_attempt_update's statements, one per set of columns
	 * changed (store_attempt.c), prepared at first use. */
	struct store_att_update {
		unsigned mask;        /* the columns it sets (store_attempt.c) */
		sqlite3_stmt *stmt;
	} att_updates[STORE_ATT_UPDATES];
	size_t natt_updates;
};

/*
 * store_hist.c: a history entry's tail (all but ",[" and its time, which
 * the UPDATE writes from created_ms), in t->small or malloc'd; a message's
 * first entry, whole (its INSERT's); and a stored history (messages.hist,
 * may be NULL) as the API's array, with the id of the message's first
 * attempt (0: none) for the entry of a message stored queued. A reason
 * of NULL or "" is none.
 */
struct sb_store_hist_tail {
	char *s;
	size_t len;
	char small[160];
};
int sb_store_hist_tail(struct sb_store_hist_tail *t, enum sb_status status,
    int64_t message_id, int64_t attempt_id, const char *reason);
int sb_store_hist_first(struct sb_store_hist_tail *t, enum sb_status status,
    const char *reason);
void sb_store_hist_tail_free(struct sb_store_hist_tail *t);
json_t *sb_store_hist_json(const char *hist, int64_t created_ms, int64_t message_id,
    int64_t first_attempt);

/*
 * store_bcast.c: whether broadcast `id` is one of many messages (or not
 * stored). Only such broadcasts' messages are in the indexes by status
 * and by number (messages_bcast_status, messages_bcast_to: their rows
 * have bcast_many = 1, migration 16 -> 17); a query on one says so to
 * read them. A broadcast of one is found by messages_bcast_id.
 */
int sb_store_bcast_many(struct sb_store *st, int64_t id);

/* store_schema.c: the SQL taking user_version `from` to from + 1, or NULL
 * (store.c applies them; tests build old databases). */
const char *sb_store_migration_sql(int from);

/* Column and binding helpers every store file shares. */
static inline void
sb_store_bind_int_or_null(sqlite3_stmt *s, int i, int64_t v, int is_null)
{
	if (is_null)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static inline const char *
sb_store_col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* A status column; an unknown word reads as failed. */
static inline enum sb_status
sb_store_col_status(sqlite3_stmt *s, int i)
{
	const char *w = sb_store_col_text(s, i);
	int st = w != NULL ? sb_status_parse(w) : -1;

	return st < 0 ? SB_ST_FAILED : (enum sb_status)st;
}

/* store_msg.c: a compare-and-set write: 0 changed, 1 the row no longer
 * matched, -1 error. */
int sb_store_exec_cas(struct sb_store *st, sqlite3_stmt *s);

/* A reset statement with cleared bindings. */
sqlite3_stmt *sb_store_stmt(struct sb_store *st, enum store_stmt id);
int sb_store_write_begin(struct sb_store *st);
int sb_store_exec_write(struct sb_store *st, sqlite3_stmt *s);
/*
 * store_text.c: the trigram index of the texts, in <database>.text, kept
 * by a thread of its own. Open and close with the store (none for a store
 * in memory); the thread runs while the store is attached to a loop.
 */
int sb_store_text_open(struct sb_store *st);
void sb_store_text_close(struct sb_store *st);
int sb_store_text_start(struct sb_store *st);
void sb_store_text_stop(struct sb_store *st);
/*
 * The loop's side of the indexer's queue: a message's text stored, a
 * text changed (seq: its text_edits row), in the open group; a savepoint
 * began; a rollback (to the savepoint, or the whole group); the group
 * committed (its entries go to the indexer, which may be woken; this also
 * logs the indexer's errors).
 */
void sb_store_text_note(struct sb_store *st, int64_t id, const char *text);
void sb_store_text_note_edit(struct sb_store *st, int64_t seq, int64_t id, const char *old,
    const char *text);
void sb_store_text_savepoint(struct sb_store *st);
void sb_store_text_rollback(struct sb_store *st, int to_savepoint);
void sb_store_text_committed(struct sb_store *st);
/* For a text search: a connection with the store (read only) and the
 * index attached as `text`, in a read transaction, the highest id the
 * index covers in it and the last text change it applied; end with
 * sb_store_text_reader_done. Without an index, the loop's connection and
 * 0, 0. NULL on an error. */
sqlite3 *sb_store_text_reader(struct sb_store *st, int64_t *indexed, int64_t *edits);
void sb_store_text_reader_done(struct sb_store *st, sqlite3 *db);
/*
 * store_match.c: a text search's meaning. sb_store_match_expr writes the
 * text index's query for `text` (its trigrams, side by side, ANDed) and
 * returns how many (0: fewer than 3 characters), -1 if buf is too small;
 * sb_store_match_fold lowercases (0, or -1 if out is too small: 4 bytes
 * per byte and 1 suffice); sb_store_match_register adds
 * sb_contains(text, folded needle) to a connection.
 */
int sb_store_match_expr(const char *text, char *buf, size_t len);
int sb_store_match_fold(const char *text, char *out, size_t len);
int sb_store_match_register(sqlite3 *db);
int64_t sb_store_max_message_id(struct sb_store *st);
/* store_group.c: a group has something to commit: make sure a commit comes. */
void sb_store_arm_commit(struct sb_store *st);
/*
 * store_tally.c: the statistics aggregates, kept per group. A writer that
 * changes a message's status or channel type reports the move with the
 * message's key (the strings are copied); sb_store_tally_flush writes the
 * sums (at the group's end, and before a read of msg_stats or bcast_stats).
 */
struct sb_tally_key {
	const char *subaccount, *template_name, *channel_type; /* NULL counts as '' */
	int64_t created_ms;
	int64_t broadcast_id;         /* 0: none, or a broadcast of one message */
};
int sb_store_tally_move(struct sb_store *st, const struct sb_tally_key *k,
    enum sb_status status, int with_broadcast, int delta);
/* -1 from `from`, +1 to `to` (nothing when they are equal). 0 or -1. */
int sb_store_tally_status(struct sb_store *st, const struct sb_tally_key *k,
    enum sb_status from, enum sb_status to);
int sb_store_tally_flush(struct sb_store *st);
/* The log's length, and cutting it back to one (a write that failed). */
size_t sb_store_tally_length(const struct sb_store *st);
void sb_store_tally_cut(struct sb_store *st, size_t length);
void sb_store_tally_savepoint(struct sb_store *st);
/* Cut the log back to the savepoint (to_savepoint) or drop it (the group rolled back). */
void sb_store_tally_rollback(struct sb_store *st, int to_savepoint);
void sb_store_tally_free(struct sb_store *st);

/*
 * store_gauges.c: counts kept as rows are written, for gauges that a
 * count(*) would take (the set a kind counts: gauge_kinds there). Read
 * at open (load); add +1 or -1 for a row that moved into or out of the
 * set, in the open group; the group's changes follow its savepoint,
 * rollback and commit as the rows do.
 */
enum sb_gauge_kind {
	SB_GAUGE_QUEUED,          /* queued attempts, by instance */
	SB_GAUGE_EVENTS_PENDING,  /* events pending delivery (key "") */
	SB_GAUGE_INBOUND,         /* inbound messages, by "<subaccount>\x1f<folder>" */
	SB_GAUGE_CALLS,           /* calls, by subaccount */
	SB_GAUGE__COUNT
};
int sb_store_gauges_load(struct sb_store *st);
void sb_store_gauge_add(struct sb_store *st, enum sb_gauge_kind kind, const char *key,
    int delta);
int sb_store_gauge_each(struct sb_store *st, enum sb_gauge_kind kind,
    void (*fn)(void *arg, const char *key, int64_t n), void *arg);
/* The count of one key (0 if none), or -1 without the table. */
int64_t sb_store_gauge_get(struct sb_store *st, enum sb_gauge_kind kind, const char *key);
void sb_store_gauges_savepoint(struct sb_store *st);
void sb_store_gauges_rollback(struct sb_store *st, int to_savepoint);
void sb_store_gauges_committed(struct sb_store *st);
void sb_store_gauges_free(struct sb_store *st);

/*
 * store_msgcache.c: the newest messages' statistics key, status and
 * validity end, as the store last wrote or read them. A getter answers 1
 * if the message is known (strings valid until the next put or clear),
 * else 0 and the caller reads the row (and puts what it read). Every write
 * of a cached fact goes through here too; a rollback clears it all.
 */
void sb_store_msgcache_put(struct sb_store *st, int64_t id, const struct sb_tally_key *k,
    enum sb_status status, int64_t expires_ms /* -1: not known */);
int sb_store_msgcache_key(const struct sb_store *st, int64_t id, struct sb_tally_key *k,
    enum sb_status *status);
int sb_store_msgcache_status(const struct sb_store *st, int64_t id, enum sb_status *status);
int sb_store_msgcache_validity(const struct sb_store *st, int64_t id, const char **subaccount,
    int64_t *expires_ms);
void sb_store_msgcache_set_status(struct sb_store *st, int64_t id, enum sb_status status);
void sb_store_msgcache_set_expires(struct sb_store *st, int64_t id, int64_t expires_ms);
/* A message this store inserted: its chain, chain version and step (the state an
 * attempt's judge needs); the step again at each change of it. */
void sb_store_msgcache_set_state(struct sb_store *st, int64_t id, const char *chain,
    int64_t chain_ver, int step);
void sb_store_msgcache_set_step(struct sb_store *st, int64_t id, int step);
/* Fill r's message fields (status, step, chain, chain_ver, expires_ms): 1, or 0 if
 * the cache does not know them all. The strings live in the cache. */
int sb_store_msgcache_state(const struct sb_store *st, int64_t id, struct sb_attempt_row *r);
/*
 * store_attcache.c: the newest attempts' state as last written (put at the
 * insert, update at each change); state fills r with an attempt's state
 * fields and its message's (store_msgcache.c): 1, or 0 if either is not
 * known. Emptied by any rollback.
 */
void sb_store_attcache_put(struct sb_store *st, int64_t id, int64_t message_id, int step,
    const char *instance, enum sb_status status, int tries);
void sb_store_attcache_update(struct sb_store *st, int64_t id, enum sb_status status,
    int tries, const char *provider_id);
int sb_store_attcache_state(const struct sb_store *st, int64_t id, struct sb_attempt_row *r);
void sb_store_attcache_clear(struct sb_store *st);
void sb_store_attcache_free(struct sb_store *st);
void sb_store_msgcache_forget(struct sb_store *st, int64_t id);
void sb_store_msgcache_clear(struct sb_store *st);
void sb_store_msgcache_free(struct sb_store *st);
/* store_walvfs.c: the name of the VFS that writes a transaction's WAL
 * frames in one write (registered on first use), or NULL to use the
 * default. */
const char *sb_store_walvfs(void);
/* Column kinds for turning a row into a JSON object by table (store_query.c). */
enum sb_col_kind { SB_COL_INT, SB_COL_TEXT, SB_COL_TIME };
struct sb_col_spec {
	const char *name;
	enum sb_col_kind kind;
};
/* A statement prepared for one use (finalize it), or NULL with err (may be NULL) set. */
sqlite3_stmt *sb_store_prepare(struct sb_store *st, const char *sql, struct sb_error *err);
/* Bind a string, or NULL for NULL (the string must outlive the step). */
void sb_store_bind_text(sqlite3_stmt *s, int i, const char *v);
/*
 * A one-off write with ?1 = id and ?2 = ms (a statement without ?2 ignores
 * it): 0, or -1 with err ("<what> could not be changed").
 */
int sb_store_write_id(struct sb_store *st, const char *sql, int64_t id, int64_t ms,
    const char *what, struct sb_error *err);
/* Columns 0..n-1 of the current row as {name: value}; NULLs are null, times ISO 8601. */
json_t *sb_store_row_json(sqlite3_stmt *s, const struct sb_col_spec *cols, size_t n);

/* store_tpl.c: free the cache of template versions. */
void sb_store_tpl_cache_free(struct sb_store *st);
/* Stop the syncer (after a last blocking commit); the store works unattached. */
void sb_store_detach(struct sb_store *st);

#endif
