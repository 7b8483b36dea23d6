/*
 * http_guard.c - connection cap, request deadlines, accept pause and the
 * API-key throttle of the HTTP front (see http_guard.h for the why).
 *
 * Owns: the list of open HTTP connections and their deadline timers (and
 * an index of them by evhttp connection: each request finds its own), the
 * listener's enabled state, and the per-address table of failed key
 * checks. Never reads a request's content beyond spotting where its
 * headers end, and never answers a request: http_api.c does.
 *
 * A connection's life: created (evhttp asks for its bufferevent), adopted
 * on the next loop turn (its evhttp connection is known: close callback
 * and input watch set, header deadline armed), HEADERS (until an empty
 * line arrives), BODY (until evhttp hands the whole request over), HANDLER
 * (no deadline until the answer is sent), then HEADERS again. A deadline
 * is fixed when its phase starts: bytes arriving do not move it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "http_guard.h"
#include "log.h"
#include "metrics.h"

/* Descriptors kept free for the store, plugins' HTTP and the control socket. */
#define FD_RESERVE 32
/* Failed key checks per address: a burst, then this many per second. */
#define AUTH_BURST 10.0
#define AUTH_PER_SEC 1.0
#define AUTH_SLOTS 512          /* a power of two */
#define AUTH_PROBE 8
#define ADDR_LEN 64
/* Adopted connections by their evhttp connection (a power of two): each
 * request finds its own in O(1), however many are open. */
#define CONN_BUCKETS 1024

enum phase { PH_NEW, PH_HEADERS, PH_BODY, PH_HANDLER };

struct gconn {
	struct sb_http_guard *g;
	struct bufferevent *bev;          /* one reference is ours */
	struct evhttp_connection *evcon;  /* NULL until adopted */
	struct evbuffer_cb_entry *watch;
	struct event *deadline;
	enum phase phase;
	int newlines;                     /* consecutive, '\r' ignored */
	void (*gone)(void *);
	void *gone_arg;
	struct gconn *prev, *next;
	struct gconn *hnext;              /* in its by_evcon bucket once adopted */
};

struct auth_slot {
	char addr[ADDR_LEN];              /* "" when free */
	double tokens;
	int64_t last_ms;
};

struct sb_http_guard {
	struct sb_daemon *d;
	struct evhttp *http;
	struct evconnlistener *lev;
	struct event *adopt_ev;
	struct event *resume_ev;
	struct gconn *conns;
	struct gconn *by_evcon[CONN_BUCKETS];
	int64_t nconns;
	int listening;
	int paused_fd;                    /* near the fd limit or EMFILE */
	struct sb_log_limit log_cap, log_fd, log_deadline, log_auth;
	struct auth_slot auth[AUTH_SLOTS];
	struct sb_http_guard *next_guard;
};

/* Listener error callbacks get the evhttp as their argument. */
static struct sb_http_guard *guards;

/* ---- the listener ---- */

static void
listener_update(struct sb_http_guard *g)
{
	int want = !g->paused_fd && g->nconns < g->d->cfg->daemon.http_max_connections;

	if (g->lev == NULL || want == g->listening)
		return;
	if (want)
		evconnlistener_enable(g->lev);
	else
		evconnlistener_disable(g->lev);
	g->listening = want;
}

static void
pause_fd(struct sb_http_guard *g)
{
	static const struct timeval retry = { 1, 0 };

	g->paused_fd = 1;
	listener_update(g);
	/* A close resumes sooner; the timer covers fds freed elsewhere. */
	evtimer_add(g->resume_ev, &retry);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_http_guard *g = arg;

	g->paused_fd = 0;
	listener_update(g);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	const struct evhttp *http = arg;
	struct sb_http_guard *g;

	for (g = guards; g != NULL && g->http != http; g = g->next_guard)
		;
	if (g == NULL)
		return;
	sb_log_limited(&g->log_fd, SB_LOG_WARN, "http: accept: %s; pausing accept for 1s",
	    evutil_socket_error_to_string(e));
	pause_fd(g);
}

static rlim_t
fd_limit(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
}

/* ---- connections ---- */

static struct gconn **
conn_bucket(struct sb_http_guard *g, const struct evhttp_connection *evcon)
{
	/* Allocations are 16-byte aligned: the low bits say nothing. */
	uint64_t h = ((uint64_t)(uintptr_t)evcon >> 4) * 0x9e3779b97f4a7c15ULL;

	return &g->by_evcon[h >> 54 & (CONN_BUCKETS - 1)];
}

