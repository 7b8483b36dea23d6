/*
 * errors.h - the stable error codes of the control socket and the HTTP API.
 *
 * One table (errors.c) gives each code its wire word, HTTP status and a
 * one-line description used in docs and help. Library functions return
 * errors in a struct sb_error; only the daemon's edges log or send them.
 */
#ifndef SB_ERRORS_H
#define SB_ERRORS_H

enum sb_err {
	SB_E_OK = 0,
	SB_E_BAD_REQUEST,     /* malformed JSON, not an object, missing cmd */
	SB_E_UNKNOWN_COMMAND,
	SB_E_BAD_ARGUMENT,    /* an argument is missing or has the wrong form */
	SB_E_NOT_FOUND,
	SB_E_CONFLICT,        /* e.g. idempotency key reused with other content */
	SB_E_INVALID_STATE,   /* e.g. cancel of a message already sent */
	SB_E_UNAUTHORIZED,    /* no or unknown API key */
	SB_E_FORBIDDEN,
	SB_E_TOO_LARGE,
	SB_E_CONFIG_INVALID,
	SB_E_PLUGIN,          /* a plugin could not be loaded or refused */
	SB_E_UNAVAILABLE,     /* shutting down, store busy */
	SB_E_RATE_LIMITED,    /* too many failed API key checks from one address */
	SB_E_INTERNAL,
	SB_E_COUNT
};

struct sb_error {
	enum sb_err code;
	char message[4096];   /* a reload's error list can be long */
};

const char *sb_err_word(enum sb_err code);      /* "not_found" */
int sb_err_http_status(enum sb_err code);       /* 404 */
const char *sb_err_description(enum sb_err code);
/* Fill `e` (which may be NULL); returns -1 so callers can `return sb_error_set(...)`. */
int sb_error_set(struct sb_error *e, enum sb_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
