/*
 * tz.c - TZif files (RFC 8536) and POSIX TZ rules, read into a form that
 * answers "what is the UTC offset at this instant" without I/O, plus the
 * cache that makes each zone file be read once.
 *
 * Only sb_tz_get() touches the file system, and only the configuration
 * calls it (at load and reload). This file must never use the C library's
 * TZ machinery (setenv("TZ"), tzset, localtime): that is global state, and
 * slow. Leap-second ("right/") zones are read but their leap records are
 * ignored: offsets are civil UTC offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

#define TZ_MAX_FILE (256 * 1024)  /* real zones are under 4 KiB */
#define TZ_MAX_NAME 255
#define TZ_HEADER 44

enum rule_kind { R_JULIAN1, R_ZERO, R_MWD };

/* One end of a POSIX DST rule: a day of the year and a local time of day. */
struct rule_date {
	enum rule_kind kind;
	int n;              /* Jn: 1..365 without Feb 29; n: 0..365 with it */
	int m, w, d;        /* Mm.w.d: month, week 1..5 (5 = last), weekday */
	int32_t secs;       /* local time of the change; RFC 8536 allows -167h..167h */
};

struct posix_rule {
	int32_t std_utoff, dst_utoff;  /* seconds east of UTC */
	int has_dst;
	struct rule_date start, end;   /* start: in standard time; end: in DST */
};

struct tz_type {
	int32_t utoff;
	uint8_t isdst;
};

struct sb_tz {
	char *name;
	size_t ntrans, ntypes;
	int64_t *trans;                /* strictly ascending UTC seconds */
	uint8_t *trans_type;           /* index into types, per transition */
	struct tz_type *types;
	int has_rule;                  /* a non-empty footer (or a bare POSIX zone) */
	struct posix_rule rule;
	/* cache identity: the file it came from, as it was */
	char *path;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	off_t size;
	struct sb_tz *next;
};

static struct sb_tz *cache;

static int64_t
mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ---- calendar ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
sb_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
sb_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int
sb_weekday_from_days(int64_t days)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((days % 7) + 11) % 7);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_len(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return len[m - 1] + (m == 2 && is_leap(y));
}

/* ---- POSIX TZ strings ---- */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "CET" or "<-03>": at least three characters. Returns the end, or NULL. */
static const char *
parse_abbr(const char *s)
{
	const char *b;

	if (*s == '<') {
		for (b = ++s; *s != '>'; s++)
			if (!is_alpha(*s) && !is_digit(*s) && *s != '+' && *s != '-')
				return NULL;
		return s - b >= 3 ? s + 1 : NULL;
	}
	for (b = s; is_alpha(*s); s++)
		;
	return s - b >= 3 ? s : NULL;
}

/* Up to `max` digits, at least one; the value in *out. */
static const char *
parse_num(const char *s, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && is_digit(s[n]))
		v = v * 10 + (s[n++] - '0');
	*out = v;
	return n > 0 ? s + n : NULL;
}

/* "[+-]hh[:mm[:ss]]" with hh <= maxh, into signed seconds. */
static const char *
parse_hms(const char *s, int maxh, int32_t *out)
{
	int sign = 1, h, mi = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if ((s = parse_num(s, 3, &h)) == NULL || h > maxh)
		return NULL;
	if (*s == ':') {
		if ((s = parse_num(s + 1, 2, &mi)) == NULL || mi > 59)
			return NULL;
		if (*s == ':' && ((s = parse_num(s + 1, 2, &sec)) == NULL || sec > 59))
			return NULL;
	}
	*out = sign * (h * 3600 + mi * 60 + sec);
	return s;
}

/* "Jn", "n" or "Mm.w.d", then an optional "/time" (default 02:00). */
static const char *
parse_rule_date(const char *s, struct rule_date *r)
{
	*r = (struct rule_date){ .secs = 7200 };
	if (*s == 'J') {
		r->kind = R_JULIAN1;
		if ((s = parse_num(s + 1, 3, &r->n)) == NULL || r->n < 1 || r->n > 365)
			return NULL;
	} else if (*s == 'M') {
		r->kind = R_MWD;
		if ((s = parse_num(s + 1, 2, &r->m)) == NULL || r->m < 1 || r->m > 12 ||
		    *s != '.' || (s = parse_num(s + 1, 1, &r->w)) == NULL || r->w < 1 ||
		    r->w > 5 || *s != '.' || (s = parse_num(s + 1, 1, &r->d)) == NULL ||
		    r->d > 6)
			return NULL;
	} else {
		r->kind = R_ZERO;
		if ((s = parse_num(s, 3, &r->n)) == NULL || r->n > 365)
			return NULL;
	}
	if (*s == '/')
		s = parse_hms(s + 1, 167, &r->secs);
	return s;
}

