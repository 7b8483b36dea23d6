/*
 * fake_host.c - the fake struct sb_host of the plugin unit tests (see
 * fake_host.h). Owns nothing but what the instances hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "fake_host.h"
#include "http_client.h"

static int real_http; /* http_header: a real reply, else the captured instance */

static void
copy(char *out, size_t cap, const char *s)
{
	snprintf(out, cap, "%s", s != NULL ? s : "");
}

static void
h_log(struct sb_instance *inst, enum sb_log_level level, const char *fmt, ...)
{
	size_t len = strlen(inst->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inst->log + len, sizeof(inst->log) - len, fmt, ap);
	va_end(ap);
	len = strlen(inst->log);
	if (len + 1 < sizeof(inst->log)) {
		inst->log[len] = '\n';
		inst->log[len + 1] = '\0';
	}
}

static const char *
h_name(struct sb_instance *inst)
{
	return inst->name;
}

static struct sb_cfg *
h_root(struct sb_instance *inst)
{
	return inst->root;
}

static void
h_cfg_error(struct sb_cfg *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_cfg_error(node, "%s", msg);
}

/* As the real host: {env: NAME} or a plain string. */
static int
h_secret(struct sb_instance *inst, const char *key, const char **out)
{
	struct sb_cfg *node = sb_cfg_get(inst->root, key);
	const char *v = NULL, *env = NULL;

	if (node != NULL && sb_cfg_scalar(node) != NULL)
		v = sb_cfg_scalar(node);
	else if (node != NULL && sb_cfg_string(node, "env", NULL, &env) == 0)
		v = getenv(env);
	if (v == NULL || inst->nsecrets == sizeof(inst->secrets) / sizeof(inst->secrets[0])) {
		sb_cfg_error(inst->root, "missing secret '%s'", key);
		return -1;
	}
	inst->secrets[inst->nsecrets] = strdup(v);
	*out = inst->secrets[inst->nsecrets++];
	return 0;
}

struct h_http {
	sb_http_done_fn done;
	void *arg;
};

static void
h_http_done(void *arg, long status, const char *body, size_t len, const char *error,
    const struct sb_http_reply *reply)
{
	struct h_http h = *(struct h_http *)arg;

	free(arg);
	h.done(h.arg, status, body, len, error, reply);
}

static int
h_http_request(struct sb_instance *inst, const struct sb_http_request *req,
    sb_http_done_fn done, void *arg)
{
	struct h_http *h;

	if (inst->http == NULL) { /* capture */
		inst->nreq++;
		copy(inst->method, sizeof(inst->method), req->method);
		copy(inst->url, sizeof(inst->url), req->url);
		snprintf(inst->body, sizeof(inst->body), "%.*s", (int)req->body_len,
		    req->body != NULL ? req->body : "");
		copy(inst->userpwd, sizeof(inst->userpwd), req->userpwd);
		inst->done = done;
		inst->arg = arg;
		return 0;
	}
	if ((h = malloc(sizeof(*h))) == NULL)
		return -1;
	h->done = done;
	h->arg = arg;
	if (sb_http_client_request(inst->http, req, 2000, h_http_done, h) < 0) {
		free(h);
		return -1;
	}
	return 0;
}

static const char *
h_http_header(const struct sb_http_reply *reply, const char *name)
{
	const struct sb_instance *inst = (const void *)reply;

	if (real_http)
		return sb_http_reply_header(reply, name);
	return inst != NULL && strcasecmp(name, "Retry-After") == 0 ?
	    inst->reply_retry_after : NULL;
}

static void
h_send_result(struct sb_instance *inst, uint64_t ticket, const struct sb_send_result *r)
{
	inst->nresults++;
	inst->ticket = ticket;
	inst->outcome = r->outcome;
	inst->retry_after_s = r->retry_after_s;
	inst->parts = r->parts;
	copy(inst->provider_id, sizeof(inst->provider_id), r->provider_id);
	copy(inst->error_code, sizeof(inst->error_code), r->error_code);
	copy(inst->error_text, sizeof(inst->error_text), r->error_text);
	if (inst->base != NULL)
		event_base_loopbreak(inst->base);
}

