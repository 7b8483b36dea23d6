/*
 * cfgnode.c - the generic YAML node tree behind config.c and host->cfg_*.
 *
 * Owns: turning YAML text into a tree of sb_cfg nodes that remember where
 * they came from (1-based line/column of each node and each map key), the
 * "was this key read?" marks, the errors recorded against nodes, the typed
 * getters and the duration syntax. It knows nothing of switchboard's
 * schema, and it never prints: errors are collected so that a reload can
 * report every mistake at once and keep the old configuration.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "config.h"
#include "xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* Deeper than any sane config; bounds recursion on hostile input. */
#define CFG_MAX_DEPTH 64
/* A config file larger than this is a mistake (a log, a binary). */
#define CFG_MAX_FILE (16 << 20)
/* Keep quoted values in messages short enough to read. */
#define QMAX 60

/* A key some reader asked for: the list behind "expected one of". */
struct cfg_asked {
	const struct sb_cfg *map;
	char *key;
};

struct cfg_error {
	int line, col;
	char *text;                /* "file:line:col: message" */
};

struct sb_cfg_doc {
	char *name;
	struct sb_cfg *root;
	struct cfg_error *errs;    /* kept in file order */
	size_t nerrs;
	struct cfg_asked *asked;
	size_t nasked;
};

/* Inserted in file order (stable): an operator fixes a file top to bottom. */
static void
doc_verror(struct sb_cfg_doc *doc, int line, int col, const char *fmt, va_list ap)
{
	char *msg = sb_xvasprintf(fmt, ap);
	size_t i = doc->nerrs;

	doc->errs = sb_xrealloc(doc->errs, doc->nerrs + 1, sizeof(*doc->errs));
	while (i > 0 && (doc->errs[i - 1].line > line ||
	    (doc->errs[i - 1].line == line && doc->errs[i - 1].col > col))) {
		doc->errs[i] = doc->errs[i - 1];
		i--;
	}
	doc->errs[i].line = line;
	doc->errs[i].col = col;
	doc->errs[i].text = sb_xasprintf("%s:%d:%d: %s", doc->name, line, col, msg);
	doc->nerrs++;
	free(msg);
}

static void __attribute__((format(printf, 3, 4)))
doc_error(struct sb_cfg_doc *doc, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verror(doc, m.line >= INT_MAX ? INT_MAX : (int)m.line + 1,
	    m.column >= INT_MAX ? INT_MAX : (int)m.column + 1, fmt, ap);
	va_end(ap);
}

void
sb_cfg_error(struct sb_cfg *node, const char *fmt, ...)
{
	va_list ap;

	if (!node || !node->doc)
		return;
	va_start(ap, fmt);
	doc_verror(node->doc, node->line, node->col, fmt, ap);
	va_end(ap);
}

void
sb_cfg_key_error(struct sb_cfg *map, size_t i, const char *fmt, ...)
{
	va_list ap;

	if (!map || !map->doc || map->type != SB_CFG_MAP || i >= map->n)
		return;
	va_start(ap, fmt);
	doc_verror(map->doc, map->items[i]->key_line, map->items[i]->key_col, fmt, ap);
	va_end(ap);
}

size_t
sb_cfg_doc_nerrors(const struct sb_cfg_doc *doc)
{
	return doc ? doc->nerrs : 0;
}

char *
sb_cfg_doc_errors(const struct sb_cfg_doc *doc)
{
	size_t len = 1, nerrs = doc ? doc->nerrs : 0;
	char *s, *p;

	for (size_t i = 0; i < nerrs; i++)
		len += strlen(doc->errs[i].text) + 1;
	p = s = sb_xrealloc(NULL, len, 1);
	*p = '\0';
	for (size_t i = 0; i < nerrs; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", doc->errs[i].text);
	return s;
}

/* ---- the tree ---- */

static struct sb_cfg *
node_new(struct sb_cfg_doc *doc, enum sb_cfg_type type, yaml_mark_t m)
{
	struct sb_cfg *n = sb_xrealloc(NULL, 1, sizeof(*n));

	*n = (struct sb_cfg){
		.type = type, .doc = doc,
		.line = m.line >= INT_MAX ? INT_MAX : (int)m.line + 1,
		.col = m.column >= INT_MAX ? INT_MAX : (int)m.column + 1,
	};
	return n;
}

static void
node_free(struct sb_cfg *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->used);
	free(n->scalar);
	free(n);
}

