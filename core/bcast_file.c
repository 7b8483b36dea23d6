/*
 * bcast_file.c - a broadcast from a recipients file (see bcast_file.h).
 *
 * Owns the two passes over a file: the check (synchronous, nothing
 * written: one bad byte anywhere refuses the whole file) and the queueing
 * (a job that reads SB_BCAST_FILE_GROUP rows per loop turn, submits each
 * good row under that group's savepoint, and answers once every accepted
 * row is committed). Memory is the file's bytes, drained as they are
 * queued, one row at a time, and 16 bytes per accepted number (the
 * duplicate check keeps numbers as integers, not strings). It must never
 * hold the loop for more than one group, nor queue anything from a file
 * that failed the check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bcast_file.h"
#include "clock.h"
#include "config.h"
#include "csvfeed.h"
#include "daemon.h"
#include "dispatch.h"
#include "log.h"
#include "phone.h"
#include "store.h"
#include "store_bcast.h"
#include "tpl_render.h"

#define SLICE 4096               /* bytes handed to the reader at a time */
#define MAX_OUTSTANDING 5000     /* rows stored but not yet committed; more waits */

static const char *const key_columns[] = { "phone", "to", NULL };

/* E.164 numbers as integers (at most 15 digits), with the line that took each. */
struct numset {
	uint64_t *keys;              /* 0: free */
	uint32_t *lines;
	size_t cap, n;
};

struct job {
	struct sb_daemon *d;
	struct evbuffer *data;
	struct sb_csvfeed *feed;
	struct event *ev;
	sb_bcast_file_done_fn done;
	void *arg;

	char *subaccount, *chain, *from, *text, *template_name, *template_lang, *file_name,
	    *user, *country;
	int64_t send_at_ms;

	int64_t bcast_id;
	int64_t rows, accepted, rejected_total, group_rows;
	size_t outstanding;
	int input_done, waiting;
	char error[512];             /* queueing stopped early (store failure): why */
	json_t *rejected;
	struct numset seen;
};

/* What a row's acknowledgement needs to report a failed commit. */
struct row_ack {
	struct job *job;
	int64_t line;
	char phone[32];
};

/* ---- the set of numbers ---- */

static uint64_t
number_key(const char *e164)
{
	uint64_t k = 0;

	for (const char *p = e164 + 1; *p != '\0'; p++)
		k = k * 10 + (uint64_t)(*p - '0');
	return k;
}

