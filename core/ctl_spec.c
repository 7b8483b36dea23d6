/*
 * ctl_spec.c - the control command table (see ctl_spec.h) and everything
 * generated from it on the client side: argv -> request args, usage
 * lines, help, the man page.
 *
 * Compiled twice: into the daemon with SB_CTL_DAEMON, where each row
 * carries its handler (control/cmds.h), and into switchboardctl without,
 * where the handlers are NULL. Adding a control command is adding a row
 * here and writing its handler; the parser, the daemon's argument check,
 * the usage text, the help and the man page never need touching.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_bcast.h"
#include "ctl_inbox.h"
#include "ctl_spec.h"
#include "ctl_tpl.h"

#ifdef SB_CTL_DAEMON
#include "control/cmd-broadcast.h"
#include "control/cmds.h"
#define EXEC(fn) .exec = (fn)
#else
#define EXEC(fn) .exec = NULL
#endif

#define POS(k, t, mv, h) { .key = (k), .type = (t), .metavar = (mv), .help = (h) }
#define OPT(o, k, t, mv, h) { .option = (o), .key = (k), .type = (t), .metavar = (mv), \
	.help = (h) }
#define REQ(o, k, t, mv, h) { .option = (o), .key = (k), .type = (t), .metavar = (mv), \
	.flags = SB_CTL_REQUIRED, .help = (h) }
#define ONEOF(g, o, k, t, mv, h) { .option = (o), .key = (k), .type = (t), \
	.metavar = (mv), .oneof = (g), .help = (h) }

#define MESSAGE_ID POS("id", SB_CTL_INT, "ID", "message id")
#define SUBACCOUNT(h) OPT("--subaccount", "subaccount", SB_CTL_STRING, "NAME", h)
#define ENTRY_ARGS                                                                  \
	SUBACCOUNT("the subaccount it applies to (default: all subaccounts)"),      \
	ONEOF(1, "--term", "term", SB_CTL_STRING, "TERM", "a word or phrase"),      \
	ONEOF(1, "--domain", "domain", SB_CTL_STRING, "DOMAIN",                     \
	    "a link domain (also covers its subdomains)")

const struct sb_ctl_spec sb_ctl_specs[] = {
	{ .words = "ping", .cmd = "ping",
	  EXEC(sb_exec_ping),
	  .help = "check that the daemon answers; show its version and pid" },
	{ .words = "plugins", .cmd = "plugins",
	  EXEC(sb_exec_plugin_list),
	  .help = "list plugin modules, their ABI and their instances" },
	{ .words = "plugin reload", .cmd = "plugin.reload",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_plugin_reload),
	  .help = "reopen a plugin module's file and recreate its instances",
	  .args = { POS("name", SB_CTL_STRING, "MODULE", "module name") } },
	{ .words = "config reload", .cmd = "config.reload",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_config_reload),
	  .help = "reload the configuration file (an invalid one is refused)" },
	{ .words = "send", .cmd = "message.send",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_message_send),
	  .help = "submit a message; answers once it is stored durably",
	  .args = {
	      REQ("--to", "to", SB_CTL_STRING, "NUMBER", "recipient phone number"),
	      ONEOF(1, "--text", "text", SB_CTL_STRING, "TEXT", "message text"),
	      ONEOF(1, "--template", "template", SB_CTL_STRING, "NAME",
		  "template name instead of a text"),
	      OPT("--lang", "lang", SB_CTL_STRING, "LANG", "template language"),
	      OPT("--template-version", "template_version", SB_CTL_INT, "N",
		  "this version of a stored template (default: its latest)"),
	      OPT("--var", "vars", SB_CTL_KV, "KEY=VALUE", "template variable (repeatable)"),
	      OPT("--chain", "chain", SB_CTL_STRING, "NAME",
		  "delivery chain (default: the subaccount's)"),
	      SUBACCOUNT("subaccount (default: the first configured)"),
	      OPT("--from", "from", SB_CTL_STRING, "ID", "sender id"),
	      OPT("--at", "at", SB_CTL_STRING, "TIME",
		  "send time, ISO 8601 with offset (2026-11-23T18:00:00-03:00)"),
	      OPT("--key", "idempotency_key", SB_CTL_STRING, "IDEMPOTENCY_KEY",
		  "a repeated key returns the first message instead of a new one"),
	  } },
	{ .words = "status", .cmd = "message.status",
	  EXEC(sb_exec_message_status),
	  .help = "show a message with its attempts and history",
	  .args = { MESSAGE_ID } },
	{ .words = "list", .cmd = "message.list",
	  EXEC(sb_exec_message_list),
	  .help = "list messages, newest first",
	  .args = {
	      OPT("--status", "status", SB_CTL_STRING, "STATUS", "only this status"),
	      OPT("--limit", "limit", SB_CTL_INT, "N", "at most N messages (default 50)"),
	      OPT("--before", "before", SB_CTL_INT, "ID", "only ids below ID (next page)"),
	      SUBACCOUNT("only this subaccount"),
	      OPT("--channel", "channel", SB_CTL_STRING, "NAME",
		  "only messages tried on this channel instance"),
	      OPT("--to", "to", SB_CTL_STRING, "NUMBER", "only this recipient"),
	      OPT("--batch", "batch", SB_CTL_INT, "ID", "only this broadcast"),
	  } },
	{ .words = "cancel", .cmd = "message.cancel",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_message_cancel),
	  .help = "cancel a message that is still scheduled or queued",
	  .args = { MESSAGE_ID } },
	{ .words = "reschedule", .cmd = "message.reschedule",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_message_reschedule),
	  .help = "give a scheduled message a new send time (and text)",
	  .args = {
	      MESSAGE_ID,
	      POS("at", SB_CTL_STRING, "TIME",
		  "new send time, ISO 8601 with offset (2026-11-23T18:00:00-03:00)"),
	      OPT("--text", "text", SB_CTL_STRING, "TEXT",
		  "new text (the content filters check it again)"),
	  } },
	{ .words = "resend", .cmd = "message.resend",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_message_resend),
	  .help = "send a finished message again, as a new message linked to it",
	  .args = { MESSAGE_ID } },
	{ .words = "filter check", .cmd = "filter.check",
	  EXEC(sb_exec_filter_check),
	  .help = "ask the content filters about a text, without sending it",
	  .args = {
	      SUBACCOUNT("judge as this subaccount"),
	      REQ("--text", "text", SB_CTL_STRING, "TEXT", "the text to check"),
	      OPT("--to", "to", SB_CTL_STRING, "NUMBER", "recipient, for filters that use it"),
	  } },
	{ .words = "filter allow", .cmd = "filter.allow",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_filter_allow),
	  .help = "allow a term or link domain the content filter blocks",
	  .args = { ENTRY_ARGS } },
	{ .words = "filter revoke", .cmd = "filter.revoke",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_filter_revoke),
	  .help = "remove an allowlist entry",
	  .args = { ENTRY_ARGS } },
	{ .words = "filter list", .cmd = "filter.list",
	  EXEC(sb_exec_filter_list),
	  .help = "list allowlist entries",
	  .args = { SUBACCOUNT("only this subaccount's and global entries") } },
	SB_CTL_MESSAGE_SEARCH,
	SB_CTL_MESSAGE_PREVIEW,
	SB_CTL_MESSAGE_STATS,
	SB_CTL_BROADCAST_LIST,
	SB_CTL_BROADCAST_SHOW,
	SB_CTL_BROADCAST_STOP,
	SB_CTL_BROADCAST_RESTART,
	SB_CTL_BROADCAST_SEND,
	SB_CTL_BROADCAST_UPLOAD,
	SB_CTL_TEMPLATE_SET,
	SB_CTL_TEMPLATE_LIST,
	SB_CTL_TEMPLATE_SHOW,
	SB_CTL_TEMPLATE_DELETE,
	SB_CTL_FOLDER_COUNTS,
	SB_CTL_FOLDER_LIST,
	SB_CTL_INBOUND_ARCHIVE,
	SB_CTL_INBOUND_UNARCHIVE,
	SB_CTL_INBOUND_DELETE,
	SB_CTL_CONTACT_SHOW,
	SB_CTL_CONTACT_LINK,
	SB_CTL_FLOW_OPEN,
	SB_CTL_FLOW_LIST,
	SB_CTL_FLOW_CLOSE,
	{ .words = "events failed", .cmd = "events.failed",
	  EXEC(sb_exec_events_failed),
	  .help = "list events applications never took, newest first, with the last error",
	  .args = {
	      SUBACCOUNT("only this subaccount's events"),
	      OPT("--limit", "limit", SB_CTL_INT, "N", "at most N events (default 50)"),
	      OPT("--before", "before", SB_CTL_INT, "ID", "only ids below ID (next page)"),
	  } },
	{ .words = "events redeliver", .cmd = "events.redeliver",
	  .flags = SB_CMD_MUTATES, EXEC(sb_exec_events_redeliver),
	  .help = "send a failed or delivered event again (tries and retry window reset)",
	  .args = { POS("id", SB_CTL_INT, "ID", "event id") } },
	{ .words = "clock advance", .cmd = "clock.advance",
	  .flags = SB_CMD_TEST | SB_CMD_MUTATES, EXEC(sb_exec_clock_advance),
	  .help = "move the daemon's clock forward (test mode, -T, only)",
	  .args = { POS("ms", SB_CTL_INT, "MS", "milliseconds") } },
	{ .words = "store sync-delay", .cmd = "store.sync_delay",
	  .flags = SB_CMD_TEST | SB_CMD_MUTATES, EXEC(sb_exec_store_sync_delay),
	  .help = "make every fsync of the store take MS longer (test mode, -T, only)",
	  .args = { POS("ms", SB_CTL_INT, "MS", "milliseconds, 0 to 60000") } },
	{ .words = NULL },
};

/* ---- small string helpers ---- */

