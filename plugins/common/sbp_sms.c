/*
 * sbp_sms.c - how many SMS parts a text takes (see sbp_sms.h). Pure.
 */
#include <stdint.h>

#include "sbp_sms.h"
#include "webparams.h"


/* GSM 03.38 default alphabet outside ASCII (one septet each). */
static const uint16_t gsm_basic[] = {
	0x00a1, 0x00a3, 0x00a4, 0x00a5, 0x00a7, 0x00bf, 0x00c4, 0x00c5, 0x00c6, 0x00c7,
	0x00c9, 0x00d1, 0x00d6, 0x00d8, 0x00dc, 0x00df, 0x00e0, 0x00e4, 0x00e5, 0x00e6,
	0x00e8, 0x00e9, 0x00ec, 0x00f1, 0x00f2, 0x00f6, 0x00f8, 0x00f9, 0x00fc, 0x0393,
	0x0394, 0x0398, 0x039b, 0x039e, 0x03a0, 0x03a3, 0x03a6, 0x03a8, 0x03a9,
};

/* Septets of one code point in GSM 03.38 (extension table: 2), 0 if absent. */
static int
gsm_septets(uint32_t cp)
{
	size_t i;

	/* The characters of a width of their own, then printable ASCII (nearly
	 * every character of a text), then the table. */
	switch (cp) {
	case '^': case '{': case '}': case '\\': case '[': case '~': case ']': case '|':
		return 2;
	case '`':
		return 0;
	case '\n': case '\r':
		return 1;
	case '\f': case 0x20ac:
		return 2;
	default:
		break;
	}
	if (cp >= 0x20 && cp < 0x7f)
		return 1;
	for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++)
		if (gsm_basic[i] == cp)
			return 1;
	return 0;
}

/* Parts of `total` units of widths w[], `single` in one part, else `per` each. */
static int
count_parts(const char *s, const char *end, int unicode, size_t total)
{
	size_t single = unicode ? 70 : 160, per = unicode ? 67 : 153, room = per;
	uint32_t cp;
	int parts = 1;

	if (total <= single)
		return 1;
	while (s < end && wp_utf8_next(&s, end, &cp) == 0) {
		size_t w = unicode ? (cp >= 0x10000 ? 2 : 1) : (size_t)gsm_septets(cp);

		if (w > room) { /* an escape or a surrogate pair is never split */
			parts++;
			room = per;
		}
		room -= w;
	}
	return parts;
}

int
sbp_sms_text_info(const char *s, size_t len, int ucs2, struct sbp_sms_text *out)
{
	const char *p = s, *end = s + len;
	size_t septets = 0, units = 0;
	int unicode = 0;
	uint32_t cp;

	while (p < end) {
		int w;

		if (wp_utf8_next(&p, end, &cp) < 0)
			return -1;
		units += cp >= 0x10000 ? 2 : 1;
		if ((w = gsm_septets(cp)) == 0)
			unicode = 1;
		septets += (size_t)w;
	}
	if (ucs2)
		unicode = 1;
	out->unicode = unicode;
	out->units = unicode ? units : septets;
	out->parts = count_parts(s, end, unicode, out->units);
	return 0;
}
