/*
 * ctl_bcast.h - the switchboardctl rows of the broadcast commands, one
 * macro per command, each used by one line of the table in ctl_spec.c.
 * Needs ctl_spec.c's POS/OPT/EXEC macros (the handlers: control/cmd-broadcast.h).
 */
#ifndef SB_CTL_BCAST_H
#define SB_CTL_BCAST_H

#define SB_CTL_BCAST_ID POS("id", SB_CTL_INT, "ID", "broadcast id")

#define SB_CTL_BROADCAST_LIST                                                       \
	{ .words = "broadcast list", .cmd = "broadcast.list", EXEC(sb_exec_broadcast_list),                       \
	  .help = "list broadcasts, newest first",                                   \
	  .args = {                                                                 \
	      OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME",              \
		  "only this subaccount"),                                          \
	      OPT("--before", "before", SB_CTL_INT, "ID", "only ids below ID (next page)"), \
	      OPT("--limit", "limit", SB_CTL_INT, "N", "at most N broadcasts (default 50)"), \
	  } }

#define SB_CTL_BROADCAST_SHOW                                                       \
	{ .words = "broadcast show", .cmd = "broadcast.show", EXEC(sb_exec_broadcast_show),                       \
	  .help = "show a broadcast: counts by status, delivered and read %, recipients", \
	  .args = {                                                                 \
	      SB_CTL_BCAST_ID,                                                      \
	      OPT("--successful-before", "successful_before", SB_CTL_INT, "ID",     \
		  "next page of successful recipients"),                            \
	      OPT("--failed-before", "failed_before", SB_CTL_INT, "ID",             \
		  "next page of failed recipients"),                                \
	      OPT("--limit", "limit", SB_CTL_INT, "N",                              \
		  "recipients per page (default 50)"),                              \
	  } }

#define SB_CTL_MESSAGE_SEARCH                                                       \
	{ .words = "search", .cmd = "message.search", EXEC(sb_exec_message_search),                               \
	  .help = "search a subaccount's messages, newest first (at most 3 months)",  \
	  .args = {                                                                 \
	      OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME",              \
		  "this subaccount (default: the first configured)"),               \
	      OPT("--status", "status", SB_CTL_STRING, "STATUS", "only this status"), \
	      OPT("--group", "group", SB_CTL_STRING, "GROUP",                       \
		  "processing, sending, sent, undeliverable, failed, cancelled,"   \
		  " blocked_time or scheduled"),                                    \
	      OPT("--broadcast", "broadcast", SB_CTL_INT, "ID", "only this broadcast"), \
	      OPT("--channel-type", "channel_type", SB_CTL_STRING, "TYPE",          \
		  "sms, whatsapp, line_push or line_notify"),                       \
	      OPT("--to", "to", SB_CTL_STRING, "NUMBER", "E.164, or national with --country"), \
	      OPT("--country", "country", SB_CTL_STRING, "CODE", "calling code for --to"), \
	      OPT("--template", "template", SB_CTL_STRING, "NAME", "only this template"), \
	      OPT("--file", "file_name", SB_CTL_STRING, "NAME", "only this file's broadcasts"), \
	      OPT("--text", "text", SB_CTL_STRING, "TEXT", "text contains (3 characters at least)"), \
	      OPT("--from", "from", SB_CTL_STRING, "TIME", "triggered at or after (ISO 8601)"), \
	      OPT("--until", "until", SB_CTL_STRING, "TIME", "triggered before (ISO 8601)"), \
	      OPT("--before", "before", SB_CTL_INT, "ID", "only ids below ID (next page)"), \
	      OPT("--limit", "limit", SB_CTL_INT, "N", "at most N messages (default 50)"), \
	  } }

#define SB_CTL_MESSAGE_PREVIEW                                                      \
	{ .words = "preview", .cmd = "message.preview", EXEC(sb_exec_message_preview),                             \
	  .help = "a message as sent: text, SMS segments, channel, attempts, times",  \
	  .args = { POS("id", SB_CTL_INT, "ID", "message id") } }

#define SB_CTL_MESSAGE_STATS                                                        \
	{ .words = "stats", .cmd = "stats.show", EXEC(sb_exec_stats_show),                                 \
	  .help = "delivery statistics per template or channel type (at most 3 months)", \
	  .args = {                                                                 \
	      REQ("--by", "by", SB_CTL_STRING, "KEY", "template or channel_type"),  \
	      OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME",              \
		  "this subaccount (default: the first configured)"),               \
	      OPT("--from", "from", SB_CTL_STRING, "TIME", "triggered at or after (ISO 8601)"), \
	      OPT("--until", "until", SB_CTL_STRING, "TIME", "triggered before (ISO 8601)"), \
	  } }

#define SB_CTL_BROADCAST_STOP                                                       \
	{ .words = "broadcast stop", .cmd = "broadcast.stop", .flags = SB_CMD_MUTATES, EXEC(sb_exec_broadcast_stop),                       \
	  .help = "stop a broadcast: what was not sent yet is cancelled",            \
	  .args = { SB_CTL_BCAST_ID } }

#define SB_CTL_BROADCAST_RESTART                                                    \
	{ .words = "broadcast restart", .cmd = "broadcast.restart", .flags = SB_CMD_MUTATES, EXEC(sb_exec_broadcast_restart),                 \
	  .help = "send a finished broadcast again to the recipients who did not get it", \
	  .args = { SB_CTL_BCAST_ID } }

/* Pieces of a file: 512 KiB, 699 KiB of base64, under the 1 MiB line limit. */
#define SB_CTL_UPLOAD_PIECE (512 * 1024)

#define SB_CTL_BROADCAST_UPLOAD                                                     \
	{ .words = "broadcast upload", .cmd = "broadcast.upload", .flags = SB_CMD_MUTATES, EXEC(sb_exec_broadcast_upload), \
	  .help = "add a piece of a recipients file to an upload (broadcast send --file does this)", \
	  .args = {                                                                 \
	      POS("data", SB_CTL_STRING, "B64", "the next bytes of the file, base64"), \
	      OPT("--upload", "upload", SB_CTL_STRING, "ID",                        \
		  "the upload to add to (default: start one)"),                      \
	  } }

#define SB_CTL_BROADCAST_SEND                                                       \
	{ .words = "broadcast send", .cmd = "broadcast.send", .flags = SB_CMD_MUTATES, EXEC(sb_exec_broadcast_send), \
	  .help = "a broadcast to the rows of a CSV file (a phone or to column, variables)", \
	  .args = {                                                                 \
	      ONEOF(1, "--file", "file", SB_CTL_STRING, "PATH",                     \
		  "the CSV file; switchboardctl reads it and uploads it"),          \
	      ONEOF(1, "--upload", "upload", SB_CTL_STRING, "ID",                   \
		  "a file uploaded with broadcast upload"),                         \
	      OPT("--file-name", "file_name", SB_CTL_STRING, "NAME",                \
		  "the name kept and searched (default: the file's base name)"),   \
	      ONEOF(2, "--text", "text", SB_CTL_STRING, "TEXT",                     \
		  "message text; {{column}} is replaced by the row's value"),     \
	      ONEOF(2, "--template", "template", SB_CTL_STRING, "NAME",             \
		  "template name; the row's other columns are its variables"),     \
	      OPT("--lang", "lang", SB_CTL_STRING, "LANG", "template language"),    \
	      OPT("--chain", "chain", SB_CTL_STRING, "NAME",                        \
		  "delivery chain (default: the subaccount's)"),                   \
	      OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME",              \
		  "subaccount (default: the first configured)"),                   \
	      OPT("--from", "from", SB_CTL_STRING, "ID", "sender id"),              \
	      OPT("--at", "at", SB_CTL_STRING, "TIME",                              \
		  "send time, ISO 8601 with offset (2026-11-23T18:00:00-03:00)"),   \
	  } }

#endif
