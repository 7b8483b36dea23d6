/*
 * smpp_build.h - one message's submit_sm PDUs from its encoded text
 * (smpp_gsm.h): the GSM 03.38 septets packed or not, and a long text
 * carried as the SMSC wants it: a UDH in each part (IEI 0, 8-bit
 * reference, esm_class UDHI), the SAR TLVs in each part (16-bit
 * reference), or the whole text in one message_payload TLV.
 *
 * Pure: the caller owns the result (smpp_pdus_free). Sequence numbers are
 * left 0: the session writes them when it sends a PDU.
 */
#ifndef SMPP_BUILD_H
#define SMPP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_gsm.h"
#include "smpp_pdu.h"

enum smpp_long { SMPP_LONG_UDH, SMPP_LONG_SAR, SMPP_LONG_PAYLOAD };

struct smpp_build {
	int packed;                  /* data_coding 0 packed, 8 septets in 7 octets */
	enum smpp_long long_text;    /* how a text of several parts travels */
	uint16_t ref;                /* concatenation reference (a UDH uses its low 8 bits) */
};

struct smpp_pdus {
	uint8_t *buf;                /* every PDU back to back (malloc'd) */
	size_t n;                    /* how many: the parts, 1 for message_payload */
	size_t off[SMPP_MAX_PARTS + 1]; /* PDU i is buf[off[i] .. off[i+1]) */
};

/*
 * The PDUs of text `t` with the addresses and flags of `base` (its msg,
 * esm_class, data_coding and TLVs are set here). 0; -1 when an address
 * does not fit a PDU; -3 out of memory. Nothing to free after an error.
 */
int smpp_build_pdus(const struct smpp_sm *base, const struct smpp_text *t,
    const struct smpp_build *o, struct smpp_pdus *out);
void smpp_pdus_free(struct smpp_pdus *p);

#endif
