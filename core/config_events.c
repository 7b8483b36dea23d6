/*
 * config_events.c - a subaccount's `events:` section (docs/config.md):
 * the application's URL, the signing secret ({file: PATH} or {env: NAME},
 * read here, at load, never inline), how long an event is retried and
 * which statuses are reported. Errors go to the node, file:line:column,
 * like every other key; nothing is applied here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "status.h"
#include "xalloc.h"

#define EVENTS_RETRY_DEFAULT_MS (24 * 3600000LL)
#define EVENTS_RETRY_MAX_MS (30 * 24 * 3600000LL)

/* The statuses an application hears about by default: every one it may act on. */
static const enum sb_status event_statuses[] = {
	SB_ST_ACCEPTED, SB_ST_DELIVERED, SB_ST_READ, SB_ST_UNDELIVERABLE, SB_ST_FAILED,
	SB_ST_EXPIRED, SB_ST_REJECTED, SB_ST_CANCELLED, SB_ST_BLOCKED_TIME,
};
#define NEVENT_STATUSES (sizeof(event_statuses) / sizeof(event_statuses[0]))

static uint32_t
all_statuses(void)
{
	uint32_t m = 0;

	for (size_t i = 0; i < NEVENT_STATUSES; i++)
		m |= 1u << event_statuses[i];
	return m;
}

static char *
status_list(void)
{
	char buf[256] = "";

	for (size_t i = 0; i < NEVENT_STATUSES; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? ", " : "",
		    sb_status_name(event_statuses[i]));
	return sb_xstrdup(buf);
}

static void
load_statuses(struct sb_cfg *map, struct sb_config_events *ev)
{
	struct sb_cfg *node = sb_cfg_get(map, "statuses");
	char *known;

	ev->statuses = all_statuses();
	if (node == NULL || node->type == SB_CFG_NULL)
		return;
	if (node->type != SB_CFG_SEQ || node->n == 0) {
		sb_cfg_error(node, "expected a non-empty sequence of statuses for 'statuses'");
		return;
	}
	ev->statuses = 0;
	for (size_t i = 0; i < node->n; i++) {
		struct sb_cfg *it = node->items[i];
		int st = it->type == SB_CFG_SCALAR ? sb_status_parse(it->scalar) : -1;

		if (st < 0 || !(all_statuses() & (1u << st))) {
			known = status_list();
			sb_cfg_error(it, "bad status '%.40s' in 'statuses' (expected one of: %s)",
			    it->type == SB_CFG_SCALAR ? it->scalar : "", known);
			free(known);
		} else if (ev->statuses & (1u << st)) {
			sb_cfg_error(it, "the same entry is listed twice in 'statuses'");
		} else {
			ev->statuses |= 1u << st;
		}
	}
}

static void
load_secret(struct sb_cfg *map, const char *where, struct sb_config_events *ev)
{
	struct sb_cfg *node = sb_cfg_get(map, "secret");
	const char *file = NULL, *env = NULL;
	char *value = NULL, *w;

	if (node == NULL || node->type == SB_CFG_NULL) {
		sb_cfg_error(map, "missing required key 'secret' in %s (expected {file: PATH}"
		    " or {env: NAME})", where);
		return;
	}
	if (node->type != SB_CFG_MAP) {
		/* Never echo it: an inline value is a credential in the file. */
		sb_cfg_error(node, "expected {file: PATH} or {env: NAME} for 'secret'"
		    " (a secret is never written inline)");
		return;
	}
	sb_cfg_string(node, "file", NULL, &file);
	sb_cfg_string(node, "env", NULL, &env);
	w = sb_xasprintf("%s.secret", where);
	sb_cfg_check_unused(node, w);
	free(w);
	if ((file == NULL) == (env == NULL)) {
		sb_cfg_error(node, "'secret' needs exactly one of file or env");
		return;
	}
	if (file != NULL && (value = sb_read_secret_file(file)) == NULL) {
		sb_cfg_error(sb_cfg_get(node, "file"), "cannot read the secret file %.200s: %s",
		    file, strerror(errno));
		return;
	}
	if (env != NULL) {
		const char *v = getenv(env);

		if (v == NULL) {
			sb_cfg_error(sb_cfg_get(node, "env"), "environment variable %.100s is not"
			    " set (expected the secret in it)", env);
			return;
		}
		value = sb_xstrdup(v);
	}
	if (*value == '\0') {
		sb_cfg_error(node, "the secret is empty (expected at least 16 bytes)");
		free(value);
		return;
	}
	ev->secret = value;
}

void
sb_config_events_parse(struct sb_cfg *node, const char *where, struct sb_config_events *ev)
{
	const char *url = NULL;
	char *w;
	int64_t ms;

	*ev = (struct sb_config_events){ .retry_for_ms = EVENTS_RETRY_DEFAULT_MS,
	    .statuses = all_statuses() };
	if (node == NULL || node->type == SB_CFG_NULL)
		return;
	if (node->type != SB_CFG_MAP) {
		sb_cfg_error(node, "expected a mapping for 'events' (url, secret, retry_for,"
		    " statuses)");
		return;
	}
	w = sb_xasprintf("%s.events", where);
	if (sb_cfg_string(node, "url", NULL, &url) == 1) {
		sb_cfg_error(node, "missing required key 'url' in %s (expected http://..."
		    " or https://...)", w);
	} else if (url != NULL && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		sb_cfg_error(sb_cfg_get(node, "url"), "bad URL '%.60s' for 'url' (expected"
		    " http://... or https://...)", url);
	} else if (url != NULL && strlen(url) > 2000) {
		sb_cfg_error(sb_cfg_get(node, "url"), "URL too long for 'url' (expected at"
		    " most 2000 bytes)");
	} else if (url != NULL) {
		ev->url = sb_xstrdup(url);
	}
	load_secret(node, w, ev);
	if (sb_cfg_duration_ms(node, "retry_for", EVENTS_RETRY_DEFAULT_MS, &ms) == 0) {
		if (ms < 1000 || ms > EVENTS_RETRY_MAX_MS)
			sb_cfg_error(sb_cfg_get(node, "retry_for"), "bad duration '%s' for"
			    " 'retry_for' (expected 1s to 30d)",
			    sb_cfg_scalar(sb_cfg_get(node, "retry_for")));
		else
			ev->retry_for_ms = ms;
	}
	load_statuses(node, ev);
	sb_cfg_check_unused(node, w);
	free(w);
	/* Half a section sends nothing: both or neither. */
	if (ev->url == NULL || ev->secret == NULL)
		sb_config_events_free(ev);
}

void
sb_config_events_free(struct sb_config_events *ev)
{
	free(ev->url);
	if (ev->secret != NULL) {
		memset(ev->secret, 0, strlen(ev->secret));
		free(ev->secret);
	}
	ev->url = ev->secret = NULL;
}
