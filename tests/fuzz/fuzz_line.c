/*
 * fuzz_line.c - the LINE channels (plugins/line_notify, plugins/line_push,
 * plugins/line_common): line_notify's delivery completion webhook (signed
 * with X-Line-Signature; the harness signs the fuzzed body with the
 * channel secret unless the input says not to, so the event parser behind
 * the check is reached) and the answers LINE gives to a send of either
 * channel (status table, error bodies, sent message ids, quota,
 * Retry-After). Input layout: fuzz_webhook.h; for a send, bit 4 picks
 * line_push instead of line_notify.
 */
#include "fuzz.h"
#include "fuzz_webhook.h"
#include "line_common.h"

extern const struct sb_plugin line_notify_LTX_sb_plugin;
extern const struct sb_plugin line_push_LTX_sb_plugin;

#define SECRET "fuzz-channel-secret"

static const char notify_yaml[] =
    "base_url: \"http://127.0.0.1:9\"\n"
    "channel_access_token: fuzz-token\n"
    "channel_secret: " SECRET "\n";

static const char push_yaml[] =
    "base_url: \"http://127.0.0.1:9\"\n"
    "channel_access_token: fuzz-token\n"
    "users:\n"
    "  \"+5511999990000\": U4af4980629a0b1c2d3e4f5a6b7c8d9e0\n";

static struct sb_instance *notify, *push;
static void *notify_st, *push_st;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	notify = fz_instance(&line_notify_LTX_sb_plugin, "line_pnp", notify_yaml, &notify_st);
	push = fz_instance(&line_push_LTX_sb_plugin, "line", push_yaml, &push_st);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_send_request req = {
		.struct_size = sizeof(req), .ticket = 7, .message_id = 42,
		.attempt_key = "42-1", .to = "+5511999990000", .text = "code 1234",
		.subaccount = "demo",
	};
	char sig[LC_SIG_LEN + 1];
	struct fz_input in;
	struct fz_hook h;

	if (fz_input_parse(data, size, &in) < 0)
		return 0;
	if (in.send && in.alt) {
		fz_send_and_answer(&line_push_LTX_sb_plugin, push_st, push, &req, in.status,
		    in.body_z, in.body_len, in.line);
	} else if (in.send) {
		fz_send_and_answer(&line_notify_LTX_sb_plugin, notify_st, notify, &req,
		    in.status, in.body_z, in.body_len, in.line);
	} else {
		fz_hook_init(&h, in.alt ? "GET" : "POST", in.line,
		    "https://gw.example.com/hooks/line_pnp", in.body, in.body_len);
		if (fz_input_ctype(&in) != NULL)
			fz_hook_header(&h, "Content-Type", fz_input_ctype(&in));
		if (!in.bad_sig) {
			FZ_ASSERT(lc_signature(SECRET, strlen(SECRET), in.body != NULL ? in.body : "",
			    in.body_len, sig) == 0);
			fz_hook_header(&h, "X-Line-Signature", sig);
		} else if (in.line[0] != '\0') {
			fz_hook_header(&h, "X-Line-Signature", in.line);
		}
		fz_hook_run(&line_notify_LTX_sb_plugin, notify_st, &h);
	}
	fz_input_free(&in);
	return 0;
}
