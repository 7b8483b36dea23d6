/*
 * store.c - SQLite connection, schema migrations applied at open (their
 * SQL is store_schema.c's), and the statements the dispatcher runs on
 * every message.
 *
 * One connection, used only from the event loop. A write transaction is
 * opened lazily by the first write of a group and ended by the group
 * commit (store_group.c: its own event, or sb_store_commit() when no loop
 * is attached), so one fsync covers every message of the group. Read-only
 * queries for the API and the CLI live in store_query.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

/* Every statement the hot path runs, prepared once at open. */
static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_MSG_INSERT] =
	    "INSERT INTO messages (subaccount, chain, to_addr, from_addr, body,"
	    " template_name, template_lang, template_vars, idem_key, status, step,"
	    " created_ms, send_at_ms, expires_ms, updated_ms, broadcast_id, resend_of,"
	    " chain_ver, reason, template_ver, contact_id, channel_type, bcast_many, hist)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_MSG_BY_IDEM] = "SELECT id FROM messages WHERE subaccount = ? AND idem_key = ?",
	/* No RETURNING here: SQLite gathers its rows in an ephemeral table
	 * first, which doubles an update's cost; the statistics key is read
	 * by id (ST_MSG_TALLY_KEY) only when the status moved. */
	/* The history entry (store_hist.c) goes with the change it records. */
	[ST_MSG_UPDATE] =
	    "UPDATE messages SET status = ?1, step = coalesce(?2, step),"
	    " reason = nullif(?3, ''), updated_ms = ?4,"
	    " hist = coalesce(hist, '') || ',[' || (?4 - created_ms) || ?7"
	    " WHERE id = ?5 AND status = ?6",
	/* The first step of a message just stored queued did not start: its
	 * move's entry is its first (store_hist.c). */
	[ST_MSG_UPDATE_FIRST] =
	    "UPDATE messages SET status = ?1, step = coalesce(?2, step),"
	    " reason = nullif(?3, ''), updated_ms = ?4,"
	    " hist = ',[' || (?4 - created_ms) || ?7"
	    " WHERE id = ?5 AND status = ?6",
	[ST_MSG_TALLY_KEY] = "SELECT " MSG_TALLY_COLS ", m.status FROM messages m"
	    " LEFT JOIN broadcasts b ON b.id = m.broadcast_id WHERE m.id = ?",
	[ST_MSG_STATUS] = "SELECT status FROM messages WHERE id = ?",
	[ST_MSG_GET] =
	    "SELECT id, subaccount, chain, to_addr, from_addr, body, template_name,"
	    " template_lang, template_vars, idem_key, status, created_ms, send_at_ms,"
	    " expires_ms, broadcast_id, resend_of, step, chain_ver, template_ver"
	    " FROM messages WHERE id = ?",
	[ST_MSG_DUE] =
	    "SELECT id FROM messages INDEXED BY messages_due"
	    " WHERE status = 'scheduled' AND send_at_ms <= ?"
	    " ORDER BY send_at_ms LIMIT ?",
	[ST_MSG_TIMES] =
	    "UPDATE messages SET send_at_ms = ?, expires_ms = coalesce(?, expires_ms)"
	    " WHERE id = ?",
	[ST_MSG_TEXT] = "UPDATE messages SET body = ? WHERE id = ?",
	[ST_MSG_MAX_ID] = "SELECT coalesce(max(id), 0) FROM messages",
	[ST_MSG_BODY] = "SELECT body FROM messages WHERE id = ?",
	[ST_TEXT_EDIT] =
	    "INSERT INTO text_edits (message_id, old_body, new_body) VALUES (?1, ?2, ?3)",
	[ST_HISTORY_ADD] =
	    "UPDATE messages SET hist = coalesce(hist, '') || ',[' || (?2 - created_ms) || ?3"
	    " WHERE id = ?1",
	/* The subaccount and validity end come from the message. */
	/* A row of values, not INSERT ... SELECT: a statement that may write
	 * several rows opens a statement journal, and closing it cost a tenth
	 * of a batch's CPU (perf, scripts/bench batch). */
	[ST_ATT_INSERT] =
	    "INSERT INTO attempts (message_id, step, instance, status, next_ms, created_ms,"
	    " subaccount, expire_ms, tries, sent_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_ATT_MSG_OF] = "SELECT subaccount, expires_ms FROM messages WHERE id = ?",
	[ST_ATT_INSTANCE] = "SELECT instance FROM attempts WHERE id = ?",
	[ST_ATT_READY] = ATTEMPT_SELECT
	    " WHERE a.status = 'queued' AND a.instance = ? AND a.next_ms <= ?"
	    " ORDER BY a.next_ms, a.id LIMIT ?",
	[ST_ATT_READY_LANE] = ATTEMPT_SELECT
	    " WHERE a.status = 'queued' AND a.instance = ? AND a.subaccount = ?"
	    " AND a.next_ms <= ? ORDER BY a.next_ms, a.id LIMIT ?",
	/* A loose index scan: the next subaccount with queued attempts. */
	[ST_ATT_LANE_NEXT] =
	    "SELECT subaccount FROM attempts WHERE status = 'queued' AND instance = ?"
	    " AND subaccount > ? ORDER BY subaccount LIMIT 1",
	[ST_ATT_NEXT_QUEUED] =
	    "SELECT min(next_ms) FROM attempts WHERE status = 'queued' AND instance = ?"
	    " AND next_ms > ?",
	[ST_ATT_POLL_DUE] = ATTEMPT_SELECT
	    " WHERE a.status = 'accepted' AND a.poll_ms IS NOT NULL AND a.poll_ms <= ?"
	    " ORDER BY a.poll_ms LIMIT ?",
	[ST_ATT_EXPIRE_DUE] = ATTEMPT_SELECT
	    " WHERE a.expire_ms IS NOT NULL AND a.final_ms IS NULL AND a.expire_ms <= ?"
	    " AND a.status IN ('queued', 'accepted') ORDER BY a.expire_ms LIMIT ?",
	[ST_ATT_FALLBACK_DUE] = ATTEMPT_SELECT
	    " WHERE a.status = 'accepted' AND a.fallback_ms IS NOT NULL"
	    " AND a.fallback_ms <= ? ORDER BY a.fallback_ms LIMIT ?",
	[ST_ATT_SENDING] = ATTEMPT_SELECT " WHERE a.status = 'sending' ORDER BY a.id",
	[ST_ATT_GET] = ATTEMPT_STATE_SELECT " WHERE a.id = ?",
	[ST_ATT_BY_PROVIDER] = ATTEMPT_STATE_SELECT
	    " WHERE a.instance = ? AND a.provider_id = ? ORDER BY a.id DESC LIMIT 1",
	[ST_ATT_QUEUED_OF] =
	    "SELECT id FROM attempts WHERE message_id = ? AND status = 'queued'"
	    " ORDER BY id DESC LIMIT 1",
	/* Queued attempts are not here: they wait per instance (rate, slots). */
	[ST_NEXT_DUE] =
	    "SELECT min(t) FROM ("
	    " SELECT min(fallback_ms) AS t FROM attempts"
	    "  WHERE fallback_ms IS NOT NULL AND status = 'accepted'"
	    " UNION ALL SELECT min(poll_ms) FROM attempts"
	    "  WHERE poll_ms IS NOT NULL AND status = 'accepted'"
	    " UNION ALL SELECT min(expire_ms) FROM attempts"
	    "  WHERE expire_ms IS NOT NULL AND final_ms IS NULL"
	    "  AND status IN ('queued', 'accepted')"
	    " UNION ALL SELECT min(send_at_ms) FROM messages INDEXED BY messages_due"
	    "  WHERE status = 'scheduled')",
	[ST_INBOUND_FILE] =
	    "INSERT INTO inbound (instance, from_addr, to_addr, body, at_ms, subaccount,"
	    " contact_id, channel_type, provider_id, media, received_ms, folder, flow_id)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT (instance, provider_id) WHERE provider_id IS NOT NULL DO NOTHING",
	[ST_INBOUND_BY_PROVIDER] = "SELECT id FROM inbound WHERE instance = ? AND provider_id = ?",
	[ST_CALL_FILE] =
	    "INSERT INTO calls (subaccount, instance, contact_id, direction, from_addr, to_addr,"
	    " provider_id, started_ms, duration_s) VALUES (?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT (instance, provider_id) WHERE provider_id IS NOT NULL DO NOTHING",
	[ST_CONTACT_FIND] =
	    "SELECT contact_id FROM contact_ids WHERE subaccount = ? AND kind = ? AND value = ?",
	[ST_CONTACT_ADD] = "INSERT INTO contacts (subaccount, created_ms) VALUES (?, ?)",
	[ST_CONTACT_ID_ADD] =
	    "INSERT INTO contact_ids (subaccount, kind, value, contact_id) VALUES (?,?,?,?)",
	[ST_CONTACT_OTHER] =
	    "SELECT o.value FROM contact_ids c JOIN contact_ids o ON o.contact_id = c.contact_id"
	    " WHERE c.subaccount = ?1 AND c.kind = ?2 AND c.value = ?3 AND o.kind = ?4"
	    " ORDER BY o.value LIMIT 1",
	[ST_FLOW_FOR] =
	    "SELECT id, callback_url FROM flows WHERE subaccount = ?1 AND contact_id = ?2"
	    " AND closed_ms IS NULL AND expires_ms > ?3 ORDER BY id DESC LIMIT 1",
	[ST_ALLOW_ADD] =
	    "INSERT OR REPLACE INTO filter_allow (subaccount, kind, value, uid, at_ms)"
	    " VALUES (?,?,?,?,?)",
	[ST_ALLOW_REMOVE] =
	    "DELETE FROM filter_allow WHERE subaccount = ? AND kind = ? AND value = ?",
	[ST_ALLOW_EACH] =
	    "SELECT subaccount, kind, value, uid, at_ms FROM filter_allow ORDER BY id",
	[ST_LIVE_INSTANCES] =
	    "SELECT DISTINCT instance FROM attempts WHERE status IN ('queued', 'accepted')",
	[ST_ATT_LIVE_ON] = ATTEMPT_SELECT
	    " WHERE a.instance = ? AND a.status IN ('queued', 'accepted') ORDER BY a.id LIMIT ?",
	[ST_SAVEPOINT] = "SAVEPOINT batch",
	[ST_RELEASE] = "RELEASE batch",
	[ST_ROLLBACK_TO] = "ROLLBACK TO batch",
	[ST_CHAIN_EACH] = "SELECT id, name, spec FROM chain_versions ORDER BY id",
	[ST_CHAIN_FIND] = "SELECT id FROM chain_versions WHERE name = ? AND spec = ?",
	[ST_CHAIN_ADD] = "INSERT INTO chain_versions (name, spec, created_ms) VALUES (?,?,?)",
	[ST_MSG_CHANNEL_TYPE] = "UPDATE messages SET channel_type = ?1 WHERE id = ?2",
	[ST_TALLY_MSG] =
	    "INSERT INTO msg_stats VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (subaccount, day, template, channel_type, status)"
	    " DO UPDATE SET n = n + excluded.n",
	[ST_TALLY_BCAST] =
	    "INSERT INTO bcast_stats VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (broadcast_id, status) DO UPDATE SET n = n + excluded.n",
	/* Events (store_events.c): what a status event says of its message. */
	[ST_EVT_MSG] =
	    "SELECT m.subaccount, m.to_addr, m.channel_type, m.broadcast_id, m.template_name,"
	    " (SELECT a.instance FROM attempts a WHERE a.message_id = m.id"
	    "  ORDER BY a.id DESC LIMIT 1) FROM messages m WHERE m.id = ?",
	[ST_EVT_INSERT] =
	    "INSERT INTO events (subaccount, contact, kind, message_id, payload, created_ms,"
	    " next_ms, retry_from_ms, url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?7)",
	/* The oldest pending event of each contact, if it is due. */
	[ST_EVT_DUE] =
	    "SELECT e.id, e.subaccount, e.contact, e.payload, e.retry_from_ms, e.tries, e.url"
	    " FROM events e INDEXED BY events_due"
	    " WHERE e.state = 'pending' AND e.next_ms <= ?1 AND e.id <= ?2"
	    " AND NOT EXISTS (SELECT 1 FROM events o INDEXED BY events_contact"
	    "  WHERE o.state = 'pending' AND o.subaccount = e.subaccount"
	    "  AND o.contact = e.contact AND o.id < e.id)"
	    " ORDER BY e.next_ms, e.id LIMIT ?3",
	[ST_EVT_NEXT] =
	    "SELECT e.next_ms FROM events e INDEXED BY events_due"
	    " WHERE e.state = 'pending' AND e.next_ms > ?1 AND e.id <= ?2"
	    " AND NOT EXISTS (SELECT 1 FROM events o INDEXED BY events_contact"
	    "  WHERE o.state = 'pending' AND o.subaccount = e.subaccount"
	    "  AND o.contact = e.contact AND o.id < e.id)"
	    " ORDER BY e.next_ms LIMIT 1",
	[ST_EVT_DONE] =
	    "UPDATE events SET state = ?1, tries = tries + 1, next_ms = ?2,"
	    " last_error = ?3, delivered_ms = ?4 WHERE id = ?5 AND state = 'pending'",
	[ST_BCAST_INSERT] =
	    "INSERT INTO broadcasts (subaccount, source, user_name, file_name, chain, body,"
	    " template_name, restart_of, created_ms, single_message)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_MSG_BCAST_STOPPED] =
	    "SELECT b.stopped_ms IS NOT NULL FROM messages m JOIN broadcasts b"
	    " ON b.id = m.broadcast_id WHERE m.id = ?",
};

