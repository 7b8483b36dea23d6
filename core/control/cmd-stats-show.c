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

int
sb_exec_stats_show(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const struct sb_config *cfg = sb_ctl_daemon(req)->cfg;
	struct sb_stats_query q = { 0 };

	if (sb_arg_subaccount_or_first(args, cfg, &q.subaccount, err) < 0 ||
	    sb_arg_string(args, "by", SB_ARG_REQUIRED, &q.by, err) < 0 ||
	    sb_arg_time(args, "from", &q.from_ms, err) < 0 ||
	    sb_arg_time(args, "until", &q.until_ms, err) < 0)
		return -1;
	if (sb_stats_check(&q, sb_now_ms(), err) < 0 ||
	    (res = sb_store_stats(sb_ctl_daemon(req)->store, &q, err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}
