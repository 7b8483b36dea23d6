/*
 * config_hours.c - the syntax of allowed hours: day specs ("mon", "mon-fri",
 * "fri-mon", "sat,sun") and windows ("08:00-20:00", a list, or "closed").
 *
 * Owns parsing and its error messages only; deciding whether an instant is
 * inside a window (time zones, DST) is someone else's job.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "config.h"

static const char *const day_names[SB_WEEKDAYS] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

const char *
sb_weekday_name(int day)
{
	return day >= 0 && day < SB_WEEKDAYS ? day_names[day] : "?";
}

static int
parse_day(const char *s, size_t len)
{
	for (int d = 0; d < SB_WEEKDAYS; d++)
		if (len == 3 && strncasecmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

/*
 * "mon", "mon-fri", "fri-mon" (wraps), "sat, sun" -> bit mask of weekdays.
 * Returns 0, -1 if malformed, or -2 with *twice set to a repeated day.
 */
static int
parse_days(const char *p, unsigned *mask, int *twice)
{
	for (*mask = 0;; p++) {
		size_t len = strcspn(p, ",");
		const char *s = p + strspn(p, " "), *dash;
		size_t n = len - (size_t)(s - p);
		int a, b;

		while (n && s[n - 1] == ' ')
			n--;
		dash = memchr(s, '-', n);
		a = parse_day(s, dash ? (size_t)(dash - s) : n);
		b = dash ? parse_day(dash + 1, n - (size_t)(dash - s) - 1) : a;
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % SB_WEEKDAYS) {
			if (*mask & (1u << d)) {
				*twice = d;
				return -2;
			}
			*mask |= 1u << d;
			if (d == b)
				break;
		}
		if (!*(p += len))
			return 0;
	}
}

static int
parse_hhmm(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

/* "HH:MM-HH:MM" -> range; NULL, or why it is wrong. */
static const char *
parse_window(const char *s, struct sb_hours_range *r)
{
	int a, b;

	if (strlen(s) != 11 || s[5] != '-' || (a = parse_hhmm(s)) < 0 ||
	    (b = parse_hhmm(s + 6)) < 0)
		return "expected \"HH:MM-HH:MM\", e.g. \"08:00-20:00\", or closed";
	if (a >= 24 * 60)
		return "the start must be 00:00 to 23:59";
	if (b > 24 * 60)
		return "the end must be 00:00 to 24:00";
	if (a == b)
		return "empty window: the start equals the end";
	r->start_min = (int16_t)a;
	r->end_min = (int16_t)b;
	return NULL;
}

/* One day spec's value: "closed", a window, or a sequence of windows. */
static int
parse_windows(struct sb_cfg *v, const char *spec, struct sb_hours_range *r,
    size_t *nr)
{
	size_t n = v->type == SB_CFG_SEQ ? v->n : 1;
	int bad = 0;

	*nr = 0;
	if (v->type == SB_CFG_SCALAR && strcmp(v->scalar, "closed") == 0)
		return 0;
	if ((v->type != SB_CFG_SCALAR && v->type != SB_CFG_SEQ) || n == 0) {
		sb_cfg_error(v, "expected \"HH:MM-HH:MM\", a sequence of them, or closed for '%s', got %s",
		    spec, v->type == SB_CFG_SEQ ? "an empty sequence" :
		    v->type == SB_CFG_MAP ? "a mapping" : "nothing");
		return -1;
	}
	if (n > SB_MAX_RANGES) {
		sb_cfg_error(v, "too many windows for '%s' (at most %d a day)", spec,
		    SB_MAX_RANGES);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct sb_cfg *w = v->type == SB_CFG_SEQ ? v->items[i] : v;
		const char *why = w->type != SB_CFG_SCALAR ? "expected \"HH:MM-HH:MM\"" :
		    parse_window(w->scalar, &r[*nr]);

		if (!why) {
			(*nr)++;
			continue;
		}
		sb_cfg_error(w, "bad hours '%.60s' for '%s': %s",
		    w->scalar ? w->scalar : "", spec, why);
		bad = 1;
	}
	return -bad;
}

void
sb_config_hours_parse(struct sb_cfg *node, struct sb_allowed_hours *h)
{
	struct sb_cfg *first[SB_WEEKDAYS] = { 0 };

	h->set = 1; /* days not mentioned are closed */
	for (size_t i = 0; i < node->n; i++) {
		struct sb_hours_range r[SB_MAX_RANGES];
		const char *spec;
		struct sb_cfg *v = sb_cfg_item(node, i, &spec);
		unsigned mask;
		size_t nr;
		int twice, clash = 0, rc = parse_days(spec, &mask, &twice);

		if (rc < 0) {
			if (rc == -1)
				sb_cfg_key_error(node, i, "bad day spec '%.60s' (expected mon..sun, a range like mon-fri, or a list like sat,sun)",
				    spec);
			else
				sb_cfg_key_error(node, i, "day '%s' given twice in '%.60s'",
				    day_names[twice], spec);
			continue;
		}
		for (int d = 0; d < SB_WEEKDAYS; d++) {
			if (!(mask & (1u << d)))
				continue;
			if (first[d])
				sb_cfg_key_error(node, i, "day '%s' given twice (first at %d:%d)",
				    day_names[d], first[d]->key_line, first[d]->key_col);
			clash |= first[d] != NULL;
			first[d] = first[d] ? first[d] : v;
		}
		if (clash || parse_windows(v, spec, r, &nr) < 0)
			continue;
		for (int d = 0; d < SB_WEEKDAYS; d++) {
			if (mask & (1u << d)) {
				h->n[d] = (uint8_t)nr;
				memcpy(h->r[d], r, nr * sizeof(*r));
			}
		}
	}
}
