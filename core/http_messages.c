/*
 * http_messages.c - the /v1/messages routes: submit (one message or up to
 * MAX_RECIPIENTS, answered once every one is committed), list, show,
 * preview, cancel, reschedule and resend. http_api.c routes here and
 * lends its helpers (http_api_internal.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "http_api_internal.h"
#include "idempotency.h"
#include "jsonw.h"
#include "phone.h"
#include "status.h"
#include "store.h"
#include "store_preview.h"
#include "timefmt.h"

#define MAX_RECIPIENTS 1000

struct pending;

/* What became of one recipient, as its acknowledgement said. */
struct recipient {
	struct pending *p;               /* the acknowledgement's argument */
	int64_t id;
	int duplicate;
	enum sb_status status;
};

/* A request whose answer waits for the commit of its messages. */
struct pending {
	struct sb_http_api *api;
	struct evhttp_request *req;      /* NULL once the client has gone */
	json_t *to;                      /* the request's numbers, as given (the answer repeats them) */
	size_t n;                        /* recipients handed to the dispatcher */
	size_t outstanding;
	int failed;
	int any_new;
	int64_t broadcast;               /* the request's broadcast, 0: none */
	struct sb_error *err;            /* the first failure's (pending_fail), or NULL */
	struct recipient rcpt[];         /* one per number of `to` */
};

/* ---- POST /v1/messages ---- */

/*
 * The answer, written by hand (jsonw.h) into the request's output: what
 * json_pack and json_dumps made of it took more instructions than storing
 * the message. {"messages": [{"to", "id", "duplicate", "status"}...],
 * "broadcast": id or null}, compact, as jansson would have written it.
 */
static int
answer_write(struct evbuffer *out, const struct pending *p)
{
	char small[512], *buf = small, *w;
	size_t cap = sizeof(small);

	evbuffer_add(out, "{\"messages\":[", 13);
	for (size_t i = 0; i < p->n; i++) {
		const struct recipient *r = &p->rcpt[i];
		const char *to = json_string_value(json_array_get(p->to, i));
		const char *status = sb_status_name(r->status);
		size_t need = SB_JSONW_STRING_ROOM(strlen(to)) + strlen(status) + 80;

		if (need > cap) {
			char *bigger = malloc(need);

			if (buf != small)
				free(buf);
			if ((buf = bigger) == NULL)
				return -1;
			cap = need;
		}
		w = i > 0 ? SB_JSONW_LIT(buf, ",{\"to\":") : SB_JSONW_LIT(buf, "{\"to\":");
		w = sb_jsonw_string(w, to);
		w = SB_JSONW_LIT(w, ",\"id\":");
		w = sb_jsonw_int(w, r->id);
		w = r->duplicate ? SB_JSONW_LIT(w, ",\"duplicate\":true") :
		    SB_JSONW_LIT(w, ",\"duplicate\":false");
		w = SB_JSONW_LIT(w, ",\"status\":\"");
		w = sb_jsonw_bytes(w, status, strlen(status));
		w = SB_JSONW_LIT(w, "\"}");
		evbuffer_add(out, buf, (size_t)(w - buf));
	}
	if (buf != small)
		free(buf);
	w = SB_JSONW_LIT(small, "],\"broadcast\":");
	w = p->broadcast > 0 ? sb_jsonw_int(w, p->broadcast) : SB_JSONW_LIT(w, "null");
	w = SB_JSONW_LIT(w, "}\n");
	evbuffer_add(out, small, (size_t)(w - small));
	return 0;
}

/*
 * Keep the request's first failure: the rest follow from it. The error
 * (4 KB) is allocated only then, not with every request, where its
 * allocation and zeroing cost more than the rest of the pending request.
 */
static void
pending_fail(struct pending *p, const struct sb_error *e)
{
	if (!p->failed && (p->err = malloc(sizeof(*p->err))) != NULL)
		*p->err = *e;
	p->failed = 1;
}

