/*
 * line_common.h - what the line_push and line_notify channels share. Both
 * modules compile line_common.c (pure helpers: no host, no I/O, unit-tested
 * in tests/unit/test_line.c) and line_chan.c (the send path both use:
 * common config keys, the JSON body, the request in flight, the mapping of
 * LINE's answers onto outcomes). Not installed, not part of the plugin ABI.
 *
 * Facts and their sources: ../shared/specs/line.md; the behaviour chosen
 * where the facts are unconfirmed is written in each plugin's README.
 */
#ifndef LINE_COMMON_H
#define LINE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/plugin.h>

#define LC_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define LC_E164_MAX 17      /* "+" and at most 15 digits, NUL */
#define LC_HASH_LEN 64      /* hex SHA-256 */
#define LC_SIG_LEN 44       /* base64 of a 32-byte HMAC */
#define LC_USER_ID_LEN 33   /* "U" + 32 hex */
#define LC_ID_MAX 128       /* provider ids we keep */
#define LC_TEXT_MAX 200     /* error texts we report */
#define LC_TAG_MIN 16       /* X-Line-Delivery-Tag length limits [MA] */
#define LC_TAG_MAX 100

/* ---- pure helpers (line_common.c) ---- */

/*
 * Normalise a phone number to E.164 as LINE hashes it: "+" then 8..15
 * digits; spaces, hyphens, dots and parentheses are dropped ("no hyphens",
 * technical-specs page). out must hold LC_E164_MAX bytes. Returns 0, or -1
 * when it is not an international number.
 */
int lc_e164(const char *in, char *out, size_t cap);

/* Lower-case hex SHA-256 of the normalised number into out[LC_HASH_LEN + 1]. */
int lc_phone_hash(const char *number, char *out);

/* 1 if s is a hex UUID 8-4-4-4-12 (X-Line-Retry-Key, format: uuid). */
int lc_is_uuid(const char *s);

/* 1 if s is a LINE user, group or room id: [UCR] + 32 lower-case hex. */
int lc_is_line_id(const char *s);

/* Base64(HMAC-SHA256(key, body)) into out[LC_SIG_LEN + 1]. Returns 0 or -1. */
int lc_signature(const char *key, size_t key_len, const char *body, size_t body_len,
    char *out);

/*
 * 1 if `header` (the X-Line-Signature value, may be NULL) is the signature
 * of the raw body under the channel secret; compared in constant time.
 */
int lc_signature_ok(const char *secret, size_t secret_len, const char *body,
    size_t body_len, const char *header);

/*
 * A LINE ErrorResponse body as one line: "message" or "message (property:
 * detail; ...)", printable ASCII only, cut to cap. Returns 0, or -1 if the
 * body is not an ErrorResponse (out then holds a printable snippet of it).
 */
int lc_error_text(const char *body, size_t len, char *out, size_t cap);

/* sentMessages[0].id of a push answer (200 or 409) into out. 0, or -1 if absent. */
int lc_sent_id(const char *body, size_t len, char *out, size_t cap);

/*
 * 1 if a 429's ErrorResponse message contains `needle` (case-insensitive):
 * the month's message quota is used up, not a rate limit.
 */
int lc_quota_exhausted(const char *body, size_t len, const char *needle);


/* How one HTTP status (0: no answer) is classified, first match wins. */
enum lc_id_from {
	LC_ID_NONE = 0,     /* no provider id */
	LC_ID_SENT,         /* sentMessages[0].id, else the rule's header */
	LC_ID_KEY,          /* the id we made: the delivery tag */
};

struct lc_rule {
	long lo, hi;                /* HTTP status range */
	enum sb_outcome outcome;
	enum lc_id_from id_from;    /* for ACCEPTED / DELIVERED */
	const char *id_header;      /* LC_ID_SENT: answer header when the body has none */
	int quota;                  /* 429: may mean the monthly quota (see on_quota) */
	int already;                /* LINE had taken this request before: not sent again */
	const char *why;            /* what the status means, for logs and texts */
};