static void
conn_drop(struct gconn *c)
{
	struct sb_http_guard *g = c->g;

	if (c->evcon != NULL) {
		struct gconn **pp = conn_bucket(g, c->evcon);

		while (*pp != c)
			pp = &(*pp)->hnext;
		*pp = c->hnext;
	}
	if (c->watch != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	event_free(c->deadline);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bufferevent_decref(c->bev);
	free(c);
	g->nconns--;
	g->paused_fd = 0;
	listener_update(g);
}

static void
arm(struct gconn *c, enum phase ph)
{
	const struct sb_config_daemon *dc = &c->g->d->cfg->daemon;
	int64_t ms = ph == PH_BODY ? dc->http_body_timeout_ms : dc->http_header_timeout_ms;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	c->phase = ph;
	c->newlines = 0;
	evtimer_add(c->deadline, &tv);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gconn *c = arg;
	const char *host = NULL;
	ev_uint16_t port = 0;
	int body = c->phase == PH_BODY;
	void (*readcb)(struct bufferevent *, void *) = NULL;

	bufferevent_getcb(c->bev, &readcb, NULL, NULL, NULL);
	if (readcb == NULL) {   /* evhttp let it go without telling us */
		conn_drop(c);
		return;
	}
	evhttp_connection_get_peer(c->evcon, (char **)&host, &port);
	sb_log_limited(&c->g->log_deadline, SB_LOG_WARN, "http: closing the connection from"
	    " %s:%u: request %s not complete within %s", host != NULL ? host : "?",
	    (unsigned)port, body ? "body" : "headers",
	    body ? "daemon.http_body_timeout" : "daemon.http_header_timeout");
	sb_metrics_count("sb_http_deadline_closes_total", body ? "body" : "headers", 0, 1);
	/* Frees the request being read and calls closed_cb, which drops c. */
	evhttp_connection_free(c->evcon);
}

static void
closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct gconn *c = arg;

	if (c->gone != NULL)
		c->gone(c->gone_arg);
	conn_drop(c);
}

/* Spot the empty line that ends the headers in the bytes just read. */
static void
input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct gconn *c = arg;
	size_t len = evbuffer_get_length(buf), n = info->n_added, done = 0;
	struct evbuffer_ptr pos;
	char chunk[1024];

	if (n == 0 || c->phase != PH_HEADERS || n > len)
		return;
	if (evbuffer_ptr_set(buf, &pos, len - n, EVBUFFER_PTR_SET) < 0)
		return;
	while (done < n) {
		ev_ssize_t got = evbuffer_copyout_from(buf, &pos, chunk,
		    n - done < sizeof(chunk) ? n - done : sizeof(chunk));

		if (got <= 0)
			return;
		for (ev_ssize_t i = 0; i < got; i++) {
			if (chunk[i] == '\n' && ++c->newlines == 2) {
				arm(c, PH_BODY);
				return;
			}
			if (chunk[i] != '\n' && chunk[i] != '\r')
				c->newlines = 0;
		}
		done += (size_t)got;
		evbuffer_ptr_set(buf, &pos, (size_t)got, EVBUFFER_PTR_ADD);
	}
}

static void
adopt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_http_guard *g = arg;
	struct gconn *c, *next;
	rlim_t limit = fd_limit();

	for (c = g->conns; c != NULL; c = next) {
		void (*readcb)(struct bufferevent *, void *) = NULL;
		void *cbarg = NULL;
		evutil_socket_t sfd;

		next = c->next;
		if (c->phase != PH_NEW)
			continue;
		bufferevent_getcb(c->bev, &readcb, NULL, NULL, &cbarg);
		if (readcb == NULL || cbarg == NULL) {
			conn_drop(c);
			continue;
		}
		c->evcon = cbarg;
		c->hnext = *conn_bucket(g, c->evcon);
		*conn_bucket(g, c->evcon) = c;
		evhttp_connection_set_closecb(c->evcon, closed_cb, c);
		c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), input_cb, c);
		arm(c, PH_HEADERS);
		sfd = bufferevent_getfd(c->bev);
		if (sfd >= 0 && (rlim_t)sfd + FD_RESERVE >= limit && !g->paused_fd) {
			sb_log_limited(&g->log_fd, SB_LOG_WARN, "http: near the file descriptor"
			    " limit (%lu); pausing accept", (unsigned long)limit);
			pause_fd(g);
		}
	}
}

/* evhttp asks for a new connection's bufferevent (its fd is set later). */
static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	struct sb_http_guard *g = arg;
	struct gconn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(base, deadline_cb, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		return NULL;
	}
	bufferevent_incref(c->bev);
	c->g = g;
	c->phase = PH_NEW;
	c->next = g->conns;
	if (g->conns != NULL)
		g->conns->prev = c;
	g->conns = c;
	g->nconns++;
	if (g->nconns >= g->d->cfg->daemon.http_max_connections)
		sb_log_limited(&g->log_cap, SB_LOG_WARN, "http: %lld connections open, the limit"
		    " (daemon.http_max_connections); new ones wait", (long long)g->nconns);
	listener_update(g);
	event_active(g->adopt_ev, EV_TIMEOUT, 0);
	return c->bev;
}

static struct gconn *
find_conn(struct sb_http_guard *g, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct gconn *c;

	if (evcon == NULL)
		return NULL;
	for (c = *conn_bucket(g, evcon); c != NULL && c->evcon != evcon; c = c->hnext)
		;
	return c;
}

static void
reply_done(struct evhttp_request *req, void *arg)
{
	arm(arg, PH_HEADERS);
}

