/*
 * http_inbox.c - the folder routes of the HTTP API (store_inbox.h):
 *
 *   GET    /v1/folders                      counts per folder, and the total
 *   GET    /v1/folders/{name}               a folder's items, newest first
 *                                           (contact, from, until, before, limit)
 *   POST   /v1/inbound/{id}/archive         inbox or flows -> archived
 *   POST   /v1/inbound/{id}/unarchive       archived -> where it came from
 *   DELETE /v1/inbound/{id}                 only from archived
 *   GET    /v1/contacts/{id}                a contact and its identities
 *   POST   /v1/contacts/{id}/identities     link a number, LINE or WhatsApp id to it
 *   POST   /v1/flows                        open a conversation flow with a contact
 *   GET    /v1/flows[/{id}]                 the open flows; one flow
 *   DELETE /v1/flows/{id}                   close it
 *
 * Every route is scoped to the API key's subaccount; writes answer after
 * their commit.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "inbound.h"
#include "store_inbox.h"

static void
inbox_fail(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	struct sb_error err = { 0 };

	sb_error_set(&err, code, "%s", msg);
	sb_http_send_error(req, &err);
}

/* "/{id}" and what follows it: the id (> 0) and *tail, or 0. */
static int64_t
inbox_id(const char *rest, const char **tail)
{
	char *end = NULL;
	int64_t id = rest[0] == '/' ? strtoll(rest + 1, &end, 10) : 0;

	if (id <= 0 || end == NULL || end == rest + 1)
		return 0;
	*tail = end;
	return id;
}

static void
folder_list(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const char *name)
{
	struct sb_folder_query fq = { .subaccount = sub, .folder = name };
	struct sb_error err = { 0 };
	struct evkeyvalq q;
	int64_t limit = 0;
	json_t *res;

	if (sb_http_parse_query(req, &q) < 0)
		return;
	if (sb_http_int_param(req, &q, "contact", 1, INT64_MAX, &fq.contact_id) == 0 &&
	    sb_http_int_param(req, &q, "before", 1, INT64_MAX, &fq.before_id) == 0 &&
	    sb_http_int_param(req, &q, "limit", 1, 1000, &limit) == 0 &&
	    sb_http_time_param(req, &q, "from", &fq.from_ms) == 0 &&
	    sb_http_time_param(req, &q, "until", &fq.until_ms) == 0) {
		fq.limit = limit > 0 ? (int)limit : 50;
		res = sb_store_folder_list(sb_http_daemon(api)->store, &fq, &err);
		if (res == NULL)
			sb_http_send_error(req, &err);
		else
			sb_http_send_json(req, 200, res);
	}
	evhttp_clear_headers(&q);
}

void
sb_http_route_folders(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	const struct sb_config_subaccount *sub;
	size_t plen = strcspn(rest, "?");
	struct sb_error err = { 0 };
	char name[32];
	json_t *res;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		inbox_fail(req, SB_E_BAD_REQUEST, "use GET on /v1/folders");
		return;
	}
	if (plen > 0 && (rest[0] != '/' || plen - 1 >= sizeof(name))) {
		inbox_fail(req, SB_E_NOT_FOUND, "no such folder");
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if (plen == 0) {
		res = sb_store_folder_counts(sb_http_daemon(api)->store, sub->name, &err);
		if (res == NULL)
			sb_http_send_error(req, &err);
		else
			sb_http_send_json(req, 200, res);
		return;
	}
	memcpy(name, rest + 1, plen - 1);
	name[plen - 1] = '\0';
	folder_list(api, req, sub->name, name);
}

/* An inbound message's moves: the tail after its id, the method, the store call. */
static const struct {
	const char *tail;
	enum evhttp_cmd_type method;
	int archive;              /* 1 archive, 0 unarchive, -1 delete */
} inbound_routes[] = {
	{ "/archive", EVHTTP_REQ_POST, 1 },
	{ "/unarchive", EVHTTP_REQ_POST, 0 },
	{ "", EVHTTP_REQ_DELETE, -1 },
};

void
sb_http_route_inbound(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	struct sb_store *st = sb_http_daemon(api)->store;
	struct sb_error err = { 0 };
	const char *tail = "";
	int64_t id = inbox_id(rest, &tail);
	size_t tlen = strcspn(tail, "?");

	for (size_t i = 0; id > 0 && i < sizeof(inbound_routes) / sizeof(inbound_routes[0]);
	    i++) {
		int rc;

		if (strlen(inbound_routes[i].tail) != tlen ||
		    strncmp(tail, inbound_routes[i].tail, tlen) != 0 ||
		    inbound_routes[i].method != method)
			continue;
		if ((sub = sb_http_authenticate(api, req)) == NULL)
			return;
		rc = inbound_routes[i].archive < 0 ?
		    sb_store_inbound_delete(st, sub->name, id, &err) :
		    sb_store_inbound_archive(st, sub->name, id, inbound_routes[i].archive,
		    sb_now_ms(), &err);
		if (rc < 0)
			sb_http_send_error(req, &err);
		else
			sb_http_reply_after_commit(api, req, json_pack("{s:I, s:s}", "id",
			    (json_int_t)id, "folder", inbound_routes[i].archive < 0 ? "deleted" :
			    inbound_routes[i].archive ? "archived" : "back"));
		return;
	}
	inbox_fail(req, SB_E_NOT_FOUND, "no such route (POST /v1/inbound/{id}/archive or"
	    " /unarchive, DELETE /v1/inbound/{id})");
}

