/*
 * http_api.h - the HTTP API, provider webhooks, /healthz and /metrics.
 */
#ifndef SB_HTTP_API_H
#define SB_HTTP_API_H

#include "errors.h"

struct sb_daemon;
struct sb_http_api;

/* NULL without error when no http_listen is configured. */
struct sb_http_api *sb_http_api_new(struct sb_daemon *d, struct sb_error *err);
void sb_http_api_free(struct sb_http_api *api);

#endif