static void
node_append(struct sb_cfg *parent, char *key, struct sb_cfg *child)
{
	parent->items = sb_xrealloc(parent->items, parent->n + 1, sizeof(*parent->items));
	parent->items[parent->n] = child;
	if (parent->type == SB_CFG_MAP) {
		parent->keys = sb_xrealloc(parent->keys, parent->n + 1, sizeof(*parent->keys));
		parent->used = sb_xrealloc(parent->used, parent->n + 1, 1);
		parent->keys[parent->n] = key;
		parent->used[parent->n] = 0;
	}
	parent->n++;
}

/* ---- libyaml events to nodes ---- */

struct cfg_parser {
	yaml_parser_t yp;
	struct sb_cfg_doc *doc;
	const char *text;
	size_t len;
};

static int
next_event(struct cfg_parser *ps, yaml_event_t *ev)
{
	yaml_parser_t *yp = &ps->yp;
	yaml_mark_t m;

	if (yaml_parser_parse(yp, ev))
		return 0;
	m = yp->problem_mark;
	/* Reader errors (bad encoding) carry only a byte offset. */
	if (yp->error == YAML_READER_ERROR) {
		m.line = m.column = 0;
		for (size_t i = 0; i < yp->problem_offset && i < ps->len; i++) {
			m.line += ps->text[i] == '\n';
			m.column = ps->text[i] == '\n' ? 0 : m.column + 1;
		}
	}
	doc_error(ps->doc, m, "%s%s%s", yp->problem ? yp->problem : "invalid YAML",
	    yp->context ? " " : "", yp->context ? yp->context : "");
	return -1;
}

/* Anchors make a node mean two places at once: positions and used marks lie. */
static void
refuse_anchor(struct cfg_parser *ps, const yaml_char_t *anchor, yaml_mark_t m)
{
	if (anchor)
		doc_error(ps->doc, m, "anchors are not supported (&%.*s): write the value out",
		    QMAX, (const char *)anchor);
}

static int
is_plain_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	for (size_t i = 0; i < NELEM(nulls); i++)
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    strcmp((const char *)ev->data.scalar.value, nulls[i]) == 0)
			return 1;
	return 0;
}

static struct sb_cfg *parse_node(struct cfg_parser *ps, yaml_event_t *ev, int depth);

/* Consumes the key event `ev` and the value; -1 on a syntax error. */
static int
parse_map_entry(struct cfg_parser *ps, struct sb_cfg *map, yaml_event_t *ev,
    int depth)
{
	yaml_event_t vev;
	yaml_mark_t km = ev->start_mark;
	struct sb_cfg *key, *val;
	/* The text, not the node: a key "null" or "~" is still that key. */
	char *text = ev->type == YAML_SCALAR_EVENT ?
	    sb_xstrdup((const char *)ev->data.scalar.value) : NULL;

	if (!text)
		doc_error(ps->doc, km, "map keys must be plain strings");
	key = parse_node(ps, ev, depth + 1);
	if (!key || next_event(ps, &vev) < 0 || !(val = parse_node(ps, &vev, depth + 1))) {
		node_free(key);
		free(text);
		return -1;
	}
	node_free(key);
	val->key_line = km.line >= INT_MAX ? INT_MAX : (int)km.line + 1;
	val->key_col = km.column >= INT_MAX ? INT_MAX : (int)km.column + 1;
	for (size_t i = 0; text && i < map->n; i++) {
		if (strcmp(map->keys[i], text) == 0) {
			doc_error(ps->doc, km, "duplicate key '%.*s' (first given at %d:%d)",
			    QMAX, text, map->items[i]->key_line, map->items[i]->key_col);
			free(text);
			text = NULL;
		}
	}
	if (text)
		node_append(map, text, val);
	else
		node_free(val);
	return 0;
}

/*
 * Consumes `ev` (already read) and the events of its subtree. Returns the
 * node, or NULL after a syntax error (which is recorded and ends parsing).
 */
