/*
 * args.c - typed getters for control command arguments (see args.h).
 * Only shape is judged here; what a value means is the command's business.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "timefmt.h"

/* The value, or NULL (absent/null: 1 for optional, error for required). */
static json_t *
get(json_t *args, const char *key, enum sb_arg_need need, int *rc, struct sb_error *err)
{
	json_t *v = json_object_get(args, key);

	*rc = 0;
	if (v != NULL && !json_is_null(v))
		return v;
	*rc = need == SB_ARG_REQUIRED ?
	    sb_error_set(err, SB_E_BAD_ARGUMENT, "missing argument '%s'", key) : 1;
	return NULL;
}

int
sb_arg_string(json_t *args, const char *key, enum sb_arg_need need, const char **out,
    struct sb_error *err)
{
	int rc;
	json_t *v = get(args, key, need, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must be a non-empty string",
		    key);
	*out = json_string_value(v);
	return 0;
}

int
sb_arg_int(json_t *args, const char *key, enum sb_arg_need need, int64_t min, int64_t max,
    int64_t *out, struct sb_error *err)
{
	int rc;
	json_t *v = get(args, key, need, &rc, err);

	if (v == NULL)
		return rc;
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = json_integer_value(v);
		return 0;
	}
	if (max == INT64_MAX)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must be an integer of at"
		    " least %" PRId64, key, min);
	return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must be an integer from %" PRId64
	    " to %" PRId64, key, min, max);
}

int
sb_arg_object(json_t *args, const char *key, enum sb_arg_need need, json_t **out,
    struct sb_error *err)
{
	int rc;
	json_t *v = get(args, key, need, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_object(v))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' must be an object", key);
	*out = v;
	return 0;
}

int
sb_arg_message_id(json_t *args, int64_t *out, struct sb_error *err)
{
	return sb_arg_int(args, "id", SB_ARG_REQUIRED, 1, INT64_MAX, out, err) < 0 ? -1 : 0;
}

int
sb_arg_subaccount(json_t *args, const struct sb_config *cfg, const char **out,
    struct sb_error *err)
{
	char names[256] = "";
	size_t used = 0;
	int rc;

	*out = NULL;
	rc = sb_arg_string(args, "subaccount", SB_ARG_OPTIONAL, out, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (sb_config_subaccount(cfg, *out) != NULL)
		return 0;
	for (size_t i = 0; i < cfg->nsubaccounts && used < sizeof(names); i++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		    cfg->subaccounts[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return sb_error_set(err, SB_E_NOT_FOUND, "no subaccount '%.64s' (configured: %s)",
	    *out, cfg->nsubaccounts ? names : "none");
}

int
sb_arg_subaccount_or_first(json_t *args, const struct sb_config *cfg, const char **out,
    struct sb_error *err)
{
	if (sb_arg_subaccount(args, cfg, out, err) < 0)
		return -1;
	if (*out == NULL && cfg->nsubaccounts > 0)
		*out = cfg->subaccounts[0].name;
	if (*out == NULL)
		return sb_error_set(err, SB_E_NOT_FOUND, "no subaccount is configured");
	return 0;
}

int
sb_arg_time(json_t *args, const char *key, int64_t *out, struct sb_error *err)
{
	const char *v = NULL, *why = NULL;

	*out = 0;
	if (sb_arg_string(args, key, SB_ARG_OPTIONAL, &v, err) < 0)
		return -1;
	if (v != NULL && sb_parse_iso8601_why(v, out, &why) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'%s' %s", key, why);
	return 0;
}