/* Append to a NUL-terminated buffer, truncating silently. */
static void
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* How many of argv's leading words spell `words` completely (0: no match). */
static int
match_words(const char *words, int argc, char *const *argv)
{
	const char *p = words;
	int n = 0;

	while (*p != '\0') {
		size_t wl = strcspn(p, " ");

		if (n >= argc || strlen(argv[n]) != wl || strncmp(argv[n], p, wl) != 0)
			return 0;
		n++;
		p += wl;
		p += *p == ' ';
	}
	return n;
}

static int
is_positional(const struct sb_ctl_arg *a)
{
	return a->option == NULL;
}

/* "--to NUMBER", "--var KEY=VALUE ..." */
static void
option_text(const struct sb_ctl_arg *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s%s", a->option, a->metavar, a->type == SB_CTL_KV ? " ..." : "");
}

void
sb_ctl_usage(const struct sb_ctl_spec *s, char *buf, size_t len)
{
	char opt[96];

	snprintf(buf, len, "%s", s->words);
	for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++)
		if (is_positional(a))
			append(buf, len, " %s", a->metavar);
	for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++) {
		if (is_positional(a))
			continue;
		option_text(a, opt, sizeof(opt));
		if (a->oneof > 0) {
			const struct sb_ctl_arg *b;

			/* The group is written once, where its first member stands. */
			for (b = s->args; b != a && b->oneof != a->oneof; b++)
				;
			if (b != a)
				continue;
			append(buf, len, " (%s", opt);
			for (b = a + 1; b->key != NULL; b++)
				if (b->oneof == a->oneof) {
					option_text(b, opt, sizeof(opt));
					append(buf, len, " | %s", opt);
				}
			append(buf, len, ")");
		} else if (a->flags & SB_CTL_REQUIRED) {
			append(buf, len, " %s", opt);
		} else {
			append(buf, len, " [%s]", opt);
		}
	}
}

