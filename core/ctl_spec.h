/*
 * ctl_spec.h - the one table of control commands, shared by the daemon
 * and switchboardctl.
 *
 * ctl_spec.c owns it: for each command its CLI words ("filter allow"), its
 * wire name ("filter.allow"), its help line, its typed arguments (how
 * positionals and options become keys of the request's "args", and what
 * JSON type each key takes), its flags (mutating, test-only) and, in the
 * daemon's build, its handler. The daemon checks every request's keys and
 * their types against it before the handler runs (control_proto.c);
 * switchboardctl parses argv with it; usage lines, `--help`, `help CMD`,
 * the man page (`switchboardctl --man`) and every argv error are generated
 * from it, so none of them can drift from what the daemon accepts. Adding
 * a command is a row here and its handler in control/cmd-*.c.
 */
#ifndef SB_CTL_SPEC_H
#define SB_CTL_SPEC_H

#include <stdio.h>

#include <jansson.h>

#include "errors.h"

/* Where switchboardctl looks when neither -s, -c nor SWITCHBOARD_SOCKET say. */
#define SB_CTL_DEFAULT_SOCKET SB_RUNDIR "/control.sock"  /* as the daemon's default */

enum sb_ctl_type {
	SB_CTL_STRING,  /* "--to X" -> "to": "X" */
	SB_CTL_INT,     /* "--limit 5" -> "limit": 5 */
	SB_CTL_KV,      /* "--var k=v" (repeatable) -> "vars": {"k": "v"} */
};

#define SB_CTL_REQUIRED 0x1
#define SB_CTL_MAX_ARGS 16

/* Command flags. */
#define SB_CMD_MUTATES 0x1  /* logged with the peer's uid */
#define SB_CMD_TEST 0x2     /* only when the daemon runs with -T (tests) */

struct sb_ctl_req;

/*
 * A command's handler (daemon only). Return 0 after having answered or
 * arranged to answer later (the request stays valid until answered), or -1
 * with `err` set to answer with that error at once.
 */
typedef int (*sb_ctl_exec_fn)(struct sb_ctl_req *req, struct sb_error *err);

struct sb_ctl_arg {
	const char *option;       /* "--to"; NULL for a positional (always required) */
	const char *key;          /* key in the request's args; NULL ends the list */
	enum sb_ctl_type type;
	const char *metavar;      /* "NUMBER" */
	unsigned flags;           /* SB_CTL_REQUIRED */
	int oneof;                /* > 0: exactly one option of this group is required */
	const char *help;
};

struct sb_ctl_spec {
	const char *words;        /* "filter allow"; NULL ends the table */
	const char *cmd;          /* wire name, "filter.allow" */
	const char *help;         /* one line */
	unsigned flags;           /* SB_CMD_MUTATES, SB_CMD_TEST */
	sb_ctl_exec_fn exec;      /* the daemon's handler; NULL in switchboardctl */
	struct sb_ctl_arg args[SB_CTL_MAX_ARGS]; /* the only keys "args" may have */
};

/* The table: the daemon's (with handlers) or switchboardctl's (without). */
extern const struct sb_ctl_spec sb_ctl_specs[];

/* The man page of switchboardctl (troff), generated from the table. */
void sb_ctl_man(FILE *out);

/*
 * Find the command named by the leading words of argv and turn the rest
 * into its args object (*args, owned by the caller). Returns the spec, or
 * NULL with err: unknown_command, or bad_argument with the command's usage
 * ("send: missing --to (usage: switchboardctl send --to NUMBER ...)").
 */
const struct sb_ctl_spec *sb_ctl_parse_argv(int argc, char *const *argv, json_t **args,
    struct sb_error *err);

/* "send --to NUMBER (--text TEXT | --template NAME) [--chain NAME] ..." */
void sb_ctl_usage(const struct sb_ctl_spec *s, char *buf, size_t len);

/* The list of commands with their one-line help. */
void sb_ctl_help(FILE *out);

/*
 * Usage, help and arguments of every command whose words start with
 * argv's ("send"; "filter" gives all filter commands). Returns the number
 * of commands printed (0: no such command, nothing printed).
 */
int sb_ctl_help_command(FILE *out, int argc, char *const *argv);

#endif
