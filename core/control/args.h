/*
 * args.h - typed access to a control request's "args" object, shared by
 * every cmd-*.c so that argument errors read the same everywhere:
 * "bad_argument: 'limit' must be an integer from 1 to 1000".
 *
 * Each getter returns 0 when the value is present and valid, 1 when an
 * optional argument is absent or null (*out untouched), and -1 with `err`
 * (bad_argument naming the argument) otherwise. Strings are borrowed from
 * the request and live as long as it does.
 */
#ifndef SB_CONTROL_ARGS_H
#define SB_CONTROL_ARGS_H

#include <stdint.h>

#include <jansson.h>

#include "errors.h"

struct sb_config;

enum sb_arg_need { SB_ARG_OPTIONAL = 0, SB_ARG_REQUIRED = 1 };

/* A non-empty string. */
int sb_arg_string(json_t *args, const char *key, enum sb_arg_need need, const char **out,
    struct sb_error *err);
/* An integer within [min, max]. */
int sb_arg_int(json_t *args, const char *key, enum sb_arg_need need, int64_t min,
    int64_t max, int64_t *out, struct sb_error *err);
/* A JSON object (borrowed). */
int sb_arg_object(json_t *args, const char *key, enum sb_arg_need need, json_t **out,
    struct sb_error *err);
/* The required message id: an integer >= 1. */
int sb_arg_message_id(json_t *args, int64_t *out, struct sb_error *err);
/*
 * The optional "subaccount", which must name a configured subaccount
 * (not_found otherwise, listing them). *out is NULL when absent.
 */
int sb_arg_subaccount(json_t *args, const struct sb_config *cfg, const char **out,
    struct sb_error *err);
/* The same, defaulting to the first configured (not_found if there is none). */
int sb_arg_subaccount_or_first(json_t *args, const struct sb_config *cfg, const char **out,
    struct sb_error *err);
/* An optional ISO 8601 time with an offset, in ms (0 when absent). */
int sb_arg_time(json_t *args, const char *key, int64_t *out, struct sb_error *err);

#endif
