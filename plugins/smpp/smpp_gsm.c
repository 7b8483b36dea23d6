/*
 * smpp_gsm.c - GSM 03.38 / UCS-2 encoding and splitting (see smpp_gsm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "smpp_gsm.h"
#include "webparams.h"

/* The default alphabet: code point of each septet (0x1B is the escape). */
static const uint16_t gsm_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0xffff, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* The extension table: septet after 0x1B -> code point. */
static const struct {
	uint8_t septet;
	uint16_t cp;
} gsm_ext[] = {
	{ 0x0a, 0x000c }, { 0x14, '^' }, { 0x28, '{' }, { 0x29, '}' }, { 0x2f, '\\' },
	{ 0x3c, '[' }, { 0x3d, '~' }, { 0x3e, ']' }, { 0x40, '|' }, { 0x65, 0x20ac },
};
#define NEXT (sizeof(gsm_ext) / sizeof(gsm_ext[0]))

/* Septets of cp into out (1 or 2), or 0 if the alphabet lacks it. */
static int
gsm_encode_cp(uint32_t cp, uint8_t out[2])
{
	size_t i;

	for (i = 0; i < 128; i++)
		if (gsm_basic[i] == cp) {
			out[0] = (uint8_t)i;
			return 1;
		}
	for (i = 0; i < NEXT; i++)
		if (gsm_ext[i].cp == cp) {
			out[0] = 0x1b;
			out[1] = gsm_ext[i].septet;
			return 2;
		}
	return 0;
}

/* Split bytes[0..len) into parts of at most `per` bytes, never between
 * bytes[i] and bytes[i+1] when `glued(bytes, i)`. */
static int
split(struct smpp_text *t, size_t single, size_t per, size_t max_parts)
{
	size_t at = 0, n = 0;

	if (t->len <= single) {
		t->nparts = 1;
		t->off[0] = 0;
		t->off[1] = t->len;
		return 0;
	}
	while (at < t->len) {
		size_t end = at + per < t->len ? at + per : t->len;

		if (end < t->len) {
			if (t->data_coding == SMPP_DC_DEFAULT) {
				/* an escape's last byte must not end a part */
				size_t k = at, last = at;

				while (k < end) {
					last = k;
					k += t->bytes[k] == 0x1b ? 2 : 1;
				}
				if (k > end)
					end = last;
			} else if (end % 2 == 0 && (t->bytes[end - 2] & 0xfc) == 0xd8) {
				end -= 2; /* a high surrogate ends the part: keep the pair */
			}
		}
		if (n == max_parts || n == SMPP_MAX_PARTS)
			return -2;
		t->off[n++] = at;
		at = end;
	}
	t->off[n] = t->len;
	t->nparts = n;
	return 0;
}

/* split(); on an error the text is freed, as the header promises. */
static int
split_or_free(struct smpp_text *t, size_t single, size_t per, size_t max_parts)
{
	int rc = split(t, single, per, max_parts);

	if (rc < 0)
		smpp_text_free(t);
	return rc;
}

int
smpp_text_encode(const char *utf8, int force_ucs2, size_t max_parts, struct smpp_text *t)
{
	const char *p = utf8, *end = utf8 + strlen(utf8);
	size_t cap = 4 * (size_t)(end - p) + 4;
	int gsm = !force_ucs2;
	uint32_t cp;

	memset(t, 0, sizeof(*t));
	if ((t->bytes = malloc(cap)) == NULL)
		return -3;
	/* First pass: GSM, unless a character is not in the alphabet. */
	while (gsm && p < end) {
		uint8_t s[2];
		int k;

		if (wp_utf8_next(&p, end, &cp) < 0)
			goto bad;
		if ((k = gsm_encode_cp(cp, s)) == 0)
			gsm = 0;
		else {
			memcpy(t->bytes + t->len, s, (size_t)k);
			t->len += (size_t)k;
		}
	}
	if (gsm) {
		t->data_coding = SMPP_DC_DEFAULT;
		return split_or_free(t, 160, 153, max_parts);
	}
	t->data_coding = SMPP_DC_UCS2;
	t->len = 0;
	for (p = utf8; p < end;) {
		if (wp_utf8_next(&p, end, &cp) < 0)
			goto bad;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000, hi = 0xd800 | (v >> 10), lo = 0xdc00 | (v & 0x3ff);

			t->bytes[t->len++] = (uint8_t)(hi >> 8);
			t->bytes[t->len++] = (uint8_t)hi;
			t->bytes[t->len++] = (uint8_t)(lo >> 8);
			t->bytes[t->len++] = (uint8_t)lo;
		} else {
			t->bytes[t->len++] = (uint8_t)(cp >> 8);
			t->bytes[t->len++] = (uint8_t)cp;
		}
	}
	return split_or_free(t, 140, 134, max_parts);
