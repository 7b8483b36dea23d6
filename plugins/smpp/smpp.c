/*
 * smpp.c - the SMPP 3.4 channel: one instance binds to one SMSC `binds`
 * times, each a transceiver or a transmitter + receiver pair
 * (smpp_session.c).
 *
 * Owns: reading the instance's config; its binds, sharing the window
 * round-robin, and their drain at reload and stop; turning a send into
 * its submit_sm PDUs (GSM 03.38 or UCS-2: smpp_gsm.c; UDH, SAR or
 * message_payload: smpp_build.c), queued while the window is full;
 * folding the parts' submit_sm_resp into one result (ACCEPTED with the
 * first part's message_id as provider id, else the worst status in words,
 * in doubt when a written part got no answer); receipts (deliver_sm with
 * the receipt bit) folded over the parts (smpp_track.c) and reported with
 * host->receipt; mobile-originated deliver_sm reported with host->inbound.
 *
 * Must never: block (all I/O through host->tcp_*), log the password, or
 * answer a ticket twice. SMPP has no idempotency key: the channel is not
 * idempotent, so the engine sends in-doubt attempts to review.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <switchboard/plugin.h>

#include "sbp_chan.h"
#include "smpp_build.h"
#include "smpp_gsm.h"
#include "smpp_pdu.h"
#include "smpp_session.h"
#include "smpp_track.h"

#define SM_MAX_BINDS 16

struct sm_msg;

/* One part of a message in the window: the session's cookie. */
struct sm_part {
	struct sm_msg *m;
	unsigned idx;
};

/* One message being sent: its parts built, answered one by one. */
struct sm_msg {
	struct sm_state *st;
	uint64_t ticket;
	unsigned nparts, next, answered;
	struct smpp_pdus pdus;        /* one per part (one for message_payload) */
	struct sm_part *parts;
	char **ids;
	uint32_t perm, temp;          /* the first permanent / temporary status */
	char lost[300];               /* why a part got no answer, or none was sent */
	const char *lost_code;        /* its error_code: no_answer (NULL), not_bound, stopping */
	int32_t retry_after_s;        /* with lost_code: -1, or when a bind may be up */
	int doubt;                    /* a part went out and got no answer */
	unsigned taken;               /* parts the SMSC accepted (ESME_ROK) */
	int noid;                     /* one was accepted without a message_id */
	struct sm_msg *next_q;
};

struct sm_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	const char *host_name, *system_id, *password, *system_type, *address_range;
	const char *from;
	int64_t port, window, src_ton, src_npi, dst_ton, dst_npi, max_parts;
	int64_t enquire_ms, resp_ms, connect_ms, rmin_ms, rmax_ms, throttle_ms;
	int pair, ucs2;
	struct smpp_build build;      /* packing, long texts, the next reference */
	int64_t binds;                /* sessions of each kind (binds: N) */
	/* tx[i]: transceivers or transmitters; rx[i]: receivers of a pair only */
	struct smpp_session *tx[SM_MAX_BINDS], *rx[SM_MAX_BINDS];
	char labels[2 * SM_MAX_BINDS][40];
	unsigned rr;                  /* the next transmitter to try */
	unsigned inflight;            /* submits out over every bind (<= window) */
	struct sm_msg *q_head, *q_tail; /* messages with parts not yet submitted */
	unsigned open;                /* tickets taken and not answered yet */
	int draining;                 /* retired or stopping: no new sends */
	struct smpp_track *track;
};

/* ---- results ---- */

static void
msg_free(struct sm_msg *m)
{
	unsigned i;

	for (i = 0; m->ids != NULL && i < m->nparts; i++)
		free(m->ids[i]);
	free(m->ids);
	smpp_pdus_free(&m->pdus);
	free(m->parts);
	free(m);
}

