/*
 * cmd-plugin.c - "plugins" (modules, ABI, instances and their counters)
 * and "plugin.reload" (reopen one module's file, recreate its instances;
 * in-flight sends finish on the old ones, see loader.h).
 */
#include "args.h"
#include "cmds.h"
#include "daemon.h"
#include "loader.h"

int
sb_exec_plugin_list(struct sb_ctl_req *req, struct sb_error *err)
{
	json_t *res = sb_loader_json(sb_ctl_daemon(req)->loader);

	if (res == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "cannot list the plugins");
	sb_ctl_reply(req, res);
	return 0;
}

int
sb_exec_plugin_reload(struct sb_ctl_req *req, struct sb_error *err)
{
	const char *name;

	if (sb_arg_string(sb_ctl_args(req), "name", SB_ARG_REQUIRED, &name, err) < 0 ||
	    sb_loader_reload_module(sb_ctl_daemon(req)->loader, name, err) < 0)
		return -1;
	sb_ctl_reply(req, json_pack("{s:s, s:b}", "module", name, "reloaded", 1));
	return 0;
}
