/*
 * switchboard/host.h - the services the daemon offers to its plugins.
 *
 * A plugin never links against the daemon. Everything it may ask of the host
 * arrives as one `const struct sb_host *`, handed to `init` and valid until
 * `fini` returns. The table is versioned like the plugin struct: fields are
 * only appended, and a plugin built against a newer header must check
 * `host->struct_size` before it touches a field it needs that an older host
 * may lack (SB_HOST_HAS).
 *
 * Ownership rules, once for all calls below:
 *   - strings passed in by the plugin are copied by the host before the call
 *     returns; the plugin may free or reuse them at once;
 *   - strings handed out by the host (config values, secrets, HTTP answers)
 *     are owned by the host. Config values and secrets live until `fini`;
 *     an HTTP answer lives until the completion callback returns.
 *
 * Threading: there is none. Every call happens on the daemon's event loop,
 * and every call returns without blocking.
 */
#ifndef SWITCHBOARD_HOST_H
#define SWITCHBOARD_HOST_H

#include <switchboard/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: ABI 1.2, the TCP client (tcp_connect...); 3: ABI 1.3, the host reads
 * sb_send_result.in_doubt. */
#define SB_HOST_VERSION 3

/* An inbound message, reported with host->inbound_message (ABI 1.2). */
struct sb_inbound {
	uint32_t struct_size;    /* sizeof(struct sb_inbound) */
	const char *from;        /* the sender: an E.164 number ("+5511...") or the
	                            channel's user id (LINE "U...", WhatsApp wa_id) */
	const char *to;          /* our number or id it was sent to, or NULL */
	const char *text;        /* UTF-8 text, or NULL (media only) */
	const char *media_url;   /* the provider's media reference, or NULL */
	const char *provider_id; /* the provider's id of the message, or NULL: a
	                            provider's retry of the same id is stored once */
	int64_t at_ms;           /* when the provider got it (Unix ms), 0: now */
};

/* A call record, reported with host->call (ABI 1.2). */
struct sb_call {
	uint32_t struct_size;    /* sizeof(struct sb_call) */
	int inbound;             /* 1: the contact called us, 0: we called */
	const char *from, *to;   /* numbers or ids */
	const char *provider_id; /* or NULL: a repeat of the same id is stored once */
	int64_t started_ms;      /* 0: now */
	int64_t duration_s;      /* -1: unknown (missed, still going) */
};

/* The result of one send, reported with host->send_result. */
struct sb_send_result {
	uint32_t struct_size;    /* sizeof(struct sb_send_result) */
	enum sb_outcome outcome; /* ACCEPTED, DELIVERED, TEMPORARY, UNDELIVERABLE, FAILED */
	const char *provider_id; /* the provider's message id, or NULL */
	const char *error_code;  /* the provider's error code as text, or NULL */
	const char *error_text;  /* a short human reason, or NULL */
	int32_t retry_after_s;   /* TEMPORARY: the provider's Retry-After, or -1 */
	int32_t parts;           /* message parts the provider billed, or 0 */
	/* 1.3: TEMPORARY only: 1 when the request went out and no answer came
	 * (a dropped connection, a timeout), so the provider may have taken
	 * it; the instance's in_doubt policy then decides between a retry and
	 * `failed` for review. 0 (and absent, before 1.3): not sent, retry. */
	int32_t in_doubt;
};

/* A delivery receipt, reported with host->receipt (from a webhook or poll). */
struct sb_receipt {
	uint32_t struct_size;    /* sizeof(struct sb_receipt) */
	const char *provider_id; /* which message: the id from sb_send_result */
	enum sb_outcome outcome; /* ACCEPTED (still in progress), DELIVERED, READ,
	                            UNDELIVERABLE, FAILED, EXPIRED */
	const char *error_code;  /* or NULL */
	const char *error_text;  /* or NULL */
	int64_t at_ms;           /* when the provider says it happened (Unix ms), or 0 */
};

/* One request for the asynchronous HTTP client. */
struct sb_http_request {
	uint32_t struct_size;        /* sizeof(struct sb_http_request) */
	const char *method;          /* "GET", "POST", ...; NULL means GET */
	const char *url;             /* absolute http:// or https:// URL */
	const char *const *headers;  /* NULL-terminated "Name: value" lines, or NULL */
	const char *body;            /* request body, or NULL */
	size_t body_len;             /* its length */
	const char *userpwd;         /* "user:password" for Basic auth, or NULL */
	int64_t timeout_ms;          /* 0: the instance's configured timeout */
};

