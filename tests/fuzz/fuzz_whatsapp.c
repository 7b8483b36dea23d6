/*
 * fuzz_whatsapp.c - the WhatsApp Cloud API channel (plugins/whatsapp):
 * status and inbound-message webhooks (X-Hub-Signature-256; the harness
 * signs the fuzzed body with the app secret unless the input says not to,
 * so wa_hook_parse behind the check is reached), the GET subscription
 * handshake (hub.mode, hub.verify_token, hub.challenge in the query), and
 * the Graph API's answers to a send (error objects, codes, Retry-After).
 * Input layout: fuzz_webhook.h; for a send, bit 4 sends a template
 * message (its variables are the query line) instead of a text.
 */
#include <stdio.h>

#include "fuzz.h"
#include "fuzz_webhook.h"
#include "wa.h"

extern const struct sb_plugin whatsapp_LTX_sb_plugin;
#define PLUGIN (&whatsapp_LTX_sb_plugin)
#define SECRET "fuzz-app-secret"

static const char yaml[] =
    "base_url: \"http://127.0.0.1:9\"\n"
    "phone_number_id: \"106540352242922\"\n"
    "token: fuzz-token\n"
    "app_secret: " SECRET "\n"
    "verify_token: fuzz-verify\n"
    "template_lang: pt_BR\n";

static struct sb_instance *inst;
static void *state;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inst = fz_instance(PLUGIN, "wa", yaml, &state);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_send_request req = {
		.struct_size = sizeof(req), .ticket = 7, .message_id = 42,
		.attempt_key = "42-1", .to = "+5511999990000", .subaccount = "demo",
	};
	struct fz_input in;
	struct fz_hook h;

	if (fz_input_parse(data, size, &in) < 0)
		return 0;
	if (in.send) {
		if (in.alt) {
			req.template_name = "otp_code";
			req.template_lang = "pt_BR";
			req.template_vars = in.line;
		} else {
			req.text = "code 1234";
		}
		fz_send_and_answer(PLUGIN, state, inst, &req, in.status, in.body_z, in.body_len,
		    in.line);
	} else {
		/* The request keeps a pointer to sig until fz_hook_run: not narrower. */
		/* cppcheck-suppress variableScope */
		char sig[80];

		fz_hook_init(&h, in.alt ? "GET" : "POST", in.line,
		    "https://gw.example.com/hooks/wa", in.body, in.body_len);
		if (fz_input_ctype(&in) != NULL)
			fz_hook_header(&h, "Content-Type", fz_input_ctype(&in));
		if (!in.bad_sig) {
			char hex[65];

			wa_sig_hex(SECRET, strlen(SECRET), in.body != NULL ? in.body : "",
			    in.body_len, hex);
			snprintf(sig, sizeof(sig), "sha256=%s", hex);
			fz_hook_header(&h, "X-Hub-Signature-256", sig);
		} else if (in.ctype != 0) {
			fz_hook_header(&h, "X-Hub-Signature-256", in.line);
		}
		fz_hook_run(PLUGIN, state, &h);
	}
	fz_input_free(&in);
	return 0;
}
