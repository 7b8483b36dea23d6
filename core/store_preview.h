/*
 * store_preview.h - one message as the operator's preview shows it: its
 * content as sent, the channel type and instance that delivered it (or
 * tried last), its attempts with their times, its SMS segment count, when
 * it was triggered, sent, delivered and read, who triggered it (user and
 * subaccount) and its broadcast with its file name.
 */
#ifndef SB_STORE_PREVIEW_H
#define SB_STORE_PREVIEW_H

#include <stdint.h>

#include <jansson.h>

struct sb_store;

/*
 * The preview of message `id` (of `subaccount`, NULL: any), or NULL if
 * there is none. The caller owns the reference.
 */
json_t *sb_store_message_preview(struct sb_store *st, int64_t id, const char *subaccount);

#endif