static void
h_receipt(struct sb_instance *inst, const struct sb_receipt *rc)
{
	inst->nreceipts++;
	inst->r_outcome = rc->outcome;
	copy(inst->r_id, sizeof(inst->r_id), rc->provider_id);
	copy(inst->r_code, sizeof(inst->r_code), rc->error_code);
	copy(inst->r_text, sizeof(inst->r_text), rc->error_text);
}

/* What comes in is counted; the contacts know nobody. */
static int
h_inbound_message(struct sb_instance *inst, const struct sb_inbound *in)
{
	(void)in;
	inst->ninbound++;
	return 0;
}

static void
h_inbound(struct sb_instance *inst, const char *from, const char *to, const char *text)
{
	(void)from;
	(void)to;
	(void)text;
	inst->ninbound++;
}

static int
h_contact_find(struct sb_instance *inst, const char *subaccount, const char *kind_from,
    const char *from, const char *kind_to, char *out, size_t cap)
{
	(void)inst;
	(void)subaccount;
	(void)kind_from;
	(void)from;
	(void)kind_to;
	(void)out;
	(void)cap;
	return 0;
}

static int
h_contact_link(struct sb_instance *inst, const char *subaccount, const char *kind_a,
    const char *a, const char *kind_b, const char *b)
{
	(void)inst;
	(void)subaccount;
	(void)kind_a;
	(void)a;
	(void)kind_b;
	(void)b;
	return 0;
}

static const char *
h_webhook_url(struct sb_instance *inst)
{
	return inst->webhook_url;
}

static void
h_counter_add(struct sb_instance *inst, const char *name, uint64_t n)
{
	(void)inst;
	(void)name;
	(void)n;
}

const struct sb_host fake_host = {
	.struct_size = sizeof(struct sb_host),
	.version = SB_HOST_VERSION,
	.log = h_log,
	.instance_name = h_name,
	.cfg_root = h_root,
	.cfg_get = sb_cfg_get,
	.cfg_string = sb_cfg_string,
	.cfg_int = sb_cfg_int,
	.cfg_bool = sb_cfg_bool,
	.cfg_duration_ms = sb_cfg_duration_ms,
	.cfg_len = sb_cfg_len,
	.cfg_item = sb_cfg_item,
	.cfg_scalar = sb_cfg_scalar,
	.cfg_error = h_cfg_error,
	.secret = h_secret,
	.http_request = h_http_request,
	.http_header = h_http_header,
	.send_result = h_send_result,
	.receipt = h_receipt,
	.inbound = h_inbound,
	.webhook_url = h_webhook_url,
	.counter_add = h_counter_add,
	.inbound_message = h_inbound_message,
	.contact_link = h_contact_link,
	.contact_find = h_contact_find,
};

struct sb_instance *
fake_instance(const char *name, const char *yaml)
{
	struct sb_instance *inst = calloc(1, sizeof(*inst));
	char *err = NULL;

	assert_non_null(inst);
	inst->doc = sb_cfg_doc_parse("test.yaml", yaml, strlen(yaml), &err);
	if (inst->doc == NULL)
		fail_msg("yaml: %s", err);
	inst->root = sb_cfg_doc_root(inst->doc);
	copy(inst->name, sizeof(inst->name), name);
	snprintf(inst->webhook_url, sizeof(inst->webhook_url), "http://127.0.0.1:8025/hooks/%s",
	    name);
	return inst;
}

void
fake_instance_http(struct sb_instance *inst, struct event_base *base)
{
	inst->base = base;
	inst->http = sb_http_client_new(base);
	real_http = 1;
}

void
fake_instance_free(struct sb_instance *inst)
{
	sb_http_client_free(inst->http);
	for (size_t i = 0; i < inst->nsecrets; i++)
		free(inst->secrets[i]);
	sb_cfg_doc_free(inst->doc);
	free(inst);
}

void
fake_http_done(struct sb_instance *inst, long status, const char *body, const char *error)
{
	sb_http_done_fn fn = inst->done;

	inst->done = NULL;
	assert_non_null(fn);
	fn(inst->arg, status, body != NULL ? body : "", body != NULL ? strlen(body) : 0, error,
	    (const struct sb_http_reply *)inst);
}
