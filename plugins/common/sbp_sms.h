/*
 * sbp_sms.h - the SMS arithmetic channels share: whether a text fits the
 * GSM 03.38 alphabet, and how many parts it takes once split. A carrier
 * that cuts a text at a limit of parts must be told the count before the
 * text is sent (http_sms `max_parts`, vonage `max_parts`).
 *
 * Part of plugins/common (libsbplugin.la); not part of the ABI. Pure.
 */
#ifndef SBP_SMS_H
#define SBP_SMS_H

#include <stddef.h>

struct sbp_sms_text {
	int unicode;       /* 0: GSM 03.38 fits; 1: sent as UCS-2 */
	int parts;         /* SMS parts it takes */
	size_t units;      /* GSM septets, or UTF-16 code units */
};

/*
 * Classify UTF-8 text and count the parts: GSM 160 septets in one part,
 * else 153 per part (an escaped character is never split); UCS-2 70
 * units in one part, else 67 per part (a surrogate pair is never split).
 * With `ucs2`, the text is counted as UCS-2 whatever it holds (a carrier
 * told to send every text as UCS-2). Returns 0, or -1 when the text is not
 * valid UTF-8.
 */
int sbp_sms_text_info(const char *s, size_t len, int ucs2, struct sbp_sms_text *out);

#endif
