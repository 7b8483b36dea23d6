/*
 * http_stats.c - GET /v1/stats: delivery statistics of the key's
 * subaccount per template or per channel type (by=...) over whole UTC
 * days of trigger time, at most 3 months (store_stats.h); by template,
 * optionally only one channel type's messages (channel_type=...).
 */
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "store_stats.h"
#include "timefmt.h"

void
sb_http_route_stats(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	const struct sb_config_subaccount *sub;
	struct sb_stats_query sq = { 0 };
	struct sb_error err = { 0 };
	struct evkeyvalq q;
	json_t *res;

	(void)rest;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		sb_error_set(&err, SB_E_BAD_REQUEST, "use GET on /v1/stats");
		sb_http_send_error(req, &err);
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if (sb_http_parse_query(req, &q) < 0)
		return;
	sq.subaccount = sub->name;
	sq.by = evhttp_find_header(&q, "by");
	sq.channel_type = evhttp_find_header(&q, "channel_type");
	if (sb_http_time_param(req, &q, "from", &sq.from_ms) < 0 ||
	    sb_http_time_param(req, &q, "until", &sq.until_ms) < 0)
		goto out;
	if (sb_stats_check(&sq, sb_now_ms(), &err) < 0 ||
	    (res = sb_store_stats(sb_http_daemon(api)->store, &sq, &err)) == NULL)
		sb_http_send_error(req, &err);
	else
		sb_http_send_json(req, 200, res);
out:
	evhttp_clear_headers(&q);
}
