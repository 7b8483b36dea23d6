/*
 * http_bcast.c - the broadcast routes of the HTTP API:
 *
 *   GET  /v1/broadcasts                  list, newest first (before, limit)
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

#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "http_api_internal.h"
#include "store_bcast.h"
#include "timefmt.h"

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
		if (method != EVHTTP_REQ_GET) {
			struct sb_error err = { 0 };

			sb_error_set(&err, SB_E_BAD_REQUEST, "use GET on /v1/broadcasts");
			sb_http_send_error(req, &err);
		} else if ((sub = sb_http_authenticate(api, req)) != NULL) {
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
