/*
 * http_bcast.c - the broadcast routes of the HTTP API:
 *
 *   GET  /v1/broadcasts                  list, newest first (before, limit)
 *   POST /v1/broadcasts                  a broadcast from a recipients file:
 *                                        Content-Type: text/csv, the file as
 *                                        the body, the rest as query
 *                                        parameters (bcast_file.c does it)
 *   GET  /v1/broadcasts/{id}             counts, delivered and read %,
 *                                        recipients (successful_before,
 *                                        failed_before, limit)
 *   POST /v1/broadcasts/{id}/stop        cancel what was not sent yet
 *   POST /v1/broadcasts/{id}/restart     send again to who did not get it
 *
 * An API key sees and steers only its subaccount's broadcasts. Stop and
 * restart answer after the commit of what they changed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>

#include "bcast_file.h"
#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "http_api_internal.h"
#include "store_bcast.h"
#include "timefmt.h"

/* The query parameters of a file upload. */
static const char *const file_params[] = {
	"file_name", "text", "template", "lang", "chain", "from", "send_at", "subaccount", NULL,
};

static int
not_found(struct evhttp_request *req, const char *what)
{
	struct sb_error err = { 0 };

	sb_error_set(&err, SB_E_NOT_FOUND, "%s", what);
	sb_http_send_error(req, &err);
	return -1;
}

/* The query string of `req` into q (cleared by the caller); -1 answered. */
static int
parse_query(struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *uri = evhttp_request_get_uri(req), *qs = strchr(uri, '?');
	struct sb_error err = { 0 };

	memset(q, 0, sizeof(*q));
	if (evhttp_parse_query_str(qs != NULL ? qs + 1 : "", q) == 0)
		return 0;
	sb_error_set(&err, SB_E_BAD_ARGUMENT, "malformed query string");
	sb_http_send_error(req, &err);
	return -1;
}

static void
list_broadcasts(struct sb_http_api *api, struct evhttp_request *req, const char *sub)
{
	struct evkeyvalq q;
	int64_t before = 0, limit = 50;

	if (parse_query(req, &q) < 0)
		return;
	if (sb_http_int_param(req, &q, "before", 1, INT64_MAX, &before) == 0 &&
	    sb_http_int_param(req, &q, "limit", 1, 1000, &limit) == 0) {
		json_t *res = sb_store_broadcast_list(sb_http_daemon(api)->store, sub, before,
		    limit > 0 ? (int)limit : 50);
		if (res == NULL)
			not_found(req, "no broadcasts");
		else
			sb_http_send_json(req, 200, res);
	}
	evhttp_clear_headers(&q);
}

static void
show_broadcast(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    int64_t id)
{
	struct evkeyvalq q;
	int64_t ok_before = 0, failed_before = 0, limit = 50;

	if (parse_query(req, &q) < 0)
		return;
	if (sb_http_int_param(req, &q, "successful_before", 1, INT64_MAX, &ok_before) == 0 &&
	    sb_http_int_param(req, &q, "failed_before", 1, INT64_MAX, &failed_before) == 0 &&
	    sb_http_int_param(req, &q, "limit", 1, 1000, &limit) == 0) {
		json_t *res = sb_store_broadcast_json(sb_http_daemon(api)->store, id, sub, ok_before,
		    failed_before, limit > 0 ? (int)limit : 50);
		if (res == NULL)
			not_found(req, "no such broadcast");
		else
			sb_http_send_json(req, 200, res);
	}
	evhttp_clear_headers(&q);
}

static void
stop_broadcast(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    int64_t id)
{
	struct sb_error err = { 0 };
	int64_t stopped_ms = 0;
	char when[40];

	if (sb_dispatch_broadcast_stop(sb_http_daemon(api)->dispatch, id, sub, &stopped_ms,
	    &err) < 0) {
		sb_http_send_error(req, &err);
		return;
	}
	sb_http_reply_after_commit(api, req, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "status", "stopped", "stopped", sb_format_iso8601_ms(stopped_ms, when,
	    sizeof(when))));
}