static struct sb_cfg *
parse_node(struct cfg_parser *ps, yaml_event_t *ev, int depth)
{
	struct sb_cfg *n = NULL;
	yaml_event_t cev;
	const yaml_char_t *anchor = NULL;

	if (depth > CFG_MAX_DEPTH) {
		doc_error(ps->doc, ev->start_mark, "nesting deeper than %d levels",
		    CFG_MAX_DEPTH);
	} else if (ev->type == YAML_ALIAS_EVENT) {
		doc_error(ps->doc, ev->start_mark,
		    "aliases are not supported (*%.*s): write the value out",
		    QMAX, (const char *)ev->data.alias.anchor);
		n = node_new(ps->doc, SB_CFG_NULL, ev->start_mark);
	} else if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		n = node_new(ps->doc, is_plain_null(ev) ? SB_CFG_NULL : SB_CFG_SCALAR,
		    ev->start_mark);
		if (n->type == SB_CFG_SCALAR)
			n->scalar = sb_xstrdup((const char *)ev->data.scalar.value);
		/* An escaped NUL would silently cut the string short. */
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			sb_cfg_error(n, "strings may not contain NUL bytes");
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		n = node_new(ps->doc, SB_CFG_SEQ, ev->start_mark);
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		n = node_new(ps->doc, SB_CFG_MAP, ev->start_mark);
	} else {
		doc_error(ps->doc, ev->start_mark, "unexpected YAML event");
	}
	refuse_anchor(ps, anchor, ev->start_mark);
	yaml_event_delete(ev);
	if (!n || (n->type != SB_CFG_SEQ && n->type != SB_CFG_MAP))
		return n;
	for (;;) {
		struct sb_cfg *child;

		if (next_event(ps, &cev) < 0)
			break;
		if (cev.type == YAML_SEQUENCE_END_EVENT || cev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&cev);
			return n;
		}
		if (n->type == SB_CFG_MAP) {
			if (parse_map_entry(ps, n, &cev, depth) < 0)
				break;
		} else if ((child = parse_node(ps, &cev, depth + 1))) {
			node_append(n, NULL, child);
		} else {
			break;
		}
	}
	node_free(n);
	return NULL;
}

/* One document holding one node; an empty stream gives a null root. */
static void
parse_stream(struct cfg_parser *ps)
{
	struct sb_cfg_doc *doc = ps->doc;
	yaml_event_t ev;

	for (int step = 0; next_event(ps, &ev) == 0; step++) {
		if (step == 1 && ev.type == YAML_STREAM_END_EVENT)
			doc->root = node_new(doc, SB_CFG_NULL, (yaml_mark_t){ 0, 0, 0 });
		if (step == 2) {
			if (!(doc->root = parse_node(ps, &ev, 0)))
				return;
			continue;
		}
		if (step == 4 && ev.type == YAML_DOCUMENT_START_EVENT)
			doc_error(doc, ev.start_mark,
			    "a second YAML document (expected exactly one)");
		if (ev.type == YAML_STREAM_END_EVENT || step == 4) {
			yaml_event_delete(&ev);
			return;
		}
		yaml_event_delete(&ev);
	}
}

struct sb_cfg_doc *
sb_cfg_doc_parse(const char *name, const char *text, size_t len, char **err)
{
	struct sb_cfg_doc *doc = sb_xrealloc(NULL, 1, sizeof(*doc));
	struct cfg_parser ps = { .doc = doc, .text = text, .len = len };

	*doc = (struct sb_cfg_doc){ .name = sb_xstrdup(name ? name : "(config)") };
	if (!yaml_parser_initialize(&ps.yp))
		abort();
	yaml_parser_set_input_string(&ps.yp, (const unsigned char *)text, len);
	parse_stream(&ps);
	yaml_parser_delete(&ps.yp);
	if (!doc->nerrs)
		return doc;
	if (err)
		*err = sb_cfg_doc_errors(doc);
	sb_cfg_doc_free(doc);
	return NULL;
}

