/*
 * cmd-filter-check.c - "filter.check": what the content filters would say
 * about a text, without storing or sending anything (support uses it to
 * explain a rejection and to test an allowlist entry).
 */
#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "dispatch.h"

int
sb_exec_filter_check(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	json_t *args = sb_ctl_args(req);
	const char *sub, *text, *to = NULL;
	char reason[512];
	int blocked = 0;

	if (sb_arg_subaccount(args, d->cfg, &sub, err) < 0 ||
	    sb_arg_string(args, "text", SB_ARG_REQUIRED, &text, err) < 0 ||
	    sb_arg_string(args, "to", SB_ARG_OPTIONAL, &to, err) < 0)
		return -1;
	if (sb_dispatch_filter_check(d->dispatch, sub, to, text, &blocked, reason,
	    sizeof(reason), err) < 0)
		return -1;
	sb_ctl_reply(req, json_pack("{s:s, s:o}", "verdict", blocked ? "block" : "allow",
	    "reason", blocked ? sb_ctl_string(reason) : json_null()));
	return 0;
}
