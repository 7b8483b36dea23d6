/*
 * host.c - the services table plugins get (struct sb_host of host.h).
 *
 * Each entry is a thin adapter onto a daemon module: config getters onto
 * cfgnode.c, timers onto libevent, HTTP onto http_client.c, TCP onto
 * host_tcp.c, results and
 * receipts onto the engine (core/engine/). What an instance acquires here (timers,
 * resolved secrets) is tracked on the instance and released by
 * sb_host_instance_cleanup, so a plugin that forgets cannot leak across a
 * reload. In-flight counting happens here too: the loader finishes a
 * replaced instance only when nothing it started is still out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "allowlist.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "dispatch_internal.h"
#include "http_client.h"
#include "inbound.h"
#include "instance.h"
#include "log.h"
#include "plugin_abi.h"
#include "store.h"

struct host_timer {
	struct event *ev;
	struct sb_instance *inst;
	sb_timer_fn fn;
	void *arg;
	struct host_timer *prev, *next;
};

struct host_secret {
	char *key;
	char *value;
	struct host_secret *next;
};

/*
 * One HTTP request a plugin started: counted in flight until it is done.
 * `inst` is NULL once the instance is gone (plugin.h rule 7: after fini
 * the host calls nothing of it); the request then ends unseen.
 */
struct host_http {
	struct sb_instance *inst;
	sb_http_done_fn done;
	void *arg;
	struct host_http *prev, *next;
};

