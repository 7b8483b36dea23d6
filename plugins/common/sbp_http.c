/*
 * sbp_http.c - Retry-After and HTTP status classes (see sbp_http.h).
 * Parses by hand, locale-free: strptime would follow LC_TIME.
 */
#include <stdio.h>
#include <string.h>

#include "sbp_http.h"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "Jan".."Dec" -> 1..12, or 0. */
static int
month_number(const char *m)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (strncmp(m, months + 3 * i, 3) == 0 && m[3] == '\0')
			return i + 1;
	return 0;
}

static int
is_day_name(const char *s, size_t n)
{
	static const char *const names[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday", "Sunday" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((n == 3 && strncmp(s, names[i], 3) == 0) ||
		    (n == strlen(names[i]) && strncmp(s, names[i], n) == 0))
			return 1;
	return 0;
}

static int
to_unix(int year, int mon, int day, int hh, int mm, int ss, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon < 1 || day < 1 || day > mdays[mon - 1] || hh > 23 || mm > 59 || ss > 60 ||
	    hh < 0 || mm < 0 || ss < 0 || year < 1970 || year > 9999)
		return -1;
	*out = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 +
	    mm * 60 + ss;
	return 0;
}

int
sbp_http_date(const char *s, int64_t *out)
{
	char mon[4], tail;
	int day, year, hh, mm, ss, n = -1;
	size_t wd = strcspn(s, ", ");

	if (wd == 0 || !is_day_name(s, wd))
		return -1;
	if (s[wd] == ',' && wd == 3) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (sscanf(s + wd, ", %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", &day, mon, &year,
		    &hh, &mm, &ss, &n) != 6 || n < 0 || s[wd + (size_t)n] != '\0')
			return -1;
	} else if (s[wd] == ',') {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		if (sscanf(s + wd, ", %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", &day, mon, &year,
		    &hh, &mm, &ss, &n) != 6 || n < 0 || s[wd + (size_t)n] != '\0')
			return -1;
		/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is the
		 * most recent past year with those digits. Judged against 1970+. */
		year += 2000;
		{
			time_t now = time(NULL);
			struct tm tm;
			int cur = gmtime_r(&now, &tm) != NULL ? tm.tm_year + 1900 : 2000;

			if (year > cur + 50)
				year -= 100;
		}
	} else {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (wd != 3 || sscanf(s + wd, " %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", mon, &day,
		    &hh, &mm, &ss, &year, &n) != 6 || n < 0 ||
		    sscanf(s + wd + (size_t)n, "%c", &tail) == 1)
			return -1;
	}
	return to_unix(year, month_number(mon), day, hh, mm, ss, out);
}

int32_t
sbp_retry_after(const char *value, time_t now)
{
	char buf[64];
	size_t b = 0, e;
	int64_t secs, when;

	if (value == NULL)
		return -1;
	while (value[b] == ' ' || value[b] == '\t')
		b++;
	e = strlen(value);
	while (e > b && (value[e - 1] == ' ' || value[e - 1] == '\t'))
		e--;
	if (e == b || e - b >= sizeof(buf))
		return -1;
	memcpy(buf, value + b, e - b);
	buf[e - b] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9') {
		secs = 0;
		for (const char *p = buf; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			if (secs <= INT32_MAX)
				secs = secs * 10 + (*p - '0');
		}
	} else if (sbp_http_date(buf, &when) == 0) {
		secs = when - (int64_t)now;
	} else {
		return -1;
	}
	if (secs < 0)
		secs = 0;
	return secs > INT32_MAX ? INT32_MAX : (int32_t)secs;
}

enum sb_outcome
sbp_http_outcome(long status)
{
	if (status >= 200 && status <= 299)
		return SB_OUT_ACCEPTED;
	if (status == 0 || status == 408 || status == 425 || status == 429 ||
	    (status >= 500 && status <= 599))
		return SB_OUT_TEMPORARY;
	return SB_OUT_FAILED;
}