/* The answers of push [MA pushMessage] and of PNP [MA pushMessagesByPhone]. */
extern const struct lc_rule lc_push_rules[];
extern const size_t lc_push_nrules;
extern const struct lc_rule lc_pnp_rules[];
extern const size_t lc_pnp_nrules;
/* What a status no table names means: failed. */
extern const struct lc_rule lc_rule_other;

/* The rule for `status`, or `fallback` when none matches. */
const struct lc_rule *lc_rule_find(const struct lc_rule *rules, size_t n, long status,
    const struct lc_rule *fallback);

/*
 * One line of a users_file: "+5511999990001 U0123...". Returns 1 with the
 * normalised number and the id copied out, 0 for a blank or "#" line, -1
 * with a reason in err.
 */
int lc_users_line(const char *line, char *number, char *id, char *err, size_t errcap);

/*
 * Walk a webhook body (CallbackRequest [WH]). The whole body is checked
 * first: a JSON object with an `events` array of objects with a string
 * `type`; each `delivery` event must carry `delivery.data` (a string of
 * 1..LC_ID_MAX-1 bytes) and an integer `timestamp`. Only then `fn` is
 * called once per delivery event, in order. Other event types are counted
 * in *others and skipped. Returns the number of delivery events, or -1
 * with a reason in err (fn not called at all).
 */
typedef void (*lc_delivery_fn)(void *arg, const char *data, int64_t at_ms, int redelivery);
int lc_deliveries(const char *body, size_t len, lc_delivery_fn fn, void *arg,
    size_t *others, char *err, size_t errcap);

/*
 * The message events of a webhook body (its signature already checked):
 * fn(arg, the sender's userId, LINE's message id, the text (a "[sticker]"
 * style marker for other types), the event's timestamp in ms) for each.
 * Events of other types, and messages without a user, are skipped. The
 * number of messages, or -1 if the body is not a JSON object.
 */
typedef void (*lc_message_fn)(void *arg, const char *user_id, const char *message_id,
    const char *text, int64_t at_ms);
int lc_messages(const char *body, size_t len, lc_message_fn fn, void *arg);

/* ---- the shared send path (line_chan.c) ---- */

struct lc_chan;

struct lc_pending {
	struct lc_chan *ch;
	uint64_t ticket;
	char key[LC_TAG_MAX + 1];    /* the attempt key: retry key or delivery tag */
};

struct lc_chan {
	const struct sb_host *host;
	struct sb_instance *inst;
	const char *module;          /* counter prefix: "line_push" */
	const struct lc_rule *rules; /* the plugin's status table */
	size_t nrules;
	char *url;                   /* base_url + the plugin's path */
	char *auth;                  /* "Authorization: Bearer <token>": a secret */
	int notification_disabled;
	enum sb_outcome on_quota;    /* 429 with the quota message */
	const char *quota_message;
	char idbuf[LC_ID_MAX];
	char errtext[LC_TEXT_MAX];
};

/*
 * Read the keys both plugins have (base_url, channel_access_token,
 * notification_disabled, on_quota, quota_message) into ch (host, inst,
 * module, rules set by the caller) and build the URL from base_url + path.
 * Every key is read before any is judged. Returns 0 or -1 (error recorded).
 */
int lc_chan_config(struct lc_chan *ch, const char *path);

/*
 * Send one text: POST url with the bearer, Content-Type and `headers`
 * (NULL-terminated "Name: value" lines, or NULL), body {"to": to,
 * "messages": [{"type": "text", "text": text}]} (+ notificationDisabled).
 * The answer is classified by ch->rules and reported for `ticket`; `key`
 * is kept as the attempt's id for LC_ID_KEY. Returns 0 when the request
 * started, -2 when the text is not valid UTF-8 (nothing sent), -1 when it
 * could not start (nothing sent; the caller reports temporary).
 */
int lc_chan_send(struct lc_chan *ch, uint64_t ticket, const char *key, const char *to,
    const char *text, const char *const *headers);

/* Report a result for a ticket that never reached LINE. */
void lc_chan_report(struct lc_chan *ch, uint64_t ticket, enum sb_outcome o,
    const char *code, const char *text);

/* Free what config made. Reports nothing (plugin.h rule 7). */
void lc_chan_fini(struct lc_chan *ch);

#endif
