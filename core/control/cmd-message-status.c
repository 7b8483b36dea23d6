/*
 * cmd-message-status.c - the read side of messages: "message.status"
 * (one message with its attempts and history) and "message.list"
 * (newest first, filtered, paged with `before`).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "status.h"
#include "store.h"

int
sb_exec_message_status(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *m;
	int64_t id;

	if (sb_arg_message_id(sb_ctl_args(req), &id, err) < 0)
		return -1;
	m = sb_store_message_json(sb_ctl_daemon(req)->store, id, NULL);
	if (m == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no message %lld", (long long)id);
	sb_ctl_reply(req, m);
	return 0;
}

/* A status word, or bad_argument listing the words of the status table. */
static int
parse_status(const char *word, int *out, struct sb_error *err)
{
	char words[256] = "";
	size_t used = 0;

	if ((*out = sb_status_parse(word)) >= 0)
		return 0;
	for (int i = 0; i < SB_ST_COUNT && used < sizeof(words); i++) {
		int w = snprintf(words + used, sizeof(words) - used, "%s%s", i ? ", " : "",
		    sb_status_name((enum sb_status)i));

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown status '%.32s' (expected one of:"
	    " %s)", word, words);
}

int
sb_exec_message_list(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	struct sb_list_query q = { .status = -1, .limit = 50 };
	const char *status = NULL;
	int64_t limit = 50;

	if (sb_arg_string(args, "status", SB_ARG_OPTIONAL, &status, err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0 ||
	    sb_arg_int(args, "before", SB_ARG_OPTIONAL, 1, INT64_MAX, &q.before_id, err) < 0 ||
	    sb_arg_int(args, "batch", SB_ARG_OPTIONAL, 1, INT64_MAX, &q.broadcast_id, err) < 0 ||
	    sb_arg_string(args, "subaccount", SB_ARG_OPTIONAL, &q.subaccount, err) < 0 ||
	    sb_arg_string(args, "channel", SB_ARG_OPTIONAL, &q.channel, err) < 0 ||
	    sb_arg_string(args, "to", SB_ARG_OPTIONAL, &q.to, err) < 0)
		return -1;
	if (status != NULL && parse_status(status, &q.status, err) < 0)
		return -1;
	q.limit = (int)limit;
	res = sb_store_message_list(sb_ctl_daemon(req)->store, &q);
	if (res == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "cannot list messages: %s",
		    sb_store_errmsg(sb_ctl_daemon(req)->store));
	sb_ctl_reply(req, res);
	return 0;
}
