/*
 * test_http_sms_plugin.c - the http_sms plugin through its ABI, against a
 * fake host (tests/unit/fake_host.c, shared with the other plugin tests):
 * config from real YAML (core/cfgnode.c), HTTP through the real
 * client (core/http_client.c) to an evhttp "carrier" on 127.0.0.1, on one
 * event_base. Checks requests as the carrier sees them, the results the
 * plugin reports, receipts from webhooks, config errors, and that no secret
 * reaches the log. Every loop run is bounded by a watchdog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <switchboard/plugin.h>

#include "config.h"
#include "fake_host.h"
#include "http_client.h"

extern const struct sb_plugin http_sms_LTX_sb_plugin;
#define PLUGIN (&http_sms_LTX_sb_plugin)

/* The carrier: what it saw, and what it answers next. */
struct carrier {
	struct evhttp *http;
	int port;
	int nreqs;
	char method[8], uri[1024], body[2048], auth[128], apikey[128], ctype[64];
	int status;
	const char *reply;
	const char *hdr_name, *hdr_value;
};

static struct event_base *base;
static struct carrier carrier;
static struct event *watchdog;
static struct sb_instance *cur;

static void
copy(char *out, size_t cap, const char *s)
{
	snprintf(out, cap, "%s", s != NULL ? s : "");
}

/* ---- the carrier ---- */

static void
carrier_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *v;
	size_t n = evbuffer_get_length(in);

	carrier.nreqs++;
	copy(carrier.method, sizeof(carrier.method),
	    evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST");
	copy(carrier.uri, sizeof(carrier.uri), evhttp_request_get_uri(req));
	if (n >= sizeof(carrier.body))
		n = sizeof(carrier.body) - 1;
	evbuffer_remove(in, carrier.body, n);
	carrier.body[n] = '\0';
	copy(carrier.auth, sizeof(carrier.auth), evhttp_find_header(h, "Authorization"));
	copy(carrier.apikey, sizeof(carrier.apikey), evhttp_find_header(h, "X-Api-Key"));
	copy(carrier.ctype, sizeof(carrier.ctype), evhttp_find_header(h, "Content-Type"));
	if (strncmp(carrier.uri, "/hang", 5) == 0)
		return;
	if (carrier.hdr_name != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req), carrier.hdr_name,
		    carrier.hdr_value);
	v = carrier.reply != NULL ? carrier.reply : "{\"message_id\":\"c-1\"}";
	evbuffer_add(evhttp_request_get_output_buffer(req), v, strlen(v));
	evhttp_send_reply(req, carrier.status != 0 ? carrier.status : 200, "X", NULL);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

static void
run(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(watchdog, &tv);
	event_base_dispatch(base);
	evtimer_del(watchdog);
}

static int
group_setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	setenv("HS_TEST_PASS", "pa55-word", 1);
	setenv("HS_TEST_TOKEN", "tok123", 1);
	base = event_base_new();
	carrier.http = evhttp_new(base);
	evhttp_set_gencb(carrier.http, carrier_cb, NULL);
	bs = evhttp_bind_socket_with_handle(carrier.http, "127.0.0.1", 0);
	assert_non_null(bs);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len);
	carrier.port = ntohs(sin.sin_port);
	watchdog = evtimer_new(base, watchdog_cb, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	evhttp_free(carrier.http);
	event_free(watchdog);
	event_base_free(base);
	return 0;
}

/* Parse YAML (with PORT replaced) into a fresh instance. */
static struct sb_instance *
instance(const char *yaml)
{
	struct sb_instance *inst;
	char text[4096];
	const char *s;
	size_t o = 0;

	for (s = yaml; *s != '\0' && o + 8 < sizeof(text); s++) {
		if (strncmp(s, "PORT", 4) == 0) {
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%d", carrier.port);
			s += 3;
		} else {
			text[o++] = *s;
		}
	}
	text[o] = '\0';
	inst = fake_instance("sms", text);
	fake_instance_http(inst, base);
	memset(&carrier.nreqs, 0, sizeof(carrier) - offsetof(struct carrier, nreqs));
	cur = inst;
	return inst;
}

static void
instance_free(struct sb_instance *inst)
{
	fake_instance_free(inst);
}

