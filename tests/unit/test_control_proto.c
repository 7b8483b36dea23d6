/*
 * test_control_proto.c - the control protocol without a socket
 * (core/control_proto.c) and the CLI table of switchboardctl
 * (core/ctl_spec.c): request parsing, command lookup with hints, argument
 * key checks, response encoding, argv -> args, usage and help.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.h"
#include "ctl_spec.h"

/* ---- sb_ctl_parse_line ---- */

struct parsed {
	int rc;
	json_t *root, *id, *args;
	const char *cmd;
	struct sb_error err;
};

static struct parsed
parse(const char *line, size_t len)
{
	struct parsed p = { 0 };

	p.rc = sb_ctl_parse_line(line, len, &p.root, &p.id, &p.cmd, &p.args, &p.err);
	return p;
}

static struct parsed
parse_str(const char *line)
{
	return parse(line, strlen(line));
}

static void
expect_bad(const char *line, size_t len, const char *fragment)
{
	struct parsed p = parse(line, len);

	assert_int_equal(p.rc, -1);
	assert_int_equal(p.err.code, SB_E_BAD_REQUEST);
	if (strstr(p.err.message, fragment) == NULL)
		fail_msg("'%s' lacks '%s'", p.err.message, fragment);
	/* Our words, never jansson's (its texts name its flags and internals). */
	if (strstr(p.err.message, "JSON_") != NULL || strstr(p.err.message, "wrong arguments"))
		fail_msg("'%s' leaks the parser's words", p.err.message);
	json_decref(p.root);
}

static void
test_parse_valid(void **state)
{
	struct parsed p = parse_str("{\"id\": 7, \"cmd\": \"message.status\", \"args\": {\"id\": 3}}");

	assert_int_equal(p.rc, 0);
	assert_string_equal(p.cmd, "message.status");
	assert_int_equal(json_integer_value(p.id), 7);
	assert_int_equal(json_integer_value(json_object_get(p.args, "id")), 3);
	json_decref(p.root);

	/* No id, no args: args becomes an empty object, id stays NULL. */
	p = parse_str("  {\"cmd\":\"ping\"}  ");
	assert_int_equal(p.rc, 0);
	assert_null(p.id);
	assert_true(json_is_object(p.args));
	assert_int_equal(json_object_size(p.args), 0);
	json_decref(p.root);

	/* null args is the same as none; the protocol field is accepted. */
	p = parse_str("{\"cmd\":\"ping\",\"args\":null,\"protocol\":1}");
	assert_int_equal(p.rc, 0);
	assert_true(json_is_object(p.args));
	json_decref(p.root);
}

