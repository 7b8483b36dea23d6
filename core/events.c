/*
 * events.c - signed event delivery to applications (events.h): the
 * outbox's dispatcher, and the two ways events get into the outbox.
 *
 * Owns: which pending events go out now (the oldest pending event of each
 * (subaccount, contact) when it is due, SB_EVENTS_MAX_IN_FLIGHT at most,
 * never two of one contact at once), the signed POST, the outcome of each
 * try (delivered, retried with backoff, failed), the one timer armed to
 * the earliest due event, and the events counters.
 *
 * Never: blocks the loop (requests go through http_client.c), waits for a
 * commit of its own (its writes join the open group), sends an event
 * before the transaction that stored it is durable (only ids the commit
 * callbacks vouched for are taken), or touches a message.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "http_client.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_events.h"
#include "timefmt.h"

#define EVENTS_IDLE_LOOK_MS 60000   /* with nothing due, look again anyway */

/* One request in flight. */
struct ev_flight {
	struct sb_events *ev;
	int used;
	int64_t id;
	char subaccount[SB_NAME_MAX + 1];
	char *contact;
	int tries;                  /* tries before this one */
	int64_t retry_from_ms;
};

/* A group of the store holding new events, waiting for its commit. */
struct ev_group {
	uint64_t seq;
	int64_t max_id;
};

struct sb_events {
	struct sb_daemon *d;
	struct event *timer;
	int armed;
	int64_t armed_at;
	int64_t committed_id;       /* events up to this id are durable */
	struct ev_group *groups;    /* oldest first */
	size_t ngroups, capgroups;
	struct ev_flight flights[SB_EVENTS_MAX_IN_FLIGHT];
	size_t nflight;
};

/* ---- pure helpers ---- */

int
sb_events_sign(const char *secret, int64_t timestamp, const char *body, size_t body_len,
    char *out, size_t out_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char prefix[32];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%" PRId64 ".", timestamp);
	unsigned char *msg;

	if (out_len < 3 + 64 + 1)
		return -1;
	msg = malloc(plen + body_len + 1);
	if (msg == NULL)
		return -1;
	memcpy(msg, prefix, plen);
	if (body_len > 0)
		memcpy(msg + plen, body, body_len);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, plen + body_len, md,
	    &mdlen) == NULL || mdlen != 32) {
		free(msg);
		return -1;
	}
	free(msg);
	memcpy(out, "v1=", 3);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int64_t
sb_events_backoff_ms(int tries)
{
	int64_t ms = SB_EVENTS_BACKOFF_FIRST_MS;

	for (int i = 1; i < tries && ms < SB_EVENTS_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < SB_EVENTS_BACKOFF_MAX_MS ? ms : SB_EVENTS_BACKOFF_MAX_MS;
}

/* ---- the timer ---- */

static void pass(struct sb_events *ev);

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_events *ev = arg;

	(void)fd;
	(void)what;
	ev->armed = 0;
	pass(ev);
}

/* Wake at `at_ms` (wall clock) unless already due to wake earlier. */
static void
arm(struct sb_events *ev, int64_t at_ms)
{
	int64_t delay = at_ms - sb_now_ms();
	struct timeval tv;

	if (ev->armed && ev->armed_at <= at_ms)
		return;
	if (delay < 0)
		delay = 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(ev->timer, &tv);
	ev->armed = 1;
	ev->armed_at = at_ms;
}

void
sb_events_kick(struct sb_events *ev)
{
	if (ev != NULL && !ev->d->stopping)
		arm(ev, sb_now_ms());
}

/* ---- outcomes ---- */

static void
release(struct ev_flight *fl)
{
	free(fl->contact);
	fl->contact = NULL;
	fl->used = 0;
	fl->ev->nflight--;
}

/* The answer in our words, for last_error: "HTTP 500: <start of its body>". */
static void
describe(long status, const char *body, size_t len, const char *error, char *buf,
    size_t cap)
{
	size_t n;

	if (status == 0) {
		snprintf(buf, cap, "no answer: %s", error != NULL ? error : "unknown error");
		return;
	}
	n = (size_t)snprintf(buf, cap, "HTTP %ld", status);
	if (body == NULL || len == 0 || n + 3 >= cap)
		return;
	buf[n++] = ':';
	buf[n++] = ' ';
	for (size_t i = 0; i < len && i < 200 && n + 1 < cap; i++)
		buf[n++] = isprint((unsigned char)body[i]) ? body[i] : ' ';
	buf[n] = '\0';
}

