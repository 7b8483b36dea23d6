/*
 * http_client.h - asynchronous HTTP client: libcurl's multi interface driven
 * by the daemon's libevent loop.
 *
 * http_client.c owns the curl multi handle, the socket/timer glue
 * (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION onto libevent events),
 * a pool of reusable easy handles, and the completion callbacks. It never
 * blocks the loop: DNS runs in curl's threaded resolver, connections are
 * reused (keep-alive) across requests to the same host.
 */
#ifndef SB_HTTP_CLIENT_H
#define SB_HTTP_CLIENT_H

#include <event2/event.h>
#include <switchboard/host.h>

struct sb_http_client;

/* Create a client on `base`. Returns NULL on failure. */
struct sb_http_client *sb_http_client_new(struct event_base *base);

/*
 * Free the client. Requests still in flight are aborted and their callbacks
 * are called with status 0 and error "shutdown" before this returns.
 */
void sb_http_client_free(struct sb_http_client *c);

/*
 * Start a request. `default_timeout_ms` applies when req->timeout_ms is 0.
 * `done` is called exactly once, later, from the loop (never from inside
 * this call). Returns 0, or -1 if it could not be started (bad URL, out of
 * memory); then `done` is not called. Request strings are copied.
 */
int sb_http_client_request(struct sb_http_client *c, const struct sb_http_request *req,
    int64_t default_timeout_ms, sb_http_done_fn done, void *arg);

/* A response header by name (case-insensitive), or NULL. */
const char *sb_http_reply_header(const struct sb_http_reply *reply, const char *name);

/* Requests in flight now. */
size_t sb_http_client_inflight(const struct sb_http_client *c);

/*
 * 1 if a request that got no answer (status 0) had gone out, in full or in
 * part, before it failed: the server may have acted on it.
 */
int sb_http_reply_in_doubt(const struct sb_http_reply *reply, long status);

#endif
