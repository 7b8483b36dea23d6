/*
 * cmd-message-preview.c - "message.preview": one message as the
 * operator's preview shows it (store_preview.h): content as sent, SMS
 * segments, delivering channel and type, attempts, times, user and
 * broadcast.
 */
#include "args.h"
#include "cmd-broadcast.h"
#include "daemon.h"
#include "store_preview.h"

int
sb_exec_message_preview(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *res;
	int64_t id;

	if (sb_arg_message_id(sb_ctl_args(req), &id, err) < 0)
		return -1;
	res = sb_store_message_preview(sb_ctl_daemon(req)->store, id, NULL);
	if (res == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no message %lld", (long long)id);
	sb_ctl_reply(req, res);
	return 0;
}
