/*
 * control_proto.c - the control protocol without the socket: parsing a
 * request line, finding its command (with "did you mean" hints), checking
 * argument keys, and encoding a response line.
 *
 * Pure functions over jansson values: no event loop, no daemon state, so
 * unit tests link this file, errors.c and jansson and nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "jsonerr.h"

static const char *
json_type_word(const json_t *v)
{
	static const char *const words[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string", [JSON_INTEGER] = "a number",
		[JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};

	return words[json_typeof(v)];
}

/* Top-level fields of a request; anything else is a client bug worth reporting. */
static const char *const request_fields[] = { "id", "cmd", "args", "protocol", NULL };

static int
check_fields(json_t *root, struct sb_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v) {
		size_t i;

		for (i = 0; request_fields[i] != NULL; i++)
			if (strcmp(key, request_fields[i]) == 0)
				break;
		if (request_fields[i] == NULL)
			return sb_error_set(err, SB_E_BAD_REQUEST,
			    "unknown request field '%.64s' (expected id, cmd, args)", key);
	}
	v = json_object_get(root, "protocol");
	if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == SB_CTL_PROTOCOL))
		return sb_error_set(err, SB_E_BAD_REQUEST,
		    "unsupported protocol (this daemon speaks protocol %d)", SB_CTL_PROTOCOL);
	return 0;
}

int
sb_ctl_parse_line(const char *line, size_t len, json_t **root, json_t **id,
    const char **cmd, json_t **args, struct sb_error *err)
{
	json_error_t je;
	json_t *r, *c, *a;

	*root = NULL;
	*id = NULL;
	*cmd = NULL;
	*args = NULL;
	/* Duplicate keys would make "which cmd ran?" depend on the parser. */
	/* DECODE_ANY so that "[1]" is told "not an array", not "invalid JSON". */
	r = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (r == NULL)
		return sb_error_set(err, SB_E_BAD_REQUEST, "invalid JSON at byte %d: %s",
		    je.position, sb_json_error_words(&je));
	if (!json_is_object(r)) {
		sb_error_set(err, SB_E_BAD_REQUEST, "a request must be a JSON object, not %s",
		    json_type_word(r));
		json_decref(r);
		return -1;
	}
	*root = r;
	*id = json_object_get(r, "id");
	if (check_fields(r, err) < 0)
		return -1;
	c = json_object_get(r, "cmd");
	if (c == NULL)
		return sb_error_set(err, SB_E_BAD_REQUEST, "missing 'cmd'");
	if (!json_is_string(c))
		return sb_error_set(err, SB_E_BAD_REQUEST, "'cmd' must be a string, not %s",
		    json_type_word(c));
	if (json_string_length(c) == 0)
		return sb_error_set(err, SB_E_BAD_REQUEST, "'cmd' must not be empty");
	a = json_object_get(r, "args");
	if (a == NULL || json_is_null(a)) {
		/* Commands always see an object: no NULL checks in every exec. */
		if (json_object_set_new(r, "args", json_object()) < 0)
			return sb_error_set(err, SB_E_INTERNAL, "out of memory");
		a = json_object_get(r, "args");
	} else if (!json_is_object(a)) {
		return sb_error_set(err, SB_E_BAD_REQUEST, "'args' must be an object, not %s",
		    json_type_word(a));
	}
	*cmd = json_string_value(c);
	*args = a;
	return 0;
}

/* ---- command lookup ---- */

/*
 * Edit distance counting a swap of neighbours as one edit ("pnig" is one
 * away from "ping"). Names of 64 bytes or more are simply "far".
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), rows[3][64];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/*
 * Is `want` a plausible misspelling or shorthand of `name`? A typo (edit
 * distance 2, or 1 for short words), one dotted part ("status" for
 * "message.status") or a leading part ("message" for every message.*).
 */
static int
close_match(const char *want, const char *name)
{
	size_t lw = strlen(want), limit = lw <= 4 ? 1 : 2;
	const char *dot = strchr(name, '.');

	if (edit_distance(want, name) <= limit)
		return 1;
	if (dot != NULL && (strcmp(dot + 1, want) == 0 ||
	    ((size_t)(dot - name) == lw && strncmp(name, want, lw) == 0)))
		return 1;
	return lw >= 3 && strncmp(name, want, lw) == 0;
}

static int
visible(const struct sb_ctl_spec *c, int test_mode)
{
	return test_mode || !(c->flags & SB_CMD_TEST);
}

