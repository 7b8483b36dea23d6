/*
 * fuzz_host.c - the fake daemon of tests/fuzz (see fuzz_host.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"

/* Read a string to its end: ASan catches a freed or unterminated one here. */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
h_log(struct sb_instance *inst, enum sb_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("SB_FUZZ_LOG") != NULL)
		fprintf(stderr, "[%s] %s\n", inst->name, line);
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

/* Secrets are plain strings in the harness's own YAML. */
static int
h_secret(struct sb_instance *inst, const char *key, const char **out)
{
	struct sb_cfg *node = sb_cfg_get(inst->root, key);

	if (node == NULL || sb_cfg_scalar(node) == NULL) {
		sb_cfg_error(inst->root, "missing secret '%s'", key);
		return -1;
	}
	*out = sb_cfg_scalar(node);
	return 0;
}

static struct sb_timer *
h_timer_add(struct sb_instance *inst, int64_t after_ms, sb_timer_fn fn, void *arg)
{
	static char never; /* timers never fire in a harness */

	return (struct sb_timer *)(void *)&never;
}

static void
h_timer_cancel(struct sb_timer *t)
{
}

static int
h_http_request(struct sb_instance *inst, const struct sb_http_request *req,
    sb_http_done_fn done, void *arg)
{
	const char *const *h;

	if (inst->done != NULL)
		abort(); /* the harness answers every request before the next one */
	touch(req->method);
	touch(req->url);
	touch(req->userpwd);
	for (h = req->headers; h != NULL && *h != NULL; h++)
		touch(*h);
	if (req->body != NULL && req->body_len > 0)
		(void)((const volatile char *)req->body)[req->body_len - 1];
	inst->done = done;
	inst->done_arg = arg;
	return 0;
}

static const char *
h_http_header(const struct sb_http_reply *reply, const char *name)
{
	const struct sb_instance *inst = (const void *)reply;

	touch(name);
	return inst->reply_header[0] != '\0' ? inst->reply_header : NULL;
}

static void
h_send_result(struct sb_instance *inst, uint64_t ticket, const struct sb_send_result *r)
{
	if (r->outcome < SB_OUT_ACCEPTED || r->outcome > SB_OUT_EXPIRED)
		abort();
	touch(r->provider_id);
	touch(r->error_code);
	touch(r->error_text);
	inst->results++;
}

static void
h_receipt(struct sb_instance *inst, const struct sb_receipt *rc)
{
	if (rc->provider_id == NULL || rc->outcome < SB_OUT_ACCEPTED ||
	    rc->outcome > SB_OUT_EXPIRED)
		abort();
	touch(rc->provider_id);
	touch(rc->error_code);
	touch(rc->error_text);
	inst->receipts++;
}

static void
h_inbound(struct sb_instance *inst, const char *from, const char *to, const char *text)
{
	touch(from);
	touch(to);
	touch(text);
}

static int
h_inbound_message(struct sb_instance *inst, const struct sb_inbound *in)
{
	if (in == NULL || in->struct_size == 0)
		abort();
	touch(in->from);
	touch(in->to);
	touch(in->text);
	touch(in->media_url);
	touch(in->provider_id);
	return 0;
}

static int
h_call(struct sb_instance *inst, const struct sb_call *c)
{
	touch(c->from);
	touch(c->to);
	touch(c->provider_id);
	return 0;
}

static int
h_contact_link(struct sb_instance *inst, const char *subaccount, const char *kind_a,
    const char *a, const char *kind_b, const char *b)
{
	touch(subaccount);
	touch(kind_a);
	touch(a);
	touch(kind_b);
	touch(b);
	return 0;
}

static int
h_contact_find(struct sb_instance *inst, const char *subaccount, const char *kind_from,
    const char *from, const char *kind_to, char *out, size_t cap)
{
	touch(subaccount);
	touch(kind_from);
	touch(from);
	touch(kind_to);
	if (cap > 0)
		out[0] = '\0';
	return 0;
}

static struct sb_tcp *
h_tcp_connect(struct sb_instance *inst, const char *host, int port, int64_t timeout_ms,
    const struct sb_tcp_callbacks *cb, void *arg)
{
	touch(host);
	return NULL; /* no network here: the connection cannot even start */
}

static int
h_tcp_write(struct sb_tcp *c, const void *buf, size_t len)
{
	return -1;
}

static void
h_tcp_close(struct sb_tcp *c)
{
}

static const char *
h_webhook_url(struct sb_instance *inst)
{
	return "https://gw.example.com/hooks/fz";
}

static void
h_counter_add(struct sb_instance *inst, const char *name, uint64_t n)
{
	touch(name);
}

