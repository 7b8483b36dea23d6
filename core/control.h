/*
 * control.h - the Unix control socket: JSON lines, one command table.
 *
 * control.c owns the listening socket (path, mode, group from config), the
 * connections (SO_PEERCRED uid at accept, a cap per uid, accept paused near
 * the fd limit), line framing with a size limit, request validation and
 * dispatch through the command table, and writing responses. It never
 * blocks: a command that must wait (for a group commit) keeps its request
 * and answers later with sb_ctl_reply / sb_ctl_fail.
 *
 * The commands are the rows of one table, sb_ctl_specs (ctl_spec.c),
 * shared with switchboardctl: wire name, CLI words, typed arguments, flags
 * and the handler, which lives in core/control/cmd-<noun>-<verb>.c. The
 * daemon's argument check and the client's parser, help and man page all
 * read that one row, so they cannot drift.
 */
#ifndef SB_CONTROL_H
#define SB_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "ctl_spec.h"
#include "errors.h"

struct sb_daemon;
struct sb_control;
struct sb_ctl_req;

/* Longest request line (without its newline); longer ones close the connection. */
#define SB_CTL_MAX_LINE (1024 * 1024)
/*
 * Wire protocol version. A request may carry "protocol": N; a daemon that
 * does not speak N answers bad_request instead of guessing.
 */
#define SB_CTL_PROTOCOL 1

/* The table of commands: ctl_spec.c's sb_ctl_specs (tests supply their own). */

struct sb_control *sb_control_new(struct sb_daemon *d, struct sb_error *err);
/*
 * Closes connections and unlinks the socket. Pending requests are dropped:
 * they stay valid, and answering them later (a store commit during
 * shutdown) frees them without writing anything.
 */
void sb_control_free(struct sb_control *c);

/* What a command sees of its request. */
struct sb_daemon *sb_ctl_daemon(struct sb_ctl_req *req);
json_t *sb_ctl_args(struct sb_ctl_req *req);      /* borrowed; an object, maybe empty */
uid_t sb_ctl_uid(struct sb_ctl_req *req);

/* Answer: `result` is stolen (NULL means {}). Frees the request. */
void sb_ctl_reply(struct sb_ctl_req *req, json_t *result);
void sb_ctl_fail(struct sb_ctl_req *req, const struct sb_error *err);
/* Answer once the open store group is committed (ok) or failed. */
void sb_ctl_reply_after_commit(struct sb_ctl_req *req, json_t *result);

/*
 * Parse one request line. Returns 0 and sets *id (borrowed or NULL), *cmd
 * and *args (borrowed from *root, which the caller decrefs), or -1 with err
 * (bad_request). Exposed for tests.
 *
 * (control_proto.c) Absent or null "args" becomes an empty object inside
 * *root. On -1, *root is still set when the line was a JSON object (the
 * caller decrefs it) and *id then lets the error echo the request's id;
 * both are NULL for a line that is not a JSON object.
 */
int sb_ctl_parse_line(const char *line, size_t len, json_t **root, json_t **id,
    const char **cmd, json_t **args, struct sb_error *err);

/*
 * The command `name` of a table (ended by a row without words), skipping
 * SB_CMD_TEST rows unless `test_mode`. NULL with err (unknown_command,
 * naming close matches: "did you mean: message.status?") if there is none.
 */
const struct sb_ctl_spec *sb_ctl_find(const struct sb_ctl_spec *table, const char *name,
    int test_mode, struct sb_error *err);

/*
 * 0 if every key of `args` is one of the row's arguments and has its JSON
 * type (a string, an integer, an object of strings; null counts as
 * absent), else -1 with bad_argument naming the key.
 */
int sb_ctl_check_arg_keys(const struct sb_ctl_spec *cmd, json_t *args, struct sb_error *err);

/*
 * A JSON string from text that may have been cut in the middle of a UTF-8
 * sequence (plugin reasons, "%.40s" of user input): if jansson refuses it,
 * non-ASCII bytes become '?'. NULL only when out of memory.
 */
json_t *sb_ctl_string(const char *s);

/*
 * One response line, '\n'-terminated, malloc'd (caller frees), length in
 * *len: {"id", "ok": true, "result"} when err is NULL, else {"id", "ok":
 * false, "error": {code, message}}. `id` is borrowed (NULL: null);
 * `result` is stolen (NULL: {}). Never NULL except when out of memory.
 */
char *sb_ctl_response_line(json_t *id, json_t *result, const struct sb_error *err,
    size_t *len);

#endif
