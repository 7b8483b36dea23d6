/*
 * cmds.h - the command entries of control/cmd-*.c, for cmd_table.c.
 *
 * A new command is a new cmd-<noun>-<verb>.c exporting one const struct
 * sb_cmd, a line here, a line in cmd_table.c and a line in sources.mk;
 * its CLI face is a row of ctl_spec.c.
 */
#ifndef SB_CONTROL_CMDS_H
#define SB_CONTROL_CMDS_H

#include "control.h"

extern const struct sb_cmd sb_cmd_ping;             /* cmd-ping.c */
extern const struct sb_cmd sb_cmd_plugin_list;      /* cmd-plugin.c: "plugins" */
extern const struct sb_cmd sb_cmd_plugin_reload;    /* cmd-plugin.c */
extern const struct sb_cmd sb_cmd_config_reload;    /* cmd-config-reload.c */
extern const struct sb_cmd sb_cmd_message_send;     /* cmd-message-send.c */
extern const struct sb_cmd sb_cmd_message_resend;   /* cmd-message-send.c */
extern const struct sb_cmd sb_cmd_message_status;   /* cmd-message-status.c */
extern const struct sb_cmd sb_cmd_message_list;     /* cmd-message-status.c */
extern const struct sb_cmd sb_cmd_message_cancel;   /* cmd-message-cancel.c */
extern const struct sb_cmd sb_cmd_message_reschedule; /* cmd-message-reschedule.c */
extern const struct sb_cmd sb_cmd_filter_check;     /* cmd-filter-check.c */
extern const struct sb_cmd sb_cmd_filter_allow;     /* cmd-filter-allow.c */
extern const struct sb_cmd sb_cmd_filter_revoke;    /* cmd-filter-allow.c */
extern const struct sb_cmd sb_cmd_filter_list;      /* cmd-filter-allow.c */
extern const struct sb_cmd sb_cmd_clock_advance;    /* cmd-clock-advance.c (test mode) */
extern const struct sb_cmd sb_cmd_store_sync_delay; /* cmd-store-sync-delay.c (test mode) */

#endif