static size_t
slot(const struct numset *s, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (s->cap - 1);

	while (s->keys[i] != 0 && s->keys[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* The line that took number k, or 0. */
static uint32_t
numset_get(const struct numset *s, uint64_t k)
{
	return s->cap == 0 ? 0 : s->lines[slot(s, k)];
}

static int
numset_put(struct numset *s, uint64_t k, uint32_t line)
{
	if ((s->n + 1) * 4 > s->cap * 3) {
		struct numset g = { .cap = s->cap ? s->cap * 2 : 1024 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.lines = calloc(g.cap, sizeof(*g.lines));
		if (g.keys == NULL || g.lines == NULL) {
			free(g.keys);
			free(g.lines);
			return -1;
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (s->keys[i] != 0) {
				size_t j = slot(&g, s->keys[i]);

				g.keys[j] = s->keys[i];
				g.lines[j] = s->lines[i];
			}
		}
		g.n = s->n;
		free(s->keys);
		free(s->lines);
		*s = g;
	}
	size_t i = slot(s, k);

	if (s->keys[i] == 0)
		s->n++;
	s->keys[i] = k;
	s->lines[i] = line;
	return 0;
}

/* ---- the check ---- */

struct check {
	const char *text;
	int64_t rows;
	const struct sb_csvfeed *feed;
	struct sb_error err;
};

static int
var_has_column(const char *name, void *arg)
{
	struct check *c = arg;

	if (sb_csvfeed_column(c->feed, name) >= 0 &&
	    sb_csvfeed_column(c->feed, name) != sb_csvfeed_key_column(c->feed))
		return 0;
	sb_error_set(&c->err, SB_E_BAD_ARGUMENT, "the text uses {{%s}}, but the header row"
	    " (line 1) names no '%s' column", name, name);
	return 1;
}

static int
check_row(void *arg, const struct sb_csv_row *row)
{
	struct check *c = arg;

	if (row->index == 0)
		return c->text != NULL ? sb_tpl_foreach_var(c->text, var_has_column, c) : 0;
	c->rows++;
	return 0;
}

/* Read all of `data` without draining it. 0, or -1 with err. */
static int
check_file(struct evbuffer *data, const char *text, struct sb_error *err)
{
	const struct sb_csvfeed_opts opts = { .key_columns = key_columns };
	struct sb_csvfeed *f = sb_csvfeed_new(&opts);
	struct check c = { .text = text };
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v;
	int rc = 0;

	if (f == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	c.feed = f;
	evbuffer_ptr_set(data, &pos, 0, EVBUFFER_PTR_SET);
	while (rc == 0 && evbuffer_peek(data, -1, &pos, &v, 1) > 0 && v.iov_len > 0) {
		rc = sb_csvfeed_push(f, v.iov_base, v.iov_len, check_row, &c, err);
		if (evbuffer_ptr_set(data, &pos, v.iov_len, EVBUFFER_PTR_ADD) < 0)
			break;
	}
	if (rc == 0)
		rc = sb_csvfeed_finish(f, check_row, &c, err);
	sb_csvfeed_free(f);
	if (rc > 0) {
		*err = c.err;
		return -1;
	}
	if (rc < 0)
		return -1;
	if (c.rows == 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the file has a header row but no"
		    " recipients");
	return 0;
}

/* ---- the job ---- */

/* At most `max` bytes of s, not cutting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static void
reject(struct job *j, int64_t line, const char *phone, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
reject(struct job *j, int64_t line, const char *phone, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	j->rejected_total++;
	if (json_array_size(j->rejected) >= SB_BCAST_FILE_REJECTED_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(j->rejected, json_pack("{s:I, s:s%, s:s, s:s}", "line",
	    (json_int_t)line, "phone", phone, utf8_cut(phone, 64), "error", code, "message",
	    msg));
}

static void
job_free(struct job *j)
{
	if (j->ev != NULL)
		event_free(j->ev);
	evbuffer_free(j->data);
	sb_csvfeed_free(j->feed);
	json_decref(j->rejected);
	free(j->seen.keys);
	free(j->seen.lines);
	free(j->subaccount);
	free(j->chain);
	free(j->from);
	free(j->text);
	free(j->template_name);
	free(j->template_lang);
	free(j->file_name);
	free(j->user);
	free(j->country);
	free(j);
}

static void
maybe_finish(struct job *j)
{
	json_t *res;

	if (!j->input_done || j->outstanding > 0)
		return;
	res = json_pack("{s:o, s:s, s:I, s:I, s:I, s:O}", "id",
	    j->bcast_id > 0 ? json_integer(j->bcast_id) : json_null(), "file_name", j->file_name,
	    "rows", (json_int_t)j->rows, "accepted", (json_int_t)j->accepted, "rejected_total",
	    (json_int_t)j->rejected_total, "rejected", j->rejected);
	if (res != NULL && j->error[0] != '\0')
		json_object_set_new(res, "error", json_pack("{s:s, s:s}", "code", "internal",
		    "message", j->error));
	sb_log(SB_LOG_INFO, "broadcast %lld from file '%s' by %s: %lld rows, %lld accepted,"
	    " %lld rejected", (long long)j->bcast_id, j->file_name, j->user ? j->user : "-",
	    (long long)j->rows, (long long)j->accepted, (long long)j->rejected_total);
	j->done(j->arg, res);
	job_free(j);
}

static void
schedule(struct job *j)
{
	static const struct timeval now = { 0, 0 };

	/* A timer, not event_active: the loop polls sockets before it runs. */
	evtimer_add(j->ev, &now);
}

static void
row_stored(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	struct row_ack *a = arg;
	struct job *j = a->job;

	(void)id;
	(void)duplicate;
	(void)status;
	if (err != NULL)
		reject(j, a->line, a->phone, "not_stored", "%s", err->message);
	else
		j->accepted++;
	free(a);
	j->outstanding--;
	if (j->waiting && j->outstanding <= MAX_OUTSTANDING / 2) {
		j->waiting = 0;
		schedule(j);
	}
	maybe_finish(j);
}

/* The broadcast, made in the open group with the first row that goes out. */
static int
make_broadcast(struct job *j, struct sb_error *err)
{
	struct sb_broadcast_row b = {
		.subaccount = j->subaccount, .source = "file", .user = j->user,
		.file_name = j->file_name, .chain = j->chain, .text = j->text,
		.template_name = j->template_name, .created_ms = sb_now_ms(),
	};

	if (j->bcast_id > 0)
		return 0;
	j->bcast_id = sb_store_broadcast_insert(j->d->store, &b, err);
	if (j->bcast_id > 0)
		return 0;
	sb_log(SB_LOG_ERROR, "broadcast file '%s': %s", j->file_name, err->message);
	j->bcast_id = 0;
	return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be stored");
}

/* The row's variables: every other column with a value. */
static json_t *
row_vars(struct job *j, const struct sb_csv_row *row, int key)
{
	const char *const *names;
	size_t n = sb_csvfeed_columns(j->feed, &names);
	json_t *vars = json_object();

	for (size_t i = 0; vars != NULL && i < n && i < row->nfields; i++)
		if ((int)i != key && row->lens[i] > 0)
			json_object_set_new(vars, names[i], json_stringn(row->fields[i],
			    row->lens[i]));
	return vars;
}

static int
queue_row(void *arg, const struct sb_csv_row *row)
{
	struct job *j = arg;
	const char *const *names;
	size_t ncols = sb_csvfeed_columns(j->feed, &names);
	int key = sb_csvfeed_key_column(j->feed);
	const char *phone = (size_t)key < row->nfields ? row->fields[key] : "", *why;
	struct sb_error err = { 0 };
	struct sb_submit s = { 0 };
	struct row_ack *a;
	char to[32], *text = NULL, *vars_text = NULL;
	uint32_t first;
	json_t *vars;
	int rc;

	if (row->index == 0)
		return 0;
	j->rows++;
	j->group_rows++;
	if (row->nfields > ncols) {
		reject(j, row->line, phone, "too_many_fields", "the row has %zu fields; the header"
		    " names %zu columns", row->nfields, ncols);
		return 0;
	}
	if (*phone == '\0') {
		reject(j, row->line, phone, "missing_phone", "no phone number in column '%s'",
		    names[key]);
		return 0;
	}
	if (sb_phone_normalize(phone, j->country, to, sizeof(to), &why) < 0) {
		reject(j, row->line, phone, "invalid_phone", "invalid phone number: %s", why);
		return 0;
	}
	if ((first = numset_get(&j->seen, number_key(to))) != 0) {
		reject(j, row->line, phone, "duplicate", "the same number (%s) as line %lu, which"
		    " gets the message", to, (unsigned long)first);
		return 0;
	}
	vars = row_vars(j, row, key);
	if (vars == NULL) {
		reject(j, row->line, phone, "internal", "out of memory");
		return 0;
	}
	if (j->text != NULL)
		text = sb_tpl_render(j->text, vars, "the text", &err);
	else
		vars_text = json_dumps(vars, JSON_COMPACT);
	json_decref(vars);
	if (j->text != NULL && text == NULL) {
		reject(j, row->line, phone, "missing_variable", "%s", err.message);
		return 0;
	}
	a = malloc(sizeof(*a));
	if (a == NULL || (j->text == NULL && vars_text == NULL) || make_broadcast(j, &err) < 0) {
		reject(j, row->line, phone, "internal", "%s", a == NULL || err.message[0] == '\0' ?
		    "out of memory" : err.message);
		free(a);
		free(text);
		free(vars_text);
		return 0;
	}
	*a = (struct row_ack){ .job = j, .line = row->line };
	snprintf(a->phone, sizeof(a->phone), "%.*s", (int)utf8_cut(phone, sizeof(a->phone) - 1),
	    phone);
	s = (struct sb_submit){
		.subaccount = j->subaccount, .chain = j->chain, .to = to, .from = j->from,
		.text = text, .template_name = j->template_name, .template_lang = j->template_lang,
		.template_vars = vars_text, .send_at_ms = j->send_at_ms, .broadcast_id = j->bcast_id,
	};
	rc = sb_dispatch_submit(j->d->dispatch, &s, row_stored, a, &err);
	free(text);
	free(vars_text);
	if (rc < 0) {
		reject(j, row->line, phone, sb_err_word(err.code), "%s", err.message);
		free(a);
		return 0;
	}
	j->outstanding++;
	if (numset_put(&j->seen, number_key(to), (uint32_t)row->line) < 0)
		sb_log(SB_LOG_WARN, "broadcast file '%s': out of memory for the duplicate check",
		    j->file_name);
	return 0;
}

/* One group: up to SB_BCAST_FILE_GROUP rows under one savepoint. */
static void
run_group(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct sb_error err = { 0 };
	int rc = 0;

	(void)fd;
	(void)what;
	if (j->outstanding > MAX_OUTSTANDING) {
		j->waiting = 1; /* row_stored schedules us again */
		return;
	}
	if (sb_dispatch_batch_begin(j->d->dispatch, &err) < 0) {
		sb_log(SB_LOG_ERROR, "broadcast file '%s': %s", j->file_name, err.message);
		snprintf(j->error, sizeof(j->error), "%.500s", err.message);
		j->input_done = 1;
		maybe_finish(j);
		return;
	}
	j->group_rows = 0;
	while (rc == 0 && j->group_rows < SB_BCAST_FILE_GROUP &&
	    evbuffer_get_length(j->data) > 0) {
		struct evbuffer_iovec v;
		size_t n;

		if (evbuffer_peek(j->data, SLICE, NULL, &v, 1) < 1)
			break;
		n = v.iov_len < SLICE ? v.iov_len : SLICE;
		rc = sb_csvfeed_push(j->feed, v.iov_base, n, queue_row, j, &err);
		evbuffer_drain(j->data, n);
	}
	if (rc == 0 && evbuffer_get_length(j->data) == 0)
		rc = sb_csvfeed_finish(j->feed, queue_row, j, &err);
	sb_dispatch_batch_end(j->d->dispatch, 1);
	if (rc != 0 || evbuffer_get_length(j->data) == 0) {
		/* The check read the same bytes: an error here is a bug or memory. */
		if (rc != 0) {
			sb_log(SB_LOG_ERROR, "broadcast file '%s': %s", j->file_name, err.message);
			snprintf(j->error, sizeof(j->error), "%.500s", err.message);
		}
		j->input_done = 1;
		maybe_finish(j);
		return;
	}
	schedule(j);
}

static char *
dup_or_null(const char *s, int *oom)
{
	char *c = s != NULL ? strdup(s) : NULL;

	if (s != NULL && c == NULL)
		*oom = 1;
	return c;
}

/* The request's fields that apply to every row. 0, or -1 with err. */
static int
check_request(struct sb_daemon *d, const struct sb_bcast_file_req *r,
    const struct sb_config_subaccount **subp, const char **chainp, struct sb_error *err)
{
	const struct sb_config *cfg = d->cfg;
	const struct sb_config_subaccount *sub;

	if (r->file_name == NULL || *r->file_name == '\0')
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "missing the file name");
	if (strlen(r->file_name) > 255)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the file name is longer than 255"
		    " bytes");
	if ((r->text == NULL || *r->text == '\0') == (r->template_name == NULL))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "give either 'text' or 'template'");
	if (r->template_lang != NULL && r->template_name == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'lang' needs 'template'");
	if (r->subaccount == NULL) {
		if (cfg->nsubaccounts == 0)
			return sb_error_set(err, SB_E_CONFIG_INVALID, "no subaccount is configured");
		sub = &cfg->subaccounts[0];
	} else if ((sub = sb_config_subaccount(cfg, r->subaccount)) == NULL) {
		return sb_error_set(err, SB_E_NOT_FOUND, "no subaccount '%s'", r->subaccount);
	}
	*chainp = sub->default_chain;
	if (r->chain != NULL) {
		size_t i;

		for (i = 0; i < sub->nchains && strcmp(sub->chains[i], r->chain) != 0; i++)
			;
		if (i == sub->nchains)
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "chain '%s' is not allowed for"
			    " subaccount '%s'", r->chain, sub->name);
		*chainp = sub->chains[i];
	}
	*subp = sub;
	return 0;
}

int
sb_bcast_file_start(struct sb_daemon *d, const struct sb_bcast_file_req *r,
    struct evbuffer *data, sb_bcast_file_done_fn done, void *arg, struct sb_error *err)
{
	const struct sb_csvfeed_opts opts = { .key_columns = key_columns };
	const struct sb_config_subaccount *sub = NULL;
	const char *chain = NULL;
	struct job *j;
	int oom = 0;

	if ((int64_t)evbuffer_get_length(data) > d->cfg->daemon.broadcast_file_max) {
		evbuffer_free(data);
		return sb_error_set(err, SB_E_TOO_LARGE, "the file is larger than %lld bytes"
		    " (daemon.broadcast_file_max)", (long long)d->cfg->daemon.broadcast_file_max);
	}
	if (check_request(d, r, &sub, &chain, err) < 0 ||
	    check_file(data, r->text, err) < 0) {
		evbuffer_free(data);
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		evbuffer_free(data);
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	}
	j->d = d;
	j->data = data;
	j->done = done;
	j->arg = arg;
	j->send_at_ms = r->send_at_ms;
	j->subaccount = dup_or_null(sub->name, &oom);
	j->chain = dup_or_null(chain, &oom);
	j->from = dup_or_null(r->from, &oom);
	j->text = dup_or_null(r->text, &oom);
	j->template_name = dup_or_null(r->template_name, &oom);
	j->template_lang = dup_or_null(r->template_lang, &oom);
	j->file_name = dup_or_null(r->file_name, &oom);
	j->user = dup_or_null(r->user, &oom);
	j->country = dup_or_null(sub->default_country, &oom);
	j->rejected = json_array();
	j->feed = sb_csvfeed_new(&opts);
	j->ev = evtimer_new(d->base, run_group, j);
	if (oom || j->rejected == NULL || j->feed == NULL || j->ev == NULL) {
		job_free(j);
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	}
	schedule(j);
	return 0;
}