/* Retried: no answer, a server error, 408 and 429. Anything else below 200
 * or from 300 on is the application refusing it: failed at once. */
static int
retryable(long status)
{
	return status == 0 || status >= 500 || status == 429 || status == 408;
}

static int64_t
retry_after_ms(const struct sb_http_reply *reply)
{
	const char *v = reply != NULL ? sb_http_reply_header(reply, "Retry-After") : NULL;
	char *end;
	long long s;

	if (v == NULL)
		return 0;
	s = strtoll(v, &end, 10);
	if (end == v || s <= 0)
		return 0;
	return s > SB_EVENTS_BACKOFF_MAX_MS / 1000 ? SB_EVENTS_BACKOFF_MAX_MS : s * 1000;
}

static void
finish(struct ev_flight *fl, enum sb_event_state state, int64_t next_ms, const char *error)
{
	struct sb_events *ev = fl->ev;
	int64_t now = sb_now_ms();
	static const char *const counters[SB_EVT__COUNT] = {
		[SB_EVT_PENDING] = "sb_events_retries_total",
		[SB_EVT_DELIVERED] = "sb_events_delivered_total",
		[SB_EVT_FAILED] = "sb_events_failed_total",
	};

	if (sb_store_event_done(ev->d->store, fl->id, state, next_ms, error, now) < 0)
		sb_log(SB_LOG_ERROR, "events: event %" PRId64 ": cannot record its outcome: %s",
		    fl->id, sb_store_errmsg(ev->d->store));
	sb_metrics_count(counters[state], NULL, 0, 1);
	if (state == SB_EVT_FAILED)
		sb_log(SB_LOG_WARN, "events: event %" PRId64 " of subaccount %s failed after %d"
		    " tries: %s", fl->id, fl->subaccount, fl->tries + 1, error);
	else if (state == SB_EVT_PENDING)
		sb_log(SB_LOG_INFO, "events: event %" PRId64 " of subaccount %s: %s; retry %d"
		    " in %" PRId64 " ms", fl->id, fl->subaccount, error, fl->tries + 1,
		    next_ms - now);
	else
		sb_log(SB_LOG_DEBUG, "events: event %" PRId64 " delivered", fl->id);
}

static void
request_done(void *arg, long status, const char *body, size_t body_len,
    const char *error, const struct sb_http_reply *reply)
{
	struct ev_flight *fl = arg;
	struct sb_events *ev = fl->ev;
	const struct sb_config_subaccount *sa;
	int64_t now, delay, retry_for;
	char why[300], gave_up[400];

	/* A stop aborts requests: they stay pending, sent again after a restart. */
	if (ev->d->stopping) {
		release(fl);
		return;
	}
	now = sb_now_ms();
	describe(status, body, body_len, error, why, sizeof(why));
	if (status >= 200 && status < 300) {
		finish(fl, SB_EVT_DELIVERED, 0, NULL);
	} else if (!retryable(status)) {
		finish(fl, SB_EVT_FAILED, 0, why);
	} else {
		sa = sb_config_subaccount(ev->d->cfg, fl->subaccount);
		retry_for = sa != NULL ? sa->events.retry_for_ms : 0;
		delay = sb_events_backoff_ms(fl->tries + 1);
		if (retry_after_ms(reply) > delay)
			delay = retry_after_ms(reply);
		if (now + delay > fl->retry_from_ms + retry_for) {
			snprintf(gave_up, sizeof(gave_up), "%s (retried for %" PRId64 " s)", why,
			    (now - fl->retry_from_ms) / 1000);
			finish(fl, SB_EVT_FAILED, 0, gave_up);
		} else {
			finish(fl, SB_EVT_PENDING, now + delay, why);
		}
	}
	release(fl);
	/* A slot is free and this contact's next event may be due. */
	arm(ev, now);
}

/* ---- taking due events ---- */