/* std offset [dst [offset] [,start[/time],end[/time]]] */
static int
parse_posix(const char *s, struct posix_rule *p)
{
	int32_t off;

	*p = (struct posix_rule){ 0 };
	if ((s = parse_abbr(s)) == NULL || (s = parse_hms(s, 24, &off)) == NULL)
		return -1;
	p->std_utoff = -off; /* POSIX counts west as positive */
	if (*s == '\0')
		return 0;
	if ((s = parse_abbr(s)) == NULL)
		return -1;
	p->has_dst = 1;
	p->dst_utoff = p->std_utoff + 3600;
	if (*s != '\0' && *s != ',') {
		if ((s = parse_hms(s, 24, &off)) == NULL)
			return -1;
		p->dst_utoff = -off;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0"; /* POSIX leaves it open; tzcode's default */
	if (*s != ',' || (s = parse_rule_date(s + 1, &p->start)) == NULL || *s != ',' ||
	    (s = parse_rule_date(s + 1, &p->end)) == NULL)
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* The local day (days since the epoch) a rule date names in year y. */
static int64_t
rule_day(const struct rule_date *r, int64_t y)
{
	int64_t first;
	int day;

	switch (r->kind) {
	case R_JULIAN1:
		return sb_days_from_civil(y, 1, 1) + r->n - 1 + (is_leap(y) && r->n >= 60);
	case R_ZERO:
		return sb_days_from_civil(y, 1, 1) + r->n;
	case R_MWD:
	default:
		first = sb_days_from_civil(y, (unsigned)r->m, 1);
		day = (r->d - sb_weekday_from_days(first) + 7) % 7 + (r->w - 1) * 7;
		while (day >= month_len(y, r->m))
			day -= 7; /* week 5 means the last */
		return first + day;
	}
}

struct rule_event {
	int64_t at;
	int dst;  /* the state that begins at `at` */
};

/*
 * The changes of years y-1 .. y+2, in time order; at the same instant the
 * end of DST sorts before a start, so a zone in DST all year (a rule like
 * "J365/25", whose end meets the next start) stays in DST.
 */
static size_t
rule_events(const struct posix_rule *p, int64_t y, struct rule_event ev[8])
{
	size_t n = 0;

	for (int64_t k = y - 1; k <= y + 2; k++) {
		ev[n++] = (struct rule_event){
			rule_day(&p->start, k) * 86400 + p->start.secs - p->std_utoff, 1 };
		ev[n++] = (struct rule_event){
			rule_day(&p->end, k) * 86400 + p->end.secs - p->dst_utoff, 0 };
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (ev[j].at < ev[j - 1].at ||
		    (ev[j].at == ev[j - 1].at && ev[j].dst < ev[j - 1].dst)); j--) {
			struct rule_event tmp = ev[j];

			ev[j] = ev[j - 1];
			ev[j - 1] = tmp;
		}
	return n;
}

static int64_t
year_of(int64_t local_s)
{
	int64_t y;
	unsigned m, d;

	sb_civil_from_days(floor_div(local_s, 86400), &y, &m, &d);
	return y;
}

/*
 * Beyond +-2^52 s (some 140 million years) a rule's day arithmetic could
 * overflow int64: a TZif file may name such instants (found by
 * tests/fuzz/fuzz_tz). The rule there is taken as at the limit.
 */
#define RULE_LIMIT (INT64_C(1) << 52)

static int64_t
rule_clamp(int64_t t)
{
	return t > RULE_LIMIT ? RULE_LIMIT : t < -RULE_LIMIT ? -RULE_LIMIT : t;
}

static int32_t
rule_offset(const struct posix_rule *p, int64_t t)
{
	struct rule_event ev[8];
	size_t n;
	int dst;

	if (!p->has_dst)
		return p->std_utoff;
	t = rule_clamp(t);
	n = rule_events(p, year_of(t + p->std_utoff), ev);
	dst = !ev[0].dst;
	for (size_t i = 0; i < n && ev[i].at <= t; i++)
		dst = ev[i].dst;
	return dst ? p->dst_utoff : p->std_utoff;
}

static int64_t
rule_next_change(const struct posix_rule *p, int64_t t)
{
	struct rule_event ev[8];
	size_t n;

	if (!p->has_dst || t >= RULE_LIMIT)
		return INT64_MAX;
	t = rule_clamp(t);
	n = rule_events(p, year_of(t + p->std_utoff), ev);
	for (size_t i = 0; i < n; i++)
		if (ev[i].at > t)
			return ev[i].at;
	return INT64_MAX;
}

/* ---- lookups ---- */

/* Index of the last transition at or before t; -1 if t is before all. */
static ptrdiff_t
last_at_or_before(const struct sb_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->ntrans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

int32_t
sb_tz_offset(const struct sb_tz *tz, int64_t utc_s)
{
	ptrdiff_t i;

	if (tz == NULL)
		return 0;
	if (tz->ntrans == 0)
		return tz->has_rule ? rule_offset(&tz->rule, utc_s) : tz->types[0].utoff;
	i = last_at_or_before(tz, utc_s);
	if (i < 0)
		return tz->types[0].utoff; /* RFC 8536: time type 0 before the first */
	if ((size_t)i == tz->ntrans - 1 && tz->has_rule)
		return rule_offset(&tz->rule, utc_s);
	return tz->types[tz->trans_type[i]].utoff;
}

int64_t
sb_tz_next_change(const struct sb_tz *tz, int64_t utc_s)
{
	ptrdiff_t i;

	if (tz == NULL)
		return INT64_MAX;
	if (tz->ntrans > 0) {
		i = last_at_or_before(tz, utc_s);
		if ((size_t)(i + 1) < tz->ntrans)
			return tz->trans[i + 1];
	}
	return tz->has_rule ? rule_next_change(&tz->rule, utc_s) : INT64_MAX;
}

const char *
sb_tz_name(const struct sb_tz *tz)
{
	return tz != NULL ? tz->name : "UTC";
}

/* ---- TZif ---- */

struct tzif_header {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int
read_header(const unsigned char *p, size_t len, struct tzif_header *h)
{
	if (len < TZ_HEADER || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4] == 0 ? 1 : p[4] >= '2' && p[4] <= '9' ? p[4] - '0' : -1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return h->version < 0 ? -1 : 0;
}

/* Bytes of the data block after a header; 64-bit math cannot overflow here. */
static uint64_t
block_size(const struct tzif_header *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * tsize + h->timecnt + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Fill tz from one data block (`tsize` 4 or 8 byte times). */
static const char *
read_block(struct sb_tz *tz, const struct tzif_header *h, const unsigned char *p,
    unsigned tsize)
{
	const unsigned char *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;

	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0)
		return "malformed TZif data (no local time types)";
	if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return "malformed TZif data (indicator counts)";
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	tz->trans = calloc(h->timecnt ? h->timecnt : 1, sizeof(*tz->trans));
	tz->trans_type = calloc(h->timecnt ? h->timecnt : 1, 1);
	tz->types = calloc(h->typecnt, sizeof(*tz->types));
	if (tz->trans == NULL || tz->trans_type == NULL || tz->types == NULL)
		return "out of memory";
	for (uint32_t i = 0; i < h->timecnt; i++) {
		const unsigned char *t = p + (size_t)i * tsize;

		tz->trans[i] = tsize == 8 ? (int64_t)be64(t) : (int64_t)(int32_t)be32(t);
		tz->trans_type[i] = idx[i];
		if (idx[i] >= h->typecnt)
			return "malformed TZif data (transition type out of range)";
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return "malformed TZif data (transitions out of order)";
	}
	for (uint32_t i = 0; i < h->typecnt; i++) {
		const unsigned char *t = types + (size_t)i * 6;

		tz->types[i].utoff = (int32_t)be32(t);
		tz->types[i].isdst = t[4];
		if (tz->types[i].utoff == INT32_MIN || t[4] > 1 || t[5] >= h->charcnt)
			return "malformed TZif data (bad local time type)";
	}
	return NULL;
}

static const char *
parse_into(struct sb_tz *tz, const unsigned char *data, size_t len)
{
	struct tzif_header h;
	uint64_t size;
	const unsigned char *p = data, *end = data + len, *nl;
	char footer[128];
	const char *why;

	if (read_header(p, len, &h) < 0)
		return len >= 4 && memcmp(p, "TZif", 4) == 0 && len < TZ_HEADER ?
		    "truncated TZif file" : "not a TZif file";
	size = block_size(&h, 4);
	if (size > (uint64_t)(len - TZ_HEADER))
		return "truncated TZif file";
	if (h.version == 1)
		return read_block(tz, &h, p + TZ_HEADER, 4);
	/* Version 2+: skip the 32-bit data, read the 64-bit block and footer. */
	p += TZ_HEADER + size;
	if (read_header(p, (size_t)(end - p), &h) < 0)
		return "malformed TZif file (second header)";
	size = block_size(&h, 8);
	if (size > (uint64_t)(end - p - TZ_HEADER))
		return "truncated TZif file";
	if ((why = read_block(tz, &h, p + TZ_HEADER, 8)) != NULL)
		return why;
	p += TZ_HEADER + size;
	if (p == end)
		return NULL; /* no footer: the last type holds after the last transition */
	if (*p != '\n' || (nl = memchr(p + 1, '\n', (size_t)(end - p - 1))) == NULL ||
	    (size_t)(nl - p - 1) >= sizeof(footer))
		return "malformed TZif footer";
	memcpy(footer, p + 1, (size_t)(nl - p - 1));
	footer[nl - p - 1] = '\0';
	if (footer[0] == '\0')
		return NULL;
	if (memchr(footer, '\0', (size_t)(nl - p - 1)) != NULL ||
	    parse_posix(footer, &tz->rule) < 0)
		return "malformed TZ string in the TZif footer";
	tz->has_rule = 1;
	return NULL;
}

void
sb_tz_free(struct sb_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->path);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz);
}

struct sb_tz *
sb_tz_parse(const char *name, const unsigned char *data, size_t len, const char **why)
{
	struct sb_tz *tz = calloc(1, sizeof(*tz));
	const char *err = tz != NULL ? NULL : "out of memory";

	if (err == NULL && (tz->name = strdup(name != NULL ? name : "")) == NULL)
		err = "out of memory";
	if (err == NULL)
		err = parse_into(tz, data, len);
	if (err != NULL) {
		sb_tz_free(tz);
		if (why != NULL)
			*why = err;
		return NULL;
	}
	return tz;
}

struct sb_tz *
sb_tz_from_posix(const char *spec, const char **why)
{
	struct sb_tz *tz;
	struct posix_rule r;

	if (spec == NULL || parse_posix(spec, &r) < 0) {
		if (why != NULL)
			*why = "malformed POSIX TZ string";
		return NULL;
	}
	if ((tz = calloc(1, sizeof(*tz))) == NULL || (tz->name = strdup(spec)) == NULL) {
		free(tz);
		if (why != NULL)
			*why = "out of memory";
		return NULL;
	}
	tz->rule = r;
	tz->has_rule = 1;
	return tz;
}

/* ---- the cache ---- */

static int
name_ok(const char *name)
{
	/* The name becomes a path: keep it inside the zoneinfo tree. */
	return name != NULL && *name != '\0' && name[0] != '/' && strstr(name, "..") == NULL &&
	    strlen(name) <= TZ_MAX_NAME;
}

/* Read a whole small regular file; NULL with *why. */
static unsigned char *
read_file(int fd, const struct stat *st, size_t *len, const char **why)
{
	unsigned char *buf;
	size_t got = 0;

	if (!S_ISREG(st->st_mode)) {
		*why = "no such zone";
		return NULL;
	}
	if (st->st_size > TZ_MAX_FILE) {
		*why = "not a TZif file (too large)";
		return NULL;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st->st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = "cannot read the zone file";
			free(buf);
			return NULL;
		}
		if (n == 0 || (got += (size_t)n) > (size_t)st->st_size)
			break;
	}
	*len = got;
	return buf;
}

const struct sb_tz *
sb_tz_get(const char *name, const char **why)
{
	const char *dir = getenv("TZDIR"), *err = NULL;
	char path[PATH_MAX];
	unsigned char *data;
	struct sb_tz *tz;
	struct stat st;
	size_t len = 0;
	int fd;

	if (why == NULL)
		why = &err;
	if (!name_ok(name)) {
		*why = "not a zone name";
		return NULL;
	}
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		*why = "not a zone name";
		return NULL;
	}
	/* O_NONBLOCK: a FIFO planted in the tree must not hang a reload. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, &st) < 0) {
		*why = "no such zone";
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (tz = cache; tz != NULL; tz = tz->next)
		if (strcmp(tz->path, path) == 0 && strcmp(tz->name, name) == 0 &&
		    tz->dev == st.st_dev && tz->ino == st.st_ino && tz->size == st.st_size &&
		    tz->mtime_ns == mtime_ns(&st)) {
			close(fd);
			return tz;
		}
	data = read_file(fd, &st, &len, why);
	close(fd);
	if (data == NULL)
		return NULL;
	tz = sb_tz_parse(name, data, len, why);
	free(data);
	if (tz == NULL)
		return NULL;
	if ((tz->path = strdup(path)) == NULL) {
		sb_tz_free(tz);
		*why = "out of memory";
		return NULL;
	}
	tz->dev = st.st_dev;
	tz->ino = st.st_ino;
	tz->size = st.st_size;
	tz->mtime_ns = mtime_ns(&st);
	/* Older entries stay: a configuration still running may point at them. */
	tz->next = cache;
	cache = tz;
	return tz;
}

void
sb_tz_cache_clear(void)
{
	while (cache != NULL) {
		struct sb_tz *next = cache->next;

		sb_tz_free(cache);
		cache = next;
	}
}
