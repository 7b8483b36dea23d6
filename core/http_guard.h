/*
 * http_guard.h - what keeps the HTTP front from being stalled: a cap on
 * connections, header and body deadlines that a trickle of bytes does not
 * extend, a pause of accept near the fd limit, and a per-address throttle
 * of failed API-key checks.
 *
 * evhttp (libevent 2.1) has no hook for a new connection, so the guard
 * creates each connection's bufferevent itself (evhttp_set_bevcb), adopts
 * the evhttp connection on the next loop turn, and watches the bytes that
 * arrive. It owns the evhttp connections' close callbacks: code that must
 * know a client went away asks the guard (sb_http_guard_watch).
 */
#ifndef SB_HTTP_GUARD_H
#define SB_HTTP_GUARD_H

#include <stdint.h>

struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;
struct evhttp_request;
struct sb_daemon;
struct sb_http_guard;

/* Attach to `http` (before it binds) and to its listener `sock` once bound.
 * Limits are read from d->cfg at each use, so a reload applies to new
 * connections. Returns NULL on out of memory. */
struct sb_http_guard *sb_http_guard_new(struct sb_daemon *d, struct evhttp *http);
void sb_http_guard_listen(struct sb_http_guard *g, struct evhttp_bound_socket *sock);
/* Before evhttp_free: drop every tracked connection's state. */
void sb_http_guard_free(struct sb_http_guard *g);

/* A whole request reached the handler: its connection has no deadline
 * until the answer is sent; then the next request's header deadline runs. */
void sb_http_guard_request(struct sb_http_guard *g, struct evhttp_request *req);

/* Call gone(arg) if the request's client goes away before the answer;
 * gone == NULL cancels. At most one watcher per connection. */
void sb_http_guard_watch(struct sb_http_guard *g, struct evhttp_request *req,
    void (*gone)(void *arg), void *arg);

/* API-key throttle. sb_http_guard_auth_allowed returns 0 if the request's
 * address may try a key now, or -1 and the seconds to wait. A failed check
 * is reported with sb_http_guard_auth_failed (counted, logged, limited). */
int sb_http_guard_auth_allowed(struct sb_http_guard *g, struct evhttp_request *req,
    int *retry_after_s);
void sb_http_guard_auth_failed(struct sb_http_guard *g, struct evhttp_request *req,
    const char *why);

/* Connections open now (for /metrics). */
int64_t sb_http_guard_connections(const struct sb_http_guard *g);

#endif
