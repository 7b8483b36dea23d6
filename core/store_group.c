/*
 * store_group.c - the group commit, and the fsync kept off the event loop.
 *
 * Writes join the open group (one write transaction) at once, so reads on
 * the connection see them. A group ends as soon as it can: at the next
 * loop turn after its first write or waiter (or after
 * daemon.commit_interval when that is set above 0), and at once past
 * daemon.commit_max statements, unless the previous group is still being
 * synced, in which case it keeps growing until that sync is done.
 *
 * Attached to a loop, the connection runs with synchronous=OFF: COMMIT
 * only hands the WAL frames to the kernel, which costs no wait. The disk
 * wait is the syncer thread's: it fdatasync()s the WAL file, then tells
 * the loop through an eventfd, and only then are the group's waiters
 * (acknowledgements, sends waiting for their `sending` mark) called.
 * Nothing is acknowledged before it is on disk, and the loop never waits
 * for the disk. Checkpoints run on a second thread, the checkpointer, on
 * its own connection with synchronous=FULL (the database file is synced
 * before the WAL is reused), when the WAL passes CHECKPOINT_PAGES; the
 * loop connection's automatic checkpoint is off. The checkpointer is not
 * the syncer because a checkpoint takes 2-12 ms on this VM's disk (about
 * four per second under scripts/bench): the groups that committed
 * meanwhile waited that long for their fdatasync, and their
 * acknowledgements with them. With daemon.sync: normal, there is no
 * fdatasync per group (crash-safe against a killed process, not a lost
 * host), but checkpoints still leave the loop.
 *
 * Keeping the WAL small needs one more step. SQLite rewinds the WAL to
 * its start only when a transaction begins while every frame in it has
 * been copied to the database; under steady load the loop's next group
 * always begins before the checkpointer's round is done, so the WAL would
 * grow without end. So once a round is done, if at most LOOP_COPY_PAGES
 * frames were committed during it, the loop copies them (page-cache
 * writes, no disk wait) right after a COMMIT, before the next group
 * begins, and has the syncer fdatasync the database file along with that
 * group's WAL; if more, the checkpointer takes another round. The next
 * group then begins on a fully copied WAL and its COMMIT rewinds it; that
 * COMMIT waits for the sync as every COMMIT does, so the frames it
 * overwrites are in the database on disk first. Groups that would take
 * the WAL past HOLD_PAGES while a round runs wait for it instead.
 *
 * Without a loop (unit tests, `switchboardd -t`) the store keeps SQLite's
 * own synchronous=FULL and sb_store_commit() is the only way a group ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_internal.h"

#define CHECKPOINT_PAGES 4000  /* WAL pages (4 KiB) before a checkpoint: ~16 MB */
/* After a checkpoint round, the frames committed meanwhile: up to this many
 * the loop copies itself (page-cache writes, a millisecond or two); more,
 * and the checkpointer takes another round. */
#define LOOP_COPY_PAGES 256
/* Groups go on committing while a round runs; past this many WAL pages
 * (~25 MB) they wait for it, which bounds the WAL under any load. */
#define HOLD_PAGES (CHECKPOINT_PAGES * 3 / 2)

/* The syncer and the checkpointer threads, and what they share with the loop. */
struct store_syncer {
	struct sb_store *st;
	pthread_t thread, ck_thread;
	int started;               /* the syncer thread runs (start-up's unwinding) */
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* the syncer's wake-up */
	pthread_cond_t ck_cv;      /* the checkpointer's */
	int efd;                   /* the thread's "done", read on the loop */
	struct event *done_ev;
	/* Under mu: */
	int want_sync, want_checkpoint, stop;
	int want_db_sync;          /* with the next sync: the database file too */
	int checkpointed;          /* a checkpoint ran since the loop last looked */
	int ck_copied;             /* the WAL frames that round had copied */
	int busy;                  /* a sync asked for and not yet reported */
	int result;                /* of the last sync: 0 or an errno */
	/* The thread's own: */
	int wal_fd, db_fd;
	char *wal_path;
	sqlite3 *ckdb;             /* the checkpointer's own */
	int64_t delay_ms;          /* tests: a slow disk */
	int64_t ck_delay_ms;       /* tests: a slow checkpoint */
};

/* ---- the thread ---- */

