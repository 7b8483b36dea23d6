/*
 * cmd-filter-allow.c - the allowlist of the content filter: "filter.allow"
 * and "filter.revoke" (one term or one link domain, for one subaccount or
 * globally; answered after the commit) and "filter.list".
 *
 * Answers and log lines show the value as stored (folded, canonical), which
 * is what the filter compares and what `filter list` shows. Each change is
 * logged with the uid and what it opened or closed: revoked entries leave
 * no other trace.
 */
#include <stdio.h>

#include "args.h"
#include "allowlist.h"
#include "cmds.h"
#include "daemon.h"
#include "log.h"

/* Exactly one of "term" / "domain": which kind, and its value. */
static int
entry_args(json_t *args, const char **kind, const char **value, struct sb_error *err)
{
	const char *term = NULL, *domain = NULL;

	if (sb_arg_string(args, "term", SB_ARG_OPTIONAL, &term, err) < 0 ||
	    sb_arg_string(args, "domain", SB_ARG_OPTIONAL, &domain, err) < 0)
		return -1;
	if ((term == NULL) == (domain == NULL))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "give exactly one of 'term' or"
		    " 'domain'");
	*kind = term != NULL ? "term" : "domain";
	*value = term != NULL ? term : domain;
	return 0;
}

static json_t *
entry_json(const char *sub, const char *kind, const char *value)
{
	return json_pack("{s:o, s:s, s:s}", "subaccount", sub ? json_string(sub) : json_null(),
	    "kind", kind, "value", value);
}

/* The stored form of `value` for answers and logs (as typed if it has none). */
static const char *
stored_form(const char *kind, const char *value, char *buf, size_t len)
{
	return sb_allowlist_normalise(kind, value, buf, len, NULL) == 0 ? buf : value;
}

static void
log_change(struct sb_ctl_req *req, const char *verb, const char *sub, const char *kind,
    const char *value)
{
	sb_log(SB_LOG_INFO, "filter: uid=%lu %s %s '%s' for %s", (unsigned long)sb_ctl_uid(req),
	    verb, kind, value, sub != NULL ? sub : "all subaccounts");
}

int
sb_exec_filter_allow(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	const char *sub, *kind, *value;
	char stored[512];

	/* A new entry must name a configured subaccount: a typo would be silent. */
	if (sb_arg_subaccount(sb_ctl_args(req), d->cfg, &sub, err) < 0 ||
	    entry_args(sb_ctl_args(req), &kind, &value, err) < 0 ||
	    sb_allowlist_add(d->allow, sub, kind, value, sb_ctl_uid(req), err) < 0)
		return -1;
	value = stored_form(kind, value, stored, sizeof(stored));
	log_change(req, "allowed", sub, kind, value);
	sb_ctl_reply_after_commit(req, entry_json(sub, kind, value));
	return 0;
}

int
sb_exec_filter_revoke(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);
	const char *sub = NULL, *kind, *value;
	char stored[512];

	/* Not checked against the config: entries of a removed subaccount
	 * must still be removable. */
	if (sb_arg_string(sb_ctl_args(req), "subaccount", SB_ARG_OPTIONAL, &sub, err) < 0 ||
	    entry_args(sb_ctl_args(req), &kind, &value, err) < 0 ||
	    sb_allowlist_revoke(d->allow, sub, kind, value, err) < 0)
		return -1;
	value = stored_form(kind, value, stored, sizeof(stored));
	log_change(req, "revoked", sub, kind, value);
	sb_ctl_reply_after_commit(req, entry_json(sub, kind, value));
	return 0;
}

int
sb_exec_filter_list(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *sub = NULL;
	json_t *res;

	if (sb_arg_string(sb_ctl_args(req), "subaccount", SB_ARG_OPTIONAL, &sub, err) < 0)
		return -1;
	res = sb_allowlist_json(sb_ctl_daemon(req)->allow, sub);
	if (res == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "cannot list the allowlist");
	sb_ctl_reply(req, res);
	return 0;
}
