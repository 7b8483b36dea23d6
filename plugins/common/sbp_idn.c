/*
 * sbp_idn.c - IDN A-labels with libidn2 (see sbp_idn.h).
 */
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "sbp_idn.h"

int
sbp_idn_label(const char *lab, size_t n, char *out, size_t cap)
{
	char ace[64], *u = NULL, *back = NULL;
	size_t ul;
	int ok;

	if (n <= 4 || n >= sizeof(ace) || strncasecmp(lab, "xn--", 4) != 0 ||
	    memchr(lab, '\0', n) != NULL) /* a DNS label has at most 63 bytes */
		return -1;
	memcpy(ace, lab, n);
	ace[n] = '\0';
	if (idn2_to_unicode_8z8z(ace, &u, 0) != IDN2_OK)
		return -1;
	/* Valid punycode is not enough: it must be a label IDNA2008 allows. */
	ok = idn2_to_ascii_8z(u, &back, IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    strcasecmp(back, ace) == 0;
	idn2_free(back);
	ul = strlen(u);
	if (!ok || ul == 0 || ul >= cap) {
		idn2_free(u);
		return -1;
	}
	memcpy(out, u, ul + 1);
	idn2_free(u);
	return (int)ul;
}
