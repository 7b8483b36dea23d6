/*
 * http_sms_util.h - the pure parts of the http_sms channel: templates,
 * HTTP status classification, provider id extraction, JSON parameter
 * lookup for receipts. Buffers, escaping, Retry-After, form lookup and
 * constant-time comparison come from plugins/common.
 *
 * Nothing here talks to the host or the network, so all of it is unit-tested
 * directly (tests/unit/test_http_sms.c). Buffers are caller-owned and reused:
 * expansion appends, it never allocates a fresh string per send.
 */
#ifndef HTTP_SMS_UTIL_H
#define HTTP_SMS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <switchboard/types.h>

#include "sbp_buf.h"

/* ---- templates ---- */

/* Per-send placeholders, in the order of hs_var_names (http_sms_util.c). */
enum hs_var {
	HS_VAR_TO,          /* {to}          E.164 as given, "+5511..." */
	HS_VAR_TO_DIGITS,   /* {to_digits}   the same without '+' or spaces */
	HS_VAR_FROM,        /* {from}        request sender or the instance default */
	HS_VAR_TEXT,        /* {text} */
	HS_VAR_MESSAGE_ID,  /* {message_id}  switchboard's id */
	HS_VAR_ATTEMPT_KEY, /* {attempt_key} idempotency key */
	HS_VAR_DLR_URL,     /* {dlr_url}     our receipt URL for this attempt */
	HS_VAR_SUBACCOUNT,  /* {subaccount} */
	HS_VAR_COUNT
};

enum hs_seg_kind { HS_SEG_LITERAL, HS_SEG_VAR, HS_SEG_SECRET };

struct hs_seg {
	enum hs_seg_kind kind;
	enum hs_var var;      /* HS_SEG_VAR */
	const char *str;      /* LITERAL: into hs_tmpl.lit; SECRET: the host's value */
	size_t len;
};

/* A template parsed once at init: "Bearer {secret:token}" -> 2 segments. */
struct hs_tmpl {
	struct hs_seg *segs;
	size_t n;
	char *lit;            /* owns the literal text */
	unsigned uses;        /* bit (1u << var) for each placeholder used */
	int has_secret;
};

/* Resolve {secret:NAME}: 0 and *value (owned by the resolver), or -1. */
typedef int (*hs_secret_fn)(void *ctx, const char *name, const char **value);

/*
 * Parse `src`. "{{" and "}}" stand for literal braces. Returns 0, or -1 with
 * a message in err (unknown placeholder, unclosed brace, secret lookup
 * failed). `secret` may be NULL: then {secret:...} is an error.
 */
int hs_tmpl_parse(struct hs_tmpl *t, const char *src, hs_secret_fn secret, void *ctx,
    char *err, size_t errlen);
void hs_tmpl_free(struct hs_tmpl *t);



/* Values for one send; a NULL value expands to "". */
struct hs_vars {
	const char *v[HS_VAR_COUNT];
};

/*
 * Append the expansion of `t` to `out`: literal text escaped with lit_esc,
 * placeholders and secrets with var_esc. Returns 0 or -1 (out of memory).
 */
int hs_tmpl_expand(const struct hs_tmpl *t, const struct hs_vars *vars,
    enum sbp_esc lit_esc, enum sbp_esc var_esc, struct sbp_buf *out);

/* A configured request parameter: name -> template. */
struct hs_param {
	char *name;
	struct hs_tmpl value;
};

/* "name=value&..." (both form-encoded), appended to out. */
int hs_form_build(const struct hs_param *params, size_t n, const struct hs_vars *vars,
    struct sbp_buf *out);
/*
 * A JSON object of string values, appended to out. Returns 0, -1 out of
 * memory, -2 a value is not valid UTF-8 (jansson refuses it).
 */
int hs_json_build(const struct hs_param *params, size_t n, const struct hs_vars *vars,
    struct sbp_buf *scratch, struct sbp_buf *out);

/* ---- HTTP status classification ---- */

struct hs_range {
	int lo, hi;           /* inclusive */
};

struct hs_ranges {
	struct hs_range *r;   /* NULL with n = 0: empty */
	size_t n;
};

/* "404" or "500-599" (100..599). 0 or -1. */
int hs_range_parse(const char *text, struct hs_range *out);
int hs_ranges_has(const struct hs_ranges *rs, long status);

/*
 * accept -> ACCEPTED, then undeliverable -> UNDELIVERABLE, then temporary ->
 * TEMPORARY, else FAILED. Status 0 (no answer) is always TEMPORARY.
 */
enum sb_outcome hs_classify(const struct hs_ranges *accept, const struct hs_ranges *temp,
    const struct hs_ranges *undeliv, long status);

/* ---- provider message id ---- */

enum hs_id_kind {
	HS_ID_JSON,        /* json:<dotted.path>, array indexes as numbers */
	HS_ID_HEADER,      /* header:<Name> */
	HS_ID_BODY,        /* the whole body, trimmed */
	HS_ID_PREFIX,      /* prefix:<text>: what follows it, up to whitespace */
	HS_ID_ATTEMPT_KEY, /* our attempt key (Kannel style: receipts carry it) */
};

struct hs_idspec {
	enum hs_id_kind kind;
	char *arg;         /* path, header name or prefix; owned */
};

int hs_idspec_parse(const char *text, struct hs_idspec *out); /* 0 or -1 */
void hs_idspec_free(struct hs_idspec *s);

/* A header of the answer by name (case-insensitive), or NULL. */
typedef const char *(*hs_header_fn)(const void *ctx, const char *name);

/*
 * Find the provider id in an answer and copy it, NUL-terminated, into out.
 * Returns 0, or -1 when it is absent, empty or longer than cap - 1 (a cut id
 * would never match a receipt).
 */
int hs_extract_id(const struct hs_idspec *spec, const char *body, size_t len,
    hs_header_fn header, const void *ctx, const char *attempt_key,
    char *out, size_t cap);

/* ---- receipts ---- */

/* "delivered" -> SB_OUT_DELIVERED, etc. 0 or -1. */


/*
 * Kannel's %A is the SMSC's whole reply ("id:7 sub:001 dlvrd:001 submit
 * date:... stat:UNDELIV err:011 text:..."). Copy the value of its `name`
 * field ("err", "stat") into out: 1 found, 0 absent or empty or too long.
 */
int hs_smsc_field(const char *reply, const char *name, char *out, size_t cap);

/* A dotted path into JSON ("messages.0.id"), or NULL. Borrowed reference. */
json_t *hs_json_path(json_t *root, const char *path);
/* A JSON string, integer or boolean as text into out: 0, or -1. */
int hs_json_text(const json_t *v, char *out, size_t cap);

#endif