/* Set err to "WORDS: <what> (usage: switchboardctl USAGE)"; returns NULL. */
static const struct sb_ctl_spec *
fail(const struct sb_ctl_spec *s, struct sb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const struct sb_ctl_spec *
fail(const struct sb_ctl_spec *s, struct sb_error *err, const char *fmt, ...)
{
	char what[256], usage[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sb_ctl_usage(s, usage, sizeof(usage));
	sb_error_set(err, SB_E_BAD_ARGUMENT, "%s: %s (usage: switchboardctl %s)", s->words,
	    what, usage);
	return NULL;
}

/* ---- argv -> args ---- */

static const struct sb_ctl_spec *
find_spec(int argc, char *const *argv, int *nwords, struct sb_error *err)
{
	const struct sb_ctl_spec *best = NULL;
	char subs[256] = "";

	*nwords = 0;
	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		int n = match_words(s->words, argc, argv);

		if (n > *nwords) {
			best = s;
			*nwords = n;
		}
	}
	if (best != NULL)
		return best;
	if (argc == 0) {
		sb_error_set(err, SB_E_UNKNOWN_COMMAND, "missing command (see: switchboardctl"
		    " --help)");
		return NULL;
	}
	/* "filter" alone: name the commands it starts. */
	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		size_t wl = strcspn(s->words, " ");

		if (s->words[wl] == ' ' && strlen(argv[0]) == wl &&
		    strncmp(s->words, argv[0], wl) == 0)
			append(subs, sizeof(subs), "%s%s", subs[0] ? ", " : "", s->words + wl + 1);
	}
	if (subs[0] != '\0')
		sb_error_set(err, SB_E_UNKNOWN_COMMAND, "%s: expected one of: %s (see:"
		    " switchboardctl help %s)", argv[0], subs, argv[0]);
	else
		sb_error_set(err, SB_E_UNKNOWN_COMMAND, "unknown command '%s' (see:"
		    " switchboardctl --help)", argv[0]);
	return NULL;
}

