/*
 * cmd-events.c - "events.failed" and "events.redeliver": the operator's
 * view of events applications never took (their last error says why),
 * and sending one again. Redeliver answers after the commit, so a crash
 * right after it still delivers the event.
 */
#include "args.h"
#include "clock.h"
#include "cmds.h"
#include "daemon.h"
#include "events.h"
#include "store_events.h"

int
sb_exec_events_failed(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	struct sb_event_query q = { .state = SB_EVT_FAILED };
	int64_t before = 0, limit = 50;

	if (sb_arg_subaccount(args, sb_ctl_daemon(req)->cfg, &q.subaccount, err) < 0 ||
	    sb_arg_int(args, "before", SB_ARG_OPTIONAL, 1, INT64_MAX, &before, err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0)
		return -1;
	q.before_id = before;
	q.limit = (int)limit;
	res = sb_store_events_list(sb_ctl_daemon(req)->store, &q, err);
	if (res == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_events_redeliver(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	int64_t id;

	if (sb_arg_int(sb_ctl_args(req), "id", SB_ARG_REQUIRED, 1, INT64_MAX, &id, err) < 0 ||
	    sb_store_event_redeliver(d->store, id, NULL, sb_now_ms(), err) < 0)
		return -1;
	sb_events_kick(d->events);
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state",
	    "pending"));
	return 0;
}
