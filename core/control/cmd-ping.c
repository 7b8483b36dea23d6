/*
 * cmd-ping.c - "ping": is the daemon alive, which version, which pid.
 * Scripts wait for it after starting the daemon; it touches nothing.
 */
#include <unistd.h>

#include "cmds.h"

#ifndef PACKAGE_VERSION /* autoconf passes it with DEFS */
#define PACKAGE_VERSION "unknown"
#endif

int
sb_exec_ping(struct sb_ctl_req *req, struct sb_error *err)
{
	sb_ctl_reply(req, json_pack("{s:b, s:s, s:I, s:i}", "pong", 1, "version",
	    PACKAGE_VERSION, "pid", (json_int_t)getpid(), "protocol", SB_CTL_PROTOCOL));
	return 0;
}
