/*
 * config.h - the daemon's configuration: YAML in, typed structs out.
 *
 * config.c owns parsing and validation of the whole file (schema in
 * docs/config.md). It never applies anything: the caller loads a new
 * sb_config, and swaps it in only if loading succeeded, so a bad reload
 * keeps the old configuration. cfgnode.c owns the generic YAML node tree
 * (with line/column and "was this key read?" marks) that both config.c and
 * plugins (through host->cfg_*) read.
 */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/types.h>

/* ---- generic YAML node tree (cfgnode.c) ---- */

enum sb_cfg_type { SB_CFG_SCALAR, SB_CFG_MAP, SB_CFG_SEQ, SB_CFG_NULL };

struct sb_cfg_doc; /* owns every node and the error list */

struct sb_cfg {
	enum sb_cfg_type type;
	int line, col;            /* 1-based position of the node */
	int key_line, key_col;    /* position of its key when in a map */
	char *scalar;             /* SB_CFG_SCALAR: the text */
	size_t n;                 /* MAP/SEQ: number of children */
	struct sb_cfg **items;    /* MAP/SEQ: children */
	char **keys;              /* MAP: keys, parallel to items */
	unsigned char *used;      /* MAP: 1 once a key was read */
	struct sb_cfg_doc *doc;
};

/*
 * Parse a YAML file into a tree. Returns the doc, or NULL with *err set to a
 * malloc'd "file:line:col: message" (caller frees). Only one document;
 * anchors and aliases are refused with a clear error.
 */
struct sb_cfg_doc *sb_cfg_doc_load(const char *path, char **err);
/* The same from a string; `name` stands in for the file name in errors. */
struct sb_cfg_doc *sb_cfg_doc_parse(const char *name, const char *text, size_t len,
    char **err);
void sb_cfg_doc_free(struct sb_cfg_doc *doc);
struct sb_cfg *sb_cfg_doc_root(struct sb_cfg_doc *doc);
const char *sb_cfg_doc_name(const struct sb_cfg_doc *doc);

