/*
 * inbound.h - what comes in from the channels: inbound messages and call
 * records that plugins report (host->inbound_message, host->call, and the
 * ABI 1.0 host->inbound), filed under the instance's subaccount and the
 * sender's contact (store_inbox.h), in the group commit that answers the
 * provider's webhook.
 */
#ifndef SB_INBOUND_H
#define SB_INBOUND_H

#include <switchboard/host.h>

struct sb_instance;

/* The host's services; 0 when filed (or filed before), -1 if not. */
int sb_inbound_message(struct sb_instance *inst, const struct sb_inbound *in);
int sb_inbound_call(struct sb_instance *inst, const struct sb_call *c);

/* The identity kind of an address seen on a channel of `channel_type`. */
const char *sb_inbound_id_kind(const char *addr, const char *channel_type);

#endif
