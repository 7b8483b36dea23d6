/*
 * plugin_abi.c - adapters between the daemon and a module of any ABI 1.x
 * (see plugin_abi.h).
 *
 * An instance's `state`, as the daemon passes it to `inst->p`, is the
 * instance itself; the plugin's own state is `inst->plugin_state`. The 1.0
 * layouts below are frozen copies of what ABI 1.0 plugins were compiled
 * with; they never change (plugin.h, rule E4).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "dispatch_internal.h"
#include "instance.h"
#include "log.h"
#include "plugin_abi.h"

/* ABI 1.0: struct sb_webhook_response had no struct_size. */
struct webhook_response_v1_0 {
	int status;
	const char *content_type;
	const char *body;
};

/* ABI 1.0: struct sb_verdict had no struct_size. */
struct verdict_v1_0 {
	int verdict;
	char reason[256];
};

/* ---- open tickets ---- */

static void
ticket_open(struct sb_instance *inst, uint64_t ticket)
{
	if (inst->nopen == inst->capopen) {
		size_t cap = inst->capopen ? inst->capopen * 2 : 16;
		uint64_t *t = realloc(inst->open, cap * sizeof(*t));

		if (t == NULL) {
			/* Untracked: only a ticket still open at fini would go
			 * unanswered, and recovery resolves it after a restart. */
			sb_log(SB_LOG_WARN, "[%s] out of memory tracking ticket %llu",
			    inst->name, (unsigned long long)ticket);
			return;
		}
		inst->open = t;
		inst->capopen = cap;
	}
	inst->open[inst->nopen++] = ticket;
}

void
sb_plugin_ticket_close(struct sb_instance *inst, uint64_t ticket)
{
	/* Newest first: most results come back in the order sent. */
	for (size_t i = inst->nopen; i > 0; i--)
		if (inst->open[i - 1] == ticket) {
			inst->open[i - 1] = inst->open[--inst->nopen];
			return;
		}
}

size_t
sb_plugin_tickets_open(const struct sb_instance *inst)
{
	return inst->nopen;
}

/* After fini: every ticket still open is answered temporary (re-queued). */
static void
answer_open_tickets(struct sb_instance *inst)
{
	const struct sb_send_result res = {
		.struct_size = sizeof(res), .outcome = SB_OUT_TEMPORARY,
		.error_text = "the plugin instance stopped before answering",
		.retry_after_s = -1,
	};

	if (inst->nopen > 0)
		sb_log(SB_LOG_INFO, "[%s] stopped with %zu sends unanswered: re-queued",
		    inst->name, inst->nopen);
	while (inst->nopen > 0) {
		uint64_t ticket = inst->open[--inst->nopen];

		if (inst->d != NULL && inst->d->dispatch != NULL)
			sb_dispatch_send_result(inst->d->dispatch, inst, ticket, &res);
	}
	free(inst->open);
	inst->open = NULL;
	inst->capopen = 0;
}

/* ---- adapters: `state` is the instance ---- */

static int
view_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	inst->plugin_state = NULL;
	if (inst->view->real.init(host, inst, &inst->plugin_state) != 0)
		return -1;
	*state = inst;
	return 0;
}

static void
view_fini(void *state)
{
	struct sb_instance *inst = state;

	inst->view->real.fini(inst->plugin_state);
	inst->plugin_state = NULL;
	answer_open_tickets(inst);
}

static int
view_send(void *state, const struct sb_send_request *req)
{
	struct sb_instance *inst = state;
	int rc;

	/* Open before the call: a plugin may report from inside send. */
	ticket_open(inst, req->ticket);
	rc = inst->view->real.send(inst->plugin_state, req);
	if (rc != 0)
		sb_plugin_ticket_close(inst, req->ticket);
	return rc;
}

static int
view_drain(void *state)
{
	struct sb_instance *inst = state;

	return inst->view->real.drain(inst->plugin_state);
}

static int
view_poll(void *state, const struct sb_poll_request *req)
{
	struct sb_instance *inst = state;

	return inst->view->real.poll(inst->plugin_state, req);
}

