/*
 * hours.c - allowed sending hours: "is this instant inside a window" and
 * "when does the next window open", in a subaccount's local wall time.
 *
 * The search walks the zone's stretches of constant UTC offset: inside
 * one, the wall clock runs evenly, so the answer is the first allowed wall
 * time there; at a change the wall clock jumps and the instant of the jump
 * is itself a candidate. That makes DST gaps and repeated hours come out
 * right without mapping wall times back to instants. Nothing here reads
 * the clock, a file or the C library's TZ state.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "hours.h"
#include "tz.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
all_closed(const struct sb_allowed_hours *h)
{
	for (int d = 0; d < SB_WEEKDAYS; d++)
		if (h->n[d] > 0)
			return 0;
	return 1;
}

/* Is local wall time `w` (seconds, local "epoch") inside a window? */
static int
allowed_wall(const struct sb_allowed_hours *h, int64_t w)
{
	int64_t days = floor_div(w, 86400);
	int sod = (int)(w - days * 86400), wd = sb_weekday_from_days(days);
	int prev = (wd + SB_WEEKDAYS - 1) % SB_WEEKDAYS;

	for (int i = 0; i < h->n[wd]; i++) {
		const struct sb_hours_range *r = &h->r[wd][i];

		if (sod >= r->start_min * 60 && (r->end_min < r->start_min ||
		    sod < r->end_min * 60))
			return 1;
	}
	/* The part after midnight of yesterday's windows that cross it. */
	for (int i = 0; i < h->n[prev]; i++) {
		const struct sb_hours_range *r = &h->r[prev][i];

		if (r->end_min < r->start_min && sod < r->end_min * 60)
			return 1;
	}
	return 0;
}

/* The first window opening after wall time w0, or INT64_MAX. */
static int64_t
next_opening(const struct sb_allowed_hours *h, int64_t w0)
{
	int64_t day0 = floor_div(w0, 86400), best = INT64_MAX;

	for (int64_t day = day0; day <= day0 + SB_HOURS_HORIZON_S / 86400 + 1; day++) {
		int wd = sb_weekday_from_days(day);

		for (int i = 0; i < h->n[wd]; i++) {
			int64_t c = day * 86400 + h->r[wd][i].start_min * 60;

			if (c > w0 && c < best)
				best = c;
		}
		if (best != INT64_MAX)
			break; /* later days open later */
	}
	return best;
}

int
sb_hours_check(const struct sb_allowed_hours *h, const struct sb_tz *tz, int64_t t_ms,
    int64_t *next_ms)
{
	int64_t t = floor_div(t_ms, 1000), limit = t + SB_HOURS_HORIZON_S, seg = t;

	if (h == NULL || !h->set)
		return 1;
	*next_ms = -1;
	if (all_closed(h))
		return 0;
	if (allowed_wall(h, t + sb_tz_offset(tz, t)))
		return 1;
	for (;;) {
		int32_t off = sb_tz_offset(tz, seg);
		int64_t change = sb_tz_next_change(tz, seg), w = seg + off;
		int64_t c = allowed_wall(h, w) ? w : next_opening(h, w);

		/* Inside this stretch the wall clock is seg+off .. change+off. */
		if (c != INT64_MAX && (change == INT64_MAX || c - off < change)) {
			if (c - off <= limit)
				*next_ms = (c - off) * 1000;
			return 0;
		}
		if (change == INT64_MAX || change > limit)
			return 0;
		seg = change;
	}
}

/* ---- formatting ---- */

static void
append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s", s);
}

static const char *const day_names[SB_WEEKDAYS] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};
/* People read weeks from Monday. */
static const int week_order[SB_WEEKDAYS] = { 1, 2, 3, 4, 5, 6, 0 };

static int
same_windows(const struct sb_allowed_hours *h, int a, int b)
{
	return h->n[a] == h->n[b] &&
	    memcmp(h->r[a], h->r[b], h->n[a] * sizeof(h->r[a][0])) == 0;
}

static void
append_windows(const struct sb_allowed_hours *h, int d, char *buf, size_t len)
{
	char w[32];

	for (int i = 0; i < h->n[d]; i++) {
		const struct sb_hours_range *r = &h->r[d][i];

		snprintf(w, sizeof(w), "%s%02d:%02d-%02d:%02d", i ? " and " : "",
		    r->start_min / 60, r->start_min % 60, r->end_min / 60, r->end_min % 60);
		append(buf, len, w);
	}
}

char *
sb_hours_format(const struct sb_allowed_hours *h, const char *tzname, char *buf,
    size_t len)
{
	int done[SB_WEEKDAYS] = { 0 }, groups = 0;
	char part[64];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (h == NULL || !h->set) {
		append(buf, len, "allowed at any time");
		return buf;
	}
	append(buf, len, all_closed(h) ? "every day closed" : "allowed ");
	for (int i = 0; i < SB_WEEKDAYS; i++) {
		int d = week_order[i], in[SB_WEEKDAYS] = { 0 }, runs = 0;

		if (done[i] || h->n[d] == 0)
			continue;
		for (int j = i; j < SB_WEEKDAYS; j++)
			if (!done[j] && same_windows(h, d, week_order[j]))
				in[j] = done[j] = 1;
		append(buf, len, groups++ ? ", " : "");
		/* Runs of consecutive days: "mon-fri,sun". */
		for (int j = 0; j < SB_WEEKDAYS; j++) {
			int k = j;

			if (!in[j])
				continue;
			while (k + 1 < SB_WEEKDAYS && in[k + 1])
				k++;
			snprintf(part, sizeof(part), "%s%s%s%s", runs++ ? "," : "",
			    day_names[week_order[j]], k > j ? "-" : "",
			    k > j ? day_names[week_order[k]] : "");
			append(buf, len, part);
			j = k;
		}
		append(buf, len, " ");
		append_windows(h, d, buf, len);
	}
	snprintf(part, sizeof(part), " (%.50s)", tzname != NULL ? tzname : "UTC");
	append(buf, len, part);
	return buf;
}