static int
set_store_error(struct sb_error *err, sqlite3 *db, const char *path, const char *what)
{
	return sb_error_set(err, SB_E_INTERNAL, "database %s: %s: %s", path, what,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

static int
read_user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Bring the schema to SB_STORE_SCHEMA_VERSION, one transaction per step. */
static int
migrate(sqlite3 *db, const char *path, struct sb_error *err)
{
	int v = read_user_version(db);
	char sql[64];

	if (v < 0)
		return set_store_error(err, db, path, "reading user_version");
	if (v > SB_STORE_SCHEMA_VERSION)
		return sb_error_set(err, SB_E_INTERNAL,
		    "database %s has schema version %d, newer than this build's %d;"
		    " refusing to touch it", path, v, SB_STORE_SCHEMA_VERSION);
	for (; v < SB_STORE_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return set_store_error(err, db, path, "starting a migration");
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, sb_store_migration_sql(v), NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			set_store_error(err, db, path, "migrating the schema");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return set_store_error(err, db, path, "committing a migration");
	}
	return 0;
}

/* A random id per database, so idempotency keys never collide across installs. */
static int
load_install_id(struct sb_store *st, struct sb_error *err)
{
	unsigned char rnd[16];
	sqlite3_stmt *s;
	int fd, ok = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'install_id'",
	    -1, &s, NULL) != SQLITE_OK)
		return set_store_error(err, st->db, st->path, "reading meta");
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(st->install_id, sizeof(st->install_id), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		ok = 1;
	}
	sqlite3_finalize(s);
	if (ok)
		return 0;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
		if (fd >= 0)
			close(fd);
		return sb_error_set(err, SB_E_INTERNAL, "reading /dev/urandom: %s",
		    strerror(errno));
	}
	close(fd);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(st->install_id + 2 * i, 3, "%02x", rnd[i]);
	if (sqlite3_prepare_v2(st->db,
	    "INSERT INTO meta (key, value) VALUES ('install_id', ?)", -1, &s, NULL) != SQLITE_OK)
		return set_store_error(err, st->db, st->path, "writing meta");
	sqlite3_bind_text(s, 1, st->install_id, -1, SQLITE_STATIC);
	ok = sqlite3_step(s) == SQLITE_DONE;
	sqlite3_finalize(s);
	return ok ? 0 : set_store_error(err, st->db, st->path, "writing meta");
}