/* Set one argument from its text; NULL spec return means err is set. */
static const struct sb_ctl_spec *
set_value(const struct sb_ctl_spec *s, const struct sb_ctl_arg *a, const char *text,
    json_t *args, struct sb_error *err)
{
	const char *name = a->option != NULL ? a->option : a->metavar;
	json_t *v;

	if (a->type == SB_CTL_INT) {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || errno == ERANGE)
			return fail(s, err, "%s must be an integer, not '%.40s'", name, text);
		json_object_set_new(args, a->key, json_integer((json_int_t)n));
		return s;
	}
	if (a->type == SB_CTL_KV) {
		const char *eq = strchr(text, '=');
		json_t *obj = json_object_get(args, a->key);
		char k[128];

		if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof(k))
			return fail(s, err, "%s expects %s, not '%.40s'", name, a->metavar, text);
		snprintf(k, sizeof(k), "%.*s", (int)(eq - text), text);
		if (obj == NULL) {
			obj = json_object();
			json_object_set_new(args, a->key, obj);
		}
		if (json_object_get(obj, k) != NULL)
			return fail(s, err, "%s %s given twice", name, k);
		if ((v = json_string(eq + 1)) == NULL || json_object_set_new(obj, k, v) < 0)
			return fail(s, err, "%s %s is not valid UTF-8", name, k);
		return s;
	}
	if ((v = json_string(text)) == NULL)
		return fail(s, err, "%s is not valid UTF-8", name);
	json_object_set_new(args, a->key, v);
	return s;
}

/* After argv: every required positional and option, and each oneof group once. */
static const struct sb_ctl_spec *
check_complete(const struct sb_ctl_spec *s, json_t *args, struct sb_error *err)
{
	for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++) {
		const struct sb_ctl_arg *b, *other = NULL;
		int given = 0;

		if (json_object_get(args, a->key) != NULL)
			continue;
		if (is_positional(a))
			return fail(s, err, "missing %s", a->metavar);
		if (a->flags & SB_CTL_REQUIRED)
			return fail(s, err, "missing %s", a->option);
		if (a->oneof == 0)
			continue;
		for (b = s->args; b->key != NULL; b++)
			if (b != a && b->oneof == a->oneof) {
				given += json_object_get(args, b->key) != NULL;
				other = b;
			}
		if (given == 0 && other != NULL)
			return fail(s, err, "missing %s or %s", a->option, other->option);
	}
	for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++)
		for (const struct sb_ctl_arg *b = a + 1; a->oneof > 0 && b->key != NULL; b++)
			if (b->oneof == a->oneof && json_object_get(args, a->key) != NULL &&
			    json_object_get(args, b->key) != NULL)
				return fail(s, err, "%s and %s cannot be combined", a->option,
				    b->option);
	return s;
}

static const struct sb_ctl_arg *
find_option(const struct sb_ctl_spec *s, const char *opt, size_t len)
{
	for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++)
		if (a->option != NULL && strlen(a->option) == len &&
		    strncmp(a->option, opt, len) == 0)
			return a;
	return NULL;
}

static const struct sb_ctl_spec *
parse_rest(const struct sb_ctl_spec *s, int argc, char *const *argv, json_t *args,
    struct sb_error *err)
{
	const struct sb_ctl_arg *pos = s->args;
	int options_done = 0;

	for (int i = 0; i < argc; i++) {
		const char *word = argv[i], *value, *eq;
		const struct sb_ctl_arg *a;

		if (!options_done && strcmp(word, "--") == 0) {
			options_done = 1;
			continue;
		}
		if (options_done || strncmp(word, "--", 2) != 0) {
			while (pos->key != NULL && !is_positional(pos))
				pos++;
			if (pos->key == NULL)
				return fail(s, err, "unexpected argument '%.40s'", word);
			if (set_value(s, pos++, word, args, err) == NULL)
				return NULL;
			continue;
		}
		/* "--to X" or "--to=X" */
		eq = strchr(word, '=');
		a = find_option(s, word, eq != NULL ? (size_t)(eq - word) : strlen(word));
		if (a == NULL)
			return fail(s, err, "unknown option %.*s", (int)(eq != NULL ?
			    eq - word : (int)strlen(word)), word);
		if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return fail(s, err, "%s needs a value (%s)", a->option, a->metavar);
		if (a->type != SB_CTL_KV && json_object_get(args, a->key) != NULL)
			return fail(s, err, "%s given twice", a->option);
		if (set_value(s, a, value, args, err) == NULL)
			return NULL;
	}
	return check_complete(s, args, err);
}

