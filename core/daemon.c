/*
 * daemon.c - bringing the daemon's modules up and down in order, and
 * configuration reload (validate everything first, then swap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "allowlist.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "dispatch_internal.h"
#include "events.h"
#include "instance.h"
#include "http_api.h"
#include "http_client.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

/* Settings that only take effect at start; a reload says so instead of ignoring them. */
static void
warn_restart_only(const struct sb_config *old, const struct sb_config *new)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "control_socket", offsetof(struct sb_config_daemon, control_socket) },
		{ "http_listen", offsetof(struct sb_config_daemon, http_listen) },
		{ "database", offsetof(struct sb_config_daemon, database) },
		{ "plugin_dir", offsetof(struct sb_config_daemon, plugin_dir) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *a = *(char *const *)((const char *)&old->daemon + keys[i].offset);
		const char *b = *(char *const *)((const char *)&new->daemon + keys[i].offset);

		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			sb_log(SB_LOG_WARN, "config reload: daemon.%s changed; it takes effect"
			    " at the next restart", keys[i].key);
	}
}

int
sb_daemon_reload_config(struct sb_daemon *d, struct sb_error *err)
{
	struct sb_config *cfg;
	char *msg = NULL;

	cfg = sb_config_load(d->config_path, &msg);
	if (cfg == NULL) {
		sb_error_set(err, SB_E_CONFIG_INVALID, "%s", msg != NULL ? msg : "invalid");
		free(msg);
		return -1;
	}
	/* Never strand a message on an instance the new file drops. */
	if (sb_dispatch_check_reload(d->dispatch, cfg, err) < 0) {
		sb_config_free(cfg);
		return -1;
	}
	/* The loader validates plugin keys by building the new instances. */
	if (sb_loader_apply(d->loader, cfg, 0, err) < 0) {
		sb_config_free(cfg);
		return -1;
	}
	warn_restart_only(d->cfg, cfg);
	d->cfg = cfg;  /* the loader owns it; the old one drains with its instances */
	sb_log_set_level(cfg->daemon.log_level);
	sb_store_attach(d->store, d->base, cfg->daemon.commit_interval_ms,
	    (unsigned)cfg->daemon.commit_max);
	/* New chain definitions get versions; messages keep the ones they have. */
	if (sb_dispatch_reloaded(d->dispatch, err) < 0)
		return -1;
	sb_log(SB_LOG_INFO, "configuration reloaded from %s", d->config_path);
	sb_dispatch_kick(d->dispatch);
	sb_events_kick(d->events);
	return 0;
}

/* Create the parent directory of a path (the database, the socket). */
static void
make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		sb_log(SB_LOG_WARN, "cannot create %s: %s", dir, strerror(errno));
}

int
sb_daemon_start(struct sb_daemon *d, struct sb_config *cfg, struct sb_error *err)
{
	int64_t counts[SB_ST_COUNT];

	d->cfg = cfg;
	sb_log_set_level(cfg->daemon.log_level);
	make_parent_dir(cfg->daemon.database);
	make_parent_dir(cfg->daemon.control_socket);
	d->store = sb_store_open(cfg->daemon.database, cfg->daemon.sync_full, err);
	if (d->store == NULL)
		return -1;
	if (sb_store_attach(d->store, d->base, cfg->daemon.commit_interval_ms,
	    (unsigned)cfg->daemon.commit_max) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory starting up");
	if (sb_store_count_by_status(d->store, counts) == 0)
		sb_metrics_status_set(counts);
	d->http = sb_http_client_new(d->base);
	d->loader = sb_loader_new(d);
	d->dispatch = sb_dispatch_new(d);
	d->allow = sb_allowlist_new(d->store, err);
	d->events = sb_events_new(d);
	if (d->http == NULL || d->loader == NULL || d->dispatch == NULL || d->allow == NULL ||
	    d->events == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory starting up");
	if (sb_loader_apply(d->loader, cfg, 0, err) < 0)
		return -1;
	d->owns_cfg = 0;
	sb_dispatch_recover(d->dispatch);
	d->control = sb_control_new(d, err);
	if (d->control == NULL)
		return -1;
	d->api = sb_http_api_new(d, err);
	if (d->api == NULL && cfg->daemon.http_listen != NULL)
		return -1;
	return 0;
}

struct drain_wait {
	struct sb_daemon *d;
	int64_t deadline;
};

static void
drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drain_wait *w = arg;

	(void)fd;
	(void)what;
	if (!sb_loader_draining(w->d->loader)) {
		event_base_loopbreak(w->d->base);
	} else if (sb_mono_us() / 1000 >= w->deadline) {
		sb_log(SB_LOG_WARN, "stopping: sends still in flight after %d ms; the host answers"
		    " them", SB_DRAIN_MAX_MS);
		event_base_loopbreak(w->d->base);
	}
}

void
sb_daemon_drain(struct sb_daemon *d)
{
	/* A short poll, only while stopping: simpler than a hook on every result. */
	const struct timeval every = { 0, 20000 };
	struct drain_wait w = { .d = d, .deadline = sb_mono_us() / 1000 + SB_DRAIN_MAX_MS };
	struct event *tick;

	d->stopping = 1;
	sb_http_api_free(d->api);
	d->api = NULL;
	sb_control_free(d->control);
	d->control = NULL;
	if (d->loader == NULL || !sb_loader_drain(d->loader))
		return;
	if ((tick = event_new(d->base, -1, EV_PERSIST, drain_tick, &w)) == NULL)
		return;
	event_add(tick, &every);
	event_base_dispatch(d->base);
	event_free(tick);
	sb_log(SB_LOG_INFO, "stopping: sends in flight finished");
}

void
sb_daemon_stop(struct sb_daemon *d)
{
	d->stopping = 1;
	sb_http_api_free(d->api);
	d->api = NULL;
	sb_control_free(d->control);
	d->control = NULL;
	if (d->store != NULL)
		sb_store_commit(d->store);
	/* Aborted requests report "shutdown" through the plugins before they go. */
	sb_http_client_free(d->http);
	d->http = NULL;
	sb_loader_free(d->loader);
	d->loader = NULL;
	sb_host_tcp_shutdown(d);
	sb_dispatch_free(d->dispatch);
	d->dispatch = NULL;
	sb_allowlist_free(d->allow);
	d->allow = NULL;
	sb_store_close(d->store);
	d->store = NULL;
	/* Last: the store's final commit and the aborted requests report to it. */
	sb_events_free(d->events);
	d->events = NULL;
	if (d->owns_cfg)
		sb_config_free(d->cfg);
	d->cfg = NULL;
}
