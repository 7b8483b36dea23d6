/*
 * smpp_build.c - one message's submit_sm PDUs (see smpp_build.h).
 */
#include <stdlib.h>
#include <string.h>

#include "smpp_build.h"

/* Fixed fields and both addresses of a submit_sm, TLV heads, with room to spare. */
#define PDU_OVERHEAD 128

/*
 * Text bytes b[0..n) as they go on the wire, after `udh_octets` of UDH:
 * packed into out when o->packed and the text is GSM, else copied.
 */
static size_t
wire_text(const struct smpp_build *o, const struct smpp_text *t, const uint8_t *b, size_t n,
    size_t udh_octets, uint8_t *out)
{
	if (o->packed && t->data_coding == SMPP_DC_DEFAULT)
		return smpp_gsm_pack(b, n, smpp_gsm_fill(udh_octets), out);
	if (n > 0)
		memcpy(out, b, n);
	return n;
}

int
smpp_build_pdus(const struct smpp_sm *base, const struct smpp_text *t,
    const struct smpp_build *o, struct smpp_pdus *out)
{
	struct smpp_sm sm = *base;
	size_t cap, at = 0, i, nparts = t->nparts;
	uint8_t *msg;

	memset(out, 0, sizeof(*out));
	if (o->long_text == SMPP_LONG_PAYLOAD && nparts > 1)
		nparts = 1;
	/* Upper bound: the whole text plus a PDU's overhead per part. */
	cap = t->len + nparts * (PDU_OVERHEAD + 6 + 2 * 21 + 6);
	if ((out->buf = malloc(cap)) == NULL || (msg = malloc(t->len + 8)) == NULL) {
		free(out->buf);
		out->buf = NULL;
		return -3;
	}
	sm.data_coding = t->data_coding;
	sm.payload = NULL;
	sm.payload_len = 0;
	sm.sar_total = 0;
	sm.esm_class = (uint8_t)(base->esm_class & ~SMPP_ESM_UDHI);
	if (o->long_text == SMPP_LONG_PAYLOAD && t->nparts > 1) {
		/* One PDU, short_message empty, the whole text in message_payload. */
		sm.msg = NULL;
		sm.msg_len = 0;
		sm.payload = msg;
		sm.payload_len = wire_text(o, t, t->bytes, t->len, 0, msg);
	}
	for (i = 0; i < nparts; i++) {
		const uint8_t *b = t->bytes + t->off[i];
		size_t n = t->off[i + 1] - t->off[i], len;

		if (sm.payload == NULL) {
			size_t hl = 0;

			if (nparts > 1 && o->long_text == SMPP_LONG_UDH) {
				const uint8_t udh[6] = { 5, 0, 3, (uint8_t)o->ref, (uint8_t)nparts,
					(uint8_t)(i + 1) };

				memcpy(msg, udh, sizeof(udh));
				hl = sizeof(udh);
				sm.esm_class |= SMPP_ESM_UDHI;
			} else if (nparts > 1) {
				sm.sar_ref = o->ref;
				sm.sar_total = (uint8_t)nparts;
				sm.sar_seq = (uint8_t)(i + 1);
			}
			sm.msg = msg;
			sm.msg_len = hl + wire_text(o, t, b, n, hl, msg + hl);
		}
		len = smpp_pdu_sm(out->buf + at, cap - at, SMPP_SUBMIT_SM, 0, &sm);
		if (len == 0) {
			free(msg);
			smpp_pdus_free(out);
			return -1;
		}
		out->off[i] = at;
		at += len;
	}
	out->off[nparts] = at;
	out->n = nparts;
	free(msg);
	return 0;
}

void
smpp_pdus_free(struct smpp_pdus *p)
{
	free(p->buf);
	p->buf = NULL;
	p->n = 0;
}