/*
 * One daemon per database: two would both send every queued message. The
 * lock is flock() on a file beside the database (SQLite's own fcntl locks
 * are per transaction, not per process lifetime); the kernel drops it when
 * the process dies, so a crash never leaves it stale.
 */
static int
take_lock(struct sb_store *st, const char *path, struct sb_error *err)
{
	char lpath[4200], pid[32] = "";
	ssize_t n;

	if (strcmp(path, ":memory:") == 0)
		return 0;
	snprintf(lpath, sizeof(lpath), "%s.lock", path);
	st->lock_fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (st->lock_fd < 0)
		return sb_error_set(err, SB_E_INTERNAL, "database %s: cannot open %s: %s", path,
		    lpath, strerror(errno));
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(st->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(st->lock_fd);
		st->lock_fd = -1;
		return sb_error_set(err, SB_E_INTERNAL,
		    "database %s is in use by another switchboardd%s%s%s; two daemons on one"
		    " database would both send every message", path, *pid ? " (pid " : "", pid,
		    *pid ? ")" : "");
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) < 0 || pwrite(st->lock_fd, pid, (size_t)n, 0) != n)
		return sb_error_set(err, SB_E_INTERNAL, "database %s: writing %s: %s", path,
		    lpath, strerror(errno));
	return 0;
}