/* Every part answered: one result for the ticket. */
static void
msg_finish(struct sm_msg *m)
{
	struct sm_state *st = m->st;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	char text[256];

	if (m->perm != 0) {
		const struct smpp_status_info *si = smpp_status(m->perm);

		res.outcome = si->outcome;
		res.error_code = si->name;
		res.error_text = smpp_status_text(m->perm, text, sizeof(text));
	} else if (m->temp != 0 || m->lost[0] != '\0') {
		res.outcome = SB_OUT_TEMPORARY;
		if (m->temp != 0) {
			res.error_code = smpp_status(m->temp)->name;
			res.error_text = smpp_status_text(m->temp, text, sizeof(text));
			if (m->temp == SMPP_ESME_RTHROTTLED || m->temp == SMPP_ESME_RMSGQFUL) {
				res.retry_after_s = (int32_t)((st->throttle_ms + 999) / 1000);
				st->host->counter_add(st->inst, "smpp_throttled", 1);
			}
		} else {
			res.error_code = m->lost_code != NULL ? m->lost_code : "no_answer";
			res.error_text = m->lost;
			res.retry_after_s = m->lost_code != NULL ? m->retry_after_s : -1;
		}
		/* The SMSC may have taken a part it did not answer, or took some
		 * parts and refused others for now: a resend of the whole message
		 * would deliver those parts twice, so the engine's in_doubt policy
		 * decides (review by default, SMPP having no idempotency key). */
		res.in_doubt = m->doubt || m->taken > 0;
	} else if (m->noid) {
		res.outcome = SB_OUT_ACCEPTED;
		res.parts = (int32_t)m->nparts;
		for (unsigned i = 0; i < m->nparts && res.provider_id == NULL; i++)
			res.provider_id = m->ids[i];
		st->host->log(st->inst, SB_LOG_WARN, "the SMSC accepted a submit_sm without a"
		    " message_id: no delivery receipt can be matched to ticket %llu",
		    (unsigned long long)m->ticket);
	} else {
		res.outcome = SB_OUT_ACCEPTED;
		res.provider_id = m->ids[0];
		res.parts = (int32_t)m->nparts;
		if (smpp_track_add(st->track, (const char *const *)m->ids, m->nparts) < 0)
			st->host->log(st->inst, SB_LOG_WARN, "out of memory tracking %s",
			    m->ids[0]);
	}
	st->open--;
	st->host->send_result(st->inst, m->ticket, &res);
	msg_free(m);
}

static void
queue_remove(struct sm_state *st, struct sm_msg *m)
{
	struct sm_msg **pp;

	for (pp = &st->q_head; *pp != NULL; pp = &(*pp)->next_q)
		if (*pp == m) {
			*pp = m->next_q;
			break;
		}
	st->q_tail = NULL;
	for (m = st->q_head; m != NULL; m = m->next_q)
		st->q_tail = m;
}

static void
on_resp(void *arg, void *cookie, uint32_t status, const char *message_id)
{
	struct sm_state *st = arg;
	struct sm_part *p = cookie;
	struct sm_msg *m = p->m;

	st->inflight--;
	if (status == SMPP_ESME_ROK) {
		/* Taken, even without an id (then no receipt can be matched to
		 * it): sending it again would deliver it twice. */
		m->taken++;
		if (message_id[0] != '\0')
			m->ids[p->idx] = strdup(message_id);
		else
			m->noid = 1;
	} else if (smpp_status(status)->outcome == SB_OUT_TEMPORARY) {
		if (m->temp == 0)
			m->temp = status;
	} else if (m->perm == 0)
		m->perm = status;
	if (++m->answered == m->nparts)
		msg_finish(m);
}

static void
on_lost(void *arg, void *cookie, const char *why)
{
	struct sm_state *st = arg;
	struct sm_part *p = cookie;
	struct sm_msg *m = p->m;

	st->inflight--;
	snprintf(m->lost, sizeof(m->lost), "%s", why);
	m->doubt = 1; /* this part was written: the SMSC may have it */
	if (m->next < m->nparts) { /* parts not yet sent will not be */
		queue_remove(m->st, m);
		m->answered += m->nparts - m->next;
		m->next = m->nparts;
	}
	if (++m->answered == m->nparts)
		msg_finish(m);
}

/* The next bound transmitter with room, round-robin from st->rr; NULL if none. */
static struct smpp_session *
next_tx(struct sm_state *st)
{
	unsigned i, n = (unsigned)st->binds;

	for (i = 0; i < n; i++) {
		struct smpp_session *s = st->tx[(st->rr + i) % n];

		if (s != NULL && smpp_session_room(s) > 0) {
			st->rr = (st->rr + i + 1) % n;
			return s;
		}
	}
	return NULL;
}

