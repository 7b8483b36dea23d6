/*
 * cmd-broadcast.h - the broadcast commands of cmd-broadcast.c, for
 * cmd_table.c: one line each there.
 */
#ifndef SB_CONTROL_CMD_BROADCAST_H
#define SB_CONTROL_CMD_BROADCAST_H

#include "control.h"

extern const struct sb_cmd sb_cmd_broadcast_list;
extern const struct sb_cmd sb_cmd_broadcast_show;
extern const struct sb_cmd sb_cmd_broadcast_stop;
extern const struct sb_cmd sb_cmd_broadcast_restart;
extern const struct sb_cmd sb_cmd_message_search;   /* cmd-message-search.c */
extern const struct sb_cmd sb_cmd_message_preview;  /* cmd-message-preview.c */
extern const struct sb_cmd sb_cmd_stats_show;    /* cmd-stats-show.c */

/*
 * The control peer's user name (from its uid), "uid:N" when it has none,
 * in buf. What a broadcast records as the user who triggered it.
 */
const char *sb_ctl_peer_user(struct sb_ctl_req *req, char *buf, size_t len);

#endif
