/*
 * switchboard/plugin.h - the whole contract between switchboardd and a plugin.
 *
 * A plugin is a libtool module (`-module -avoid-version`) that exports one
 * symbol, `<module>_LTX_sb_plugin` (libltdl's convention; a plain
 * `sb_plugin` is accepted too), holding a `const struct sb_plugin`. Build it
 * with `pkg-config --cflags switchboard-plugin` and nothing else: a plugin
 * never links against the daemon; the daemon's services reach it through
 * `struct sb_host` (host.h).
 *
 * Versioning. The struct starts with abi_major, abi_minor and struct_size.
 * The loader refuses a plugin whose major differs from SB_ABI_MAJOR or whose
 * minor is newer than the host's, naming the file and both versions. Always
 * fill the head with SB_PLUGIN_INIT, so that a rebuild records the header's
 * version.
 *
 * How the ABI evolves (the rules every change to this file and host.h keeps):
 *  E1. A minor bump only appends: a new field goes at the end of its struct,
 *      after every field of the previous minor, and a new value at the end
 *      of its enum. Nothing is removed, reordered, resized or retyped.
 *  E2. Every struct that can grow carries its size: struct_size first (after
 *      the version head in struct sb_plugin). Whoever fills a struct sets
 *      struct_size to its own sizeof; whoever reads it reads a field only if
 *      struct_size covers it (SB_HAS_FIELD), else takes the documented
 *      default. Plugin-filled out-structs (sb_webhook_response, sb_verdict)
 *      are allocated by the host, which sets struct_size to what it has.
 *  E3. No growable struct is embedded by value in another: it would move
 *      every field after it. Growable parts are reached through a pointer
 *      (sb_plugin.capabilities). The one embedded struct of ABI 1.0,
 *      `caps`, is frozen as struct sb_caps_v1_0 and never grows.
 *  E4. The host keeps loading every older minor of its major: it reads an
 *      old plugin through the layout that plugin was built with (the loader
 *      keeps the 1.0 layouts of sb_webhook_response and sb_verdict).
 *  E5. Renaming a field without moving or retyping it is not an ABI change,
 *      but is noted in the changelog below, since sources must follow.
 *  E6. Anything else (a removed or reordered field, a changed meaning) is a
 *      major bump with a changelog line.
 *
 * Changelog:
 *  1.0  first release.
 *  1.1  sb_plugin.capabilities (a pointer to a sized struct sb_capabilities)
 *       replaces the embedded `caps`, which stays, frozen, for 1.0 plugins;
 *       sb_webhook_response and sb_verdict start with struct_size;
 *       sb_poll_request.ticket is renamed attempt_id (it never was a send
 *       ticket); the host answers tickets still open after `fini` (rule 7).
 *  1.2  sb_host gains a TCP client on the loop (tcp_connect, tcp_write,
 *       tcp_close, with struct sb_tcp_callbacks), for protocols that keep a
 *       connection (SMPP), then inbound_message (struct sb_inbound: provider
 *       id, time, media), call (struct sb_call), contact_link and
 *       contact_find, appended after
 *       filter_allowed. A plugin that uses one checks SB_HOST_HAS(host,
 *       field). Nothing else moved: 1.0 and 1.1 plugins load unchanged.
 *  1.3  sb_send_result gains in_doubt, appended after parts: a TEMPORARY
 *       whose request went out without an answer (a plugin on its own TCP
 *       connection says so; the host's HTTP client already told the host).
 *       The host reads it only where struct_size covers it.
 *       sb_plugin gains `drain`, appended after capabilities: finish the
 *       sends in flight before `fini` at shutdown and reload.
 *
 * The rules a plugin follows:
 *  1. It MUST NOT block: no sleep, no synchronous network or DNS, no threads.
 *     Use host->http_request, host->tcp_connect and host->timer_add.
 *  2. Instance state lives in what `init` returns through *state, never in
 *     globals: one module may back several instances at once.
 *  3. `send` copies what it needs from the request; the request is gone when
 *     `send` returns. It returns 0 if it took the ticket, in which case it
 *     MUST later call host->send_result for that ticket exactly once, unless
 *     `fini` comes first (rule 7). A non-zero return means "not taken"; the
 *     host treats it as temporary and re-queues the message.
 *  4. `attempt_key` is stable across re-sends of the same attempt (after a
 *     retry or a crash). Pass it to providers that support idempotency keys.
 *  5. `webhook` verifies the provider's signature before believing a word,
 *     reports receipts with host->receipt, and fills the answer. It never
 *     crashes on malformed input; it answers 400 and logs.
 *  6. Secrets come from host->secret and are never logged. `init` reads
 *     every key it knows before it fails on any, so that the operator sees
 *     all mistakes (and no known key is reported as unknown) at once.
 *  7. `fini` releases everything `init` made and reports nothing. The host
 *     calls it after a channel's `drain` (1.3) finished (at shutdown at
 *     most SB_DRAIN_MAX_MS) and when none of the instance's HTTP requests
 *     is out (a replaced instance drains first; at shutdown the HTTP client
 *     then completes every request with status 0), then cancels the
 *     instance's timers and answers every ticket still open as
 *     SB_OUT_TEMPORARY, so the message is re-queued. A plugin therefore
 *     keeps no list of tickets to answer at `fini`; it frees what its
 *     timers would have freed. After `fini` the host calls nothing of the
 *     instance, and the plugin calls nothing of the host. (A 1.0 plugin that still answers its tickets in `fini` is
 *     accepted: a ticket answered there is not answered again.)
 *
 * Filter plugins implement `check` instead of `send`: it is synchronous
 * (pure computation), and returns allow or block with a reason.
 */