static void
pending_finish(struct pending *p)
{
	static const struct sb_error out_of_memory = { SB_E_INTERNAL, "out of memory" };
	struct sb_error e;

	if (p->req != NULL) {
		sb_http_watch(p->api, p->req, NULL, NULL);
		if (!p->failed && answer_write(evhttp_request_get_output_buffer(p->req), p) < 0) {
			evbuffer_drain(evhttp_request_get_output_buffer(p->req), SIZE_MAX);
			sb_error_set(&e, SB_E_INTERNAL, "out of memory writing the answer");
			pending_fail(p, &e);
		}
		if (p->failed)
			sb_http_send_error(p->req, p->err != NULL ? p->err : &out_of_memory);
		else
			sb_http_send_json_text_now(p->req, p->any_new ? 202 : 200);
	}
	json_decref(p->to);
	free(p->err);
	free(p);
}

static void
pending_client_gone(void *arg)
{
	struct pending *p = arg;

	p->req = NULL;
}

static void
message_stored(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	struct recipient *r = arg;
	struct pending *p = r->p;

	if (err != NULL) {
		pending_fail(p, err);
	} else {
		/* Say at once what became of it: rejected by a filter, scheduled... */
		r->id = id;
		r->duplicate = duplicate;
		r->status = status;
		if (!duplicate)
			p->any_new = 1;
	}
	if (--p->outstanding == 0)
		pending_finish(p);
}

static int
string_field(json_t *body, const char *key, const char **out, struct evhttp_request *req)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		char msg[128];

		snprintf(msg, sizeof(msg), "'%s' must be a string", key);
		return sb_http_fail(req, SB_E_BAD_ARGUMENT, msg);
	}
	*out = json_string_value(v);
	return 0;
}

/* The fields of a submission; any other is refused, so a typo ("sendAt")
 * never sends a message at the wrong time. */
static const char *const submit_fields[] = {
	"to", "text", "template", "chain", "from", "send_at", "idempotency_key", NULL,
};

static int
check_fields(json_t *body, struct evhttp_request *req)
{
	const char *key;
	json_t *v;
	char msg[200];

	json_object_foreach(body, key, v) {
		size_t i;

		for (i = 0; submit_fields[i] != NULL; i++)
			if (strcmp(key, submit_fields[i]) == 0)
				break;
		if (submit_fields[i] != NULL)
			continue;
		snprintf(msg, sizeof(msg), "unknown field '%.64s' (expected to, text, template,"
		    " chain, from, send_at, idempotency_key)", key);
		return sb_http_fail(req, SB_E_BAD_ARGUMENT, msg);
	}
	return 0;
}