static void
restart_broadcast(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    int64_t id)
{
	struct sb_error err = { 0 };
	struct sb_restart_result r;
	char user[128];

	if (sb_dispatch_broadcast_restart(sb_http_daemon(api)->dispatch, id, sub,
	    sb_http_key_user(api, sub, req, user, sizeof(user)), &r, &err) < 0) {
		sb_http_send_error(req, &err);
		return;
	}
	sb_http_reply_after_commit(api, req, json_pack("{s:I, s:I, s:I, s:b}", "id",
	    (json_int_t)r.id, "restart_of", (json_int_t)r.restart_of, "recipients",
	    (json_int_t)r.recipients, "existing", r.existing));
}

/* A file upload whose answer waits for its rows to be committed. */
struct file_pending {
	struct sb_http_api *api;
	struct evhttp_request *req;   /* NULL once the client has gone */
};

static void
file_client_gone(void *arg)
{
	struct file_pending *fp = arg;

	fp->req = NULL;
}

static void
file_done(void *arg, json_t *res)
{
	struct file_pending *fp = arg;

	if (fp->req != NULL) {
		sb_http_watch(fp->api, fp->req, NULL, NULL);
		if (res == NULL) {
			struct sb_error err = { 0 };

			sb_error_set(&err, SB_E_INTERNAL, "out of memory");
			sb_http_send_error(fp->req, &err);
		} else {
			sb_http_send_json(fp->req, json_integer_value(json_object_get(res,
			    "accepted")) > 0 ? 202 : 200, res);
			res = NULL;
		}
	}
	json_decref(res);
	free(fp);
}

/* "text/csv" or "text/csv; charset=utf-8" (any case); anything else is refused. */
static int
is_csv(const char *ctype)
{
	size_t n = strcspn(ctype, ";");
	const char *cs;

	while (n > 0 && ctype[n - 1] == ' ')
		n--;
	if (n != 8 || strncasecmp(ctype, "text/csv", 8) != 0)
		return 0;
	cs = strcasestr(ctype, "charset=");
	return cs == NULL || strncasecmp(cs + 8, "utf-8", 5) == 0 ||
	    strncasecmp(cs + 8, "\"utf-8\"", 7) == 0;
}

