/*
 * ctl_tpl.h - the switchboardctl rows of the template commands, one macro
 * per command, each used by one line of the table in ctl_spec.c.
 * Needs ctl_spec.c's POS/OPT/EXEC macros (the handlers: control/cmd-template.c).
 */
#ifndef SB_CTL_TPL_H
#define SB_CTL_TPL_H

#define SB_CTL_TPL_NAME POS("name", SB_CTL_STRING, "NAME", "template name")
#define SB_CTL_TPL_SUB OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME", \
	"this subaccount (default: the first configured)")

#define SB_CTL_TEMPLATE_SET                                                         \
	{ .words = "template set", .cmd = "template.set",                           \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_template_set),                      \
	  .help = "save a template; a changed one becomes its next version",        \
	  .args = {                                                                 \
	      SB_CTL_TPL_NAME, SB_CTL_TPL_SUB,                                      \
	      OPT("--text", "text", SB_CTL_STRING, "TEXT",                          \
		  "default text, {{variables}} allowed"),                           \
	      OPT("--sms", "sms", SB_CTL_STRING, "TEXT", "text for SMS channels"),   \
	      OPT("--line-push", "line_push", SB_CTL_STRING, "TEXT",                \
		  "text for LINE push"),                                            \
	      OPT("--line-notify", "line_notify", SB_CTL_STRING, "TEXT",            \
		  "text for LINE notification messages"),                           \
	      OPT("--wa-name", "wa_name", SB_CTL_STRING, "NAME",                    \
		  "WhatsApp template approved at Meta"),                            \
	      OPT("--wa-language", "wa_language", SB_CTL_STRING, "LANG",            \
		  "its language, e.g. en_US"),                                      \
	      OPT("--wa-params", "wa_params", SB_CTL_STRING, "VAR,VAR",             \
		  "the variables of its {{1}}, {{2}}... in order"),                 \
	  } }

#define SB_CTL_TEMPLATE_LIST                                                        \
	{ .words = "template list", .cmd = "template.list",                         \
	  EXEC(sb_exec_template_list),                                              \
	  .help = "list templates: the latest version of each",                     \
	  .args = { SB_CTL_TPL_SUB } }

#define SB_CTL_TEMPLATE_SHOW                                                        \
	{ .words = "template show", .cmd = "template.show",                         \
	  EXEC(sb_exec_template_show),                                              \
	  .help = "show a template's latest version (or --version N)",              \
	  .args = {                                                                 \
	      SB_CTL_TPL_NAME, SB_CTL_TPL_SUB,                                      \
	      OPT("--version", "version", SB_CTL_INT, "N", "this version"),        \
	  } }

#define SB_CTL_TEMPLATE_DELETE                                                      \
	{ .words = "template delete", .cmd = "template.delete",                     \
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_template_delete),                   \
	  .help = "delete a template: new messages cannot use it, sent ones keep it", \
	  .args = { SB_CTL_TPL_NAME, SB_CTL_TPL_SUB } }

#endif
