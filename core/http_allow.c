/*
 * http_allow.c - /v1/allowlist: the content filter's allowlist
 * (allowlist.c) for the subaccount a request acts for, to the console's
 * support users only. An application's API key cannot open its own
 * filter, and neither can a subaccount's console user: that is what the
 * support role is for (docs/content-filter.md).
 *
 *   GET    /v1/allowlist                        the subaccount's and the global entries
 *   POST   /v1/allowlist {"kind", "value"}      allow a term or a domain for it
 *   DELETE /v1/allowlist?kind=K&value=V         revoke one of its entries
 */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "allowlist.h"
#include "config.h"
#include "console.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "log.h"

/* Entries are not made by a Unix user here: the console user is logged. */
#define HTTP_ALLOW_UID ((uid_t)-1)

static void
answer_error(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	struct sb_error err = { .code = code };

	snprintf(err.message, sizeof(err.message), "%s", msg);
	sb_http_send_error(req, &err);
}

/* The entries without the control socket's uid (meaningless over HTTP). */
static json_t *
entries_json(struct sb_daemon *d, const char *sub)
{
	json_t *all = sb_allowlist_json(d->allow, sub), *e;
	size_t i;

	json_array_foreach(json_object_get(all, "entries"), i, e)
		json_object_del(e, "uid");
	return all;
}

static void
allow_change(struct sb_http_api *api, struct evhttp_request *req, const char *sub,
    const struct sb_config_console_user *who, int add)
{
	struct sb_daemon *d = sb_http_daemon(api);
	struct sb_error err = { 0 };
	struct evkeyvalq q = { 0 };
	json_t *body = NULL;
	const char *kind, *value;
	char stored[512];

	if (add) {
		if ((body = sb_http_read_json_body(api, req)) == NULL)
			return;
		kind = json_string_value(json_object_get(body, "kind"));
		value = json_string_value(json_object_get(body, "value"));
	} else {
		if (sb_http_parse_query(req, &q) < 0)
			return;
		kind = evhttp_find_header(&q, "kind");
		value = evhttp_find_header(&q, "value");
	}
	if (kind == NULL || value == NULL || (strcmp(kind, "term") != 0 &&
	    strcmp(kind, "domain") != 0)) {
		answer_error(req, SB_E_BAD_ARGUMENT, "'kind' (term or domain) and 'value' are"
		    " required");
		goto out;
	}
	if ((add ? sb_allowlist_add(d->allow, sub, kind, value, HTTP_ALLOW_UID, &err) :
	    sb_allowlist_revoke(d->allow, sub, kind, value, &err)) < 0) {
		sb_http_send_error(req, &err);
		goto out;
	}
	if (sb_allowlist_normalise(kind, value, stored, sizeof(stored), NULL) == 0)
		value = stored;
	sb_log(SB_LOG_INFO, "filter: console user '%s' %s %s '%s' for %s", who->name,
	    add ? "allowed" : "revoked", kind, value, sub);
	sb_http_reply_after_commit(api, req, json_pack("{s:s, s:s, s:s}", "subaccount", sub,
	    "kind", kind, "value", value));
out:
	json_decref(body);
	evhttp_clear_headers(&q);
}

void
sb_http_route_allowlist(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	const struct sb_config_console_user *who;

	if (*rest != '\0' && *rest != '?') {
		answer_error(req, SB_E_NOT_FOUND, "no such route");
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	who = sb_console_request_user(api, req);
	if (who == NULL || who->role != SB_CONSOLE_SUPPORT) {
		answer_error(req, SB_E_FORBIDDEN, "only a support user of the console may see"
		    " or change the content filter's allowlist");
		return;
	}
	if (method == EVHTTP_REQ_GET)
		sb_http_send_json(req, 200, entries_json(sb_http_daemon(api), sub->name));
	else if (method == EVHTTP_REQ_POST || method == EVHTTP_REQ_DELETE)
		allow_change(api, req, sub->name, who, method == EVHTTP_REQ_POST);
	else
		answer_error(req, SB_E_BAD_REQUEST, "use GET, POST or DELETE on /v1/allowlist");
}
