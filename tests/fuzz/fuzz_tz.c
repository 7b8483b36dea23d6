/*
 * fuzz_tz.c - core/tz.c: the TZif reader (RFC 8536, versions 1 to 4, with
 * the POSIX TZ footer) and the POSIX TZ string parser. The input is read
 * as a TZif file and, as a string, as a POSIX TZ rule; each zone that loads
 * is asked for offsets and walked through a bounded number of changes,
 * which must move forward in time. A POSIX rule's offsets stay within
 * 25 hours (a TZif file may name any offset but INT32_MIN).
 */
#include "fuzz.h"
#include "tz.h"

static void
walk(const struct sb_tz *tz, const uint8_t *data, size_t size, int posix)
{
	static const int64_t probes[] = {
		-4000000000LL, -2208988800LL, -1, 0, 1, 951782400, 1700000000, 2147483647,
		2147483648LL, 4102444800LL, 253402300799LL,
	};
	int64_t t;
	size_t i;
	int32_t off;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		off = sb_tz_offset(tz, probes[i]);
		FZ_ASSERT(!posix || (off > -86400 * 2 && off < 86400 * 2));
	}
	/* An instant from the input, then up to 64 changes after it. */
	t = 0;
	for (i = 0; i < 5 && i < size; i++)
		t = t * 256 + data[size - 1 - i];
	t -= 1LL << 39; /* about +-17000 years around 1970 */
	for (i = 0; i < 64; i++) {
		off = sb_tz_offset(tz, t);
		FZ_ASSERT(!posix || (off > -86400 * 2 && off < 86400 * 2));
		int64_t next = sb_tz_next_change(tz, t);

		if (next == INT64_MAX)
			break;
		FZ_ASSERT(next > t);
		t = next;
	}
	FZ_ASSERT(sb_tz_name(tz) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	struct sb_tz *tz;

	tz = sb_tz_parse("fuzz", data, size, &why);
	if (tz != NULL) {
		walk(tz, data, size, 0);
		sb_tz_free(tz);
	} else {
		FZ_ASSERT(why != NULL);
	}
	if (size < 256) {
		char *s = fz_cstr(data, size);

		why = NULL;
		tz = sb_tz_from_posix(s, &why);
		if (tz != NULL) {
			walk(tz, data, size, 1);
			sb_tz_free(tz);
		} else {
			FZ_ASSERT(why != NULL);
		}
		free(s);
	}
	return 0;
}