void
sb_http_route_contacts(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	const struct sb_config_subaccount *sub;
	struct sb_error err = { 0 };
	const char *tail = "";
	int64_t id = inbox_id(rest, &tail);
	json_t *res = NULL;

	int add = strncmp(tail, "/identities", 11) == 0 && (tail[11] == '\0' || tail[11] == '?');

	if (id <= 0 || (!add && *tail != '\0' && *tail != '?') ||
	    evhttp_request_get_command(req) != (add ? EVHTTP_REQ_POST : EVHTTP_REQ_GET)) {
		inbox_fail(req, SB_E_NOT_FOUND, "no such route (GET /v1/contacts/{id},"
		    " POST /v1/contacts/{id}/identities)");
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if (add) {
		json_t *body = sb_http_read_json_body(api, req);

		if (body == NULL)
			return;
		if (json_object_size(body) != 2)
			sb_error_set(&err, SB_E_BAD_ARGUMENT, "the body is {\"kind\": phone, line or"
			    " whatsapp, \"value\": ...}");
		else
			res = sb_contact_identity_add(sb_http_daemon(api), sub, id,
			    json_string_value(json_object_get(body, "kind")),
			    json_string_value(json_object_get(body, "value")), &err);
		json_decref(body);
		if (res == NULL)
			sb_http_send_error(req, &err);
		else
			sb_http_reply_after_commit(api, req, res);
		return;
	}
	res = sb_store_contact_json(sb_http_daemon(api)->store, sub->name, id, &err);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
}

/* ---- flows ---- */

static void
flow_open(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub)
{
	static const char *const keys[] = { "to", "contact", "callback_url", "ttl" };
	json_t *body = sb_http_read_json_body(api, req), *v, *res = NULL;
	struct sb_error err = { 0 };
	const char *key;

	if (body == NULL)
		return;
	json_object_foreach(body, key, v) {
		size_t k;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[k]) != 0; k++)
			;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			sb_error_set(&err, SB_E_BAD_ARGUMENT, "unknown field '%.40s' (expected to,"
			    " contact, callback_url, ttl)", key);
			goto out;
		}
	}
	{
		json_t *c = json_object_get(body, "contact"), *t = json_object_get(body, "ttl");
		const struct sb_flow_req fr = {
			.to = json_string_value(json_object_get(body, "to")),
			.contact = json_is_integer(c) ? json_integer_value(c) : c != NULL ? -1 : 0,
			.callback_url = json_string_value(json_object_get(body, "callback_url")),
			.ttl = json_string_value(t),
			.ttl_s = json_is_integer(t) ? json_integer_value(t) : 0,
		};

		res = sb_flow_open(sb_http_daemon(api), sub, &fr, &err);
	}
out:
	json_decref(body);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_reply_after_commit(api, req, res);
}

void
sb_http_route_flows(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct sb_store *st = sb_http_daemon(api)->store;
	const struct sb_config_subaccount *sub;
	struct sb_error err = { 0 };
	const char *tail = "";
	int64_t id = 0;
	json_t *res = NULL;

	if (*rest != '\0' && *rest != '?' && ((id = inbox_id(rest, &tail)) <= 0 ||
	    (*tail != '\0' && *tail != '?'))) {
		inbox_fail(req, SB_E_NOT_FOUND, "no such route (/v1/flows[/{id}])");
		return;
	}
	if ((id == 0 && method != EVHTTP_REQ_GET && method != EVHTTP_REQ_POST) ||
	    (id > 0 && method != EVHTTP_REQ_GET && method != EVHTTP_REQ_DELETE)) {
		inbox_fail(req, SB_E_BAD_REQUEST, id == 0 ? "use GET or POST on /v1/flows" :
		    "use GET or DELETE on /v1/flows/{id}");
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if (id == 0 && method == EVHTTP_REQ_POST) {
		flow_open(api, req, sub);
		return;
	}
	if (id == 0)
		res = sb_store_flow_list(st, sub->name, sb_now_ms(), &err);
	else if (method == EVHTTP_REQ_GET)
		res = sb_store_flow_json(st, sub->name, id, sb_now_ms(), &err);
	else if (sb_store_flow_close(st, sub->name, id, sb_now_ms(), &err) == 0) {
		sb_http_reply_after_commit(api, req, json_pack("{s:I, s:b}", "id", (json_int_t)id,
		    "closed", 1));
		return;
	}
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
}