#ifndef SWITCHBOARD_PLUGIN_H
#define SWITCHBOARD_PLUGIN_H

#include <switchboard/host.h>
#include <switchboard/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_MAJOR 1
#define SB_ABI_MINOR 3

/* Whether a struct filled by the other side (its struct_size) covers `field`. */
#define SB_HAS_FIELD(ptr, type, field) \
	((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* One message to send, as the host hands it to a channel's `send`. */
struct sb_send_request {
	uint32_t struct_size;      /* sizeof(struct sb_send_request) of the host */
	uint64_t ticket;           /* pass back to host->send_result */
	int64_t message_id;        /* switchboard's message id */
	const char *attempt_key;   /* idempotency key, stable across re-sends */
	const char *to;            /* recipient, E.164 ("+5511999990000") */
	const char *from;          /* sender id, or NULL for the instance default */
	const char *text;          /* UTF-8 body, or NULL for a template message */
	const char *template_name; /* or NULL */
	const char *template_lang; /* or NULL */
	const char *template_vars; /* JSON object (or list) text of variables, or NULL */
	const char *subaccount;    /* the message's subaccount */
};

/* Ask the provider for the status of an accepted message. */
struct sb_poll_request {
	uint32_t struct_size;
	uint64_t attempt_id;     /* the attempt polled, for logs (1.0 called it `ticket`;
	                            it is not a send ticket: nothing is reported for it) */
	const char *provider_id;
	const char *to;
};

/* A provider callback arriving on /hooks/<instance>[/rest]. */
struct sb_webhook_request {
	uint32_t struct_size;
	const char *method;      /* "GET" or "POST" */
	const char *path;        /* the part after /hooks/<instance>, "" or "/rest" */
	const char *query;       /* the raw query string, or "" */
	const char *url;         /* full public URL as the provider called it */
	const char *body;        /* raw body (not NUL-safe: use body_len) */
	size_t body_len;
	/* A request header (case-insensitive), or NULL. */
	const char *(*header)(const struct sb_webhook_request *req, const char *name);
	void *host_data;         /* for `header`; do not touch */
};

/*
 * What to answer the provider. Allocated and preset by the host; the plugin
 * overwrites what it wants. Strings are copied by the host after `webhook`
 * returns, so they may point into the plugin's state or the request.
 */
struct sb_webhook_response {
	uint32_t struct_size;    /* set by the host (ABI 1.1) */
	int status;              /* preset to 200 */
	const char *content_type;/* preset to "text/plain" */
	const char *body;        /* preset to "" */
};

/* A filter's verdict. */
struct sb_check_request {
	uint32_t struct_size;
	const char *subaccount;
	const char *to;
	const char *text;
};

#define SB_VERDICT_ALLOW 0
#define SB_VERDICT_BLOCK 1

/* Allocated by the host, preset to allow with an empty reason. */
struct sb_verdict {
	uint32_t struct_size;    /* set by the host (ABI 1.1) */
	int verdict;             /* SB_VERDICT_ALLOW or SB_VERDICT_BLOCK */
	char reason[256];        /* for a block: what matched, e.g. "word 'gratis'" */
};

/*
 * What a channel can do. Point sb_plugin.capabilities at one, made with
 * SB_CAPABILITIES; a NULL pointer means all zero. Grows by appending (E1).
 */
struct sb_capabilities {
	uint32_t struct_size;    /* sizeof(struct sb_capabilities) of the plugin */
	uint32_t max_body_len;   /* bytes of text per message (0: no limit); shown to
	                            operators, not enforced: `send` rejects what its
	                            provider would truncate (SB_OUT_FAILED) */
	uint32_t receipts;       /* SB_RECEIPT_* flags: SB_RECEIPT_POLL makes the
	                            host call `poll` on its polling schedule */
	uint32_t read_receipts;  /* 1 if the channel reports reads (declarative) */
	uint32_t idempotent;     /* 1 if re-sending with the same attempt_key is safe:
	                            crash recovery then re-sends a `sending` attempt */
	double default_rate;     /* messages per second when the instance's config
	                            sets no `rate` (0: unlimited); the host applies it */
};

/* A static capabilities struct for sb_plugin.capabilities:
 *   .capabilities = SB_CAPABILITIES(.receipts = SB_RECEIPT_WEBHOOK), */
#define SB_CAPABILITIES(...)                                                   \
	(&(const struct sb_capabilities){                                      \
		.struct_size = sizeof(struct sb_capabilities), __VA_ARGS__ })

/* ABI 1.0's capabilities, embedded in struct sb_plugin. Frozen (E3): new
 * plugins leave it zero and set `capabilities`. */
struct sb_caps_v1_0 {
	uint32_t max_body_len;
	uint32_t receipts;
	uint32_t read_receipts;
	uint32_t idempotent;
	double default_rate;
};

struct sb_plugin {
	/* --- head: never moves --- */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;

	/* --- ABI 1.0 --- */
	const char *name;        /* module name, e.g. "http_sms" */
	const char *version;     /* the plugin's own version text */
	const char *description;
	enum sb_plugin_kind kind;
	struct sb_caps_v1_0 caps; /* ABI 1.0 only; ignored when `capabilities` is set */

	/*
	 * Create an instance. Read config through host->cfg_*; return 0 and set
	 * *state, or -1 after recording what is wrong (host->cfg_error or log).
	 * Mandatory.
	 */
	int (*init)(const struct sb_host *host, struct sb_instance *inst, void **state);
	/* Destroy an instance. Mandatory. */
	void (*fini)(void *state);

	/* Channels: start sending; see rule 3. Mandatory for channels. */
	int (*send)(void *state, const struct sb_send_request *req);
	/* Channels, optional: ask the provider; report with host->receipt. */
	int (*poll)(void *state, const struct sb_poll_request *req);
	/* Channels, optional: handle a provider callback; see rule 5. */
	void (*webhook)(void *state, const struct sb_webhook_request *req,
	    struct sb_webhook_response *resp);

	/* Filters: judge a text. Returns 0, or -1 on an internal error. */
	int (*check)(void *state, const struct sb_check_request *req,
	    struct sb_verdict *out);

	/* --- ABI 1.1 --- */
	/* Channels: what the channel can do, or NULL for none of it. */
	const struct sb_capabilities *capabilities;

	/* --- ABI 1.3 --- */
	/*
	 * Channels, optional: the instance is being retired (a reload replaced
	 * it) or the daemon is stopping. Take no new sends; answer at once
	 * (TEMPORARY, in_doubt 0) what was never sent; finish what is in flight
	 * within the plugin's own bound (its response timeout), answering each
	 * of those tickets. Returns how many tickets it is still finishing (0:
	 * none). The host calls it once, outside any plugin callback, and
	 * waits for the open tickets before `fini`: after a reload as always,
	 * at shutdown at most SB_DRAIN_MAX_MS. A plugin without it gets `fini`
	 * at shutdown at once (rule 7).
	 */
	int (*drain)(void *state);
};

/* The longest a stopping daemon waits for plugins' `drain` to finish. */
#define SB_DRAIN_MAX_MS 30000

/* Fill the head; the plugin adds its own fields: SB_PLUGIN_INIT(.name = ...). */
#define SB_PLUGIN_INIT(...)                                                    \
	{                                                                      \
		.abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR,          \
		.struct_size = sizeof(struct sb_plugin), __VA_ARGS__           \
	}

/*
 * Declare the exported symbol. MODULE is the module's file name without
 * extension (libltdl derives the prefix from it):
 *   SB_PLUGIN_DEFINE(http_sms) = SB_PLUGIN_INIT(.name = "http_sms", ...);
 */
#define SB_PLUGIN_DEFINE(module)                                               \
	extern const struct sb_plugin module##_LTX_sb_plugin;                  \
	const struct sb_plugin module##_LTX_sb_plugin

#ifdef __cplusplus
}
#endif
#endif
