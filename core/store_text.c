/*
 * store_text.c - the trigram index of the messages' texts, kept by a
 * thread of its own, off the event loop.
 *
 * The index (FTS5, trigram tokens, contentless: it keeps no copy of the
 * texts) lives in a database file of its own beside the store's,
 * <database>.text, which only the indexer writes. Why a file of its own:
 * SQLite lets one connection write a database at a time, and the loop
 * holds the store's write lock nearly all the time (a group begins as the
 * previous one commits). Kept in the store's file, the index could be
 * written only by the loop, where its catch-ups and merges cost about
 * 9 us per message, in stalls of 1 ms (and up to 50 ms for a batch).
 *
 * The loop hands the indexer each committed group's texts (and text
 * changes) through a queue: as it stores them they wait in the open
 * group's list (a rollback drops them with the rows), and the group's
 * COMMIT moves them to the queue, waking the indexer once TEXT_BATCH are
 * there; it also looks once a second. So the indexer does not read the
 * store while the loop writes it: a reader in the store's WAL keeps the
 * WAL from being rewound (store_group.c), which let it grow past its
 * bound under steady load when the indexer read each batch back. It reads
 * the store only to catch up: when it starts (what was committed before,
 * or before a crash), and when the queue overflowed (QUEUE_MAX entries or
 * QUEUE_MAX_BYTES of text: it is dropped and the indexer catches up from
 * the store). A catch-up reads committed messages through its own
 * read-only connection, TEXT_CHUNK at a time. How far the index got
 * (state.indexed, state.edits) is written in the same transaction as its
 * rows: after a crash it resumes where its last commit left off. Messages
 * are only ever added with ids above every committed one (the loop is the
 * only writer, and an id a rollback freed is handed out again only above
 * the committed ones), and text changes likewise, so the two marks are all
 * it needs to remember, and a queued entry at or below them was caught up
 * already.
 *
 * Edits: a scheduled message's text can change. sb_store_message_set_text
 * records each change in the store's text_edits (old and new text) in the
 * change's own transaction, and queues it. The queue applies the changes
 * in order (a contentless index deletes a row by the text it indexed,
 * which is the first unapplied change's old text). A catch-up applies
 * those of messages it indexed in an earlier pass and skips those of the
 * messages it indexes now (it reads their text as changed). state.edits
 * is the last change applied.
 *
 * A search (store_search.c) reads through the loop's search connection
 * (the store read-only, the index attached), in one read transaction:
 * the messages up to state.indexed by the index, and the few it has not
 * caught up with (above state.indexed, or with a text change after
 * state.edits) by a scan of their texts. The index keeps no positions
 * (detail=none): it finds the texts holding every trigram of the searched
 * one, and sb_contains (store_match.c) decides on those, as on the scan's.
 *
 * The index is derived data: a file that is missing, unreadable, made
 * for another store (its install id), of another format (TEXT_FORMAT) or
 * ahead of the store (a backup restored) is made anew and filled again in
 * the background; meanwhile searches scan. A store in memory (":memory:",
 * the unit tests) has no index: its text searches scan every message.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/syscall.h>

#include <sqlite3.h>

#include "log.h"
#include "store_internal.h"

#define TEXT_CHUNK 1024       /* messages per pass transaction */
#define TEXT_BATCH 256        /* texts the loop commits before it wakes the indexer */
#define TEXT_IDLE_MS 1000     /* the indexer's look when nobody wakes it */
#define TEXT_NICE 10          /* the indexer thread's nice value */
#define QUEUE_MAX 20000       /* queued entries before the queue is dropped */
#define QUEUE_MAX_BYTES (16 << 20)

/* A text to index (seq 0: message id's own), or a change (seq: its row in
 * text_edits; old NULL if the message had none). Strings are owned. */
struct text_entry {
	int64_t id, seq;
	char *old, *text;
};

/* A list of entries: the open group's, or the queue. */
struct text_list {
	struct text_entry *v;
	size_t n, cap, bytes;
};