static void
post_messages(struct sb_http_api *api, struct evhttp_request *req)
{
	const struct sb_config_subaccount *sub = sb_http_authenticate(api, req);
	json_t *body, *to, *tpl, *recipients;
	struct sb_submit s = { 0 };
	const char *at = NULL, *why, *hkey, *base_key;
	char *vars = NULL, norm[32], key[SB_IDEM_KEY_BUF];
	struct pending *p;
	struct sb_error err = { 0 };
	char user[128];
	struct sb_bcast_origin origin = { .source = "api" };
	size_t i, n;

	if (sub == NULL || (body = sb_http_read_json_body(api, req)) == NULL)
		return;
	s.subaccount = sub->name;
	origin.user = sb_http_key_user(api, sub->name, req, user, sizeof(user));
	s.bcast = &origin;
	if (check_fields(body, req) < 0 ||
	    string_field(body, "text", &s.text, req) < 0 ||
	    string_field(body, "chain", &s.chain, req) < 0 ||
	    string_field(body, "from", &s.from, req) < 0 ||
	    string_field(body, "send_at", &at, req) < 0 ||
	    string_field(body, "idempotency_key", &base_key, req) < 0)
		goto out;
	/* The key as a header (the IETF draft's name) or a field; both must agree. */
	hkey = evhttp_find_header(evhttp_request_get_input_headers(req), "Idempotency-Key");
	if (hkey != NULL && base_key != NULL && strcmp(hkey, base_key) != 0) {
		sb_http_fail(req, SB_E_BAD_ARGUMENT, "the Idempotency-Key header and 'idempotency_key'"
		    " differ; give one");
		goto out;
	}
	if (base_key == NULL)
		base_key = hkey;
	if (base_key != NULL && sb_idem_key_check(base_key, hkey != NULL ?
	    "Idempotency-Key" : "idempotency_key", &err) < 0) {
		sb_http_send_error(req, &err);
		goto out;
	}
	tpl = json_object_get(body, "template");
	if (tpl != NULL) {
		json_t *v = json_object_get(tpl, "variables"), *ver = json_object_get(tpl, "version");

		if (!json_is_object(tpl) || !json_is_string(json_object_get(tpl, "name")) ||
		    (v != NULL && !json_is_null(v) && !json_is_object(v) && !json_is_array(v)) ||
		    (ver != NULL && (!json_is_integer(ver) || json_integer_value(ver) < 1))) {
			sb_http_fail(req, SB_E_BAD_ARGUMENT, "'template' must be {name, version, language,"
			    " variables} (version: an integer of at least 1; variables: an object,"
			    " or a list for a WhatsApp template named directly)");
			goto out;
		}
		s.template_name = json_string_value(json_object_get(tpl, "name"));
		s.template_lang = json_string_value(json_object_get(tpl, "language"));
		s.template_version = ver != NULL ? json_integer_value(ver) : 0;
		if (v != NULL && !json_is_null(v))
			vars = json_dumps(v, JSON_COMPACT);
		s.template_vars = vars;
	}
	if ((s.text == NULL) == (s.template_name == NULL)) {
		sb_http_fail(req, SB_E_BAD_ARGUMENT, "give either 'text' or 'template'");
		goto out;
	}
	if (at != NULL && sb_http_time_arg(req, "send_at", at, &s.send_at_ms) < 0)
		goto out;
	to = json_object_get(body, "to");
	if (to == NULL || json_is_null(to)) {
		sb_http_fail(req, SB_E_BAD_ARGUMENT, "missing 'to' (a number or a list of 1 to 1000)");
		goto out;
	}
	recipients = json_is_array(to) ? json_incref(to) : json_pack("[O]", to ? to : json_null());
	n = json_array_size(recipients);
	origin.single = n == 1;
	if (n == 0 || n > MAX_RECIPIENTS) {
		json_decref(recipients);
		sb_http_fail(req, SB_E_BAD_ARGUMENT, "'to' must be a number or a list of 1 to 1000");
		goto out;
	}
	/* Check every number, and every reused key, first: a request is taken
	 * whole or not at all. */
	for (i = 0; i < n; i++) {
		json_t *r = json_array_get(recipients, i);
		char msg[200];

		if (!json_is_string(r) || sb_phone_normalize(json_string_value(r),
		    sub->default_country, norm, sizeof(norm), &why) < 0) {
			snprintf(msg, sizeof(msg), "invalid phone number at to[%zu]: %s", i,
			    json_is_string(r) ? why : "not a string");
			json_decref(recipients);
			sb_http_fail(req, SB_E_BAD_ARGUMENT, msg);
			goto out;
		}
		if (base_key == NULL)
			continue;
		sb_idem_recipient_key(base_key, i, n, key);
		s.idempotency_key = key;
		if (sb_idem_same_request(sb_http_daemon(api)->store, &s, norm, s.chain != NULL ? s.chain :
		    sub->default_chain, s.from != NULL ? s.from : sub->sender, &err) < 0) {
			json_decref(recipients);
			sb_http_send_error(req, &err);
			goto out;
		}
	}
	p = calloc(1, sizeof(*p) + n * sizeof(p->rcpt[0]));
	if (p == NULL) {
		json_decref(recipients);
		sb_http_fail(req, SB_E_INTERNAL, "out of memory");
		goto out;
	}
	p->api = api;
	p->req = req;
	p->to = recipients; /* ours now */
	p->outstanding = 1; /* held until every submission is handed over */
	sb_http_watch(api, req, pending_client_gone, p);
	/* All recipients stand or fall together (one savepoint); a single one
	 * needs none (sb_dispatch_submit). */
	if (n > 1 && sb_dispatch_batch_begin(sb_http_daemon(api)->dispatch, &err) < 0)
		pending_fail(p, &err);
	for (i = 0; i < n && !p->failed; i++) {
		s.to = json_string_value(json_array_get(recipients, i));
		if (base_key != NULL) {
			sb_idem_recipient_key(base_key, i, n, key);
			s.idempotency_key = key;
		}
		p->rcpt[i].p = p;
		p->n = i + 1;
		p->outstanding++;
		if (sb_dispatch_submit(sb_http_daemon(api)->dispatch, &s, message_stored, &p->rcpt[i],
		    &err) < 0) {
			p->outstanding--;
			pending_fail(p, &err);
		}
	}
	p->broadcast = origin.id;
	if (n > 1)
		sb_dispatch_batch_end(sb_http_daemon(api)->dispatch, !p->failed);
	if (--p->outstanding == 0)
		pending_finish(p);
out:
	free(vars);
	json_decref(body);
}

