/*
 * smpp_gsm.h - texts as SMPP carries them: UTF-8 into the GSM 03.38
 * default alphabet (one septet per octet, the extension table behind
 * 0x1B; data_coding 0; packed 8 septets in 7 octets where the SMSC wants
 * it) when every character fits, else UCS-2
 * big-endian (data_coding 8); split into concatenated parts when it does
 * not fit one; and short_message back into UTF-8 for inbound messages.
 *
 * Pure. core/segments.c and plugins/common/sbp_sms.c only count parts;
 * this encodes them (with the same limits: 160/153 septets, 70/67 units,
 * an escape or a surrogate pair never split).
 */
#ifndef SMPP_GSM_H
#define SMPP_GSM_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_MAX_PARTS 255 /* the UDH's 8-bit part count */
#define SMPP_DC_DEFAULT 0x00
#define SMPP_DC_UCS2 0x08

struct smpp_text {
	uint8_t data_coding;       /* SMPP_DC_DEFAULT or SMPP_DC_UCS2 */
	uint8_t *bytes;            /* the whole text encoded (malloc'd) */
	size_t len;
	size_t nparts;             /* 1 when it fits one message */
	size_t off[SMPP_MAX_PARTS + 1]; /* part i is bytes[off[i] .. off[i+1]) */
};

/*
 * Encode `utf8`: GSM when it fits (unless `force_ucs2`), else UCS-2; split
 * when longer than one message. 0; -1 invalid UTF-8; -2 more than
 * `max_parts` parts; -3 out of memory (after an error nothing is left to
 * free). Free a success with smpp_text_free.
 */
int smpp_text_encode(const char *utf8, int force_ucs2, size_t max_parts, struct smpp_text *out);
void smpp_text_free(struct smpp_text *t);

/*
 * GSM 03.38 packing (3GPP TS 23.038 6.1.2.1): septets[0..n) into out, 8
 * septets in 7 octets, least significant bit first, starting `fill` bits
 * (0..6) into out[0]: after a UDH the text starts on a septet boundary,
 * counted from the UDH's first octet (fill = smpp_gsm_fill(udh octets)).
 * When 7 bits of the last octet would be left over, they carry CR (as
 * 23.038 prescribes), so that no '@' (septet 0) appears at the end for a
 * reader that counts septets from octets. Returns the octets written:
 * (fill + 7n + 7) / 8; out must hold that many.
 */
size_t smpp_gsm_pack(const uint8_t *septets, size_t n, unsigned fill, uint8_t *out);
/* The fill bits after a UDH of `udh_octets` octets (its length byte included). */
unsigned smpp_gsm_fill(size_t udh_octets);
/*
 * The reverse: the septets of b[0..n) after `skip_bits` bits, into out
 * (room for n * 8 / 7 + 1). A CR filling 7 spare bits at the end is
 * dropped. Returns the septet count.
 */
size_t smpp_gsm_unpack(const uint8_t *b, size_t n, size_t skip_bits, uint8_t *out);

/*
 * A received short_message as UTF-8 (malloc'd, NUL-terminated), from
 * data_coding 0 (GSM default alphabet, unpacked), 1 (IA5), 3 (Latin-1),
 * 8 (UCS-2); others as Latin-1. NULL when out of memory.
 */
char *smpp_text_decode(uint8_t data_coding, const uint8_t *b, size_t n);
/*
 * A short_message of data_coding 0 packed (gsm_packing: packed), after a
 * UDH of `udh_octets` octets (0: none) that b[0..n) still starts with.
 */
char *smpp_text_decode_packed(const uint8_t *b, size_t n, size_t udh_octets);

#endif
