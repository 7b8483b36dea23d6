/*
 * cmd-message-reschedule.c - "message.reschedule": a scheduled message
 * gets a new send time, and optionally a new text (checked by the content
 * filters again). The answer waits for the commit, so the new time holds
 * after a crash. Only a message still `scheduled` can be changed.
 */
#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "dispatch.h"
#include "timefmt.h"

int
sb_exec_message_reschedule(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req);
	const char *at = NULL, *text = NULL;
	char when[40];
	int64_t id, at_ms;

	if (sb_arg_message_id(args, &id, err) < 0 ||
	    sb_arg_string(args, "at", SB_ARG_REQUIRED, &at, err) < 0 ||
	    sb_arg_string(args, "text", SB_ARG_OPTIONAL, &text, err) < 0)
		return -1;
	if (sb_parse_iso8601_ms(at, &at_ms) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'at' must be an ISO 8601 time with"
		    " an offset, e.g. 2026-11-23T18:00:00-03:00 (got '%.40s')", at);
	if (sb_dispatch_reschedule(sb_ctl_daemon(req)->dispatch, id, NULL, &at_ms, text, err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "status", "scheduled", "send_at", sb_format_iso8601_ms(at_ms, when, sizeof(when))));
	return 0;
}