static int
contact_busy(struct sb_events *ev, const struct sb_event_row *r)
{
	for (size_t i = 0; i < SB_EVENTS_MAX_IN_FLIGHT; i++) {
		const struct ev_flight *fl = &ev->flights[i];

		if (fl->used && (fl->id == r->id || (strcmp(fl->subaccount, r->subaccount) == 0 &&
		    strcmp(fl->contact, r->contact) == 0)))
			return 1;
	}
	return 0;
}

/* The body sent: {"id": ..., then the stored payload's members}. NULL: broken. */
static char *
body_of(const struct sb_event_row *r)
{
	json_t *stored = json_loads(r->payload, 0, NULL), *o;
	char *text;

	if (!json_is_object(stored)) {
		json_decref(stored);
		return NULL;
	}
	o = json_pack("{s:I}", "id", (json_int_t)r->id);
	json_object_update(o, stored);
	json_decref(stored);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static int
start(struct sb_events *ev, const struct sb_event_row *r)
{
	const struct sb_config_subaccount *sa = sb_config_subaccount(ev->d->cfg, r->subaccount);
	struct ev_flight *fl = NULL;
	char id_h[64], ts_h[64], sig_h[128], sig[80];
	const char *headers[] = { "Content-Type: application/json", id_h, ts_h, sig_h, NULL };
	struct sb_http_request req = { .struct_size = sizeof(req), .method = "POST",
	    .headers = headers, .timeout_ms = SB_EVENTS_TIMEOUT_MS };
	int64_t ts = sb_now_ms() / 1000;
	char *body;

	for (size_t i = 0; i < SB_EVENTS_MAX_IN_FLIGHT && fl == NULL; i++)
		if (!ev->flights[i].used)
			fl = &ev->flights[i];
	if (fl == NULL)
		return -1;
	*fl = (struct ev_flight){ .ev = ev, .used = 1, .id = r->id, .tries = r->tries,
	    .retry_from_ms = r->retry_from_ms, .contact = strdup(r->contact) };
	snprintf(fl->subaccount, sizeof(fl->subaccount), "%s", r->subaccount);
	ev->nflight++;
	if (fl->contact == NULL) {
		release(fl);
		return -1;
	}
	if (sa == NULL || sa->events.url == NULL) {
		finish(fl, SB_EVT_FAILED, 0, "its subaccount has no events configured");
		release(fl);
		return 0;
	}
	if ((body = body_of(r)) == NULL) {
		finish(fl, SB_EVT_FAILED, 0, "its stored payload is not a JSON object");
		release(fl);
		return 0;
	}
	snprintf(id_h, sizeof(id_h), "X-Switchboard-Event-Id: %" PRId64, r->id);
	snprintf(ts_h, sizeof(ts_h), "X-Switchboard-Timestamp: %" PRId64, ts);
	if (sb_events_sign(sa->events.secret, ts, body, strlen(body), sig, sizeof(sig)) < 0) {
		free(body);
		release(fl);
		return -1;
	}
	snprintf(sig_h, sizeof(sig_h), "X-Switchboard-Signature: %s", sig);
	req.url = r->url != NULL ? r->url : sa->events.url; /* a flow's, or the subaccount's */
	req.body = body;
	req.body_len = strlen(body);
	if (sb_http_client_request(ev->d->http, &req, SB_EVENTS_TIMEOUT_MS, request_done,
	    fl) < 0) {
		finish(fl, SB_EVT_FAILED, 0, "the request could not be started (bad URL?)");
		release(fl);
	}
	free(body);
	return 0;
}

/* Due rows, copied: requests start after the scan (no write while it steps). */
struct ev_batch {
	struct sb_events *ev;
	size_t n;
	struct sb_event_row rows[SB_EVENTS_MAX_IN_FLIGHT];
};

static int
take(void *arg, const struct sb_event_row *r)
{
	struct ev_batch *b = arg;
	struct sb_event_row *c;

	if (b->ev->nflight + b->n >= SB_EVENTS_MAX_IN_FLIGHT)
		return 1;
	if (contact_busy(b->ev, r))
		return 0;
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->rows[i].subaccount, r->subaccount) == 0 &&
		    strcmp(b->rows[i].contact, r->contact) == 0)
			return 0;
	c = &b->rows[b->n];
	*c = *r;
	c->subaccount = strdup(r->subaccount);
	c->contact = strdup(r->contact);
	c->payload = strdup(r->payload);
	c->url = r->url != NULL ? strdup(r->url) : NULL;
	if (c->subaccount == NULL || c->contact == NULL || c->payload == NULL ||
	    (r->url != NULL && c->url == NULL)) {
		free((char *)c->subaccount);
		free((char *)c->contact);
		free((char *)c->payload);
		free((char *)c->url);
		return 1;
	}
	b->n++;
	return 0;
}