static int
sync_wal(struct store_syncer *sy, int db_too)
{
	if (db_too) {
		/* Before the WAL is rewound, in either sync mode: the frames it
		 * drops must be in the database on disk. */
		if (sy->db_fd < 0)
			sy->db_fd = open(sy->st->path, O_RDONLY | O_CLOEXEC);
		if (sy->db_fd < 0 || fdatasync(sy->db_fd) != 0)
			return errno;
	}
	if (sy->delay_ms > 0) {
		struct timespec ts = { (time_t)(sy->delay_ms / 1000),
			(long)(sy->delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (!sy->st->sync_full)
		return 0;
	if (sy->wal_fd < 0)
		sy->wal_fd = open(sy->wal_path, O_RDONLY | O_CLOEXEC);
	if (sy->wal_fd < 0)
		return errno == ENOENT ? 0 : errno; /* no WAL yet: nothing to sync */
	return fdatasync(sy->wal_fd) == 0 ? 0 : errno;
}

static void *
syncer_main(void *arg)
{
	struct store_syncer *sy = arg;

	pthread_mutex_lock(&sy->mu);
	for (;;) {
		int db_too, rc;
		uint64_t one = 1;

		while (!sy->want_sync && !sy->stop)
			pthread_cond_wait(&sy->cv, &sy->mu);
		if (!sy->want_sync)
			break; /* stopping, with nothing left to sync */
		db_too = sy->want_db_sync;
		sy->want_sync = sy->want_db_sync = 0;
		pthread_mutex_unlock(&sy->mu);
		rc = sync_wal(sy, db_too);
		pthread_mutex_lock(&sy->mu);
		sy->result = rc;
		sy->busy = 0;
		pthread_cond_broadcast(&sy->cv);
		pthread_mutex_unlock(&sy->mu);
		if (write(sy->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			sy->result = errno;
		pthread_mutex_lock(&sy->mu);
	}
	pthread_mutex_unlock(&sy->mu);
	return NULL;
}

/*
 * PASSIVE: copies what no reader needs, never waits for the loop. Done or
 * not, the loop's next COMMIT takes it from there. It touches only its own
 * connection, so it may run while the syncer syncs and the loop commits;
 * the loop asks for the next one only after it has seen this one done.
 */
static void *
checkpointer_main(void *arg)
{
	struct store_syncer *sy = arg;

	pthread_mutex_lock(&sy->mu);
	for (;;) {
		int nlog = -1, ncopied = -1;
		uint64_t one = 1;

		while (!sy->want_checkpoint && !sy->stop)
			pthread_cond_wait(&sy->ck_cv, &sy->mu);
		if (sy->stop)
			break;
		sy->want_checkpoint = 0;
		pthread_mutex_unlock(&sy->mu);
		if (sy->ck_delay_ms > 0) {
			struct timespec ts = { (time_t)(sy->ck_delay_ms / 1000),
				(long)(sy->ck_delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (sy->ckdb != NULL)
			sqlite3_wal_checkpoint_v2(sy->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE,
			    &nlog, &ncopied);
		pthread_mutex_lock(&sy->mu);
		sy->checkpointed = 1;
		sy->ck_copied = ncopied > 0 ? ncopied : 0;
		/* A group may be held for this round (HOLD_PAGES). The eventfd
		 * cannot overflow here: the loop reads it at every wake-up. */
		if (write(sy->efd, &one, sizeof(one)) < 0)
			continue; /* EAGAIN only: a wake-up is pending anyway */
	}
	pthread_mutex_unlock(&sy->mu);
	return NULL;
}

/* ---- the loop's side ---- */

/* Call the waiters of the group that was synced, with its result. */
static void
run_synced(struct sb_store *st, int ok)
{
	size_t n = st->nsynced;

	/* Waiters never add to the synced list (new ones join st->waiters). */
	for (size_t i = 0; i < n; i++)
		st->synced[i].fn(st->synced[i].arg, ok);
	st->nsynced = 0;
}

static int commit_group(struct sb_store *st, int may_hold);

/*
 * Right after a COMMIT, with no transaction open, while the WAL is large:
 * the first time, ask the syncer for a checkpoint (with this group's
 * sync); once it has run, copy what was written since on this connection
 * (see the top of the file). Returns 1 if the WAL is now fully copied, so
 * the sync about to be asked for must cover the database file too.
 */
static int
store_wal_step(struct sb_store *st, int *ask_checkpoint)
{
	struct store_syncer *sy = st->syncer;
	int nlog = -1, ncopied = -2;

	*ask_checkpoint = 0;
	if (!st->wal_big)
		return 0;
	if (st->checkpoint_asked) {
		int done, copied;

		pthread_mutex_lock(&sy->mu);
		done = sy->checkpointed;
		copied = sy->ck_copied;
		sy->checkpointed = 0;
		pthread_mutex_unlock(&sy->mu);
		if (!done)
			return 0; /* still copying: the next COMMIT looks again */
		st->checkpoint_asked = 0;
		/* Much committed during the round: another one, off the loop. */
		if (st->wal_pages - copied > LOOP_COPY_PAGES) {
			*ask_checkpoint = 1;
			st->checkpoint_asked = 1;
			return 0;
		}
		/* PASSIVE never waits; the checkpointer's connection is idle now. */
		if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
		    &ncopied) == SQLITE_OK && nlog == ncopied) {
			st->wal_big = 0;
			st->wal_rewinds++;
			return 1;
		}
	}
	*ask_checkpoint = 1;
	st->checkpoint_asked = 1;
	return 0;
}

/* Whether the WAL is at its bound with a checkpoint round still running:
 * then the open group waits for the round (the checkpointer's eventfd
 * write brings sync_done_cb back). */
static int
store_wal_full(struct sb_store *st)
{
	struct store_syncer *sy = st->syncer;
	int done;

	if (!st->checkpoint_asked || st->wal_pages < HOLD_PAGES)
		return 0;
	pthread_mutex_lock(&sy->mu);
	done = sy->checkpointed;
	pthread_mutex_unlock(&sy->mu);
	return !done;
}

static void
sync_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_store *st = arg;
	struct store_syncer *sy = st->syncer;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	/* A blocking sb_store_commit may have taken this sync's result already;
	 * or this is the checkpointer's word that a round is done. */
	if (st->syncing) {
		int rc;

		pthread_mutex_lock(&sy->mu);
		if (sy->busy) {
			pthread_mutex_unlock(&sy->mu);
			return;
		}
		rc = sy->result;
		pthread_mutex_unlock(&sy->mu);
		if (rc != 0)
			sb_log(SB_LOG_ERROR, "store: fdatasync of %s-wal failed: %s", st->path,
			    strerror(rc));
		st->syncing = 0;
		run_synced(st, rc == 0);
	} else if (!st->commit_after_checkpoint) {
		return;
	}
	/* What gathered meanwhile goes now. */
	if (st->pending > 0 || st->nwaiters > 0)
		commit_group(st, 1);
}

/*
 * End the open group: COMMIT (no disk wait), then its waiters once the
 * sync is done. With may_hold, a group that would take the WAL past its
 * bound waits for the checkpointer's round instead (sb_store_commit, which
 * blocks, never holds). Returns 0, or -1 if the COMMIT failed (its waiters
 * are told at once, with ok = 0).
 */
static int
commit_group(struct sb_store *st, int may_hold)
{
	struct store_syncer *sy = st->syncer;
	struct store_waiter *w;
	size_t cap;
	int ok = 1, db_too, ckpt;

	if (st->in_savepoint)
		return 0; /* still being written: its end re-arms the commit */
	if (st->syncing) {
		st->commit_after_sync = 1; /* it keeps growing; sync_done_cb ends it */
		return 0;
	}
	if (may_hold && sy != NULL && store_wal_full(st)) {
		st->commit_after_checkpoint = 1; /* likewise, at the round's end */
		return 0;
	}
	st->commit_after_checkpoint = 0;
	if (st->commit_armed) {
		event_del(st->commit_ev);
		st->commit_armed = 0;
	}
	if (st->in_txn) {
		ok = !st->group_failed &&
		    sb_store_tally_flush(st) == 0 &&
		    sqlite3_step(sb_store_stmt(st, ST_COMMIT)) == SQLITE_DONE;
		sqlite3_reset(st->stmt[ST_COMMIT]);
		if (!ok) {
			sb_log(SB_LOG_ERROR, "store: group commit failed: %s", st->group_failed ?
			    "a write in it was left half done" : sqlite3_errmsg(st->db));
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			sb_store_tally_rollback(st, 0);
			sb_store_gauges_rollback(st, 0);
			sb_store_text_rollback(st, 0);
			sb_store_msgcache_clear(st);
			sb_store_attcache_clear(st);
		} else {
			sb_store_gauges_committed(st);
			sb_store_text_committed(st);
		}
		st->in_txn = 0;
	}
	st->group_failed = 0;
	st->pending = 0;
	st->groups++;
	/* The group's waiters move to the synced list (the arrays swap: no
	 * allocation); waiters added while they run join the next group. */
	w = st->synced;
	cap = st->capsynced;
	st->synced = st->waiters;
	st->capsynced = st->capwaiters;
	st->nsynced = st->nwaiters;
	st->waiters = w;
	st->capwaiters = cap;
	st->nwaiters = 0;
	if (!ok || sy == NULL) {
		run_synced(st, ok);
		return ok ? 0 : -1;
	}
	db_too = store_wal_step(st, &ckpt);
	st->syncing = 1;
	st->commit_after_sync = 0;
	pthread_mutex_lock(&sy->mu);
	sy->want_db_sync = db_too;
	sy->want_sync = 1;
	sy->busy = 1;
	pthread_cond_signal(&sy->cv);
	if (ckpt) {
		sy->want_checkpoint = 1;
		pthread_cond_signal(&sy->ck_cv);
	}
	pthread_mutex_unlock(&sy->mu);
	return 0;
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_store *st = arg;

	(void)fd;
	(void)what;
	st->commit_armed = 0;
	commit_group(st, 1);
}

void
sb_store_arm_commit(struct sb_store *st)
{
	struct timeval tv;

	if (st->commit_ev == NULL || st->syncing)
		return; /* a sync in flight: its end commits what gathered */
	if (st->pending + st->nwaiters >= st->commit_max) {
		event_active(st->commit_ev, 0, 0);
		return;
	}
	if (st->commit_armed)
		return;
	st->commit_armed = 1;
	/*
	 * No interval: the next loop turn, as a zero timer rather than an
	 * active event, so that what this turn's callbacks start (a request
	 * curl is to write, a send handed to a plugin) goes out before the
	 * COMMIT's page writes instead of after them.
	 */
	tv.tv_sec = (time_t)(st->commit_interval_ms / 1000);
	tv.tv_usec = (suseconds_t)(st->commit_interval_ms % 1000 * 1000);
	event_add(st->commit_ev, &tv);
}

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sb_store *st = arg;

	(void)db;
	(void)name;
	st->wal_pages = pages;
	if (pages >= CHECKPOINT_PAGES)
		st->wal_big = 1; /* store_wal_step takes it from here */
	return SQLITE_OK;
}

static int
syncer_start(struct sb_store *st, struct event_base *base)
{
	struct store_syncer *sy = calloc(1, sizeof(*sy));
	size_t n = strlen(st->path) + 8;

	if (sy == NULL)
		return -1;
	sy->st = st;
	sy->wal_fd = -1;
	sy->db_fd = -1;
	sy->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sy->wal_path = malloc(n);
	if (sy->efd < 0 || sy->wal_path == NULL)
		goto fail;
	snprintf(sy->wal_path, n, "%s-wal", st->path);
	if (sqlite3_open_v2(st->path, &sy->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(sy->ckdb, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
	    NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sy->done_ev = event_new(base, sy->efd, EV_READ | EV_PERSIST, sync_done_cb, st);
	if (sy->done_ev == NULL || event_add(sy->done_ev, NULL) < 0)
		goto fail;
	pthread_mutex_init(&sy->mu, NULL);
	pthread_cond_init(&sy->cv, NULL);
	pthread_cond_init(&sy->ck_cv, NULL);
	if (pthread_create(&sy->thread, NULL, syncer_main, sy) != 0)
		goto fail_threads;
	sy->started = 1;
	if (pthread_create(&sy->ck_thread, NULL, checkpointer_main, sy) != 0)
		goto fail_threads;
	/* Their names in top -H and /proc/PID/task/TID/comm. */
	(void)pthread_setname_np(sy->thread, "sb-sync");
	(void)pthread_setname_np(sy->ck_thread, "sb-checkpoint");
	st->syncer = sy;
	return 0;
fail_threads:
	if (sy->started) {
		pthread_mutex_lock(&sy->mu);
		sy->stop = 1;
		pthread_cond_signal(&sy->cv);
		pthread_mutex_unlock(&sy->mu);
		pthread_join(sy->thread, NULL);
	}
	pthread_mutex_destroy(&sy->mu);
	pthread_cond_destroy(&sy->cv);
	pthread_cond_destroy(&sy->ck_cv);
fail:
	if (sy->done_ev != NULL)
		event_free(sy->done_ev);
	if (sy->ckdb != NULL)
		sqlite3_close(sy->ckdb);
	if (sy->efd >= 0)
		close(sy->efd);
	free(sy->wal_path);
	free(sy);
	return -1;
}

int
sb_store_attach(struct sb_store *st, struct event_base *base, int64_t interval_ms,
    unsigned max)
{
	if (st->commit_ev == NULL) {
		st->commit_ev = evtimer_new(base, commit_cb, st);
		if (st->commit_ev == NULL || syncer_start(st, base) < 0 ||
		    sb_store_text_start(st) < 0)
			return -1;
		/* From now on the syncer owns the disk waits and the checkpoints. */
		sqlite3_exec(st->db, "PRAGMA synchronous = OFF;"
		    " PRAGMA journal_size_limit = 67108864;", NULL, NULL, NULL);
		sqlite3_wal_hook(st->db, wal_hook, st);
	}
	st->commit_interval_ms = interval_ms;
	st->commit_max = max > 0 ? max : 1;
	return 0;
}

uint64_t
sb_store_wal_rewinds(const struct sb_store *st)
{
	return st->wal_rewinds;
}

void
sb_store_set_sync_delay(struct sb_store *st, int64_t ms)
{
	if (st->syncer != NULL)
		st->syncer->delay_ms = ms;
}

void
sb_store_set_checkpoint_delay(struct sb_store *st, int64_t ms)
{
	if (st->syncer != NULL)
		st->syncer->ck_delay_ms = ms;
}

/* Wait (blocking) for the sync in flight, and call its waiters. */
static void
drain_sync(struct sb_store *st)
{
	struct store_syncer *sy = st->syncer;
	int rc;

	if (sy == NULL || !st->syncing)
		return;
	pthread_mutex_lock(&sy->mu);
	while (sy->busy)
		pthread_cond_wait(&sy->cv, &sy->mu);
	rc = sy->result;
	pthread_mutex_unlock(&sy->mu);
	st->syncing = 0;
	run_synced(st, rc == 0);
}

int
sb_store_commit(struct sb_store *st)
{
	int rc;

	/* Blocking, for start-up, shutdown and tests: the loop waits here. */
	drain_sync(st);
	if (st->in_savepoint)
		return -1;
	rc = commit_group(st, 0);
	drain_sync(st);
	return rc;
}

void
sb_store_detach(struct sb_store *st)
{
	struct store_syncer *sy = st->syncer;

	sb_store_text_stop(st);
	if (st->commit_ev != NULL) {
		event_free(st->commit_ev);
		st->commit_ev = NULL;
		st->commit_armed = 0;
	}
	if (sy == NULL)
		return;
	drain_sync(st);
	pthread_mutex_lock(&sy->mu);
	sy->stop = 1;
	pthread_cond_signal(&sy->cv);
	pthread_cond_signal(&sy->ck_cv);
	pthread_mutex_unlock(&sy->mu);
	pthread_join(sy->thread, NULL);
	pthread_join(sy->ck_thread, NULL);
	pthread_mutex_destroy(&sy->mu);
	pthread_cond_destroy(&sy->cv);
	pthread_cond_destroy(&sy->ck_cv);
	event_free(sy->done_ev);
	close(sy->efd);
	if (sy->wal_fd >= 0)
		close(sy->wal_fd);
	if (sy->db_fd >= 0)
		close(sy->db_fd);
	st->syncer = NULL;
	/* Back to SQLite's own syncing for whatever comes after. */
	sqlite3_wal_hook(st->db, NULL, NULL);
	sqlite3_exec(st->db, "PRAGMA synchronous = FULL;", NULL, NULL, NULL);
	/* Closed after the loop's connection: the last one out checkpoints. */
	st->ckdb = sy->ckdb;
	free(sy->wal_path);
	free(sy);
}
