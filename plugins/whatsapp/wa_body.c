/*
 * wa_body.c - the JSON bodies of POST /{version}/{phone_number_id}/messages:
 * text messages and template messages, and how a message's template
 * variables become template components.
 *
 * Shapes are those of the v23.0 OpenAPI (BaseMessageProperties, TextObject,
 * TemplateObject, LanguageObject, BodyComponent, TextParameter). jansson
 * writes the JSON, so escaping and UTF-8 checks are its job. Pure: errors
 * are returned, never logged; the text of a message never reaches an error.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa.h"

#define MAX_POSITIONAL 100  /* body parameters {{1}}..{{100}}: far above any real template */

static void
fail(struct wa_build_err *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct wa_build_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

int
wa_to_digits(const char *to, char *out, size_t cap)
{
	size_t n = 0;
	const char *s = to;

	if (to == NULL || cap == 0)
		return -1;
	if (*s == '+')
		s++;
	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *s;
		} else if (strchr(" -()", *s) == NULL) {
			return -1;
		}
	}
	out[n] = '\0';
	return n >= 6 && n <= 15 ? 0 : -1; /* E.164: at most 15 digits */
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The four fields every message starts with; NULL with err on a bad recipient. */
static json_t *
envelope(const char *to, const char *type, struct wa_build_err *err)
{
	char digits[32];

	if (to == NULL || *to == '\0') {
		fail(err, "no_recipient", "no recipient");
		return NULL;
	}
	if (wa_to_digits(to, digits, sizeof(digits)) < 0) {
		fail(err, "bad_recipient", "recipient is not an international phone number");
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:s}", "messaging_product", "whatsapp",
	    "recipient_type", "individual", "to", digits, "type", type);
}

static char *
finish(json_t *msg, struct wa_build_err *err)
{
	char *out = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (out == NULL)
		fail(err, "nomem", "out of memory");
	return out;
}

char *
wa_build_text(const char *to, const char *text, int preview_url, size_t max_chars,
    struct wa_build_err *err)
{
	json_t *msg, *body;

	if (text == NULL) {
		fail(err, "no_text", "no text");
		return NULL;
	}
	if ((body = json_string(text)) == NULL) {
		fail(err, "bad_text", "text is not valid UTF-8");
		return NULL;
	}
	if (max_chars > 0 && utf8_chars(text) > max_chars) {
		json_decref(body);
		fail(err, "too_long", "text has %zu characters; WhatsApp takes at most %zu",
		    utf8_chars(text), max_chars);
		return NULL;
	}
	if ((msg = envelope(to, "text", err)) == NULL) {
		json_decref(body);
		return NULL;
	}
	json_object_set_new(msg, "text", json_pack("{s:b, s:o}", "preview_url", preview_url,
	    "body", body));
	return finish(msg, err);
}

/* A variable's value as a TextParameter; NULL with err if it is not a string or integer. */
static json_t *
text_param(const char *key, json_t *v, const char *name, struct wa_build_err *err)
{
	char num[32];
	const char *text;

	if (json_is_string(v)) {
		text = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text = num;
	} else {
		fail(err, "bad_template_vars", "template variable '%.40s' must be a string or an"
		    " integer", key);
		return NULL;
	}
	if (name != NULL)
		return json_pack("{s:s, s:s, s:s}", "type", "text", "parameter_name", name,
		    "text", text);
	return json_pack("{s:s, s:s}", "type", "text", "text", text);
}

/* "1".."100" -> 1..100; 0 for anything else (a name). */
static int
positional(const char *key)
{
	long n;
	char *end;

	if (key[0] < '1' || key[0] > '9')
		return 0;
	n = strtol(key, &end, 10);
	return *end == '\0' && n >= 1 && n <= MAX_POSITIONAL ? (int)n : 0;
}

/* Meta's named parameters: lower-case letters, digits and '_', not starting with a digit. */
static int
valid_name(const char *key)
{
	size_t n = strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return ((key[0] >= 'a' && key[0] <= 'z') || key[0] == '_') && key[n] == '\0' && n <= 64;
}

/* {"1": .., "2": ..} in numeric order; every number from 1 to N exactly once. */
static json_t *
params_numbered(json_t *vars, struct wa_build_err *err)
{
	size_t n = json_object_size(vars), i;
	json_t *slot[MAX_POSITIONAL] = { 0 }, *params, *v;
	const char *key;

	if (n > MAX_POSITIONAL) {
		fail(err, "bad_template_vars", "more than %d template variables", MAX_POSITIONAL);
		return NULL;
	}
	json_object_foreach(vars, key, v) {
		int k = positional(key);

		if (k == 0 || (size_t)k > n) {
			fail(err, "bad_template_vars", "template variables must be numbered 1..%zu"
			    " without gaps (got '%.40s')", n, key);
			return NULL;
		}
		slot[k - 1] = v;
	}
	params = json_array();
	for (i = 0; i < n; i++) {
		char k[24];
		json_t *p;

		snprintf(k, sizeof(k), "%zu", i + 1);
		if ((p = text_param(k, slot[i], NULL, err)) == NULL) {
			json_decref(params);
			return NULL;
		}
		json_array_append_new(params, p);
	}
	return params;
}