static void
test_parse_id_any_type(void **state)
{
	static const char *const ids[] = {
		"\"abc\"", "null", "1.5", "[1,2]", "{\"a\":1}", "true", "-3",
		"9223372036854775807",
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char line[128], *want, *got;
		json_t *expect = json_loads(ids[i], JSON_DECODE_ANY, NULL);
		struct parsed p;

		snprintf(line, sizeof(line), "{\"id\":%s,\"cmd\":\"ping\"}", ids[i]);
		p = parse_str(line);
		assert_int_equal(p.rc, 0);
		assert_non_null(p.id);
		want = json_dumps(expect, JSON_ENCODE_ANY | JSON_COMPACT);
		got = json_dumps(p.id, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_string_equal(got, want);
		free(want);
		free(got);
		json_decref(expect);
		json_decref(p.root);
	}
}

static void
test_parse_garbage(void **state)
{
	expect_bad("", 0, "invalid JSON");
	expect_bad("{", 1, "invalid JSON");
	expect_bad("hello", 5, "invalid JSON");
	expect_bad("{\"cmd\":\"ping\"} {}", 17, "invalid JSON");       /* two values */
	expect_bad("{\"cmd\":\"ping\",\"cmd\":\"x\"}", 24, "the same key twice"); /* duplicate */
	expect_bad("\xff\xfe{}", 4, "not valid UTF-8");                  /* not UTF-8 */
}

static void
test_parse_not_object(void **state)
{
	struct parsed p;

	expect_bad("[1,2]", 5, "not an array");
	expect_bad("\"ping\"", 6, "not a string");
	expect_bad("42", 2, "JSON object");
	expect_bad("null", 4, "JSON object");
	/* Nothing to echo: root and id stay NULL. */
	p = parse_str("[]");
	assert_null(p.root);
	assert_null(p.id);
}

static void
test_parse_cmd_field(void **state)
{
	struct parsed p;

	expect_bad("{\"id\":1}", 8, "missing 'cmd'");
	expect_bad("{\"cmd\":5}", 9, "'cmd' must be a string");
	expect_bad("{\"cmd\":null}", 12, "'cmd' must be a string");
	expect_bad("{\"cmd\":[\"ping\"]}", 16, "'cmd' must be a string");
	expect_bad("{\"cmd\":\"\"}", 10, "must not be empty");
	/* The id is still found, so the error can echo it. */
	p = parse_str("{\"id\":\"x1\",\"cmd\":5}");
	assert_int_equal(p.rc, -1);
	assert_string_equal(json_string_value(p.id), "x1");
	json_decref(p.root);
}

static void
test_parse_args_field(void **state)
{
	expect_bad("{\"cmd\":\"ping\",\"args\":[]}", 24, "'args' must be an object");
	expect_bad("{\"cmd\":\"ping\",\"args\":\"x\"}", 25, "'args' must be an object");
	expect_bad("{\"cmd\":\"ping\",\"args\":1}", 23, "'args' must be an object");
}

static void
test_parse_extra_fields(void **state)
{
	expect_bad("{\"cmd\":\"ping\",\"arguments\":{}}", 29, "unknown request field 'arguments'");
	expect_bad("{\"cmd\":\"ping\",\"protocol\":2}", 27, "protocol");
	expect_bad("{\"cmd\":\"ping\",\"protocol\":\"1\"}", 29, "protocol");
}

static void
test_parse_embedded_nul(void **state)
{
	static const char raw[] = "{\"cmd\":\"pi\0ng\"}";
	struct parsed p;

	/* A raw NUL byte inside the line, and an escaped one. */
	expect_bad(raw, sizeof(raw) - 1, "invalid JSON");
	expect_bad("{\"cmd\":\"pi\\u0000ng\"}", 20, "NUL character");
	/* A NUL after the object is trailing garbage too. */
	expect_bad("{\"cmd\":\"ping\"}\0", 15, "invalid JSON");
	/* The length is honoured: bytes past it are never read. */
	p = parse("{\"cmd\":\"ping\"}GARBAGE", 14);
	assert_int_equal(p.rc, 0);
	json_decref(p.root);
}

static void
test_parse_huge_numbers(void **state)
{
	struct parsed p;

	expect_bad("{\"id\":123456789012345678901234567890,\"cmd\":\"ping\"}", 51, "invalid JSON");
	expect_bad("{\"id\":1e999,\"cmd\":\"ping\"}", 25, "invalid JSON");
	p = parse_str("{\"id\":-9223372036854775808,\"cmd\":\"ping\"}");
	assert_int_equal(p.rc, 0);
	assert_true(json_integer_value(p.id) == INT64_MIN);
	json_decref(p.root);
	p = parse_str("{\"id\":1e300,\"cmd\":\"ping\"}");
	assert_int_equal(p.rc, 0);
	assert_true(json_is_real(p.id));
	json_decref(p.root);
}

static void
test_parse_long_line(void **state)
{
	/* The framing limit is control.c's; the parser takes any length. */
	size_t n = 2 * 1024 * 1024;
	char *line = malloc(n + 64);
	struct parsed p;
	int off = sprintf(line, "{\"cmd\":\"ping\",\"args\":{\"t\":\"");

	memset(line + off, 'a', n);
	strcpy(line + off + n, "\"}}");
	p = parse_str(line);
	assert_int_equal(p.rc, 0);
	assert_int_equal(strlen(json_string_value(json_object_get(p.args, "t"))), n);
	json_decref(p.root);
	free(line);
}

/* ---- sb_ctl_find, sb_ctl_check_arg_keys ---- */

static int
noop_exec(struct sb_ctl_req *req, struct sb_error *err)
{
	return 0;
}

#define ARG(k, t) { .option = "--" k, .key = (k), .type = (t) }

static const struct sb_ctl_spec table[] = {
	{ .words = "ping", .cmd = "ping", .exec = noop_exec },
	{ .words = "status", .cmd = "message.status", .exec = noop_exec,
	  .args = { ARG("id", SB_CTL_INT) } },
	{ .words = "send", .cmd = "message.send", .flags = SB_CMD_MUTATES, .exec = noop_exec,
	  .args = { ARG("to", SB_CTL_STRING), ARG("text", SB_CTL_STRING),
	      ARG("chain", SB_CTL_STRING), ARG("vars", SB_CTL_KV) } },
	{ .words = "config reload", .cmd = "config.reload", .flags = SB_CMD_MUTATES,
	  .exec = noop_exec },
	{ .words = "clock advance", .cmd = "clock.advance",
	  .flags = SB_CMD_TEST | SB_CMD_MUTATES, .exec = noop_exec,
	  .args = { ARG("ms", SB_CTL_INT) } },
	{ .words = NULL },
};
static const struct sb_ctl_spec *const c_ping = &table[0], *const c_status = &table[1],
	*const c_send = &table[2], *const c_clock = &table[4];

static void
expect_unknown(const char *name, int test_mode, const char *fragment)
{
	struct sb_error err = { 0 };

	assert_null(sb_ctl_find(table, name, test_mode, &err));
	assert_int_equal(err.code, SB_E_UNKNOWN_COMMAND);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("'%s' lacks '%s'", err.message, fragment);
}

static void
test_find(void **state)
{
	struct sb_error err = { 0 };

	assert_ptr_equal(sb_ctl_find(table, "message.status", 0, &err), c_status);
	assert_ptr_equal(sb_ctl_find(table, "ping", 0, &err), c_ping);
	/* Test-only commands exist only in test mode, and are not even hinted. */
	assert_ptr_equal(sb_ctl_find(table, "clock.advance", 1, &err), c_clock);
	expect_unknown("clock.advance", 0, "unknown command 'clock.advance'");
	expect_unknown("clock.advanc", 0, "unknown command 'clock.advanc'");
	expect_unknown("clock.advanc", 1, "did you mean: clock.advance?");
}

static void
test_find_hints(void **state)
{
	struct sb_error err = { 0 };

	expect_unknown("message.stauts", 0, "did you mean: message.status?");
	expect_unknown("status", 0, "did you mean: message.status?");
	expect_unknown("message", 0, "did you mean: message.status, message.send?");
	expect_unknown("pnig", 0, "did you mean: ping?");
	expect_unknown("reload", 0, "did you mean: config.reload?");
	/* Nothing close: no hint at all. */
	assert_null(sb_ctl_find(table, "frobnicate", 0, &err));
	assert_string_equal(err.message, "unknown command 'frobnicate'");
	/* Case matters on the wire. */
	expect_unknown("PING", 0, "unknown command 'PING'");
}

static void
test_arg_keys(void **state)
{
	struct sb_error err = { 0 };
	json_t *args = json_pack("{s:s, s:s}", "to", "+5511", "text", "hi");

	assert_int_equal(sb_ctl_check_arg_keys(c_send, args, &err), 0);
	json_object_set_new(args, "idempotencyKey", json_string("k"));
	assert_int_equal(sb_ctl_check_arg_keys(c_send, args, &err), -1);
	assert_int_equal(err.code, SB_E_BAD_ARGUMENT);
	assert_string_equal(err.message, "message.send: unknown argument 'idempotencyKey'"
	    " (expected: to text chain vars)");
	json_decref(args);

	/* A prefix of a known key is not that key. */
	args = json_pack("{s:i}", "i", 1);
	assert_int_equal(sb_ctl_check_arg_keys(c_status, args, &err), -1);
	json_decref(args);

	args = json_pack("{s:i}", "x", 1);
	assert_int_equal(sb_ctl_check_arg_keys(c_ping, args, &err), -1);
	assert_string_equal(err.message, "ping: takes no arguments (got 'x')");
	json_decref(args);
	args = json_object();
	assert_int_equal(sb_ctl_check_arg_keys(c_ping, args, &err), 0);
	json_decref(args);

	/* Each key has the type its row gives it; null counts as absent. */
	args = json_pack("{s:s}", "id", "7");
	assert_int_equal(sb_ctl_check_arg_keys(c_status, args, &err), -1);
	assert_string_equal(err.message, "message.status: 'id' must be an integer");
	json_decref(args);
	args = json_pack("{s:i}", "to", 5511);
	assert_int_equal(sb_ctl_check_arg_keys(c_send, args, &err), -1);
	assert_string_equal(err.message, "message.send: 'to' must be a non-empty string");
	json_decref(args);
	args = json_pack("{s:s, s:[s]}", "to", "+5511", "vars", "x");
	assert_int_equal(sb_ctl_check_arg_keys(c_send, args, &err), -1);
	assert_string_equal(err.message, "message.send: 'vars' must be an object");
	json_decref(args);
	args = json_pack("{s:s, s:{s:s}, s:n}", "to", "+5511", "vars", "k", "v", "chain");
	assert_int_equal(sb_ctl_check_arg_keys(c_send, args, &err), 0);
	json_decref(args);
	args = json_pack("{s:f}", "ms", 1.5);
	assert_int_equal(sb_ctl_check_arg_keys(c_clock, args, &err), -1);
	json_decref(args);
}

/*
 * The one table: every row has words, a wire name unique in the table,
 * help, and arguments with a key and a known type.
 */
static void
test_spec_table(void **state)
{
	size_t n = 0;

	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++, n++) {
		assert_non_null(s->cmd);
		assert_non_null(s->help);
		assert_null(s->exec); /* switchboardctl's build: no handlers */
		for (const struct sb_ctl_spec *t = sb_ctl_specs; t != s; t++)
			if (strcmp(t->cmd, s->cmd) == 0)
				fail_msg("'%s' twice", s->cmd);
		for (const struct sb_ctl_arg *a = s->args; a->key != NULL; a++)
			assert_true(a->type == SB_CTL_STRING || a->type == SB_CTL_INT ||
			    a->type == SB_CTL_KV);
	}
	assert_true(n >= 15);
}

