/*
 * daemon.h - the one running daemon: what main.c builds and every module
 * may reach. Modules keep their own state; this only ties them together.
 */
#ifndef SB_DAEMON_H
#define SB_DAEMON_H

#include <event2/event.h>

#include "errors.h"

struct sb_config;
struct sb_store;
struct sb_loader;
struct sb_dispatch;
struct sb_http_client;
struct sb_control;
struct sb_http_api;
struct sb_allowlist;
struct sb_events;
struct evdns_base;

struct sb_daemon {
	struct event_base *base;
	char *config_path;
	struct sb_config *cfg;        /* current config; replaced whole on reload */
	struct sb_store *store;
	struct sb_http_client *http;
	struct sb_loader *loader;
	struct sb_dispatch *dispatch;
	struct sb_allowlist *allow;
	struct sb_events *events;     /* delivery of events to applications */
	struct sb_control *control;
	struct sb_http_api *api;
	struct evdns_base *dns;       /* plugins' TCP host names (host_tcp.c), made on use */
	int owns_cfg;                 /* cfg not yet handed to the loader */
	int test_mode;                /* -T: test-only control commands enabled */
	int stopping;
};

/*
 * Bring every module up on `cfg` (which the daemon then owns), or return
 * -1 with err; sb_daemon_stop undoes whatever was done either way.
 */
int sb_daemon_start(struct sb_daemon *d, struct sb_config *cfg, struct sb_error *err);
void sb_daemon_stop(struct sb_daemon *d);
/*
 * The first step of a stop, on the running loop: take no new work (API,
 * control socket, pump), then let channels that can finish their sends in
 * flight do so (plugin.h `drain`), for at most SB_DRAIN_MAX_MS or until
 * event_base_loopbreak (a second signal). sb_daemon_stop follows.
 */
void sb_daemon_drain(struct sb_daemon *d);

/*
 * Load the config file again, validate it whole (including plugin keys),
 * and swap it in. On any error the old config stays and `err` says why.
 */
int sb_daemon_reload_config(struct sb_daemon *d, struct sb_error *err);

#endif
