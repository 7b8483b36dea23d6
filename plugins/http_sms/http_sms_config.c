/*
 * http_sms_config.c - reads one http_sms instance's configuration: every
 * key through host->cfg_* (keys it does not read are reported as unknown by
 * the host; the nested dlr: map it checks itself, the host only checks the
 * top level), templates parsed once, secrets resolved through host->secret.
 *
 * Must never log a secret's value: errors name keys and placeholders only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_sms.h"

static const struct hs_range def_accept[] = { { 200, 299 } };
static const struct hs_range def_temp[] = { { 408, 408 }, { 429, 429 }, { 500, 599 } };

/* Kannel's dlr-mask bits, the values its %d escape carries. */
static const struct {
	const char *value;
	enum sb_outcome outcome;
} kannel_map[] = {
	{ "1", SB_OUT_DELIVERED },      /* delivered to phone */
	{ "2", SB_OUT_UNDELIVERABLE },  /* non-delivered to phone */
	{ "4", SB_OUT_ACCEPTED },       /* queued on SMSC */
	{ "8", SB_OUT_ACCEPTED },       /* delivered to SMSC */
	{ "16", SB_OUT_UNDELIVERABLE }, /* non-delivered to SMSC */
};

static const char *const mo_keys[] = {
	"from_param", "to_param", "text_param", "id_param", "token",
};

static const char *const dlr_keys[] = {
	"id_param", "status_param", "status_map", "error_param", "token", "kannel",
	"url_suffix",
};

static int
secret_cb(void *ctx, const char *name, const char **value)
{
	struct hs_state *st = ctx;

	return st->host->secret(st->inst, name, value);
}

/* A mapping (or nothing)? The ABI has no type query: maps are what have keys. */
static int
is_map(const struct sb_host *h, struct sb_cfg *node)
{
	const char *key = NULL;

	if (h->cfg_scalar(node) != NULL)
		return 0;
	if (h->cfg_len(node) == 0)
		return 1;
	h->cfg_item(node, 0, &key);
	return key != NULL;
}

static int
parse_tmpl(struct hs_state *st, struct sb_cfg *node, const char *what, const char *src,
    struct hs_tmpl *t)
{
	char err[256];

	if (hs_tmpl_parse(t, src, secret_cb, st, err, sizeof(err)) < 0) {
		st->host->cfg_error(node, "%s: %s", what, err);
		return -1;
	}
	st->uses |= t->uses;
	return 0;
}

/* params: / headers: -> name + template pairs. */
static int
read_pairs(struct hs_state *st, struct sb_cfg *root, const char *key, int header,
    struct hs_param **out, size_t *nout)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(root, key);
	size_t i, n = h->cfg_len(node);

	if (node == NULL)
		return 0;
	if (!is_map(h, node)) {
		h->cfg_error(node, "'%s' must be a mapping of name: template", key);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name;
		struct sb_cfg *item = h->cfg_item(node, i, &name);
		const char *src = h->cfg_scalar(item);

		if (src == NULL) {
			h->cfg_error(item, "%s '%s' must be a string", key, name);
			return -1;
		}
		/* A header name with ':' or spaces would smuggle a second header in. */
		if (header && (name[0] == '\0' || strcspn(name, ": \t\r\n") != strlen(name))) {
			h->cfg_error(item, "bad header name '%s'", name);
			return -1;
		}
		if (header && strcasecmp(name, "Content-Type") == 0)
			st->has_ctype = 1;
		if (((*out)[i].name = strdup(name)) == NULL)
			return -1;
		(*nout)++;
		if (parse_tmpl(st, item, name, src, &(*out)[i].value) < 0)
			return -1;
	}
	return 0;
}

