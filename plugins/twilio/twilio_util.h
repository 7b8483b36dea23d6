/*
 * twilio_util.h - the pure parts of the twilio channel: building the
 * Messages API requests, reading its answers, the status and error-code
 * tables, and X-Twilio-Signature.
 *
 * Nothing here talks to the host or the network, so all of it is
 * unit-tested directly (tests/unit/test_twilio.c). Buffers are the
 * caller's (struct sbp_buf from plugins/common/sbp_buf.h) and are appended to.
 */
#ifndef TWILIO_UTIL_H
#define TWILIO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/types.h>

#include "sbp_buf.h"
#include "webparams.h"

#define TW_SID_LEN 34            /* every Twilio SID: 2 letters + 32 hex digits */
#define TW_BODY_MAX 1600         /* characters Twilio takes in Body */
#define TW_SIG_LEN 28            /* base64 of an HMAC-SHA1 */

/* An operator's override: a status word or an error code -> an outcome. */
struct tw_override {
	char *key;
	enum sb_outcome outcome;
};

struct tw_overrides {
	const struct tw_override *status; /* status_map: word -> outcome */
	size_t nstatus;
	const struct tw_override *error;  /* error_map: code -> TEMPORARY/UNDELIVERABLE/FAILED */
	size_t nerror;
};

/* 1 if s is `prefix` followed by exactly 32 hex digits ("AC", "MG", "SK"). */
int tw_sid_valid(const char *s, const char *prefix);
/* 1 if s is a Message SID: SM or MM + 32 hex digits. */
int tw_message_sid_valid(const char *s);

/* ---- requests ---- */

/* {base}/2010-04-01/Accounts/{account}/Messages.json */
int tw_create_url(struct sbp_buf *out, const char *base, const char *account);
/* {base}/2010-04-01/Accounts/{account}/Messages/{sid}.json */
int tw_fetch_url(struct sbp_buf *out, const char *base, const char *account, const char *sid);

struct tw_create {
	const char *to;            /* E.164 */
	const char *from;          /* or NULL */
	const char *service_sid;   /* MessagingServiceSid, or NULL */
	const char *body;          /* or NULL with content_sid */
	const char *content_sid;   /* ContentSid (HX...), or NULL */
	const char *content_vars;  /* ContentVariables (JSON text), or NULL */
	const char *callback;      /* StatusCallback, or NULL */
	int64_t validity_s;        /* ValidityPeriod, 0: not sent */
};

/* The form body of CreateMessage, appended to out. 0 or -1 (ENOMEM). */
int tw_create_body(struct sbp_buf *out, const struct tw_create *c);

/* Characters of UTF-8 text as Twilio counts them for Body; -1 if invalid. */
long tw_body_chars(const char *s, size_t len);

/* ---- answers ---- */

struct tw_message {
	char sid[64];
	char status[32];
	char error_code[16];       /* "" when null */
	char error_message[200];   /* printable, may be cut */
	int segments;              /* num_segments, 0 when absent or "0" */
};

/*
 * Read a Message resource (create or fetch answer). Returns 0 when it is a
 * JSON object with a usable sid; -1 otherwise (what was found is kept).
 */
int tw_parse_message(const char *body, size_t len, struct tw_message *m);

/*
 * Read an error answer, {"code": 21211, "message": "...", ...} (also the
 * RFC 9457 shape with code/detail). code is "" when absent.
 */
void tw_parse_error(const char *body, size_t len, char *code, size_t codecap, char *msg,
    size_t msgcap);

/* ---- tables ---- */

struct tw_error {
	int code;
	enum sb_outcome outcome;   /* TEMPORARY, UNDELIVERABLE or FAILED */
	const char *text;
};

/* The built-in entry of a Twilio error code, or NULL. */
const struct tw_error *tw_error_find(int code);

/*
 * The class of an error code (decimal text): the operator's error_map,
 * else the table. Returns 0 and sets *out (and *text to a description or
 * NULL), or -1 when the code is unknown.
 */
int tw_error_class(const struct tw_overrides *ov, const char *code, enum sb_outcome *out,
    const char **text);

/*
 * Outcome of a failed CreateMessage: the error code's class when known,
 * else the HTTP status's default class (sbp_http_outcome: 0, 408, 425,
 * 429 and 5xx TEMPORARY, anything else FAILED).
 */
enum sb_outcome tw_classify_failure(const struct tw_overrides *ov, long http_status,
    const char *code);

/*
 * Outcome of a message status word (a callback's MessageStatus, a
 * fetched `status`), refined by its error code for failed/undelivered:
 * a code whose class is FAILED makes it FAILED, one whose class is
 * UNDELIVERABLE or TEMPORARY makes it UNDELIVERABLE (a receipt cannot ask
 * for a retry; the chain moves on). Returns 0 and sets *out, or -1 for a
 * word Twilio does not document (and the operator did not map).
 */
int tw_status_outcome(const struct tw_overrides *ov, const char *status, const char *code,
    enum sb_outcome *out);

/* ---- X-Twilio-Signature ---- */

/*
 * base64(HMAC-SHA1(token, url + each name and value of the sorted list,
 * concatenated)) into out (TW_SIG_LEN + 1 bytes). 0 or -1.
 */
int tw_signature(const char *token, const char *url, const struct wp_list *sorted,
    char *out);

/*
 * Check a callback's signature in constant time against the URL as given,
 * the URL without its port and the URL with the scheme's default port
 * added (Twilio's own validator tries these). `sorted` holds the form
 * parameters, sorted; for a JSON body pass an empty list and the body: if
 * the URL carries bodySHA256, the body's SHA-256 must match it too.
 * 1 valid, 0 not.
 */
int tw_signature_valid(const char *token, const char *url, const struct wp_list *sorted,
    const char *body, size_t body_len, const char *header);

#endif
