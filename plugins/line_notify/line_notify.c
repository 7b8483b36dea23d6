/*
 * line_notify.c - the `line_notify` channel: LINE notification messages
 * (PNP), POST {base_url}/bot/pnp/push addressed by the SHA-256 of the
 * recipient's E.164 number, and their delivery completion events on
 * /hooks/<instance>.
 *
 * Owns: hashing the number (LINE never sees it in clear), the delivery tag
 * (X-Line-Delivery-Tag = the attempt key, also kept as the attempt's
 * provider id so the completion event, which carries the tag back as
 * `delivery.data`, finds its attempt), and the
 * webhook: X-Line-Signature checked over the raw body before a byte of it
 * is believed, then one receipt per delivery event and one inbound
 * message per message event (a user writing to the LINE account, filed
 * once by LINE's message id). Its status table is
 * lc_pnp_rules in line_common.c. A 200 means accepted,
 * not delivered: the user may lack consent; the chain's fallback_after
 * (host logic) moves on when no completion event comes.
 *
 * Must never: send X-Line-Retry-Key (the PNP API does not support it and
 * answers 400), log the token, the channel secret or a number's hash with
 * its number, or trust a webhook that fails the signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_common.h"

struct notify {
	struct lc_chan ch;
	const char *secret;      /* channel secret: host-owned, never logged */
	size_t secret_len;
	int inbound_failed;      /* this webhook: a message could not be filed */
};

static void
notify_fini(void *state)
{
	struct notify *nt = state;

	if (nt == NULL)
		return;
	lc_chan_fini(&nt->ch);
	free(nt);
}

static int
notify_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct notify *nt = calloc(1, sizeof(*nt));
	int rc = 0;

	if (nt == NULL)
		return -1;
	nt->ch = (struct lc_chan){
		.host = host, .inst = inst, .module = "line_notify", .rules = lc_pnp_rules,
		.nrules = lc_pnp_nrules,
	};
	rc |= lc_chan_config(&nt->ch, "/bot/pnp/push");
	if (host->secret(inst, "channel_secret", &nt->secret) < 0) {
		rc = -1;
	} else if ((nt->secret_len = strlen(nt->secret)) == 0) {
		host->cfg_error(host->cfg_get(host->cfg_root(inst), "channel_secret"),
		    "channel_secret is empty");
		rc = -1;
	}
	if (rc != 0) {
		notify_fini(nt);
		return -1;
	}
	*state = nt;
	return 0;
}

static int
notify_send(void *state, const struct sb_send_request *req)
{
	struct notify *nt = state;
	char hash[LC_HASH_LEN + 1], tag[LC_TAG_MAX + 64];
	const char *headers[2] = { tag, NULL };
	const char *key = req->attempt_key != NULL ? req->attempt_key : "";
	size_t klen = strlen(key);
	int rc;

	if (req->text == NULL) {
		lc_chan_report(&nt->ch, req->ticket, SB_OUT_FAILED, "no_text",
		    "line_notify sends text messages, not templates");
		return 0;
	}
	if (req->to == NULL || lc_phone_hash(req->to, hash) < 0) {
		lc_chan_report(&nt->ch, req->ticket, SB_OUT_UNDELIVERABLE, "bad_number",
		    "not an E.164 number");
		return 0;
	}
	/* The tag comes back in the completion event: it must name this attempt. */
	if (klen < LC_TAG_MIN || klen > LC_TAG_MAX || strcspn(key, " \t\r\n") != klen) {
		lc_chan_report(&nt->ch, req->ticket, SB_OUT_FAILED, "bad_attempt_key",
		    "the attempt key cannot be an X-Line-Delivery-Tag (16 to 100 characters)");
		return 0;
	}
	snprintf(tag, sizeof(tag), "X-Line-Delivery-Tag: %s", key);
	rc = lc_chan_send(&nt->ch, req->ticket, key, hash, req->text, headers);
	if (rc == -2) {
		lc_chan_report(&nt->ch, req->ticket, SB_OUT_FAILED, "bad_text",
		    "text is not valid UTF-8");
		return 0;
	}
	return rc;
}

