/*
 * wa.h - the pure parts of the whatsapp channel (WhatsApp Cloud API, Graph
 * v23.0): the error-code table and how answers are classified, the request
 * bodies, the webhook signature check, and the walk over webhook payloads.
 *
 * Nothing declared here talks to the host, the network or the clock, so
 * all of it is unit-tested directly (tests/unit/test_whatsapp.c). Not
 * installed, not part of the plugin ABI. Facts and their sources:
 * specs/whatsapp.md beside the project.
 */
#ifndef WA_H
#define WA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <switchboard/types.h>

#define WA_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- error codes (wa_errors.c) ---- */

enum wa_class {
	WA_TEMPORARY,     /* throttling, Meta-side trouble: retry later */
	WA_FAILED,        /* our request, template or account is wrong: retrying won't help */
	WA_UNDELIVERABLE, /* this recipient cannot be reached on WhatsApp (with this message) */
};

/* One row of the table: a code, or a range of codes, and what it means for us. */
struct wa_code {
	long lo, hi;          /* inclusive */
	enum wa_class cls;
	int32_t min_retry_s;  /* TEMPORARY: wait at least this long (0: the host's backoff) */
	int alert;            /* account or configuration trouble: an operator must act */
	const char *what;     /* short reason, for logs and error texts */
};

/* The table itself (sorted by code, rows disjoint), for tests and docs. */
extern const struct wa_code wa_codes[];
extern const size_t wa_ncodes;

/* The row for `code`, or NULL when the table does not know it. */
const struct wa_code *wa_code_lookup(long code);

/* A Graph API error answer: {"error": {"message", "code", "is_transient", ...}}. */
struct wa_api_error {
	long code;
	int is_transient;     /* 1 true, 0 false or absent */
	char message[200];    /* printable, bounded */
	char details[200];    /* error_data.details, or "" */
};

/* Parse an error body. 0 when it is a Graph error with a code, else -1. */
int wa_api_error_parse(const char *body, size_t len, struct wa_api_error *out);

/* What a send answer means. */
struct wa_verdict {
	enum sb_outcome outcome;  /* TEMPORARY, FAILED or UNDELIVERABLE */
	int32_t min_retry_s;
	int alert;
	const char *what;         /* static text */
};

/*
 * Classify a non-2xx answer (status 0: no answer at all). With a parsed
 * Graph error (`e` non-NULL): is_transient first (Meta: "retry"), then the
 * code table, then the HTTP status. Without one, the HTTP status alone:
 * 408, 429 and 5xx are temporary, everything else failed.
 */
void wa_classify_send(long http_status, const struct wa_api_error *e, struct wa_verdict *out);

/*
 * A `failed` status callback carries errors[0].code (has_code 0: none).
 * A receipt cannot ask for a retry, so throttling codes count as FAILED
 * here; recipient codes are UNDELIVERABLE; unknown codes FAILED.
 */
enum sb_outcome wa_classify_failed_status(long code, int has_code);

/* ---- request bodies (wa_body.c) ---- */

struct wa_build_err {
	const char *code;     /* "no_recipient", "bad_text", "too_long", "bad_template", ... */
	char text[200];
};

/*
 * E.164 ("+5511999990000", spaces and dashes tolerated) -> digits. Returns
 * 0, or -1 when it is not 6-15 digits after an optional '+'.
 */
int wa_to_digits(const char *to, char *out, size_t cap);

/*
 * {"messaging_product":"whatsapp","recipient_type":"individual","to":...,
 *  "type":"text","text":{"preview_url":...,"body":...}}, malloc'd. NULL
 * with err filled on a bad recipient, invalid UTF-8, or a text longer than
 * max_chars code points (0: no limit).
 */
char *wa_build_text(const char *to, const char *text, int preview_url, size_t max_chars,
    struct wa_build_err *err);

/*
 * A template message. `vars` is the message's template variables as JSON
 * text (or NULL): see README.md, "Template variables":
 *   {"1": "Ana", "2": "1234"} or ["Ana", "1234"]  -> body parameters in order
 *   {"first_name": "Ana"}                           -> named body parameters
 *   {"components": [...]}                           -> components as given
 * Values are strings or integers. malloc'd JSON, or NULL with err filled.
 */
char *wa_build_template(const char *to, const char *name, const char *lang, const char *vars,
    struct wa_build_err *err);

/* ---- webhooks (wa_hook.c) ---- */

enum wa_sig { WA_SIG_OK, WA_SIG_MISSING, WA_SIG_BAD };

/*
 * Check `X-Hub-Signature-256: sha256=<hex>` (header value, or NULL) against
 * HMAC-SHA256(secret, body), in constant time. Hex of either case.
 */
enum wa_sig wa_sig_check(const char *header, const char *secret, size_t secret_len,
    const char *body, size_t len);

/* HMAC-SHA256(secret, body) as 64 lowercase hex digits + NUL (for tests and tools). */
void wa_sig_hex(const char *secret, size_t secret_len, const char *body, size_t len,
    char out[65]);





/* One entry of value.statuses[]. Strings are borrowed from the parsed payload. */
struct wa_status {
	const char *id;            /* the wamid */
	const char *status;        /* sent | delivered | read | failed (as sent) */
	int known;                 /* status is one of those four */
	enum sb_outcome outcome;   /* when known */
	const char *recipient_id;
	const char *phone_number_id; /* value.metadata.phone_number_id, or NULL */
	int64_t at_ms;             /* timestamp * 1000, or 0 */
	int has_error;             /* errors[0] present */
	long err_code;             /* errors[0].code (0 if absent) */
	const char *err_title, *err_details; /* or NULL */
};

/* One entry of value.messages[] (a customer writing to us). */
struct wa_inbound {
	const char *from;          /* wa_id digits */
	const char *to;            /* value.metadata.display_phone_number, or NULL */
	const char *phone_number_id;
	const char *id, *type;
	const char *text;          /* the text, or NULL for a type we do not read */
};

struct wa_hook_cb {
	void (*status)(void *ctx, const struct wa_status *s);
	void (*inbound)(void *ctx, const struct wa_inbound *m);
	/* value.errors[]: a system-level problem (no statuses), e.g. 130429. */
	void (*system_error)(void *ctx, long code, const char *title, const char *details);
	/* An item that is not what the spec describes: skipped, the rest goes on. */
	void (*skipped)(void *ctx, const char *why);
};

/*
 * Walk a webhook payload and call back for every status, inbound message
 * and system error, in order. Returns 0, or -1 with err filled when the
 * payload as a whole is unusable (not JSON, not an object with an `entry`
 * array). Items inside that are odd are reported through `skipped`.
 */
int wa_hook_parse(const char *body, size_t len, const struct wa_hook_cb *cb, void *ctx,
    char *err, size_t errlen);

#endif
