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
#include "phone.h"
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
		.at_ms = sb_now_ms(),
	};
	struct sb_error err = { 0 };
	char flow_url[1024] = "";
	int duplicate = 0;
	int64_t id;

	/* Fields a plugin built against an older sb_inbound did not send. */
	if (SB_HAS_FIELD(in, struct sb_inbound, media_url))
		row.media = in->media_url;
	if (SB_HAS_FIELD(in, struct sb_inbound, provider_id))
		row.provider_id = in->provider_id;
	if (SB_HAS_FIELD(in, struct sb_inbound, at_ms))
		row.received_ms = in->at_ms;
	/* The sender's contact, and its open flow if an application has one. */
	if (in->from != NULL) {
		row.contact_id = sb_store_contact_of(inst->d->store, row.subaccount,
		    sb_inbound_id_kind(in->from, type), in->from, row.at_ms);
		row.flow_id = row.contact_id > 0 ? sb_store_flow_for(inst->d->store,
		    row.subaccount, row.contact_id, row.at_ms, flow_url, sizeof(flow_url)) : 0;
		if (row.contact_id < 0 || row.flow_id < 0) {
			sb_log(SB_LOG_ERROR, "[%s] filing an inbound message: %s", inst->name,
			    sb_store_errmsg(inst->d->store));
			return -1;
		}
	}
	id = sb_store_inbound_file(inst->d->store, &row, &duplicate, &err);
	if (id < 0) {
		sb_log(SB_LOG_ERROR, "[%s] %s", inst->name, err.message);
		return -1;
	}
	sb_metrics_count("sb_inbound_total", inst->name, 0, duplicate ? 0 : 1);
	if (!duplicate) {
		/* The application hears of it in the same commit that files it. */
		json_t *payload = json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:o}",
		    "id", (json_int_t)id, "from", in->from, "to", in->to, "text", in->text,
		    "media", row.media, "channel", inst->name, "channel_type", type, "flow",
		    row.flow_id > 0 ? json_integer(row.flow_id) : json_null());

		if (payload == NULL || sb_events_emit(inst->d, row.subaccount, in->from != NULL ?
		    in->from : "", "message.inbound", id, payload,
		    row.flow_id > 0 ? flow_url : NULL) < 0) {
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
		.provider_id = c->provider_id, .started_ms = c->started_ms,
		.duration_s = c->duration_s, .at_ms = sb_now_ms(),
	};
	struct sb_error err = { 0 };
	int duplicate = 0;

	if (contact != NULL && (row.contact_id = sb_store_contact_of(inst->d->store,
	    row.subaccount, sb_inbound_id_kind(contact, type), contact, row.at_ms)) < 0) {
		sb_log(SB_LOG_ERROR, "[%s] filing a call: %s", inst->name,
		    sb_store_errmsg(inst->d->store));
		return -1;
	}

	if (sb_store_call_file(inst->d->store, &row, &duplicate, &err) < 0) {
		sb_log(SB_LOG_ERROR, "[%s] %s", inst->name, err.message);
		return -1;
	}
	sb_log(SB_LOG_INFO, "[%s] %s call %s %s", inst->name, row.direction,
	    c->inbound ? "from" : "to", contact != NULL ? contact : "?");
	return 0;
}

#define FLOW_TTL_MAX_MS (30LL * 86400000) /* a flow lives at most 30 days */
#define FLOW_URL_MAX 1000

/* The contact a flow is for: an id of the subaccount, or a number. */
static int64_t
flow_contact(struct sb_store *st, const struct sb_config_subaccount *sub,
    const struct sb_flow_req *r, struct sb_error *err)
{
	const char *why = NULL;
	char e164[32];
	json_t *known;

	if ((r->contact != 0) == (r->to != NULL))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "give either 'contact' (an id) or"
		    " 'to' (a number)");
	if (r->to != NULL) {
		if (sb_phone_normalize(r->to, sub->default_country, e164, sizeof(e164), &why) < 0)
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "invalid phone number in 'to':"
			    " %s", why);
		return sb_store_contact_of(st, sub->name, "phone", e164, sb_now_ms());
	}
	if (r->contact < 1)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'contact' must be a contact id");
	known = sb_store_contact_json(st, sub->name, r->contact, err);
	if (known == NULL)
		return -1;
	json_decref(known);
	return r->contact;
}

