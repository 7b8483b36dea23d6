/*
 * http_api.c - the HTTP face of the daemon (libevent evhttp).
 *
 * Owns the listener, the route table, API key checks (the keys' hashes:
 * http_keys.c), request body limits, JSON error answers, /healthz and
 * /metrics; the routes live beside it (http_messages.c: /v1/messages;
 * http_hooks.c: provider callbacks; http_bcast.c, http_search.c,
 * http_stats.c, http_tpl.c, http_inbox.c, http_events.c).
 * Answers that must wait for a group commit keep their request and reply
 * later; if the client goes away first, the pending answer is dropped
 * safely.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "clock.h"
#include "config.h"
#include "console.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "http_api.h"
#include "http_api_internal.h"
#include "http_guard.h"
#include "http_keys.h"
#include "idempotency.h"
#include "jsonerr.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "phone.h"
#include "status.h"
#include "store.h"
#include "store_preview.h"
#include "timefmt.h"


struct sb_http_api {
	struct sb_daemon *d;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct sb_http_guard *guard;
	struct sb_console *console;
	struct sb_http_keys *keys;       /* the presented keys' hashes (http_keys.c) */
};


/* `body` (taken) as the answer's JSON. */
static void
json_answer(struct evhttp_request *req, json_t *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	char *text = json_dumps(body, JSON_COMPACT);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	if (text != NULL) {
		evbuffer_add(out, text, strlen(text));
		evbuffer_add(out, "\n", 1);
	}
	free(text);
	json_decref(body);
}

/*
 * The answer's Date header, formatted once a second: evhttp adds one
 * itself only when the answer has none, and made it anew for every answer
 * (gmtime and a printf, ~3 500 instructions: 1.4 % of a message's work
 * under scripts/bench, which answers twice per message). Wall time, not
 * the daemon's clock: the header is for the client's clock, and the test
 * clock (-T) is no time of day. The loop is the only thread that answers.
 */
static void
http_date_header(struct evhttp_request *req)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static char text[32];
	static time_t made = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != made) {
		if (gmtime_r(&now, &tm) == NULL)
			return; /* evhttp makes its own */
		snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		made = now;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Date", text);
}

static void
send_json(struct evhttp_request *req, int code, json_t *body)
{
	json_answer(req, body);
	http_date_header(req);
	evhttp_send_reply(req, code, NULL, NULL);
}

/*
 * evhttp_send_reply, and the answer written at once. evhttp writes an
 * answer at the loop's next turn: an epoll_ctl that enables the
 * connection's write interest, a turn, then another that disables it
 * (two of the six per message under scripts/bench). An answer given from
 * a commit's callback, where nothing touches the request after it, is
 * written here instead, and evhttp is told its write is done (it frees
 * the request and reads the connection's next one) in the same turn. A
 * partial write, or an error, is left to evhttp as before.
 */
void
sb_http_send_reply_now(struct evhttp_request *req, int code)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	struct evbuffer *out;

	http_date_header(req);
	evhttp_send_reply(req, code, NULL, NULL);
	if (bev == NULL)
		return;
	out = bufferevent_get_output(bev);
	if (evbuffer_get_length(out) == 0 || evbuffer_write(out, bufferevent_getfd(bev)) < 0)
		return;
	if (evbuffer_get_length(out) == 0)
		bufferevent_trigger(bev, EV_WRITE, 0);
}

/* send_json's answer, written at once (sb_http_send_reply_now). */
void
sb_http_send_json_now(struct evhttp_request *req, int code, json_t *body)
{
	json_answer(req, body);
	sb_http_send_reply_now(req, code);
}

void
sb_http_send_json_text_now(struct evhttp_request *req, int code)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	sb_http_send_reply_now(req, code);
}

static void
send_error(struct evhttp_request *req, const struct sb_error *err)
{
	send_json(req, sb_err_http_status(err->code), json_pack("{s:{s:s, s:s}}", "error",
	    "code", sb_err_word(err->code), "message", err->message));
}

