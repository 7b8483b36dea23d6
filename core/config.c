/*
 * config.c - switchboard's configuration schema: node tree in, sb_config out.
 *
 * Owns: the key tables of every section with their defaults and limits, the
 * value syntaxes that are ours (listen addresses, modes, hours, day specs,
 * API key hashes), and the cross-references (chains name channel instances,
 * subaccounts name chains). Every mistake is recorded, not just the first.
 * It never applies anything, and never judges plugin-specific keys: those
 * stay unused in each instance's node for the loader to check after init.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "xalloc.h"
#include "tz.h"

/* Enum fields are stored through an int pointer by the tables below. */
_Static_assert(sizeof(enum sb_log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sb_outside_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sb_undeliverable_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sb_poll_mode) == sizeof(int), "enum size");

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NAME_MAX_LEN SB_NAME_MAX
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
#define MAX_RATE 1e9

/* Appends to a "a, b" list; `list` is malloc'd or NULL. */
static char *
list_add(char *list, const char *item)
{
	char *s = list ? sb_xasprintf("%s, %s", list, item) : sb_xstrdup(item);

	free(list);
	return s;
}

/* A new zeroed element at the end of a growing array. */
#define GROW(arr, n) \
	((arr) = sb_xrealloc((arr), (n) + 1, sizeof(*(arr))), \
	memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

static const char *
type_name(const struct sb_cfg *n)
{
	static const char *const names[] = {
		[SB_CFG_SCALAR] = "a string", [SB_CFG_MAP] = "a mapping",
		[SB_CFG_SEQ] = "a sequence", [SB_CFG_NULL] = "nothing",
	};

	return names[n->type];
}

/* ---- the table machinery ---- */

struct load {
	struct sb_config *cfg;
	const char *where;         /* "daemon", "plugins.sms_main": for messages */
};

enum field_type { F_STR, F_INT, F_NUM, F_DUR, F_ENUM, F_MODE, F_CUSTOM };

struct enum_name {
	const char *name;
	int value;
};

struct field {
	const char *key;
	enum field_type type;
	size_t off;                        /* into the struct being filled */
	int required;
	const char *defs;                  /* defaults: F_STR (or NULL), */
	int64_t defi;                      /* F_INT, F_DUR, F_ENUM, F_MODE, */
	double deff;                       /* F_NUM */
	int64_t min, max;                  /* F_INT, F_DUR */
	double fmin, fmax;                 /* F_NUM */
	const struct enum_name *names;     /* F_ENUM, ends at a NULL name */
	const struct field *sub;           /* set_section: a mapping of these */
	size_t nsub;
	const struct pattern *pat;         /* F_STR: its syntax, or NULL */
	int arg;                           /* F_CUSTOM: a parameter for it */
	/* F_STR: judge the value further, record an error, return -1 if bad. */
	int (*check)(struct load *ld, struct sb_cfg *node, const char *key,
	    const char *val);
	/* F_CUSTOM: read `key` of `map` into `base` (also when absent). */
	void (*custom)(struct load *ld, struct sb_cfg *map,
	    const struct field *f, void *base);
};

/* A string syntax that is a character set and a length: one row each. */
struct pattern {
	const char *prefix;        /* literal start, or NULL */
	const char *chars;         /* allowed after it; NULL: any */
	size_t min, max;           /* length after the prefix */
	const char *expected;
	int secret;                /* never echo the value: it may be a credential */
};

static const struct pattern pat_text = { NULL, NULL, 1, 4096, "a non-empty string", 0 };
static const struct pattern pat_name = { NULL, NAME_CHARS, 1, NAME_MAX_LEN,
	"1 to 64 letters, digits, '_' or '-'", 0 };
static const struct pattern pat_module = { NULL, "abcdefghijklmnopqrstuvwxyz0123456789_",
	1, NAME_MAX_LEN, "lowercase letters, digits and '_'", 0 };
static const struct pattern pat_country = { NULL, "0123456789", 1, 3,
	"1 to 3 digits, e.g. \"55\"", 0 };
static const struct pattern pat_api_key = { "sha256:", "0123456789abcdef", 64, 64,
	"\"sha256:\" and 64 lowercase hex digits: the hash, not the key", 1 };
static const struct pattern pat_socket = { NULL, NULL, 1,
	sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
	"a path short enough for a Unix socket", 0 };

static int
match(const struct pattern *p, const char *v)
{
	size_t n, pl = p->prefix ? strlen(p->prefix) : 0;

	if (pl && strncmp(v, p->prefix, pl) != 0)
		return 0;
	n = strlen(v += pl);
	return n >= p->min && n <= p->max && (!p->chars || !v[strspn(v, p->chars)]);
}

static int
check_pattern(struct sb_cfg *node, const char *key, const char *v,
    const struct pattern *p)
{
	if (match(p, v))
		return 0;
	if (p->secret)
		sb_cfg_error(node, "malformed value for '%s' (expected %s)", key, p->expected);
	else
		sb_cfg_error(node, "bad value '%.60s' for '%s' (expected %s)", v, key,
		    p->expected);
	return -1;
}

/*
 * "missing key" belongs where the operator would add it: at the key naming
 * the mapping ("sms_main:"), not at the mapping's first child.
 */
static void
missing(struct load *ld, struct sb_cfg *map, const char *key, const char *hint)
{
	struct sb_cfg at = *map;

	if (map->key_line) {
		at.line = map->key_line;
		at.col = map->key_col;
	}
	sb_cfg_error(&at, "missing required key '%s' in %s%s", key, ld->where, hint);
}

/* A mapping under `key`; NULL when absent or not a mapping (recorded). */
static struct sb_cfg *
get_map(struct sb_cfg *map, const char *key)
{
	struct sb_cfg *n = sb_cfg_get(map, key);

	if (!n || n->type == SB_CFG_NULL)
		return NULL;
	if (n->type == SB_CFG_MAP)
		return n;
	sb_cfg_error(n, "expected a mapping for '%s', got %s", key, type_name(n));
	return NULL;
}

static void apply_fields(struct load *ld, struct sb_cfg *map,
    const struct field *f, size_t n, void *base);

static void
set_str(struct load *ld, const struct field *f, struct sb_cfg *map, void *p)
{
	const char *s;

	if (sb_cfg_string(map, f->key, NULL, &s) != 0 ||
	    (f->pat && check_pattern(sb_cfg_get(map, f->key), f->key, s, f->pat) < 0) ||
	    (f->check && f->check(ld, sb_cfg_get(map, f->key), f->key, s) < 0))
		return;
	free(*(char **)p);
	*(char **)p = sb_xstrdup(s);
}

static void
set_int(struct load *ld, const struct field *f, struct sb_cfg *map, void *p)
{
	int64_t v;
	int dur = f->type == F_DUR;

	if ((dur ? sb_cfg_duration_ms(map, f->key, 0, &v) :
	    sb_cfg_int(map, f->key, 0, &v)) != 0)
		return;
	if (v >= f->min && v <= f->max) {
		*(int64_t *)p = v;
	} else if (dur) {
		sb_cfg_error(sb_cfg_get(map, f->key), v < f->min ?
		    "bad duration '%s' for '%s' (expected more than 0, e.g. 30s)" :
		    "bad duration '%s' for '%s' (expected at most %lldms)",
		    sb_cfg_scalar(sb_cfg_get(map, f->key)), f->key, (long long)f->max);
	} else {
		sb_cfg_error(sb_cfg_get(map, f->key),
		    "bad value %lld for '%s' (expected an integer from %lld to %lld)",
		    (long long)v, f->key, (long long)f->min, (long long)f->max);
	}
}

static void
set_num(struct load *ld, const struct field *f, struct sb_cfg *map, void *p)
{
	double v;

	if (sb_cfg_double(map, f->key, 0, &v) != 0)
		return;
	if (v >= f->fmin && v <= f->fmax)
		*(double *)p = v;
	else
		sb_cfg_error(sb_cfg_get(map, f->key),
		    "bad value %g for '%s' (expected a number from %g to %g)",
		    v, f->key, f->fmin, f->fmax);
}

static void
set_enum(struct load *ld, const struct field *f, struct sb_cfg *map, void *p)
{
	const struct enum_name *e;
	const char *s;
	char *list = NULL;

	if (sb_cfg_string(map, f->key, NULL, &s) != 0)
		return;
	for (e = f->names; e->name && strcmp(e->name, s) != 0; e++)
		list = list_add(list, e->name);
	if (e->name) {
		*(int *)p = e->value;
	} else {
		sb_cfg_error(sb_cfg_get(map, f->key),
		    "bad value '%.60s' for '%s' (expected one of: %s)", s, f->key, list);
	}
	free(list);
}

/* Octal whether written "0660", 0660 or 0o660: a mode is never decimal. */
static void
set_mode(struct load *ld, const struct field *f, struct sb_cfg *map, void *p)
{
	const char *s, *d;
	long v = -1;

	if (sb_cfg_string(map, f->key, NULL, &s) != 0)
		return;
	d = strncmp(s, "0o", 2) == 0 ? s + 2 : s;
	if (*d && strlen(d) <= 4 && !d[strspn(d, "01234567")])
		v = strtol(d, NULL, 8);
	if (v >= 0 && v <= 0777)
		*(int *)p = (int)v;
	else
		sb_cfg_error(sb_cfg_get(map, f->key),
		    "bad mode '%.60s' for '%s' (expected an octal mode from 0000 to 0777, e.g. \"0660\")",
		    s, f->key);
}

/* A fixed mapping (daemon:, retry:); absent, it still gets its defaults. */
static void
set_section(struct load *ld, struct sb_cfg *map, const struct field *f, void *base)
{
	struct sb_cfg *sec = get_map(map, f->key);
	struct load sub = { ld->cfg, f->key };

	apply_fields(&sub, sec, f->sub, f->nsub, (char *)base + f->off);
	sb_cfg_check_unused(sec, f->key);
}

static void
set_default(const struct field *f, void *p)
{
	if (f->type == F_STR && f->defs)
		*(char **)p = sb_xstrdup(f->defs);
	else if (f->type == F_INT || f->type == F_DUR)
		*(int64_t *)p = f->defi;
	else if (f->type == F_ENUM || f->type == F_MODE)
		*(int *)p = (int)f->defi;
	else if (f->type == F_NUM)
		*(double *)p = f->deff;
}

static void (*const setters[])(struct load *, const struct field *,
    struct sb_cfg *, void *) = {
	[F_STR] = set_str, [F_INT] = set_int, [F_NUM] = set_num,
	[F_DUR] = set_int, [F_ENUM] = set_enum, [F_MODE] = set_mode,
};

/*
 * Fills `base` from `map` (which may be NULL: all defaults) by the table.
 * Reading every key of the table, present or not, is what gives
 * sb_cfg_check_unused its "expected one of" list.
 */
static void
apply_fields(struct load *ld, struct sb_cfg *map, const struct field *f,
    size_t n, void *base)
{
	for (; n--; f++) {
		struct sb_cfg *node = sb_cfg_get(map, f->key);

		set_default(f, (char *)base + f->off);
		if (f->type == F_CUSTOM)
			f->custom(ld, map, f, base);
		else if (node && node->type != SB_CFG_NULL)
			setters[f->type](ld, f, map, (char *)base + f->off);
		else if (f->required && map)
			missing(ld, map, f->key, "");
	}
}

/* Instances, chains and subaccounts are named in URLs, logs and the CLI. */
static struct sb_cfg *
get_entry(struct sb_cfg *sec, size_t i, const char *what, const char **name,
    enum sb_cfg_type want)
{
	struct sb_cfg *n = sb_cfg_item(sec, i, name);
	const char *s = *name;

	if (!match(&pat_name, s)) {
		sb_cfg_key_error(sec, i, "bad %s name '%.60s' (expected %s)", what, s,
		    pat_name.expected);
		return NULL;
	}
	if (n->type != want && want == SB_CFG_MAP) {
		if (n->type == SB_CFG_NULL)
			sb_cfg_key_error(sec, i, "expected a mapping for %s '%s'", what, s);
		else
			sb_cfg_error(n, "expected a mapping for %s '%s', got %s", what, s,
			    type_name(n));
		return NULL;
	}
	return n;
}

/* ---- value checks ---- */

/* Country calling codes start with 1-9: "0" would turn national numbers into garbage. */
static int
check_country(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	if (v[0] != '0')
		return 0;
	sb_cfg_error(node, "bad country calling code '%.8s' for '%s' (expected 1 to 3 digits"
	    " not starting with 0, e.g. \"55\")", v, key);
	return -1;
}

static int
check_listen(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	char host[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *port;
	size_t hlen;

	if (v[0] == '[') {
		hlen = strcspn(v + 1, "]");
		if (hlen == 0 || hlen >= sizeof(host) || strncmp(v + 1 + hlen, "]:", 2))
			goto bad;
		memcpy(host, v + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			goto bad;
		port = v + hlen + 3;
	} else {
		/* No ':' in the host part: a bare IPv6 address is ambiguous. */
		hlen = strspn(v, NAME_CHARS ".");
		if (hlen == 0 || v[hlen] != ':')
			goto bad;
		port = v + hlen + 1;
	}
	if (*port && strlen(port) <= 5 && !port[strspn(port, "0123456789")] &&
	    atoi(port) >= 1 && atoi(port) <= 65535)
		return 0;
bad:
	sb_cfg_error(node,
	    "bad address '%.60s' for '%s' (expected host:port or [v6]:port, port 1-65535)",
	    v, key);
	return -1;
}

static int
check_url(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	if ((strncmp(v, "http://", 7) == 0 && v[7]) ||
	    (strncmp(v, "https://", 8) == 0 && v[8]))
		return 0;
	sb_cfg_error(node, "bad URL '%.60s' for '%s' (expected http://... or https://...)",
	    v, key);
	return -1;
}

/* The zone file is read here, at load, never per message (tz.c caches it). */
static int
check_timezone(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	const char *why = NULL;

	if (sb_tz_get(v, &why) != NULL)
		return 0;
	if (sb_timezone_exists(v))
		sb_cfg_error(node, "timezone '%.60s' cannot be used: %s", v, why);
	else
		sb_cfg_error(node,
		    "unknown timezone '%.60s' (expected an IANA name such as America/Sao_Paulo)", v);
	return -1;
}

static int
check_api_key(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	if (check_pattern(node, key, v, &pat_api_key) < 0)
		return -1;
	/* A key must identify one subaccount; the last one is being loaded. */
	for (size_t i = 0; i + 1 < ld->cfg->nsubaccounts; i++) {
		const struct sb_config_subaccount *o = &ld->cfg->subaccounts[i];

		for (size_t k = 0; k < o->napi_keys; k++) {
			if (strcmp(o->api_keys[k], v) == 0) {
				sb_cfg_error(node, "api key already belongs to subaccount '%s'",
				    o->name);
				return -1;
			}
		}
	}
	return 0;
}

static int
check_chain_exists(struct load *ld, struct sb_cfg *node, const char *key, const char *v)
{
	char *known = NULL;

	if (sb_config_chain(ld->cfg, v))
		return 0;
	for (size_t i = 0; i < ld->cfg->nchains; i++)
		known = list_add(known, ld->cfg->chains[i].name);
	sb_cfg_error(node, "unknown chain '%.60s' (known: %s)", v, known ? known : "none");
	free(known);
	return -1;
}

/* ---- daemon, retry ---- */

static const struct enum_name log_levels[] = {
	{ "error", SB_LOG_ERROR }, { "warn", SB_LOG_WARN },
	{ "info", SB_LOG_INFO }, { "debug", SB_LOG_DEBUG }, { NULL, 0 },
};
static const struct enum_name sync_modes[] = {
	{ "full", 1 }, { "normal", 0 }, { NULL, 0 },
};

#define D(m) offsetof(struct sb_config_daemon, m)
static const struct field daemon_fields[] = {
	{ .key = "control_socket", .type = F_STR, .off = D(control_socket), .pat = &pat_socket, .defs = SB_RUNDIR "/control.sock" },
	{ .key = "control_mode", .type = F_MODE, .off = D(control_mode), .defi = 0660 },
	{ .key = "control_group", .type = F_STR, .off = D(control_group), .pat = &pat_text },
	{ .key = "http_listen", .type = F_STR, .off = D(http_listen), .check = check_listen },
	{ .key = "public_url", .type = F_STR, .off = D(public_url), .check = check_url },
	{ .key = "http_max_body", .type = F_INT, .off = D(http_max_body), .min = 1, .max = INT32_MAX, .defi = 1 << 20 },
	{ .key = "broadcast_file_max", .type = F_INT, .off = D(broadcast_file_max), .min = 1024, .max = INT32_MAX, .defi = 16 << 20 },
	{ .key = "http_max_connections", .type = F_INT, .off = D(http_max_connections), .min = 1, .max = 1000000, .defi = 512 },
	{ .key = "http_header_timeout", .type = F_DUR, .off = D(http_header_timeout_ms), .min = 1, .max = 3600000, .defi = 10000 },
	{ .key = "http_body_timeout", .type = F_DUR, .off = D(http_body_timeout_ms), .min = 1, .max = 3600000, .defi = 30000 },
	{ .key = "database", .type = F_STR, .off = D(database), .pat = &pat_text, .defs = SB_STATEDIR "/switchboard.db" },
	{ .key = "plugin_dir", .type = F_STR, .off = D(plugin_dir), .pat = &pat_text },
	{ .key = "log_level", .type = F_ENUM, .off = D(log_level), .names = log_levels, .defi = SB_LOG_INFO },
	{ .key = "commit_interval", .type = F_DUR, .off = D(commit_interval_ms), .min = 0, .max = 60000, .defi = 0 },
	{ .key = "commit_max", .type = F_INT, .off = D(commit_max), .min = 1, .max = INT32_MAX, .defi = 4096 },
	{ .key = "sync", .type = F_ENUM, .off = D(sync_full), .names = sync_modes, .defi = 1 },
};

#define R(m) offsetof(struct sb_config_retry, m)
static const struct field retry_fields[] = {
	{ .key = "max_attempts", .type = F_INT, .off = R(max_attempts), .min = 1, .max = 1000000, .defi = 5 },
	{ .key = "initial", .type = F_DUR, .off = R(initial_ms), .min = 1, .max = INT64_MAX, .defi = 10000 },
	{ .key = "max", .type = F_DUR, .off = R(max_ms), .min = 1, .max = INT64_MAX, .defi = 600000 },
	{ .key = "multiplier", .type = F_NUM, .off = R(multiplier), .fmin = 1, .fmax = 1000, .deff = 2.0 },
	{ .key = "jitter", .type = F_NUM, .off = R(jitter), .fmin = 0, .fmax = 1, .deff = 0.2 },
};

/* ---- plugins and filters ---- */

/* Minutes at first, hours later: most receipts come in the first minutes. */
static const int64_t default_poll_intervals[] = {
	60000, 5 * 60000, 15 * 60000, 3600000, 4 * 3600000,
};

/* poll: {enabled, intervals: [1m, 5m, ...], until: 24h}; absent: auto. */
static void
load_poll(struct load *ld, struct sb_cfg *map, const struct field *f, void *base)
{
	struct sb_config_poll *p = &((struct sb_config_instance *)base)->poll;
	struct sb_cfg *sec = get_map(map, f->key), *iv;
	char *where;
	int on = 1;

	p->mode = SB_POLL_AUTO;
	p->nintervals = NELEM(default_poll_intervals);
	memcpy(p->intervals_ms, default_poll_intervals, sizeof(default_poll_intervals));
	p->until_ms = 24 * 3600000LL;
	if (!sec)
		return;
	sb_cfg_bool(sec, "enabled", 1, &on);
	p->mode = on ? SB_POLL_ON : SB_POLL_OFF;
	if (sb_cfg_duration_ms(sec, "until", p->until_ms, &p->until_ms) == 0 &&
	    p->until_ms <= 0)
		sb_cfg_error(sb_cfg_get(sec, "until"),
		    "bad duration for 'until' (expected more than 0, e.g. 24h)");
	iv = sb_cfg_get(sec, "intervals");
	if (iv && iv->type != SB_CFG_NULL) {
		if (iv->type != SB_CFG_SEQ || iv->n == 0 || iv->n > SB_POLL_MAX_INTERVALS) {
			sb_cfg_error(iv, "expected a sequence of 1 to %d durations for 'intervals',"
			    " e.g. [1m, 5m, 15m, 1h, 4h]", SB_POLL_MAX_INTERVALS);
		} else {
			p->nintervals = iv->n;
			for (size_t i = 0; i < iv->n; i++) {
				const char *v = sb_cfg_scalar(iv->items[i]);

				if (!v || sb_parse_duration_ms(v, &p->intervals_ms[i]) < 0 ||
				    p->intervals_ms[i] <= 0)
					sb_cfg_error(iv->items[i], "bad poll interval '%.60s' (expected a"
					    " duration of more than 0, e.g. 5m)", v ? v : "");
			}
		}
	}
	where = sb_xasprintf("%s.%s", ld->where, f->key);
	sb_cfg_check_unused(sec, where);
	free(where);
}

static const struct enum_name in_doubt_policies[] = {
	{ "auto", SB_IN_DOUBT_AUTO }, { "resend", SB_IN_DOUBT_RESEND },
	{ "review", SB_IN_DOUBT_REVIEW }, { NULL, 0 },
};

#define I(m) offsetof(struct sb_config_instance, m)
static const struct field instance_fields[] = {
	{ .key = "module", .type = F_STR, .off = I(module), .required = 1, .pat = &pat_module },
	{ .key = "rate", .type = F_NUM, .off = I(rate), .fmin = 0, .fmax = MAX_RATE },
	{ .key = "burst", .type = F_INT, .off = I(burst), .min = 1, .max = (int64_t)MAX_RATE, .defi = -1 },
	{ .key = "max_in_flight", .type = F_INT, .off = I(max_in_flight), .min = 1, .max = 1000000, .defi = 64 },
	{ .key = "send_ahead", .type = F_INT, .off = I(send_ahead), .min = 0, .max = 1000000, .defi = 0 },
	{ .key = "timeout", .type = F_DUR, .off = I(timeout_ms), .min = 1, .max = INT64_MAX, .defi = 10000 },
	{ .key = "in_doubt", .type = F_ENUM, .off = I(in_doubt), .names = in_doubt_policies, .defi = SB_IN_DOUBT_AUTO },
	{ .key = "subaccount", .type = F_STR, .off = I(subaccount), .pat = &pat_text },
	{ .key = "poll", .type = F_CUSTOM, .custom = load_poll },
};

/* Default bucket: one second's worth, and at least one token. */
static void
default_burst(int64_t *burst, double rate)
{
	if (*burst >= 0)
		return;
	*burst = (int64_t)rate;
	*burst += *burst < rate;
	*burst += *burst < 1;
}

/* plugins: and filters: alike; f->arg is the kind. */
static void
load_instances(struct load *ld, struct sb_cfg *root, const struct field *f,
    void *base)
{
	struct sb_config *cfg = ld->cfg;
	struct sb_cfg *sec = get_map(root, f->key), *node;

	for (size_t i = 0; i < sb_cfg_len(sec); i++) {
		const struct sb_config_instance *dup;
		struct sb_config_instance *inst;
		const char *name;
		struct load sub = { cfg, NULL };

		if (!(node = get_entry(sec, i, "instance", &name, SB_CFG_MAP)))
			continue;
		/* Chains and /hooks/<name> address instances by name alone. */
		if ((dup = sb_config_instance(cfg, name))) {
			sb_cfg_key_error(sec, i, "instance name '%s' is already used in %s (at %d:%d)",
			    name, dup->kind == SB_PLUGIN_FILTER ? "filters" : "plugins",
			    dup->node->key_line, dup->node->key_col);
			continue;
		}
		inst = GROW(cfg->instances, cfg->ninstances);
		*inst = (struct sb_config_instance){ .name = sb_xstrdup(name), .kind = f->arg,
			.node = node };
		sub.where = sb_xasprintf("%s.%s", f->key, name);
		apply_fields(&sub, node, instance_fields, NELEM(instance_fields), inst);
		free((char *)sub.where);
		default_burst(&inst->burst, inst->rate);
	}
}

/* ---- chains ---- */

static const struct enum_name undeliverable_policies[] = {
	{ "next", SB_UNDELIV_NEXT }, { "wait", SB_UNDELIV_WAIT }, { NULL, 0 },
};

#define S(m) offsetof(struct sb_config_step, m)
static const struct field step_fields[] = {
	{ .key = "channel", .type = F_STR, .off = S(channel), .required = 1, .pat = &pat_text },
	{ .key = "fallback_after", .type = F_DUR, .off = S(fallback_after_ms), .min = 0, .max = INT64_MAX },
	{ .key = "on_undeliverable", .type = F_ENUM, .off = S(on_undeliverable), .names = undeliverable_policies },
};

static void
resolve_step(struct load *ld, struct sb_cfg *map, struct sb_config_step *st)
{
	const struct sb_config *cfg = ld->cfg;
	const struct sb_config_instance *inst;
	const char *fa = sb_cfg_scalar(sb_cfg_get(map, "fallback_after"));
	char *known = NULL;
	int64_t ms;

	/* A fallback_after that failed to parse was reported already. */
	if (st->on_undeliverable == SB_UNDELIV_WAIT && st->fallback_after_ms == 0 &&
	    (!fa || sb_parse_duration_ms(fa, &ms) == 0))
		sb_cfg_error(sb_cfg_get(map, "on_undeliverable"),
		    "on_undeliverable: wait needs a fallback_after greater than 0 in %s",
		    ld->where);
	if (!st->channel)
		return;
	inst = sb_config_instance(cfg, st->channel);
	if (inst && inst->kind == SB_PLUGIN_CHANNEL) {
		st->instance = (size_t)(inst - cfg->instances);
		return;
	}
	for (size_t i = 0; i < cfg->ninstances; i++)
		if (cfg->instances[i].kind == SB_PLUGIN_CHANNEL)
			known = list_add(known, cfg->instances[i].name);
	sb_cfg_error(sb_cfg_get(map, "channel"), inst ?
	    "'%.60s' is a filter instance, not a channel (known channels: %s)" :
	    "unknown channel instance '%.60s' (known: %s)",
	    st->channel, known ? known : "none");
	free(known);
}

static void
load_chains(struct load *ld, struct sb_cfg *root, const struct field *f,
    void *base)
{
	struct sb_config *cfg = ld->cfg;
	struct sb_cfg *sec = get_map(root, f->key), *seq;

	for (size_t i = 0; i < sb_cfg_len(sec); i++) {
		struct sb_config_chain *ch;
		const char *name;

		if (!(seq = get_entry(sec, i, "chain", &name, SB_CFG_SEQ)))
			continue;
		/* Kept even when broken, so subaccounts naming it add no noise. */
		ch = GROW(cfg->chains, cfg->nchains);
		ch->name = sb_xstrdup(name);
		if (seq->type != SB_CFG_SEQ && seq->type != SB_CFG_NULL) {
			sb_cfg_error(seq, "expected a sequence of steps for chain '%s', got %s",
			    name, type_name(seq));
			continue;
		}
		if (sb_cfg_len(seq) == 0) {
			sb_cfg_key_error(sec, i, "chain '%s' has no steps (expected at least one)",
			    name);
			continue;
		}
		ch->steps = sb_xrealloc(NULL, seq->n, sizeof(*ch->steps));
		memset(ch->steps, 0, seq->n * sizeof(*ch->steps));
		ch->nsteps = seq->n;
		for (size_t k = 0; k < seq->n; k++) {
			struct sb_cfg *step = seq->items[k];
			struct load sub = { cfg, NULL };

			if (step->type != SB_CFG_MAP) {
				sb_cfg_error(step, "expected a mapping with 'channel' for step %zu of chain '%s', got %s",
				    k + 1, name, type_name(step));
				continue;
			}
			sub.where = sb_xasprintf("chains.%s[%zu]", name, k);
			apply_fields(&sub, step, step_fields, NELEM(step_fields), &ch->steps[k]);
			resolve_step(&sub, step, &ch->steps[k]);
			sb_cfg_check_unused(step, sub.where);
			free((char *)sub.where);
		}
	}
}

static void
load_hours(struct load *ld, struct sb_cfg *map, const struct field *f,
    void *base)
{
	struct sb_cfg *node = get_map(map, f->key);

	if (node)
		sb_config_hours_parse(node, &((struct sb_config_subaccount *)base)->hours);
}

/* ---- subaccounts ---- */

/* A sequence of strings into a NULL-terminated array (never NULL itself). */
static void
load_list(struct load *ld, struct sb_cfg *map, const char *key, char ***out,
    size_t *n, int required,
    int (*check)(struct load *, struct sb_cfg *, const char *, const char *))
{
	struct sb_cfg *node = sb_cfg_get(map, key);

	*out = sb_xrealloc(NULL, sb_cfg_len(node) + 1, sizeof(**out));
	**out = NULL;
	*n = 0;
	if (!node || node->type == SB_CFG_NULL) {
		if (required)
			missing(ld, map, key, " (expected a sequence, e.g. [default])");
		return;
	}
	if (node->type != SB_CFG_SEQ || (required && node->n == 0)) {
		sb_cfg_error(node, "expected a non-empty sequence of strings for '%s', got %s",
		    key, node->type == SB_CFG_SEQ ? "an empty one" : type_name(node));
		return;
	}
	for (size_t i = 0; i < node->n; i++) {
		struct sb_cfg *it = node->items[i];
		size_t k = 0;

		if (it->type != SB_CFG_SCALAR) {
			sb_cfg_error(it, "expected a string in '%s', got %s", key, type_name(it));
			continue;
		}
		while (k < *n && strcmp((*out)[k], it->scalar) != 0)
			k++;
		if (k < *n)
			sb_cfg_error(it, "the same entry is listed twice in '%s'", key);
		else if (check(ld, it, key, it->scalar) == 0)
			(*out)[(*n)++] = sb_xstrdup(it->scalar);
		(*out)[*n] = NULL;
	}
}

static void
load_sub_chains(struct load *ld, struct sb_cfg *map, const struct field *f,
    void *base)
{
	struct sb_config_subaccount *sa = base;

	load_list(ld, map, f->key, &sa->chains, &sa->nchains, 1, check_chain_exists);
}

/*
 * API keys: each a "sha256:<hex>" string, or {hash: "sha256:<hex>", name:
 * ops-team}; the name is who triggered a broadcast made with that key.
 */
static void
load_api_keys(struct load *ld, struct sb_cfg *map, const struct field *f,
    void *base)
{
	struct sb_config_subaccount *sa = base;
	struct sb_cfg *node = sb_cfg_get(map, f->key);
	size_t cap = sb_cfg_len(node) + 1;

	sa->api_keys = sb_xrealloc(NULL, cap, sizeof(*sa->api_keys));
	sa->api_key_names = sb_xrealloc(NULL, cap, sizeof(*sa->api_key_names));
	sa->api_keys[0] = NULL;
	sa->napi_keys = 0;
	if (!node || node->type == SB_CFG_NULL)
		return;
	if (node->type != SB_CFG_SEQ) {
		sb_cfg_error(node, "expected a sequence for '%s', got %s", f->key, type_name(node));
		return;
	}
	for (size_t i = 0; i < node->n; i++) {
		struct sb_cfg *it = node->items[i], *h = it, *nm = NULL;
		size_t k = 0;

		if (it->type == SB_CFG_MAP) {
			for (size_t j = 0; j < it->n; j++)
				if (strcmp(it->keys[j], "hash") != 0 && strcmp(it->keys[j], "name") != 0)
					sb_cfg_error(it->items[j], "unknown key '%s' in an entry of '%s'"
					    " (expected hash, name)", it->keys[j], f->key);
			h = sb_cfg_get(it, "hash");
			nm = sb_cfg_get(it, "name");
			if (h == NULL) {
				missing(ld, it, "hash", " (sha256:<64 hex>)");
				continue;
			}
		}
		if (h->type != SB_CFG_SCALAR || (nm != NULL && nm->type != SB_CFG_SCALAR)) {
			sb_cfg_error(h->type != SB_CFG_SCALAR ? h : nm, "expected a string or"
			    " {hash, name} in '%s'", f->key);
			continue;
		}
		while (k < sa->napi_keys && strcmp(sa->api_keys[k], h->scalar) != 0)
			k++;
		if (k < sa->napi_keys) {
			sb_cfg_error(h, "the same entry is listed twice in '%s'", f->key);
		} else if (check_api_key(ld, h, f->key, h->scalar) == 0) {
			sa->api_key_names[sa->napi_keys] = nm != NULL ? sb_xstrdup(nm->scalar) : NULL;
			sa->api_keys[sa->napi_keys++] = sb_xstrdup(h->scalar);
		}
		sa->api_keys[sa->napi_keys] = NULL;
	}
}

static void
load_events(struct load *ld, struct sb_cfg *map, const struct field *f, void *base)
{
	struct sb_config_subaccount *sa = base;

	sb_config_events_parse(sb_cfg_get(map, f->key), ld->where, &sa->events);
}

static const struct enum_name outside_policies[] = {
	{ "defer", SB_OUTSIDE_DEFER }, { "block", SB_OUTSIDE_BLOCK }, { NULL, 0 },
};

#define A(m) offsetof(struct sb_config_subaccount, m)
static const struct field subaccount_fields[] = {
	{ .key = "timezone", .type = F_STR, .off = A(timezone), .required = 1, .check = check_timezone },
	{ .key = "allowed_hours", .type = F_CUSTOM, .custom = load_hours },
	{ .key = "outside_hours", .type = F_ENUM, .off = A(outside), .names = outside_policies },
	{ .key = "chains", .type = F_CUSTOM, .custom = load_sub_chains },
	{ .key = "default_chain", .type = F_STR, .off = A(default_chain), .pat = &pat_text },
	{ .key = "api_keys", .type = F_CUSTOM, .custom = load_api_keys },
	{ .key = "rate", .type = F_NUM, .off = A(rate), .fmin = 0, .fmax = MAX_RATE },
	{ .key = "burst", .type = F_INT, .off = A(burst), .min = 1, .max = (int64_t)MAX_RATE, .defi = -1 },
	{ .key = "max_in_flight", .type = F_INT, .off = A(max_in_flight), .min = 0, .max = 1000000, .defi = 0 },
	{ .key = "default_country", .type = F_STR, .off = A(default_country), .pat = &pat_country, .check = check_country },
	{ .key = "sender", .type = F_STR, .off = A(sender), .pat = &pat_text },
	{ .key = "validity", .type = F_DUR, .off = A(validity_ms), .min = 1, .max = INT64_MAX },
	{ .key = "events", .type = F_CUSTOM, .custom = load_events },
};

static void
load_subaccounts(struct load *ld, struct sb_cfg *root, const struct field *f,
    void *base)
{
	struct sb_config *cfg = ld->cfg;
	struct sb_cfg *sec = get_map(root, f->key), *node;

	for (size_t i = 0; i < sb_cfg_len(sec); i++) {
		struct sb_config_subaccount *sa;
		struct load sub = { cfg, NULL };
		const char *name;
		char *known = NULL;
		size_t k = 0;

		if (!(node = get_entry(sec, i, "subaccount", &name, SB_CFG_MAP)))
			continue;
		sa = GROW(cfg->subaccounts, cfg->nsubaccounts);
		sa->name = sb_xstrdup(name);
		sub.where = sb_xasprintf("subaccounts.%s", name);
		apply_fields(&sub, node, subaccount_fields, NELEM(subaccount_fields), sa);
		if (sa->timezone != NULL)
			sa->tz = sb_tz_get(sa->timezone, NULL);
		default_burst(&sa->burst, sa->rate);
		sb_cfg_check_unused(node, sub.where);
		free((char *)sub.where);
		if (!sa->default_chain) {
			if (sa->nchains)
				sa->default_chain = sb_xstrdup(sa->chains[0]);
			continue;
		}
		for (; k < sa->nchains && strcmp(sa->chains[k], sa->default_chain); k++)
			known = list_add(known, sa->chains[k]);
		if (k == sa->nchains && sa->nchains)
			sb_cfg_error(sb_cfg_get(node, "default_chain"),
			    "default_chain '%.60s' is not in this subaccount's chains (expected one of: %s)",
			    sa->default_chain, known);
		free(known);
	}
}

/* ---- the whole file ---- */

static void
load_console(struct load *ld, struct sb_cfg *root, const struct field *f, void *base)
{
	sb_config_console_parse(sb_cfg_get(root, f->key), ld->cfg);
}

/* Order matters: chains refer to instances, subaccounts to chains. */
#define C(m) offsetof(struct sb_config, m)
static const struct field top_fields[] = {
	{ .key = "daemon", .type = F_CUSTOM, .custom = set_section, .off = C(daemon), .sub = daemon_fields, .nsub = NELEM(daemon_fields) },
	{ .key = "retry", .type = F_CUSTOM, .custom = set_section, .off = C(retry), .sub = retry_fields, .nsub = NELEM(retry_fields) },
	{ .key = "validity", .type = F_DUR, .off = C(validity_ms), .min = 1, .max = INT64_MAX, .defi = 48 * 3600000LL },
	{ .key = "plugins", .type = F_CUSTOM, .custom = load_instances, .arg = SB_PLUGIN_CHANNEL },
	{ .key = "filters", .type = F_CUSTOM, .custom = load_instances, .arg = SB_PLUGIN_FILTER },
	{ .key = "chains", .type = F_CUSTOM, .custom = load_chains },
	{ .key = "subaccounts", .type = F_CUSTOM, .custom = load_subaccounts },
	{ .key = "console", .type = F_CUSTOM, .custom = load_console },
};

/* Rules that span keys of a section, once every key is read. */
static void
finish(struct sb_config *cfg, struct sb_cfg *root)
{
	struct sb_config_daemon *d = &cfg->daemon;
	struct sb_cfg *retry_max = sb_cfg_get(get_map(root, "retry"), "max");

	if (d->http_listen && !d->public_url)
		d->public_url = sb_xasprintf("http://%s", d->http_listen);
	if (cfg->retry.max_ms < cfg->retry.initial_ms)
		sb_cfg_error(retry_max ? retry_max : root,
		    "retry 'max' is shorter than 'initial' (expected max >= initial)");
	/* Where an instance files what comes in: a subaccount that exists. */
	for (size_t i = 0; i < cfg->ninstances; i++)
		if (cfg->instances[i].subaccount != NULL &&
		    sb_config_subaccount(cfg, cfg->instances[i].subaccount) == NULL)
			sb_cfg_error(sb_cfg_get(cfg->instances[i].node, "subaccount"),
			    "unknown subaccount '%.60s' for instance '%s'",
			    cfg->instances[i].subaccount, cfg->instances[i].name);
}

/* Takes ownership of `doc`. */
static void config_fill(struct sb_config *cfg, struct sb_cfg_doc *doc);

static struct sb_config *
config_from_doc(struct sb_cfg_doc *doc, const char *name, char **err)
{
	struct sb_config *cfg = sb_xrealloc(NULL, 1, sizeof(*cfg));

	*cfg = (struct sb_config){ .path = sb_xstrdup(name), .doc = doc };
	config_fill(cfg, doc);
	if (sb_cfg_doc_nerrors(doc)) {
		if (err)
			*err = sb_cfg_doc_errors(doc);
		sb_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Fill cfg from doc; errors go to the doc. */
static void
config_fill(struct sb_config *cfg, struct sb_cfg_doc *doc)
{
	struct sb_cfg *root = sb_cfg_doc_root(doc);
	struct load ld = { cfg, "the top level" };

	if (root->type == SB_CFG_NULL) {
		sb_cfg_error(root, "empty configuration (expected a mapping with daemon, plugins, chains, subaccounts...)");
	} else if (root->type != SB_CFG_MAP) {
		sb_cfg_error(root, "expected a mapping at the top level, got %s",
		    type_name(root));
	} else {
		apply_fields(&ld, root, top_fields, NELEM(top_fields), cfg);
		sb_cfg_check_unused(root, "the top level");
		finish(cfg, root);
	}
}

struct sb_config *
sb_config_load(const char *path, char **err)
{
	struct sb_cfg_doc *doc = sb_cfg_doc_load(path, err);

	return doc ? config_from_doc(doc, path, err) : NULL;
}

struct sb_config *
sb_config_load_all(const char *path, char **err)
{
	struct sb_cfg_doc *doc = sb_cfg_doc_load(path, err);
	struct sb_config *cfg;

	if (doc == NULL)
		return NULL;
	cfg = sb_xrealloc(NULL, 1, sizeof(*cfg));
	*cfg = (struct sb_config){ .path = sb_xstrdup(path), .doc = doc };
	config_fill(cfg, doc);
	return cfg;
}

struct sb_config *
sb_config_parse(const char *name, const char *text, size_t len, char **err)
{
	struct sb_cfg_doc *doc = sb_cfg_doc_parse(name, text, len, err);

	return doc ? config_from_doc(doc, sb_cfg_doc_name(doc), err) : NULL;
}

static void
free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void
sb_config_free(struct sb_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->daemon.control_socket);
	free(cfg->daemon.control_group);
	free(cfg->daemon.http_listen);
	free(cfg->daemon.public_url);
	free(cfg->daemon.database);
	free(cfg->daemon.plugin_dir);
	for (size_t i = 0; i < cfg->ninstances; i++) {
		free(cfg->instances[i].name);
		free(cfg->instances[i].module);
		free(cfg->instances[i].subaccount);
	}
	for (size_t i = 0; i < cfg->nchains; i++) {
		for (size_t k = 0; k < cfg->chains[i].nsteps; k++)
			free(cfg->chains[i].steps[k].channel);
		free(cfg->chains[i].steps);
		free(cfg->chains[i].name);
	}
	for (size_t i = 0; i < cfg->nsubaccounts; i++) {
		struct sb_config_subaccount *sa = &cfg->subaccounts[i];

		free(sa->name);
		free(sa->timezone);
		free_strv(sa->chains);
		free(sa->default_chain);
		for (size_t k = 0; sa->api_key_names != NULL && k < sa->napi_keys; k++)
			free(sa->api_key_names[k]);
		free(sa->api_key_names);
		free_strv(sa->api_keys);
		free(sa->default_country);
		free(sa->sender);
		sb_config_events_free(&sa->events);
	}
	free(cfg->instances);
	free(cfg->chains);
	free(cfg->subaccounts);
	sb_config_console_free(&cfg->console);
	sb_cfg_doc_free(cfg->doc);
	free(cfg->path);
	free(cfg);
}

/* Instances, chains and subaccounts all start with their name. */
static const void *
find_named(const void *array, size_t n, size_t size, const char *name)
{
	for (size_t i = 0; name && i < n; i++) {
		const char *el = (const char *)array + i * size;

		if (strcmp(*(char *const *)el, name) == 0)
			return el;
	}
	return NULL;
}

const struct sb_config_instance *
sb_config_instance(const struct sb_config *cfg, const char *name)
{
	return cfg ? find_named(cfg->instances, cfg->ninstances,
	    sizeof(*cfg->instances), name) : NULL;
}

const struct sb_config_chain *
sb_config_chain(const struct sb_config *cfg, const char *name)
{
	return cfg ? find_named(cfg->chains, cfg->nchains, sizeof(*cfg->chains),
	    name) : NULL;
}

const struct sb_config_subaccount *
sb_config_subaccount(const struct sb_config *cfg, const char *name)
{
	return cfg ? find_named(cfg->subaccounts, cfg->nsubaccounts,
	    sizeof(*cfg->subaccounts), name) : NULL;
}

int
sb_timezone_exists(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	struct stat st;
	int fd, ok;

	/* The name becomes a path: keep it inside the zoneinfo tree. */
	if (!name || !*name || name[0] == '/' || strstr(name, ".."))
		return 0;
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return 0;
	/* O_NONBLOCK: a FIFO planted in the tree must not hang a reload. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}