/* ---- GET /v1/messages[/id], POST /v1/messages/id/{cancel,reschedule,resend} ---- */

static void
list_messages(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub)
{
	struct evkeyvalq q;
	struct sb_list_query lq = { .subaccount = sub->name, .status = -1 };
	const char *v, *why;
	int64_t limit = 50;
	char to[32], msg[200];
	json_t *res;

	if (sb_http_parse_query(req, &q) < 0)
		return;
	if ((v = sb_http_query_param(&q, "status")) != NULL && (lq.status = sb_status_parse(v)) < 0) {
		snprintf(msg, sizeof(msg), "unknown status '%.32s'", v);
		sb_http_fail(req, SB_E_BAD_ARGUMENT, msg);
		goto out;
	}
	lq.channel = sb_http_query_param(&q, "channel");
	/* Numbers are stored in E.164: look for what a submission would have stored.
	 * An unescaped "+" arrives decoded as a space; no number starts with one. */
	if ((v = sb_http_query_param(&q, "to")) != NULL) {
		char plus[32];

		if (v[0] == ' ' && strlen(v) < sizeof(plus)) {
			snprintf(plus, sizeof(plus), "+%s", v + 1);
			v = plus;
		}
		if (sb_phone_normalize(v, sub->default_country, to, sizeof(to), &why) < 0) {
			snprintf(msg, sizeof(msg), "invalid phone number in 'to': %s", why);
			sb_http_fail(req, SB_E_BAD_ARGUMENT, msg);
			goto out;
		}
		lq.to = to;
	}
	if (sb_http_int_param(req, &q, "batch", 1, INT64_MAX, &lq.broadcast_id) < 0 ||
	    sb_http_int_param(req, &q, "before", 1, INT64_MAX, &lq.before_id) < 0 ||
	    sb_http_int_param(req, &q, "limit", 1, 1000, &limit) < 0 ||
	    sb_http_time_param(req, &q, "from", &lq.from_ms) < 0 ||
	    sb_http_time_param(req, &q, "until", &lq.until_ms) < 0)
		goto out;
	lq.limit = (int)limit;
	res = sb_store_message_list(sb_http_daemon(api)->store, &lq);
	if (res == NULL)
		sb_http_fail(req, SB_E_INTERNAL, "query failed");
	else
		sb_http_send_json(req, 200, res);
out:
	evhttp_clear_headers(&q);
}

static void
cancel_message(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub, int64_t id)
{
	struct sb_error err = { 0 };

	if (sb_dispatch_cancel(sb_http_daemon(api)->dispatch, id, sub->name, &err) < 0) {
		sb_http_send_error(req, &err);
		return;
	}
	sb_http_reply_after_commit(api, req, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status",
	    "cancelled"));
}

/* POST /v1/messages/{id}/reschedule {"send_at": ..., "text": ...} */
static void
reschedule_message(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub, int64_t id)
{
	struct sb_error err = { 0 };
	const char *at = NULL, *text = NULL;
	char when[40];
	int64_t at_ms;
	json_t *body = sb_http_read_json_body(api, req);

	if (body == NULL)
		return;
	if (string_field(body, "send_at", &at, req) < 0 ||
	    string_field(body, "text", &text, req) < 0)
		goto out;
	if (at == NULL) {
		sb_http_fail(req, SB_E_BAD_ARGUMENT, "missing 'send_at'");
		goto out;
	}
	if (sb_http_time_arg(req, "send_at", at, &at_ms) < 0)
		goto out;
	if (sb_dispatch_reschedule(sb_http_daemon(api)->dispatch, id, sub->name, &at_ms, text, &err) < 0) {
		sb_http_send_error(req, &err);
		goto out;
	}
	sb_http_reply_after_commit(api, req, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "status", "scheduled", "send_at", sb_format_iso8601_ms(at_ms, when, sizeof(when))));
