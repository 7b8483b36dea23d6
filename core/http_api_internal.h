/*
 * http_api_internal.h - what http_api.c lends the route files beside it
 * (http_messages.c, http_bcast.c, http_search.c, http_stats.c, http_tpl.c): authentication,
 * JSON bodies and answers, query parameters and the answer after a commit,
 * so every route reads and fails the same way.
 */
#ifndef SB_HTTP_API_INTERNAL_H
#define SB_HTTP_API_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "errors.h"

struct sb_config_subaccount;
struct sb_console;
struct sb_daemon;
struct sb_http_api;

struct sb_daemon *sb_http_daemon(struct sb_http_api *api);
struct sb_console *sb_http_console(struct sb_http_api *api);
/* The failed-login throttle API keys share: 1 if the request's address must
 * wait (answered 429 with Retry-After), else 0; and counting a failure. */
int sb_http_auth_throttled(struct sb_http_api *api, struct evhttp_request *req);
void sb_http_auth_failed(struct sb_http_api *api, struct evhttp_request *req,
    const char *why);
/*
 * The subaccount of the request's API key, or of its console session
 * (console.c: CSRF-checked, X-Subaccount), or NULL (already answered
 * 400/401/403/429).
 */
const struct sb_config_subaccount *sb_http_authenticate(struct sb_http_api *api,
    struct evhttp_request *req);
/* Answer 4xx/5xx with an error of `code` and `msg`; returns -1. */
int sb_http_fail(struct evhttp_request *req, enum sb_err code, const char *msg);
/* A time argument (ISO 8601): 0, or -1 answered naming it and what is wrong. */
int sb_http_time_arg(struct evhttp_request *req, const char *name, const char *v,
    int64_t *out);
/* A query parameter, NULL if absent or empty. */
const char *sb_http_query_param(struct evkeyvalq *q, const char *name);
/*
 * Answer now, written at once rather than at the loop's next turn: only
 * where nothing touches the request after the call (an answer given from
 * a commit's callback), since evhttp may free it inside.
 */
void sb_http_send_reply_now(struct evhttp_request *req, int code);
void sb_http_send_json_now(struct evhttp_request *req, int code, json_t *body);
/* The same for a JSON text already in the request's output buffer. */
void sb_http_send_json_text_now(struct evhttp_request *req, int code);
/* Answer with `body` (taken). */
void sb_http_send_json(struct evhttp_request *req, int code, json_t *body);
void sb_http_send_error(struct evhttp_request *req, const struct sb_error *err);
/* The request's query string into q (clear it after): 0, or -1 answered 400. */
int sb_http_parse_query(struct evhttp_request *req, struct evkeyvalq *q);
/* An optional ISO 8601 time parameter: 0 (absent or empty: *out = 0) or -1 answered 400. */
int sb_http_time_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
    int64_t *out);
/* An optional integer query parameter in [min, max]: 0 (absent: *out = 0) or -1 answered. */
int sb_http_int_param(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
    int64_t min, int64_t max, int64_t *out);
/* The body as a JSON object (a new reference), or NULL (answered 400/413). */
json_t *sb_http_read_json_body(struct sb_http_api *api, struct evhttp_request *req);
/* Answer `answer` (taken) with 200 once the open group is committed. */
void sb_http_reply_after_commit(struct sb_http_api *api, struct evhttp_request *req,
    json_t *answer);
/*
 * Who a request's API key (of `subaccount`) is, for a broadcast's user:
 * the key's configured name, else "key:<first 12 hex of its hash>".
 */
const char *sb_http_key_user(struct sb_http_api *api, const char *subaccount,
    struct evhttp_request *req, char *buf, size_t len);

/*
 * Call gone(arg) if the client goes away before the answer (NULL: stop
 * watching); the request must not be used after that.
 */
void sb_http_watch(struct sb_http_api *api, struct evhttp_request *req,
    void (*gone)(void *), void *arg);

/* http_messages.c: /v1/messages[/id[/preview|/cancel|/reschedule|/resend]] */
void sb_http_route_messages(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_allow.c: /v1/allowlist, the content filter's allowlist (support users) */
void sb_http_route_allowlist(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_hooks.c: /hooks/<instance>[/rest], provider callbacks */
void sb_http_route_hook(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_bcast.c: /v1/broadcasts[/id[/stop|/restart]] */
void sb_http_route_broadcasts(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_search.c: GET /v1/search */
void sb_http_route_search(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_stats.c: GET /v1/stats */
void sb_http_route_stats(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_tpl.c: /v1/templates[/name] */
void sb_http_route_templates(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_inbox.c: /v1/folders[/name], /v1/inbound/{id}[/archive|/unarchive], /v1/contacts/{id} */
void sb_http_route_folders(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);
void sb_http_route_inbound(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);
void sb_http_route_contacts(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);
void sb_http_route_flows(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

/* http_events.c: GET /v1/events, POST /v1/events/{id}/redeliver */
void sb_http_route_events(struct sb_http_api *api, struct evhttp_request *req,
    const char *rest);

#endif
