/*
 * cmd-message-send.c - "message.send" (submit one message) and
 * "message.resend" (a copy of a finished message, linked to it).
 *
 * Both answer from the dispatcher's done callback, which runs after the
 * group commit: a success response is a durable acknowledgement.
 */
#include <stddef.h>
#include <stdlib.h>

#include "args.h"
#include "cmd-broadcast.h"
#include "cmds.h"
#include "daemon.h"
#include "dispatch.h"
#include "timefmt.h"

static void
sent(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	struct sb_ctl_req *req = arg;

	if (err != NULL)
		sb_ctl_fail(req, err);
	else
		sb_ctl_reply(req, json_pack("{s:I, s:b}", "id", (json_int_t)id, "duplicate",
		    duplicate));
}

/* The string arguments and where they go; `at` and `vars` need converting. */
static const struct {
	const char *key;
	size_t offset;
	enum sb_arg_need need;
} send_strings[] = {
	{ "to", offsetof(struct sb_submit, to), SB_ARG_REQUIRED },
	{ "text", offsetof(struct sb_submit, text), SB_ARG_OPTIONAL },
	{ "chain", offsetof(struct sb_submit, chain), SB_ARG_OPTIONAL },
	{ "subaccount", offsetof(struct sb_submit, subaccount), SB_ARG_OPTIONAL },
	{ "from", offsetof(struct sb_submit, from), SB_ARG_OPTIONAL },
	{ "template", offsetof(struct sb_submit, template_name), SB_ARG_OPTIONAL },
	{ "lang", offsetof(struct sb_submit, template_lang), SB_ARG_OPTIONAL },
	{ "idempotency_key", offsetof(struct sb_submit, idempotency_key), SB_ARG_OPTIONAL },
};

int
sb_exec_message_send(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *args = sb_ctl_args(req), *vars = NULL;
	struct sb_submit s = { 0 };
	const char *at = NULL;
	char *vars_text = NULL, user[128];
	struct sb_bcast_origin origin = { .source = "control", .single = 1 };
	int rc;

	for (size_t i = 0; i < sizeof(send_strings) / sizeof(send_strings[0]); i++)
		if (sb_arg_string(args, send_strings[i].key, send_strings[i].need,
		    (const char **)((char *)&s + send_strings[i].offset), err) < 0)
			return -1;
	if (sb_arg_string(args, "at", SB_ARG_OPTIONAL, &at, err) < 0 ||
	    sb_arg_object(args, "vars", SB_ARG_OPTIONAL, &vars, err) < 0 ||
	    sb_arg_int(args, "template_version", SB_ARG_OPTIONAL, 1, INT64_MAX,
	    &s.template_version, err) < 0)
		return -1;
	if (at != NULL && sb_parse_iso8601_ms(at, &s.send_at_ms) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'at' must be an ISO 8601 time with"
		    " an offset, e.g. 2026-11-23T18:00:00-03:00 (got '%.40s')", at);
	if ((s.text == NULL) == (s.template_name == NULL))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "give either 'text' or 'template'");
	if ((s.template_lang != NULL || vars != NULL || s.template_version > 0) &&
	    s.template_name == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'lang', 'vars' and"
		    " 'template_version' need 'template'");
	if (vars != NULL && (vars_text = json_dumps(vars, JSON_COMPACT)) == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	s.template_vars = vars_text;
	origin.user = sb_ctl_peer_user(req, user, sizeof(user));
	s.bcast = &origin;
	/* The dispatcher copies what it keeps before returning. */
	rc = sb_dispatch_submit(sb_ctl_daemon(req)->dispatch, &s, sent, req, err);
	free(vars_text);
	return rc;
}

static void
resent(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	struct sb_ctl_req *req = arg;
	/* Validated before the resend started; the request still holds it. */
	json_int_t old = json_integer_value(json_object_get(sb_ctl_args(req), "id"));

	if (err != NULL)
		sb_ctl_fail(req, err);
	else
		sb_ctl_reply(req, json_pack("{s:I, s:I}", "id", (json_int_t)id, "resend_of", old));
}

int
sb_exec_message_resend(struct sb_ctl_req *req, struct sb_error *err)
{
	int64_t id;

	if (sb_arg_message_id(sb_ctl_args(req), &id, err) < 0)
		return -1;
	return sb_dispatch_resend(sb_ctl_daemon(req)->dispatch, id, NULL, resent, req, err);
}