static int
fail(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	struct sb_error err = { .code = code };

	snprintf(err.message, sizeof(err.message), "%s", msg);
	send_error(req, &err);
	return -1;
}

/* ---- API keys ---- */

/* An address that keeps failing waits, whatever key it brings now:
 * otherwise the answer would still tell a good key from a bad one. */
static int
auth_throttled(struct sb_http_api *api, struct evhttp_request *req)
{
	int wait_s = 0;
	char msg[128], secs[16];

	if (sb_http_guard_auth_allowed(api->guard, req, &wait_s) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "too many failed logins or API key checks from this"
	    " address; retry in %ds", wait_s);
	snprintf(secs, sizeof(secs), "%d", wait_s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", secs);
	fail(req, SB_E_RATE_LIMITED, msg);
	return 1;
}

/* The subaccount a request's key belongs to, or NULL (answered 401). */
static const struct sb_config_subaccount *
authenticate(struct sb_http_api *api, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *key = evhttp_find_header(h, "X-API-Key");
	const struct sb_config *cfg = api->d->cfg;
	const struct sb_config_subaccount *session_sub;
	char hex[65];
	int rc, remembered;

	/* No key: a console session's request, if it has the cookie. */
	if (key == NULL && auth == NULL &&
	    (rc = sb_console_authenticate(api, req, &session_sub, NULL)) != 0)
		return rc > 0 ? session_sub : NULL;
	if (auth_throttled(api, req))
		return NULL;
	if (key == NULL && auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		key = auth + 7;
	if (key == NULL || *key == '\0') {
		sb_http_guard_auth_failed(api->guard, req, "no key");
		fail(req, SB_E_UNAUTHORIZED, "missing API key (Authorization: Bearer KEY)");
		return NULL;
	}
	remembered = sb_http_keys_hash(api->keys, key, hex);
	for (size_t i = 0; i < cfg->nsubaccounts; i++) {
		const struct sb_config_subaccount *sub = &cfg->subaccounts[i];

		for (size_t k = 0; k < sub->napi_keys; k++)
			if (CRYPTO_memcmp(sub->api_keys[k] + 7, hex, 64) == 0) {
				if (remembered == 0)
					sb_http_keys_remember(api->keys, key, hex);
				return sub;
			}
	}
	sb_http_guard_auth_failed(api->guard, req, "unknown key");
	fail(req, SB_E_UNAUTHORIZED, "unknown API key");
	return NULL;
}

/* Why jansson refused a body, in our words (its own texts name its flags). */
static void
json_error_words(const json_error_t *e, char *out, size_t cap)
{
	snprintf(out, cap, "the body is not a JSON object: %s (line %d, column %d)",
	    sb_json_error_words(e), e->line, e->column);
}

/* The body as JSON, or NULL (answered). */
static json_t *
read_json_body(struct sb_http_api *api, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *body;

	if ((int64_t)len > api->d->cfg->daemon.http_max_body) {
		fail(req, SB_E_TOO_LARGE, "request body too large");
		return NULL;
	}
	if (len == 0) {
		fail(req, SB_E_BAD_REQUEST, "the body is empty (expected a JSON object)");
		return NULL;
	}
	body = json_loadb((const char *)evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (body == NULL) {
		char msg[300];

		json_error_words(&jerr, msg, sizeof(msg));
		fail(req, SB_E_BAD_REQUEST, msg);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		fail(req, SB_E_BAD_REQUEST, "the body is not a JSON object");
		return NULL;
	}
	return body;
}

/* Parse a time argument; 0, or -1 answered naming it and what is wrong. */
static int
time_arg(struct evhttp_request *req, const char *name, const char *v, int64_t *out)
{
	const char *why;
	char msg[200];

	if (sb_parse_iso8601_why(v, out, &why) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "'%s' %s", name, why);
	return fail(req, SB_E_BAD_ARGUMENT, msg);
}

/* ---- query parameters, and answers after a commit ---- */

static const char *
query_param(struct evkeyvalq *q, const char *name)
{
	const char *v = evhttp_find_header(q, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
parse_time_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
    int64_t *out)
{
	const char *v = query_param(q, name);

	*out = 0;
	return v == NULL ? 0 : time_arg(req, name, v, out);
}

/* An optional integer parameter within [min, max]; garbage is an error, not 0. */
static int
int_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name, int64_t min,
    int64_t max, int64_t *out)
{
	const char *v = query_param(q, name);
	char msg[128], *end;
	long long n;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end == '\0' && errno == 0 && n >= min && n <= max) {
		*out = n;
		return 0;
	}
	if (max == INT64_MAX)
		snprintf(msg, sizeof(msg), "'%s' must be an integer of at least %lld", name,
		    (long long)min);
	else
		snprintf(msg, sizeof(msg), "'%s' must be an integer from %lld to %lld", name,
		    (long long)min, (long long)max);
	return fail(req, SB_E_BAD_ARGUMENT, msg);
}

/* A change's answer (cancel, reschedule, a route beside this file),
 * given once the change is committed. */
struct commit_reply {
	struct sb_http_api *api;
	struct evhttp_request *req;      /* NULL once the client has gone */
	json_t *ids;                     /* the answer */
	int failed;
	struct sb_error err;
};

static void
commit_reply_client_gone(void *arg)
{
	struct commit_reply *p = arg;

	p->req = NULL;
}

static void
change_committed(void *arg, int ok)
{
	struct commit_reply *p = arg;

	if (!ok) {
		p->failed = 1;
		sb_error_set(&p->err, SB_E_INTERNAL, "the change could not be stored");
	}
	if (p->req != NULL) {
		sb_http_guard_watch(p->api->guard, p->req, NULL, NULL);
		if (p->failed)
			send_error(p->req, &p->err);
		else
			sb_http_send_json_now(p->req, 200, json_incref(p->ids));
	}
	json_decref(p->ids);
	free(p);
}

/* Reply `answer` (taken) after the commit of the change just made. */
static void
reply_after_commit(struct sb_http_api *api, struct evhttp_request *req, json_t *answer)
{
	struct commit_reply *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		json_decref(answer);
		fail(req, SB_E_INTERNAL, "out of memory");
		return;
	}
	p->api = api;
	p->req = req;
	p->ids = answer;
	sb_http_guard_watch(api->guard, req, commit_reply_client_gone, p);
	sb_store_after_commit(api->d->store, change_committed, p);
	sb_dispatch_kick(api->d->dispatch);
}

static void
get_healthz(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	send_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
set_queue_gauge(void *arg, const char *instance, int64_t n)
{
	sb_metrics_gauge("sb_queue_depth", instance, n);
}

static void
get_metrics(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	struct sb_instance *const *insts;
	size_t n = sb_loader_instances(api->d->loader, &insts);
	char *text;

	/* Every channel gets a gauge, 0 when nothing waits for it. */
	for (size_t i = 0; i < n; i++)
		if (insts[i]->p->kind == SB_PLUGIN_CHANNEL)
			sb_metrics_gauge("sb_queue_depth", insts[i]->name, 0);
	sb_store_queue_depth(api->d->store, set_queue_gauge, NULL);
	sb_metrics_gauge("sb_http_connections", NULL, sb_http_guard_connections(api->guard));
	sb_metrics_counter_set("sb_store_commits_total", sb_store_group_seq(api->d->store));
	sb_metrics_counter_set("sb_store_wal_rewinds_total", sb_store_wal_rewinds(api->d->store));
	sb_metrics_counter_set("sb_store_wal_bytes_total", sb_store_wal_bytes());
	sb_metrics_gauge("sb_store_text_unindexed", NULL, sb_store_text_unindexed(api->d->store));
	sb_events_metrics(api->d->events);
	text = sb_metrics_render();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4");
	evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
	free(text);
	evhttp_send_reply(req, 200, NULL, NULL);
}

static const struct route {
	const char *prefix;
	int exact;          /* the path must equal the prefix */
	void (*handler)(struct sb_http_api *, struct evhttp_request *, const char *rest);
} routes[] = {
	{ "/healthz", 1, get_healthz },
	{ "/metrics", 1, get_metrics },
	{ "/v1/messages", 0, sb_http_route_messages },
	{ "/v1/broadcasts", 0, sb_http_route_broadcasts },
	{ "/v1/search", 1, sb_http_route_search },
	{ "/v1/stats", 1, sb_http_route_stats },
	{ "/v1/templates", 0, sb_http_route_templates },
	{ "/v1/folders", 0, sb_http_route_folders },
	{ "/v1/inbound", 0, sb_http_route_inbound },
	{ "/v1/contacts", 0, sb_http_route_contacts },
	{ "/v1/flows", 0, sb_http_route_flows },
	{ "/v1/events", 0, sb_http_route_events },
	{ "/v1/allowlist", 0, sb_http_route_allowlist },
	{ "/v1/session", 1, sb_console_route_session },
	{ "/hooks/", 0, sb_http_route_hook },
	{ "/console", 0, sb_console_route_files },
	{ "/", 1, sb_console_route_root },
};

static void
dispatch_request(struct evhttp_request *req, void *arg)
{
	struct sb_http_api *api = arg;
	const char *uri = evhttp_request_get_uri(req);
	size_t plen = strcspn(uri, "?");

	sb_http_guard_request(api->guard, req);
	/* Only a recipients file may be larger than http_max_body (the limit
	 * evhttp enforces is the larger of the two, before any routing). */
	if ((int64_t)evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    api->d->cfg->daemon.http_max_body && !(plen == strlen("/v1/broadcasts") &&
	    strncmp(uri, "/v1/broadcasts", plen) == 0 &&
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST)) {
		fail(req, SB_E_TOO_LARGE, "request body too large");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].prefix);

		if (strncmp(uri, routes[i].prefix, n) != 0 || (routes[i].exact && plen != n))
			continue;
		routes[i].handler(api, req, uri + n);
		return;
	}
	fail(req, SB_E_NOT_FOUND, "no such route");
}