/*
 * Completion of an HTTP request. `status` is the HTTP status, or 0 when the
 * request failed before an answer (then `error` says why: timeout, refused,
 * DNS, "shutdown"...). `reply` gives access to the answer's headers and
 * lives until the callback returns. It is never NULL; when status is 0
 * it carries no headers (http_header answers NULL for every name).
 */
typedef void (*sb_http_done_fn)(void *arg, long status, const char *body,
    size_t body_len, const char *error, const struct sb_http_reply *reply);

typedef void (*sb_timer_fn)(void *arg);

/*
 * The callbacks of a TCP connection (ABI 1.2, host->tcp_connect). `arg` is
 * what was passed to tcp_connect; `c` the connection's handle.
 */
struct sb_tcp_callbacks {
	uint32_t struct_size;    /* sizeof(struct sb_tcp_callbacks) of the plugin */
	/* The connection is up (optional). */
	void (*connected)(void *arg, struct sb_tcp *c);
	/*
	 * Bytes arrived: buf[0..len) is everything received and not yet
	 * consumed. Return how many bytes were consumed (a whole number of
	 * frames, say); the rest is offered again, with what follows, when
	 * more arrives.
	 */
	size_t (*data)(void *arg, struct sb_tcp *c, const unsigned char *buf, size_t len);
	/*
	 * The connection failed or ended (`error` says why: "connection refused",
	 * "closed by the peer", "connect timed out", a DNS error...). Called once;
	 * the handle is freed when it returns. Not called after tcp_close.
	 */
	void (*closed)(void *arg, struct sb_tcp *c, const char *error);
};

struct sb_host {
	uint32_t struct_size; /* sizeof(struct sb_host) of the host */
	uint32_t version;     /* SB_HOST_VERSION of the host */

