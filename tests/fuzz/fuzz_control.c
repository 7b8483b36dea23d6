/*
 * fuzz_control.c - the control protocol (core/control_proto.c) with the
 * daemon's real command table (core/control/cmd_table.c), the argument
 * getters every command uses (core/control/args.c), and switchboardctl's
 * argv parser (core/ctl_spec.c).
 *
 * The input is one request line as the socket delivers it (without its
 * newline): parsed, its command looked up (with "did you mean" hints), its
 * argument keys checked against the command's schema, its common
 * arguments read, and a response encoded, which must be one JSON object
 * on one line. The same bytes, cut at newlines, are also an argv for the
 * client side.
 */
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "control.h"
#include "control/args.h"
#include "ctl_spec.h"
#include "fuzz.h"

/* Two subaccounts for the "subaccount" argument to name (or not). */
static const char cfg_yaml[] =
    "plugins:\n"
    "  sms: { module: test }\n"
    "chains:\n"
    "  default: [ { channel: sms } ]\n"
    "subaccounts:\n"
    "  demo: { chains: [ default ], timezone: UTC }\n"
    "  other: { chains: [ default ], timezone: America/Sao_Paulo }\n";
static struct sb_config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;

	if ((cfg = sb_config_parse("control.yaml", cfg_yaml, strlen(cfg_yaml), &err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

static void
check_response(json_t *id, json_t *result, const struct sb_error *err)
{
	size_t len = 0;
	char *line = sb_ctl_response_line(id, result, err, &len);
	json_t *back;

	FZ_ASSERT(line != NULL && len > 0 && line[len - 1] == '\n');
	FZ_ASSERT(memchr(line, '\n', len - 1) == NULL);
	back = json_loadb(line, len, 0, NULL);
	FZ_ASSERT(back != NULL && json_is_object(back));
	FZ_ASSERT(json_is_boolean(json_object_get(back, "ok")));
	json_decref(back);
	free(line);
}

static void
server_side(const char *line, size_t len)
{
	json_t *root = NULL, *id = NULL, *args = NULL, *obj = NULL;
	const struct sb_ctl_spec *cmd;
	const char *name = NULL, *s;
	struct sb_error err = { 0 };
	int64_t n;

	if (sb_ctl_parse_line(line, len, &root, &id, &name, &args, &err) < 0) {
		FZ_ASSERT(err.code == SB_E_BAD_REQUEST);
		check_response(id, NULL, &err);
		json_decref(root);
		return;
	}
	FZ_ASSERT(name != NULL && json_is_object(args));
	cmd = sb_ctl_find(sb_ctl_specs, name, 1, &err);
	if (cmd == NULL) {
		FZ_ASSERT(err.code == SB_E_UNKNOWN_COMMAND);
	} else if (sb_ctl_check_arg_keys(cmd, args, &err) < 0) {
		FZ_ASSERT(err.code == SB_E_BAD_ARGUMENT);
	} else {
		/* What the commands read first: the same getters, any values. */
		memset(&err, 0, sizeof(err));
		(void)sb_arg_message_id(args, &n, &err);
		(void)sb_arg_string(args, "to", SB_ARG_OPTIONAL, &s, &err);
		(void)sb_arg_string(args, "text", SB_ARG_OPTIONAL, &s, &err);
		(void)sb_arg_string(args, "send_at", SB_ARG_OPTIONAL, &s, &err);
		(void)sb_arg_int(args, "limit", SB_ARG_OPTIONAL, 1, 1000, &n, &err);
		(void)sb_arg_int(args, "seconds", SB_ARG_OPTIONAL, INT64_MIN, INT64_MAX, &n, &err);
		(void)sb_arg_object(args, "variables", SB_ARG_OPTIONAL, &obj, &err);
		(void)sb_arg_subaccount(args, cfg, &s, &err);
		check_response(id, json_deep_copy(args), NULL);
	}
	if (err.code != SB_E_OK)
		check_response(id, NULL, &err);
	json_decref(sb_ctl_string(name));
	json_decref(root);
}

static void
client_side(const uint8_t *data, size_t size)
{
	char *copy = fz_cstr(data, size), *argv[24], *p = copy;
	const struct sb_ctl_spec *spec;
	struct sb_error err = { 0 };
	json_t *args = NULL;
	int argc = 0;

	while (argc < 23 && p != NULL) {
		argv[argc++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	spec = sb_ctl_parse_argv(argc, argv, &args, &err);
	if (spec != NULL) {
		FZ_ASSERT(json_is_object(args) && spec->cmd != NULL);
		json_decref(args);
	} else {
		FZ_ASSERT(err.code != SB_E_OK && err.message[0] != '\0');
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (size_t)SB_CTL_MAX_LINE)
		return 0;
	server_side((const char *)data, size);
	if (size < 1024)
		client_side(data, size);
	return 0;
}
