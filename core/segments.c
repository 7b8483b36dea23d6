/*
 * segments.c - SMS segment counting (segments.h): GSM 03.38 with its
 * extension table, else UCS-2. Tables only; no allocation.
 */
#include <stdint.h>
#include <string.h>

#include "segments.h"

/* The default alphabet outside printable ASCII, as Unicode code points. */
static const uint32_t gsm_basic_other[] = {
	0x0a, 0x0d, 0xa3, 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7, 0xd8, 0xf8, 0xc5, 0xe5,
	0x394, 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8, 0x3a3, 0x398, 0x39e, 0xc6, 0xe6,
	0xdf, 0xc9, 0xa4, 0xa1, 0xc4, 0xd6, 0xd1, 0xdc, 0xa7, 0xbf, 0xe4, 0xf6, 0xf1, 0xfc,
	0xe0,
};
/* The extension table: two septets each (escape + code). */
static const uint32_t gsm_extension[] = {
	0x0c, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac,
};

static int
in(const uint32_t *set, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* GSM-7 septets of one code point: 1, 2, or 0 when it is not in GSM 03.38. */
static int
septets(uint32_t cp)
{
	if (in(gsm_extension, NELEM(gsm_extension), cp))
		return 2;
	if (cp >= 0x20 && cp < 0x7f && cp != '`')
		return 1;
	return in(gsm_basic_other, NELEM(gsm_basic_other), cp) ? 1 : 0;
}

/* Decode one UTF-8 sequence at *p; an invalid byte is returned as 0xfffd, 1 byte. */
static uint32_t
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	n = (s[0] & 0xe0) == 0xc0 ? 1 : (s[0] & 0xf0) == 0xe0 ? 2 : (s[0] & 0xf8) == 0xf0 ? 3 : -1;
	cp = n == 1 ? s[0] & 0x1fu : n == 2 ? s[0] & 0x0fu : s[0] & 0x07u;
	for (int i = 1; n > 0 && i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			n = -1;
			break;
		}
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (n < 0) {
		*p = s + 1;
		return 0xfffd;
	}
	*p = s + n + 1;
	return cp;
}

void
sb_sms_segments(const char *text, struct sb_segments *out)
{
	const unsigned char *p = (const unsigned char *)(text != NULL ? text : "");
	size_t sept = 0, units = 0;
	int gsm = 1;

	while (*p != '\0') {
		uint32_t cp = next_cp(&p);
		int s = septets(cp);

		if (s == 0)
			gsm = 0;
		sept += (size_t)s;
		units += cp > 0xffff ? 2 : 1;
	}
	if (gsm) {
		out->encoding = "gsm7";
		out->units = sept;
		out->per_segment = sept <= 160 ? 160 : 153;
	} else {
		out->encoding = "ucs2";
		out->units = units;
		out->per_segment = units <= 70 ? 70 : 67;
	}
	out->segments = (out->units + out->per_segment - 1) / out->per_segment;
}