static json_t *
params_named(json_t *vars, struct wa_build_err *err)
{
	json_t *params = json_array(), *v, *p;
	const char *key;

	json_object_foreach(vars, key, v) {
		if (!valid_name(key) || positional(key) != 0) {
			json_decref(params);
			fail(err, "bad_template_vars", "template variables are either all numbered"
			    " (\"1\", \"2\") or names of lower-case letters, digits and '_'"
			    " (got '%.40s')", key);
			return NULL;
		}
		if ((p = text_param(key, v, key, err)) == NULL) {
			json_decref(params);
			return NULL;
		}
		json_array_append_new(params, p);
	}
	return params;
}

static json_t *
params_list(json_t *vars, struct wa_build_err *err)
{
	json_t *params = json_array(), *v, *p;
	size_t i;
	char key[24];

	if (json_array_size(vars) > MAX_POSITIONAL) {
		json_decref(params);
		fail(err, "bad_template_vars", "more than %d template variables", MAX_POSITIONAL);
		return NULL;
	}
	json_array_foreach(vars, i, v) {
		snprintf(key, sizeof(key), "%zu", i + 1);
		if ((p = text_param(key, v, NULL, err)) == NULL) {
			json_decref(params);
			return NULL;
		}
		json_array_append_new(params, p);
	}
	return params;
}

/* {"components": [...]} as given: each an object with a type Meta knows. */
static json_t *
components_as_given(json_t *comps, struct wa_build_err *err)
{
	static const char *const types[] = { "header", "body", "button" };
	json_t *c;
	size_t i, j;

	if (!json_is_array(comps)) {
		fail(err, "bad_template_vars", "'components' must be a list of template components");
		return NULL;
	}
	json_array_foreach(comps, i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));

		for (j = 0; type != NULL && j < WA_NELEM(types) && strcmp(type, types[j]) != 0; j++)
			;
		if (type == NULL || j == WA_NELEM(types)) {
			fail(err, "bad_template_vars", "components[%zu] needs a type of header,"
			    " body or button", i);
			return NULL;
		}
	}
	return json_incref(comps);
}

/* The template's components for `vars`: NULL with err, or an array (maybe empty). */
static json_t *
components(const char *vars_text, struct wa_build_err *err)
{
	json_t *vars, *params = NULL, *out = NULL;
	json_error_t jerr;
	const char *first = NULL;

	if (vars_text == NULL || *vars_text == '\0')
		return json_array();
	vars = json_loads(vars_text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (vars == NULL || !(json_is_object(vars) || json_is_array(vars) || json_is_null(vars))) {
		fail(err, "bad_template_vars", "template variables must be a JSON object or list");
		json_decref(vars);
		return NULL;
	}
	if (json_is_object(vars) && json_object_size(vars) > 0)
		first = json_object_iter_key(json_object_iter(vars));
	if (json_is_null(vars) || json_object_size(vars) + json_array_size(vars) == 0) {
		out = json_array();
	} else if (json_is_object(vars) && json_object_get(vars, "components") != NULL) {
		if (json_object_size(vars) != 1)
			fail(err, "bad_template_vars", "'components' cannot be mixed with variables");
		else
			out = components_as_given(json_object_get(vars, "components"), err);
	} else {
		if (json_is_array(vars))
			params = params_list(vars, err);
		else if (positional(first) != 0)
			params = params_numbered(vars, err);
		else
			params = params_named(vars, err);
		if (params != NULL)
			out = json_pack("[{s:s, s:o}]", "type", "body", "parameters", params);
	}
	json_decref(vars);
	return out;
}

char *
wa_build_template(const char *to, const char *name, const char *lang, const char *vars,
    struct wa_build_err *err)
{
	json_t *msg, *tpl, *comps;

	if (name == NULL || *name == '\0' || lang == NULL || *lang == '\0') {
		fail(err, "bad_template", name == NULL || *name == '\0' ?
		    "no template name" : "no template language");
		return NULL;
	}
	if ((msg = envelope(to, "template", err)) == NULL)
		return NULL;
	if ((comps = components(vars, err)) == NULL) {
		json_decref(msg);
		return NULL;
	}
	tpl = json_pack("{s:s, s:{s:s, s:s}}", "name", name, "language", "code", lang,
	    "policy", "deterministic");
	if (tpl == NULL) {
		json_decref(comps);
		json_decref(msg);
		fail(err, "bad_template", "template name or language is not valid UTF-8");
		return NULL;
	}
	if (json_array_size(comps) > 0)
		json_object_set_new(tpl, "components", comps);
	else
		json_decref(comps);
	json_object_set_new(msg, "template", tpl);
	return finish(msg, err);
}
