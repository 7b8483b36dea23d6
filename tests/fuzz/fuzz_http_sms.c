/*
 * fuzz_http_sms.c - the http_sms channel (plugins/http_sms): delivery
 * receipts on its webhook (query, form or JSON; the token; id and status
 * parameters; a status map) and the carrier's answers to a send (accept
 * statuses, the id taken from JSON or text, Retry-After), through the
 * plugin's ABI with a fake host. Input layout: fuzz_webhook.h; bit 4
 * picks the instance: a Kannel-style one (GET, token, Kannel statuses) or
 * a JSON REST one (id from JSON, a status map, no token).
 */
#include <stdio.h>

#include "fuzz.h"
#include "fuzz_webhook.h"

extern const struct sb_plugin http_sms_LTX_sb_plugin;
#define PLUGIN (&http_sms_LTX_sb_plugin)

static const char kannel_yaml[] =
    "url: \"http://127.0.0.1:9/cgi-bin/sendsms\"\n"
    "method: GET\n"
    "params:\n"
    "  username: \"{secret:user}\"\n"
    "  to: \"{to}\"\n"
    "  text: \"{text}\"\n"
    "  dlr-mask: \"19\"\n"
    "  dlr-url: \"{dlr_url}\"\n"
    "user: sbuser\n"
    "dlr_token: tok-123\n"
    "from: SWITCHBOARD\n"
    "accept_status: [202]\n"
    "dlr:\n"
    "  kannel: true\n"
    "  error_param: err\n"
    "  token: \"{secret:dlr_token}\"\n";

static const char json_yaml[] =
    "url: \"http://127.0.0.1:9/v1/sms/{subaccount}\"\n"
    "body: json\n"
    "params:\n"
    "  to: \"{to_digits}\"\n"
    "  text: \"{text}\"\n"
    "  ref: \"sb-{message_id}\"\n"
    "headers:\n"
    "  X-Api-Key: \"{secret:key}\"\n"
    "key: k-999\n"
    "id_from: \"json:messages.0.id\"\n"
    "temporary_status: [429, \"500-599\"]\n"
    "undeliverable_status: [404, 422]\n"
    "dlr:\n"
    "  id_param: messageId\n"
    "  status_param: state\n"
    "  error_param: error.code\n"
    "  status_map: { DELIVRD: delivered, UNDELIV: undeliverable, EXPIRED: expired }\n";

static struct sb_instance *inst[2];
static void *state[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inst[0] = fz_instance(PLUGIN, "kannel", kannel_yaml, &state[0]);
	inst[1] = fz_instance(PLUGIN, "rest", json_yaml, &state[1]);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	struct fz_hook h;
	int i;

	if (fz_input_parse(data, size, &in) < 0)
		return 0;
	i = in.alt;
	if (in.send) {
		struct sb_send_request req = {
			.struct_size = sizeof(req), .ticket = 7, .message_id = 42,
			.attempt_key = "42-1", .to = "+5511999990000", .text = "code 1234",
			.subaccount = "demo",
		};

		fz_send_and_answer(PLUGIN, state[i], inst[i], &req, in.status, in.body_z,
		    in.body_len, in.line);
	} else {
		fz_hook_init(&h, in.bad_sig ? "GET" : "POST", in.line,
		    "https://gw.example.com/hooks/fz", in.body, in.body_len);
		if (fz_input_ctype(&in) != NULL)
			fz_hook_header(&h, "Content-Type", fz_input_ctype(&in));
		fz_hook_run(PLUGIN, state[i], &h);
	}
	fz_input_free(&in);
	return 0;
}