struct sb_http_api *
sb_http_api_new(struct sb_daemon *d, struct sb_error *err)
{
	const char *listen = d->cfg->daemon.http_listen;
	struct sb_http_api *api;
	char host[256];
	const char *colon;
	int port;

	if (listen == NULL)
		return NULL;
	colon = strrchr(listen, ':');
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
		sb_error_set(err, SB_E_CONFIG_INVALID, "bad http_listen '%s'", listen);
		return NULL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') { /* [::1]:8025 */
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	port = atoi(colon + 1);
	api = calloc(1, sizeof(*api));
	api->d = d;
	api->http = evhttp_new(d->base);
	/* Recipients files (POST /v1/broadcasts, text/csv) may be larger than
	 * other bodies; every other route checks http_max_body itself. */
	evhttp_set_max_body_size(api->http, (ev_ssize_t)(d->cfg->daemon.broadcast_file_max >
	    d->cfg->daemon.http_max_body ? d->cfg->daemon.broadcast_file_max :
	    d->cfg->daemon.http_max_body));
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE);
	evhttp_set_timeout(api->http, 60);
	evhttp_set_gencb(api->http, dispatch_request, api);
	api->guard = sb_http_guard_new(d, api->http);
	api->console = sb_console_new(d);
	api->keys = sb_http_keys_new();
	if (api->guard == NULL || api->keys == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		sb_http_api_free(api);
		return NULL;
	}
	api->sock = evhttp_bind_socket_with_handle(api->http, host, (ev_uint16_t)port);
	if (api->sock == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "cannot listen on %s", listen);
		sb_http_api_free(api);
		return NULL;
	}
	sb_http_guard_listen(api->guard, api->sock);
	return api;
}

