/*
 * switchboard/types.h - small types shared by the host and its plugins.
 *
 * Everything here is part of the plugin ABI: values are only ever appended,
 * never renumbered.
 */
#ifndef SWITCHBOARD_TYPES_H
#define SWITCHBOARD_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, most severe first. */
enum sb_log_level {
	SB_LOG_ERROR = 0,
	SB_LOG_WARN = 1,
	SB_LOG_INFO = 2,
	SB_LOG_DEBUG = 3,
};

/*
 * What a channel reports about one send, or a receipt about an earlier one.
 * The host maps these onto the message statuses of docs/http-api.md
 * (section "Statuses").
 */
enum sb_outcome {
	SB_OUT_ACCEPTED = 1,      /* provider took it; a receipt may follow */
	SB_OUT_DELIVERED = 2,     /* reached the recipient */
	SB_OUT_READ = 3,          /* recipient read it */
	SB_OUT_TEMPORARY = 4,     /* try again later (timeout, 5xx, 429) */
	SB_OUT_UNDELIVERABLE = 5, /* this channel cannot reach this recipient */
	SB_OUT_FAILED = 6,        /* configuration or request error; retrying won't help */
	SB_OUT_EXPIRED = 7,       /* provider gave up waiting for the handset */
};

/* Plugin kinds. */
enum sb_plugin_kind {
	SB_PLUGIN_CHANNEL = 1,
	SB_PLUGIN_FILTER = 2,
};

/* How a channel learns the final fate of a message (bit flags). */
#define SB_RECEIPT_NONE 0u    /* accepted is as far as it goes */
#define SB_RECEIPT_WEBHOOK 1u /* provider calls /hooks/<instance> */
#define SB_RECEIPT_POLL 2u    /* host calls plugin->poll */

/* Opaque handles: the host owns them, plugins only pass them back. */
struct sb_instance;   /* one configured instance of a plugin module */
struct sb_cfg;        /* a node of the instance's YAML configuration */
struct sb_timer;      /* a timer on the daemon's event loop */
struct sb_http_reply; /* an answer of the asynchronous HTTP client */
struct sb_tcp;        /* a TCP client connection on the loop (ABI 1.2) */

#ifdef __cplusplus
}
#endif
#endif