/* Start what is due and free to go; wake again at the next due head. */
static void
pass(struct sb_events *ev)
{
	struct sb_store *st = ev->d->store;
	int64_t now = sb_now_ms(), next;
	struct ev_batch b = { .ev = ev };

	if (ev->d->stopping)
		return;
	if (ev->nflight < SB_EVENTS_MAX_IN_FLIGHT &&
	    sb_store_events_due(st, now, ev->committed_id,
	    (int)(SB_EVENTS_MAX_IN_FLIGHT + ev->nflight), take, &b) < 0)
		sb_log(SB_LOG_ERROR, "events: cannot read due events: %s", sb_store_errmsg(st));
	for (size_t i = 0; i < b.n; i++) {
		start(ev, &b.rows[i]);
		free((char *)b.rows[i].subaccount);
		free((char *)b.rows[i].contact);
		free((char *)b.rows[i].payload);
		free((char *)b.rows[i].url);
	}
	next = sb_store_events_next(st, now, ev->committed_id);
	arm(ev, next != INT64_MAX && next < now + EVENTS_IDLE_LOOK_MS ? next :
	    now + EVENTS_IDLE_LOOK_MS);
}

/* ---- into the outbox ---- */

static void
committed(void *arg, int ok)
{
	struct sb_events *ev = arg;
	struct ev_group g;

	if (ev->ngroups == 0)
		return;
	g = ev->groups[0];
	memmove(ev->groups, ev->groups + 1, --ev->ngroups * sizeof(*ev->groups));
	if (ok && g.max_id > ev->committed_id)
		ev->committed_id = g.max_id;
	sb_events_kick(ev);
}

/* A new event in the open group: it goes out once that group is durable. */
static void
note_inserted(struct sb_events *ev, int64_t id)
{
	uint64_t seq = sb_store_group_seq(ev->d->store);
	struct ev_group *last = ev->ngroups > 0 ? &ev->groups[ev->ngroups - 1] : NULL;

	if (last != NULL && last->seq == seq) {
		last->max_id = id;
		return;
	}
	if (ev->ngroups == ev->capgroups) {
		size_t cap = ev->capgroups ? ev->capgroups * 2 : 8;
		struct ev_group *g = realloc(ev->groups, cap * sizeof(*g));

		if (g == NULL)
			return; /* found at the next restart */
		ev->groups = g;
		ev->capgroups = cap;
	}
	ev->groups[ev->ngroups++] = (struct ev_group){ seq, id };
	if (sb_store_after_commit(ev->d->store, committed, ev) < 0)
		ev->ngroups--;
}

static int64_t
insert(struct sb_daemon *d, const char *subaccount, const char *contact, const char *kind,
    int64_t message_id, json_t *body, const char *url, int64_t now)
{
	char *text = json_dumps(body, JSON_COMPACT);
	int64_t id;

	json_decref(body);
	if (text == NULL)
		return -1;
	id = sb_store_event_insert(d->store, subaccount, contact, kind, message_id, text, url,
	    now);
	free(text);
	if (id < 0) {
		sb_log(SB_LOG_ERROR, "events: cannot store a %s event of subaccount %s: %s", kind,
		    subaccount, sb_store_errmsg(d->store));
		return -1;
	}
	note_inserted(d->events, id);
	return id;
}

static json_t *
stored_body(const char *kind, const char *subaccount, int64_t now, json_t *message)
{
	char created[40];

	return json_pack("{s:s, s:s, s:s, s:o}", "type", kind, "created",
	    sb_format_iso8601_ms(now, created, sizeof(created)), "subaccount", subaccount,
	    "message", message);
}

