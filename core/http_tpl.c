/*
 * http_tpl.c - the template routes of the HTTP API:
 *
 *   GET    /v1/templates               the latest version of each, by name
 *   GET    /v1/templates/{name}        the latest version (?version=N: that one)
 *   PUT    /v1/templates/{name}        save: a new version if the spec changed
 *   DELETE /v1/templates/{name}        new messages can no longer use it
 *
 * An API key sees and edits only its subaccount's templates; the spec is
 * template.h's (text, sms, line_push, line_notify, whatsapp). Writes answer
 * after their commit.
 */
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "store_tpl.h"
#include "template.h"

static void
tpl_list(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const char *name)
{
	struct sb_error err = { 0 };
	json_t *res;

	(void)name;
	res = sb_store_template_list(sb_http_daemon(api)->store, sub, &err);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
}

static void
tpl_show(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const char *name)
{
	struct sb_error err = { 0 };
	struct evkeyvalq q;
	int64_t version = 0;

	if (sb_http_parse_query(req, &q) < 0)
		return;
	if (sb_http_int_param(req, &q, "version", 1, INT64_MAX, &version) == 0) {
		json_t *res = sb_store_template_show(sb_http_daemon(api)->store, sub, name, version, &err);
		if (res == NULL)
			sb_http_send_error(req, &err);
		else
			sb_http_send_json(req, 200, res);
	}
	evhttp_clear_headers(&q);
}

static void
tpl_put(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const char *name)
{
	struct sb_error err = { 0 };
	json_t *body = sb_http_read_json_body(api, req), *spec, *res = NULL;

	if (body == NULL)
		return;
	spec = sb_template_spec_parse(body, &err);
	json_decref(body);
	if (spec != NULL) {
		char user[128];

		res = sb_store_template_put(sb_http_daemon(api)->store, sub, name, spec,
		    sb_http_key_user(api, sub, req, user, sizeof(user)), sb_now_ms(), &err);
	}
	json_decref(spec);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_reply_after_commit(api, req, res);
}

static void
tpl_delete(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const char *name)
{
	struct sb_error err = { 0 };

	if (sb_store_template_delete(sb_http_daemon(api)->store, sub, name, sb_now_ms(),
	    &err) < 0)
		sb_http_send_error(req, &err);
	else
		sb_http_reply_after_commit(api, req, json_pack("{s:s, s:b}", "name", name,
		    "deleted", 1));
}

/* The routes: with a name or without, and the method. */
static const struct {
	int named;
	enum evhttp_cmd_type method;
	void (*handler)(struct sb_http_api *, struct evhttp_request *, const char *,
	    const char *);
} tpl_routes[] = {
	{ 0, EVHTTP_REQ_GET, tpl_list },
	{ 1, EVHTTP_REQ_GET, tpl_show },
	{ 1, EVHTTP_REQ_PUT, tpl_put },
	{ 1, EVHTTP_REQ_DELETE, tpl_delete },
};

void
sb_http_route_templates(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	struct sb_error err = { 0 };
	size_t plen = strcspn(rest, "?");
	char name[SB_TEMPLATE_NAME_MAX + 2] = "";
	int named = plen > 0;

	if (named && rest[0] != '/') {
		sb_error_set(&err, SB_E_NOT_FOUND, "no such route");
		sb_http_send_error(req, &err);
		return;
	}
	if (named) {
		/* A name too long to keep is still one byte too long to pass the check. */
		size_t n = plen - 1 < sizeof(name) - 1 ? plen - 1 : sizeof(name) - 1;

		memcpy(name, rest + 1, n);
		name[n] = '\0';
		if (sb_template_name_check(name, &err) < 0) {
			sb_http_send_error(req, &err);
			return;
		}
	}
	for (size_t i = 0; i < sizeof(tpl_routes) / sizeof(tpl_routes[0]); i++) {
		if (tpl_routes[i].named != named || tpl_routes[i].method != method)
			continue;
		if ((sub = sb_http_authenticate(api, req)) != NULL)
			tpl_routes[i].handler(api, req, sub->name, name);
		return;
	}
	sb_error_set(&err, SB_E_BAD_REQUEST, named ? "use GET, PUT or DELETE on"
	    " /v1/templates/{name}" : "use GET on /v1/templates");
	sb_http_send_error(req, &err);
}
