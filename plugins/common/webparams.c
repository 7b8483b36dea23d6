/*
 * webparams.c - decoded parameter lists of provider callbacks, form and
 * query lookups, UTF-8
 * decoding, hex and constant-time comparison (see webparams.h).
 *
 * Owns nothing beyond the lists it fills. Must never log or keep state:
 * values may be signatures or personal data, and the input is untrusted.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "webparams.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) of a form into a fresh string; NULL on a bad escape or ENOMEM. */
static char *
form_decode(const char *s, size_t n, int *nomem)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;

	if (out == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad; /* %00 would cut the value short */
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int
list_add(struct wp_list *l, char *name, char *value)
{
	if (l->n == WP_MAX_PARAMS) {
		free(name);
		free(value);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 16;
		struct wp_param *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			free(name);
			free(value);
			return -2;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = name;
	l->v[l->n].value = value;
	l->n++;
	return 0;
}

int
wp_parse_form(struct wp_list *l, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i, eq;
		char *name, *value;
		int nomem = 0;

		while (end < len && s[end] != '&')
			end++;
		if (end == i) { /* "a=1&&b=2": an empty field is nothing */
			i++;
			continue;
		}
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (eq == i)
			return -1;
		name = form_decode(s + i, eq - i, &nomem);
		value = name == NULL ? NULL :
		    form_decode(s + eq + (eq < end), end - eq - (eq < end), &nomem);
		if (name == NULL || value == NULL) {
			free(name);
			return nomem ? -2 : -1;
		}
		if (name[0] == '\0') {
			free(name);
			free(value);
			return -1;
		}
		if ((nomem = list_add(l, name, value)) < 0)
			return nomem;
		i = end + 1;
	}
	return 0;
}

int
wp_form_get(const char *s, size_t len, const char *name, char *out, size_t cap)
{
	size_t i = 0;

	while (s != NULL && i < len) {
		size_t end = i, eq;
		char *key;
		int nomem = 0, hit;

		while (end < len && s[end] != '&')
			end++;
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		key = form_decode(s + i, eq - i, &nomem);
		if (key == NULL)
			return -1;
		hit = strcmp(key, name) == 0;
		free(key);
		if (hit) {
			char *value = form_decode(s + eq + (eq < end), end - eq - (eq < end),
			    &nomem);
			size_t n;

			if (value == NULL || (n = strlen(value)) + 1 > cap) {
				free(value);
				return -1;
			}
			memcpy(out, value, n + 1);
			free(value);
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

int
wp_parse_json(struct wp_list *l, const char *s, size_t len)
{
	json_t *root = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL), *v;
	const char *key;
	int rc = 0;

	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	json_object_foreach(root, key, v) {
		char *name, *value;

		if (json_is_string(v)) {
			value = strndup(json_string_value(v), json_string_length(v));
			/* A NUL inside a JSON string would cut the value short. */
			if (value != NULL && strlen(value) != json_string_length(v)) {
				free(value);
				rc = -1;
				break;
			}
		} else if (json_is_null(v)) {
			value = strdup("");
		} else if (json_is_number(v) || json_is_boolean(v)) {
			value = json_dumps(v, JSON_ENCODE_ANY);
		} else {
			rc = -1;
			break;
		}
		name = strdup(key);
		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			rc = -2;
			break;
		}
		if (name[0] == '\0') {
			free(name);
			free(value);
			rc = -1;
			break;
		}
		if ((rc = list_add(l, name, value)) < 0)
			break;
	}
	json_decref(root);
	return rc;
}

static int
param_cmp(const void *a, const void *b)
{
	const struct wp_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

void
wp_sort(struct wp_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), param_cmp);
}

const char *
wp_get(const struct wp_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].value;
	return NULL;
}

void
wp_clear(struct wp_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		/* A value may have been a secret (a request being signed): leave nothing. */
		explicit_bzero(l->v[i].value, strlen(l->v[i].value));
		free(l->v[i].name);
		free(l->v[i].value);
	}
	l->n = 0;
}

void
wp_free(struct wp_list *l)
{
	wp_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

/* ---- UTF-8 ---- */

int
wp_utf8_next(const char **sp, const char *end, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	size_t avail = (size_t)(end - *sp), need, i;
	uint32_t c, min;

	if (avail == 0)
		return -1;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		*sp += 1;
		return 0;
	}
	if ((c & 0xe0) == 0xc0) {
		need = 1, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3, min = 0x10000, c &= 0x07;
	} else {
		return -1;
	}
	if (avail < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*sp += need + 1;
	return 0;
}

int
wp_utf8_valid(const char *s, size_t len)
{
	const char *end = s + len;
	uint32_t cp;

	while (s < end)
		if (wp_utf8_next(&s, end, &cp) < 0)
			return 0;
	return 1;
}

/* ---- hex, comparison ---- */

void
wp_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
wp_ct_equal(const char *a, size_t alen, const char *b, size_t blen, int ci)
{
	unsigned char diff = alen != blen;
	size_t i;

	/* Walk b's length whatever a is: the time depends on the expected value only. */
	for (i = 0; i < blen; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0, y = (unsigned char)b[i];

		if (ci) {
			x |= (unsigned char)((x >= 'A' && x <= 'Z') << 5);
			y |= (unsigned char)((y >= 'A' && y <= 'Z') << 5);
		}
		diff |= x ^ y;
	}
	return diff == 0;
}