/* accept_status etc.: a list of 404 / "500-599", or one such scalar. */
static int
read_ranges(struct hs_state *st, struct sb_cfg *root, const char *key,
    const struct hs_range *def, size_t ndef, struct hs_ranges *out)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(root, key);
	const char *one = h->cfg_scalar(node);
	size_t i, n = one != NULL ? 1 : h->cfg_len(node);

	if (node == NULL)
		n = ndef;
	if (n > 0 && (out->r = calloc(n, sizeof(*out->r))) == NULL)
		return -1;
	out->n = n;
	if (node == NULL) {
		if (n > 0)
			memcpy(out->r, def, n * sizeof(*def));
		return 0;
	}
	if (one == NULL && n > 0 && is_map(h, node)) {
		h->cfg_error(node, "'%s' must be a list of statuses like 404 or \"500-599\"", key);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct sb_cfg *item = one != NULL ? node : h->cfg_item(node, i, NULL);
		const char *text = h->cfg_scalar(item);

		if (text == NULL || hs_range_parse(text, &out->r[i]) < 0) {
			h->cfg_error(item, "%s: expected an HTTP status (100-599) or a range"
			    " like \"500-599\"", key);
			return -1;
		}
	}
	return 0;
}

static int
read_status_map(struct hs_state *st, struct sb_cfg *dlr, int kannel)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(dlr, "status_map");
	size_t i, n = node != NULL ? h->cfg_len(node) : kannel ? NELEM(kannel_map) : 0;

	if (node != NULL && !is_map(h, node)) {
		h->cfg_error(node, "status_map must map provider values to one of: accepted,"
		    " delivered, read, undeliverable, failed, expired");
		return -1;
	}
	if (n == 0)
		return 0;
	if ((st->dlr.map = calloc(n, sizeof(*st->dlr.map))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct hs_status_entry *e = &st->dlr.map[i];
		const char *value, *word;
		struct sb_cfg *item;

		if (node == NULL) {
			e->value = strdup(kannel_map[i].value);
			e->outcome = kannel_map[i].outcome;
		} else {
			item = h->cfg_item(node, i, &value);
			word = h->cfg_scalar(item);
			if (word == NULL || sbp_outcome_parse(word, &e->outcome) < 0) {
				h->cfg_error(item, "status_map '%s': expected one of accepted,"
				    " delivered, read, undeliverable, failed, expired", value);
				return -1;
			}
			e->value = strdup(value);
		}
		if (e->value == NULL)
			return -1;
		st->dlr.nmap++;
	}
	return 0;
}

/*
 * A section's `token` (a template of literal text and {secret:NAME}),
 * expanded once into *out (owned, zeroed when freed); NULL when absent.
 */
static int
read_token(struct hs_state *st, struct sb_cfg *tnode, const char *section, char **out,
    size_t *len)
{
	const struct sb_host *h = st->host;
	const char *token_src = NULL;
	struct hs_tmpl t;
	struct sbp_buf b = { 0 };
	struct hs_vars none = { { 0 } };

	if (tnode != NULL && (token_src = h->cfg_scalar(tnode)) == NULL) {
		/* host->secret resolves top-level keys only: name one from here. */
		h->cfg_error(tnode, "%s.token must be a template such as \"{secret:%s_token}\","
		    " with %s_token: {env: NAME} or {file: PATH} beside module:", section, section,
		    section);
		return -1;
	}
	if (token_src == NULL)
		return 0;
	if (hs_tmpl_parse(&t, token_src, secret_cb, st, st->errtext,
	    sizeof(st->errtext)) < 0 || t.uses != 0) {
		h->cfg_error(tnode, "%s.token: %s", section, t.uses != 0 ?
		    "only literal text and {secret:NAME} are allowed" : st->errtext);
		hs_tmpl_free(&t);
		return -1;
	}
	if (hs_tmpl_expand(&t, &none, SBP_ESC_RAW, SBP_ESC_RAW, &b) < 0 || b.len == 0) {
		h->cfg_error(tnode, "%s.token is empty", section);
		hs_tmpl_free(&t);
		sbp_buf_free(&b);
		return -1;
	}
	hs_tmpl_free(&t);
	*out = b.p; /* ownership moves; zeroed at fini */
	*len = b.len;
	return 0;
}

