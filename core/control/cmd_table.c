/*
 * cmd_table.c - every control command, in the order `help` lists them.
 * Lookup and "did you mean" are control_proto.c's; this is only data.
 */
#include <stddef.h>

#include "cmd-broadcast.h"
#include "cmds.h"

const struct sb_cmd *const sb_cmd_table[] = {
	&sb_cmd_ping,
	&sb_cmd_plugin_list,
	&sb_cmd_plugin_reload,
	&sb_cmd_config_reload,
	&sb_cmd_message_send,
	&sb_cmd_message_status,
	&sb_cmd_message_list,
	&sb_cmd_message_cancel,
	&sb_cmd_message_reschedule,
	&sb_cmd_message_resend,
	&sb_cmd_filter_check,
	&sb_cmd_filter_allow,
	&sb_cmd_filter_revoke,
	&sb_cmd_filter_list,
	&sb_cmd_message_search,
	&sb_cmd_message_preview,
	&sb_cmd_stats_show,
	&sb_cmd_broadcast_list,
	&sb_cmd_broadcast_show,
	&sb_cmd_broadcast_stop,
	&sb_cmd_broadcast_restart,
	&sb_cmd_clock_advance,
	NULL,
};
