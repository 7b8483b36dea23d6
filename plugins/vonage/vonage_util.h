/*
 * vonage_util.h - the pure parts of the vonage channel: the SMS API's
 * request signature, GSM 03.38 detection and part counting, reading the
 * send answer, the send-status and receipt tables, and the tracker that
 * folds the receipts of a long text's parts into one outcome.
 *
 * Nothing here talks to the host or the network, so all of it is
 * unit-tested directly (tests/unit/test_vonage.c).
 */
#ifndef VONAGE_UTIL_H
#define VONAGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/types.h>

#include "webparams.h"

#define VG_ID_MAX 64          /* a part's message-id, with room to spare */
#define VG_MAX_PARTS 64       /* parts of one answer we read and track */
#define VG_REF_MAX 40         /* client-ref: at most 40 characters */

/* ---- signatures ---- */

enum vg_sig_method {
	VG_SIG_MD5HASH,  /* md5(params + secret), Vonage's default */
	VG_SIG_MD5,      /* HMAC-MD5 */
	VG_SIG_SHA1,     /* HMAC-SHA1 */
	VG_SIG_SHA256,   /* HMAC-SHA256 */
	VG_SIG_SHA512,   /* HMAC-SHA512 */
};

/* "md5hash", "md5", "sha1", "sha256", "sha512" -> method. 0 or -1. */
int vg_sig_method_parse(const char *name, enum vg_sig_method *out);

/*
 * The lower-case hex signature of `sorted` (every parameter but `sig` is
 * signed: "&name=value" each, with '&' and '=' in values turned into '_').
 * out needs 129 bytes. 0 or -1.
 */
int vg_sign(enum vg_sig_method m, const char *secret, const struct wp_list *sorted,
    char *out, size_t cap);

/* 1 if the list's `sig` matches (hex, any case, constant time); 0 if not. */
int vg_sig_valid(enum vg_sig_method m, const char *secret, const struct wp_list *sorted);

/* ---- the send answer ---- */

struct vg_part {
	char status[8];          /* "0" accepted, else an error status */
	char id[VG_ID_MAX];      /* message-id, "" when absent */
	char error[120];         /* error-text, printable, may be cut */
};

struct vg_answer {
	int count;               /* message-count, or the number of items */
	size_t nparts;           /* items read into parts[] (at most VG_MAX_PARTS) */
	struct vg_part parts[VG_MAX_PARTS];
};

/* Read {"message-count": "2", "messages": [...]}. 0, or -1 if unreadable. */
int vg_parse_answer(const char *body, size_t len, struct vg_answer *a);

/* ---- tables ---- */

struct vg_status {
	int code;
	enum sb_outcome outcome;  /* TEMPORARY, UNDELIVERABLE or FAILED */
	const char *text;
};

/* A non-zero send status, or NULL if the table does not know it. */
const struct vg_status *vg_send_status(const char *code);

/*
 * A receipt's status word -> outcome (delivered, expired, failed,
 * rejected, accepted, buffered, unknown). 0 or -1.
 */
int vg_dlr_outcome(const char *status, enum sb_outcome *out);

/* What a receipt's err-code means, or NULL; *temporary 1 if worth another try. */
const char *vg_dlr_error(const char *code, int *temporary);

/* "YYYY-MM-DD HH:MM:SS" (UTC) -> Unix ms, or 0 if unreadable. */
int64_t vg_timestamp_ms(const char *s);

/* ---- receipts of long texts ---- */

struct vg_tracker;

/*
 * Remember at most `max` multi-part attempts, each for at most `ttl_ms`
 * (milliseconds of whatever clock the caller passes as `now`). NULL on
 * ENOMEM.
 */
struct vg_tracker *vg_tracker_new(size_t max, int64_t ttl_ms);
void vg_tracker_free(struct vg_tracker *t);
size_t vg_tracker_count(const struct vg_tracker *t);

/*
 * Track a sent message of n (>= 2) parts under `ref` (our client-ref) with
 * the parts' message-ids. The oldest entries make room. 0, or -1 on ENOMEM.
 */
int vg_tracker_add(struct vg_tracker *t, const char *ref, const char *const *ids, size_t n,
    int64_t now);

enum vg_verdict {
	VG_UNTRACKED,  /* not a tracked multi-part message: report the receipt as it is */
	VG_PENDING,    /* a part moved, the message is not done: report nothing */
	VG_REPORT,     /* report *out for the whole message (every part delivered, or one failed) */
	VG_DONE,       /* the message was already reported: ignore */
};

/*
 * Fold one part's receipt in. `ref` is the receipt's client-ref (or NULL);
 * without it the part's message-id finds the message. On VG_REPORT,
 * VG_PENDING and VG_DONE, ref_out gets the message's client-ref (the
 * attempt's provider id) and *part / *nparts which part it was (1-based).
 */
enum vg_verdict vg_tracker_receipt(struct vg_tracker *t, const char *ref,
    const char *msgid, enum sb_outcome part_outcome, int64_t now, enum sb_outcome *out,
    char *ref_out, size_t refcap, int *part, int *nparts);

#endif
