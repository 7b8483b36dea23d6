/* FROZEN: switchboard's ABI 1.0 header as released (commit 18b4173). Only
 * tests/plugins/abi_v10.c includes it, to prove a 1.0-built plugin still
 * loads in the current host. Never edit. */
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
 * minor is newer than the host's, naming the file and both versions. Fields
 * are only ever appended (a minor bump); the host reads a field only if
 * struct_size covers it. Always fill the head with SB_PLUGIN_INIT.
 *
 * The rules a plugin follows:
 *  1. It MUST NOT block: no sleep, no synchronous network or DNS, no threads.
 *     Use host->http_request and host->timer_add.
 *  2. Instance state lives in what `init` returns through *state, never in
 *     globals: one module may back several instances at once.
 *  3. `send` copies what it needs from the request; the request is gone when
 *     `send` returns. It returns 0 if it took the ticket, in which case it
 *     MUST later call host->send_result for that ticket exactly once (also
 *     when `fini` comes first: report SB_OUT_TEMPORARY so the host re-queues).
 *     A non-zero return means "not taken"; the host treats it as temporary.
 *  4. `attempt_key` is stable across re-sends of the same attempt (after a
 *     retry or a crash). Pass it to providers that support idempotency keys.
 *  5. `webhook` verifies the provider's signature before believing a word,
 *     reports receipts with host->receipt, and fills the answer. It never
 *     crashes on malformed input; it answers 400 and logs.
 *  6. Secrets come from host->secret and are never logged. `init` reads
 *     every key it knows before it fails on any, so that the operator sees
 *     all mistakes (and no known key is reported as unknown) at once.
 *  7. `fini` releases everything `init` made, cancels its timers, and must
 *     not be called with requests in flight that would call back into freed
 *     state: the host waits for outstanding tickets before calling it.
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
#define SB_ABI_MINOR 0

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
	const char *template_vars; /* JSON object text of variables, or NULL */
	const char *subaccount;    /* the message's subaccount */
};

/* Ask the provider for the status of an accepted message. */
struct sb_poll_request {
	uint32_t struct_size;
	uint64_t ticket;         /* host->receipt with this provider_id ends the poll */
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

/* What to answer the provider. Strings are copied by the host. */
struct sb_webhook_response {
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

struct sb_verdict {
	int verdict;             /* SB_VERDICT_ALLOW or SB_VERDICT_BLOCK */
	char reason[256];        /* for a block: what matched, e.g. "word 'gratis'" */
};

struct sb_capabilities {
	uint32_t max_body_len;   /* bytes of text per message (0: no limit) */
	uint32_t receipts;       /* SB_RECEIPT_* flags */
	uint32_t read_receipts;  /* 1 if the channel reports reads */
	uint32_t idempotent;     /* 1 if re-sending with the same attempt_key is safe */
	double default_rate;     /* messages per second when config sets none (0: none) */
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
	struct sb_capabilities caps;

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
};

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
