/*
 * fuzz_hours.c - allowed hours: their syntax (core/config_hours.c, through
 * the YAML node tree of core/cfgnode.c) and their meaning (core/hours.c)
 * in zones with and without daylight saving time.
 *
 * Input: byte 0 picks the zone, bytes 1-5 an instant (about 1970 +- 17000
 * years, biased to now), the rest is the `allowed_hours` mapping as YAML.
 * When the mapping parses without errors: sb_hours_check must answer, and
 * a "not now" must name a later instant at which the answer is "yes"; the
 * windows must format (also into a short buffer).
 */
#include <stdio.h>

#include "config.h"
#include "fuzz.h"
#include "hours.h"
#include "tz.h"

static const char *const zones[] = {
	NULL,                                /* UTC */
	"CET-1CEST,M3.5.0,M10.5.0/3",        /* Europe/Berlin */
	"<-03>3",                            /* America/Sao_Paulo today */
	"EST5EDT,M3.2.0,M11.1.0",            /* America/New_York */
	"AEST-10AEDT,M10.1.0,M4.1.0/3",      /* Australia/Sydney (southern DST) */
	"<+1345>-13:45<+1445>,M9.5.0/2:45,M4.1.0/3:45", /* Pacific/Chatham */
	"<-01>1<+00>,M3.5.0/0,M10.5.0/1",    /* America/Scoresbysund: DST at midnight */
	"IST-2IDT,M3.4.4/26,M10.5.0",        /* Asia/Jerusalem: a transition at 26:00 */
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

static struct sb_tz *tzs[NZONES];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why;
	size_t i;

	for (i = 1; i < NZONES; i++)
		if ((tzs[i] = sb_tz_from_posix(zones[i], &why)) == NULL) {
			fprintf(stderr, "zone %s: %s\n", zones[i], why);
			abort();
		}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_allowed_hours h;
	struct sb_cfg_doc *doc;
	struct sb_tz *tz;
	char *err = NULL;
	int64_t t_s = 0, t_ms, next = 0, next2 = 0;
	size_t i;

	if (size < 6)
		return 0;
	tz = tzs[data[0] % NZONES];
	for (i = 1; i < 6; i++)
		t_s = t_s * 256 + data[i];
	/* Bytes 1-5 as 0x8000000000 + x seconds: most values land near 1970-2100. */
	t_s = (t_s & 0x8000000000LL) ? t_s - 0x8000000000LL + 1700000000 : t_s % 4102444800LL;
	t_ms = t_s * 1000 + data[5] % 1000;
	doc = sb_cfg_doc_parse("hours.yaml", (const char *)data + 6, size - 6, &err);
	if (doc == NULL) {
		free(err);
		return 0;
	}
	memset(&h, 0, sizeof(h));
	/* The config hands it a mapping only (config.c's get_map). */
	if (sb_cfg_doc_root(doc) == NULL || sb_cfg_doc_root(doc)->type != SB_CFG_MAP) {
		sb_cfg_doc_free(doc);
		return 0;
	}
	sb_config_hours_parse(sb_cfg_doc_root(doc), &h);
	if (sb_cfg_doc_nerrors(doc) == 0 && h.set) {
		char buf[512];
		int rc;

		for (i = 0; i < SB_WEEKDAYS; i++) {
			FZ_ASSERT(h.n[i] <= SB_MAX_RANGES);
			for (size_t j = 0; j < h.n[i]; j++) {
				FZ_ASSERT(h.r[i][j].start_min >= 0 && h.r[i][j].start_min < 1440);
				FZ_ASSERT(h.r[i][j].end_min >= 0 && h.r[i][j].end_min <= 1440);
			}
		}
		rc = sb_hours_check(&h, tz, t_ms, &next);
		FZ_ASSERT(rc == 0 || rc == 1);
		if (rc == 0 && next != -1) {
			FZ_ASSERT(next > t_ms);
			FZ_ASSERT(next - t_ms <= (int64_t)SB_HOURS_HORIZON_S * 1000 + 86400000);
			FZ_ASSERT(sb_hours_check(&h, tz, next, &next2) == 1);
		}
		sb_hours_format(&h, tz != NULL ? sb_tz_name(tz) : "UTC", buf, sizeof(buf));
		FZ_ASSERT(strlen(buf) < sizeof(buf));
		sb_hours_format(&h, "UTC", buf, (size_t)(data[0] % 16) + 1);
	} else {
		err = sb_cfg_doc_errors(doc);
		FZ_ASSERT(sb_cfg_doc_nerrors(doc) == 0 || (err != NULL && strlen(err) > 0));
		free(err);
	}
	sb_cfg_doc_free(doc);
	return 0;
}