/* ---- delivery completion events ---- */

static void
hook_reject(struct notify *nt, struct sb_webhook_response *resp, int status,
    const char *why)
{
	nt->ch.host->log(nt->ch.inst, SB_LOG_WARN, "webhook rejected with %d: %s", status, why);
	nt->ch.host->counter_add(nt->ch.inst, "line_notify_webhook_rejected", 1);
	resp->status = status;
	resp->body = status == 403 ? "bad signature" : status == 405 ? "POST only" :
	    "malformed webhook body";
}

static void
one_delivery(void *arg, const char *data, int64_t at_ms, int redelivery)
{
	struct notify *nt = arg;
	struct sb_receipt rc = {
		.struct_size = sizeof(rc), .provider_id = data,
		.outcome = SB_OUT_DELIVERED, .at_ms = at_ms,
	};

	nt->ch.host->log(nt->ch.inst, SB_LOG_DEBUG, "delivery completed for tag %.100s%s",
	    data, redelivery ? " (redelivered event)" : "");
	nt->ch.host->counter_add(nt->ch.inst, "line_notify_deliveries", 1);
	nt->ch.host->receipt(nt->ch.inst, &rc);
}

/* A user wrote to the LINE account: filed as inbound, once per LINE message id. */
static void
one_message(void *arg, const char *user_id, const char *message_id, const char *text,
    int64_t at_ms)
{
	struct notify *nt = arg;
	const struct sb_inbound in = {
		.struct_size = sizeof(in), .from = user_id, .text = text,
		.provider_id = message_id, .at_ms = at_ms,
	};

	nt->ch.host->counter_add(nt->ch.inst, "line_inbound", 1);
	if (!SB_HOST_HAS(nt->ch.host, inbound_message))
		nt->ch.host->inbound(nt->ch.inst, user_id, NULL, text);
	else if (nt->ch.host->inbound_message(nt->ch.inst, &in) < 0)
		nt->inbound_failed = 1;
}

static void
notify_webhook(void *state, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	struct notify *nt = state;
	const char *sig = req->header != NULL ? req->header(req, "X-Line-Signature") : NULL;
	char err[160];
	size_t others = 0;
	int n;

	if (req->method == NULL || strcmp(req->method, "POST") != 0) {
		hook_reject(nt, resp, 405, "not a POST");
		return;
	}
	/* The raw body, as received, before any parsing. */
	if (!lc_signature_ok(nt->secret, nt->secret_len, req->body, req->body_len, sig)) {
		hook_reject(nt, resp, 403, sig == NULL ? "no X-Line-Signature header" :
		    "X-Line-Signature does not match the body");
		return;
	}
	n = lc_deliveries(req->body, req->body_len, one_delivery, nt, &others, err,
	    sizeof(err));
	if (n < 0) {
		hook_reject(nt, resp, 400, err);
		return;
	}
	nt->inbound_failed = 0;
	n = lc_messages(req->body, req->body_len, one_message, nt);
	if (n > 0 && (size_t)n <= others)
		others -= (size_t)n;
	if (others > 0)
		nt->ch.host->log(nt->ch.inst, SB_LOG_DEBUG, "%zu webhook events of other types"
		    " ignored", others);
	/* LINE redelivers an event it got no 2xx for; what was filed is filed once. */
	resp->status = nt->inbound_failed ? 503 : 200;
	resp->body = nt->inbound_failed ? "try again" : "OK";
}

SB_PLUGIN_DEFINE(line_notify) = SB_PLUGIN_INIT(
	.name = "line_notify",
	.version = "1.0.0",
	.description = "LINE notification messages (PNP) by phone-number hash, with"
	    " delivery completion webhooks",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		.max_body_len = 0,
		.receipts = SB_RECEIPT_WEBHOOK,  /* delivery completion event */
		.read_receipts = 0,
		.idempotent = 0,                 /* PNP supports no retry key */
		.default_rate = 2000,            /* PNP reference: 2,000 requests/s */
	),
	.init = notify_init,
	.fini = notify_fini,
	.send = notify_send,
	.webhook = notify_webhook,
);