/* init must succeed and read every key. */
static void *
init_ok(struct sb_instance *inst)
{
	void *st = NULL;
	char *errs;

	if (PLUGIN->init(&fake_host, inst, &st) != 0) {
		errs = sb_cfg_doc_errors(inst->doc);
		fail_msg("init failed: %s", errs);
	}
	sb_cfg_check_unused(inst->root, "the instance");
	if (sb_cfg_doc_nerrors(inst->doc) != 0) {
		errs = sb_cfg_doc_errors(inst->doc);
		fail_msg("config errors: %s", errs);
	}
	return st;
}

/* init must fail with an error containing `want`. */
static void
init_fails(const char *yaml, const char *want)
{
	struct sb_instance *inst = instance(yaml);
	void *st = NULL;
	char *errs;

	assert_int_equal(PLUGIN->init(&fake_host, inst, &st), -1);
	errs = sb_cfg_doc_errors(inst->doc);
	if (strstr(errs, want) == NULL)
		fail_msg("expected '%s' in: %s", want, errs);
	free(errs);
	instance_free(inst);
}

static void
send_one(void *st, const char *text)
{
	struct sb_send_request req = {
		.struct_size = sizeof(req),
		.ticket = 77,
		.message_id = 1001,
		.attempt_key = "m1001-a1",
		.to = "+5511999990000",
		.text = text,
		.subaccount = "acme",
	};

	cur->nresults = 0;
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_int_equal(cur->nresults, 0);
	run(3000);
	assert_int_equal(cur->nresults, 1);
	assert_int_equal(cur->ticket, 77);
}

/* ---- tests ---- */

static const char kannel_yaml[] =
    "url: \"http://127.0.0.1:PORT/cgi-bin/sendsms\"\n"
    "method: GET\n"
    "params:\n"
    "  username: \"{secret:user}\"\n"
    "  password: \"{secret:pass}\"\n"
    "  from: \"{from}\"\n"
    "  to: \"{to}\"\n"
    "  text: \"{text}\"\n"
    "  dlr-mask: \"19\"\n"
    "  dlr-url: \"{dlr_url}\"\n"
    "user: sbuser\n"
    "pass: {env: HS_TEST_PASS}\n"
    "dlr_token: {env: HS_TEST_TOKEN}\n"
    "from: SWITCHBOARD\n"
    "accept_status: [202]\n"
    "dlr:\n"
    "  kannel: true\n"
    "  error_param: err\n"
    "  token: \"{secret:dlr_token}\"\n";

static void
test_kannel_get(void **state)
{
	struct sb_instance *inst = instance(kannel_yaml);
	void *st = init_ok(inst);
	struct evkeyvalq q;
	const char *dlr;

	carrier.status = 202;
	carrier.reply = "0: Accepted for delivery";
	send_one(st, "Olá & tchau");
	assert_string_equal(carrier.method, "GET");
	assert_int_equal(evhttp_parse_query(carrier.uri, &q), 0);
	assert_string_equal(evhttp_find_header(&q, "username"), "sbuser");
	assert_string_equal(evhttp_find_header(&q, "password"), "pa55-word");
	assert_string_equal(evhttp_find_header(&q, "from"), "SWITCHBOARD");
	assert_string_equal(evhttp_find_header(&q, "to"), "+5511999990000");
	assert_string_equal(evhttp_find_header(&q, "text"), "Olá & tchau");
	dlr = evhttp_find_header(&q, "dlr-url");
	assert_string_equal(dlr, "http://127.0.0.1:8025/hooks/sms?id=m1001-a1&token=tok123"
	    "&status=%d&err=%A");
	evhttp_clear_headers(&q);
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_string_equal(inst->provider_id, "m1001-a1"); /* kannel: our key */
	assert_null(strstr(inst->log, "pa55-word"));
	assert_null(strstr(inst->log, "tok123"));
	PLUGIN->fini(st);
	instance_free(inst);
}

static const char *
hdr(const struct sb_webhook_request *r, const char *name)
{
	return strcasecmp(name, "Content-Type") == 0 ? r->host_data : NULL;
}

static void
webhook(void *st, const char *method, const char *query, const char *ctype,
    const char *body, struct sb_webhook_response *resp)
{
	struct sb_webhook_request req = {
		.struct_size = sizeof(req),
		.method = method,
		.path = "",
		.query = query,
		.url = "http://127.0.0.1:8025/hooks/sms",
		.body = body,
		.body_len = body != NULL ? strlen(body) : 0,
	};
	*resp = (struct sb_webhook_response){ .struct_size = sizeof(*resp), .status = 200,
	    .content_type = "text/plain", .body = "" };
	cur->nreceipts = 0;
	req.header = hdr;
	req.host_data = (void *)ctype;
	PLUGIN->webhook(st, &req, resp);
}