struct store_text {
	char *path;               /* <database>.text */
	char *store_path;
	char install_id[33];
	/* The pass's connections: the thread's once it runs. */
	sqlite3 *tdb;             /* the index, read-write */
	sqlite3 *mdb;             /* the store, read only */
	int64_t indexed, edits;   /* state, as the last pass committed it */
	pthread_mutex_t pass_mu;  /* one pass at a time (the thread, or index_now) */
	/* The thread. */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kick;
	struct text_list queue;   /* under mu: committed, for the thread */
	int lost;                 /* under mu: entries were dropped; catch up from the store */
	int64_t shown_indexed;    /* under mu: the marks, for sb_store_text_indexed */
	int64_t shown_edits;
	char failure[200];        /* under mu: the last pass's error, for the loop to log */
	unsigned failures;        /* under mu */
	unsigned failures_logged; /* loop */
	/* The loop's. */
	sqlite3 *rdb;             /* the search connection, opened at the first text search */
	struct text_list group;   /* the open group's entries */
	size_t savepoint;         /* group.n when the savepoint began */
	int group_lost;           /* one of them could not be kept */
};

static void
list_drop(struct text_list *l, size_t from)
{
	for (size_t i = from; i < l->n; i++) {
		l->bytes -= (l->v[i].old != NULL ? strlen(l->v[i].old) : 0) +
		    (l->v[i].text != NULL ? strlen(l->v[i].text) : 0);
		free(l->v[i].old);
		free(l->v[i].text);
	}
	l->n = from < l->n ? from : l->n;
}

static void
list_free(struct text_list *l)
{
	list_drop(l, 0);
	free(l->v);
	*l = (struct text_list){ 0 };
}

/* Append, taking old and text; -1 if out of memory (nothing taken). */
static int
list_add(struct text_list *l, int64_t id, int64_t seq, char *old, char *text)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct text_entry *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct text_entry){ id, seq, old, text };
	l->bytes += (old != NULL ? strlen(old) : 0) + (text != NULL ? strlen(text) : 0);
	return 0;
}

/*
 * The index's format, its file's user_version: 1 kept positions
 * (detail=full), 2 does not (a third of the size, and cheaper to write).
 */
#define TEXT_FORMAT 2
#define TEXT_STR_(x) #x
#define TEXT_STR(x) TEXT_STR_(x)

static const char text_schema[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;"
    "CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " install_id TEXT NOT NULL, indexed INTEGER NOT NULL, edits INTEGER NOT NULL);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_text USING fts5(body, content='',"
    " columnsize=0, detail=none, tokenize='trigram');"
    /* FTS5 merges a level's segments once it holds `automerge` of them
     * (4 by default): each pass adds one, so with 4 the same trigrams were
     * merged again and again. At 16 (an index setting, so an older file
     * gets it too) indexing took 6.3 instead of 11.8 us per text for 300
     * 000 texts, and a search 15.7 instead of 16.7 ms. */
    "INSERT INTO messages_text(messages_text, rank) VALUES ('automerge', 16);"
    "PRAGMA user_version = " TEXT_STR(TEXT_FORMAT) ";";

static int64_t
text_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Remove the index's files (a fresh one is made after). */
static void
text_unlink(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char p[4200];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		if (unlink(p) < 0 && errno != ENOENT)
			sb_log(SB_LOG_WARN, "store: cannot remove %s: %s", p, strerror(errno));
	}
}

/*
 * Open the index and check it belongs to this store as it is now; 1 if
 * it does, 0 if it must be made anew, -1 if it cannot be opened.
 */