static void
view_webhook(void *state, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	struct sb_instance *inst = state;
	const struct sb_plugin *real = &inst->view->real;
	struct webhook_response_v1_0 old;

	resp->struct_size = sizeof(*resp);
	if (real->abi_minor >= 1) {
		real->webhook(inst->plugin_state, req, resp);
		return;
	}
	old = (struct webhook_response_v1_0){ resp->status, resp->content_type, resp->body };
	/* The module was compiled with the 1.0 layout: hand it that. */
	real->webhook(inst->plugin_state, req, (struct sb_webhook_response *)(void *)&old);
	resp->status = old.status;
	resp->content_type = old.content_type;
	resp->body = old.body;
}

static int
view_check(void *state, const struct sb_check_request *req, struct sb_verdict *out)
{
	struct sb_instance *inst = state;
	const struct sb_plugin *real = &inst->view->real;
	struct verdict_v1_0 old;
	int rc;

	out->struct_size = sizeof(*out);
	if (real->abi_minor >= 1)
		return real->check(inst->plugin_state, req, out);
	old.verdict = out->verdict;
	memcpy(old.reason, out->reason, sizeof(old.reason));
	rc = real->check(inst->plugin_state, req, (struct sb_verdict *)(void *)&old);
	out->verdict = old.verdict;
	memcpy(out->reason, old.reason, sizeof(out->reason));
	return rc;
}

/* ---- the view ---- */

/* The smallest capabilities struct worth reading: struct_size and one field. */
#define CAPS_MIN_SIZE \
	(offsetof(struct sb_capabilities, max_body_len) + sizeof(uint32_t))

int
sb_plugin_view_build(struct sb_plugin_view *v, const char *file,
    const struct sb_plugin *real, struct sb_error *err)
{
	size_t n = real->struct_size < sizeof(v->real) ? real->struct_size : sizeof(v->real);

	memset(v, 0, sizeof(*v));
	memcpy(&v->real, real, n);
	/* A plugin built for a newer minor than ours is refused before this;
	 * one built for ours or older has nothing beyond what we copied. */
	if (v->real.capabilities != NULL) {
		const struct sb_capabilities *c = v->real.capabilities;

		if (c->struct_size < CAPS_MIN_SIZE)
			return sb_error_set(err, SB_E_PLUGIN,
			    "plugin %s refused: ABI %u.%u, capabilities.struct_size is %u"
			    " (make them with SB_CAPABILITIES)", file, real->abi_major,
			    real->abi_minor, (unsigned)c->struct_size);
		memcpy(&v->caps, c, c->struct_size < sizeof(v->caps) ? c->struct_size :
		    sizeof(v->caps));
	} else {
		v->caps.max_body_len = v->real.caps.max_body_len;
		v->caps.receipts = v->real.caps.receipts;
		v->caps.read_receipts = v->real.caps.read_receipts;
		v->caps.idempotent = v->real.caps.idempotent;
		v->caps.default_rate = v->real.caps.default_rate;
	}
	v->caps.struct_size = sizeof(v->caps);
	v->p = (struct sb_plugin){
		.abi_major = v->real.abi_major, .abi_minor = v->real.abi_minor,
		.struct_size = sizeof(v->p), .name = v->real.name,
		.version = v->real.version, .description = v->real.description,
		.kind = v->real.kind,
		.caps = {
			.max_body_len = v->caps.max_body_len, .receipts = v->caps.receipts,
			.read_receipts = v->caps.read_receipts,
			.idempotent = v->caps.idempotent,
			.default_rate = v->caps.default_rate,
		},
		.init = view_init, .fini = view_fini,
		.send = v->real.send != NULL ? view_send : NULL,
		.poll = v->real.poll != NULL ? view_poll : NULL,
		.webhook = v->real.webhook != NULL ? view_webhook : NULL,
		.check = v->real.check != NULL ? view_check : NULL,
		.capabilities = &v->caps,
		.drain = v->real.drain != NULL ? view_drain : NULL,
	};
	return 0;
}
