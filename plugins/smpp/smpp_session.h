/*
 * smpp_session.h - one SMPP bind over one TCP connection (host->tcp_*):
 * connect, bind, the window of outstanding submit_sm with their sequence
 * numbers and response deadlines, enquire_link keep-alive and dead-peer
 * detection, answering the SMSC's requests (deliver_sm_resp,
 * enquire_link_resp, unbind_resp, generic_nack), reconnecting with
 * exponential backoff, and unbind when freed.
 *
 * It knows nothing of messages: a submit is a built PDU and an opaque
 * cookie, answered exactly once through ops->resp or ops->lost (not after
 * smpp_session_free). Logging of failures is once per distinct reason
 * (a refused bind is one ERROR line with the command_status in words,
 * not one per retry).
 */
#ifndef SMPP_SESSION_H
#define SMPP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/host.h>

#include "smpp_pdu.h"

struct smpp_session;

struct smpp_session_cfg {
	const char *host;
	int port;
	struct smpp_bind bind;       /* strings owned by the caller, outliving the session */
	uint32_t bind_cmd;           /* SMPP_BIND_TRANSCEIVER, _TRANSMITTER or _RECEIVER */
	const char *label;           /* "transceiver", "transmitter", "receiver" (logs) */
	unsigned window;             /* submit_sm outstanding at most */
	int64_t enquire_ms;          /* enquire_link after this long without a PDU in */
	int64_t resp_timeout_ms;     /* bind, submit_sm and enquire_link answers */
	int64_t connect_timeout_ms;
	int64_t reconnect_min_ms, reconnect_max_ms;
};

struct smpp_session_ops {
	/* Bound, or room in the window again: submit what waits. */
	void (*ready)(void *arg, struct smpp_session *s);
	/* No longer bound (after every outstanding submit got `lost`), or a
	 * connection or bind attempt failed. */
	void (*down)(void *arg, struct smpp_session *s, const char *why);
	/* submit_sm_resp (or generic_nack) for a submit. */
	void (*resp)(void *arg, void *cookie, uint32_t status, const char *message_id);
	/* A submit that will get no answer: connection lost, or timed out. */
	void (*lost)(void *arg, void *cookie, const char *why);
	/* A deliver_sm (receipt or MO); the session answers it afterwards. */
	void (*deliver)(void *arg, struct smpp_session *s, const struct smpp_sm *sm);
};

/* A session, connecting at once. NULL when out of memory. */
struct smpp_session *smpp_session_new(const struct sb_host *host, struct sb_instance *inst,
    const struct smpp_session_cfg *cfg, const struct smpp_session_ops *ops, void *arg);
/* Unbind (if bound) and close; no callback comes after. */
void smpp_session_free(struct smpp_session *s);

int smpp_session_bound(const struct smpp_session *s);
/* A connection or bind attempt is under way (it ends in `ready` or `down`). */
int smpp_session_connecting(const struct smpp_session *s);
/* Free window slots (0 when not bound). */
unsigned smpp_session_room(const struct smpp_session *s);
/* Why it is not bound ("connecting", the last error...). */
const char *smpp_session_why(const struct smpp_session *s);
/* Milliseconds until the next reconnect attempt (0 if none is waiting). */
int64_t smpp_session_retry_in_ms(const struct smpp_session *s);
/*
 * Send a built submit_sm (its sequence number is written here). 0, or -1
 * when not bound or the window is full (then nothing was sent).
 */
int smpp_session_submit(struct smpp_session *s, uint8_t *pdu, size_t len, void *cookie);

#endif
