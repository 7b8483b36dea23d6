/*
 * http_hooks.c - /hooks/<instance>[/rest]: provider callbacks (receipts,
 * inbound messages) handed to the channel instance's plugin, which verifies
 * the provider's signature and fills the answer; the answer goes out once
 * what the callback changed is committed (a 503 if the commit failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "daemon.h"
#include "http_api_internal.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

static void
fail(struct evhttp_request *req, enum sb_err code, const char *msg)
{
	struct sb_error err = { 0 };

	sb_error_set(&err, code, "%s", msg);
	sb_http_send_error(req, &err);
}

struct hook_ctx {
	struct evhttp_request *req;
};

static const char *
hook_header(const struct sb_webhook_request *wr, const char *name)
{
	struct hook_ctx *c = wr->host_data;

	return evhttp_find_header(evhttp_request_get_input_headers(c->req), name);
}

/*
 * A provider is answered only once what its callback changed is durable:
 * a 200 tells it the receipt (or inbound message) is ours and it will not
 * send it again, so a kill -9 between the answer and the commit would lose
 * it for good. The answer waits for the group commit; if the commit fails
 * the provider gets a 503 and retries.
 */
struct hook_reply {
	struct sb_http_api *api;
	struct evhttp_request *req;      /* NULL once the provider has gone */
	int status;
};

static void
hook_client_gone(void *arg)
{
	struct hook_reply *h = arg;

	h->req = NULL;
}

static void
hook_committed(void *arg, int ok)
{
	struct hook_reply *h = arg;

	if (h->req != NULL) {
		sb_http_watch(h->api, h->req, NULL, NULL);
		if (ok) {
			sb_http_send_reply_now(h->req, h->status);
		} else {
			struct evbuffer *out = evhttp_request_get_output_buffer(h->req);

			evbuffer_drain(out, evbuffer_get_length(out));
			evbuffer_add_printf(out, "not stored; try again\n");
			evhttp_send_reply(h->req, 503, NULL, NULL);
		}
	}
	free(h);
}

static void
hook_reply_after_commit(struct sb_http_api *api, struct evhttp_request *req, int status)
{
	struct hook_reply *h = malloc(sizeof(*h));

	if (h == NULL) {
		evhttp_send_reply(req, 503, NULL, NULL);
		return;
	}
	*h = (struct hook_reply){ api, req, status };
	if (sb_store_after_commit(sb_http_daemon(api)->store, hook_committed, h) < 0) {
		free(h);
		evhttp_send_reply(req, 503, NULL, NULL);
		return;
	}
	sb_http_watch(api, req, hook_client_gone, h);
}

void
sb_http_route_hook(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri), *query = evhttp_uri_get_query(uri);
	char name[128], url[4096];
	size_t nlen = strcspn(rest, "/?");
	struct sb_instance *inst;
	struct hook_ctx ctx = { req };
	struct sb_webhook_request wr;
	struct sb_webhook_response resp = {
		.struct_size = sizeof(resp), .status = 200, .content_type = "text/plain", .body = "",
	};
	struct evbuffer *out;

	if (nlen == 0 || nlen >= sizeof(name)) {
		fail(req, SB_E_NOT_FOUND, "no such hook");
		return;
	}
	/* Providers call with GET or POST; a plugin is never shown another method. */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		fail(req, SB_E_BAD_REQUEST, "use GET or POST on /hooks/<instance>");
		return;
	}
	memcpy(name, rest, nlen);
	name[nlen] = '\0';
	inst = sb_loader_instance(sb_http_daemon(api)->loader, name);
	if (inst == NULL || inst->p->webhook == NULL) {
		sb_log(SB_LOG_WARN, "http: callback for unknown hook '%s'", name);
		fail(req, SB_E_NOT_FOUND, "no such hook");
		return;
	}
	if ((int64_t)evbuffer_get_length(in) > sb_http_daemon(api)->cfg->daemon.http_max_body) {
		fail(req, SB_E_TOO_LARGE, "callback body too large");
		return;
	}
	snprintf(url, sizeof(url), "%s%s", sb_http_daemon(api)->cfg->daemon.public_url,
	    evhttp_request_get_uri(req));
	wr = (struct sb_webhook_request){
		.struct_size = sizeof(wr),
		.method = evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
		.path = path != NULL ? path + strlen("/hooks/") + nlen : "",
		.query = query != NULL ? query : "",
		.url = url,
		.body = (const char *)evbuffer_pullup(in, -1),
		.body_len = evbuffer_get_length(in),
		.header = hook_header,
		.host_data = &ctx,
	};
	if (wr.body == NULL)
		wr.body = "";
	inst->p->webhook(inst->state, &wr, &resp);
	sb_metrics_count("sb_webhooks_total", inst->name, 0, 1);
	out = evhttp_request_get_output_buffer(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    resp.content_type != NULL ? resp.content_type : "text/plain");
	if (resp.body != NULL)
		evbuffer_add(out, resp.body, strlen(resp.body));
	hook_reply_after_commit(api, req, resp.status);
}

/* ---- routing ---- */

