/*
 * fuzz_phone.c - core/phone.c: any bytes to E.164. The first byte picks the
 * default calling code and the size of the output buffer; the rest is the
 * number. A success is "+" and 8 to 15 digits, fits the buffer, and is a
 * fixed point (normalising it again gives it back).
 */
#include <stdio.h>

#include "fuzz.h"
#include "phone.h"

/* As config.c accepts default_country: 1 to 3 digits, not starting with 0. */
static const char *const ccs[] = { NULL, "55", "1", "81", "44", "351", "7", "998" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64], *in;
	const char *cc, *why = NULL;
	size_t outlen;
	int rc;

	if (size < 1)
		return 0;
	cc = ccs[data[0] & 7];
	outlen = (data[0] >> 3) == 0 ? 1 : (size_t)(data[0] >> 3) * 2; /* 1..62 */
	in = fz_cstr(data + 1, size - 1);
	memset(out, 'X', sizeof(out));
	rc = sb_phone_normalize(in, cc, out, outlen, &why);
	if (rc == 0) {
		char again[64];
		size_t i;

		FZ_ASSERT(out[0] == '+');
		FZ_ASSERT(strlen(out) < outlen);
		for (i = 1; out[i] != '\0'; i++)
			FZ_ASSERT(out[i] >= '0' && out[i] <= '9');
		why = NULL;
		FZ_ASSERT(sb_phone_normalize(out, cc, again, sizeof(again), &why) == 0);
		FZ_ASSERT(strcmp(out, again) == 0);
	} else {
		FZ_ASSERT(rc == -1 && why != NULL && strlen(why) > 0);
	}
	free(in);
	return 0;
}
