/*
 * timefmt.c - ISO 8601 timestamps with an explicit offset, to and from
 * Unix milliseconds.
 *
 * Calendar arithmetic is done here (days from civil date and back, after
 * Howard Hinnant's algorithms) rather than with timegm()/TZ tricks, so the
 * result never depends on the process's time zone or locale.
 */
#include <stdio.h>

#include "timefmt.h"

#define MS_PER_DAY INT64_C(86400000)

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly `n` digits at *p; advances *p. -1 if not. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* "Z", "+hh:mm", "+hhmm" or "-..." (the rest of the string) -> minutes east of UTC. */
static int
parse_offset(const char *p, int *minutes)
{
	int sign, hh, mm;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*minutes = 0;
		return 0;
	}
	if (p[0] != '+' && p[0] != '-')
		return -1;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if ((hh = digits(&p, 2)) < 0)
		return -1;
	if (*p == ':')
		p++;
	if ((mm = digits(&p, 2)) < 0 || *p != '\0')
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*minutes = sign * (hh * 60 + mm);
	return 0;
}

static int
why_fail(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return -1;
}

int
sb_parse_iso8601_why(const char *s, int64_t *out, const char **why)
{
	static const char syntax[] = "is not an ISO 8601 time with an offset (e.g."
	    " 2026-11-23T18:00:00-03:00)";
	const char *p = s;
	int y, mo, d, h, mi, sec = 0, ms = 0, off;
	int64_t v;

	if (s == NULL)
		return why_fail(why, syntax);
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 ||
	    *p++ != '-' || (d = digits(&p, 2)) < 0)
		return why_fail(why, syntax);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return why_fail(why, syntax);
	p++;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
		return why_fail(why, syntax);
	if (*p == ':') {
		p++;
		if ((sec = digits(&p, 2)) < 0)
			return why_fail(why, syntax);
		if (*p == '.' || *p == ',') {
			int n = 0;

			for (p++; *p >= '0' && *p <= '9'; p++, n++)
				if (n < 3)
					ms = ms * 10 + (*p - '0');
			if (n == 0)
				return why_fail(why, syntax);
			for (; n < 3; n++)
				ms *= 10;
		}
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return why_fail(why, "is not a valid date (no such day in the calendar)");
	if (h > 23 || mi > 59 || sec > 59)
		return why_fail(why, "is not a valid time of day");
	if (*p == '\0')
		return why_fail(why, "has no UTC offset (add Z or e.g. -03:00)");
	if (parse_offset(p, &off) < 0)
		return why_fail(why, "has an invalid UTC offset (expected Z, +hh:mm or -hh:mm)");
	v = days_from_civil(y, mo, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + sec - (int64_t)off * 60) * 1000 + ms;
	/* In UTC it must still be a four-digit year, or it could not be shown. */
	if (v < days_from_civil(1, 1, 1) * MS_PER_DAY ||
	    v >= days_from_civil(10000, 1, 1) * MS_PER_DAY)
		return why_fail(why, "is outside the years 0001 to 9999 in UTC");
	*out = v;
	return 0;
}

int
sb_parse_iso8601_ms(const char *s, int64_t *out)
{
	return sb_parse_iso8601_why(s, out, NULL);
}

char *
sb_format_iso8601_ms(int64_t ms, char *buf, size_t len)
{
	/* Floor division, so times before 1970 format correctly. */
	int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY, y;
	int m, d;

	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
	    (int)(rem % 1000));
	return buf;
}
