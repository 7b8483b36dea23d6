/*
 * http_search.c - GET /v1/search: the operator's message search over the
 * key's subaccount (store_search.h), newest first, keyset pages.
 *
 *   status, group, broadcast, channel_type, to (+ country), template,
 *   file_name, text, from, until (at most 3 months apart), before, limit
 *
 * Every parameter is checked here and named in its error.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "phone.h"
#include "store_search.h"
#include "timefmt.h"

static int
bad(struct evhttp_request *req, const char *fmt, const char *a, const char *b)
{
	struct sb_error err = { 0 };

	sb_error_set(&err, SB_E_BAD_ARGUMENT, fmt, a, b);
	sb_http_send_error(req, &err);
	return -1;
}

static const char *
param(struct evkeyvalq *q, const char *name)
{
	const char *v = evhttp_find_header(q, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The string parameters and where they go. */
static const struct {
	const char *name;
	size_t offset;
} strings[] = {
	{ "status", offsetof(struct sb_search, status) },
	{ "group", offsetof(struct sb_search, group) },
	{ "channel_type", offsetof(struct sb_search, channel_type) },
	{ "template", offsetof(struct sb_search, template_name) },
	{ "file_name", offsetof(struct sb_search, file_name) },
	{ "text", offsetof(struct sb_search, text) },
};

/* The number as stored: E.164, a national number with `country` or the subaccount's. */
static int
phone_param(struct evhttp_request *req, struct evkeyvalq *q,
    const struct sb_config_subaccount *sub, char *out, size_t len, const char **to)
{
	const char *v = param(q, "to"), *cc = param(q, "country"), *why = NULL;
	char plus[40];

	*to = NULL;
	if (v == NULL)
		return cc != NULL ? bad(req, "'%s' needs '%s'", "country", "to") : 0;
	/* An unescaped "+" arrives decoded as a space. */
	if (v[0] == ' ' && strlen(v) < sizeof(plus)) {
		snprintf(plus, sizeof(plus), "+%s", v + 1);
		v = plus;
	}
	if (cc != NULL && (strspn(cc, "0123456789") != strlen(cc) || strlen(cc) > 3))
		return bad(req, "'%s' must be a calling code of 1 to 3 digits (got '%.8s')",
		    "country", cc);
	if (sb_phone_normalize(v, cc != NULL ? cc : sub->default_country, out, len, &why) < 0)
		return bad(req, "invalid phone number in '%s': %s", "to", why);
	*to = out;
	return 0;
}

void
sb_http_route_search(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	const struct sb_config_subaccount *sub;
	struct sb_search s = { .limit = 50 };
	struct sb_error err = { 0 };
	struct evkeyvalq q;
	int64_t limit = 50;
	char to[40];
	json_t *res;

	(void)rest;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		sb_error_set(&err, SB_E_BAD_REQUEST, "use GET on /v1/search");
		sb_http_send_error(req, &err);
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if (sb_http_parse_query(req, &q) < 0)
		return;
	s.subaccount = sub->name;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		*(const char **)((char *)&s + strings[i].offset) = param(&q, strings[i].name);
	if (phone_param(req, &q, sub, to, sizeof(to), &s.to) < 0 ||
	    sb_http_int_param(req, &q, "broadcast", 1, INT64_MAX, &s.broadcast_id) < 0 ||
	    sb_http_int_param(req, &q, "before", 1, INT64_MAX, &s.before_id) < 0 ||
	    sb_http_int_param(req, &q, "limit", 1, 1000, &limit) < 0 ||
	    sb_http_time_param(req, &q, "from", &s.from_ms) < 0 ||
	    sb_http_time_param(req, &q, "until", &s.until_ms) < 0)
		goto out;
	s.limit = limit > 0 ? (int)limit : 50;
	if (sb_search_check(&s, &err) < 0) {
		sb_http_send_error(req, &err);
		goto out;
	}
	res = sb_store_search(sb_http_daemon(api)->store, &s, &err);
	if (res == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
out:
	evhttp_clear_headers(&q);
}