int64_t
sb_events_emit(struct sb_daemon *d, const char *subaccount, const char *contact,
    const char *kind, int64_t message_id, json_t *payload, const char *url)
{
	const struct sb_config_subaccount *sa = d->cfg != NULL ?
	    sb_config_subaccount(d->cfg, subaccount) : NULL;
	int64_t now = sb_now_ms();
	json_t *body;

	if (d->events == NULL || sa == NULL || sa->events.url == NULL)
		return 0;
	body = stored_body(kind, subaccount, now, json_incref(payload));
	return body != NULL ? insert(d, subaccount, contact, kind, message_id, body, url, now) :
	    -1;
}

struct status_ctx {
	struct sb_daemon *d;
	int64_t message_id, now;
	enum sb_status status;
	const char *reason;
	json_t *body;               /* out: the event to store, or NULL */
	char *subaccount, *contact;
};

static json_t *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

static void
status_event(void *arg, const struct sb_event_msg *m)
{
	struct status_ctx *c = arg;
	const struct sb_config_subaccount *sa = sb_config_subaccount(c->d->cfg, m->subaccount);
	json_t *msg, *body;

	if (sa == NULL || sa->events.url == NULL || !(sa->events.statuses & (1u << c->status)))
		return;
	msg = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)c->message_id, "to", m->to, "status", sb_status_name(c->status),
	    "reason", str_or_null(c->reason), "channel", str_or_null(m->channel),
	    "channel_type", str_or_null(m->channel_type),
	    "broadcast", m->broadcast_id > 0 ? json_integer(m->broadcast_id) : json_null(),
	    "template", str_or_null(m->template_name));
	body = msg != NULL ? stored_body("message.status", m->subaccount, c->now, msg) : NULL;
	c->subaccount = strdup(m->subaccount);
	c->contact = strdup(m->to);
	if (body == NULL || c->subaccount == NULL || c->contact == NULL) {
		json_decref(body);
		return;
	}
	c->body = body;
}

void
sb_events_status(struct sb_daemon *d, int64_t message_id, enum sb_status status,
    const char *reason, int64_t now_ms)
{
	const struct sb_config *cfg = d->cfg;
	struct status_ctx c = { d, message_id, now_ms, status, reason, NULL, NULL, NULL };
	size_t i;

	if (d->events == NULL || cfg == NULL)
		return;
	for (i = 0; i < cfg->nsubaccounts; i++)
		if (cfg->subaccounts[i].events.url != NULL &&
		    (cfg->subaccounts[i].events.statuses & (1u << status)))
			break;
	if (i == cfg->nsubaccounts)
		return;
	/* Written after the read is done: no write while a statement is stepping. */
	if (sb_store_event_msg(d->store, message_id, status_event, &c) < 0)
		sb_log(SB_LOG_ERROR, "events: message %" PRId64 ": cannot read it: %s",
		    message_id, sb_store_errmsg(d->store));
	if (c.body != NULL)
		insert(d, c.subaccount, c.contact, "message.status", message_id, c.body, NULL,
		    now_ms);
	free(c.subaccount);
	free(c.contact);
}

/* ---- life ---- */

struct sb_events *
sb_events_new(struct sb_daemon *d)
{
	struct sb_events *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	ev->d = d;
	ev->timer = evtimer_new(d->base, timer_cb, ev);
	if (ev->timer == NULL) {
		free(ev);
		return NULL;
	}
	/* Everything stored before this start is committed. */
	ev->committed_id = sb_store_events_max_id(d->store);
	sb_metrics_count("sb_events_delivered_total", NULL, 0, 0);
	sb_metrics_count("sb_events_failed_total", NULL, 0, 0);
	sb_metrics_count("sb_events_retries_total", NULL, 0, 0);
	arm(ev, sb_now_ms());
	return ev;
}

void
sb_events_free(struct sb_events *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < SB_EVENTS_MAX_IN_FLIGHT; i++)
		free(ev->flights[i].contact);
	if (ev->timer != NULL)
		event_free(ev->timer);
	free(ev->groups);
	free(ev);
}

void
sb_events_metrics(struct sb_events *ev)
{
	if (ev == NULL)
		return;
	sb_metrics_gauge("sb_events_pending", NULL, sb_store_events_pending(ev->d->store));
	sb_metrics_gauge("sb_events_in_flight", NULL, (int64_t)ev->nflight);
}
