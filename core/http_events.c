/*
 * http_events.c - the /v1/events routes: an application's view of the
 * events sent to it (docs/http-api.md, "Events"), always scoped to the
 * subaccount of the API key.
 *
 *   GET  /v1/events?state=failed|pending|delivered&limit=&before=
 *                                  newest first, keyset pages
 *   POST /v1/events/{id}/redeliver a delivered or failed event goes out
 *                                  again; answered after the commit
 *
 * Another subaccount's event is not_found, never forbidden: a key cannot
 * learn that it exists.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "http_api_internal.h"
#include "store_events.h"

static void
list_events(struct sb_http_api *api, struct evhttp_request *req, const char *sub)
{
	struct sb_event_query q = { .subaccount = sub, .state = -1 };
	struct sb_error err = { 0 };
	struct evkeyvalq kv;
	const char *state;
	int64_t limit = 0, before = 0;
	json_t *res;

	if (sb_http_parse_query(req, &kv) < 0)
		return;
	state = evhttp_find_header(&kv, "state");
	if (state != NULL && (q.state = sb_event_state_parse(state)) < 0) {
		sb_error_set(&err, SB_E_BAD_ARGUMENT, "'state' must be pending, delivered or"
		    " failed, not '%.40s'", state);
		sb_http_send_error(req, &err);
		goto out;
	}
	if (sb_http_int_param(req, &kv, "limit", 1, 1000, &limit) < 0 ||
	    sb_http_int_param(req, &kv, "before", 1, INT64_MAX, &before) < 0)
		goto out;
	q.limit = limit > 0 ? (int)limit : 50;
	q.before_id = before;
	res = sb_store_events_list(sb_http_daemon(api)->store, &q, &err);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
out:
	evhttp_clear_headers(&kv);
}

static void
redeliver_event(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    int64_t id)
{
	struct sb_daemon *d = sb_http_daemon(api);
	struct sb_error err = { 0 };

	if (sb_store_event_redeliver(d->store, id, sub, sb_now_ms(), &err) < 0) {
		sb_http_send_error(req, &err);
		return;
	}
	sb_events_kick(d->events);
	sb_http_reply_after_commit(api, req, json_pack("{s:I, s:s}", "id", (json_int_t)id,
	    "state", "pending"));
}

void
sb_http_route_events(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	struct sb_error err = { 0 };
	size_t plen = strcspn(rest, "?");
	char *end = NULL;
	int64_t id;

	if (plen == 0) {
		if (method != EVHTTP_REQ_GET) {
			sb_error_set(&err, SB_E_BAD_REQUEST, "use GET on /v1/events");
			sb_http_send_error(req, &err);
		} else if ((sub = sb_http_authenticate(api, req)) != NULL) {
			list_events(api, req, sub->name);
		}
		return;
	}
	id = *rest == '/' ? strtoll(rest + 1, &end, 10) : 0;
	if (id > 0 && end != NULL && strncmp(end, "/redeliver", strcspn(end, "?")) == 0 &&
	    strcspn(end, "?") == strlen("/redeliver")) {
		if (method != EVHTTP_REQ_POST) {
			sb_error_set(&err, SB_E_BAD_REQUEST, "use POST on /v1/events/{id}/redeliver");
			sb_http_send_error(req, &err);
		} else if ((sub = sb_http_authenticate(api, req)) != NULL) {
			redeliver_event(api, req, sub->name, id);
		}
		return;
	}
	sb_error_set(&err, SB_E_NOT_FOUND, "no such route");
	sb_http_send_error(req, &err);
}