static void
host_log(struct sb_instance *inst, enum sb_log_level level, const char *fmt, ...)
{
	char line[1536];
	va_list ap;

	if (level > sb_log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sb_log(level, "[%s] %s", inst->name, line);
}

static const char *
host_instance_name(struct sb_instance *inst)
{
	return inst->name;
}

static struct sb_cfg *
host_cfg_root(struct sb_instance *inst)
{
	return inst->cfg->node;
}

static void
host_cfg_error(struct sb_cfg *node, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_cfg_error(node, "%s", msg);
}

static int
host_secret(struct sb_instance *inst, const char *key, const char **out)
{
	struct sb_cfg *node = sb_cfg_get(inst->cfg->node, key);
	struct host_secret *s;
	const char *file = NULL, *env = NULL;
	char *value = NULL;

	for (s = inst->secrets; s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0) {
			*out = s->value;
			return 0;
		}
	if (node == NULL) {
		sb_cfg_error(inst->cfg->node, "missing secret '%s' (expected {file: PATH} or"
		    " {env: NAME})", key);
		return -1;
	}
	if (node->type == SB_CFG_SCALAR) {
		sb_log(SB_LOG_WARN, "[%s] secret '%s' is written inline in the config;"
		    " use {file: PATH} or {env: NAME}", inst->name, key);
		value = strdup(node->scalar);
	} else if (node->type == SB_CFG_MAP) {
		sb_cfg_string(node, "file", NULL, &file);
		sb_cfg_string(node, "env", NULL, &env);
		sb_cfg_check_unused(node, "secret");
		if ((file == NULL) == (env == NULL)) {
			sb_cfg_error(node, "secret '%s' needs exactly one of file or env", key);
			return -1;
		}
		if (file != NULL && (value = sb_read_secret_file(file)) == NULL) {
			sb_cfg_error(node, "secret '%s': cannot read %s: %s", key, file,
			    strerror(errno));
			return -1;
		}
		if (env != NULL) {
			const char *v = getenv(env);

			if (v == NULL) {
				sb_cfg_error(node, "secret '%s': environment variable %s is not set",
				    key, env);
				return -1;
			}
			value = strdup(v);
		}
	} else {
		sb_cfg_error(node, "secret '%s' must be {file: PATH} or {env: NAME}", key);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	s->key = strdup(key);
	s->value = value;
	s->next = inst->secrets;
	inst->secrets = s;
	*out = s->value;
	return 0;
}

static void
timer_unlink(struct host_timer *t)
{
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->inst->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	event_free(t->ev);
	free(t);
}

static void
timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct host_timer *t = arg;
	sb_timer_fn fn = t->fn;
	void *fn_arg = t->arg;

	timer_unlink(t);
	fn(fn_arg);
}

static struct sb_timer *
host_timer_add(struct sb_instance *inst, int64_t after_ms, sb_timer_fn fn, void *arg)
{
	struct host_timer *t = calloc(1, sizeof(*t));
	struct timeval tv;

	if (t == NULL)
		return NULL;
	t->ev = evtimer_new(inst->d->base, timer_fire, t);
	t->inst = inst;
	t->fn = fn;
	t->arg = arg;
	t->next = inst->timers;
	if (t->next != NULL)
		t->next->prev = t;
	inst->timers = t;
	if (after_ms < 0)
		after_ms = 0;
	tv.tv_sec = after_ms / 1000;
	tv.tv_usec = (after_ms % 1000) * 1000;
	evtimer_add(t->ev, &tv);
	return (struct sb_timer *)t;
}

static void
host_timer_cancel(struct sb_timer *timer)
{
	if (timer != NULL)
		timer_unlink((struct host_timer *)timer);
}

static void
host_http_done(void *arg, long status, const char *body, size_t body_len,
    const char *error, const struct sb_http_reply *reply)
{
	struct host_http *h = arg;
	struct sb_instance *inst = h->inst;

	if (inst == NULL) {
		free(h);
		return;
	}
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		inst->https = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	/* A TEMPORARY result reported from inside this callback, for a request
	 * that went out and got no answer, is a send in doubt (the engine's
	 * in_doubt policy decides: plugins.md). */
	inst->http_in_doubt = sb_http_reply_in_doubt(reply, status);
	h->done(h->arg, status, body, body_len, error, reply);
	inst->http_in_doubt = 0;
	free(h);
	inst->requests--;
	sb_loader_instance_idle(inst);
}

static int
host_http_request(struct sb_instance *inst, const struct sb_http_request *req,
    sb_http_done_fn done, void *arg)
{
	struct host_http *h = malloc(sizeof(*h));

	if (h == NULL)
		return -1;
	*h = (struct host_http){ .inst = inst, .done = done, .arg = arg };
	if (sb_http_client_request(inst->d->http, req, inst->cfg->timeout_ms,
	    host_http_done, h) < 0) {
		free(h);
		return -1;
	}
	h->next = inst->https;
	if (h->next != NULL)
		h->next->prev = h;
	inst->https = h;
	inst->requests++;
	return 0;
}

static const char *
host_http_header(const struct sb_http_reply *reply, const char *name)
{
	return sb_http_reply_header(reply, name);
}

static void
host_send_result(struct sb_instance *inst, uint64_t ticket, const struct sb_send_result *res)
{
	sb_plugin_ticket_close(inst, ticket);
	sb_dispatch_send_result(inst->d->dispatch, inst, ticket, res);
}

static void
host_receipt(struct sb_instance *inst, const struct sb_receipt *rc)
{
	sb_dispatch_receipt(inst->d->dispatch, inst, rc);
}

/* ABI 1.0's inbound: no provider id, so nothing to dedupe by. */
static void
host_inbound(struct sb_instance *inst, const char *from, const char *to, const char *text)
{
	const struct sb_inbound in = {
		.struct_size = sizeof(in), .from = from, .to = to, .text = text,
	};

	sb_inbound_message(inst, &in);
}

static const char *
host_webhook_url(struct sb_instance *inst)
{
	return inst->webhook_url != NULL ? inst->webhook_url : "";
}

static void
host_counter_add(struct sb_instance *inst, const char *name, uint64_t n)
{
	sb_dispatch_counter_add(inst->d->dispatch, inst->name, name, n);
}

static int
host_filter_allowed(struct sb_instance *inst, const char *subaccount, const char *kind,
    const char *value)
{
	return inst->d->allow != NULL &&
	    sb_allowlist_allowed(inst->d->allow, subaccount, kind, value);
}

const struct sb_host sb_host_table = {
	.struct_size = sizeof(struct sb_host),
	.version = SB_HOST_VERSION,
	.log = host_log,
	.instance_name = host_instance_name,
	.cfg_root = host_cfg_root,
	.cfg_get = sb_cfg_get,
	.cfg_string = sb_cfg_string,
	.cfg_int = sb_cfg_int,
	.cfg_bool = sb_cfg_bool,
	.cfg_duration_ms = sb_cfg_duration_ms,
	.cfg_len = sb_cfg_len,
	.cfg_item = sb_cfg_item,
	.cfg_scalar = sb_cfg_scalar,
	.cfg_error = host_cfg_error,
	.secret = host_secret,
	.timer_add = host_timer_add,
	.timer_cancel = host_timer_cancel,
	.http_request = host_http_request,
	.http_header = host_http_header,
	.send_result = host_send_result,
	.receipt = host_receipt,
	.inbound = host_inbound,
	.webhook_url = host_webhook_url,
	.counter_add = host_counter_add,
	.filter_allowed = host_filter_allowed,
	.inbound_message = sb_inbound_message,
	.call = sb_inbound_call,
	.contact_link = sb_inbound_contact_link,
	.contact_find = sb_inbound_contact_find,
	.tcp_connect = sb_host_tcp_connect,
	.tcp_write = sb_host_tcp_write,
	.tcp_close = sb_host_tcp_close,
};

void
sb_host_instance_cleanup(struct sb_instance *inst)
{
	while (inst->timers != NULL)
		timer_unlink(inst->timers);
	sb_host_tcp_instance_cleanup(inst);
	/* Requests still out (one started by an init that then failed): they
	 * end unseen, never calling into the finished plugin. */
	while (inst->https != NULL) {
		struct host_http *h = inst->https;

		inst->https = h->next;
		h->inst = NULL;
	}
	while (inst->secrets != NULL) {
		struct host_secret *s = inst->secrets;

		inst->secrets = s->next;
		/* Secrets do not outlive their instance in freed memory. */
		explicit_bzero(s->value, strlen(s->value));
		free(s->value);
		free(s->key);
		free(s);
	}
}