static int
any_bound(const struct sm_state *st)
{
	int64_t i;

	/* NULL: not made yet (a failure reported from inside smpp_session_new) */
	for (i = 0; i < st->binds; i++)
		if (st->tx[i] != NULL && smpp_session_bound(st->tx[i]))
			return 1;
	return 0;
}

/* A transmitter is connecting or binding: what is sent now can wait for it. */
static int
any_connecting(const struct sm_state *st)
{
	int64_t i;

	for (i = 0; i < st->binds; i++)
		if (st->tx[i] != NULL && smpp_session_connecting(st->tx[i]))
			return 1;
	return 0;
}

/* When the next transmitter tries again, in whole seconds, at least 1. */
static int32_t
retry_after(const struct sm_state *st)
{
	int64_t i, ms = -1;

	for (i = 0; i < st->binds; i++) {
		int64_t t = st->tx[i] != NULL ? smpp_session_retry_in_ms(st->tx[i]) : 0;

		if (ms < 0 || t < ms)
			ms = t;
	}
	return (int32_t)(ms / 1000) + 1;
}

/*
 * Submit what the window takes, oldest message first. `window` is the
 * instance's budget, shared by its binds one PDU each in turn.
 */
static void
drain(struct sm_state *st)
{
	struct smpp_session *s;

	while (st->q_head != NULL && st->inflight < (unsigned)st->window &&
	    (s = next_tx(st)) != NULL) {
		struct sm_msg *m = st->q_head;

		if (smpp_session_submit(s, m->pdus.buf + m->pdus.off[m->next],
		    m->pdus.off[m->next + 1] - m->pdus.off[m->next], &m->parts[m->next]) < 0)
			break;
		st->inflight++;
		if (++m->next == m->nparts) {
			st->q_head = m->next_q;
			if (st->q_head == NULL)
				st->q_tail = NULL;
		}
	}
}

static void
on_ready(void *arg, struct smpp_session *s)
{
	struct sm_state *st = arg;

	(void)s; /* a receiver's bind changes nothing for sending: drain() checks */
	drain(st);
}

/* A transmitter is down: if it was the last, what waits is tried again later. */
static void
on_down(void *arg, struct smpp_session *s, const char *why)
{
	struct sm_state *st = arg;

	(void)s;
	if (any_bound(st) || any_connecting(st))
		return; /* another bind takes the queue, or will */
	/* Messages partly in the window were ended by on_lost: what is left
	 * had no part sent. */
	while (st->q_head != NULL) {
		struct sm_msg *m = st->q_head;

		st->q_head = m->next_q;
		snprintf(m->lost, sizeof(m->lost), "not bound to the SMSC: %s", why);
		m->lost_code = "not_bound";
		m->retry_after_s = retry_after(st);
		m->answered = m->nparts;
		msg_finish(m);
	}
	st->q_tail = NULL;
}

/* ---- deliver_sm: receipts and inbound ---- */

static void
on_receipt(struct sm_state *st, const struct smpp_sm *sm)
{
	struct smpp_receipt r;
	struct sb_receipt rc = { .struct_size = sizeof(rc) };
	char *text = smpp_text_decode(1, sm->payload != NULL ? sm->payload : sm->msg,
	    sm->payload != NULL ? sm->payload_len : sm->msg_len);
	const char *pid = NULL;
	char code[48], why[96];
	enum sb_outcome o;
	int k;

	if (smpp_receipt_parse(sm, text, &r) < 0) {
		st->host->log(st->inst, SB_LOG_WARN, "a delivery receipt without a message id");
		free(text);
		return;
	}
	free(text);
	k = smpp_track_fold(st->track, r.id, r.outcome, &pid, &o);
	if (k == 0)
		return;
	if (k < 0) { /* not tracked (a restart): as the SMSC wrote it */
		if (r.outcome == SB_OUT_ACCEPTED)
			return;
		pid = r.id;
		o = r.outcome;
	}
	rc.provider_id = pid;
	rc.outcome = o;
	if (o != SB_OUT_DELIVERED) {
		snprintf(code, sizeof(code), "%s%s%s", r.stat, r.err[0] ? ":" : "", r.err);
		snprintf(why, sizeof(why), "receipt stat %s err %s", r.stat[0] ? r.stat : "?",
		    r.err[0] ? r.err : "-");
		rc.error_code = code;
		rc.error_text = why;
	}
	st->host->receipt(st->inst, &rc);
}

