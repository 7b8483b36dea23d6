/*
 * inbound.h - what comes in from the channels: inbound messages and call
 * records that plugins report (host->inbound_message, host->call, and the
 * ABI 1.0 host->inbound), filed under the instance's subaccount and the
 * sender's contact (store_inbox.h), in the group commit that answers the
 * provider's webhook; and the conversation flows that route them.
 */
#ifndef SB_INBOUND_H
#define SB_INBOUND_H

#include <switchboard/host.h>

#include <jansson.h>

#include "errors.h"

struct sb_instance;

/* The host's services; 0 when filed (or filed before), -1 if not. */
int sb_inbound_message(struct sb_instance *inst, const struct sb_inbound *in);
int sb_inbound_call(struct sb_instance *inst, const struct sb_call *c);

/* The host's contact_link and contact_find (host.h). */
int sb_inbound_contact_link(struct sb_instance *inst, const char *subaccount,
    const char *kind_a, const char *a, const char *kind_b, const char *b);
int sb_inbound_contact_find(struct sb_instance *inst, const char *subaccount,
    const char *kind_from, const char *from, const char *kind_to, char *out, size_t cap);

/* The identity kind of an address seen on a channel of `channel_type`. */
const char *sb_inbound_id_kind(const char *addr, const char *channel_type);

/*
 * Conversation flows: an application opens one for a contact, with a
 * callback URL and a time to live; while it is open the contact's inbound
 * messages are filed in `flows` and their events go to that URL (signed
 * with the subaccount's events secret, which must exist).
 */
struct sb_flow_req {
	const char *to;           /* the contact by number, or: */
	int64_t contact;          /* by id (-1: not an id) */
	const char *callback_url; /* http:// or https:// */
	const char *ttl;          /* "90m", "24h"; or: */
	int64_t ttl_s;            /* seconds */
};
struct sb_config_subaccount;
struct sb_daemon;
/* Check and open: the flow (a new reference, in the open group) or NULL with err. */
json_t *sb_flow_open(struct sb_daemon *d, const struct sb_config_subaccount *sub,
    const struct sb_flow_req *r, struct sb_error *err);

/*
 * Add an identity to contact `id` (kind phone: a number, normalized with
 * the subaccount's country; line: a LINE id; whatsapp: a wa_id), merging
 * the contact that held it: the contact, or NULL with err.
 */
json_t *sb_contact_identity_add(struct sb_daemon *d, const struct sb_config_subaccount *sub,
    int64_t id, const char *kind, const char *value, struct sb_error *err);

#endif