static void
post_file(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub)
{
	struct sb_daemon *d = sb_http_daemon(api);
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type"), *at, *want;
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *data;
	struct sb_bcast_file_req r = { 0 };
	struct sb_error err = { 0 };
	struct file_pending *fp;
	struct evkeyval *kv;
	struct evkeyvalq q;
	char user[128];

	if (ctype == NULL || !is_csv(ctype)) {
		sb_error_set(&err, SB_E_BAD_REQUEST, "POST /v1/broadcasts takes a recipients file:"
		    " send it as the body with Content-Type: text/csv (UTF-8)");
		sb_http_send_error(req, &err);
		return;
	}
	if (parse_query(req, &q) < 0)
		return;
	TAILQ_FOREACH(kv, &q, next) {
		size_t i;

		for (i = 0; file_params[i] != NULL && strcmp(file_params[i], kv->key) != 0; i++)
			;
		if (file_params[i] == NULL) {
			sb_error_set(&err, SB_E_BAD_ARGUMENT, "unknown parameter '%.64s' (expected"
			    " file_name, text, template, lang, chain, from, send_at, subaccount)",
			    kv->key);
			goto fail;
		}
	}
	want = evhttp_find_header(&q, "subaccount");
	if (want != NULL && strcmp(want, sub->name) != 0) {
		sb_error_set(&err, SB_E_FORBIDDEN, "this API key belongs to subaccount '%s', not"
		    " '%.64s'", sub->name, want);
		goto fail;
	}
	r.subaccount = sub->name;
	r.file_name = evhttp_find_header(&q, "file_name");
	r.text = evhttp_find_header(&q, "text");
	r.template_name = evhttp_find_header(&q, "template");
	r.template_lang = evhttp_find_header(&q, "lang");
	r.chain = evhttp_find_header(&q, "chain");
	r.from = evhttp_find_header(&q, "from");
	r.user = sb_http_key_user(api, sub->name, req, user, sizeof(user));
	if (r.file_name == NULL) {
		sb_error_set(&err, SB_E_BAD_ARGUMENT, "missing 'file_name' (the name the"
		    " broadcast is kept and searched under)");
		goto fail;
	}
	at = evhttp_find_header(&q, "send_at");
	if (at != NULL) {
		const char *why;

		if (sb_parse_iso8601_why(at, &r.send_at_ms, &why) < 0) {
			sb_error_set(&err, SB_E_BAD_ARGUMENT, "'send_at' %s", why);
			goto fail;
		}
	}
	if ((int64_t)evbuffer_get_length(in) > d->cfg->daemon.broadcast_file_max) {
		sb_error_set(&err, SB_E_TOO_LARGE, "the file is larger than %lld bytes"
		    " (daemon.broadcast_file_max)", (long long)d->cfg->daemon.broadcast_file_max);
		goto fail;
	}
	/* The file's bytes move (no copy) out of the request, which may go first. */
	data = evbuffer_new();
	fp = calloc(1, sizeof(*fp));
	if (data == NULL || fp == NULL || evbuffer_remove_buffer(in, data,
	    evbuffer_get_length(in)) < 0) {
		if (data != NULL)
			evbuffer_free(data);
		free(fp);
		sb_error_set(&err, SB_E_INTERNAL, "out of memory");
		goto fail;
	}
	fp->api = api;
	fp->req = req;
	if (sb_bcast_file_start(d, &r, data, file_done, fp, &err) < 0) {
		free(fp);
		goto fail;
	}
	sb_http_watch(api, req, file_client_gone, fp);
	evhttp_clear_headers(&q);
	return;
fail:
	sb_http_send_error(req, &err);
	evhttp_clear_headers(&q);
}

/* The routes under /v1/broadcasts/{id}: suffix and method. */
static const struct {
	const char *suffix;
	enum evhttp_cmd_type method;
	void (*handler)(struct sb_http_api *, struct evhttp_request *, const char *, int64_t);
} id_routes[] = {
	{ "", EVHTTP_REQ_GET, show_broadcast },
	{ "/stop", EVHTTP_REQ_POST, stop_broadcast },
	{ "/restart", EVHTTP_REQ_POST, restart_broadcast },
};

void
sb_http_route_broadcasts(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	size_t plen = strcspn(rest, "?");
	char *end = NULL;
	int64_t id;

	if (plen == 0) {
		if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_POST) {
			struct sb_error err = { 0 };

			sb_error_set(&err, SB_E_BAD_REQUEST, "use GET or POST on /v1/broadcasts");
			sb_http_send_error(req, &err);
		} else if ((sub = sb_http_authenticate(api, req)) != NULL) {
			if (method == EVHTTP_REQ_POST)
				post_file(api, req, sub);
			else
				list_broadcasts(api, req, sub->name);
		}
		return;
	}
	id = *rest == '/' ? strtoll(rest + 1, &end, 10) : 0;
	if (id <= 0 || end == NULL) {
		not_found(req, "no such route");
		return;
	}
	plen = strcspn(end, "?");
	for (size_t i = 0; i < sizeof(id_routes) / sizeof(id_routes[0]); i++) {
		if (strlen(id_routes[i].suffix) != plen ||
		    strncmp(end, id_routes[i].suffix, plen) != 0 || id_routes[i].method != method)
			continue;
		if ((sub = sb_http_authenticate(api, req)) != NULL)
			id_routes[i].handler(api, req, sub->name, id);
		return;
	}
	not_found(req, "no such route");
}