/* ---- sb_ctl_response_line ---- */

static void
test_response_line(void **state)
{
	struct sb_error err = { 0 };
	json_t *id = json_string("req-1");
	size_t len = 0;
	char *line;

	line = sb_ctl_response_line(id, json_pack("{s:b}", "pong", 1), NULL, &len);
	assert_string_equal(line, "{\"id\":\"req-1\",\"ok\":true,\"result\":{\"pong\":true}}\n");
	assert_int_equal(len, strlen(line));
	free(line);

	line = sb_ctl_response_line(NULL, NULL, NULL, &len);
	assert_string_equal(line, "{\"id\":null,\"ok\":true,\"result\":{}}\n");
	free(line);

	sb_error_set(&err, SB_E_NOT_FOUND, "no message %d", 42);
	line = sb_ctl_response_line(id, json_object(), &err, &len);
	assert_string_equal(line, "{\"id\":\"req-1\",\"ok\":false,\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"no message 42\"}}\n");
	free(line);

	/* A message cut inside a UTF-8 sequence still makes a valid line. */
	sb_error_set(&err, SB_E_BAD_ARGUMENT, "bad '%.2s'", "\xc3\xa9\xc3\xa9");
	line = sb_ctl_response_line(NULL, NULL, &err, &len);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"bad '\xc3\xa9'\""));
	free(line);
	sb_error_set(&err, SB_E_BAD_ARGUMENT, "bad '%.3s'", "\xc3\xa9\xc3\xa9");
	line = sb_ctl_response_line(NULL, NULL, &err, &len);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"bad '?\?\?'\""));
	free(line);
	json_decref(id);
}