/* The keys a section may have, checked (the host checks only the top level). */
static int
check_keys(struct hs_state *st, struct sb_cfg *map, const char *section,
    const char *const *keys, size_t nkeys, const char *expected)
{
	const struct sb_host *h = st->host;

	if (!is_map(h, map)) {
		h->cfg_error(map, "'%s' must be a mapping", section);
		return -1;
	}
	for (size_t i = 0; i < h->cfg_len(map); i++) {
		const char *key;
		struct sb_cfg *item = h->cfg_item(map, i, &key);
		size_t j;

		for (j = 0; j < nkeys && strcmp(key, keys[j]) != 0; j++)
			;
		if (j == nkeys) {
			h->cfg_error(item, "unknown key '%s.%s' (expected one of: %s)", section, key,
			    expected);
			return -1;
		}
	}
	return 0;
}

static int
read_dlr(struct hs_state *st, struct sb_cfg *root)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *dlr = h->cfg_get(root, "dlr"), *tnode;
	const char *suffix = NULL;
	int kannel = 0;

	if (dlr == NULL)
		return 0;
	if (check_keys(st, dlr, "dlr", dlr_keys, NELEM(dlr_keys), "id_param, status_param,"
	    " status_map, error_param, token, kannel, url_suffix") < 0)
		return -1;
	st->dlr.enabled = 1;
	if (h->cfg_bool(dlr, "kannel", 0, &kannel) < 0 ||
	    h->cfg_string(dlr, "id_param", "id", &st->dlr.id_param) < 0 ||
	    h->cfg_string(dlr, "status_param", "status", &st->dlr.status_param) < 0 ||
	    h->cfg_string(dlr, "error_param", NULL, &st->dlr.error_param) < 0 ||
	    h->cfg_string(dlr, "url_suffix", NULL, &suffix) < 0 ||
	    read_status_map(st, dlr, kannel) < 0)
		return -1;
	st->dlr.kannel = kannel;
	tnode = h->cfg_get(dlr, "token");
	if (read_token(st, tnode, "dlr", &st->dlr.token, &st->dlr.token_len) < 0)
		return -1;
	/* Kannel fills %d (and %A) in the dlr-url it calls back; see README. */
	if (suffix == NULL && kannel) {
		snprintf(st->errtext, sizeof(st->errtext), "&%s=%%d%s%s%s", st->dlr.status_param,
		    st->dlr.error_param != NULL ? "&" : "",
		    st->dlr.error_param != NULL ? st->dlr.error_param : "",
		    st->dlr.error_param != NULL ? "=%A" : "");
		suffix = st->errtext;
	}
	if ((st->dlr.url_suffix = strdup(suffix != NULL ? suffix : "")) == NULL)
		return -1;
	/* Kannel decodes the URL, then expands %X: an encoded token could turn into one. */
	if (kannel && st->dlr.token != NULL &&
	    strspn(st->dlr.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~") != st->dlr.token_len) {
		h->cfg_error(tnode, "dlr.token: with kannel use only letters, digits and -._~");
		return -1;
	}
	return 0;
}

static const struct {
	const char *word;
	int get;
} methods[] = { { "POST", 0 }, { "GET", 1 } };

static const struct {
	const char *word;
	enum hs_body body;
} bodies[] = { { "form", HS_BODY_FORM }, { "json", HS_BODY_JSON }, { "query", HS_BODY_QUERY } };