static void
on_deliver(void *arg, struct smpp_session *s, const struct smpp_sm *sm)
{
	struct sm_state *st = arg;
	const uint8_t *b = sm->payload != NULL ? sm->payload : sm->msg;
	size_t n = sm->payload != NULL ? sm->payload_len : sm->msg_len;
	char from[80], to[80], *text;

	size_t udh = 0;

	(void)s;
	if (sm->esm_class & SMPP_ESM_RECEIPT) {
		on_receipt(st, sm);
		return;
	}
	if ((sm->esm_class & SMPP_ESM_UDHI) && n > 0 && (size_t)b[0] + 1 <= n)
		udh = (size_t)b[0] + 1; /* parts of a long MO arrive as they come */
	/* A packed text's septets are counted from the UDH's first octet. */
	text = st->build.packed && sm->data_coding == SMPP_DC_DEFAULT ?
	    smpp_text_decode_packed(b, n, udh) : smpp_text_decode(sm->data_coding, b + udh, n - udh);
	if (text == NULL)
		return;
	snprintf(from, sizeof(from), "%s%s", sm->src_ton == 1 && sm->src[0] != '+' ? "+" : "",
	    sm->src);
	snprintf(to, sizeof(to), "%s%s", sm->dst_ton == 1 && sm->dst[0] != '+' ? "+" : "",
	    sm->dst);
	st->host->inbound(st->inst, from, to, text);
	free(text);
}

static const struct smpp_session_ops sm_ops = {
	.ready = on_ready, .down = on_down, .resp = on_resp, .lost = on_lost,
	.deliver = on_deliver,
};

/* ---- configuration ---- */


struct sm_word {
	const char *word;
	int value;
};
#define NWORDS(t) (sizeof(t) / sizeof((t)[0]))

static const struct sm_word bind_modes[] = {
	{ "transceiver", 0 }, { "transmitter+receiver", 1 }, { "transmitter_receiver", 1 },
};
static const struct sm_word packings[] = { { "unpacked", 0 }, { "packed", 1 } };
static const struct sm_word long_texts[] = {
	{ "udh", SMPP_LONG_UDH }, { "sar", SMPP_LONG_SAR }, { "payload", SMPP_LONG_PAYLOAD },
};

/* A key with one of `n` words (the first is the default); -1 after recording the error. */
static int
cfg_word(struct sm_state *st, struct sb_cfg *root, const char *key, const struct sm_word *words,
    size_t n, int *out)
{
	const char *v = NULL;
	char all[96] = "";
	size_t i;

	if (st->host->cfg_string(root, key, words[0].word, &v) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(v, words[i].word) == 0) {
			*out = words[i].value;
			return 0;
		}
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "",
		    words[i].word);
	}
	st->host->cfg_error(st->host->cfg_get(root, key), "%s must be one of %s", key, all);
	return -1;
}