void
sb_http_guard_request(struct sb_http_guard *g, struct evhttp_request *req)
{
	struct gconn *c = find_conn(g, req);

	if (c == NULL)
		return;
	c->phase = PH_HANDLER;
	evtimer_del(c->deadline);
	evhttp_request_set_on_complete_cb(req, reply_done, c);
}

void
sb_http_guard_watch(struct sb_http_guard *g, struct evhttp_request *req,
    void (*gone)(void *), void *arg)
{
	struct gconn *c = find_conn(g, req);

	if (c == NULL)
		return;
	c->gone = gone;
	c->gone_arg = arg;
}

int64_t
sb_http_guard_connections(const struct sb_http_guard *g)
{
	return g->nconns;
}

/* ---- API-key throttle ---- */

static void
peer_addr(struct evhttp_request *req, char out[ADDR_LEN])
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(out, ADDR_LEN, "%s", host != NULL ? host : "?");
}

static unsigned
addr_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
refill(struct auth_slot *s, int64_t now)
{
	s->tokens += (double)(now - s->last_ms) / 1000.0 * AUTH_PER_SEC;
	if (s->tokens > AUTH_BURST)
		s->tokens = AUTH_BURST;
	s->last_ms = now;
}

/* The address's slot; with create, a free or the stalest one is taken. */
static struct auth_slot *
auth_slot(struct sb_http_guard *g, const char *addr, int create, int64_t now)
{
	unsigned h = addr_hash(addr);
	struct auth_slot *victim = NULL;

	for (unsigned i = 0; i < AUTH_PROBE; i++) {
		struct auth_slot *s = &g->auth[(h + i) & (AUTH_SLOTS - 1)];

		if (s->addr[0] != '\0' && strcmp(s->addr, addr) == 0) {
			refill(s, now);
			return s;
		}
		if (victim == NULL || s->addr[0] == '\0' ||
		    (victim->addr[0] != '\0' && s->last_ms < victim->last_ms))
			victim = s;
	}
	if (!create)
		return NULL;
	snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
	victim->tokens = AUTH_BURST;
	victim->last_ms = now;
	return victim;
}

int
sb_http_guard_auth_allowed(struct sb_http_guard *g, struct evhttp_request *req,
    int *retry_after_s)
{
	char addr[ADDR_LEN];
	int64_t now = sb_mono_ms();
	struct auth_slot *s;

	peer_addr(req, addr);
	s = auth_slot(g, addr, 0, now);
	if (s == NULL || s->tokens >= 1.0)
		return 0;
	*retry_after_s = (int)ceil((1.0 - s->tokens) / AUTH_PER_SEC);
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	sb_metrics_count("sb_http_auth_throttled_total", NULL, 0, 1);
	return -1;
}

void
sb_http_guard_auth_failed(struct sb_http_guard *g, struct evhttp_request *req,
    const char *why)
{
	char addr[ADDR_LEN];
	struct auth_slot *s;

	peer_addr(req, addr);
	s = auth_slot(g, addr, 1, sb_mono_ms());
	s->tokens = s->tokens >= 1.0 ? s->tokens - 1.0 : 0.0;
	sb_metrics_count("sb_http_auth_failures_total", NULL, 0, 1);
	sb_log_limited(&g->log_auth, SB_LOG_WARN, "http: API key refused from %s: %s%s", addr,
	    why, s->tokens < 1.0 ? "; throttling this address" : "");
}

/* ---- life ---- */

struct sb_http_guard *
sb_http_guard_new(struct sb_daemon *d, struct evhttp *http)
{
	struct sb_http_guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->d = d;
	g->http = http;
	g->adopt_ev = event_new(d->base, -1, 0, adopt_cb, g);
	g->resume_ev = evtimer_new(d->base, resume_cb, g);
	if (g->adopt_ev == NULL || g->resume_ev == NULL) {
		sb_http_guard_free(g);
		return NULL;
	}
	evhttp_set_bevcb(http, new_bev, g);
	g->next_guard = guards;
	guards = g;
	return g;
}

void
sb_http_guard_listen(struct sb_http_guard *g, struct evhttp_bound_socket *sock)
{
	g->lev = evhttp_bound_socket_get_listener(sock);
	g->listening = 1;
	evconnlistener_set_error_cb(g->lev, accept_error_cb);
	listener_update(g);
}

void
sb_http_guard_free(struct sb_http_guard *g)
{
	struct sb_http_guard **pp;

	if (g == NULL)
		return;
	for (pp = &guards; *pp != NULL; pp = &(*pp)->next_guard)
		if (*pp == g) {
			*pp = g->next_guard;
			break;
		}
	/* evhttp_free closes the connections next; they must not call back. */
	while (g->conns != NULL) {
		struct gconn *c = g->conns;

		if (c->evcon != NULL)
			evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		if (c->gone != NULL)
			c->gone(c->gone_arg);
		g->conns = c->next;
		if (c->watch != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
		event_free(c->deadline);
		bufferevent_decref(c->bev);
		free(c);
	}
	if (g->adopt_ev != NULL)
		event_free(g->adopt_ev);
	if (g->resume_ev != NULL)
		event_free(g->resume_ev);
	free(g);
}