/* GET or POST, and the body mode that goes with it. */
static int
read_method(struct hs_state *st, struct sb_cfg *root, const char *method, const char *body)
{
	const struct sb_host *h = st->host;
	size_t i, b;

	for (i = 0; i < NELEM(methods) && strcasecmp(method, methods[i].word) != 0; i++)
		;
	if (i == NELEM(methods)) {
		h->cfg_error(h->cfg_get(root, "method"), "method: expected GET or POST");
		return -1;
	}
	st->get = methods[i].get;
	st->body = st->get ? HS_BODY_QUERY : HS_BODY_FORM;
	if (body == NULL)
		return 0;
	for (b = 0; b < NELEM(bodies) && strcmp(body, bodies[b].word) != 0; b++)
		;
	if (b == NELEM(bodies) || (st->get && bodies[b].body == HS_BODY_JSON)) {
		h->cfg_error(h->cfg_get(root, "body"), "body: expected form, json or query"
		    " (GET sends parameters in the query)");
		return -1;
	}
	st->body = st->get ? HS_BODY_QUERY : bodies[b].body;
	return 0;
}

/* The mo: section: messages from phones, on /hooks/<instance>/mo. */
static int
read_mo(struct hs_state *st, struct sb_cfg *root)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *mo = h->cfg_get(root, "mo");

	if (mo == NULL)
		return 0;
	if (check_keys(st, mo, "mo", mo_keys, NELEM(mo_keys), "from_param, to_param,"
	    " text_param, id_param, token") < 0)
		return -1;
	st->mo.enabled = 1;
	if (h->cfg_string(mo, "from_param", "from", &st->mo.from_param) < 0 ||
	    h->cfg_string(mo, "to_param", "to", &st->mo.to_param) < 0 ||
	    h->cfg_string(mo, "text_param", "text", &st->mo.text_param) < 0 ||
	    h->cfg_string(mo, "id_param", NULL, &st->mo.id_param) < 0)
		return -1;
	return read_token(st, h->cfg_get(mo, "token"), "mo", &st->mo.token, &st->mo.token_len);
}

/*
 * Every key is read even after an error, so the operator sees all mistakes
 * at once and no real key is misreported as unknown.
 */
