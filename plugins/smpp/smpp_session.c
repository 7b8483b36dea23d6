/*
 * smpp_session.c - one SMPP bind over one TCP connection (see
 * smpp_session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smpp_session.h"

enum sess_state { SS_WAIT, SS_CONNECTING, SS_BINDING, SS_BOUND };

struct sess_slot {
	uint32_t seq;                /* 0: free */
	void *cookie;
	int64_t deadline;
};

struct smpp_session {
	const struct sb_host *host;
	struct sb_instance *inst;
	struct smpp_session_cfg cfg;
	struct smpp_session_ops ops;
	void *arg;
	struct sb_tcp *tcp;
	enum sess_state state;
	uint32_t next_seq;
	struct sess_slot *win;
	unsigned nwin;
	uint32_t bind_seq, enq_seq;  /* enq_seq 0: no enquire_link out */
	int64_t bind_deadline, enq_deadline, last_rx, retry_at;
	int64_t backoff_ms;
	struct sb_timer *tick, *retry;
	char why[256];               /* why not bound */
	char logged[256];            /* the last failure logged at WARN/ERROR */
};

static void sess_connect(struct smpp_session *s);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
sess_seq(struct smpp_session *s)
{
	uint32_t seq = s->next_seq++;

	if (s->next_seq > 0x7fffffffu)
		s->next_seq = 1;
	return seq;
}

static void
sess_write(struct smpp_session *s, const uint8_t *pdu, size_t len)
{
	if (s->tcp != NULL && len > 0)
		s->host->tcp_write(s->tcp, pdu, len);
}

/* Log a failure once: the same reason again goes to DEBUG. */
static void
sess_log_once(struct smpp_session *s, enum sb_log_level level, const char *what)
{
	if (strcmp(s->logged, what) == 0) {
		s->host->log(s->inst, SB_LOG_DEBUG, "%s %s:%d: %s (again)", s->cfg.label,
		    s->cfg.host, s->cfg.port, what);
		return;
	}
	snprintf(s->logged, sizeof(s->logged), "%s", what);
	s->host->log(s->inst, level, "%s %s:%d: %s; reconnecting with backoff", s->cfg.label,
	    s->cfg.host, s->cfg.port, what);
}

static void
sess_retry_fire(void *arg)
{
	struct smpp_session *s = arg;

	s->retry = NULL;
	sess_connect(s);
}

/*
 * The connection is done for: close it, answer every outstanding submit
 * as lost, tell the owner, and schedule a reconnect after the backoff.
 */
static void
sess_fail(struct smpp_session *s, enum sb_log_level level, const char *why)
{
	unsigned i;

	if (s->state == SS_WAIT)
		return;
	if (s->tcp != NULL)
		s->host->tcp_close(s->tcp);
	s->tcp = NULL;
	s->state = SS_WAIT;
	snprintf(s->why, sizeof(s->why), "%s", why);
	sess_log_once(s, level, why);
	if (s->tick != NULL)
		s->host->timer_cancel(s->tick);
	s->tick = NULL;
	for (i = 0; i < s->cfg.window; i++)
		if (s->win[i].seq != 0) {
			void *cookie = s->win[i].cookie;

			s->win[i].seq = 0;
			s->nwin--;
			s->ops.lost(s->arg, cookie, why);
		}
	s->enq_seq = 0;
	s->retry_at = now_ms() + s->backoff_ms;
	s->retry = s->host->timer_add(s->inst, s->backoff_ms, sess_retry_fire, s);
	s->backoff_ms *= 2;
	if (s->backoff_ms > s->cfg.reconnect_max_ms)
		s->backoff_ms = s->cfg.reconnect_max_ms;
	if (s->ops.down != NULL)
		s->ops.down(s->arg, s, why);
}

static void
sess_tick(void *arg)
{
	struct smpp_session *s = arg;
	int64_t now = now_ms(), every;
	char why[160];
	unsigned i;

	s->tick = NULL;
	if (s->state == SS_BINDING && now >= s->bind_deadline) {
		snprintf(why, sizeof(why), "no answer to %s bind in %lld ms", s->cfg.label,
		    (long long)s->cfg.resp_timeout_ms);
		sess_fail(s, SB_LOG_WARN, why);
		return;
	}
	if (s->state == SS_BOUND) {
		if (s->enq_seq != 0 && now >= s->enq_deadline) {
			snprintf(why, sizeof(why), "no answer to enquire_link in %lld ms (dead peer)",
			    (long long)s->cfg.resp_timeout_ms);
			sess_fail(s, SB_LOG_WARN, why);
			return;
		}
		for (i = 0; i < s->cfg.window; i++)
			if (s->win[i].seq != 0 && now >= s->win[i].deadline) {
				snprintf(why, sizeof(why), "no submit_sm_resp in %lld ms",
				    (long long)s->cfg.resp_timeout_ms);
				sess_fail(s, SB_LOG_WARN, why);
				return;
			}
		if (s->enq_seq == 0 && now - s->last_rx >= s->cfg.enquire_ms) {
			uint8_t pdu[SMPP_HDR];

			s->enq_seq = sess_seq(s);
			s->enq_deadline = now + s->cfg.resp_timeout_ms;
			sess_write(s, pdu, smpp_pdu_empty(pdu, sizeof(pdu), SMPP_ENQUIRE_LINK, 0,
			    s->enq_seq));
		}
	}
	every = s->cfg.enquire_ms < s->cfg.resp_timeout_ms ? s->cfg.enquire_ms :
	    s->cfg.resp_timeout_ms;
	every = every / 4 < 1000 ? every / 4 : 1000;
	if (every < 20)
		every = 20;
	s->tick = s->host->timer_add(s->inst, every, sess_tick, s);
}