	/* Logging, prefixed with the instance name. Never log secrets. */
	void (*log)(struct sb_instance *inst, enum sb_log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

	/* The instance's configured name ("sms_main"). */
	const char *(*instance_name)(struct sb_instance *inst);

	/*
	 * Typed access to the instance's YAML node. `cfg_root` is the mapping
	 * under the instance (all keys but the host's own: module, rate,
	 * timeout...). Every key a plugin does not read during `init` is
	 * reported to the operator as an unknown key, with file:line:column.
	 * Getters return 0 on success, 1 when the key is absent (the default is
	 * stored), -1 when present but of the wrong type (an error is recorded
	 * against the key's position and init should fail).
	 */
	struct sb_cfg *(*cfg_root)(struct sb_instance *inst);
	struct sb_cfg *(*cfg_get)(struct sb_cfg *map, const char *key);
	int (*cfg_string)(struct sb_cfg *map, const char *key, const char *def,
	    const char **out);
	int (*cfg_int)(struct sb_cfg *map, const char *key, int64_t def, int64_t *out);
	int (*cfg_bool)(struct sb_cfg *map, const char *key, int def, int *out);
	int (*cfg_duration_ms)(struct sb_cfg *map, const char *key, int64_t def,
	    int64_t *out);
	/* Sequence and mapping walks: count, then the i-th item (and its key). */
	size_t (*cfg_len)(struct sb_cfg *node);
	struct sb_cfg *(*cfg_item)(struct sb_cfg *node, size_t i, const char **key);
	/* The scalar text of a node, or NULL if it is not a scalar. */
	const char *(*cfg_scalar)(struct sb_cfg *node);
	/* Record a plugin-level error against a node: "file:line:col: msg". */
	void (*cfg_error)(struct sb_cfg *node, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

	/*
	 * A secret named by `key` in the instance's config. Its value is a
	 * mapping `{file: PATH}` or `{env: NAME}` (or a plain string, which is
	 * accepted for tests and logged as a warning). Returns 0 and sets *out,
	 * or -1 with an error recorded. The value is never logged.
	 */
	int (*secret)(struct sb_instance *inst, const char *key, const char **out);

	/* Timers on the event loop. `timer_cancel` on a fired timer is an error. */
	struct sb_timer *(*timer_add)(struct sb_instance *inst, int64_t after_ms,
	    sb_timer_fn fn, void *arg);
	void (*timer_cancel)(struct sb_timer *t);

	/*
	 * Start an HTTP request; `done` is called exactly once, later, on the
	 * loop (never from inside http_request). Returns 0, or -1 if the request
	 * could not even be started (then `done` is not called).
	 */
	int (*http_request)(struct sb_instance *inst, const struct sb_http_request *req,
	    sb_http_done_fn done, void *arg);
	/* A header of an HTTP answer (case-insensitive), or NULL. */
	const char *(*http_header)(const struct sb_http_reply *reply, const char *name);

	/*
	 * Report the result of `send` for `ticket`, exactly once per ticket
	 * (plugin.h rule 3). It may be called from inside `send` itself or
	 * later from a callback; the host accepts both. Never after `fini`:
	 * the host has answered the tickets still open then (rule 7).
	 */
	void (*send_result)(struct sb_instance *inst, uint64_t ticket,
	    const struct sb_send_result *res);
	/* Report a receipt; the host finds the attempt by provider id. */
	void (*receipt)(struct sb_instance *inst, const struct sb_receipt *rc);
	/* Report an inbound message (a reply from a customer); 1.2 plugins use
	 * inbound_message, which also dedupes by provider id. */
	void (*inbound)(struct sb_instance *inst, const char *from, const char *to,
	    const char *text);

	/*
	 * The public URL providers should call back for this instance, e.g.
	 * "http://gw.example.com/hooks/sms_main" (from daemon.public_url).
	 */
	const char *(*webhook_url)(struct sb_instance *inst);

	/* Add to a named counter exported on /metrics with the instance label. */
	void (*counter_add)(struct sb_instance *inst, const char *name, uint64_t n);

	/*
	 * Filters: 1 if support has allowlisted `value` (kind "term": a folded
	 * blocked term as the filter reports it; kind "domain": a host name,
	 * lower case, which also covers its subdomains) for `subaccount` or
	 * globally; 0 otherwise. Answers from memory, never blocks.
	 */
	int (*filter_allowed)(struct sb_instance *inst, const char *subaccount,
	    const char *kind, const char *value);

	/* --- ABI 1.2: a long-lived TCP client connection on the loop --- */

	/*
	 * Open a non-blocking TCP connection to host:port (a numeric address,
	 * or a name resolved asynchronously). `timeout_ms` bounds the connect
	 * (0: the instance's `timeout`). The callbacks (copied) are called
	 * later, on the loop, never from inside tcp_connect. Returns a handle,
	 * or NULL when the connection could not even be started (then no
	 * callback comes). Check SB_HOST_HAS(host, tcp_connect) first.
	 */
	struct sb_tcp *(*tcp_connect)(struct sb_instance *inst, const char *host,
	    int port, int64_t timeout_ms, const struct sb_tcp_callbacks *cb, void *arg);
	/*
	 * Queue bytes for the peer (copied; buffered, never blocks; written in
	 * order once connected). Returns 0, or -1 when the connection is gone.
	 */
	int (*tcp_write)(struct sb_tcp *c, const void *buf, size_t len);
	/*
	 * Close: what the socket takes at once of the queued bytes is written
	 * (a last PDU such as SMPP's unbind), then the connection is freed and
	 * no callback of it comes again. Allowed inside its callbacks; never
	 * after `closed` was called. The host closes every connection still
	 * open after the instance's `fini`.
	 */
	void (*tcp_close)(struct sb_tcp *c);

	/* --- ABI 1.2: what comes in --- */
	/*
	 * Report an inbound message. The host files it under the instance's
	 * subaccount and the sender's contact, in the same group commit that
	 * answers the webhook it came in (so answer the provider from the
	 * webhook as usual). Returns 0 when stored, or already stored under
	 * the same provider id; -1 if it could not be (answer the provider with
	 * a 5xx so it tries again).
	 */
	int (*inbound_message)(struct sb_instance *inst, const struct sb_inbound *in);
	/* Report a call record; 0 or -1, as inbound_message. */
	int (*call)(struct sb_instance *inst, const struct sb_call *c);
	/*
	 * Contacts: one person of a subaccount with identities of kinds
	 * "phone" (E.164), "line" (a LINE user id) and "whatsapp". contact_link
	 * makes (kind_b, b) an identity of the contact of (kind_a, a) in
	 * `subaccount` (NULL: the instance's), merging two contacts if need be;
	 * 0 or -1. contact_find copies the `kind_to` identity of the contact
	 * of (kind_from, from) into out: 1, 0 (none, or it does not fit in
	 * cap) or -1. Both answer at once (a read or write of the store in the
	 * open group), and only when the daemon has a store (not under -t).
	 */
	int (*contact_link)(struct sb_instance *inst, const char *subaccount,
	    const char *kind_a, const char *a, const char *kind_b, const char *b);
	int (*contact_find)(struct sb_instance *inst, const char *subaccount,
	    const char *kind_from, const char *from, const char *kind_to, char *out,
	    size_t cap);
};

#define SB_HOST_HAS(host, field) \
	((host)->struct_size >= offsetof(struct sb_host, field) + sizeof((host)->field))

#ifdef __cplusplus
}
#endif
#endif