out:
	json_decref(body);
}

/* A resend waits for the submit's commit like any submission. */
struct resend {
	struct sb_http_api *api;
	struct evhttp_request *req;      /* NULL once the client has gone */
	int64_t old;
};

static void
resend_client_gone(void *arg)
{
	struct resend *r = arg;

	r->req = NULL;
}

static void
resend_done(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	struct resend *r = arg;

	(void)duplicate;
	(void)status;
	if (r->req != NULL) {
		sb_http_watch(r->api, r->req, NULL, NULL);
		if (err != NULL)
			sb_http_send_error(r->req, err);
		else
			sb_http_send_json_now(r->req, 200, json_pack("{s:I, s:I}", "id", (json_int_t)id,
			    "resend_of", (json_int_t)r->old));
	}
	free(r);
}

/* POST /v1/messages/{id}/resend: a copy of a finished message, linked to it. */
static void
resend_message(struct sb_http_api *api, struct evhttp_request *req,
    const struct sb_config_subaccount *sub, int64_t id)
{
	struct resend *r = calloc(1, sizeof(*r));
	struct sb_error err = { 0 };

	if (r == NULL) {
		sb_http_fail(req, SB_E_INTERNAL, "out of memory");
		return;
	}
	*r = (struct resend){ api, req, id };
	sb_http_watch(api, req, resend_client_gone, r);
	if (sb_dispatch_resend(sb_http_daemon(api)->dispatch, id, sub->name, resend_done, r, &err) < 0) {
		sb_http_watch(api, req, NULL, NULL);
		free(r);
		sb_http_send_error(req, &err);
	}
}

void
sb_http_route_messages(struct sb_http_api *api, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct sb_config_subaccount *sub;
	char *end;
	int64_t id;

	if (*rest == '\0' || *rest == '?') {
		if (method == EVHTTP_REQ_POST) {
			post_messages(api, req);
			return;
		}
		if (method == EVHTTP_REQ_GET && (sub = sb_http_authenticate(api, req)) != NULL)
			list_messages(api, req, sub);
		else if (method != EVHTTP_REQ_GET)
			sb_http_fail(req, SB_E_BAD_REQUEST, "use GET or POST on /v1/messages");
		return;
	}
	id = strtoll(rest + 1, &end, 10);
	if (*rest != '/' || id <= 0) {
		sb_http_fail(req, SB_E_NOT_FOUND, "no such route");
		return;
	}
	if ((sub = sb_http_authenticate(api, req)) == NULL)
		return;
	if ((*end == '\0' || *end == '?') && method == EVHTTP_REQ_GET) {
		json_t *m = sb_store_message_json(sb_http_daemon(api)->store, id, sub->name);

		if (m == NULL)
			sb_http_fail(req, SB_E_NOT_FOUND, "no such message");
		else
			sb_http_send_json(req, 200, m);
	} else if (strcmp(end, "/preview") == 0 && method == EVHTTP_REQ_GET) {
		json_t *m = sb_store_message_preview(sb_http_daemon(api)->store, id, sub->name);

		if (m == NULL)
			sb_http_fail(req, SB_E_NOT_FOUND, "no such message");
		else
			sb_http_send_json(req, 200, m);
	} else if (strcmp(end, "/cancel") == 0 && method == EVHTTP_REQ_POST) {
		cancel_message(api, req, sub, id);
	} else if (strcmp(end, "/reschedule") == 0 && method == EVHTTP_REQ_POST) {
		reschedule_message(api, req, sub, id);
	} else if (strcmp(end, "/resend") == 0 && method == EVHTTP_REQ_POST) {
		resend_message(api, req, sub, id);
	} else {
		sb_http_fail(req, SB_E_NOT_FOUND, "no such route");
	}
}

