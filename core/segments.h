/*
 * segments.h - how many SMS segments a text takes.
 *
 * A text every character of which is in the GSM 03.38 default alphabet
 * (its extension table counts 2 septets: ^ { } \ [ ] ~ | euro, form feed)
 * is sent in GSM-7: 160 septets in one segment, 153 per segment when
 * concatenated. Anything else is UCS-2: 70 UTF-16 units in one segment,
 * 67 per segment concatenated, a character outside the BMP (most emoji)
 * counting 2 units (a surrogate pair).
 */
#ifndef SB_SEGMENTS_H
#define SB_SEGMENTS_H

#include <stddef.h>

struct sb_segments {
	const char *encoding;   /* "gsm7" or "ucs2" */
	size_t units;           /* septets (gsm7) or UTF-16 units (ucs2) */
	size_t segments;        /* 0 for an empty text */
	size_t per_segment;     /* 160/153 or 70/67, as it applies */
};

/* Count a UTF-8 text (invalid bytes count as one UCS-2 unit each). */
void sb_sms_segments(const char *text, struct sb_segments *out);

#endif
