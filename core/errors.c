/*
 * errors.c - the error code table and struct sb_error helpers.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"

static const struct {
	const char *word;
	int http;
	const char *description;
} err_table[SB_E_COUNT] = {
	[SB_E_OK] = { "ok", 200, "no error" },
	[SB_E_BAD_REQUEST] = { "bad_request", 400, "the request is not valid JSON or lacks a field" },
	[SB_E_UNKNOWN_COMMAND] = { "unknown_command", 400, "no such command" },
	[SB_E_BAD_ARGUMENT] = { "bad_argument", 400, "an argument is missing or malformed" },
	[SB_E_NOT_FOUND] = { "not_found", 404, "no such object" },
	[SB_E_CONFLICT] = { "conflict", 409, "conflicts with an earlier request" },
	[SB_E_INVALID_STATE] = { "invalid_state", 409, "not possible in the object's current status" },
	[SB_E_UNAUTHORIZED] = { "unauthorized", 401, "missing or unknown API key" },
	[SB_E_FORBIDDEN] = { "forbidden", 403, "not allowed for this caller" },
	[SB_E_TOO_LARGE] = { "too_large", 413, "the request body is too large" },
	[SB_E_CONFIG_INVALID] = { "config_invalid", 400, "the configuration file is invalid" },
	[SB_E_PLUGIN] = { "plugin_error", 500, "a plugin could not be loaded" },
	[SB_E_UNAVAILABLE] = { "unavailable", 503, "the daemon cannot take this now" },
	[SB_E_RATE_LIMITED] = { "rate_limited", 429, "too many failed attempts; retry later" },
	[SB_E_INTERNAL] = { "internal", 500, "internal error" },
};

const char *
sb_err_word(enum sb_err code)
{
	return (unsigned)code < SB_E_COUNT ? err_table[code].word : "internal";
}

int
sb_err_http_status(enum sb_err code)
{
	return (unsigned)code < SB_E_COUNT ? err_table[code].http : 500;
}

const char *
sb_err_description(enum sb_err code)
{
	return (unsigned)code < SB_E_COUNT ? err_table[code].description : "internal error";
}

int
sb_error_set(struct sb_error *e, enum sb_err code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}