/*
 * Before SQLite's first use in the process: no allocation statistics
 * (they take a global mutex on every malloc and free, and nothing reads
 * them). A no-op if SQLite was already initialised (a test opened a
 * database first).
 */
static void
store_configure_library(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct sb_store *
sb_store_open(const char *path, int sync_full, struct sb_error *err)
{
	struct sb_store *st;
	char pragmas[256];

	store_configure_library();
	st = calloc(1, sizeof(*st));

	if (st == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		return NULL;
	}
	st->lock_fd = -1;
	st->path = strdup(path);
	if (st->path == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		goto fail;
	}
	if (take_lock(st, path, err) < 0)
		goto fail;
	st->sync_full = sync_full;
	/* The loop's connection writes the WAL through store_walvfs.c (one
	 * write per commit); its NULL falls back to the default VFS. */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, sb_store_walvfs()) != SQLITE_OK) {
		set_store_error(err, st->db, path, "opening");
		goto fail;
	}
	/* WAL: readers never block the writer, and a commit appends to one
	 * file. FULL syncs the WAL at every commit: one fsync per group. Once
	 * attached to a loop, the syncer thread takes the syncs over
	 * (store_group.c). */
	snprintf(pragmas, sizeof(pragmas),
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
	    " PRAGMA foreign_keys = OFF; PRAGMA busy_timeout = 5000;"
	    " PRAGMA cache_size = -8000; PRAGMA wal_autocheckpoint = 4000;"
	    " PRAGMA temp_store = MEMORY;",
	    sync_full ? "FULL" : "NORMAL");
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		set_store_error(err, st->db, path, "setting pragmas");
		goto fail;
	}
	/* A text search without the index runs here (store_match.c). */
	if (sb_store_match_register(st->db) < 0) {
		set_store_error(err, st->db, path, "adding the search's functions");
		goto fail;
	}
	if (migrate(st->db, path, err) < 0 || load_install_id(st, err) < 0)
		goto fail;
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->stmt[i], NULL) != SQLITE_OK) {
			set_store_error(err, st->db, path, "preparing statements");
			goto fail;
		}
	}
	if (sb_store_gauges_load(st) < 0) {
		set_store_error(err, st->db, path, "counting the queued attempts and pending events");
		goto fail;
	}
	if (sb_store_text_open(st) < 0) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		goto fail;
	}
	return st;