void
sb_http_api_free(struct sb_http_api *api)
{
	if (api == NULL)
		return;
	/* First: logins still being checked are answered through the guard. */
	sb_console_free(api->console);
	sb_http_guard_free(api->guard);
	evhttp_free(api->http);
	sb_http_keys_free(api->keys);
	free(api);
}

/* ---- for the route files beside this one (http_api_internal.h) ---- */

int
sb_http_fail(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	return fail(req, code, msg);
}

int
sb_http_time_arg(struct evhttp_request *req, const char *name, const char *v, int64_t *out)
{
	return time_arg(req, name, v, out);
}

const char *
sb_http_query_param(struct evkeyvalq *q, const char *name)
{
	return query_param(q, name);
}

struct sb_daemon *
sb_http_daemon(struct sb_http_api *api)
{
	return api->d;
}

struct sb_console *
sb_http_console(struct sb_http_api *api)
{
	return api->console;
}

int
sb_http_auth_throttled(struct sb_http_api *api, struct evhttp_request *req)
{
	return auth_throttled(api, req);
}

void
sb_http_auth_failed(struct sb_http_api *api, struct evhttp_request *req, const char *why)
{
	sb_http_guard_auth_failed(api->guard, req, why);
}

const struct sb_config_subaccount *
sb_http_authenticate(struct sb_http_api *api, struct evhttp_request *req)
{
	return authenticate(api, req);
}

