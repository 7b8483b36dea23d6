/*
 * cmd-message-search.c - "message.search": the operator's message search
 * (store_search.h) over one subaccount (default: the first configured),
 * with the same filters and limits as GET /v1/search.
 */
#include <stddef.h>
#include <string.h>

#include "args.h"
#include "cmd-broadcast.h"
#include "config.h"
#include "daemon.h"
#include "phone.h"
#include "store_search.h"

static const struct {
	const char *key;
	size_t offset;
} strings[] = {
	{ "status", offsetof(struct sb_search, status) },
	{ "group", offsetof(struct sb_search, group) },
	{ "channel_type", offsetof(struct sb_search, channel_type) },
	{ "template", offsetof(struct sb_search, template_name) },
	{ "file_name", offsetof(struct sb_search, file_name) },
	{ "text", offsetof(struct sb_search, text) },
};

int
sb_exec_message_search(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *res;
	const struct sb_config *cfg = sb_ctl_daemon(req)->cfg;
	const struct sb_config_subaccount *sub;
	struct sb_search s = { .limit = 50 };
	const char *to = NULL, *cc = NULL, *why = NULL;
	char norm[40];
	int64_t limit = 50;

	if (sb_arg_subaccount_or_first(args, cfg, &s.subaccount, err) < 0)
		return -1;
	sub = sb_config_subaccount(cfg, s.subaccount);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (sb_arg_string(args, strings[i].key, SB_ARG_OPTIONAL,
		    (const char **)((char *)&s + strings[i].offset), err) < 0)
			return -1;
	if (sb_arg_string(args, "to", SB_ARG_OPTIONAL, &to, err) < 0 ||
	    sb_arg_string(args, "country", SB_ARG_OPTIONAL, &cc, err) < 0 ||
	    sb_arg_int(args, "broadcast", SB_ARG_OPTIONAL, 1, INT64_MAX, &s.broadcast_id,
	    err) < 0 ||
	    sb_arg_int(args, "before", SB_ARG_OPTIONAL, 1, INT64_MAX, &s.before_id, err) < 0 ||
	    sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &limit, err) < 0 ||
	    sb_arg_time(args, "from", &s.from_ms, err) < 0 ||
	    sb_arg_time(args, "until", &s.until_ms, err) < 0)
		return -1;
	if (cc != NULL && to == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'country' needs 'to'");
	if (cc != NULL && (strspn(cc, "0123456789") != strlen(cc) || strlen(cc) > 3))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'country' must be a calling code of"
		    " 1 to 3 digits (got '%.8s')", cc);
	if (to != NULL && sb_phone_normalize(to, cc != NULL ? cc : sub->default_country, norm,
	    sizeof(norm), &why) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "invalid phone number in 'to': %s",
		    why);
	s.to = to != NULL ? norm : NULL;
	s.limit = (int)limit;
	if (sb_search_check(&s, err) < 0)
		return -1;
	res = sb_store_search(sb_ctl_daemon(req)->store, &s, err);
	if (res == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}
