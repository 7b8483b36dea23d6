/*
 * template.c - template specs: checking, their variables, rendering for a
 * channel type (template.h). The variants are one table; substitution is
 * tpl_render.c's, so a template and a broadcast text agree on what a
 * variable is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "tpl_render.h"

#define TEMPLATE_TEXT_MAX 65536 /* as a message's text (engine.h) */

/* The text variants, in the order a spec is stored; `whatsapp` follows. */
static const char *const template_text_keys[] = { "text", "sms", "line_push", "line_notify" };
#define TEMPLATE_NTEXT (sizeof(template_text_keys) / sizeof(template_text_keys[0]))

int
sb_template_name_check(const char *name, struct sb_error *err)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > SB_TEMPLATE_NAME_MAX)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "a template name is 1 to %d bytes",
		    SB_TEMPLATE_NAME_MAX);
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "a template name has only"
			    " letters, digits, '_', '-' and '.' (got '%.64s')", name);
	return 0;
}

static int
template_short_string(const json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= max;
}

/* The `whatsapp` variant in normal form, or NULL with err. */
static json_t *
template_wa_parse(const json_t *in, struct sb_error *err)
{
	const json_t *params = json_object_get(in, "params"), *p;
	const char *key;
	json_t *v, *out_params;
	size_t i;

	if (!json_is_object(in)) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "'whatsapp' must be {name, language, params}");
		return NULL;
	}
	json_object_foreach((json_t *)in, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "language") != 0 &&
		    strcmp(key, "params") != 0) {
			sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown key 'whatsapp.%.40s' (expected"
			    " name, language, params)", key);
			return NULL;
		}
	}
	if (!template_short_string(json_object_get(in, "name"), 512) ||
	    !template_short_string(json_object_get(in, "language"), 16)) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "'whatsapp' needs 'name' (the template"
		    " approved at Meta) and 'language' (e.g. en_US)");
		return NULL;
	}
	if (params != NULL && (!json_is_array(params) ||
	    json_array_size(params) > SB_TEMPLATE_PARAMS_MAX)) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "'whatsapp.params' must be a list of at most"
		    " %d variable names", SB_TEMPLATE_PARAMS_MAX);
		return NULL;
	}
	out_params = json_array();
	json_array_foreach(params, i, p) {
		if (!json_is_string(p) || !sb_tpl_name_valid(json_string_value(p))) {
			json_decref(out_params);
			sb_error_set(err, SB_E_BAD_ARGUMENT, "'whatsapp.params[%zu]' must be a"
			    " variable name (letters, digits, '_', '.', '-')", i);
			return NULL;
		}
		json_array_append(out_params, (json_t *)p);
	}
	return json_pack("{s:O, s:O, s:o}", "name", json_object_get(in, "name"), "language",
	    json_object_get(in, "language"), "params", out_params);
}

static int
template_known_key(const char *key)
{
	for (size_t i = 0; i < TEMPLATE_NTEXT; i++)
		if (strcmp(key, template_text_keys[i]) == 0)
			return 1;
	return strcmp(key, "whatsapp") == 0;
}

json_t *
sb_template_spec_parse(const json_t *in, struct sb_error *err)
{
	const char *key;
	json_t *v, *out;

	if (!json_is_object(in)) {
		sb_error_set(err, SB_E_BAD_ARGUMENT, "a template is an object of variants:"
		    " text, sms, line_push, line_notify, whatsapp");
		return NULL;
	}
	json_object_foreach((json_t *)in, key, v) {
		if (!template_known_key(key)) {
			sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown key '%.40s' (expected text, sms,"
			    " line_push, line_notify, whatsapp)", key);
			return NULL;
		}
	}
	out = json_object();
	for (size_t i = 0; i < TEMPLATE_NTEXT; i++) {
		v = json_object_get(in, template_text_keys[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!template_short_string(v, TEMPLATE_TEXT_MAX)) {
			json_decref(out);
			sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must be a text of 1 to %d bytes",
			    template_text_keys[i], TEMPLATE_TEXT_MAX);
			return NULL;
		}
		json_object_set(out, template_text_keys[i], v);
	}
	v = json_object_get(in, "whatsapp");
	if (v != NULL && !json_is_null(v)) {
		json_t *wa = template_wa_parse(v, err);

		if (wa == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, "whatsapp", wa);
	}
	if (json_object_size(out) == 0) {
		json_decref(out);
		sb_error_set(err, SB_E_BAD_ARGUMENT, "a template needs at least one variant:"
		    " text, sms, line_push, line_notify or whatsapp");
		return NULL;
	}
	return out;
}

