/*
 * cmd-broadcast.c - "broadcast.list", "broadcast.show", "broadcast.stop"
 * and "broadcast.restart": the operator's view and steering of
 * broadcasts. Stop and restart answer after the commit of what they
 * changed; both are idempotent (a second restart answers with the first).
 */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "args.h"
#include "cmd-broadcast.h"
#include "daemon.h"
#include "dispatch.h"
#include "store_bcast.h"
#include "timefmt.h"

const char *
sb_ctl_peer_user(struct sb_ctl_req *req, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];
	uid_t uid = sb_ctl_uid(req);

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid:%lu", (unsigned long)uid);
	return buf;
}

static int
bcast_id(json_t *args, int64_t *id, struct sb_error *err)
{
	return sb_arg_int(args, "id", SB_ARG_REQUIRED, 1, INT64_MAX, id, err) < 0 ? -1 : 0;
}

int
sb_exec_broadcast_list(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const char *sub = NULL;
	int64_t before = 0, limit = 50;

	if (sb_arg_subaccount(args, sb_ctl_daemon(req)->cfg, &sub, err) < 0 ||
	    sb_arg_int(args, "before", SB_ARG_OPTIONAL, 1, INT64_MAX, &before, err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0)
		return -1;
	res = sb_store_broadcast_list(sb_ctl_daemon(req)->store, sub, before, (int)limit);
	if (res == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "cannot list broadcasts");
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_broadcast_show(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	int64_t id, ok_before = 0, failed_before = 0, limit = 50;

	if (bcast_id(args, &id, err) < 0 ||
	    sb_arg_int(args, "successful_before", SB_ARG_OPTIONAL, 1, INT64_MAX, &ok_before,
	    err) < 0 ||
	    sb_arg_int(args, "failed_before", SB_ARG_OPTIONAL, 1, INT64_MAX, &failed_before,
	    err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0)
		return -1;
	res = sb_store_broadcast_json(sb_ctl_daemon(req)->store, id, NULL, ok_before,
	    failed_before, (int)limit);
	if (res == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no broadcast %lld", (long long)id);
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_broadcast_stop(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	int64_t id, stopped_ms = 0;
	char when[40];

	if (bcast_id(sb_ctl_args(req), &id, err) < 0 ||
	    sb_dispatch_broadcast_stop(d->dispatch, id, NULL, &stopped_ms, err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "status", "stopped", "stopped", sb_format_iso8601_ms(stopped_ms, when,
	    sizeof(when))));
	return 0;
}

int
sb_exec_broadcast_restart(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	struct sb_restart_result r;
	char user[128];
	int64_t id;

	if (bcast_id(sb_ctl_args(req), &id, err) < 0 ||
	    sb_dispatch_broadcast_restart(d->dispatch, id, NULL,
	    sb_ctl_peer_user(req, user, sizeof(user)), &r, err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:I, s:I, s:b}", "id", (json_int_t)r.id,
	    "restart_of", (json_int_t)r.restart_of, "recipients", (json_int_t)r.recipients,
	    "existing", r.existing));
	return 0;
}