fail:
	sb_store_close(st);
	return NULL;
}

void
sb_store_remove_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", ".lock", ".text",
	    ".text-wal", ".text-shm" };
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

void
sb_store_close(struct sb_store *st)
{
	if (st == NULL)
		return;
	if (st->in_txn)
		sb_store_commit(st);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (size_t i = 0; i < st->natt_updates; i++)
		sqlite3_finalize(st->att_updates[i].stmt);
	sb_store_tpl_cache_free(st);
	sb_store_tally_free(st);
	sb_store_msgcache_free(st);
	sb_store_attcache_free(st);
	sb_store_gauges_free(st);
	sb_store_detach(st);
	sb_store_text_close(st);
	if (st->db != NULL)
		sqlite3_close(st->db);
	if (st->ckdb != NULL)
		sqlite3_close(st->ckdb);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* drops the lock */
	free(st->waiters);
	free(st->synced);
	free(st->path);
	free(st);
}

int
sb_store_schema_version(struct sb_store *st)
{
	return read_user_version(st->db);
}

const char *
sb_store_install_id(struct sb_store *st)
{
	return st->install_id;
}

const char *
sb_store_errmsg(struct sb_store *st)
{
	return sqlite3_errmsg(st->db);
}

/* ---- group commit ---- */

sqlite3_stmt *
sb_store_stmt(struct sb_store *st, enum store_stmt id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Open the group's transaction if this is its first write. */
int
sb_store_write_begin(struct sb_store *st)
{
	sqlite3_stmt *s;

	st->pending++;
	sb_store_arm_commit(st);
	if (st->in_txn)
		return 0;
	s = sb_store_stmt(st, ST_BEGIN);
	if (sqlite3_step(s) != SQLITE_DONE)
		return -1;
	st->in_txn = 1;
	return 0;
}

int64_t
sb_store_max_message_id(struct sb_store *st)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_MAX_ID);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;

	sqlite3_reset(s);
	return id;
}

