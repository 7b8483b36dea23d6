/*
 * ctl_inbox.h - the switchboardctl rows of the folder commands, one macro
 * per command, each used by one line of the table in ctl_spec.c.
 * Needs ctl_spec.c's POS/OPT/EXEC macros (the handlers: control/cmd-folder.c).
 */
#ifndef SB_CTL_INBOX_H
#define SB_CTL_INBOX_H

#define SB_CTL_INBOX_SUB OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME", \
	"this subaccount (default: the first configured)")
#define SB_CTL_INBOUND_ID POS("id", SB_CTL_INT, "ID", "inbound message id")

#define SB_CTL_FOLDER_COUNTS                                                        \
	{ .words = "folders", .cmd = "folder.counts", EXEC(sb_exec_folder_counts),  \
	  .help = "count the items of each folder, and the total",                  \
	  .args = { SB_CTL_INBOX_SUB } }

#define SB_CTL_FOLDER_LIST                                                          \
	{ .words = "folder", .cmd = "folder.list", EXEC(sb_exec_folder_list),       \
	  .help = "a folder's items, newest first",                                 \
	  .args = {                                                                 \
	      POS("folder", SB_CTL_STRING, "FOLDER",                                \
		  "inbox, flows, archived, outbox, sent, schedules, failed or calls"), \
	      SB_CTL_INBOX_SUB,                                                     \
	      OPT("--contact", "contact", SB_CTL_INT, "ID", "only this contact's"), \
	      OPT("--from", "from", SB_CTL_STRING, "TIME", "at or after (ISO 8601)"), \
	      OPT("--until", "until", SB_CTL_STRING, "TIME", "before (ISO 8601)"),  \
	      OPT("--before", "before", SB_CTL_INT, "ID", "only ids below ID (next page)"), \
	      OPT("--limit", "limit", SB_CTL_INT, "N", "at most N items (default 50)"), \
	  } }

#define SB_CTL_INBOUND_ARCHIVE                                                      \
	{ .words = "inbound archive", .cmd = "inbound.archive",                     \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_inbound_archive),                   \
	  .help = "move an inbound message from inbox or flows to archived",        \
	  .args = { SB_CTL_INBOUND_ID, SB_CTL_INBOX_SUB } }

#define SB_CTL_INBOUND_UNARCHIVE                                                    \
	{ .words = "inbound unarchive", .cmd = "inbound.unarchive",                 \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_inbound_unarchive),                 \
	  .help = "move an archived inbound message back where it came from",       \
	  .args = { SB_CTL_INBOUND_ID, SB_CTL_INBOX_SUB } }

#define SB_CTL_INBOUND_DELETE                                                       \
	{ .words = "inbound delete", .cmd = "inbound.delete",                       \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_inbound_delete),                    \
	  .help = "delete an archived inbound message",                             \
	  .args = { SB_CTL_INBOUND_ID, SB_CTL_INBOX_SUB } }

#define SB_CTL_CONTACT_SHOW                                                         \
	{ .words = "contact show", .cmd = "contact.show", EXEC(sb_exec_contact_show), \
	  .help = "a contact and its identities (numbers, LINE and WhatsApp ids)",  \
	  .args = { POS("id", SB_CTL_INT, "ID", "contact id"), SB_CTL_INBOX_SUB } }

#define SB_CTL_CONTACT_LINK                                                         \
	{ .words = "contact link", .cmd = "contact.link",                           \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_contact_link),                      \
	  .help = "add an identity to a contact (merging the contact that had it)", \
	  .args = {                                                                 \
	      POS("id", SB_CTL_INT, "ID", "contact id"), SB_CTL_INBOX_SUB,          \
	      REQ("--kind", "kind", SB_CTL_STRING, "KIND", "phone, line or whatsapp"), \
	      REQ("--value", "value", SB_CTL_STRING, "VALUE",                       \
		  "the number, LINE id or WhatsApp id"),                            \
	  } }

#define SB_CTL_FLOW_OPEN                                                            \
	{ .words = "flow open", .cmd = "flow.open",                                 \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_flow_open),                         \
	  .help = "open a conversation flow: a contact's replies go to URL",        \
	  .args = {                                                                 \
	      SB_CTL_INBOX_SUB,                                                     \
	      ONEOF(1, "--to", "to", SB_CTL_STRING, "NUMBER", "the contact's number"), \
	      ONEOF(1, "--contact", "contact", SB_CTL_INT, "ID", "the contact's id"), \
	      REQ("--url", "callback_url", SB_CTL_STRING, "URL",                    \
		  "where its inbound messages are sent (signed)"),                  \
	      REQ("--ttl", "ttl", SB_CTL_STRING, "DURATION", "how long it stays open (90m, 24h)"), \
	  } }

#define SB_CTL_FLOW_LIST                                                            \
	{ .words = "flow list", .cmd = "flow.list", EXEC(sb_exec_flow_list),        \
	  .help = "the open conversation flows, newest first",                      \
	  .args = { SB_CTL_INBOX_SUB } }

#define SB_CTL_FLOW_CLOSE                                                           \
	{ .words = "flow close", .cmd = "flow.close",                               \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_flow_close),                        \
	  .help = "close a conversation flow (replies go to the inbox again)",      \
	  .args = { POS("id", SB_CTL_INT, "ID", "flow id"), SB_CTL_INBOX_SUB } }

#endif
