/*
 * console_pw_worker.c - the thread that checks console passwords for the
 * loop (console_pw.h): one at a time, in order, at most PW_QUEUE waiting;
 * the loop hears of finished checks through an eventfd and calls their
 * callbacks there.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "console_pw.h"
#include "xalloc.h"

#define PW_QUEUE 8            /* checks waiting, running or done and not yet reported */

struct pw_job {
	char *hash;                /* NULL: no such user */
	char *password;
	int ok;
	void (*done)(void *arg, int ok);
	void *arg;
};

struct sb_console_pw {
	struct event_base *base;
	pthread_t thread;
	int started;
	int efd;                   /* the worker's "some are done", read on the loop */
	struct event *done_ev;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: jobs [head, head + nwait) wait, then ndone finished ones follow. */
	struct pw_job jobs[PW_QUEUE];
	size_t head, nwait, nrun, ndone;
	int stop;
};

static void
job_clear(struct pw_job *j)
{
	if (j->password != NULL) {
		OPENSSL_cleanse(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->hash);
	*j = (struct pw_job){ 0 };
}

/* The work for a user that does not exist: as long as a real check. */
static void
dummy_check(const char *password)
{
	char hash[SB_CONSOLE_PW_HASH_MAX];

	snprintf(hash, sizeof(hash), "scrypt:%d:%d:%d:%032d:%064d", SB_CONSOLE_PW_N,
	    SB_CONSOLE_PW_R, SB_CONSOLE_PW_P, 0, 0);
	(void)sb_console_pw_verify(hash, password);
}

static void *
pw_worker(void *arg)
{
	struct sb_console_pw *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct pw_job *j;
		uint64_t one = 1;
		int ok;

		while (w->nwait == 0 && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		/* Jobs run in order: the done ones, then this one, then the waiting. */
		j = &w->jobs[(w->head + w->ndone) % PW_QUEUE];
		w->nwait--;
		w->nrun++;
		pthread_mutex_unlock(&w->mu);
		if (j->hash != NULL) {
			ok = sb_console_pw_verify(j->hash, j->password);
		} else {
			dummy_check(j->password);
			ok = 0;
		}
		pthread_mutex_lock(&w->mu);
		j->ok = ok;
		w->nrun--;
		w->ndone++;
		pthread_mutex_unlock(&w->mu);
		if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			abort(); /* an eventfd write fails only on a programming error */
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Finished jobs sit at the head in order (one worker runs them in order). */
static void
pw_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_console_pw *w = arg;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	for (;;) {
		struct pw_job j;

		pthread_mutex_lock(&w->mu);
		if (w->ndone == 0) {
			pthread_mutex_unlock(&w->mu);
			return;
		}
		j = w->jobs[w->head];
		w->jobs[w->head] = (struct pw_job){ 0 };
		w->head = (w->head + 1) % PW_QUEUE;
		w->ndone--;
		pthread_mutex_unlock(&w->mu);
		j.done(j.arg, j.ok);
		job_clear(&j);
	}
}

struct sb_console_pw *
sb_console_pw_new(struct event_base *base)
{
	struct sb_console_pw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->base = base;
	w->efd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

/* The thread and its eventfd, made on the first login. */
static int
pw_start(struct sb_console_pw *w)
{
	if (w->started)
		return 0;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0)
		return -1;
	w->done_ev = event_new(w->base, w->efd, EV_READ | EV_PERSIST, pw_done_cb, w);
	if (w->done_ev == NULL || event_add(w->done_ev, NULL) < 0 ||
	    pthread_create(&w->thread, NULL, pw_worker, w) != 0) {
		if (w->done_ev != NULL)
			event_free(w->done_ev);
		w->done_ev = NULL;
		close(w->efd);
		w->efd = -1;
		return -1;
	}
	w->started = 1;
	return 0;
}

void
sb_console_pw_free(struct sb_console_pw *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		event_free(w->done_ev);
		close(w->efd);
	}
	/* Checks not reported: their callers are told no. */
	for (size_t i = 0; i < PW_QUEUE; i++)
		if (w->jobs[i].done != NULL) {
			w->jobs[i].done(w->jobs[i].arg, 0);
			job_clear(&w->jobs[i]);
		}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

int
sb_console_pw_check(struct sb_console_pw *w, const char *hash, const char *password,
    void (*done)(void *arg, int ok), void *arg)
{
	struct pw_job *j;
	size_t used;

	if (pw_start(w) < 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	used = w->nwait + w->nrun + w->ndone;
	if (used == PW_QUEUE) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	j = &w->jobs[(w->head + used) % PW_QUEUE];
	*j = (struct pw_job){ .hash = hash != NULL ? sb_xstrdup(hash) : NULL,
		.password = sb_xstrdup(password), .done = done, .arg = arg };
	w->nwait++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}