static int
text_open_index(struct store_text *tx, int64_t max_id, int64_t max_seq)
{
	sqlite3_stmt *s;
	int ok = 0;

	if (sqlite3_open_v2(tx->path, &tx->tdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return -1;
	/* An index of another format (a file with tables) is made anew. */
	if (text_int(tx->tdb, "PRAGMA user_version") != TEXT_FORMAT &&
	    text_int(tx->tdb, "SELECT count(*) FROM sqlite_schema") != 0)
		return 0;
	if (sqlite3_exec(tx->tdb, text_schema, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(tx->tdb, "SELECT install_id, indexed, edits FROM state",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);

		tx->indexed = sqlite3_column_int64(s, 1);
		tx->edits = sqlite3_column_int64(s, 2);
		ok = id != NULL && strcmp(id, tx->install_id) == 0 && tx->indexed <= max_id &&
		    tx->edits <= max_seq;
	} else {
		sqlite3_finalize(s);
		if (sqlite3_prepare_v2(tx->tdb, "INSERT INTO state VALUES (1, ?, 0, 0)", -1, &s,
		    NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(s, 1, tx->install_id, -1, SQLITE_STATIC);
		ok = sqlite3_step(s) == SQLITE_DONE;
		tx->indexed = tx->edits = 0;
	}
	sqlite3_finalize(s);
	return ok;
}

int
sb_store_text_open(struct sb_store *st)
{
	struct store_text *tx;
	char path[4200];
	int64_t max_id, max_seq;
	int rc;

	if (strcmp(st->path, ":memory:") == 0 || strncmp(st->path, "file:", 5) == 0)
		return 0;
	tx = calloc(1, sizeof(*tx));
	if (tx == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s.text", st->path);
	tx->path = strdup(path);
	tx->store_path = strdup(st->path);
	snprintf(tx->install_id, sizeof(tx->install_id), "%s", st->install_id);
	pthread_mutex_init(&tx->pass_mu, NULL);
	pthread_mutex_init(&tx->mu, NULL);
	pthread_cond_init(&tx->cv, NULL);
	st->text = tx;
	if (tx->path == NULL || tx->store_path == NULL)
		return -1;
	max_id = sb_store_max_message_id(st);
	max_seq = text_int(st->db, "SELECT coalesce(max(seq), 0) FROM text_edits");
	/* A stale or broken index is made anew: it is only derived data. */
	if ((rc = text_open_index(tx, max_id, max_seq)) <= 0) {
		sb_log(SB_LOG_INFO, "store: the text index %s %s; it is made anew and filled"
		    " in the background", tx->path, rc < 0 ? "cannot be read" :
		    "is of another format or state of the store");
		sqlite3_close(tx->tdb);
		tx->tdb = NULL;
		text_unlink(tx->path);
		if (text_open_index(tx, max_id, max_seq) <= 0) {
			sb_log(SB_LOG_ERROR, "store: cannot make the text index %s: %s;"
			    " text searches scan the messages", tx->path,
			    tx->tdb != NULL ? sqlite3_errmsg(tx->tdb) : "out of memory");
			sb_store_text_close(st);
			return 0;
		}
	}
	if (sqlite3_open_v2(st->path, &tx->mdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK || sqlite3_exec(tx->mdb, "PRAGMA query_only = 1;"
	    " PRAGMA busy_timeout = 5000;", NULL, NULL, NULL) != SQLITE_OK) {
		sb_log(SB_LOG_ERROR, "store: the text indexer cannot read %s; text searches"
		    " scan the messages", st->path);
		sb_store_text_close(st);
		return 0;
	}
	tx->shown_indexed = tx->indexed;
	tx->shown_edits = tx->edits;
	return 0;
}

/* A write transaction of the index, and the statements it runs. */
struct text_txn {
	sqlite3_stmt *ins, *del, *mark;
	int open;
};

/* Prepare and begin; 0, or -1 (end it all the same). */
static int
text_begin(struct store_text *tx, struct text_txn *t)
{
	*t = (struct text_txn){ 0 };
	if (sqlite3_prepare_v2(tx->tdb, "INSERT INTO messages_text (rowid, body) VALUES (?1, ?2)",
	    -1, &t->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(tx->tdb, "INSERT INTO messages_text (messages_text, rowid, body)"
	    " VALUES ('delete', ?1, ?2)", -1, &t->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(tx->tdb, "UPDATE state SET indexed = ?1, edits = ?2", -1, &t->mark,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(tx->tdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	t->open = 1;
	return 0;
}

/* Index text `body` as message `id`'s (or delete it: `remove`). */
static int
text_put(struct text_txn *t, int64_t id, const char *body, int remove)
{
	sqlite3_stmt *s = remove ? t->del : t->ins;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A text change: the text it replaced out, the new one in. */
static int
text_change(struct text_txn *t, int64_t id, const char *old, const char *now)
{
	return (old != NULL && text_put(t, id, old, 1) < 0) ||
	    (now != NULL && text_put(t, id, now, 0) < 0) ? -1 : 0;
}

/* Commit with the marks it reached (the thread's from then on); 0 or -1. */
static int
text_commit(struct store_text *tx, struct text_txn *t, int64_t indexed, int64_t edits)
{
	sqlite3_bind_int64(t->mark, 1, indexed);
	sqlite3_bind_int64(t->mark, 2, edits);
	if (sqlite3_step(t->mark) != SQLITE_DONE ||
	    sqlite3_exec(tx->tdb, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	t->open = 0;
	tx->indexed = indexed;
	tx->edits = edits;
	return 0;
}

/* Roll back what was not committed, and free the statements. */
static void
text_end(struct store_text *tx, struct text_txn *t)
{
	if (t->open)
		sqlite3_exec(tx->tdb, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(t->ins);
	sqlite3_finalize(t->del);
	sqlite3_finalize(t->mark);
}

/*
 * One pass: the messages above state.indexed (TEXT_CHUNK at most) and
 * the text changes since state.edits, read in one snapshot of the store
 * and written in one transaction of the index. 1 if more is left, 0 if
 * the index is up to date, -1 on an error (`why` says it).
 */
static int
text_pass(struct store_text *tx, char *why, size_t len)
{
	sqlite3_stmt *rows = NULL, *edits = NULL;
	struct text_txn t = { 0 };
	sqlite3 *bad = tx->mdb;   /* the connection an error is read from */
	int64_t max_id, max_seq, hi;
	int rc = -1, step = SQLITE_DONE;

	if (sqlite3_exec(tx->mdb, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	max_id = text_int(tx->mdb, "SELECT coalesce(max(id), 0) FROM messages");
	max_seq = text_int(tx->mdb, "SELECT coalesce(max(seq), 0) FROM text_edits");
	if (max_id < 0 || max_seq < 0)
		goto out;
	if (max_id <= tx->indexed && max_seq <= tx->edits) {
		rc = 0;
		goto out;
	}
	hi = max_id - tx->indexed > TEXT_CHUNK ? tx->indexed + TEXT_CHUNK : max_id;
	if (sqlite3_prepare_v2(tx->mdb, "SELECT id, body FROM messages WHERE id > ?1"
	    " AND id <= ?2 AND body IS NOT NULL ORDER BY id", -1, &rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(tx->mdb, "SELECT message_id, old_body, new_body FROM text_edits"
	    " WHERE seq > ?1 AND seq <= ?2 AND message_id <= ?3 ORDER BY seq", -1, &edits,
	    NULL) != SQLITE_OK)
		goto out;
	bad = tx->tdb;
	if (text_begin(tx, &t) < 0)
		goto out;
	/* Changes first: they concern messages indexed by earlier passes. */
	sqlite3_bind_int64(edits, 1, tx->edits);
	sqlite3_bind_int64(edits, 2, max_seq);
	sqlite3_bind_int64(edits, 3, tx->indexed);
	for (;;) {
		bad = tx->mdb;
		if ((step = sqlite3_step(edits)) != SQLITE_ROW)
			break;
		bad = tx->tdb;
		if (text_change(&t, sqlite3_column_int64(edits, 0), sb_store_col_text(edits, 1),
		    sb_store_col_text(edits, 2)) < 0)
			break;
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_bind_int64(rows, 1, tx->indexed);
	sqlite3_bind_int64(rows, 2, hi);
	for (;;) {
		bad = tx->mdb;
		if ((step = sqlite3_step(rows)) != SQLITE_ROW)
			break;
		bad = tx->tdb;
		if (text_put(&t, sqlite3_column_int64(rows, 0), sb_store_col_text(rows, 1), 0) < 0)
			break;
	}
	if (step != SQLITE_DONE)
		goto out;
	bad = tx->tdb;
	if (text_commit(tx, &t, hi, max_seq) < 0)
		goto out;
	rc = hi < max_id;
out:
	if (rc < 0)
		snprintf(why, len, "%s", sqlite3_errmsg(bad));
	text_end(tx, &t);
	sqlite3_finalize(rows);
	sqlite3_finalize(edits);
	sqlite3_exec(tx->mdb, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/*
 * Index a taken queue, in one transaction; entries at or below the marks
 * were caught up already. 0, or -1 (`why` says why).
 */
static int
text_apply(struct store_text *tx, const struct text_list *l, char *why, size_t len)
{
	struct text_txn t;
	int64_t indexed = tx->indexed, edits = tx->edits;
	int rc = -1;

	if (text_begin(tx, &t) < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct text_entry *e = &l->v[i];

		if (e->seq == 0 && e->id > indexed) {
			if (text_put(&t, e->id, e->text, 0) < 0)
				goto out;
			indexed = e->id;
		} else if (e->seq > edits) {
			if (text_change(&t, e->id, e->old, e->text) < 0)
				goto out;
			edits = e->seq;
		}
	}
	rc = text_commit(tx, &t, indexed, edits);
out:
	if (rc < 0)
		snprintf(why, len, "%s", sqlite3_errmsg(tx->tdb));
	text_end(tx, &t);
	return rc;
}

/* After a pass: the marks for other threads, and a failure for the loop to log. */
static void
text_report(struct store_text *tx, int failed, const char *why)
{
	pthread_mutex_lock(&tx->mu);
	tx->shown_indexed = tx->indexed;
	tx->shown_edits = tx->edits;
	if (failed) {
		tx->failures++;
		snprintf(tx->failure, sizeof(tx->failure), "%s", why);
	}
	pthread_mutex_unlock(&tx->mu);
}

/* Passes until the index is up to date (or an error, or a stop). */
static int
text_catch_up(struct store_text *tx)
{
	char why[200] = "";
	int rc;

	pthread_mutex_lock(&tx->pass_mu);
	do
		rc = text_pass(tx, why, sizeof(why));
	while (rc == 1 && !__atomic_load_n(&tx->stop, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&tx->pass_mu);
	text_report(tx, rc < 0, why);
	return rc < 0 ? -1 : 0;
}

static void *
text_main(void *arg)
{
	struct store_text *tx = arg;
	struct timespec until;

	/* Background work: on a busy host the loop and the syncer go first
	 * (Linux nices a thread by its id). Failing that, it runs as it is. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), TEXT_NICE);
	for (;;) {
		struct text_list taken;
		char why[200] = "";
		int lost, failed = 0;

		pthread_mutex_lock(&tx->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TEXT_IDLE_MS / 1000;
		while (!tx->stop && !tx->kick && !tx->lost)
			if (pthread_cond_timedwait(&tx->cv, &tx->mu, &until) == ETIMEDOUT)
				break;
		tx->kick = 0;
		if (tx->stop) {
			pthread_mutex_unlock(&tx->mu);
			return NULL;
		}
		lost = tx->lost;
		tx->lost = 0;
		taken = tx->queue;
		tx->queue = (struct text_list){ 0 };
		pthread_mutex_unlock(&tx->mu);
		/* What the queue does not have is in the store: a catch-up's
		 * snapshot is taken now, so it also has every taken entry. */
		if (lost) {
			failed = text_catch_up(tx) < 0;
		} else if (taken.n > 0) {
			pthread_mutex_lock(&tx->pass_mu);
			failed = text_apply(tx, &taken, why, sizeof(why)) < 0;
			pthread_mutex_unlock(&tx->pass_mu);
			text_report(tx, failed, why);
		}
		list_free(&taken);
		if (!failed)
			continue;
		/* Caught up from the store at the next try, a second from now. */
		pthread_mutex_lock(&tx->mu);
		tx->lost = 1;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!tx->stop)
			if (pthread_cond_timedwait(&tx->cv, &tx->mu, &until) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&tx->mu);
	}
}

int
sb_store_text_start(struct sb_store *st)
{
	struct store_text *tx = st->text;

	if (tx == NULL || tx->started)
		return 0;
	tx->stop = 0;
	tx->lost = 1; /* first, what was committed before it ran */
	if (pthread_create(&tx->thread, NULL, text_main, tx) != 0)
		return -1;
	/* Its name in top -H and /proc/PID/task/TID/comm (scripts/bench reads it). */
	(void)pthread_setname_np(tx->thread, "sb-text");
	tx->started = 1;
	return 0;
}

void
sb_store_text_stop(struct sb_store *st)
{
	struct store_text *tx = st->text;

	if (tx == NULL || !tx->started)
		return;
	pthread_mutex_lock(&tx->mu);
	__atomic_store_n(&tx->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&tx->cv);
	pthread_mutex_unlock(&tx->mu);
	pthread_join(tx->thread, NULL);
	tx->started = 0;
	tx->stop = 0;
	/* Left for the next start's catch-up. */
	list_free(&tx->queue);
	list_free(&tx->group);
}

void
sb_store_text_close(struct sb_store *st)
{
	struct store_text *tx = st->text;

	if (tx == NULL)
		return;
	sb_store_text_stop(st);
	list_free(&tx->queue);
	list_free(&tx->group);
	sqlite3_close(tx->rdb);
	sqlite3_close(tx->mdb);
	sqlite3_close(tx->tdb);
	pthread_mutex_destroy(&tx->pass_mu);
	pthread_mutex_destroy(&tx->mu);
	pthread_cond_destroy(&tx->cv);
	free(tx->path);
	free(tx->store_path);
	free(tx);
	st->text = NULL;
}

/* The open group's entry; a failure to keep it costs a catch-up. */
static void
text_note(struct store_text *tx, int64_t id, int64_t seq, const char *old, const char *text)
{
	char *o = old != NULL ? strdup(old) : NULL, *t = text != NULL ? strdup(text) : NULL;

	if ((old != NULL && o == NULL) || (text != NULL && t == NULL) ||
	    list_add(&tx->group, id, seq, o, t) < 0) {
		free(o);
		free(t);
		tx->group_lost = 1;
	}
}

void
sb_store_text_note(struct sb_store *st, int64_t id, const char *text)
{
	if (st->text != NULL && st->text->started)
		text_note(st->text, id, 0, NULL, text);
}

void
sb_store_text_note_edit(struct sb_store *st, int64_t seq, int64_t id, const char *old,
    const char *text)
{
	if (st->text != NULL && st->text->started)
		text_note(st->text, id, seq, old, text);
}

void
sb_store_text_savepoint(struct sb_store *st)
{
	if (st->text != NULL)
		st->text->savepoint = st->text->group.n;
}

void
sb_store_text_rollback(struct sb_store *st, int to_savepoint)
{
	struct store_text *tx = st->text;

	if (tx != NULL)
		list_drop(&tx->group, to_savepoint ? tx->savepoint : 0);
}

/* Move src's entries (and their strings) to the end of dst; -1 if out of memory. */
static int
list_move(struct text_list *dst, struct text_list *src)
{
	if (src->n == 0)
		return 0;
	if (dst->n + src->n > dst->cap) {
		size_t cap = dst->cap ? dst->cap : 256;
		struct text_entry *v;

		while (cap < dst->n + src->n)
			cap *= 2;
		if ((v = realloc(dst->v, cap * sizeof(*v))) == NULL)
			return -1;
		dst->v = v;
		dst->cap = cap;
	}
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	dst->bytes += src->bytes;
	src->n = src->bytes = 0;
	return 0;
}

void
sb_store_text_committed(struct sb_store *st)
{
	struct store_text *tx = st->text;
	unsigned failures;
	char failure[200];

	if (tx == NULL || !tx->started)
		return;
	pthread_mutex_lock(&tx->mu);
	/* Too much waiting (the indexer is slow, or stuck) or no memory: the
	 * entries go, and the indexer catches up from the store. */
	if (tx->group_lost || tx->queue.n + tx->group.n > QUEUE_MAX ||
	    tx->queue.bytes + tx->group.bytes > QUEUE_MAX_BYTES ||
	    list_move(&tx->queue, &tx->group) < 0) {
		list_drop(&tx->queue, 0);
		list_drop(&tx->group, 0);
		tx->group_lost = 0;
		tx->lost = 1;
	}
	if (tx->lost || tx->queue.n >= TEXT_BATCH) {
		tx->kick = 1;
		pthread_cond_signal(&tx->cv);
	}
	/* The indexer's errors are logged here, on the loop: one line per new one. */
	failures = tx->failures;
	snprintf(failure, sizeof(failure), "%s", tx->failure);
	pthread_mutex_unlock(&tx->mu);
	if (failures != tx->failures_logged) {
		tx->failures_logged = failures;
		sb_log(SB_LOG_WARN, "store: the text indexer failed (%s); it tries again,"
		    " and searches scan what it has not indexed", failure);
	}
}

int
sb_store_text_index_now(struct sb_store *st)
{
	return st->text != NULL ? text_catch_up(st->text) : 0;
}

int64_t
sb_store_text_indexed(struct sb_store *st)
{
	struct store_text *tx = st->text;
	int64_t v;

	if (tx == NULL)
		return 0;
	pthread_mutex_lock(&tx->mu);
	v = tx->shown_indexed;
	pthread_mutex_unlock(&tx->mu);
	return v;
}

int64_t
sb_store_text_unindexed(struct sb_store *st)
{
	struct store_text *tx = st->text;
	int64_t ids, edits;

	if (tx == NULL)
		return 0;
	pthread_mutex_lock(&tx->mu);
	ids = tx->shown_indexed;
	edits = tx->shown_edits;
	pthread_mutex_unlock(&tx->mu);
	ids = sb_store_max_message_id(st) - ids;
	edits = text_int(st->db, "SELECT coalesce(max(seq), 0) FROM text_edits") - edits;
	return (ids > 0 ? ids : 0) + (edits > 0 ? edits : 0);
}

sqlite3 *
sb_store_text_reader(struct sb_store *st, int64_t *indexed, int64_t *edits)
{
	struct store_text *tx = st->text;

	*indexed = *edits = 0;
	if (tx == NULL)
		return st->db;
	if (tx->rdb == NULL) {
		sqlite3_stmt *s;

		if (sqlite3_open_v2(tx->store_path, &tx->rdb, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		    sqlite3_exec(tx->rdb, "PRAGMA query_only = 1; PRAGMA busy_timeout = 1000;",
		    NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(tx->rdb, "ATTACH DATABASE ?1 AS text", -1, &s,
		    NULL) != SQLITE_OK) {
			sqlite3_close(tx->rdb);
			tx->rdb = NULL;
			return NULL;
		}
		sqlite3_bind_text(s, 1, tx->path, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE || sb_store_match_register(tx->rdb) < 0) {
			sqlite3_finalize(s);
			sqlite3_close(tx->rdb);
			tx->rdb = NULL;
			return NULL;
		}
		sqlite3_finalize(s);
	}
	/* One snapshot of both: the mark and the rows it covers agree. */
	if (sqlite3_exec(tx->rdb, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return NULL;
	*indexed = text_int(tx->rdb, "SELECT indexed FROM text.state");
	*edits = text_int(tx->rdb, "SELECT edits FROM text.state");
	if (*indexed < 0 || *edits < 0) {
		sqlite3_exec(tx->rdb, "ROLLBACK", NULL, NULL, NULL);
		return NULL;
	}
	return tx->rdb;
}

void
sb_store_text_reader_done(struct sb_store *st, sqlite3 *db)
{
	if (st->text != NULL && db == st->text->rdb)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}
