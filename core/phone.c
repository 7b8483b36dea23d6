/*
 * phone.c - E.164 normalisation. Deliberately small: it checks form and
 * length (E.164 allows at most 15 digits), not numbering plans.
 */
#include <ctype.h>
#include <string.h>

#include "phone.h"

int
sb_phone_normalize(const char *in, const char *default_cc, char *out, size_t outlen,
    const char **why)
{
	char digits[32];
	size_t n = 0, ndig;
	int intl = 0;
	const char *p = in;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+') {
		intl = 1;
		p++;
	}
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof(digits))
				return *why = "too many digits", -1;
			digits[n++] = *p;
		} else if (strchr(" -.()/", *p) == NULL) {
			return *why = "only digits, spaces, dashes, dots and parentheses are allowed",
			    -1;
		}
	}
	digits[n] = '\0';
	ndig = n;
	if (!intl && n > 2 && digits[0] == '0' && digits[1] == '0') {
		memmove(digits, digits + 2, n - 1);
		ndig = n - 2;
		intl = 1;
	}
	if (!intl) {
		const char *national = digits[0] == '0' ? digits + 1 : digits;

		if (default_cc == NULL)
			return *why = "not in international form (+CC...) and the subaccount has no"
			    " default_country", -1;
		if (strlen(default_cc) + strlen(national) + 2 > outlen)
			return *why = "too long", -1;
		ndig = strlen(default_cc) + strlen(national);
		if (ndig < 8 || ndig > 15)
			return *why = "an E.164 number has 8 to 15 digits", -1;
		out[0] = '+';
		strcpy(out + 1, default_cc);
		strcat(out, national);
		return 0;
	}
	if (ndig < 8 || ndig > 15)
		return *why = "an E.164 number has 8 to 15 digits", -1;
	if (digits[0] == '0')
		return *why = "a country calling code cannot start with 0", -1;
	if (ndig + 2 > outlen)
		return *why = "too long", -1;
	out[0] = '+';
	memcpy(out + 1, digits, ndig + 1);
	return 0;
}