static void
sess_on_connected(void *arg, struct sb_tcp *c)
{
	struct smpp_session *s = arg;
	uint8_t pdu[128];

	(void)c;
	s->state = SS_BINDING;
	s->bind_seq = sess_seq(s);
	s->bind_deadline = now_ms() + s->cfg.resp_timeout_ms;
	s->last_rx = now_ms();
	sess_write(s, pdu, smpp_pdu_bind(pdu, sizeof(pdu), s->cfg.bind_cmd, s->bind_seq,
	    &s->cfg.bind));
	if (s->tick == NULL)
		sess_tick(s);
}

static void
sess_on_closed(void *arg, struct sb_tcp *c, const char *error)
{
	struct smpp_session *s = arg;
	char why[300];

	(void)c;
	s->tcp = NULL; /* the host frees the handle */
	snprintf(why, sizeof(why), "%s: %s", s->state == SS_CONNECTING ? "cannot connect" :
	    "connection lost", error);
	sess_fail(s, SB_LOG_WARN, why);
}

static struct sess_slot *
sess_slot_find(struct smpp_session *s, uint32_t seq)
{
	unsigned i;

	for (i = 0; i < s->cfg.window; i++)
		if (s->win[i].seq == seq)
			return &s->win[i];
	return NULL;
}

static void
sess_bind_resp(struct smpp_session *s, const struct smpp_hdr *h)
{
	char why[256], st[200];

	if (s->state != SS_BINDING || h->seq != s->bind_seq)
		return;
	if (h->status != SMPP_ESME_ROK) {
		snprintf(why, sizeof(why), "bind refused by the SMSC: %s",
		    smpp_status_text(h->status, st, sizeof(st)));
		sess_fail(s, SB_LOG_ERROR, why);
		return;
	}
	s->state = SS_BOUND;
	s->why[0] = '\0';
	s->logged[0] = '\0';
	s->backoff_ms = s->cfg.reconnect_min_ms;
	s->host->log(s->inst, SB_LOG_INFO, "bound to %s:%d as %s (%s)", s->cfg.host,
	    s->cfg.port, s->cfg.bind.system_id, s->cfg.label);
	s->ops.ready(s->arg, s);
}

/* One whole PDU from the SMSC. */
static void
sess_pdu(struct smpp_session *s, const struct smpp_hdr *h, const uint8_t *body, size_t blen)
{
	uint8_t out[64];
	char id[72];
	struct sess_slot *slot;

	s->last_rx = now_ms();
	switch (h->cmd) {
	case SMPP_BIND_TRANSCEIVER | SMPP_RESP:
	case SMPP_BIND_TRANSMITTER | SMPP_RESP:
	case SMPP_BIND_RECEIVER | SMPP_RESP:
		sess_bind_resp(s, h);
		return;
	case SMPP_SUBMIT_SM | SMPP_RESP:
	case SMPP_GENERIC_NACK:
		if ((slot = sess_slot_find(s, h->seq)) == NULL) {
			s->host->log(s->inst, SB_LOG_DEBUG, "answer for unknown sequence %u ignored",
			    (unsigned)h->seq);
			return;
		}
		if (smpp_body_cstring(body, blen, id, sizeof(id)) < 0)
			id[0] = '\0';
		slot->seq = 0;
		s->nwin--;
		s->ops.resp(s->arg, slot->cookie, h->cmd == SMPP_GENERIC_NACK && h->status == 0 ?
		    0x08 : h->status, id);
		if (s->state == SS_BOUND)
			s->ops.ready(s->arg, s);
		return;
	case SMPP_DELIVER_SM: {
		struct smpp_sm sm;
		uint32_t status = SMPP_ESME_ROK;

		if (smpp_body_sm(body, blen, &sm) < 0) {
			s->host->log(s->inst, SB_LOG_WARN, "malformed deliver_sm (%zu bytes) refused",
			    blen);
			status = 0xC0; /* ESME_RINVOPTPARSTREAM */
		} else {
			s->ops.deliver(s->arg, s, &sm);
		}
		sess_write(s, out, smpp_pdu_deliver_resp(out, sizeof(out), status, h->seq));
		return;
	}
	case SMPP_ENQUIRE_LINK:
		sess_write(s, out, smpp_pdu_empty(out, sizeof(out), SMPP_ENQUIRE_LINK | SMPP_RESP, 0,
		    h->seq));
		return;
	case SMPP_ENQUIRE_LINK | SMPP_RESP:
		if (h->seq == s->enq_seq)
			s->enq_seq = 0;
		return;
	case SMPP_UNBIND:
		sess_write(s, out, smpp_pdu_empty(out, sizeof(out), SMPP_UNBIND | SMPP_RESP, 0,
		    h->seq));
		sess_fail(s, SB_LOG_WARN, "the SMSC unbound");
		return;
	case SMPP_UNBIND | SMPP_RESP:
		return;
	default:
		if ((h->cmd & SMPP_RESP) == 0)
			sess_write(s, out, smpp_pdu_empty(out, sizeof(out), SMPP_GENERIC_NACK,
			    0x03 /* ESME_RINVCMDID */, h->seq));
		return;
	}
}