const struct sb_ctl_spec *
sb_ctl_find(const struct sb_ctl_spec *table, const char *name, int test_mode,
    struct sb_error *err)
{
	char hints[256] = "";
	size_t n = 0, used = 0;

	for (size_t i = 0; table[i].words != NULL; i++)
		if (visible(&table[i], test_mode) && strcmp(table[i].cmd, name) == 0)
			return &table[i];
	for (size_t i = 0; table[i].words != NULL; i++) {
		int w;

		if (!visible(&table[i], test_mode) || !close_match(name, table[i].cmd))
			continue;
		w = snprintf(hints + used, sizeof(hints) - used, "%s%s", n ? ", " : "",
		    table[i].cmd);
		if (w < 0 || (size_t)w >= sizeof(hints) - used)
			break;
		used += (size_t)w;
		n++;
	}
	if (n > 0)
		sb_error_set(err, SB_E_UNKNOWN_COMMAND,
		    "unknown command '%.64s' (did you mean: %s?)", name, hints);
	else
		sb_error_set(err, SB_E_UNKNOWN_COMMAND, "unknown command '%.64s'", name);
	return NULL;
}

/* The row's argument named `key`, or NULL. */
static const struct sb_ctl_arg *
arg_of(const struct sb_ctl_spec *cmd, const char *key)
{
	for (const struct sb_ctl_arg *a = cmd->args; a->key != NULL; a++)
		if (strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

/* Does `v` have the JSON type of `a`? (null: absent, for the handler to judge) */
static int
type_ok(const struct sb_ctl_arg *a, json_t *v)
{
	if (json_is_null(v))
		return 1;
	switch (a->type) {
	case SB_CTL_STRING:
		return json_is_string(v);
	case SB_CTL_INT:
		return json_is_integer(v);
	case SB_CTL_KV:
		return json_is_object(v);
	}
	return 0;
}

static const char *const type_words[] = {
	[SB_CTL_STRING] = "a non-empty string",
	[SB_CTL_INT] = "an integer",
	[SB_CTL_KV] = "an object",
};

int
sb_ctl_check_arg_keys(const struct sb_ctl_spec *cmd, json_t *args, struct sb_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		const struct sb_ctl_arg *a = arg_of(cmd, key);
		char names[256] = "";
		size_t used = 0;

		if (a != NULL) {
			if (type_ok(a, v))
				continue;
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "%s: '%.64s' must be %s",
			    cmd->cmd, key, type_words[a->type]);
		}
		if (cmd->args[0].key == NULL)
			return sb_error_set(err, SB_E_BAD_ARGUMENT,
			    "%s: takes no arguments (got '%.64s')", cmd->cmd, key);
		for (const struct sb_ctl_arg *e = cmd->args; e->key != NULL; e++) {
			int w = snprintf(names + used, sizeof(names) - used, "%s%s",
			    used ? " " : "", e->key);

			if (w < 0 || (size_t)w >= sizeof(names) - used)
				break;
			used += (size_t)w;
		}
		return sb_error_set(err, SB_E_BAD_ARGUMENT,
		    "%s: unknown argument '%.64s' (expected: %s)", cmd->cmd, key, names);
	}
	return 0;
}

/* ---- responses ---- */

/* Error texts can hold cut-off user input, which jansson refuses. */
json_t *
sb_ctl_string(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v != NULL)
		return v;
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

char *
sb_ctl_response_line(json_t *id, json_t *result, const struct sb_error *err, size_t *len)
{
	json_t *resp;
	char *text, *line;
	size_t n;

	if (err != NULL) {
		json_decref(result);
		resp = json_pack("{s:O, s:b, s:{s:s, s:o}}", "id", id != NULL ? id : json_null(),
		    "ok", 0, "error", "code", sb_err_word(err->code), "message",
		    sb_ctl_string(err->message));
	} else {
		resp = json_pack("{s:O, s:b, s:o}", "id", id != NULL ? id : json_null(), "ok", 1,
		    "result", result != NULL ? result : json_object());
	}
	text = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (text == NULL) {
		/* Only memory can fail here; keep the client from waiting forever. */
		static const struct sb_error oom = { SB_E_INTERNAL, "cannot encode the response" };

		return err != &oom ? sb_ctl_response_line(id, NULL, &oom, len) : NULL;
	}
	n = strlen(text);
	line = realloc(text, n + 2);
	if (line == NULL) {
		free(text);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}