struct sb_cfg_doc *
sb_cfg_doc_load(const char *path, char **err)
{
	FILE *f = fopen(path, "rb");
	int e = f ? 0 : errno;
	char *buf = NULL;
	size_t len = 0, got = 1;
	struct sb_cfg_doc *doc = NULL;

	while (f && got && len <= CFG_MAX_FILE) {
		buf = sb_xrealloc(buf, len + 65536, 1);
		len += got = fread(buf + len, 1, 65536, f);
	}
	if (f) {
		e = ferror(f) ? errno : 0;
		fclose(f);
	}
	if (e || len > CFG_MAX_FILE) {
		if (err)
			*err = sb_xasprintf("%s: %s", path, e ? strerror(e) :
			    "too large for a configuration file (over 16 MiB)");
	} else {
		doc = sb_cfg_doc_parse(path, buf, len, err);
	}
	free(buf);
	return doc;
}

void
sb_cfg_doc_free(struct sb_cfg_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	for (size_t i = 0; i < doc->nerrs; i++)
		free(doc->errs[i].text);
	for (size_t i = 0; i < doc->nasked; i++)
		free(doc->asked[i].key);
	free(doc->errs);
	free(doc->asked);
	free(doc->name);
	free(doc);
}

struct sb_cfg *
sb_cfg_doc_root(struct sb_cfg_doc *doc)
{
	return doc ? doc->root : NULL;
}

const char *
sb_cfg_doc_name(const struct sb_cfg_doc *doc)
{
	return doc ? doc->name : NULL;
}

/* ---- getters ---- */

struct sb_cfg *
sb_cfg_get(struct sb_cfg *map, const char *key)
{
	struct sb_cfg_doc *doc;
	size_t i;

	if (!map || map->type != SB_CFG_MAP || !key)
		return NULL;
	/* Remember what readers asked for, so an unknown key can list them. */
	doc = map->doc;
	for (i = 0; i < doc->nasked; i++)
		if (doc->asked[i].map == map && strcmp(doc->asked[i].key, key) == 0)
			break;
	if (i == doc->nasked) {
		doc->asked = sb_xrealloc(doc->asked, doc->nasked + 1, sizeof(*doc->asked));
		doc->asked[doc->nasked++] = (struct cfg_asked){ map, sb_xstrdup(key) };
	}
	for (i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			map->used[i] = 1;
			return map->items[i];
		}
	}
	return NULL;
}

void
sb_cfg_mark_used(struct sb_cfg *map, const char *key)
{
	(void)sb_cfg_get(map, key);
}

static int
parse_string(const char *s, void *out)
{
	*(const char **)out = s;
	return 0;
}