static void
test_kannel_receipts(void **state)
{
	struct sb_instance *inst = instance(kannel_yaml);
	void *st = init_ok(inst);
	struct sb_webhook_response resp;

	webhook(st, "GET", "id=m1001-a1&token=tok123&status=1&err=id%3A5+stat%3ADELIVRD",
	    NULL, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(inst->nreceipts, 1);
	assert_int_equal(inst->r_outcome, SB_OUT_DELIVERED);
	assert_string_equal(inst->r_id, "m1001-a1");
	/* %A is the SMSC's whole reply: no err: field, no code; never all of it. */
	assert_string_equal(inst->r_code, "");
	assert_string_equal(inst->r_text, "stat:DELIVRD");
	webhook(st, "GET", "id=m1001-a1&token=tok123&status=16&err=id%3A5+sub%3A001+dlvrd%3A000"
	    "+submit+date%3A2401011200+done+date%3A2401011201+stat%3AUNDELIV+err%3A011"
	    "+text%3AOl%C3%A1", NULL, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(inst->r_outcome, SB_OUT_UNDELIVERABLE);
	assert_string_equal(inst->r_code, "011");
	assert_string_equal(inst->r_text, "stat:UNDELIV");
	/* A reply with empty or oversized fields gives neither. */
	webhook(st, "GET", "id=m1001-a1&token=tok123&status=16&err=stat%3A+err%3A"
	    "0123456789012345678901234567890", NULL, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(inst->r_code, "");
	assert_string_equal(inst->r_text, "");

	webhook(st, "GET", "id=m1001-a1&token=tok123&status=16", NULL, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(inst->r_outcome, SB_OUT_UNDELIVERABLE);
	webhook(st, "GET", "id=m1001-a1&token=tok123&status=8", NULL, NULL, &resp);
	assert_int_equal(inst->r_outcome, SB_OUT_ACCEPTED);

	webhook(st, "GET", "id=m1001-a1&token=tok124&status=1", NULL, NULL, &resp);
	assert_int_equal(resp.status, 403);
	webhook(st, "GET", "id=m1001-a1&status=1", NULL, NULL, &resp);
	assert_int_equal(resp.status, 403);
	webhook(st, "GET", "token=tok123&status=1", NULL, NULL, &resp);
	assert_int_equal(resp.status, 400);
	webhook(st, "GET", "id=x&token=tok123", NULL, NULL, &resp);
	assert_int_equal(resp.status, 400);
	webhook(st, "GET", "id=x&token=tok123&status=3", NULL, NULL, &resp);
	assert_int_equal(resp.status, 400);
	assert_int_equal(inst->nreceipts, 0);
	/* Form body, token in the query as our dlr_url puts it. */
	webhook(st, "POST", "token=tok123", "application/x-www-form-urlencoded",
	    "id=k2&status=2", &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(inst->r_id, "k2");
	assert_int_equal(inst->r_outcome, SB_OUT_UNDELIVERABLE);
	/* Garbage never crashes. */
	webhook(st, "POST", "%%%&&==&token", "application/json", "{not json", &resp);
	assert_int_equal(resp.status, 400);
	webhook(st, "POST", NULL, NULL, "\x01\x02=&&=", &resp);
	assert_int_equal(resp.status, 403);
	assert_null(strstr(inst->log, "tok12")); /* tokens, good or bad, never logged */
	PLUGIN->fini(st);
	instance_free(inst);
}

static const char json_yaml[] =
    "url: \"http://127.0.0.1:PORT/v1/sms/{subaccount}\"\n"
    "body: json\n"
    "params:\n"
    "  to: \"{to_digits}\"\n"
    "  text: \"{text}\"\n"
    "  ref: \"sb-{message_id}\"\n"
    "headers:\n"
    "  X-Api-Key: \"{secret:key}\"\n"
    "key: k-999\n"
    "basic_auth: \"acct:{secret:key}\"\n"
    "id_from: \"json:messages.0.id\"\n"
    "temporary_status: [429, \"500-599\"]\n"
    "undeliverable_status: [404, 422]\n"
    "dlr:\n"
    "  id_param: messageId\n"
    "  status_param: state\n"
    "  status_map: { DELIVRD: delivered, UNDELIV: undeliverable, EXPIRED: expired }\n";

static void
test_json_post_and_statuses(void **state)
{
	struct sb_instance *inst = instance(json_yaml);
	void *st = init_ok(inst);
	struct sb_webhook_response resp;

	carrier.reply = "{\"messages\":[{\"id\":\"prov-1\",\"status\":\"0\"}]}";
	send_one(st, "say \"hi\"");
	assert_string_equal(carrier.method, "POST");
	assert_string_equal(carrier.uri, "/v1/sms/acme");
	assert_string_equal(carrier.body, "{\"to\":\"5511999990000\",\"text\":\"say \\\"hi\\\"\","
	    "\"ref\":\"sb-1001\"}");
	assert_string_equal(carrier.ctype, "application/json");
	assert_string_equal(carrier.apikey, "k-999");
	assert_string_equal(carrier.auth, "Basic YWNjdDprLTk5OQ=="); /* acct:k-999 */
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_string_equal(inst->provider_id, "prov-1");

	/* 2xx without an id: still accepted (re-sending could duplicate), and logged. */
	carrier.reply = "{}";
	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_string_equal(inst->provider_id, "");
	assert_non_null(strstr(inst->log, "no provider id"));

	carrier.status = 429;
	carrier.reply = "slow down";
	carrier.hdr_name = "Retry-After";
	carrier.hdr_value = "30";
	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(inst->retry_after_s, 30);
	assert_string_equal(inst->error_code, "429");
	assert_string_equal(inst->error_text, "slow down");

	carrier.status = 503;
	carrier.hdr_name = NULL;
	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(inst->retry_after_s, -1);
	carrier.status = 422;
	carrier.reply = "{\"error\":\"bad number\"}\n";
	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_UNDELIVERABLE);
	assert_string_equal(inst->error_text, "{\"error\":\"bad number\"}");
	carrier.status = 401;
	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	assert_string_equal(inst->error_code, "401");
	carrier.status = 0;

	/* Invalid UTF-8 cannot go into JSON: failed, without a request. */
	carrier.nreqs = 0;
	{
		struct sb_send_request req = { .struct_size = sizeof(req), .ticket = 5,
			.attempt_key = "k", .to = "+1", .text = "\xff\xfe" };

		inst->nresults = 0;
		assert_int_equal(PLUGIN->send(st, &req), 0);
		assert_int_equal(inst->nresults, 1);
		assert_int_equal(inst->outcome, SB_OUT_FAILED);
		assert_int_equal(carrier.nreqs, 0);
	}

	/* JSON receipts; no token configured. */
	webhook(st, "POST", "", "application/json",
	    "{\"messageId\":\"prov-1\",\"state\":\"DELIVRD\"}", &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(inst->r_id, "prov-1");
	assert_int_equal(inst->r_outcome, SB_OUT_DELIVERED);
	webhook(st, "POST", "", "application/json", "{\"messageId\":7,\"state\":\"delivered\"}",
	    &resp);
	assert_int_equal(resp.status, 400); /* only mapped values */
	assert_null(strstr(inst->log, "k-999"));
	PLUGIN->fini(st);
	instance_free(inst);
}

static void
test_transport_error_and_form_default(void **state)
{
	struct sb_instance *inst = instance(
	    "url: \"http://127.0.0.1:1/sms\"\n"
	    "params: { to: \"{to}\", text: \"{text}\" }\n");
	void *st = init_ok(inst);
	struct sb_webhook_response resp;

	send_one(st, "x");
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_string_equal(inst->error_code, "transport");
	assert_non_null(strstr(inst->error_text, "refused"));
	webhook(st, "GET", "id=1&status=delivered", NULL, NULL, &resp);
	assert_int_equal(resp.status, 404); /* no dlr: section */
	PLUGIN->fini(st);
	instance_free(inst);
}

static void
test_form_post_with_our_status_words(void **state)
{
	struct sb_instance *inst = instance(
	    "url: \"http://127.0.0.1:PORT/sms?acct=1\"\n"
	    "body: form\n"
	    "params: { to: \"{to}\", text: \"{text}\", cb: \"{dlr_url}\" }\n"
	    "dlr: {}\n");
	void *st = init_ok(inst);
	struct sb_webhook_response resp;

	send_one(st, "a+b c");
	assert_string_equal(carrier.uri, "/sms?acct=1");
	assert_string_equal(carrier.ctype, "application/x-www-form-urlencoded");
	assert_string_equal(carrier.body, "to=%2B5511999990000&text=a%2Bb+c&cb=http%3A%2F%2F"
	    "127.0.0.1%3A8025%2Fhooks%2Fsms%3Fid%3Dm1001-a1");
	assert_string_equal(inst->provider_id, "m1001-a1"); /* {dlr_url} -> attempt_key */
	webhook(st, "GET", "id=m1001-a1&status=expired", NULL, NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(inst->r_outcome, SB_OUT_EXPIRED);
	PLUGIN->fini(st);
	instance_free(inst);
}

/*
 * max_parts: a carrier that sends at most N parts would cut a longer text
 * and still report it delivered, so http_sms refuses it before sending;
 * accepted sends report the parts they take.
 */
static void
test_max_parts(void **state)
{
	struct sb_instance *inst = instance(
	    "url: \"http://127.0.0.1:PORT/sms\"\n"
	    "params: { to: \"{to}\", text: \"{text}\" }\n"
	    "id_from: body\n"
	    "max_parts: 2\n");
	void *st = init_ok(inst);
	char text[400];
	struct sb_send_request req = { .struct_size = sizeof(req), .ticket = 9,
		.attempt_key = "k", .to = "+1", .text = text };

	carrier.reply = "id-1";
	memset(text, 'a', 306); /* GSM: 2 parts of 153 */
	text[306] = '\0';
	send_one(st, text);
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_int_equal(inst->parts, 2);
	carrier.nreqs = 0;
	text[306] = 'a';
	text[307] = '\0'; /* 3 parts */
	inst->nresults = 0;
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_int_equal(inst->nresults, 1);
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	assert_string_equal(inst->error_code, "too_many_parts");
	assert_non_null(strstr(inst->error_text, "3 SMS parts"));
	assert_int_equal(carrier.nreqs, 0);
	/* Not UTF-8: with a limit, its parts cannot be counted, so it is refused. */
	req.text = "\xff\xfe";
	inst->nresults = 0;
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	assert_string_equal(inst->error_code, "bad_text");
	assert_int_equal(carrier.nreqs, 0);
	PLUGIN->fini(st);
	instance_free(inst);

	/* coding: ucs2 counts every text as UCS-2: 70 in one part, 67 after. */
	inst = instance(
	    "url: \"http://127.0.0.1:PORT/sms\"\n"
	    "params: { to: \"{to}\", text: \"{text}\" }\n"
	    "id_from: body\n"
	    "max_parts: 1\n"
	    "coding: ucs2\n");
	st = init_ok(inst);
	memset(text, 'a', 71);
	text[71] = '\0';
	req.text = text;
	inst->nresults = 0;
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	assert_string_equal(inst->error_code, "too_many_parts");
	text[70] = '\0';
	send_one(st, text);
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_int_equal(inst->parts, 1);
	PLUGIN->fini(st);
	instance_free(inst);
}

/*
 * Shutdown with a request out, as the daemon does it (plugin.h rule 7):
 * the HTTP client ends the request first (status 0, "shutdown"), the
 * plugin reports it temporary from its completion, and fini reports
 * nothing more.
 */
static void
test_shutdown_with_request_in_flight(void **state)
{
	struct sb_instance *inst = instance(
	    "url: \"http://127.0.0.1:PORT/hang\"\n"
	    "params: { to: \"{to}\" }\n");
	void *st = init_ok(inst);
	struct sb_send_request req = { .struct_size = sizeof(req), .ticket = 9,
		.attempt_key = "k", .to = "+1", .text = "x" };

	assert_int_equal(PLUGIN->send(st, &req), 0);
	run(200); /* reaches the carrier, which never answers */
	assert_int_equal(carrier.nreqs, 1);
	assert_int_equal(inst->nresults, 0);
	sb_http_client_free(inst->http);
	inst->http = NULL;
	assert_int_equal(inst->nresults, 1);
	assert_int_equal(inst->ticket, 9);
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	PLUGIN->fini(st);
	assert_int_equal(inst->nresults, 1);
	instance_free(inst);
}

static void
test_example_config_reads_every_key(void **state)
{
	struct sb_instance *inst = instance(
	    "url: \"http://127.0.0.1:PORT/cgi-bin/sendsms\"\n"
	    "method: POST\n"
	    "body: form\n"
	    "params:\n"
	    "  username: \"{secret:user}\"\n"
	    "  password: \"{secret:pass}\"\n"
	    "  from: \"{from}\"\n"
	    "  to: \"{to}\"\n"
	    "  text: \"{text}\"\n"
	    "  dlr-mask: \"31\"\n"
	    "  dlr-url: \"{dlr_url}\"\n"
	    "headers:\n"
	    "  Authorization: \"Bearer {secret:token}\"\n"
	    "user: {env: HS_TEST_PASS}\n"
	    "pass: {env: HS_TEST_PASS}\n"
	    "token: {env: HS_TEST_TOKEN}\n"
	    "basic_auth: \"{secret:user}:{secret:pass}\"\n"
	    "from: SWITCHBOARD\n"
	    "id_from: \"attempt_key\"\n"
	    "accept_status: [200, 201, 202]\n"
	    "temporary_status: [408, 429, \"500-599\"]\n"
	    "undeliverable_status: [404]\n"
	    "dlr:\n"
	    "  id_param: id\n"
	    "  status_param: status\n"
	    "  status_map: { \"1\": delivered, \"2\": undeliverable, \"4\": accepted,"
	    " \"8\": accepted, \"16\": undeliverable }\n"
	    "  error_param: err\n"
	    "  url_suffix: \"&status=%d\"\n"
	    "  token: \"{secret:token}\"\n");
	void *st = init_ok(inst);

	PLUGIN->fini(st);
	instance_free(inst);
}

/* After one mistake the other keys are still read: none is misreported as unknown. */
static void
test_config_error_reads_the_rest(void **state)
{
	struct sb_instance *inst = instance(
	    "method: POST\n"
	    "params: { to: \"{to}\", u: \"{secret:user}\" }\n"
	    "user: x\n"
	    "headers: { X-A: \"1\" }\n"
	    "temporary_status: [503]\n"
	    "dlr: { kannel: true }\n");
	void *st = NULL;
	char *errs;

	assert_int_equal(PLUGIN->init(&fake_host, inst, &st), -1);
	sb_cfg_check_unused(inst->root, "the instance");
	errs = sb_cfg_doc_errors(inst->doc);
	assert_int_equal(sb_cfg_doc_nerrors(inst->doc), 1);
	assert_non_null(strstr(errs, "missing 'url'"));
	free(errs);
	instance_free(inst);
}

static void
test_config_errors(void **state)
{
	init_fails("method: POST\n", "missing 'url'");
	init_fails("url: ftp://x\n", "http://");
	init_fails("url: http://x\nmethod: PUT\n", "GET or POST");
	init_fails("url: http://x\nmethod: GET\nbody: json\n", "body:");
	init_fails("url: http://x\nparams: { a: \"{nope}\" }\n", "unknown placeholder '{nope}'");
	init_fails("url: http://x\nparams: [a, b]\n", "mapping");
	init_fails("url: http://x\nparams: { a: \"{secret:none}\" }\n", "none");
	init_fails("url: http://x\nheaders: { \"X: y\": \"1\" }\n", "bad header name");
	init_fails("url: http://x\naccept_status: [200, \"abc\"]\n", "accept_status");
	init_fails("url: http://x\ntemporary_status: { a: 1 }\n", "temporary_status");
	init_fails("url: http://x\nid_from: xml:foo\n", "id_from");
	init_fails("url: http://x\nparams: { u: \"{dlr_url}\" }\n", "no dlr: section");
	init_fails("url: http://x\ndlr: { idparam: id }\n", "unknown key 'dlr.idparam'");
	init_fails("url: http://x\ndlr: { status_map: { \"1\": sent } }\n", "status_map '1'");
	init_fails("url: http://x\ndlr: { token: { env: X } }\n", "{secret:dlr_token}");
	init_fails("url: http://x\ndlr: { token: \"{to}\" }\n", "only literal text");
	init_fails("url: http://x\ndlr: { kannel: true, token: \"a b\" }\n", "letters, digits");
	init_fails("url: http://x\ndlr: { kannel: maybe }\n", "true or false");
	init_fails("url: http://x\nmax_parts: -1\n", "max_parts must be from 0");
	init_fails("url: http://x\nmax_parts: 256\n", "max_parts must be from 0");
	init_fails("url: http://x\nmax_parts: many\n", "max_parts");
	init_fails("url: http://x\ncoding: latin1\n", "coding must be auto");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kannel_get),
		cmocka_unit_test(test_kannel_receipts),
		cmocka_unit_test(test_json_post_and_statuses),
		cmocka_unit_test(test_transport_error_and_form_default),
		cmocka_unit_test(test_form_post_with_our_status_words),
		cmocka_unit_test(test_max_parts),
		cmocka_unit_test(test_shutdown_with_request_in_flight),
		cmocka_unit_test(test_example_config_reads_every_key),
		cmocka_unit_test(test_config_error_reads_the_rest),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
