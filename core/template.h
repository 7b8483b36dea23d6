/*
 * template.h - the operator's message templates: what a template is (its
 * per-channel variants), which variables it needs, and how one is rendered
 * for the channel that sends it. Pure functions over a template's spec;
 * storing and versioning them is store_tpl.h's.
 *
 * A spec is a JSON object with at least one variant:
 *
 *   text         the default text, for any channel without its own variant
 *   sms          the text for SMS channels
 *   line_push    the text for LINE push
 *   line_notify  the text for LINE notification messages
 *   whatsapp     {name, language, params}: a WhatsApp template approved at
 *                Meta, its language, and the variables that fill its
 *                positional parameters {{1}}, {{2}}, ... in that order
 *
 * Texts use {{variable}} (tpl_render.h). A channel uses its own type's
 * variant, else `text`.
 */
#ifndef SB_TEMPLATE_H
#define SB_TEMPLATE_H

#include <jansson.h>

#include "errors.h"

#define SB_TEMPLATE_NAME_MAX 64  /* longest template name (bytes) */
#define SB_TEMPLATE_PARAMS_MAX 32 /* most WhatsApp parameters */

/* 0 if `name` may name a template (letters, digits, '_', '-', '.'), else -1 with err. */
int sb_template_name_check(const char *name, struct sb_error *err);

/*
 * Check a spec as a client sent it and return its normal form (keys in a
 * fixed order, nothing else), which is what is stored and compared: a new
 * reference, or NULL with err (bad_argument naming the key).
 */
json_t *sb_template_spec_parse(const json_t *in, struct sb_error *err);

/* The variables a spec uses, each once, in order of first use: a new JSON list. */
json_t *sb_template_variables(const json_t *spec);

/*
 * The variant key a channel of `channel_type` uses ("sms", "text", ...),
 * or NULL if the spec has none for it.
 */
const char *sb_template_variant(const json_t *spec, const char *channel_type);

/*
 * 0 if `vars` (a JSON object, may be NULL) has every variable the spec
 * uses, else -1 with err naming the first missing one; `what` names the
 * template in that message.
 */
int sb_template_check_vars(const json_t *spec, const json_t *vars, const char *what,
    struct sb_error *err);

/* A template rendered for one channel: a text, or a WhatsApp template. */
struct sb_template_out {
	char *text;      /* or NULL for a WhatsApp template */
	char *wa_name;   /* the WhatsApp template's name, language and  */
	char *wa_lang;   /* parameter values as a JSON list of strings  */
	char *wa_params;
};

/*
 * Render the spec's variant for `channel_type` with `vars` into *out
 * (cleared first; release with sb_template_out_clear). -1 with err if the
 * spec has no variant for that type or a variable is missing.
 */
int sb_template_render(const json_t *spec, const char *channel_type, const json_t *vars,
    const char *what, struct sb_template_out *out, struct sb_error *err);
void sb_template_out_clear(struct sb_template_out *out);

#endif