static int
parse_int(const char *s, void *out)
{
	char *end;
	long long v;

	if (!strchr("+-0123456789", *s) || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*(int64_t *)out = v;
	return 0;
}

static int
parse_double(const char *s, void *out)
{
	char *end;
	double v;

	/* strtod also takes "nan", "inf" and hex floats: no config means those. */
	if (!*s || s[strspn(s, "0123456789+-.eE")])
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*(double *)out = v;
	return 0;
}

static int
parse_bool(const char *s, void *out)
{
	static const char *const words[] = { "false", "no", "off", "true", "yes", "on" };

	for (size_t i = 0; i < NELEM(words); i++) {
		if (strcasecmp(s, words[i]) == 0) {
			*(int *)out = i >= 3;
			return 0;
		}
	}
	return -1;
}

static int
parse_duration(const char *s, void *out)
{
	return sb_parse_duration_ms(s, out);
}

/* What each getter accepts, and how it says so when it does not. */
static const struct scalar_type {
	const char *what;          /* for a mapping or sequence in its place */
	const char *noun;          /* "bad <noun> '<text>' for '<key>'" */
	const char *expected;
	int (*parse)(const char *s, void *out);
} T_STRING = { "a string", "string", "a string", parse_string },
  T_INT = { "an integer", "value", "an integer", parse_int },
  T_DOUBLE = { "a number", "value", "a number", parse_double },
  T_BOOL = { "true or false", "value", "true or false", parse_bool },
  T_DURATION = { "a duration", "duration", "e.g. 30s, 15m, 2h", parse_duration };

/*
 * The common body of the getters: absent or null -> 1 (the caller stores
 * the default), parsed -> 0, anything else -> -1 with an error at the value.
 */
static int
get_typed(struct sb_cfg *map, const char *key, const struct scalar_type *t,
    void *out)
{
	struct sb_cfg *n = sb_cfg_get(map, key);

	if (!n || n->type == SB_CFG_NULL)
		return 1;
	if (n->type == SB_CFG_SCALAR && t->parse(n->scalar, out) == 0)
		return 0;
	if (n->type == SB_CFG_SCALAR)
		sb_cfg_error(n, "bad %s '%.*s' for '%s' (expected %s)", t->noun, QMAX,
		    n->scalar, key, t->expected);
	else
		sb_cfg_error(n, "expected %s for '%s', got %s", t->what, key,
		    n->type == SB_CFG_MAP ? "a mapping" : "a sequence");
	return -1;
}

int
sb_cfg_string(struct sb_cfg *map, const char *key, const char *def, const char **out)
{
	int r = get_typed(map, key, &T_STRING, out);

	if (r)
		*out = def;
	return r;
}

int
sb_cfg_int(struct sb_cfg *map, const char *key, int64_t def, int64_t *out)
{
	int r = get_typed(map, key, &T_INT, out);

	if (r)
		*out = def;
	return r;
}

int
sb_cfg_double(struct sb_cfg *map, const char *key, double def, double *out)
{
	int r = get_typed(map, key, &T_DOUBLE, out);

	if (r)
		*out = def;
	return r;
}

int
sb_cfg_bool(struct sb_cfg *map, const char *key, int def, int *out)
{
	int r = get_typed(map, key, &T_BOOL, out);

	if (r)
		*out = def;
	return r;
}

int
sb_cfg_duration_ms(struct sb_cfg *map, const char *key, int64_t def, int64_t *out)
{
	int r = get_typed(map, key, &T_DURATION, out);

	if (r)
		*out = def;
	return r;
}

size_t
sb_cfg_len(struct sb_cfg *node)
{
	return node && (node->type == SB_CFG_MAP || node->type == SB_CFG_SEQ) ?
	    node->n : 0;
}

struct sb_cfg *
sb_cfg_item(struct sb_cfg *node, size_t i, const char **key)
{
	if (key)
		*key = NULL;
	if (i >= sb_cfg_len(node))
		return NULL;
	if (node->type == SB_CFG_MAP) {
		/* Walking a mapping reads every key it reaches. */
		node->used[i] = 1;
		if (key)
			*key = node->keys[i];
	}
	return node->items[i];
}

const char *
sb_cfg_scalar(struct sb_cfg *node)
{
	return node && node->type == SB_CFG_SCALAR ? node->scalar : NULL;
}

void
sb_cfg_check_unused(struct sb_cfg *map, const char *where)
{
	char *list = NULL, *tmp;
	int listed = 0;

	if (!map || map->type != SB_CFG_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		if (map->used[i])
			continue;
		for (size_t k = 0; !listed && k < map->doc->nasked; k++) {
			if (map->doc->asked[k].map != map)
				continue;
			tmp = list;
			list = tmp ? sb_xasprintf("%s, %s", tmp, map->doc->asked[k].key) :
			    sb_xasprintf("expected one of: %s", map->doc->asked[k].key);
			free(tmp);
		}
		listed = 1;
		sb_cfg_key_error(map, i, "unknown key '%.*s'%s%s (%s)", QMAX,
		    map->keys[i], where ? " in " : "", where ? where : "",
		    list ? list : "no keys expected here");
		/* Report each stray key once, even if checked again. */
		map->used[i] = 1;
	}
	free(list);
}

/* ---- durations ---- */

int
sb_parse_duration_ms(const char *text, int64_t *out)
{
	static const struct { const char *suffix; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *p = text;
	int64_t v = 0;

	if (!text || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	/* A bare number has no unit: only zero means the same in every unit. */
	if (*p == '\0' && v == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < NELEM(units); i++) {
		if (strcmp(p, units[i].suffix) == 0 && v <= INT64_MAX / units[i].ms) {
			*out = v * units[i].ms;
			return 0;
		}
	}
	return -1;
}

char *
sb_read_secret_file(const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return strdup(buf);
}
