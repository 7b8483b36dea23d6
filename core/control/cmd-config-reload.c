/*
 * cmd-config-reload.c - "config.reload": the same as SIGHUP, but the
 * caller learns whether the new file was taken and, if not, why.
 */
#include "cmds.h"
#include "daemon.h"

int
sb_exec_config_reload(struct sb_ctl_req *req, struct sb_error *err)
{
	struct sb_daemon *d = sb_ctl_daemon(req);

	if (sb_daemon_reload_config(d, err) < 0)
		return -1;
	sb_ctl_reply(req, json_pack("{s:s, s:b}", "config", d->config_path, "reloaded", 1));
	return 0;
}