/* An integer key within [lo, hi]; -1 after recording the error. */
static int
cfg_range(struct sm_state *st, struct sb_cfg *root, const char *key, int64_t def, int64_t lo,
    int64_t hi, int64_t *out)
{
	int rc = st->host->cfg_int(root, key, def, out);

	if (rc < 0)
		return -1;
	if (rc == 0 && (*out < lo || *out > hi)) {
		st->host->cfg_error(st->host->cfg_get(root, key), "%s must be between %lld and %lld",
		    key, (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

static int
sm_config(struct sm_state *st)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *root = h->cfg_root(st->inst);
	int bad = 0, i_long = SMPP_LONG_UDH;

	bad |= h->cfg_string(root, "host", NULL, &st->host_name) < 0;
	bad |= cfg_range(st, root, "port", 2775, 1, 65535, &st->port) < 0;
	bad |= h->cfg_string(root, "system_id", NULL, &st->system_id) < 0;
	bad |= h->cfg_string(root, "system_type", "", &st->system_type) < 0;
	bad |= h->cfg_string(root, "address_range", "", &st->address_range) < 0;
	bad |= cfg_word(st, root, "bind", bind_modes, NWORDS(bind_modes), &st->pair) < 0;
	bad |= h->cfg_string(root, "from", NULL, &st->from) < 0;
	bad |= cfg_range(st, root, "source_addr_ton", -1, -1, 6, &st->src_ton) < 0;
	bad |= cfg_range(st, root, "source_addr_npi", -1, -1, 18, &st->src_npi) < 0;
	bad |= cfg_range(st, root, "dest_addr_ton", 1, 0, 6, &st->dst_ton) < 0;
	bad |= cfg_range(st, root, "dest_addr_npi", 1, 0, 18, &st->dst_npi) < 0;
	bad |= cfg_range(st, root, "window", 10, 1, 1000, &st->window) < 0;
	bad |= cfg_range(st, root, "binds", 1, 1, SM_MAX_BINDS, &st->binds) < 0;
	bad |= cfg_range(st, root, "max_parts", 10, 1, SMPP_MAX_PARTS, &st->max_parts) < 0;
	bad |= h->cfg_bool(root, "ucs2", 0, &st->ucs2) < 0;
	bad |= cfg_word(st, root, "gsm_packing", packings, NWORDS(packings), &st->build.packed) < 0;
	bad |= cfg_word(st, root, "long_text", long_texts, NWORDS(long_texts), &i_long) < 0;
	bad |= h->cfg_duration_ms(root, "enquire_link", 30000, &st->enquire_ms) < 0;
	bad |= h->cfg_duration_ms(root, "response_timeout", 10000, &st->resp_ms) < 0;
	bad |= h->cfg_duration_ms(root, "connect_timeout", 10000, &st->connect_ms) < 0;
	bad |= h->cfg_duration_ms(root, "reconnect_min", 1000, &st->rmin_ms) < 0;
	bad |= h->cfg_duration_ms(root, "reconnect_max", 60000, &st->rmax_ms) < 0;
	bad |= h->cfg_duration_ms(root, "throttle_retry", 1000, &st->throttle_ms) < 0;
	if (h->cfg_get(root, "password") != NULL || st->system_id != NULL)
		bad |= h->secret(st->inst, "password", &st->password) < 0;
	if (st->host_name == NULL) {
		h->cfg_error(root, "smpp needs 'host' (the SMSC's address)");
		bad = 1;
	}
	if (st->system_id == NULL) {
		h->cfg_error(root, "smpp needs 'system_id'");
		bad = 1;
	} else if (strlen(st->system_id) > 15) {
		h->cfg_error(h->cfg_get(root, "system_id"), "system_id has at most 15 characters");
		bad = 1;
	}
	if (st->password != NULL && strlen(st->password) > 8) {
		h->cfg_error(h->cfg_get(root, "password"), "the password has at most 8 characters"
		    " in SMPP 3.4");
		bad = 1;
	}
	if (strlen(st->system_type) > 12) {
		h->cfg_error(h->cfg_get(root, "system_type"), "system_type has at most 12 characters");
		bad = 1;
	}
	if (st->rmin_ms < 10 || st->rmax_ms < st->rmin_ms || st->resp_ms < 10 ||
	    st->enquire_ms < 10) {
		h->cfg_error(root, "durations: reconnect_min, response_timeout and enquire_link"
		    " at least 10ms, reconnect_max at least reconnect_min");
		bad = 1;
	}
	st->build.long_text = (enum smpp_long)i_long;
	return bad ? -1 : 0;
}

static struct smpp_session *
sm_session(struct sm_state *st, uint32_t cmd, const char *label)
{
	struct smpp_session_cfg c = {
		.host = st->host_name, .port = (int)st->port,
		.bind = { .system_id = st->system_id, .password = st->password,
			.system_type = st->system_type, .address_range = st->address_range },
		.bind_cmd = cmd, .label = label, .window = (unsigned)st->window,
		.enquire_ms = st->enquire_ms, .resp_timeout_ms = st->resp_ms,
		.connect_timeout_ms = st->connect_ms, .reconnect_min_ms = st->rmin_ms,
		.reconnect_max_ms = st->rmax_ms,
	};

	return smpp_session_new(st->host, st->inst, &c, &sm_ops, st);
}

static void
sm_fini(void *state)
{
	struct sm_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	/* Unbind and close; the host answers the tickets still open (rule 7). */
	for (i = 0; i < SM_MAX_BINDS; i++) {
		smpp_session_free(st->tx[i]);
		smpp_session_free(st->rx[i]);
	}
	while (st->q_head != NULL) {
		struct sm_msg *m = st->q_head;

		st->q_head = m->next_q;
		msg_free(m);
	}
	smpp_track_free(st->track);
	free(st);
}

static int
sm_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct sm_state *st;
	int64_t i;

	if (!SB_HOST_HAS(host, tcp_connect)) {
		host->log(inst, SB_LOG_ERROR, "smpp needs a host with ABI 1.2 (tcp_connect);"
		    " this switchboardd is older");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	if (sm_config(st) < 0 || (st->track = smpp_track_new(200000)) == NULL) {
		sm_fini(st);
		return -1;
	}
	for (i = 0; i < st->binds; i++) {
		const char *kind = st->pair ? "transmitter" : "transceiver";

		/* "transceiver", or "transceiver 2/3" when there are several */
		if (st->binds > 1) {
			snprintf(st->labels[2 * i], sizeof(st->labels[0]), "%s %u/%u", kind,
			    (unsigned)(i + 1), (unsigned)st->binds);
			snprintf(st->labels[2 * i + 1], sizeof(st->labels[0]), "receiver %u/%u",
			    (unsigned)(i + 1), (unsigned)st->binds);
		} else {
			snprintf(st->labels[2 * i], sizeof(st->labels[0]), "%s", kind);
			snprintf(st->labels[2 * i + 1], sizeof(st->labels[0]), "receiver");
		}
		st->tx[i] = sm_session(st, st->pair ? SMPP_BIND_TRANSMITTER :
		    SMPP_BIND_TRANSCEIVER, st->labels[2 * i]);
		if (st->pair)
			st->rx[i] = sm_session(st, SMPP_BIND_RECEIVER, st->labels[2 * i + 1]);
		if (st->tx[i] == NULL || (st->pair && st->rx[i] == NULL)) {
			sm_fini(st);
			return -1;
		}
	}
	*state = st;
	return 0;
}

/* ---- sending ---- */

/* Source TON/NPI: configured, else 5/0 for an alphanumeric sender, 1/1 for a number. */
static void
sm_source(const struct sm_state *st, const char *from, struct smpp_sm *sm)
{
	const char *p = from[0] == '+' ? from + 1 : from;
	int numeric = *p != '\0';

	for (; *p != '\0'; p++)
		numeric = numeric && isdigit((unsigned char)*p);
	sm->src = numeric && from[0] == '+' ? from + 1 : from;
	sm->src_ton = st->src_ton >= 0 ? (uint8_t)st->src_ton : numeric ? 1 : 5;
	sm->src_npi = st->src_npi >= 0 ? (uint8_t)st->src_npi : numeric ? 1 : 0;
}

static int
sm_send(void *state, const struct sb_send_request *req)
{
	struct sm_state *st = state;
	const char *from = req->from != NULL && req->from[0] != '\0' ? req->from : st->from;
	struct smpp_sm sm = { .registered_delivery = 1 };
	struct smpp_text t;
	struct sm_msg *m;
	char why[300];
	unsigned i;
	int rc;

	if (req->text == NULL) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_text",
		    "smpp sends text only");
		return 0;
	}
	if (from == NULL || req->to == NULL || req->to[0] == '\0') {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_address",
		    from == NULL ? "no sender: configure 'from'" : "no recipient");
		return 0;
	}
	if (st->draining) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_TEMPORARY, "stopping",
		    "not sent: the instance is stopping");
		return 0;
	}
	/* Down and waiting out a backoff: say so now. While a bind is being
	 * made (at start, after a reload) the message waits for it instead. */
	if (!any_bound(st) && !any_connecting(st)) {
		struct sb_send_result res = { .struct_size = sizeof(res),
			.outcome = SB_OUT_TEMPORARY, .error_code = "not_bound",
			.retry_after_s = retry_after(st) };

		snprintf(why, sizeof(why), "not bound to the SMSC: %s",
		    smpp_session_why(st->tx[0]));
		res.error_text = why;
		st->host->send_result(st->inst, req->ticket, &res);
		return 0;
	}
	if ((rc = smpp_text_encode(req->text, st->ucs2, (size_t)st->max_parts, &t)) < 0) {
		if (rc == -3)
			return -1;
		snprintf(why, sizeof(why), rc == -1 ? "text is not valid UTF-8" :
		    "text needs more than %lld parts (max_parts)", (long long)st->max_parts);
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED,
		    rc == -1 ? "bad_text" : "text_too_long", why);
		return 0;
	}
	sm_source(st, from, &sm);
	sm.dst = req->to[0] == '+' ? req->to + 1 : req->to;
	sm.dst_ton = (uint8_t)st->dst_ton;
	sm.dst_npi = (uint8_t)st->dst_npi;
	sm.service_type = "";
	st->build.ref++;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		smpp_text_free(&t);
		return -1;
	}
	if ((rc = smpp_build_pdus(&sm, &t, &st->build, &m->pdus)) < 0) {
		smpp_text_free(&t);
		free(m);
		if (rc == -3)
			return -1;
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "bad_address",
		    "an address is too long for SMPP (20 characters at most)");
		return 0;
	}
	m->st = st;
	m->ticket = req->ticket;
	m->nparts = (unsigned)m->pdus.n;
	if ((m->parts = calloc(m->nparts, sizeof(*m->parts))) == NULL ||
	    (m->ids = calloc(m->nparts, sizeof(*m->ids))) == NULL) {
		smpp_text_free(&t);
		msg_free(m);
		return -1;
	}
	for (i = 0; i < m->nparts; i++)
		m->parts[i] = (struct sm_part){ .m = m, .idx = i };
	smpp_text_free(&t);
	st->open++;
	if (st->q_tail != NULL)
		st->q_tail->next_q = m;
	else
		st->q_head = m;
	st->q_tail = m;
	drain(st);
	if (m->next == 0) /* a test waits for this line; a bench does not log debug */
		st->host->log(st->inst, SB_LOG_DEBUG, "ticket %llu waits for the window or a bind",
		    (unsigned long long)req->ticket);
	return 0;
}

