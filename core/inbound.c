/*
 * inbound.c - inbound messages and call records from the channels
 * (inbound.h): which subaccount files them (the instance's `subaccount`,
 * else the first configured), which identity the sender is (a number, or
 * the channel's own user id), the event that tells the application
 * (events.h), and the log line. Storing is store_inbox.c's.
 */
#include <string.h>

#include "chantype.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "inbound.h"
#include "instance.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_inbox.h"

const char *
sb_inbound_id_kind(const char *addr, const char *channel_type)
{
	if (addr != NULL && addr[0] == '+')
		return "phone";
	if (channel_type != NULL && strncmp(channel_type, "line", 4) == 0)
		return "line";
	if (channel_type != NULL && strcmp(channel_type, "whatsapp") == 0)
		return "whatsapp";
	return "id";
}

static const char *
inbound_subaccount(const struct sb_instance *inst)
{
	const struct sb_config *cfg = inst->d->cfg;

	if (inst->cfg->subaccount != NULL)
		return inst->cfg->subaccount;
	return cfg->nsubaccounts > 0 ? cfg->subaccounts[0].name : "";
}

int
sb_inbound_message(struct sb_instance *inst, const struct sb_inbound *in)
{
	const char *type = sb_channel_type(inst->cfg->module);
	struct sb_inbound_row row = {
		.subaccount = inbound_subaccount(inst), .instance = inst->name,
		.channel_type = type, .from = in->from, .to = in->to, .text = in->text,
		.from_kind = sb_inbound_id_kind(in->from, type), .at_ms = sb_now_ms(),
	};
	struct sb_error err = { 0 };
	int duplicate = 0;
	int64_t id;

	/* Fields a plugin built against an older sb_inbound did not send. */
	if (SB_HAS_FIELD(in, struct sb_inbound, media_url))
		row.media = in->media_url;
	if (SB_HAS_FIELD(in, struct sb_inbound, provider_id))
		row.provider_id = in->provider_id;
	if (SB_HAS_FIELD(in, struct sb_inbound, at_ms))
		row.received_ms = in->at_ms;
	id = sb_store_inbound_file(inst->d->store, &row, &duplicate, &err);
	if (id < 0) {
		sb_log(SB_LOG_ERROR, "[%s] %s", inst->name, err.message);
		return -1;
	}
	sb_metrics_count("sb_inbound_total", inst->name, 0, duplicate ? 0 : 1);
	if (!duplicate) {
		/* The application hears of it in the same commit that files it. */
		json_t *payload = json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s}",
		    "id", (json_int_t)id, "from", in->from, "to", in->to, "text", in->text,
		    "media", row.media, "channel", inst->name, "channel_type", type);

		if (payload == NULL || sb_events_emit(inst->d, row.subaccount, in->from != NULL ?
		    in->from : "", "message.inbound", id, payload) < 0) {
			json_decref(payload);
			sb_log(SB_LOG_ERROR, "[%s] inbound message %lld: its event could not be"
			    " stored", inst->name, (long long)id);
			return -1;
		}
		json_decref(payload);
	}
	sb_log(SB_LOG_INFO, "[%s] inbound message %lld from %s%s", inst->name, (long long)id,
	    in->from != NULL ? in->from : "?", duplicate ? " (a repeat, filed once)" : "");
	return 0;
}

int
sb_inbound_call(struct sb_instance *inst, const struct sb_call *c)
{
	const char *type = sb_channel_type(inst->cfg->module);
	const char *contact = c->inbound ? c->from : c->to;
	struct sb_call_row row = {
		.subaccount = inbound_subaccount(inst), .instance = inst->name,
		.direction = c->inbound ? "inbound" : "outbound", .from = c->from, .to = c->to,
		.provider_id = c->provider_id, .contact_value = contact,
		.contact_kind = sb_inbound_id_kind(contact, type), .started_ms = c->started_ms,
		.duration_s = c->duration_s, .at_ms = sb_now_ms(),
	};
	struct sb_error err = { 0 };
	int duplicate = 0;

	if (sb_store_call_file(inst->d->store, &row, &duplicate, &err) < 0) {
		sb_log(SB_LOG_ERROR, "[%s] %s", inst->name, err.message);
		return -1;
	}
	sb_log(SB_LOG_INFO, "[%s] %s call %s %s", inst->name, row.direction,
	    c->inbound ? "from" : "to", contact != NULL ? contact : "?");
	return 0;
}
