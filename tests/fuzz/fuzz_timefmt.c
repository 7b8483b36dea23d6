/*
 * fuzz_timefmt.c - core/timefmt.c: ISO 8601 / RFC 3339 parsing and
 * formatting. The input is parsed as a timestamp; a success must format
 * back to a text that parses to the same instant. The first eight bytes
 * are also taken as an instant in milliseconds and formatted (any int64),
 * and within years 1-9999 must round-trip.
 */
#include "fuzz.h"
#include "timefmt.h"

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in Unix ms. */
#define MIN_MS (-62135596800000LL)
#define MAX_MS (253402300799999LL)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[32], *s = fz_cstr(data, size);
	const char *why = NULL;
	int64_t ms = 0, back = 0;
	uint64_t u = 0;
	size_t i;

	if (sb_parse_iso8601_why(s, &ms, &why) == 0) {
		FZ_ASSERT(ms >= MIN_MS && ms <= MAX_MS);
		sb_format_iso8601_ms(ms, buf, sizeof(buf));
		FZ_ASSERT(sb_parse_iso8601_ms(buf, &back) == 0 && back == ms);
	} else {
		FZ_ASSERT(why != NULL);
	}
	for (i = 0; i < 8 && i < size; i++)
		u = u << 8 | data[i];
	ms = (int64_t)u;
	sb_format_iso8601_ms(ms, buf, sizeof(buf));
	FZ_ASSERT(strlen(buf) < sizeof(buf));
	if (ms >= MIN_MS && ms <= MAX_MS)
		FZ_ASSERT(sb_parse_iso8601_ms(buf, &back) == 0 && back == ms);
	/* A short buffer is cut, never overrun. */
	sb_format_iso8601_ms(ms, buf, (size_t)(size % 8) + 1);
	free(s);
	return 0;
}
