/*
 * cmd-clock-advance.c - "clock.advance" (test mode only): move the
 * daemon's wall clock forward by `ms`, so tests see hours of schedules,
 * fallbacks and expiry in seconds. Never available in production (-T).
 */
#include "args.h"
#include "clock.h"
#include "cmds.h"
#include "daemon.h"
#include "dispatch.h"
#include "timefmt.h"

int
sb_exec_clock_advance(struct sb_ctl_req *req, struct sb_error *err)
{
	char now[32];
	int64_t ms;

	/* A year at most: enough for any validity period, far from overflow. */
	if (sb_arg_int(sb_ctl_args(req), "ms", SB_ARG_REQUIRED, 1, INT64_C(366) * 86400000,
	    &ms, err) < 0)
		return -1;
	sb_clock_advance(ms);
	sb_dispatch_kick(sb_ctl_daemon(req)->dispatch);
	sb_ctl_reply(req, json_pack("{s:I, s:s}", "offset_ms", (json_int_t)sb_clock_offset(),
	    "now", sb_format_iso8601_ms(sb_now_ms(), now, sizeof(now))));
	return 0;
}
