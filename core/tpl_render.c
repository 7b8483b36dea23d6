/*
 * tpl_render.c - `{{variable}}` substitution (tpl_render.h).
 *
 * One scanner (tpl_next) finds the variables; rendering, listing and
 * checking all walk the text with it, so they cannot disagree on what a
 * variable is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpl_render.h"

static int
tpl_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '-';
}

/*
 * The next variable at or after `p`: its "{{" at *start, the byte after its
 * "}}" at *end, its name in name[]. 0 if found, -1 if there is none.
 */
static int
tpl_next(const char *p, const char **start, const char **end, char name[SB_TPL_VAR_MAX + 1])
{
	for (; (p = strstr(p, "{{")) != NULL; p++) {
		const char *q = p + 2, *n;
		size_t len;

		while (*q == ' ')
			q++;
		for (n = q; tpl_name_char(*q); q++)
			;
		len = (size_t)(q - n);
		while (*q == ' ')
			q++;
		if (len == 0 || len > SB_TPL_VAR_MAX || q[0] != '}' || q[1] != '}')
			continue;
		memcpy(name, n, len);
		name[len] = '\0';
		*start = p;
		*end = q + 2;
		return 0;
	}
	return -1;
}

const char *
sb_tpl_value(const json_t *v, char buf[64])
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, 64, "%.17g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

int
sb_tpl_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SB_TPL_VAR_MAX)
		return 0;
	for (; *name != '\0'; name++)
		if (!tpl_name_char(*name))
			return 0;
	return 1;
}

static int
tpl_missing(struct sb_error *err, const char *what, const char *name)
{
	return sb_error_set(err, SB_E_BAD_ARGUMENT,
	    "%s needs the variable '%s' (a string or number)", what, name);
}

char *
sb_tpl_render(const char *text, const json_t *vars, const char *what, struct sb_error *err)
{
	const char *p = text, *start, *end;
	char name[SB_TPL_VAR_MAX + 1], num[64];
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	if (f == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory rendering %s", what);
		return NULL;
	}
	while (tpl_next(p, &start, &end, name) == 0) {
		const char *val = sb_tpl_value(json_object_get(vars, name), num);

		if (val == NULL) {
			fclose(f);
			free(out);
			tpl_missing(err, what, name);
			return NULL;
		}
		fwrite(p, 1, (size_t)(start - p), f);
		fputs(val, f);
		p = end;
	}
	fputs(p, f);
	if (fclose(f) != 0) {
		free(out);
		sb_error_set(err, SB_E_INTERNAL, "out of memory rendering %s", what);
		return NULL;
	}
	return out;
}

int
sb_tpl_foreach_var(const char *text, sb_tpl_var_fn fn, void *arg)
{
	const char *p = text, *start, *end;
	char name[SB_TPL_VAR_MAX + 1];

	while (tpl_next(p, &start, &end, name) == 0) {
		const char *q = text, *s2, *e2;
		char prev[SB_TPL_VAR_MAX + 1];
		int seen = 0, rc;

		/* once per name: was it used before this occurrence? */
		while (!seen && tpl_next(q, &s2, &e2, prev) == 0 && s2 < start) {
			seen = strcmp(prev, name) == 0;
			q = e2;
		}
		if (!seen && (rc = fn(name, arg)) != 0)
			return rc;
		p = end;
	}
	return 0;
}

struct tpl_check {
	const json_t *vars;
	char name[SB_TPL_VAR_MAX + 1];
};

static int
tpl_check_one(const char *name, void *arg)
{
	struct tpl_check *c = arg;
	char num[64];

	if (sb_tpl_value(json_object_get(c->vars, name), num) != NULL)
		return 0;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return 1;
}

int
sb_tpl_check_vars(const char *text, const json_t *vars, const char *what, struct sb_error *err)
{
	struct tpl_check c = { .vars = vars };

	if (sb_tpl_foreach_var(text, tpl_check_one, &c) != 0)
		return tpl_missing(err, what, c.name);
	return 0;
}
