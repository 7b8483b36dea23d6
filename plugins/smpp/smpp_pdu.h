/*
 * smpp_pdu.h - the SMPP 3.4 PDU codec of the smpp channel: the header,
 * the few bodies a client sends (bind_*, submit_sm, the responses it owes)
 * and reads (bind_*_resp, submit_sm_resp, deliver_sm), TLVs, delivery
 * receipts in both forms (the text and the receipted_message_id /
 * message_state TLVs), provider id normalisation (hex vs decimal), and the
 * table of command_status codes with their words and outcome class.
 *
 * Pure: no I/O, no allocation, no host. Integers are big-endian on the
 * wire. Encoders return the PDU length, or 0 when it does not fit `cap`.
 */
#ifndef SMPP_PDU_H
#define SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/types.h>

#define SMPP_HDR 16
#define SMPP_MAX_PDU 65536 /* larger command_length: a broken peer */

enum smpp_cmd {
	SMPP_GENERIC_NACK = 0x80000000u,
	SMPP_BIND_RECEIVER = 0x00000001u,
	SMPP_BIND_TRANSMITTER = 0x00000002u,
	SMPP_SUBMIT_SM = 0x00000004u,
	SMPP_DELIVER_SM = 0x00000005u,
	SMPP_UNBIND = 0x00000006u,
	SMPP_BIND_TRANSCEIVER = 0x00000009u,
	SMPP_ENQUIRE_LINK = 0x00000015u,
	SMPP_RESP = 0x80000000u, /* | a command: its response */
};

/* TLV tags this plugin writes or reads. */
#define SMPP_TLV_RECEIPTED_MESSAGE_ID 0x001Eu
#define SMPP_TLV_MESSAGE_STATE 0x0427u
#define SMPP_TLV_MESSAGE_PAYLOAD 0x0424u
#define SMPP_TLV_SAR_MSG_REF_NUM 0x020Cu
#define SMPP_TLV_SAR_TOTAL_SEGMENTS 0x020Eu
#define SMPP_TLV_SAR_SEGMENT_SEQNUM 0x020Fu

#define SMPP_ESM_RECEIPT 0x04u /* esm_class: an SMSC delivery receipt */
#define SMPP_ESM_UDHI 0x40u    /* esm_class: short_message starts with a UDH */

#define SMPP_ESME_ROK 0x00u
#define SMPP_ESME_RMSGQFUL 0x14u
#define SMPP_ESME_RTHROTTLED 0x58u

struct smpp_hdr {
	uint32_t len, cmd, status, seq;
};

struct smpp_bind {
	const char *system_id, *password, *system_type, *address_range;
	uint8_t addr_ton, addr_npi;
};

/* submit_sm and deliver_sm share one body. */
struct smpp_sm {
	const char *service_type;
	uint8_t src_ton, src_npi;
	const char *src;
	uint8_t dst_ton, dst_npi;
	const char *dst;
	uint8_t esm_class, protocol_id, priority, registered_delivery, data_coding;
	const uint8_t *msg;          /* short_message (with its UDH, if any) */
	size_t msg_len;
	/* TLVs, written and read (NULL/0 when absent) */
	const uint8_t *payload;      /* message_payload (then msg_len is 0) */
	size_t payload_len;
	uint16_t sar_ref;            /* sar_msg_ref_num, with sar_total 1..255 */
	uint8_t sar_total, sar_seq;  /* sar_total_segments, sar_segment_seqnum; 0: none */
	/* decoding only: the TLVs a receipt carries */
	const char *receipted_id;    /* receipted_message_id (NUL-terminated copy) */
	int message_state;           /* -1 when absent */
	char buf[3 * 72];            /* decoded C-octet strings live here */
	char rid[72];
};

/* What a receipt says, either form. */
struct smpp_receipt {
	char id[72];                 /* the SMSC's message id, as it wrote it */
	enum sb_outcome outcome;     /* ACCEPTED (in progress), DELIVERED, ... */
	char stat[16];               /* DELIVRD, UNDELIV, ... or the TLV state word */
	char err[16];                /* the err: field, or "" */
};

/* The header of buf[0..len), if a whole one is there: 0, or -1 if short. */
int smpp_hdr_read(const uint8_t *buf, size_t len, struct smpp_hdr *h);
/* A PDU with no body (enquire_link, unbind, their responses, generic_nack). */
size_t smpp_pdu_empty(uint8_t *out, size_t cap, uint32_t cmd, uint32_t status, uint32_t seq);
/* deliver_sm_resp: an empty message_id. */
size_t smpp_pdu_deliver_resp(uint8_t *out, size_t cap, uint32_t status, uint32_t seq);
size_t smpp_pdu_bind(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq,
    const struct smpp_bind *b);
/* submit_sm (or deliver_sm with cmd) with the fields of `sm`: short_message,
 * then the SAR TLVs (sar_total > 0) and message_payload (payload != NULL). */
size_t smpp_pdu_sm(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq,
    const struct smpp_sm *sm);

/* Decoders take the body (after the header). 0, or -1 on a malformed body. */
int smpp_body_sm(const uint8_t *body, size_t len, struct smpp_sm *sm);
/* bind_*_resp's system_id or submit_sm_resp's message_id (an absent body: ""). */
int smpp_body_cstring(const uint8_t *body, size_t len, char *out, size_t cap);
int smpp_body_bind(const uint8_t *body, size_t len, struct smpp_bind *b, char *buf, size_t cap);

/*
 * A delivery receipt in `sm` (esm_class has the receipt bit): the TLVs win
 * over the text where both are given. `text` is the decoded short_message
 * (receipt texts are ASCII). 0, or -1 when it names no message.
 */
int smpp_receipt_parse(const struct smpp_sm *sm, const char *text, struct smpp_receipt *out);

/*
 * The forms an SMSC may write one id in: the id as given (lower case), and
 * if it is all decimal digits its hexadecimal, if all hex digits its
 * decimal (leading zeros dropped). Returns how many forms (1..3) in out[].
 */
int smpp_id_forms(const char *id, char out[3][72]);

/* The command_status table. */
struct smpp_status_info {
	uint32_t code;
	const char *name;            /* "ESME_RINVDSTADR" */
	const char *words;           /* "invalid destination address" */
	enum sb_outcome outcome;     /* TEMPORARY, UNDELIVERABLE or FAILED */
};
/* The entry of `code`; an unknown code gets a generic entry (FAILED). */
const struct smpp_status_info *smpp_status(uint32_t code);
/* "ESME_RINVDSTADR (0x0000000B): invalid destination address" into out. */
const char *smpp_status_text(uint32_t code, char *out, size_t cap);

#endif