/* Append `name` to the list `arg` unless it is there. */
static int
template_add_var(const char *name, void *arg)
{
	json_t *list = arg, *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 0;
	json_array_append_new(list, json_string(name));
	return 0;
}

json_t *
sb_template_variables(const json_t *spec)
{
	json_t *list = json_array(), *p;
	size_t i;

	for (size_t k = 0; k < TEMPLATE_NTEXT; k++) {
		const char *text = json_string_value(json_object_get(spec, template_text_keys[k]));

		if (text != NULL)
			sb_tpl_foreach_var(text, template_add_var, list);
	}
	json_array_foreach(json_object_get(json_object_get(spec, "whatsapp"), "params"), i, p)
		template_add_var(json_string_value(p), list);
	return list;
}

const char *
sb_template_variant(const json_t *spec, const char *channel_type)
{
	for (size_t i = 0; channel_type != NULL && i < TEMPLATE_NTEXT; i++)
		if (strcmp(channel_type, template_text_keys[i]) == 0 &&
		    json_object_get(spec, template_text_keys[i]) != NULL)
			return template_text_keys[i];
	if (channel_type != NULL && strcmp(channel_type, "whatsapp") == 0 &&
	    json_object_get(spec, "whatsapp") != NULL)
		return "whatsapp";
	return json_object_get(spec, "text") != NULL ? "text" : NULL;
}

int
sb_template_check_vars(const json_t *spec, const json_t *vars, const char *what,
    struct sb_error *err)
{
	json_t *need = sb_template_variables(spec), *v;
	char num[64];
	size_t i;
	int rc = 0;

	json_array_foreach(need, i, v) {
		const char *name = json_string_value(v);

		if (sb_tpl_value(json_object_get(vars, name), num) == NULL) {
			rc = sb_error_set(err, SB_E_BAD_ARGUMENT,
			    "%s needs the variable '%s' (a string or number)", what, name);
			break;
		}
	}
	json_decref(need);
	return rc;
}

void
sb_template_out_clear(struct sb_template_out *out)
{
	free(out->text);
	free(out->wa_name);
	free(out->wa_lang);
	free(out->wa_params);
	memset(out, 0, sizeof(*out));
}

/* The WhatsApp variant: its parameters' values in order, as a JSON list. */
static int
template_render_wa(const json_t *wa, const json_t *vars, const char *what,
    struct sb_template_out *out, struct sb_error *err)
{
	json_t *values = json_array(), *p;
	char num[64];
	size_t i;

	json_array_foreach(json_object_get(wa, "params"), i, p) {
		const char *val = sb_tpl_value(json_object_get(vars, json_string_value(p)), num);

		if (val == NULL) {
			json_decref(values);
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "%s needs the variable '%s'"
			    " (a string or number)", what, json_string_value(p));
		}
		json_array_append_new(values, json_string(val));
	}
	out->wa_name = strdup(json_string_value(json_object_get(wa, "name")));
	out->wa_lang = strdup(json_string_value(json_object_get(wa, "language")));
	out->wa_params = json_dumps(values, JSON_COMPACT);
	json_decref(values);
	if (out->wa_name == NULL || out->wa_lang == NULL || out->wa_params == NULL) {
		sb_template_out_clear(out);
		return sb_error_set(err, SB_E_INTERNAL, "out of memory rendering %s", what);
	}
	return 0;
}

int
sb_template_render(const json_t *spec, const char *channel_type, const json_t *vars,
    const char *what, struct sb_template_out *out, struct sb_error *err)
{
	const char *key = sb_template_variant(spec, channel_type);

	memset(out, 0, sizeof(*out));
	if (key == NULL)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "%s has no variant for %s channels"
		    " (add '%s' or 'text')", what, channel_type != NULL ? channel_type : "these",
		    channel_type != NULL ? channel_type : "text");
	if (strcmp(key, "whatsapp") == 0)
		return template_render_wa(json_object_get(spec, key), vars, what, out, err);
	out->text = sb_tpl_render(json_string_value(json_object_get(spec, key)), vars, what, err);
	return out->text != NULL ? 0 : -1;
}
