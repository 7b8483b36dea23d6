/*
 * instance.h - one configured plugin instance as the daemon sees it.
 *
 * Internal to the daemon (loader.c creates them, host.c serves them,
 * the engine sends through them); plugins only ever see the opaque
 * `struct sb_instance *`.
 */
#ifndef SB_INSTANCE_H
#define SB_INSTANCE_H

#include <stdint.h>

#include <switchboard/plugin.h>

#include "config.h"
#include "ratelimit.h"

struct sb_daemon;
struct sb_module;
struct host_timer;
struct host_secret;
struct host_http;
struct host_tcp;
struct sb_plugin_view;
struct sb_ready;

struct sb_instance {
	char *name;
	struct sb_daemon *d;
	struct sb_module *mod;
	/*
	 * The daemon calls the module through its view (plugin_abi.h): `p`
	 * is the view's struct sb_plugin and `state` is what its entry points
	 * take (the instance itself); the plugin's own state, what its init
	 * returned, is `plugin_state`.
	 */
	const struct sb_plugin *p;
	void *state;
	const struct sb_plugin_view *view;
	void *plugin_state;
	uint64_t *open;                   /* send tickets not yet answered */
	size_t nopen, capopen;
	const struct sb_config_instance *cfg; /* lives as long as the instance */
	char *webhook_url;
	/*
	 * Two counts, never one: the engine's send slots (tickets handed to
	 * the plugin, limited by max_in_flight) and the host's HTTP requests
	 * the plugin made (one send may make none, one or several). A
	 * replaced instance is finished once both are 0.
	 */
	unsigned send_slots;
	unsigned requests;
	/*
	 * Of the send slots, those handed to the plugin (at most max_in_flight);
	 * the others are marked `sending` ahead (send_ahead) and wait in the
	 * pump's list, sent the moment a handed send finishes.
	 */
	unsigned sends_out;
	struct sb_ready *ahead, *ahead_tail;
	int ahead_handing;                /* the pump is handing them out (no recursion) */
	int http_in_doubt;                /* inside the done callback of a request that
	                                     went out and got no answer */
	int draining;                     /* replaced: fini once idle */
	int drain_called;                 /* p->drain was called (once) */
	int initialised;
	struct host_timer *timers;        /* live timers, cancelled at fini */
	struct host_secret *secrets;      /* resolved secrets, wiped at fini */
	struct host_http *https;          /* HTTP requests out, orphaned at fini */
	struct host_tcp *tcps;            /* TCP connections open, closed at fini */
	/*
	 * Rate limit: a token bucket of `burst` refilled at `rate` per second:
	 * the config's rate, else the plugin's capabilities->default_rate (0: none).
	 */
	double rate, burst;
	struct sb_bucket bucket;
	unsigned lane_rr;                 /* rotates the first subaccount lane per pass */
	/*
	 * When the earliest queued attempt on it is due, as far as the engine
	 * knows: set by each pump pass that empties its due queue (INT64_MAX:
	 * none queued), lowered by every attempt queued on it; 0 (a new
	 * instance, or work left) means "maybe now". A new message's first
	 * step starts at once only before it (apply.c: no queue jumped).
	 */
	int64_t queue_due_ms;
	int64_t queue_read_ms;            /* the last pump pass that read its queue */
	uint64_t sent, accepted, failed;  /* counters for `plugins` and /metrics */
	uint64_t polled;                  /* receipt polls asked of the plugin */
	struct sb_instance *next_draining;
};

/* The host services table handed to every plugin (host.c). */
extern const struct sb_host sb_host_table;

/* Release what host.c holds for an instance (timers, secrets). */
void sb_host_instance_cleanup(struct sb_instance *inst);
/* The TCP client of the host table (host_tcp.c). */
struct sb_tcp *sb_host_tcp_connect(struct sb_instance *inst, const char *host, int port,
    int64_t timeout_ms, const struct sb_tcp_callbacks *cb, void *arg);
int sb_host_tcp_write(struct sb_tcp *c, const void *buf, size_t len);
void sb_host_tcp_close(struct sb_tcp *c);
/* Close what an instance left open (no callbacks); the resolver at exit. */
void sb_host_tcp_instance_cleanup(struct sb_instance *inst);
void sb_host_tcp_shutdown(struct sb_daemon *d);

/* Called when inflight may have dropped to 0 (loader finishes draining). */
void sb_loader_instance_idle(struct sb_instance *inst);

/* The current generation's instances, for dispatch. */
size_t sb_loader_instances(struct sb_loader *l, struct sb_instance *const **out);

#endif