void
sb_http_send_json(struct evhttp_request *req, int code, json_t *body)
{
	send_json(req, code, body);
}

void
sb_http_send_error(struct evhttp_request *req, const struct sb_error *err)
{
	send_error(req, err);
}

int
sb_http_int_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
    int64_t min, int64_t max, int64_t *out)
{
	return int_param(req, q, name, min, max, out);
}

void
sb_http_reply_after_commit(struct sb_http_api *api, struct evhttp_request *req,
    json_t *answer)
{
	reply_after_commit(api, req, answer);
}

int
sb_http_parse_query(struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');

	memset(q, 0, sizeof(*q));
	if (evhttp_parse_query_str(qs != NULL ? qs + 1 : "", q) == 0)
		return 0;
	evhttp_clear_headers(q);
	fail(req, SB_E_BAD_ARGUMENT, "malformed query string");
	return -1;
}

int
sb_http_time_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
    int64_t *out)
{
	return parse_time_param(req, q, name, out);
}

json_t *
sb_http_read_json_body(struct sb_http_api *api, struct evhttp_request *req)
{
	return read_json_body(api, req);
}

void
sb_http_watch(struct sb_http_api *api, struct evhttp_request *req, void (*gone)(void *),
    void *arg)
{
	sb_http_guard_watch(api->guard, req, gone, arg);
}

const char *
sb_http_key_user(struct sb_http_api *api, const char *subaccount,
    struct evhttp_request *req, char *buf, size_t len)
{
	const struct sb_config_subaccount *sub = sb_config_subaccount(api->d->cfg, subaccount);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *key = evhttp_find_header(h, "X-API-Key");
	const struct sb_config_console_user *cu;
	char hex[65];

	if (key == NULL && auth == NULL && (cu = sb_console_request_user(api, req)) != NULL) {
		snprintf(buf, len, "console:%s", cu->name);
		return buf;
	}
	if (key == NULL && auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		key = auth + 7;
	sb_http_keys_hash(api->keys, key != NULL ? key : "", hex);
	for (size_t k = 0; sub != NULL && sub->api_key_names != NULL && k < sub->napi_keys; k++)
		if (sub->api_key_names[k] != NULL && strcmp(sub->api_keys[k] + 7, hex) == 0) {
			snprintf(buf, len, "%s", sub->api_key_names[k]);
			return buf;
		}
	/* A key without a name: its hash names it without revealing it. */
	snprintf(buf, len, "key:%.12s", hex);
	return buf;
}
