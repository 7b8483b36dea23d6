/*
 * cmd-broadcast.h - the handlers of the broadcast, search, preview and
 * stats commands, for their rows in ctl_spec.c (via ctl_bcast.h).
 */
#ifndef SB_CONTROL_CMD_BROADCAST_H
#define SB_CONTROL_CMD_BROADCAST_H

#include "control.h"

int sb_exec_broadcast_list(struct sb_ctl_req *req, struct sb_error *err);
int sb_exec_broadcast_show(struct sb_ctl_req *req, struct sb_error *err);
int sb_exec_broadcast_stop(struct sb_ctl_req *req, struct sb_error *err);
int sb_exec_broadcast_restart(struct sb_ctl_req *req, struct sb_error *err);
int sb_exec_broadcast_send(struct sb_ctl_req *req, struct sb_error *err);   /* cmd-broadcast-file.c */
int sb_exec_broadcast_upload(struct sb_ctl_req *req, struct sb_error *err); /* cmd-broadcast-file.c */
int sb_exec_message_search(struct sb_ctl_req *req, struct sb_error *err);  /* cmd-message-search.c */
int sb_exec_message_preview(struct sb_ctl_req *req, struct sb_error *err); /* cmd-message-preview.c */
int sb_exec_stats_show(struct sb_ctl_req *req, struct sb_error *err);      /* cmd-stats-show.c */

/*
 * The control peer's user name (from its uid), "uid:N" when it has none,
 * in buf. What a broadcast records as the user who triggered it.
 */
const char *sb_ctl_peer_user(struct sb_ctl_req *req, char *buf, size_t len);

#endif