int
hs_config_read(struct hs_state *st)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *root = h->cfg_root(st->inst);
	const char *url, *method, *body, *auth, *id_from, *coding;
	int bad = 0;

	bad |= h->cfg_string(root, "url", NULL, &url) < 0;
	bad |= h->cfg_string(root, "method", "POST", &method) < 0;
	bad |= h->cfg_string(root, "body", NULL, &body) < 0;
	bad |= h->cfg_string(root, "basic_auth", NULL, &auth) < 0;
	bad |= h->cfg_string(root, "from", NULL, &st->from) < 0;
	bad |= h->cfg_string(root, "id_from", NULL, &id_from) < 0;
	bad |= h->cfg_int(root, "max_parts", 0, &st->max_parts) < 0;
	bad |= h->cfg_string(root, "coding", "auto", &coding) < 0;
	if (st->max_parts < 0 || st->max_parts > 255) {
		h->cfg_error(h->cfg_get(root, "max_parts"), "max_parts must be from 0 (no limit)"
		    " to 255 (what a concatenated SMS can hold)");
		bad = 1;
	}
	if (coding != NULL && strcmp(coding, "auto") != 0 && strcmp(coding, "ucs2") != 0) {
		h->cfg_error(h->cfg_get(root, "coding"), "coding must be auto (GSM 03.38 when the"
		    " text fits it, else UCS-2) or ucs2 (the carrier sends every text as UCS-2)");
		bad = 1;
	}
	st->ucs2 = coding != NULL && strcmp(coding, "ucs2") == 0;
	if (url == NULL) {
		if (h->cfg_get(root, "url") == NULL)
			h->cfg_error(root, "missing 'url' (the carrier's send endpoint)");
		bad = 1;
	} else if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		h->cfg_error(h->cfg_get(root, "url"), "url must start with http:// or https://");
		bad = 1;
	} else {
		bad |= parse_tmpl(st, h->cfg_get(root, "url"), "url", url, &st->url) < 0;
	}
	bad |= method != NULL && read_method(st, root, method, body) < 0;
	bad |= read_pairs(st, root, "params", 0, &st->params, &st->nparams) < 0;
	bad |= read_pairs(st, root, "headers", 1, &st->headers, &st->nheaders) < 0;
	if (auth != NULL) {
		bad |= parse_tmpl(st, h->cfg_get(root, "basic_auth"), "basic_auth", auth,
		    &st->auth) < 0;
		st->has_auth = 1;
	}
	bad |= read_ranges(st, root, "accept_status", def_accept, NELEM(def_accept),
	    &st->accept) < 0;
	bad |= read_ranges(st, root, "temporary_status", def_temp, NELEM(def_temp), &st->temp) < 0;
	bad |= read_ranges(st, root, "undeliverable_status", NULL, 0, &st->undeliv) < 0;
	bad |= read_dlr(st, root) < 0;
	bad |= read_mo(st, root) < 0;
	if (st->accept.n == 0 && h->cfg_get(root, "accept_status") != NULL) {
		h->cfg_error(h->cfg_get(root, "accept_status"), "accept_status must not be empty");
		bad = 1;
	}
	if ((st->uses & (1u << HS_VAR_DLR_URL)) && !st->dlr.enabled) {
		h->cfg_error(root, "{dlr_url} is used but there is no dlr: section to receive"
		    " the receipts");
		bad = 1;
	}
	/* Receipts through {dlr_url} carry our attempt key: make that the provider id. */
	if (id_from == NULL)
		id_from = st->uses & (1u << HS_VAR_DLR_URL) ? "attempt_key" : "json:message_id";
	st->id_from = id_from;
	if (hs_idspec_parse(id_from, &st->id) < 0) {
		h->cfg_error(h->cfg_get(root, "id_from"), "id_from: expected json:<path>,"
		    " header:<Name>, body, prefix:<text> or attempt_key");
		bad = 1;
	}
	if (bad)
		return -1;
	if ((st->uses & (1u << HS_VAR_DLR_URL)) && st->id.kind != HS_ID_ATTEMPT_KEY)
		h->log(st->inst, SB_LOG_WARN, "{dlr_url} receipts carry the attempt key, but"
		    " id_from is '%s': they will only match if the provider sends its own id"
		    " in '%s'", id_from, st->dlr.id_param);
	if ((st->uses & (1u << HS_VAR_DLR_URL)) &&
	    strncmp(h->webhook_url(st->inst), "http", 4) != 0)
		h->log(st->inst, SB_LOG_WARN, "{dlr_url} is used but the daemon has no public"
		    " URL (daemon.public_url / http_listen): receipts cannot reach us");
	/* Header pointers: configured ones, Content-Type, NULL. */
	if ((st->hdrv = calloc(st->nheaders + 2, sizeof(*st->hdrv))) == NULL)
		return -1;
	return 0;
}

static void
free_pairs(struct hs_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		hs_tmpl_free(&p[i].value);
	}
	free(p);
}

void
hs_config_free(struct hs_state *st)
{
	size_t i;

	hs_tmpl_free(&st->url);
	hs_tmpl_free(&st->auth);
	free_pairs(st->params, st->nparams);
	free_pairs(st->headers, st->nheaders);
	hs_idspec_free(&st->id);
	free(st->accept.r);
	free(st->temp.r);
	free(st->undeliv.r);
	for (i = 0; i < st->dlr.nmap; i++)
		free(st->dlr.map[i].value);
	free(st->dlr.map);
	if (st->dlr.token != NULL)
		memset(st->dlr.token, 0, st->dlr.token_len); /* a secret */
	free(st->dlr.token);
	free(st->dlr.url_suffix);
	if (st->mo.token != NULL)
		memset(st->mo.token, 0, st->mo.token_len);
	free(st->mo.token);
	free(st->hdrv);
}