/* ---- ctl_spec: argv -> args ---- */

static json_t *
argv_ok(const char *want_cmd, int argc, char **argv)
{
	struct sb_error err = { 0 };
	json_t *args = NULL;
	const struct sb_ctl_spec *s = sb_ctl_parse_argv(argc, argv, &args, &err);

	if (s == NULL)
		fail_msg("refused: %s", err.message);
	assert_string_equal(s->cmd, want_cmd);
	return args;
}

static void
argv_bad(int argc, char **argv, enum sb_err code, const char *fragment)
{
	struct sb_error err = { 0 };
	json_t *args = (json_t *)1;

	assert_null(sb_ctl_parse_argv(argc, argv, &args, &err));
	assert_null(args);
	assert_int_equal(err.code, code);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("'%s' lacks '%s'", err.message, fragment);
}

#define ARGV(...) (int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
	(char *[]){ __VA_ARGS__ }

static void
assert_json(json_t *v, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	if (!json_equal(v, w)) {
		char *got = json_dumps(v, JSON_COMPACT);

		fail_msg("got %s, want %s", got, want);
	}
	json_decref(w);
	json_decref(v);
}

static void
test_argv_send(void **state)
{
	assert_json(argv_ok("message.send", ARGV("send", "--to", "+5511999990000", "--text",
	    "hi there", "--chain", "wa", "--at", "2026-11-23T18:00:00-03:00", "--key", "k1")),
	    "{\"to\":\"+5511999990000\",\"text\":\"hi there\",\"chain\":\"wa\","
	    "\"at\":\"2026-11-23T18:00:00-03:00\",\"idempotency_key\":\"k1\"}");
	/* --opt=value, template with variables (a value may contain '='). */
	assert_json(argv_ok("message.send", ARGV("send", "--to=1", "--template", "otp",
	    "--lang", "pt_BR", "--var", "code=12=34", "--var", "name=Ana")),
	    "{\"to\":\"1\",\"template\":\"otp\",\"lang\":\"pt_BR\","
	    "\"vars\":{\"code\":\"12=34\",\"name\":\"Ana\"}}");
	/* A value that looks like an option is still the value. */
	assert_json(argv_ok("message.send", ARGV("send", "--to", "1", "--text", "--help")),
	    "{\"to\":\"1\",\"text\":\"--help\"}");
}