/* Record an error at a node ("file:line:col: ..."). */
void sb_cfg_error(struct sb_cfg *node, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same at the node's key position (for "unknown key"). */
void sb_cfg_key_error(struct sb_cfg *map, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Number of errors recorded so far, and all of them joined by "\n". */
size_t sb_cfg_doc_nerrors(const struct sb_cfg_doc *doc);
char *sb_cfg_doc_errors(const struct sb_cfg_doc *doc); /* malloc'd */

/*
 * Getters (the same semantics as the host->cfg_* of host.h): 0 found,
 * 1 absent (default stored), -1 wrong type (error recorded). Reading a key
 * marks it used.
 */
struct sb_cfg *sb_cfg_get(struct sb_cfg *map, const char *key);
int sb_cfg_string(struct sb_cfg *map, const char *key, const char *def, const char **out);
int sb_cfg_int(struct sb_cfg *map, const char *key, int64_t def, int64_t *out);
int sb_cfg_double(struct sb_cfg *map, const char *key, double def, double *out);
int sb_cfg_bool(struct sb_cfg *map, const char *key, int def, int *out);
int sb_cfg_duration_ms(struct sb_cfg *map, const char *key, int64_t def, int64_t *out);
size_t sb_cfg_len(struct sb_cfg *node);
struct sb_cfg *sb_cfg_item(struct sb_cfg *node, size_t i, const char **key);
const char *sb_cfg_scalar(struct sb_cfg *node);
/* Mark a key used without reading it (keys the host consumed). */
void sb_cfg_mark_used(struct sb_cfg *map, const char *key);
/* Record "unknown key 'k' (expected one of: ...)" for every unread key. */
void sb_cfg_check_unused(struct sb_cfg *map, const char *where);

/* "250ms", "30s", "15m", "2h", "1d" -> milliseconds. 0 ok, -1 bad. */
int sb_parse_duration_ms(const char *text, int64_t *out);
/* A small file (a secret) without its trailing newline: a new string, or NULL (errno). */
char *sb_read_secret_file(const char *path);

/* ---- the typed configuration (config.c) ---- */

/* Compiled-in directories (configure's localstatedir and runstatedir). */
#ifndef SB_STATEDIR
#define SB_STATEDIR "/var/lib/switchboard"
#endif
#ifndef SB_RUNDIR
#define SB_RUNDIR "/run/switchboard"
#endif

/* Longest name of an instance, chain, subaccount or filter (bytes). */
#define SB_NAME_MAX 64

#define SB_WEEKDAYS 7     /* 0 = Sunday ... 6 = Saturday, as struct tm */
#define SB_MAX_RANGES 4   /* windows per weekday */

/* One window in minutes after local midnight; end < start crosses midnight. */
struct sb_hours_range {
	int16_t start_min;
	int16_t end_min;      /* exclusive; 1440 means midnight at the end */
};

struct sb_allowed_hours {
	int set;              /* 0: no restriction configured (always allowed) */
	uint8_t n[SB_WEEKDAYS];
	struct sb_hours_range r[SB_WEEKDAYS][SB_MAX_RANGES];
};

enum sb_outside_policy { SB_OUTSIDE_DEFER = 0, SB_OUTSIDE_BLOCK = 1 };

#define SB_POLL_MAX_INTERVALS 16

/* Receipt polling of a channel instance (its `poll:` mapping). */
enum sb_poll_mode {
	SB_POLL_AUTO = 0,          /* poll if the channel has no webhook receipts */
	SB_POLL_ON = 1,            /* a `poll:` section: poll if the channel can */
	SB_POLL_OFF = 2,           /* `enabled: false` */
};

struct sb_config_poll {
	enum sb_poll_mode mode;
	size_t nintervals;         /* at least 1; the last one repeats */
	int64_t intervals_ms[SB_POLL_MAX_INTERVALS]; /* default 1m 5m 15m 1h 4h */
	int64_t until_ms;          /* last poll this long after acceptance, default 24h */
};

/* A plugin instance from `plugins:` (channels) or `filters:`. */
struct sb_config_instance {
	char *name;
	char *module;
	enum sb_plugin_kind kind;  /* by section: plugins -> CHANNEL, filters -> FILTER */
	double rate;               /* messages per second, 0 = unlimited */
	int64_t burst;             /* token bucket size, default max(1, rate) */
	int64_t max_in_flight;     /* concurrent requests, default 64 */
	int64_t send_ahead;        /* sends marked `sending` ahead of a free slot, default 0 */
	int64_t timeout_ms;        /* per HTTP request, default 10s */
	int in_doubt;              /* enum sb_in_doubt: a send that may have arrived */
	char *subaccount;          /* where inbound messages and calls are filed, or
	                              NULL: the first subaccount */
	struct sb_config_poll poll;
	struct sb_cfg *node;       /* the instance's mapping; host keys marked used */
};

/*
 * What to do with a send that may or may not have reached the provider (a
 * crash while it was in flight, or no answer before the timeout after the
 * request went out): send it again, or fail it for a person to review.
 */
enum sb_in_doubt {
	SB_IN_DOUBT_AUTO = 0,      /* resend if the channel is idempotent, else review */
	SB_IN_DOUBT_RESEND = 1,
	SB_IN_DOUBT_REVIEW = 2,
};

enum sb_undeliverable_policy {
	SB_UNDELIV_NEXT = 0,       /* start the next step at once */
	SB_UNDELIV_WAIT = 1,       /* wait out fallback_after, then next step */
};

struct sb_config_step {
	char *channel;             /* instance name */
	size_t instance;           /* index into sb_config.instances */
	int64_t fallback_after_ms; /* 0: wait for a final status */
	enum sb_undeliverable_policy on_undeliverable;
};

struct sb_config_chain {
	char *name;
	size_t nsteps;
	struct sb_config_step *steps;
};

struct sb_tz;

/*
 * A subaccount's `events:` section: where its applications hear about its
 * messages (core/events.c). url == NULL: no events.
 */
struct sb_config_events {
	char *url;                 /* http:// or https:// */
	char *secret;              /* the signing secret's value, read at load */
	int64_t retry_for_ms;      /* keep retrying an event this long, default 24h */
	uint32_t statuses;         /* bit (1u << enum sb_status) per status reported */
};

struct sb_config_subaccount {
	char *name;
	char *timezone;            /* IANA name, checked against the zoneinfo db */
	const struct sb_tz *tz;    /* that zone, read at load (tz.c's cache owns it) */
	struct sb_allowed_hours hours;
	enum sb_outside_policy outside;
	char **chains;             /* chains it may use; NULL-terminated */
	size_t nchains;
	char *default_chain;       /* default: chains[0] */
	char **api_keys;           /* "sha256:<64 hex>" each; NULL-terminated */
	size_t napi_keys;
	char **api_key_names;      /* parallel to api_keys: a key's name, or NULL */
	double rate;               /* messages per second, 0 = unlimited */
	int64_t burst;             /* token bucket size, default max(1, rate) */
	int64_t max_in_flight;     /* sends in flight across channels, 0 = unlimited */
	char *default_country;     /* calling code digits, e.g. "55"; or NULL */
	char *sender;              /* default sender id, or NULL */
	int64_t validity_ms;       /* 0: the global default */
	struct sb_config_events events;
};

struct sb_config_retry {
	int64_t max_attempts;      /* tries of one step, default 5 */
	int64_t initial_ms;        /* first backoff, default 10s */
	int64_t max_ms;            /* backoff cap, default 10m */
	double multiplier;         /* default 2.0 */
	double jitter;             /* 0..1 fraction, default 0.2 */
};

struct sb_config_daemon {
	char *control_socket;      /* default SB_RUNDIR "/control.sock" */
	int control_mode;          /* from an octal string, default 0660 */
	char *control_group;       /* or NULL: the daemon's group */
	char *http_listen;         /* "127.0.0.1:8025"; NULL: no HTTP server */
	char *public_url;          /* default "http://" + http_listen */
	int64_t http_max_body;     /* bytes, default 1 MiB */
	int64_t broadcast_file_max;/* bytes of a recipients file (HTTP or control), default 16 MiB */
	int64_t http_max_connections;  /* open at once, default 512 */
	int64_t http_header_timeout_ms;/* request line and headers, default 10s */
	int64_t http_body_timeout_ms;  /* the body after the headers, default 30s */
	char *database;            /* default SB_STATEDIR "/switchboard.db" */
	char *plugin_dir;          /* colon-separated search path, or NULL */
	enum sb_log_level log_level;
	int64_t commit_interval_ms;/* group commit window, default 2 */
	int64_t commit_max;        /* statements per group, default 4096 */
	int sync_full;             /* synchronous=FULL (default 1) or NORMAL */
};

/* Who a console user is (console.c): one subaccount's user, or support across all. */
enum sb_console_role { SB_CONSOLE_USER, SB_CONSOLE_SUPPORT };

struct sb_config_console_user {
	char *name;
	enum sb_console_role role;
	char *subaccount;          /* SB_CONSOLE_USER: the one it sees; support: NULL */
	char *password_hash;       /* "scrypt:N:r:p:SALT:KEY" (console_pw.h) */
};

/* The top-level `console:` section (config_console.c). */
struct sb_config_console {
	char *www;                 /* the console's files; NULL: found (console_files.c) */
	int64_t session_ttl_ms;    /* a session's life from its login, default 8h */
	int secure_cookie;         /* mark the cookie Secure (served behind TLS) */
	size_t nusers;
	struct sb_config_console_user *users;
};

struct sb_config {
	char *path;
	struct sb_cfg_doc *doc;    /* owns the node tree the pointers refer to */
	struct sb_config_daemon daemon;
	struct sb_config_retry retry;
	int64_t validity_ms;       /* default 48h */
	size_t ninstances;
	struct sb_config_instance *instances;
	size_t nchains;
	struct sb_config_chain *chains;
	size_t nsubaccounts;
	struct sb_config_subaccount *subaccounts;
	struct sb_config_console console;
};

/*
 * Load and validate a whole file. Returns a config, or NULL with *err set
 * to one or more malloc'd lines "file:line:col: what was expected".
 * Plugin-specific keys are not judged here: they are left unused in each
 * instance's node for the loader to check after the plugin's init.
 */
struct sb_config *sb_config_load(const char *path, char **err);
/* For -t: the configuration even if it has errors (they are in cfg->doc:
 * sb_cfg_doc_nerrors), so plugin keys can be checked too. NULL only if the
 * file cannot be read or is not YAML. Never to be run. */
struct sb_config *sb_config_load_all(const char *path, char **err);
struct sb_config *sb_config_parse(const char *name, const char *text, size_t len,
    char **err);
void sb_config_free(struct sb_config *cfg);

const struct sb_config_instance *sb_config_instance(const struct sb_config *cfg,
    const char *name);
const struct sb_config_chain *sb_config_chain(const struct sb_config *cfg,
    const char *name);
const struct sb_config_subaccount *sb_config_subaccount(const struct sb_config *cfg,
    const char *name);

/*
 * Parse an `allowed_hours` mapping into *h (config_hours.c), recording
 * errors against its nodes. Days not mentioned are closed.
 */
void sb_config_hours_parse(struct sb_cfg *node, struct sb_allowed_hours *h);
/*
 * Parse a subaccount's `events` node (NULL: none) into *ev
 * (config_events.c), recording errors against its nodes; `where` names
 * the subaccount ("subaccounts.acme"). The secret is read here.
 */
void sb_config_events_parse(struct sb_cfg *node, const char *where,
    struct sb_config_events *ev);
void sb_config_events_free(struct sb_config_events *ev);

/*
 * Parse the top-level `console` node (NULL: none) into cfg->console
 * (config_console.c); subaccounts must be loaded first.
 */
void sb_config_console_parse(struct sb_cfg *node, struct sb_config *cfg);
void sb_config_console_free(struct sb_config_console *c);
const struct sb_config_console_user *sb_config_console_user(const struct sb_config *cfg,
    const char *name);

/* "sun" ... "sat" for 0 ... 6. */
const char *sb_weekday_name(int day);

/* 1 if a zone name exists in the zoneinfo database (TZDIR or /usr/share/zoneinfo). */
int sb_timezone_exists(const char *name);

#endif