static size_t
sess_on_data(void *arg, struct sb_tcp *c, const unsigned char *buf, size_t len)
{
	struct smpp_session *s = arg;
	size_t used = 0;
	struct smpp_hdr h;

	(void)c;
	while (s->tcp != NULL && smpp_hdr_read(buf + used, len - used, &h) == 0) {
		if (h.len < SMPP_HDR || h.len > SMPP_MAX_PDU) {
			sess_fail(s, SB_LOG_WARN, "malformed PDU from the SMSC (bad command_length)");
			return len;
		}
		if (len - used < h.len)
			break;
		sess_pdu(s, &h, buf + used + SMPP_HDR, h.len - SMPP_HDR);
		used += h.len;
	}
	return used;
}

static const struct sb_tcp_callbacks sess_tcp_cbs = {
	.struct_size = sizeof(struct sb_tcp_callbacks),
	.connected = sess_on_connected,
	.data = sess_on_data,
	.closed = sess_on_closed,
};

static void
sess_connect(struct smpp_session *s)
{
	s->state = SS_CONNECTING;
	snprintf(s->why, sizeof(s->why), "connecting");
	s->tcp = s->host->tcp_connect(s->inst, s->cfg.host, s->cfg.port,
	    s->cfg.connect_timeout_ms, &sess_tcp_cbs, s);
	if (s->tcp == NULL)
		sess_fail(s, SB_LOG_WARN, "cannot start a connection");
}

struct smpp_session *
smpp_session_new(const struct sb_host *host, struct sb_instance *inst,
    const struct smpp_session_cfg *cfg, const struct smpp_session_ops *ops, void *arg)
{
	struct smpp_session *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->win = calloc(cfg->window, sizeof(*s->win))) == NULL) {
		free(s);
		return NULL;
	}
	s->host = host;
	s->inst = inst;
	s->cfg = *cfg;
	s->ops = *ops;
	s->arg = arg;
	s->next_seq = 1;
	s->backoff_ms = cfg->reconnect_min_ms;
	sess_connect(s);
	return s;
}

void
smpp_session_free(struct smpp_session *s)
{
	uint8_t pdu[SMPP_HDR];

	if (s == NULL)
		return;
	if (s->tcp != NULL) {
		if (s->state == SS_BOUND)
			sess_write(s, pdu, smpp_pdu_empty(pdu, sizeof(pdu), SMPP_UNBIND, 0,
			    sess_seq(s)));
		s->host->tcp_close(s->tcp);
	}
	if (s->tick != NULL)
		s->host->timer_cancel(s->tick);
	if (s->retry != NULL)
		s->host->timer_cancel(s->retry);
	free(s->win);
	free(s);
}

int
smpp_session_bound(const struct smpp_session *s)
{
	return s->state == SS_BOUND;
}

int
smpp_session_connecting(const struct smpp_session *s)
{
	return s->state == SS_CONNECTING || s->state == SS_BINDING;
}

unsigned
smpp_session_room(const struct smpp_session *s)
{
	return s->state == SS_BOUND ? s->cfg.window - s->nwin : 0;
}

const char *
smpp_session_why(const struct smpp_session *s)
{
	return s->why[0] != '\0' ? s->why : "bound";
}

int64_t
smpp_session_retry_in_ms(const struct smpp_session *s)
{
	int64_t d = s->retry != NULL ? s->retry_at - now_ms() : 0;

	return d > 0 ? d : 0;
}

int
smpp_session_submit(struct smpp_session *s, uint8_t *pdu, size_t len, void *cookie)
{
	unsigned i;
	uint32_t seq;

	if (s->state != SS_BOUND || s->nwin >= s->cfg.window || len < SMPP_HDR)
		return -1;
	for (i = 0; i < s->cfg.window && s->win[i].seq != 0; i++)
		;
	seq = sess_seq(s);
	pdu[12] = (uint8_t)(seq >> 24);
	pdu[13] = (uint8_t)(seq >> 16);
	pdu[14] = (uint8_t)(seq >> 8);
	pdu[15] = (uint8_t)seq;
	s->win[i] = (struct sess_slot){ .seq = seq, .cookie = cookie,
		.deadline = now_ms() + s->cfg.resp_timeout_ms };
	s->nwin++;
	sess_write(s, pdu, len);
	return 0;
}
