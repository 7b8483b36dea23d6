/*
 * fuzz_vonage.c - the Vonage SMS channel (plugins/vonage, plugins/common):
 * delivery receipts (query, form or JSON; a signed `sig` parameter; the
 * part tracker that folds the receipts of a long text's parts) and the
 * answers to a send (per-part statuses, error texts). Two instances:
 * verify_receipts off (bit 4 clear: the parser is reached directly), and
 * signed (bit 4 set: the harness computes `sig` over the fuzzed form or
 * query parameters, as Vonage would, unless bit 3 says not to).
 * Input layout: fuzz_webhook.h.
 */
#include <stdio.h>

#include "fuzz.h"
#include "fuzz_webhook.h"
#include "vonage_util.h"
#include "webparams.h"

extern const struct sb_plugin vonage_LTX_sb_plugin;
#define PLUGIN (&vonage_LTX_sb_plugin)
#define SIG_SECRET "fuzz-signature-secret"

static const char plain_yaml[] =
    "base_url: \"https://127.0.0.1:9\"\n"
    "api_key: abcd1234\n"
    "api_secret: fuzz-api-secret\n"
    "from: ACME\n"
    "track_max: 1000\n"
    "error_map: { \"1\": temporary, \"6\": undeliverable }\n";

static const char signed_yaml[] =
    "base_url: \"https://127.0.0.1:9\"\n"
    "api_key: abcd1234\n"
    "signature_secret: " SIG_SECRET "\n"
    "signature_method: sha256\n"
    "sign_requests: true\n"
    "signature_max_age: 0s\n"
    "from: ACME\n"
    "max_parts: 3\n"
    "track_max: 1000\n";

static struct sb_instance *inst[2];
static void *state[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inst[0] = fz_instance(PLUGIN, "vg", plain_yaml, &state[0]);
	inst[1] = fz_instance(PLUGIN, "vg_signed", signed_yaml, &state[1]);
	return 0;
}

/* Append "&sig=<hex>" over the parameters of `src` (form or query) to it. */
static char *
signed_copy(const char *src, size_t len, size_t *out_len)
{
	struct wp_list params = { 0 };
	char *out = NULL;

	if (wp_parse_form(&params, src, len) == 0) {
		char sig[129];

		wp_sort(&params);
		if (vg_sign(VG_SIG_SHA256, SIG_SECRET, &params, sig, sizeof(sig)) == 0) {
			out = malloc(len + sizeof(sig) + 8);
			FZ_ASSERT(out != NULL);
			memcpy(out, src, len);
			*out_len = len + (size_t)sprintf(out + len, "%ssig=%s", len > 0 ? "&" : "",
			    sig);
		}
	}
	wp_free(&params);
	return out;
}

static void
webhook(const struct fz_input *in)
{
	const char *method = in->ctype == 0 && in->body_len == 0 ? "GET" : "POST";
	const char *query = in->line, *body = in->body;
	char *signed_q = NULL, *signed_b = NULL;
	size_t body_len = in->body_len, qlen;
	int i = in->alt;
	struct fz_hook h;

	if (i == 1 && !in->bad_sig) {
		if (strcmp(method, "POST") == 0 && in->ctype < 2)
			body = signed_b = signed_copy(in->body_z, in->body_len, &body_len);
		else if (strcmp(method, "GET") == 0)
			query = signed_q = signed_copy(in->line, strlen(in->line), &qlen);
		if (body == NULL) { /* unparseable: send it as it came */
			body = in->body;
			body_len = in->body_len;
		}
		if (query == NULL)
			query = in->line;
	}
	fz_hook_init(&h, method, query, "https://gw.example.com/hooks/vg", body, body_len);
	if (fz_input_ctype(in) != NULL)
		fz_hook_header(&h, "Content-Type", fz_input_ctype(in));
	fz_hook_run(PLUGIN, state[i], &h);
	free(signed_q);
	free(signed_b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_send_request req = {
		.struct_size = sizeof(req), .ticket = 7, .message_id = 42,
		.attempt_key = "42-1", .to = "+5511999990000", .subaccount = "demo",
		/* Two parts: the tracker gets both ids from the answer. */
		.text = "This text is long enough to be sent as two parts by Vonage: more than"
		    " one hundred and sixty GSM characters fill one part, so the rest goes into"
		    " a second one.",
	};
	struct fz_input in;

	if (fz_input_parse(data, size, &in) < 0)
		return 0;
	if (in.send)
		fz_send_and_answer(PLUGIN, state[in.alt], inst[in.alt], &req, in.status, in.body_z,
		    in.body_len, in.line);
	else
		webhook(&in);
	fz_input_free(&in);
	return 0;
}
