/*
 * smpp_gsm.h - texts as SMPP carries them: UTF-8 into the GSM 03.38
 * default alphabet (unpacked, one septet per octet, the extension table
 * behind 0x1B; data_coding 0) when every character fits, else UCS-2
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
 * A received short_message as UTF-8 (malloc'd, NUL-terminated), from
 * data_coding 0 (GSM default alphabet, unpacked), 1 (IA5), 3 (Latin-1),
 * 8 (UCS-2); others as Latin-1. NULL when out of memory.
 */
char *smpp_text_decode(uint8_t data_coding, const uint8_t *b, size_t n);

#endif