/*
 * Retired by a reload, or the daemon is stopping (plugin.h `drain`): what
 * waits with no part sent goes back to the engine at once (re-queued, not
 * in doubt); the window, and the rest of a message already partly in it,
 * finish here: each submit is answered, or after response_timeout the
 * connection counts as dead and its submits are in doubt. The host waits
 * for the tickets still open, then calls fini, which unbinds.
 */
static int
sm_drain(void *state)
{
	struct sm_state *st = state;
	struct sm_msg **pp = &st->q_head, *m;

	st->draining = 1;
	while ((m = *pp) != NULL) {
		if (m->next > 0) { /* partly submitted: its other parts follow */
			pp = &m->next_q;
			continue;
		}
		*pp = m->next_q;
		snprintf(m->lost, sizeof(m->lost), "not sent: the instance is stopping");
		m->lost_code = "stopping";
		m->retry_after_s = 0; /* after a reload the new instance may take it now */
		m->answered = m->nparts;
		msg_finish(m);
	}
	st->q_tail = NULL;
	for (m = st->q_head; m != NULL; m = m->next_q)
		st->q_tail = m;
	return (int)st->open;
}

SB_PLUGIN_DEFINE(smpp) = SB_PLUGIN_INIT(
	.name = "smpp",
	.version = "1.0",
	.description = "SMPP 3.4 client (ESME): submit_sm, delivery receipts, MO messages",
	.kind = SB_PLUGIN_CHANNEL,
	/* Receipts come over the bind itself (deliver_sm), neither webhook nor
	 * poll. SMPP has no idempotency key: not idempotent. */
	.capabilities = SB_CAPABILITIES(.receipts = SB_RECEIPT_NONE, .idempotent = 0),
	.init = sm_init,
	.fini = sm_fini,
	.send = sm_send,
	.drain = sm_drain,
);
