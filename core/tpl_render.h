/*
 * tpl_render.h - `{{variable}}` substitution, the one renderer of template
 * and broadcast texts.
 *
 * A variable is written {{name}} (spaces inside the braces allowed), name
 * being letters, digits, '_', '.' or '-'. Anything else between braces,
 * and a lone "{{", is literal text. Values come from a JSON object: a
 * string as is, a number or boolean in its JSON spelling.
 */
#ifndef SB_TPL_RENDER_H
#define SB_TPL_RENDER_H

#include <stddef.h>

#include <jansson.h>

#include "errors.h"

#define SB_TPL_VAR_MAX 64 /* longest variable name */

/*
 * `text` with every variable replaced from `vars` (may be NULL): a new
 * string, or NULL with err (bad_argument naming the first missing
 * variable; `what` names the text in that message, e.g. "template 'otp'").
 */
char *sb_tpl_render(const char *text, const json_t *vars, const char *what,
    struct sb_error *err);

/*
 * Call fn(name, arg) for each variable `text` uses, in order of first use
 * (a repeated one once). Stops and returns fn's value when it is non-zero.
 */
typedef int (*sb_tpl_var_fn)(const char *name, void *arg);
int sb_tpl_foreach_var(const char *text, sb_tpl_var_fn fn, void *arg);

/* 0 if `vars` has every variable `text` uses, else -1 with err as above. */
int sb_tpl_check_vars(const char *text, const json_t *vars, const char *what,
    struct sb_error *err);

/* The text of a variable's value `v` (buf may hold it), or NULL if it has none. */
const char *sb_tpl_value(const json_t *v, char buf[64]);

/* 1 if `name` is a valid variable name, else 0. */
int sb_tpl_name_valid(const char *name);

#endif