static void
test_argv_positional(void **state)
{
	assert_json(argv_ok("message.status", ARGV("status", "42")), "{\"id\":42}");
	assert_json(argv_ok("message.cancel", ARGV("cancel", "--", "7")), "{\"id\":7}");
	assert_json(argv_ok("plugin.reload", ARGV("plugin", "reload", "http_sms")),
	    "{\"name\":\"http_sms\"}");
	assert_json(argv_ok("config.reload", ARGV("config", "reload")), "{}");
	assert_json(argv_ok("ping", ARGV("ping")), "{}");
	assert_json(argv_ok("message.list", ARGV("list", "--status", "queued", "--limit", "5",
	    "--batch", "3")), "{\"status\":\"queued\",\"limit\":5,\"batch\":3}");
	assert_json(argv_ok("filter.allow", ARGV("filter", "allow", "--domain", "x.com")),
	    "{\"domain\":\"x.com\"}");
}

static void
test_argv_errors(void **state)
{
	argv_bad(ARGV("send", "--text", "x"), SB_E_BAD_ARGUMENT,
	    "send: missing --to (usage: switchboardctl send --to NUMBER (--text TEXT |"
	    " --template NAME) [--lang LANG] [--template-version N] [--var KEY=VALUE ...]");
	argv_bad(ARGV("send", "--to", "1"), SB_E_BAD_ARGUMENT,
	    "send: missing --text or --template");
	argv_bad(ARGV("send", "--to", "1", "--text", "a", "--template", "t"),
	    SB_E_BAD_ARGUMENT, "--text and --template cannot be combined");
	argv_bad(ARGV("send", "--to", "1", "--text", "a", "--bogus", "x"), SB_E_BAD_ARGUMENT,
	    "send: unknown option --bogus (usage:");
	argv_bad(ARGV("send", "--to", "1", "--text", "a", "--bogus=x"), SB_E_BAD_ARGUMENT,
	    "send: unknown option --bogus (usage:");
	argv_bad(ARGV("send", "--to"), SB_E_BAD_ARGUMENT, "--to needs a value (NUMBER)");
	argv_bad(ARGV("send", "--to", "1", "--to", "2", "--text", "a"), SB_E_BAD_ARGUMENT,
	    "--to given twice");
	argv_bad(ARGV("send", "--to", "1", "--template", "t", "--var", "novalue"),
	    SB_E_BAD_ARGUMENT, "--var expects KEY=VALUE, not 'novalue'");
	argv_bad(ARGV("send", "--to", "1", "--template", "t", "--var", "=v"),
	    SB_E_BAD_ARGUMENT, "--var expects KEY=VALUE");
	argv_bad(ARGV("send", "--to", "1", "--template", "t", "--var", "a=1", "--var", "a=2"),
	    SB_E_BAD_ARGUMENT, "--var a given twice");
	argv_bad(ARGV("send", "--to", "1", "--text", "\xff"), SB_E_BAD_ARGUMENT,
	    "--text is not valid UTF-8");
	argv_bad(ARGV("list", "--limit", "ten"), SB_E_BAD_ARGUMENT,
	    "list: --limit must be an integer, not 'ten'");
	argv_bad(ARGV("list", "--limit", "5x"), SB_E_BAD_ARGUMENT, "must be an integer");
	argv_bad(ARGV("list", "--limit", ""), SB_E_BAD_ARGUMENT, "must be an integer");
	argv_bad(ARGV("list", "--before", "99999999999999999999"), SB_E_BAD_ARGUMENT,
	    "must be an integer");
	argv_bad(ARGV("status"), SB_E_BAD_ARGUMENT, "status: missing ID (usage:"
	    " switchboardctl status ID)");
	argv_bad(ARGV("status", "x"), SB_E_BAD_ARGUMENT, "ID must be an integer, not 'x'");
	argv_bad(ARGV("status", "1", "2"), SB_E_BAD_ARGUMENT, "unexpected argument '2'");
	argv_bad(ARGV("filter", "allow"), SB_E_BAD_ARGUMENT, "missing --term or --domain");
	argv_bad(ARGV("filter", "allow", "--term", "a", "--domain", "b"), SB_E_BAD_ARGUMENT,
	    "cannot be combined");
	argv_bad(ARGV("filter", "check"), SB_E_BAD_ARGUMENT, "filter check: missing --text");
	argv_bad(ARGV("filter"), SB_E_UNKNOWN_COMMAND,
	    "filter: expected one of: check, allow, revoke, list");
	argv_bad(ARGV("filter", "nope"), SB_E_UNKNOWN_COMMAND, "filter: expected one of");
	argv_bad(ARGV("frobnicate"), SB_E_UNKNOWN_COMMAND, "unknown command 'frobnicate'");
	argv_bad(0, (char *[]){ NULL }, SB_E_UNKNOWN_COMMAND, "missing command");
}

