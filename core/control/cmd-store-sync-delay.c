/*
 * cmd-store-sync-delay.c - "store.sync_delay" (test mode only): make the
 * store's syncer take `ms` longer for every fsync, as a slow disk would,
 * so tests can act inside the window between a commit and its sync (and
 * prove that nothing is acknowledged in it). Never available in
 * production (-T).
 */
#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "store.h"

int
sb_exec_store_sync_delay(struct sb_ctl_req *req, struct sb_error *err)
{
	int64_t ms;

	if (sb_arg_int(sb_ctl_args(req), "ms", SB_ARG_REQUIRED, 0, 60000, &ms, err) < 0)
		return -1;
	sb_store_set_sync_delay(sb_ctl_daemon(req)->store, ms);
	sb_ctl_reply(req, json_pack("{s:I}", "sync_delay_ms", (json_int_t)ms));
	return 0;
}