json_t *
sb_flow_open(struct sb_daemon *d, const struct sb_config_subaccount *sub,
    const struct sb_flow_req *r, struct sb_error *err)
{
	const char *url = r->callback_url;
	int64_t ttl = r->ttl_s * 1000, contact;

	if (url == NULL || strlen(url) > FLOW_URL_MAX || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "'callback_url' must be an http:// or"
		    " https:// URL of at most %d bytes", FLOW_URL_MAX);
		return NULL;
	}
	if (r->ttl != NULL && sb_parse_duration_ms(r->ttl, &ttl) < 0)
		ttl = 0;
	if (ttl <= 0 || ttl > FLOW_TTL_MAX_MS) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "'ttl' must be a duration from 1s to 30 days"
		    " (\"90m\", \"24h\", or seconds)");
		return NULL;
	}
	/* What a flow is sent is signed with the subaccount's events secret. */
	if (sub->events.url == NULL) {
		sb_error_set(err, SB_E_INVALID_STATE, "subaccount '%s' has no events section"
		    " (its secret signs what a flow is sent)", sub->name);
		return NULL;
	}
	contact = flow_contact(d->store, sub, r, err);
	if (contact < 0)
		return NULL;
	return sb_store_flow_open(d->store, sub->name, contact, url, ttl, sb_now_ms(), err);
}

int
sb_inbound_contact_link(struct sb_instance *inst, const char *subaccount, const char *kind_a,
    const char *a, const char *kind_b, const char *b)
{
	struct sb_error err = { 0 };

	if (inst->d->store == NULL)
		return 0; /* a configuration check: nothing to link */
	if (a == NULL || b == NULL || !sb_store_contact_kind_valid(kind_a) ||
	    !sb_store_contact_kind_valid(kind_b)) {
		sb_log(SB_LOG_WARN, "[%s] contact_link: kinds are phone, line or whatsapp, and"
		    " both values are needed", inst->name);
		return -1;
	}
	if (sb_store_contact_link(inst->d->store, subaccount != NULL ? subaccount :
	    inbound_subaccount(inst), kind_a, a, kind_b, b, sb_now_ms(), &err) < 0) {
		sb_log(SB_LOG_ERROR, "[%s] %s", inst->name, err.message);
		return -1;
	}
	return 0;
}

int
sb_inbound_contact_find(struct sb_instance *inst, const char *subaccount,
    const char *kind_from, const char *from, const char *kind_to, char *out, size_t cap)
{
	if (inst->d->store == NULL || from == NULL || kind_from == NULL || kind_to == NULL ||
	    out == NULL || cap == 0)
		return 0;
	return sb_store_contact_other(inst->d->store, subaccount != NULL ? subaccount :
	    inbound_subaccount(inst), kind_from, from, kind_to, out, cap);
}

json_t *
sb_contact_identity_add(struct sb_daemon *d, const struct sb_config_subaccount *sub,
    int64_t id, const char *kind, const char *value, struct sb_error *err)
{
	const char *why = NULL;
	char e164[32];
	size_t n = value != NULL ? strlen(value) : 0;

	if (kind == NULL || value == NULL) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "an identity needs 'kind' (phone, line or"
		    " whatsapp) and 'value'");
		return NULL;
	}
	if (strcmp(kind, "phone") == 0) {
		if (sb_phone_normalize(value, sub->default_country, e164, sizeof(e164), &why) < 0) {
			sb_error_set(err, SB_E_BAD_ARGUMENT, "invalid phone number '%.40s': %s", value,
			    why);
			return NULL;
		}
		value = e164;
	} else if (strcmp(kind, "line") == 0) {
		/* U (user), C (group) or R (room), then 32 hex digits. */
		if (n != 33 || strchr("UCR", value[0]) == NULL ||
		    strspn(value + 1, "0123456789abcdef") != 32) {
			sb_error_set(err, SB_E_BAD_ARGUMENT, "a LINE id is U, C or R and 32 lower-case"
			    " hex digits");
			return NULL;
		}
	} else if (strcmp(kind, "whatsapp") == 0) {
		if (n == 0 || n > 20 || strspn(value, "0123456789") != n) {
			sb_error_set(err, SB_E_BAD_ARGUMENT, "a WhatsApp id is 1 to 20 digits");
			return NULL;
		}
	} else {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown identity kind '%.20s' (expected phone,"
		    " line or whatsapp)", kind);
		return NULL;
	}
	return sb_store_contact_identity_add(d->store, sub->name, id, kind, value, err);
}