bad:
	smpp_text_free(t);
	return -1;
}

void
smpp_text_free(struct smpp_text *t)
{
	free(t->bytes);
	t->bytes = NULL;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
smpp_text_decode(uint8_t dc, const uint8_t *b, size_t n)
{
	char *out = malloc(4 * n + 1), *o = out;
	size_t i, k;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t cp = b[i];

		if (dc == SMPP_DC_UCS2) {
			if (i + 1 >= n)
				break;
			cp = (uint32_t)b[i] << 8 | b[i + 1];
			i++;
			if ((cp & 0xfc00) == 0xd800 && i + 2 < n &&
			    (b[i + 1] & 0xfc) == 0xdc) {
				uint32_t lo = (uint32_t)b[i + 1] << 8 | b[i + 2];

				cp = 0x10000 + ((cp & 0x3ff) << 10) + (lo & 0x3ff);
				i += 2;
			} else if ((cp & 0xf800) == 0xd800) {
				cp = 0xfffd;
			}
		} else if (dc == SMPP_DC_DEFAULT) {
			if (cp == 0x1b && i + 1 < n) {
				uint32_t e = 0xfffd;

				for (k = 0; k < NEXT; k++)
					if (gsm_ext[k].septet == b[i + 1])
						e = gsm_ext[k].cp;
				cp = e;
				i++;
			} else {
				cp = cp < 128 && cp != 0x1b ? gsm_basic[cp] : 0xfffd;
			}
		} else if (dc == 1 && cp >= 0x80) {
			cp = 0xfffd; /* IA5 is ASCII */
		}
		o += put_utf8(o, cp);
	}
	*o = '\0';
	return out;
}

size_t
smpp_gsm_pack(const uint8_t *septets, size_t n, unsigned fill, uint8_t *out)
{
	size_t bits = fill + 7 * n, len = (bits + 7) / 8, i;

	memset(out, 0, len);
	for (i = 0; i < n; i++) {
		size_t at = fill + 7 * i;
		unsigned sh = (unsigned)(at % 8);
		unsigned v = septets[i] & 0x7fu;

		out[at / 8] |= (uint8_t)(v << sh);
		if (sh > 1) /* the septet straddles two octets */
			out[at / 8 + 1] |= (uint8_t)(v >> (8 - sh));
	}
	if (bits % 8 == 1)
		out[len - 1] |= 0x0d << 1; /* 7 spare bits: CR, not a septet 0 ('@') */
	return len;
}

unsigned
smpp_gsm_fill(size_t udh_octets)
{
	return (unsigned)((7 - (udh_octets * 8) % 7) % 7);
}

size_t
smpp_gsm_unpack(const uint8_t *b, size_t n, size_t skip_bits, uint8_t *out)
{
	size_t total = n * 8, k = 0, at;

	for (at = skip_bits; at + 7 <= total; at += 7) {
		unsigned v = b[at / 8] >> (at % 8);

		if (at % 8 > 1)
			v |= (unsigned)b[at / 8 + 1] << (8 - at % 8);
		out[k++] = (uint8_t)(v & 0x7fu);
	}
	/* A CR that exactly fills the last octet's top 7 bits is the
	 * packer's padding (23.038 6.1.2.3.1), not text. */
	if (k > 0 && skip_bits <= total && (total - skip_bits) % 7 == 0 && out[k - 1] == 0x0d)
		k--;
	return k;
}

char *
smpp_text_decode_packed(const uint8_t *b, size_t n, size_t udh_octets)
{
	uint8_t *sept;
	size_t k, skip;
	char *text;

	if (udh_octets > n)
		udh_octets = n;
	skip = udh_octets * 8 + smpp_gsm_fill(udh_octets);
	if ((sept = malloc(n * 8 / 7 + 1)) == NULL)
		return NULL;
	k = smpp_gsm_unpack(b, n, skip, sept);
	text = smpp_text_decode(SMPP_DC_DEFAULT, sept, k);
	free(sept);
	return text;
}
