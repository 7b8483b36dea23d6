/*
 * cmd-stats-show.c - "stats.show": delivery statistics of a
 * subaccount (default: the first configured) per template or per channel
 * type over whole UTC days of trigger time, at most 3 months
 * (store_stats.h); the same as GET /v1/stats.
 */
#include "args.h"
#include "clock.h"
#include "cmd-broadcast.h"
#include "config.h"
#include "daemon.h"
#include "store_stats.h"
#include "timefmt.h"

static int
time_arg(json_t *args, const char *key, int64_t *out, struct sb_error *err)
{
	const char *v = NULL, *why = NULL;

	*out = 0;
	if (sb_arg_string(args, key, SB_ARG_OPTIONAL, &v, err) < 0)
		return -1;
	if (v != NULL && sb_parse_iso8601_why(v, out, &why) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' %s", key, why);
	return 0;
}

int
sb_exec_stats_show(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const struct sb_config *cfg = sb_ctl_daemon(req)->cfg;
	struct sb_stats_query q = { 0 };

	if (sb_arg_subaccount(args, cfg, &q.subaccount, err) < 0 ||
	    sb_arg_string(args, "by", SB_ARG_REQUIRED, &q.by, err) < 0 ||
	    time_arg(args, "from", &q.from_ms, err) < 0 ||
	    time_arg(args, "until", &q.until_ms, err) < 0)
		return -1;
	if (q.subaccount == NULL && cfg->nsubaccounts > 0)
		q.subaccount = cfg->subaccounts[0].name;
	if (q.subaccount == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no subaccount is configured");
	if (sb_stats_check(&q, sb_now_ms(), err) < 0 ||
	    (res = sb_store_stats(sb_ctl_daemon(req)->store, &q, err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}
