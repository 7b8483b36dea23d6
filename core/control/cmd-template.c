/*
 * cmd-template.c - "template.set", "template.list", "template.show" and
 * "template.delete": the subaccount's templates (store_tpl.h), the same as
 * /v1/templates. Writes answer after their commit.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "cmd-broadcast.h"
#include "cmds.h"
#include "config.h"
#include "daemon.h"
#include "store_tpl.h"
#include "template.h"

/* The subaccount (default: the first configured) and the name, if `named`. */
static int
tpl_args(struct sb_ctl_req *req, int named, const char **sub, const char **name,
    struct sb_error *err)
{
	json_t *args = sb_ctl_args(req);
	const struct sb_config *cfg = sb_ctl_daemon(req)->cfg;

	if (sb_arg_subaccount_or_first(args, cfg, sub, err) < 0)
		return -1;
	if (!named)
		return 0;
	if (sb_arg_string(args, "name", SB_ARG_REQUIRED, name, err) < 0)
		return -1;
	return sb_template_name_check(*name, err);
}

/* The flags of "template set" as a spec for sb_template_spec_parse. */
static json_t *
tpl_spec_from_args(json_t *args, struct sb_error *err)
{
	static const char *const texts[] = { "text", "sms", "line_push", "line_notify" };
	const char *wa_name = NULL, *wa_lang = NULL, *wa_params = NULL, *v;
	json_t *in = json_object(), *spec;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		v = NULL; /* an absent argument leaves it as it was */
		if (sb_arg_string(args, texts[i], SB_ARG_OPTIONAL, &v, err) < 0)
			goto fail;
		if (v != NULL)
			json_object_set_new(in, texts[i], json_string(v));
	}
	if (sb_arg_string(args, "wa_name", SB_ARG_OPTIONAL, &wa_name, err) < 0 ||
	    sb_arg_string(args, "wa_language", SB_ARG_OPTIONAL, &wa_lang, err) < 0 ||
	    sb_arg_string(args, "wa_params", SB_ARG_OPTIONAL, &wa_params, err) < 0)
		goto fail;
	if (wa_name != NULL || wa_lang != NULL || wa_params != NULL) {
		json_t *params = json_array();

		for (const char *p = wa_params; p != NULL && *p != '\0';) {
			size_t n = strcspn(p, ",");

			json_array_append_new(params, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
		json_object_set_new(in, "whatsapp", json_pack("{s:s?, s:s?, s:o}", "name", wa_name,
		    "language", wa_lang, "params", params));
	}
	spec = sb_template_spec_parse(in, err);
	json_decref(in);
	return spec;
fail:
	json_decref(in);
	return NULL;
}

int
sb_exec_template_set(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub = NULL, *name = NULL;
	json_t *spec, *res;
	char user[128];

	if (tpl_args(req, 1, &sub, &name, err) < 0 ||
	    (spec = tpl_spec_from_args(sb_ctl_args(req), err)) == NULL)
		return -1;
	res = sb_store_template_put(sb_ctl_daemon(req)->store, sub, name, spec,
	    sb_ctl_peer_user(req, user, sizeof(user)), sb_now_ms(), err);
	json_decref(spec);
	if (res == NULL)
		return -1;
	sb_ctl_reply_after_commit(req, res);
	return 0;
}

int
sb_exec_template_list(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub = NULL;
	json_t *res;

	if (tpl_args(req, 0, &sub, NULL, err) < 0 ||
	    (res = sb_store_template_list(sb_ctl_daemon(req)->store, sub, err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_template_show(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub = NULL, *name = NULL;
	int64_t version = 0;
	json_t *res;

	if (tpl_args(req, 1, &sub, &name, err) < 0 ||
	    sb_arg_int(sb_ctl_args(req), "version", SB_ARG_OPTIONAL, 1, INT64_MAX, &version,
	    err) < 0 ||
	    (res = sb_store_template_show(sb_ctl_daemon(req)->store, sub, name, version,
	    err)) == NULL)
		return -1;
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_template_delete(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub = NULL, *name = NULL;

	if (tpl_args(req, 1, &sub, &name, err) < 0 ||
	    sb_store_template_delete(sb_ctl_daemon(req)->store, sub, name, sb_now_ms(), err) < 0)
		return -1;
	sb_ctl_reply_after_commit(req, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
	return 0;
}