/* Run a bound write statement inside the group. */
int
sb_store_exec_write(struct sb_store *st, sqlite3_stmt *s)
{
	int rc;

	if (sb_store_write_begin(st) < 0)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sb_store_after_commit(struct sb_store *st, sb_store_commit_fn fn, void *arg)
{
	if (st->nwaiters == st->capwaiters) {
		size_t cap = st->capwaiters ? st->capwaiters * 2 : 64;
		struct store_waiter *w = realloc(st->waiters, cap * sizeof(*w));

		if (w == NULL)
			return -1;
		st->waiters = w;
		st->capwaiters = cap;
	}
	st->waiters[st->nwaiters++] = (struct store_waiter){ fn, arg };
	sb_store_arm_commit(st);
	return 0;
}

int
sb_store_savepoint(struct sb_store *st)
{
	sqlite3_stmt *s;

	if (st->in_savepoint || sb_store_write_begin(st) < 0)
		return -1;
	s = sb_store_stmt(st, ST_SAVEPOINT);
	if (sqlite3_step(s) != SQLITE_DONE)
		return -1;
	st->in_savepoint = 1;
	sb_store_tally_savepoint(st);
	sb_store_gauges_savepoint(st);
	sb_store_text_savepoint(st);
	return 0;
}

int
sb_store_savepoint_end(struct sb_store *st, int ok)
{
	int rc = 0;

	if (!st->in_savepoint)
		return -1;
	st->in_savepoint = 0;
	if (!ok && sqlite3_step(sb_store_stmt(st, ST_ROLLBACK_TO)) != SQLITE_DONE)
		rc = -1;
	if (!ok) { /* the aggregates and the texts roll back with the rows */
		sb_store_tally_rollback(st, 1);
		sb_store_gauges_rollback(st, 1);
		sb_store_text_rollback(st, 1);
		sb_store_msgcache_clear(st);
		sb_store_attcache_clear(st);
	}
	if (sqlite3_step(sb_store_stmt(st, ST_RELEASE)) != SQLITE_DONE)
		rc = -1;
	sb_store_arm_commit(st);
	return rc;
}

int64_t
sb_store_total_changes(const struct sb_store *st)
{
	return (int64_t)sqlite3_total_changes64(st->db);
}

void
sb_store_group_fail(struct sb_store *st)
{
	st->group_failed = 1;
	sb_store_arm_commit(st);
}

unsigned
sb_store_pending(const struct sb_store *st)
{
	return st->pending + (unsigned)st->nwaiters;
}

uint64_t
sb_store_group_seq(const struct sb_store *st)
{
	return st->groups;
}
