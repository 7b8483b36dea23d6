/*
 * smpp_pdu.c - the SMPP 3.4 PDU codec (see smpp_pdu.h). Pure.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smpp_pdu.h"

/* ---- writing ---- */

struct wr {
	uint8_t *p;
	size_t len, cap;
	int over;
};

static void
w_u8(struct wr *w, uint8_t v)
{
	if (w->len + 1 > w->cap) {
		w->over = 1;
		return;
	}
	w->p[w->len++] = v;
}

static void
w_u32(struct wr *w, uint32_t v)
{
	w_u8(w, (uint8_t)(v >> 24));
	w_u8(w, (uint8_t)(v >> 16));
	w_u8(w, (uint8_t)(v >> 8));
	w_u8(w, (uint8_t)v);
}

static void
w_bytes(struct wr *w, const void *s, size_t n)
{
	if (w->len + n > w->cap) {
		w->over = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* A C-octet string of at most max-1 characters (max counts the NUL). */
static void
w_cstr(struct wr *w, const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= max) {
		w->over = 1;
		return;
	}
	w_bytes(w, s, n);
	w_u8(w, 0);
}

static void
w_tlv_head(struct wr *w, uint16_t tag, uint16_t len)
{
	w_u8(w, (uint8_t)(tag >> 8));
	w_u8(w, (uint8_t)tag);
	w_u8(w, (uint8_t)(len >> 8));
	w_u8(w, (uint8_t)len);
}

static void
w_head(struct wr *w, uint8_t *out, size_t cap, uint32_t cmd, uint32_t status, uint32_t seq)
{
	*w = (struct wr){ .p = out, .cap = cap };
	w_u32(w, 0);
	w_u32(w, cmd);
	w_u32(w, status);
	w_u32(w, seq);
}

static size_t
w_done(struct wr *w)
{
	if (w->over)
		return 0;
	w->p[0] = (uint8_t)(w->len >> 24);
	w->p[1] = (uint8_t)(w->len >> 16);
	w->p[2] = (uint8_t)(w->len >> 8);
	w->p[3] = (uint8_t)w->len;
	return w->len;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
smpp_hdr_read(const uint8_t *buf, size_t len, struct smpp_hdr *h)
{
	if (len < SMPP_HDR)
		return -1;
	h->len = get_u32(buf);
	h->cmd = get_u32(buf + 4);
	h->status = get_u32(buf + 8);
	h->seq = get_u32(buf + 12);
	return 0;
}

size_t
smpp_pdu_empty(uint8_t *out, size_t cap, uint32_t cmd, uint32_t status, uint32_t seq)
{
	struct wr w;

	w_head(&w, out, cap, cmd, status, seq);
	return w_done(&w);
}

size_t
smpp_pdu_deliver_resp(uint8_t *out, size_t cap, uint32_t status, uint32_t seq)
{
	struct wr w;

	w_head(&w, out, cap, SMPP_DELIVER_SM | SMPP_RESP, status, seq);
	w_u8(&w, 0);
	return w_done(&w);
}

size_t
smpp_pdu_bind(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq, const struct smpp_bind *b)
{
	struct wr w;

	w_head(&w, out, cap, cmd, 0, seq);
	w_cstr(&w, b->system_id, 16);
	w_cstr(&w, b->password, 9);
	w_cstr(&w, b->system_type, 13);
	w_u8(&w, 0x34);
	w_u8(&w, b->addr_ton);
	w_u8(&w, b->addr_npi);
	w_cstr(&w, b->address_range, 41);
	return w_done(&w);
}

size_t
smpp_pdu_sm(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq, const struct smpp_sm *sm)
{
	struct wr w;

	if (sm->msg_len > 254)
		return 0;
	w_head(&w, out, cap, cmd, 0, seq);
	w_cstr(&w, sm->service_type, 6);
	w_u8(&w, sm->src_ton);
	w_u8(&w, sm->src_npi);
	w_cstr(&w, sm->src, 21);
	w_u8(&w, sm->dst_ton);
	w_u8(&w, sm->dst_npi);
	w_cstr(&w, sm->dst, 21);
	w_u8(&w, sm->esm_class);
	w_u8(&w, sm->protocol_id);
	w_u8(&w, sm->priority);
	w_u8(&w, 0); /* schedule_delivery_time: now */
	w_u8(&w, 0); /* validity_period: the SMSC's default */
	w_u8(&w, sm->registered_delivery);
	w_u8(&w, 0); /* replace_if_present_flag */
	w_u8(&w, sm->data_coding);
	w_u8(&w, 0); /* sm_default_msg_id */
	w_u8(&w, (uint8_t)sm->msg_len);
	w_bytes(&w, sm->msg, sm->msg_len);
	if (sm->sar_total > 0) {
		w_tlv_head(&w, SMPP_TLV_SAR_MSG_REF_NUM, 2);
		w_u8(&w, (uint8_t)(sm->sar_ref >> 8));
		w_u8(&w, (uint8_t)sm->sar_ref);
		w_tlv_head(&w, SMPP_TLV_SAR_TOTAL_SEGMENTS, 1);
		w_u8(&w, sm->sar_total);
		w_tlv_head(&w, SMPP_TLV_SAR_SEGMENT_SEQNUM, 1);
		w_u8(&w, sm->sar_seq);
	}
	if (sm->payload != NULL) {
		if (sm->payload_len > 0xffff)
			return 0;
		w_tlv_head(&w, SMPP_TLV_MESSAGE_PAYLOAD, (uint16_t)sm->payload_len);
		w_bytes(&w, sm->payload, sm->payload_len);
	}
	return w_done(&w);
}

/* ---- reading ---- */

struct rd {
	const uint8_t *p;
	size_t len, at;
	int bad;
};

static uint8_t
r_u8(struct rd *r)
{
	if (r->at >= r->len) {
		r->bad = 1;
		return 0;
	}
	return r->p[r->at++];
}

/* A C-octet string of at most max bytes (with its NUL) into out. */
static void
r_cstr(struct rd *r, char *out, size_t max)
{
	size_t n = 0;

	while (r->at < r->len && r->p[r->at] != 0) {
		if (n + 1 >= max) {
			r->bad = 1;
			return;
		}
		out[n++] = (char)r->p[r->at++];
	}
	out[n] = '\0';
	if (r->at >= r->len)
		r->bad = 1;
	else
		r->at++;
}

int
smpp_body_cstring(const uint8_t *body, size_t len, char *out, size_t cap)
{
	struct rd r = { .p = body, .len = len };

	out[0] = '\0';
	if (len == 0)
		return 0;
	r_cstr(&r, out, cap);
	return r.bad ? -1 : 0;
}

int
smpp_body_bind(const uint8_t *body, size_t len, struct smpp_bind *b, char *buf, size_t cap)
{
	struct rd r = { .p = body, .len = len };

	if (cap < 16 + 9 + 13 + 41)
		return -1;
	r_cstr(&r, buf, 16);
	r_cstr(&r, buf + 16, 9);
	r_cstr(&r, buf + 25, 13);
	r_u8(&r); /* interface_version */
	b->addr_ton = r_u8(&r);
	b->addr_npi = r_u8(&r);
	r_cstr(&r, buf + 38, 41);
	b->system_id = buf;
	b->password = buf + 16;
	b->system_type = buf + 25;
	b->address_range = buf + 38;
	return r.bad ? -1 : 0;
}

int
smpp_body_sm(const uint8_t *body, size_t len, struct smpp_sm *sm)
{
	struct rd r = { .p = body, .len = len };
	char skip[20];

	memset(sm, 0, sizeof(*sm));
	sm->message_state = -1;
	r_cstr(&r, sm->buf, 6);
	sm->service_type = sm->buf;
	sm->src_ton = r_u8(&r);
	sm->src_npi = r_u8(&r);
	r_cstr(&r, sm->buf + 8, 65); /* 21 in 3.4; some SMSCs send longer */
	sm->src = sm->buf + 8;
	sm->dst_ton = r_u8(&r);
	sm->dst_npi = r_u8(&r);
	r_cstr(&r, sm->buf + 8 + 72, 65);
	sm->dst = sm->buf + 8 + 72;
	sm->esm_class = r_u8(&r);
	sm->protocol_id = r_u8(&r);
	sm->priority = r_u8(&r);
	r_cstr(&r, skip, sizeof(skip)); /* schedule_delivery_time */
	r_cstr(&r, skip, sizeof(skip)); /* validity_period */
	sm->registered_delivery = r_u8(&r);
	r_u8(&r);                       /* replace_if_present_flag */
	sm->data_coding = r_u8(&r);
	r_u8(&r);                       /* sm_default_msg_id */
	sm->msg_len = r_u8(&r);
	if (r.bad || r.at + sm->msg_len > len)
		return -1;
	sm->msg = body + r.at;
	r.at += sm->msg_len;
	/* TLVs */
	while (r.at + 4 <= len) {
		uint16_t tag = (uint16_t)(body[r.at] << 8 | body[r.at + 1]);
		uint16_t tl = (uint16_t)(body[r.at + 2] << 8 | body[r.at + 3]);
		const uint8_t *v = body + r.at + 4;

		if (r.at + 4 + tl > len)
			return -1;
		if (tag == SMPP_TLV_MESSAGE_PAYLOAD) {
			sm->payload = v;
			sm->payload_len = tl;
		} else if (tag == SMPP_TLV_RECEIPTED_MESSAGE_ID && tl > 0) {
			size_t n = tl < sizeof(sm->rid) ? tl : sizeof(sm->rid) - 1;

			memcpy(sm->rid, v, n);
			sm->rid[n] = '\0';
			sm->rid[strnlen(sm->rid, n)] = '\0';
			sm->receipted_id = sm->rid;
		} else if (tag == SMPP_TLV_MESSAGE_STATE && tl == 1) {
			sm->message_state = v[0];
		} else if (tag == SMPP_TLV_SAR_MSG_REF_NUM && tl == 2) {
			sm->sar_ref = (uint16_t)(v[0] << 8 | v[1]);
		} else if (tag == SMPP_TLV_SAR_TOTAL_SEGMENTS && tl == 1) {
			sm->sar_total = v[0];
		} else if (tag == SMPP_TLV_SAR_SEGMENT_SEQNUM && tl == 1) {
			sm->sar_seq = v[0];
		}
		r.at += 4 + (size_t)tl;
	}
	return r.at == len ? 0 : -1;
}

/* ---- receipts ---- */

static const struct {
	const char *word;       /* the receipt text's stat: (message_state's name) */
	int state;              /* message_state */
	enum sb_outcome outcome;
} receipt_states[] = {
	{ "ENROUTE", 1, SB_OUT_ACCEPTED },
	{ "DELIVRD", 2, SB_OUT_DELIVERED },
	{ "EXPIRED", 3, SB_OUT_EXPIRED },
	{ "DELETED", 4, SB_OUT_FAILED },
	{ "UNDELIV", 5, SB_OUT_UNDELIVERABLE },
	{ "ACCEPTD", 6, SB_OUT_ACCEPTED },
	{ "UNKNOWN", 7, SB_OUT_ACCEPTED },
	{ "REJECTD", 8, SB_OUT_FAILED },
	{ "SKIPPED", 9, SB_OUT_FAILED },
};
#define NSTATES (sizeof(receipt_states) / sizeof(receipt_states[0]))

/* The value of `key:` in a receipt text (case-insensitive) into out. */
static int
text_field(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = text; *p != '\0'; p++) {
		size_t n = 0;

		if ((p != text && p[-1] != ' ') || strncasecmp(p, key, kl) != 0 || p[kl] != ':')
			continue;
		p += kl + 1;
		while (p[n] != '\0' && p[n] != ' ' && n + 1 < cap) {
			out[n] = p[n];
			n++;
		}
		out[n] = '\0';
		return n > 0 ? 0 : -1;
	}
	return -1;
}

int
smpp_receipt_parse(const struct smpp_sm *sm, const char *text, struct smpp_receipt *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->outcome = SB_OUT_ACCEPTED;
	if (text != NULL) {
		text_field(text, "id", out->id, sizeof(out->id));
		text_field(text, "stat", out->stat, sizeof(out->stat));
		text_field(text, "err", out->err, sizeof(out->err));
		for (i = 0; i < NSTATES; i++)
			if (strcasecmp(out->stat, receipt_states[i].word) == 0)
				out->outcome = receipt_states[i].outcome;
	}
	if (sm->receipted_id != NULL && sm->receipted_id[0] != '\0')
		snprintf(out->id, sizeof(out->id), "%s", sm->receipted_id);
	if (sm->message_state >= 0)
		for (i = 0; i < NSTATES; i++)
			if (receipt_states[i].state == sm->message_state) {
				out->outcome = receipt_states[i].outcome;
				snprintf(out->stat, sizeof(out->stat), "%s", receipt_states[i].word);
			}
	return out->id[0] != '\0' ? 0 : -1;
}

int
smpp_id_forms(const char *id, char out[3][72])
{
	size_t i, n = strlen(id);
	int dec = n > 0 && n <= 19, hex = n > 0 && n <= 16, k = 1;
	unsigned long long v;

	if (n >= 72)
		n = 71;
	for (i = 0; i < n; i++) {
		out[0][i] = (char)tolower((unsigned char)id[i]);
		dec = dec && isdigit((unsigned char)id[i]);
		hex = hex && isxdigit((unsigned char)id[i]);
	}
	out[0][n] = '\0';
	if (dec) {
		v = strtoull(id, NULL, 10);
		snprintf(out[k++], 72, "%llx", v);
	}
	if (hex) {
		v = strtoull(id, NULL, 16);
		snprintf(out[k++], 72, "%llu", v);
	}
	return k;
}

/* ---- command_status ---- */

#define T SB_OUT_TEMPORARY
#define U SB_OUT_UNDELIVERABLE
#define F SB_OUT_FAILED
static const struct smpp_status_info statuses[] = {
	{ 0x00, "ESME_ROK", "no error", SB_OUT_ACCEPTED },
	{ 0x01, "ESME_RINVMSGLEN", "message length is invalid", F },
	{ 0x02, "ESME_RINVCMDLEN", "command length is invalid", F },
	{ 0x03, "ESME_RINVCMDID", "invalid command id", F },
	{ 0x04, "ESME_RINVBNDSTS", "incorrect bind status for this command", T },
	{ 0x05, "ESME_RALYBND", "already bound", F },
	{ 0x06, "ESME_RINVPRTFLG", "invalid priority flag", F },
	{ 0x07, "ESME_RINVREGDLVFLG", "invalid registered delivery flag", F },
	{ 0x08, "ESME_RSYSERR", "system error at the SMSC", T },
	{ 0x0A, "ESME_RINVSRCADR", "invalid source address", F },
	{ 0x0B, "ESME_RINVDSTADR", "invalid destination address", U },
	{ 0x0C, "ESME_RINVMSGID", "invalid message id", F },
	{ 0x0D, "ESME_RBINDFAIL", "bind failed", F },
	{ 0x0E, "ESME_RINVPASWD", "invalid password", F },
	{ 0x0F, "ESME_RINVSYSID", "invalid system_id", F },
	{ 0x11, "ESME_RCANCELFAIL", "cancel_sm failed", F },
	{ 0x13, "ESME_RREPLACEFAIL", "replace_sm failed", F },
	{ 0x14, "ESME_RMSGQFUL", "message queue full", T },
	{ 0x15, "ESME_RINVSERTYP", "invalid service type", F },
	{ 0x33, "ESME_RINVNUMDESTS", "invalid number of destinations", F },
	{ 0x34, "ESME_RINVDLNAME", "invalid distribution list name", F },
	{ 0x40, "ESME_RINVDESTFLAG", "invalid destination flag", F },
	{ 0x42, "ESME_RINVSUBREP", "invalid submit with replace request", F },
	{ 0x43, "ESME_RINVESMCLASS", "invalid esm_class field data", F },
	{ 0x44, "ESME_RCNTSUBDL", "cannot submit to distribution list", F },
	{ 0x45, "ESME_RSUBMITFAIL", "submit_sm failed", T },
	{ 0x48, "ESME_RINVSRCTON", "invalid source address TON", F },
	{ 0x49, "ESME_RINVSRCNPI", "invalid source address NPI", F },
	{ 0x50, "ESME_RINVDSTTON", "invalid destination address TON", U },
	{ 0x51, "ESME_RINVDSTNPI", "invalid destination address NPI", U },
	{ 0x53, "ESME_RINVSYSTYP", "invalid system_type", F },
	{ 0x54, "ESME_RINVREPFLAG", "invalid replace_if_present flag", F },
	{ 0x55, "ESME_RINVNUMMSGS", "invalid number of messages", F },
	{ 0x58, "ESME_RTHROTTLED", "throttling error: the ESME exceeded its allowed message limits", T },
	{ 0x61, "ESME_RINVSCHED", "invalid scheduled delivery time", F },
	{ 0x62, "ESME_RINVEXPIRY", "invalid validity period", F },
	{ 0x63, "ESME_RINVDFTMSGID", "predefined message invalid or not found", F },
	{ 0x64, "ESME_RX_T_APPN", "ESME receiver temporary app error", T },
	{ 0x65, "ESME_RX_P_APPN", "ESME receiver permanent app error", U },
	{ 0x66, "ESME_RX_R_APPN", "ESME receiver reject message error", U },
	{ 0x67, "ESME_RQUERYFAIL", "query_sm failed", F },
	{ 0xC0, "ESME_RINVOPTPARSTREAM", "error in the optional part of the PDU body", F },
	{ 0xC1, "ESME_ROPTPARNOTALLWD", "optional parameter not allowed", F },
	{ 0xC2, "ESME_RINVPARLEN", "invalid parameter length", F },
	{ 0xC3, "ESME_RMISSINGOPTPARAM", "expected optional parameter missing", F },
	{ 0xC4, "ESME_RINVOPTPARAMVAL", "invalid optional parameter value", F },
	{ 0xFE, "ESME_RDELIVERYFAILURE", "delivery failure", U },
	{ 0xFF, "ESME_RUNKNOWNERR", "unknown error", F },
};
#undef T
#undef U
#undef F

const struct smpp_status_info *
smpp_status(uint32_t code)
{
	static const struct smpp_status_info other = { 0, "ESME_?", "a status this plugin does"
	    " not know (SMSC-specific)", SB_OUT_FAILED };
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return &other;
}

const char *
smpp_status_text(uint32_t code, char *out, size_t cap)
{
	const struct smpp_status_info *s = smpp_status(code);

	snprintf(out, cap, "%s (0x%08" PRIX32 "): %s", s->name, code, s->words);
	return out;
}
