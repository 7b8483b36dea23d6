/*
 * cmds.h - the handlers of control/cmd-*.c, for the command table
 * (core/ctl_spec.c, built with SB_CTL_DAEMON).
 *
 * A new command is a new cmd-<noun>-<verb>.c with its handler, a line
 * here, a row of ctl_spec.c (words, help, typed arguments, flags, handler)
 * and a line in sources.mk. Handlers read their arguments with args.h;
 * the daemon has already refused unknown keys and keys of the wrong JSON
 * type (control_proto.c, from the same row).
 */
#ifndef SB_CONTROL_CMDS_H
#define SB_CONTROL_CMDS_H

#include "control.h"
#include "ctl_spec.h"

int sb_exec_ping(struct sb_ctl_req *req, struct sb_error *err);            /* cmd-ping.c */
int sb_exec_plugin_list(struct sb_ctl_req *req, struct sb_error *err);     /* cmd-plugin.c */
int sb_exec_plugin_reload(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-plugin.c */
int sb_exec_config_reload(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-config-reload.c */
int sb_exec_message_send(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-message-send.c */
int sb_exec_message_resend(struct sb_ctl_req *req, struct sb_error *err);  /* cmd-message-send.c */
int sb_exec_message_status(struct sb_ctl_req *req, struct sb_error *err);  /* cmd-message-status.c */
int sb_exec_message_list(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-message-status.c */
int sb_exec_message_cancel(struct sb_ctl_req *req, struct sb_error *err);  /* cmd-message-cancel.c */
int sb_exec_message_reschedule(struct sb_ctl_req *req, struct sb_error *err);
    /* cmd-message-reschedule.c */
int sb_exec_filter_check(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-filter-check.c */
int sb_exec_filter_allow(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-filter-allow.c */
int sb_exec_filter_revoke(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-filter-allow.c */
int sb_exec_filter_list(struct sb_ctl_req *req, struct sb_error *err);     /* cmd-filter-allow.c */
int sb_exec_template_set(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-template.c */
int sb_exec_template_list(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-template.c */
int sb_exec_template_show(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-template.c */
int sb_exec_template_delete(struct sb_ctl_req *req, struct sb_error *err); /* cmd-template.c */
int sb_exec_folder_counts(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-folder.c */
int sb_exec_folder_list(struct sb_ctl_req *req, struct sb_error *err);     /* cmd-folder.c */
int sb_exec_inbound_archive(struct sb_ctl_req *req, struct sb_error *err); /* cmd-folder.c */
int sb_exec_inbound_unarchive(struct sb_ctl_req *req, struct sb_error *err); /* cmd-folder.c */
int sb_exec_inbound_delete(struct sb_ctl_req *req, struct sb_error *err);  /* cmd-folder.c */
int sb_exec_contact_show(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-folder.c */
int sb_exec_contact_link(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-folder.c */
int sb_exec_flow_open(struct sb_ctl_req *req, struct sb_error *err);       /* cmd-folder.c */
int sb_exec_flow_list(struct sb_ctl_req *req, struct sb_error *err);       /* cmd-folder.c */
int sb_exec_flow_close(struct sb_ctl_req *req, struct sb_error *err);      /* cmd-folder.c */
int sb_exec_events_failed(struct sb_ctl_req *req, struct sb_error *err);    /* cmd-events.c */
int sb_exec_events_redeliver(struct sb_ctl_req *req, struct sb_error *err); /* cmd-events.c */
int sb_exec_clock_advance(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-clock-advance.c (test mode) */
int sb_exec_store_sync_delay(struct sb_ctl_req *req, struct sb_error *err); /* cmd-store-sync-delay.c (test mode) */

#endif
