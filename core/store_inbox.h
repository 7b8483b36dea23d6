/*
 * store_inbox.h - contacts, inbound messages, call records and the
 * folders an operator files them in, in the store.
 *
 * A contact is one person of a subaccount; each of its identities (a
 * phone number, a LINE user id, a WhatsApp id) belongs to exactly one
 * contact, made the first time the identity is seen (an inbound message,
 * a call, or an outbound message to a number).
 *
 * The folders are views: `inbox` and `flows` (inbound messages, by where
 * they were filed), `archived` (inbound messages an operator archived),
 * `outbox` (outbound being sent: queued, sending, accepted, waiting for
 * allowed hours), `sent` (delivered or read), `schedules` (scheduled),
 * `failed` (undeliverable, failed, expired, rejected, cancelled) and
 * `calls`. Every message and call is in exactly one folder, so the
 * counts add up to the total.
 *
 * Writes join the open group (store.c); answer after the commit.
 */
#ifndef SB_STORE_INBOX_H
#define SB_STORE_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errors.h"

struct sb_store;

/*
 * The contact of identity (kind, value) in `subaccount`, made if it is
 * new: its id, or -1 (database error). kind: "phone", "line", "whatsapp".
 */
int64_t sb_store_contact_of(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value, int64_t now_ms);

/*
 * Link identity (kind_b, b) to the contact of (kind_a, a) in `subaccount`
 * (made if neither is known). When both already belong to different
 * contacts, the two are merged into the first: identities, messages,
 * inbound messages, calls and flows. The contact's id, or -1 with err.
 */
int64_t sb_store_contact_link(struct sb_store *st, const char *subaccount, const char *kind_a,
    const char *a, const char *kind_b, const char *b, int64_t now_ms, struct sb_error *err);
/*
 * The `kind_to` identity of the contact that has (kind_from, from): 1 with
 * it in out, 0 if there is none (or it does not fit), -1 on error.
 */
int sb_store_contact_other(struct sb_store *st, const char *subaccount, const char *kind_from,
    const char *from, const char *kind_to, char *out, size_t len);
/*
 * Add (kind, value) to contact `id` of `subaccount` (a contact that held it
 * is merged into this one): the contact as sb_store_contact_json shows it,
 * or NULL with err (not_found).
 */
json_t *sb_store_contact_identity_add(struct sb_store *st, const char *subaccount, int64_t id,
    const char *kind, const char *value, struct sb_error *err);
/* Is `kind` an identity kind (phone, line, whatsapp)? 1 or 0. */
int sb_store_contact_kind_valid(const char *kind);

/* An inbound message as it is filed. Strings are copied. */
struct sb_inbound_row {
	const char *subaccount, *instance, *channel_type;
	const char *from, *to, *text, *media, *provider_id;
	int64_t contact_id;       /* the sender's contact (sb_store_contact_of), 0: none */
	int64_t flow_id;          /* its open flow (sb_store_flow_for): filed in `flows`; 0: inbox */
	int64_t received_ms;      /* the provider's time */
	int64_t at_ms;            /* when it was stored */
};

/* File an inbound message: its id (*duplicate = 1 if the same provider id was filed before), or -1. */
int64_t sb_store_inbound_file(struct sb_store *st, const struct sb_inbound_row *in,
    int *duplicate, struct sb_error *err);

/* A call record; the same shape and answer. */
struct sb_call_row {
	const char *subaccount, *instance, *direction; /* "inbound" or "outbound" */
	const char *from, *to, *provider_id;
	int64_t contact_id;                            /* 0: none */
	int64_t started_ms, duration_s;                /* -1: unknown */
	int64_t at_ms;
};
int64_t sb_store_call_file(struct sb_store *st, const struct sb_call_row *c, int *duplicate,
    struct sb_error *err);

/* {"folders": {"inbox": n, ...}, "total": n} of a subaccount. */
json_t *sb_store_folder_counts(struct sb_store *st, const char *subaccount,
    struct sb_error *err);

/* The folders' names, for help texts: "inbox, flows, ...". */
const char *sb_store_folder_names(void);

struct sb_folder_query {
	const char *subaccount;
	const char *folder;
	int64_t contact_id;       /* 0: any */
	int64_t from_ms, until_ms;/* 0: open */
	int64_t before_id;        /* paging: ids below this, 0: newest */
	int limit;                /* 1..1000 */
};
/* {"folder", "items": [...], "next_before": id or null}, newest first. */
json_t *sb_store_folder_list(struct sb_store *st, const struct sb_folder_query *q,
    struct sb_error *err);

/*
 * Archive an inbound message of `subaccount` (from inbox or flows), or
 * unarchive it (back to the folder it came from). 0, or -1 with err
 * (not_found; invalid_state when it is not where the move starts).
 */
int sb_store_inbound_archive(struct sb_store *st, const char *subaccount, int64_t id,
    int archive, int64_t now_ms, struct sb_error *err);
/* Delete an archived inbound message; elsewhere invalid_state. 0 or -1 with err. */
int sb_store_inbound_delete(struct sb_store *st, const char *subaccount, int64_t id,
    struct sb_error *err);

/*
 * Conversation flows: an application's open conversation with a contact,
 * whose inbound messages go to the flow's callback URL until it is closed
 * or expires.
 */
/* Open a flow: {"id", "contact", "callback_url", "created", "expires"} or NULL with err. */
json_t *sb_store_flow_open(struct sb_store *st, const char *subaccount, int64_t contact_id,
    const char *callback_url, int64_t ttl_ms, int64_t now_ms, struct sb_error *err);
/* One flow (open, closed or expired) or NULL (not_found). */
json_t *sb_store_flow_json(struct sb_store *st, const char *subaccount, int64_t id,
    int64_t now_ms, struct sb_error *err);
/* {"flows": [...]}: the open ones, newest first. */
json_t *sb_store_flow_list(struct sb_store *st, const char *subaccount, int64_t now_ms,
    struct sb_error *err);
/* Close an open flow. 0, or -1 with err (not_found; invalid_state if closed or expired). */
int sb_store_flow_close(struct sb_store *st, const char *subaccount, int64_t id,
    int64_t now_ms, struct sb_error *err);
/* The contact's open flow (newest): its id with its URL in url, or 0 (none), -1 (error). */
int64_t sb_store_flow_for(struct sb_store *st, const char *subaccount, int64_t contact_id,
    int64_t now_ms, char *url, size_t len);

/* {"id", "created", "identities": [{"kind", "value"}], "folders": counts} or NULL (not_found). */
json_t *sb_store_contact_json(struct sb_store *st, const char *subaccount, int64_t id,
    struct sb_error *err);

#endif
