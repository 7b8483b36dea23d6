/*
 * fuzz_twilio.c - the Twilio channel (plugins/twilio, plugins/common):
 * status callbacks (form or JSON; X-Twilio-Signature over the URL and the
 * sorted parameters, or bodySHA256 for JSON - the harness signs the fuzzed
 * request as Twilio would unless the input says not to, so the parameter
 * parsing and status mapping behind the check are reached), and Twilio's
 * answers to CreateMessage (a send) and FetchMessage (a poll, with bit 4).
 * Input layout: fuzz_webhook.h.
 */
#include <stdio.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "fuzz_webhook.h"
#include "twilio_util.h"
#include "webparams.h"

extern const struct sb_plugin twilio_LTX_sb_plugin;
#define PLUGIN (&twilio_LTX_sb_plugin)
#define TOKEN "fuzz-auth-token-77"
#define HOOK "https://gw.example.com/hooks/tw"

static const char yaml[] =
    "base_url: \"https://127.0.0.1:9\"\n"
    "account_sid: AC0123456789abcdef0123456789abcdef\n"
    "auth_token: " TOKEN "\n"
    "from: \"+15557122661\"\n"
    "status_map: { sent: accepted }\n"
    "error_map: { \"30008\": temporary, \"21610\": undeliverable }\n";

static struct sb_instance *inst;
static void *state;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inst = fz_instance(PLUGIN, "tw", yaml, &state);
	return 0;
}

static void
poll_and_answer(const struct fz_input *in)
{
	struct sb_poll_request req = {
		.struct_size = sizeof(req), .attempt_id = 9,
		.provider_id = "SM00000000000000000000000000000042", .to = "+5511999990000",
	};
	sb_http_done_fn done;

	snprintf(inst->reply_header, sizeof(inst->reply_header), "%s", in->line);
	if (PLUGIN->poll(state, &req) != 0 || inst->done == NULL) {
		inst->done = NULL;
		return;
	}
	done = inst->done;
	inst->done = NULL;
	done(inst->done_arg, in->status, in->body_z, in->body_len, NULL,
	    (const struct sb_http_reply *)(const void *)inst);
}

static void
webhook(const struct fz_input *in)
{
	char query[1200], url[1400], sig[TW_SIG_LEN + 1] = "";
	struct wp_list params = { 0 };
	struct fz_hook h;
	int json = in->ctype >= 2;

	snprintf(query, sizeof(query), "%s", in->line);
	if (json && !in->bad_sig) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char hex[65];

		FZ_ASSERT(EVP_Digest(in->body_z, in->body_len, md, &mdlen, EVP_sha256(), NULL) == 1);
		wp_hex(md, mdlen, hex);
		snprintf(query + strlen(query), sizeof(query) - strlen(query), "%sbodySHA256=%s",
		    query[0] != '\0' ? "&" : "", hex);
	}
	snprintf(url, sizeof(url), HOOK "%s%s", query[0] != '\0' ? "?" : "", query);
	if (!in->bad_sig && (json || wp_parse_form(&params, in->body, in->body_len) == 0)) {
		if (json)
			wp_clear(&params);
		wp_sort(&params);
		FZ_ASSERT(tw_signature(TOKEN, url, &params, sig) == 0);
	}
	wp_free(&params);
	fz_hook_init(&h, in->alt ? "GET" : "POST", query, url, in->body, in->body_len);
	if (fz_input_ctype(in) != NULL)
		fz_hook_header(&h, "Content-Type", fz_input_ctype(in));
	fz_hook_header(&h, "X-Twilio-Signature", in->bad_sig ? in->line : sig);
	fz_hook_run(PLUGIN, state, &h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_send_request req = {
		.struct_size = sizeof(req), .ticket = 7, .message_id = 42,
		.attempt_key = "42-1", .to = "+5511999990000", .text = "code 1234",
		.subaccount = "demo",
	};
	struct fz_input in;

	if (fz_input_parse(data, size, &in) < 0)
		return 0;
	if (in.send && in.alt)
		poll_and_answer(&in);
	else if (in.send)
		fz_send_and_answer(PLUGIN, state, inst, &req, in.status, in.body_z, in.body_len,
		    in.line);
	else
		webhook(&in);
	fz_input_free(&in);
	return 0;
}
