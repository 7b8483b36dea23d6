/*
 * cmd-folder.c - "folder.counts", "folder.list", "inbound.archive",
 * "inbound.unarchive", "inbound.delete", "contact.show", "contact.link", "flow.open",
 * "flow.list", "flow.close": the folders and flows of a subaccount
 * (default: the first configured), as /v1/folders, /v1/inbound,
 * /v1/contacts and /v1/flows serve them (store_inbox.h, inbound.h).
 */
#include <stdint.h>

#include "args.h"
#include "clock.h"
#include "cmds.h"
#include "config.h"
#include "daemon.h"
#include "inbound.h"
#include "store_inbox.h"

static int
folder_sub(struct sb_ctl_req *req, const char **sub, struct sb_error *err)
{
	*sub = NULL;
	return sb_arg_subaccount_or_first(sb_ctl_args(req), sb_ctl_daemon(req)->cfg, sub, err);
}

int
sb_exec_folder_counts(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub;
	json_t *res;

	if (folder_sub(req, &sub, err) < 0 ||
	    (res = sb_store_folder_counts(sb_ctl_daemon(req)->store, sub, err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_folder_list(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	struct sb_folder_query q = { 0 };
	int64_t limit = 50;

	if (folder_sub(req, &q.subaccount, err) < 0 ||
	    sb_arg_string(args, "folder", SB_ARG_REQUIRED, &q.folder, err) < 0 ||
	    sb_arg_int(args, "contact", SB_ARG_OPTIONAL, 1, INT64_MAX, &q.contact_id, err) < 0 ||
	    sb_arg_int(args, "before", SB_ARG_OPTIONAL, 1, INT64_MAX, &q.before_id, err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0 ||
	    sb_arg_time(args, "from", &q.from_ms, err) < 0 ||
	    sb_arg_time(args, "until", &q.until_ms, err) < 0)
		return -1;
	q.limit = (int)limit;
	res = sb_store_folder_list(sb_ctl_daemon(req)->store, &q, err);
	if (res == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

/* archive 1, unarchive 0, delete -1 */
static int
inbound_move(struct sb_ctl_req *req, int archive, struct sb_error *err)
{
	struct sb_store *st = sb_ctl_daemon(req)->store;
	const char *sub;
	int64_t id = 0;
	int rc;

	if (folder_sub(req, &sub, err) < 0 ||
	    sb_arg_int(sb_ctl_args(req), "id", SB_ARG_REQUIRED, 1, INT64_MAX, &id, err) < 0)
		return -1;
	rc = archive < 0 ? sb_store_inbound_delete(st, sub, id, err) :
	    sb_store_inbound_archive(st, sub, id, archive, sb_now_ms(), err);
	if (rc < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:s}", "id", (json_int_t)id, "folder",
	    archive < 0 ? "deleted" : archive ? "archived" : "back"));
	return 0;
}

int
sb_exec_inbound_archive(struct sb_ctl_req *req, struct sb_error *err)
{
	return inbound_move(req, 1, err);
}

int
sb_exec_inbound_unarchive(struct sb_ctl_req *req, struct sb_error *err)
{
	return inbound_move(req, 0, err);
}

int
sb_exec_inbound_delete(struct sb_ctl_req *req, struct sb_error *err)
{
	return inbound_move(req, -1, err);
}

int
sb_exec_contact_show(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub;
	int64_t id = 0;
	json_t *res;

	if (folder_sub(req, &sub, err) < 0 ||
	    sb_arg_int(sb_ctl_args(req), "id", SB_ARG_REQUIRED, 1, INT64_MAX, &id, err) < 0 ||
	    (res = sb_store_contact_json(sb_ctl_daemon(req)->store, sub, id, err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_contact_link(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const char *sub, *kind = NULL, *value = NULL;
	int64_t id = 0;

	if (folder_sub(req, &sub, err) < 0 ||
	    sb_arg_int(args, "id", SB_ARG_REQUIRED, 1, INT64_MAX, &id, err) < 0 ||
	    sb_arg_string(args, "kind", SB_ARG_REQUIRED, &kind, err) < 0 ||
	    sb_arg_string(args, "value", SB_ARG_REQUIRED, &value, err) < 0 ||
	    (res = sb_contact_identity_add(sb_ctl_daemon(req),
	    sb_config_subaccount(sb_ctl_daemon(req)->cfg, sub), id, kind, value, err)) == NULL)
		return -1;
	sb_ctl_reply_after_commit(req, res);
	return 0;
}

int
sb_exec_flow_open(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const struct sb_config *cfg = sb_ctl_daemon(req)->cfg;
	struct sb_flow_req fr = { 0 };
	const char *sub;

	if (folder_sub(req, &sub, err) < 0 ||
	    sb_arg_string(args, "to", SB_ARG_OPTIONAL, &fr.to, err) < 0 ||
	    sb_arg_int(args, "contact", SB_ARG_OPTIONAL, 1, INT64_MAX, &fr.contact, err) < 0 ||
	    sb_arg_string(args, "callback_url", SB_ARG_REQUIRED, &fr.callback_url, err) < 0 ||
	    sb_arg_string(args, "ttl", SB_ARG_REQUIRED, &fr.ttl, err) < 0)
		return -1;
	res = sb_flow_open(sb_ctl_daemon(req), sb_config_subaccount(cfg, sub), &fr, err);
	if (res == NULL)
		return -1;
	sb_ctl_reply_after_commit(req, res);
	return 0;
}

int
sb_exec_flow_list(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub;
	json_t *res;

	if (folder_sub(req, &sub, err) < 0 ||
	    (res = sb_store_flow_list(sb_ctl_daemon(req)->store, sub, sb_now_ms(), err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_flow_close(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub;
	int64_t id = 0;

	if (folder_sub(req, &sub, err) < 0 ||
	    sb_arg_int(sb_ctl_args(req), "id", SB_ARG_REQUIRED, 1, INT64_MAX, &id, err) < 0 ||
	    sb_store_flow_close(sb_ctl_daemon(req)->store, sub, id, sb_now_ms(), err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:I, s:b}", "id", (json_int_t)id, "closed", 1));
	return 0;
}