static int
h_filter_allowed(struct sb_instance *inst, const char *subaccount, const char *kind,
    const char *value)
{
	touch(subaccount);
	touch(kind);
	return value != NULL && strcmp(value, "allowed.example") == 0;
}

const struct sb_host fz_host = {
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
	.timer_add = h_timer_add,
	.timer_cancel = h_timer_cancel,
	.http_request = h_http_request,
	.http_header = h_http_header,
	.send_result = h_send_result,
	.receipt = h_receipt,
	.inbound = h_inbound,
	.webhook_url = h_webhook_url,
	.counter_add = h_counter_add,
	.filter_allowed = h_filter_allowed,
	.tcp_connect = h_tcp_connect,
	.tcp_write = h_tcp_write,
	.tcp_close = h_tcp_close,
	.inbound_message = h_inbound_message,
	.call = h_call,
	.contact_link = h_contact_link,
	.contact_find = h_contact_find,
};

struct sb_instance *
fz_instance(const struct sb_plugin *p, const char *name, const char *yaml, void **state)
{
	struct sb_instance *inst = calloc(1, sizeof(*inst));
	char *err = NULL;

	if (inst == NULL)
		abort();
	inst->name = name;
	inst->doc = sb_cfg_doc_parse(name, yaml, strlen(yaml), &err);
	if (inst->doc == NULL) {
		fprintf(stderr, "fuzz harness: bad YAML for %s: %s\n", name, err);
		abort();
	}
	inst->root = sb_cfg_doc_root(inst->doc);
	if (p->init(&fz_host, inst, state) != 0 || sb_cfg_doc_nerrors(inst->doc) > 0) {
		err = sb_cfg_doc_errors(inst->doc);
		fprintf(stderr, "fuzz harness: %s init failed: %s\n", name, err != NULL ? err : "");
		abort();
	}
	return inst;
}

static const char *
hook_header(const struct sb_webhook_request *req, const char *name)
{
	const struct fz_hook *h = req->host_data;
	size_t i;

	for (i = 0; h->headers[i] != NULL; i += 2)
		if (strcasecmp(h->headers[i], name) == 0)
			return h->headers[i + 1];
	return NULL;
}

void
fz_hook_init(struct fz_hook *h, const char *method, const char *query, const char *url,
    const char *body, size_t body_len)
{
	memset(h, 0, sizeof(*h));
	h->req.struct_size = sizeof(h->req);
	h->req.method = method;
	h->req.path = "";
	h->req.query = query;
	h->req.url = url;
	h->req.body = body;
	h->req.body_len = body_len;
	h->req.header = hook_header;
	h->req.host_data = h;
}

void
fz_hook_header(struct fz_hook *h, const char *name, const char *value)
{
	size_t i;

	for (i = 0; h->headers[i] != NULL; i += 2)
		;
	if (i + 2 >= sizeof(h->headers) / sizeof(h->headers[0]))
		abort();
	h->headers[i] = name;
	h->headers[i + 1] = value;
}

void
fz_hook_run(const struct sb_plugin *p, void *state, struct fz_hook *h)
{
	struct sb_webhook_response resp = { .status = 200, .content_type = "text/plain", .body = "" };

	p->webhook(state, &h->req, &resp);
	if (resp.status < 100 || resp.status > 599 || resp.body == NULL)
		abort();
	touch(resp.body);
	touch(resp.content_type);
}

void
fz_send_and_answer(const struct sb_plugin *p, void *state, struct sb_instance *inst,
    const struct sb_send_request *req, long status, const char *body, size_t len,
    const char *header)
{
	sb_http_done_fn done;

	snprintf(inst->reply_header, sizeof(inst->reply_header), "%s", header);
	if (p->send(state, req) != 0 || inst->done == NULL) {
		inst->done = NULL;
		return;
	}
	done = inst->done;
	inst->done = NULL;
	done(inst->done_arg, status, body, len, status == 0 ? "timeout" : NULL,
	    (const struct sb_http_reply *)(const void *)inst);
	if (inst->done != NULL)
		abort(); /* a plugin that starts a second request from the answer: not expected */
}

void
fz_split_line(const uint8_t *data, size_t size, char *head, size_t cap,
    const uint8_t **rest, size_t *rest_len)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) : size;

	if (n >= cap)
		n = cap - 1;
	memcpy(head, data, n);
	head[n] = '\0';
	if (nl == NULL) {
		*rest = data + size;
		*rest_len = 0;
	} else {
		*rest = nl + 1;
		*rest_len = size - (size_t)(nl + 1 - data);
	}
}
