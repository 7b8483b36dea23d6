/*
 * cmd-message-cancel.c - "message.cancel": stop a message that is still
 * scheduled or queued. The answer waits for the commit, so "cancelled"
 * means it will not be sent even after a crash.
 */
#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "dispatch.h"

int
sb_exec_message_cancel(struct sb_ctl_req *req, struct sb_error *err)
{
	int64_t id;

	if (sb_arg_message_id(sb_ctl_args(req), &id, err) < 0 ||
	    sb_dispatch_cancel(sb_ctl_daemon(req)->dispatch, id, NULL, err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status",
	    "cancelled"));
	return 0;
}