/* ---- ctl_spec: usage and help come from the table ---- */

static char *
capture(int (*fn)(FILE *, int, char *const *), int argc, char **argv, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = fn(f, argc, argv);
	fclose(f);
	return buf;
}

static int
help_all(FILE *f, int argc, char *const *argv)
{
	sb_ctl_help(f);
	return 0;
}

static void
test_help(void **state)
{
	const struct sb_ctl_spec *send = sb_ctl_specs;
	char usage[400], *text;
	int rc;

	/* Every table row is listed with its one-line help. */
	text = capture(help_all, 0, NULL, &rc);
	for (const struct sb_ctl_spec *s = sb_ctl_specs; s->words != NULL; s++) {
		assert_non_null(strstr(text, s->words));
		assert_non_null(strstr(text, s->help));
	}
	assert_non_null(strstr(text, "status ID"));
	assert_non_null(strstr(text, "plugin reload MODULE"));
	free(text);

	text = capture(sb_ctl_help_command, ARGV("send"), &rc);
	assert_int_equal(rc, 1);
	while (strcmp(send->words, "send") != 0)
		send++;
	sb_ctl_usage(send, usage, sizeof(usage));
	assert_non_null(strstr(text, usage));
	for (const struct sb_ctl_arg *a = send->args; a->key != NULL; a++) {
		assert_non_null(strstr(text, a->option));
		assert_non_null(strstr(text, a->help));
	}
	free(text);

	/* A leading word gives every command under it. */
	text = capture(sb_ctl_help_command, ARGV("filter"), &rc);
	assert_int_equal(rc, 4);
	assert_non_null(strstr(text, "usage: switchboardctl filter allow [--subaccount NAME]"
	    " (--term TERM | --domain DOMAIN)"));
	free(text);

	text = capture(sb_ctl_help_command, ARGV("nope"), &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(text, "");
	free(text);
}

static void
test_usage_lines(void **state)
{
	static const struct {
		const char *words, *usage;
	} want[] = {
		{ "ping", "ping" },
		{ "plugin reload", "plugin reload MODULE" },
		{ "send", "send --to NUMBER (--text TEXT | --template NAME) [--lang LANG]"
		    " [--template-version N] [--var KEY=VALUE ...] [--chain NAME]"
		    " [--subaccount NAME] [--from ID] [--at TIME] [--key IDEMPOTENCY_KEY]" },
		{ "list", "list [--status STATUS] [--limit N] [--before ID] [--subaccount NAME]"
		    " [--channel NAME] [--to NUMBER] [--batch ID]" },
		{ "filter check", "filter check [--subaccount NAME] --text TEXT [--to NUMBER]" },
	};
	char usage[400];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sb_ctl_spec *s = sb_ctl_specs;

		while (s->words != NULL && strcmp(s->words, want[i].words) != 0)
			s++;
		assert_non_null(s->words);
		sb_ctl_usage(s, usage, sizeof(usage));
		assert_string_equal(usage, want[i].usage);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_id_any_type),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_not_object),
		cmocka_unit_test(test_parse_cmd_field),
		cmocka_unit_test(test_parse_args_field),
		cmocka_unit_test(test_parse_extra_fields),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_parse_huge_numbers),
		cmocka_unit_test(test_parse_long_line),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_hints),
		cmocka_unit_test(test_arg_keys),
		cmocka_unit_test(test_spec_table),
		cmocka_unit_test(test_response_line),
		cmocka_unit_test(test_argv_send),
		cmocka_unit_test(test_argv_positional),
		cmocka_unit_test(test_argv_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