const struct sb_ctl_spec *
sb_ctl_parse_argv(int argc, char *const *argv, json_t **args, struct sb_error *err)
{
	const struct sb_ctl_spec *s;
	int nwords;

	*args = NULL;
	s = find_spec(argc, argv, &nwords, err);
	if (s == NULL)
		return NULL;
	*args = json_object();
	if (parse_rest(s, argc - nwords, argv + nwords, *args, err) == NULL) {
		json_decref(*args);
		*args = NULL;
		return NULL;
	}
	return s;
}

/* ---- help ---- */

void
sb_ctl_help(FILE *out)
{
	char words[64];

	fputs("commands:\n", out);
	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		snprintf(words, sizeof(words), "%s", s->words);
		for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++)
			if (is_positional(a))
				append(words, sizeof(words), " %s", a->metavar);
		fprintf(out, "  %-22s %s\n", words, s->help);
	}
	fputs("run 'switchboardctl help COMMAND' for a command's options\n", out);
}

int
sb_ctl_help_command(FILE *out, int argc, char *const *argv)
{
	char usage[400], opt[96];
	int n = 0;

	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		/* Match argv against the first words of the spec only. */
		int k = 0;
		const char *p = s->words;

		for (; k < argc && *p != '\0'; k++) {
			size_t wl = strcspn(p, " ");

			if (strlen(argv[k]) != wl || strncmp(argv[k], p, wl) != 0)
				break;
			p += wl;
			p += *p == ' ';
		}
		if (argc == 0 || k < argc)
			continue;
		sb_ctl_usage(s, usage, sizeof(usage));
		fprintf(out, "%susage: switchboardctl %s\n  %s\n", n ? "\n" : "", usage, s->help);
		for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++) {
			if (is_positional(a))
				snprintf(opt, sizeof(opt), "%s", a->metavar);
			else
				option_text(a, opt, sizeof(opt));
			fprintf(out, "    %-26s %s\n", opt, a->help);
		}
		n++;
	}
	return n;
}

/* Text for troff: a leading '.' or '\'' would be a request, '\\' an escape. */
static void
man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void
sb_ctl_man(FILE *out)
{
	char usage[400], opt[96];

	fputs(".TH SWITCHBOARDCTL 1\n"
	    ".SH NAME\nswitchboardctl \\- control a running switchboardd\n"
	    ".SH SYNOPSIS\n.B switchboardctl\n"
	    "[\\fB\\-s\\fR \\fISOCKET\\fR | \\fB\\-c\\fR \\fICONFIG\\fR] [\\fB\\-\\-json\\fR]"
	    " \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
	    ".SH DESCRIPTION\n"
	    "A thin client of the daemon's control socket: it sends one request, prints the"
	    " answer as a table (or JSON with \\fB\\-\\-json\\fR) and exits 0 on success, 1 when"
	    " the daemon answered with an error, 2 on a usage error or when the daemon cannot"
	    " be reached. The commands below are generated from the same table the daemon"
	    " checks requests against (core/ctl_spec.c); docs/control.md describes the"
	    " protocol.\n"
	    ".SH COMMANDS\n", out);
	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		sb_ctl_usage(s, usage, sizeof(usage));
		fputs(".TP\n.B ", out);
		man_text(out, usage);
		fputs("\n", out);
		man_text(out, s->help);
		fputs(" (", out);
		man_text(out, s->cmd);
		fputs(s->flags & SB_CMD_TEST ? "; test mode only)\n" : ")\n", out);
		for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++) {
			if (is_positional(a))
				snprintf(opt, sizeof(opt), "%s", a->metavar);
			else
				option_text(a, opt, sizeof(opt));
			fputs(".RS\n.TP\n", out);
			man_text(out, opt);
			fputs("\n", out);
			man_text(out, a->help);
			fputs("\n.RE\n", out);
		}
	}
	/* Answered by the client itself: not a row of the table. */
	fputs(".TP\n.B apikey new\n"
	    "print a new random 256-bit API key and its sha256: hash for api_keys"
	    " (no daemon needed)\n", out);
	fputs(".TP\n.B console hash \\fR[\\fB\\-\\-cost\\fR \\fIN\\fR]\n"
	    "read a console password on standard input and print its scrypt"
	    " password_hash for console.users (no daemon needed)\n", out);
	fputs(".SH ENVIRONMENT\n.TP\n.B SWITCHBOARD_SOCKET\n"
	    "the control socket, when neither \\fB\\-s\\fR nor \\fB\\-c\\fR is given\n"
	    ".SH SEE ALSO\n.BR switchboardd (8)\n", out);
}
