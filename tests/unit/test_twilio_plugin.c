/*
 * test_twilio_plugin.c - the twilio plugin through its ABI against a fake
 * host (tests/unit/fake_host.c) whose HTTP client only records: each test
 * looks at the request the plugin built, then completes it with a canned
 * answer as Twilio would give it. `poll` is exercised here in detail (the
 * FetchMessage request, and each answer's receipt); the daemon calls it on
 * its polling schedule. Config comes from real YAML (core/cfgnode.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <switchboard/plugin.h>

#include "config.h"
#include "fake_host.h"

extern const struct sb_plugin twilio_LTX_sb_plugin;
#define PLUGIN (&twilio_LTX_sb_plugin)

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define SID "SM00000000000000000000000000000042"
#define TOKEN "unit-test-auth-token-77"

static const char base_yaml[] =
    "base_url: \"http://127.0.0.1:9\"\n"
    "account_sid: " ACCOUNT "\n"
    "auth_token: " TOKEN "\n"
    "from: \"+15557122661\"\n";

static struct sb_instance *
instance(const char *yaml)
{
	struct sb_instance *inst = fake_instance("tw", yaml);

	snprintf(inst->webhook_url, sizeof(inst->webhook_url), "https://gw.example.com/hooks/tw");
	return inst;
}

static void *
init_ok(struct sb_instance *inst)
{
	void *st = NULL;

	if (PLUGIN->init(&fake_host, inst, &st) != 0)
		fail_msg("init failed: %s", sb_cfg_doc_errors(inst->doc));
	sb_cfg_check_unused(inst->root, "the instance");
	assert_int_equal(sb_cfg_doc_nerrors(inst->doc), 0);
	return st;
}

static void
finish(struct sb_instance *inst, void *st)
{
	PLUGIN->fini(st);
	assert_null(strstr(inst->log, TOKEN));
	fake_instance_free(inst);
}

static void
poll_one(struct sb_instance *inst, void *st, const char *sid)
{
	struct sb_poll_request req = { .struct_size = sizeof(req), .attempt_id = 9,
		.provider_id = sid, .to = "+15558675310" };

	assert_int_equal(PLUGIN->poll(st, &req), 0);
}

static void
test_send_request_and_answers(void **state)
{
	struct sb_instance *inst = instance(base_yaml);
	void *st = init_ok(inst);
	struct sb_send_request req = {
		.struct_size = sizeof(req), .ticket = 5, .message_id = 1, .attempt_key = "k",
		.to = "+5511999990001", .text = "hi there",
	};

	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_string_equal(inst->method, "POST");
	assert_string_equal(inst->url, "http://127.0.0.1:9/2010-04-01/Accounts/" ACCOUNT
	    "/Messages.json");
	assert_string_equal(inst->userpwd, ACCOUNT ":" TOKEN);
	assert_string_equal(inst->body, "To=%2B5511999990001&From=%2B15557122661&Body=hi+there"
	    "&StatusCallback=https%3A%2F%2Fgw.example.com%2Fhooks%2Ftw");
	fake_http_done(inst, 201,
	    "{\"sid\":\"" SID "\",\"status\":\"queued\",\"num_segments\":\"2\"}", NULL);
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_string_equal(inst->provider_id, SID);
	assert_int_equal(inst->parts, 2);
	/* 429 with Retry-After; a timeout; a 400 with a code; a 2xx without a sid. */
	assert_int_equal(PLUGIN->send(st, &req), 0);
	inst->reply_retry_after = "7";
	fake_http_done(inst, 429,
	    "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}", NULL);
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(inst->retry_after_s, 7);
	assert_string_equal(inst->error_code, "20429");
	assert_int_equal(PLUGIN->send(st, &req), 0);
	fake_http_done(inst, 0, NULL, "Timeout was reached");
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_string_equal(inst->error_code, "transport");
	assert_int_equal(PLUGIN->send(st, &req), 0);
	fake_http_done(inst, 400, "{\"code\":21614,\"message\":\"'To' number is not a valid mobile"
	    " number\",\"status\":400}", NULL);
	assert_int_equal(inst->outcome, SB_OUT_UNDELIVERABLE);
	assert_string_equal(inst->error_code, "21614");
	assert_string_equal(inst->error_text, "'To' number is not a valid mobile number");
	assert_int_equal(PLUGIN->send(st, &req), 0);
	fake_http_done(inst, 502, "<html>Bad Gateway</html>", NULL);
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_string_equal(inst->error_text, "HTTP 502: <html>Bad Gateway</html>");
	assert_int_equal(PLUGIN->send(st, &req), 0);
	fake_http_done(inst, 201, "{}", NULL);
	assert_int_equal(inst->outcome, SB_OUT_ACCEPTED);
	assert_string_equal(inst->provider_id, "");
	assert_non_null(strstr(inst->log, "no message sid"));
	/* Refused before any request: too long, not UTF-8, no recipient. */
	inst->nreq = 0;
	req.text = "\xff";
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	assert_string_equal(inst->error_code, "bad_text");
	req.text = NULL;
	req.template_name = "welcome";
	assert_int_equal(PLUGIN->send(st, &req), 0);
	assert_string_equal(inst->error_code, "no_text");
	assert_int_equal(inst->nreq, 0);
	finish(inst, st);
}

static void
test_poll_request_and_mapping(void **state)
{
	struct sb_instance *inst = instance(base_yaml);
	void *st = init_ok(inst);
	struct sb_poll_request bad = { .struct_size = sizeof(bad), .provider_id = "SM1/../../x" };

	/* Only a real message sid goes into the URL. */
	assert_int_equal(PLUGIN->poll(st, &bad), -1);
	assert_int_equal(inst->nreq, 0);
	poll_one(inst, st, SID);
	assert_string_equal(inst->method, "GET");
	assert_string_equal(inst->url, "http://127.0.0.1:9/2010-04-01/Accounts/" ACCOUNT
	    "/Messages/" SID ".json");
	assert_string_equal(inst->userpwd, ACCOUNT ":" TOKEN);
	assert_string_equal(inst->body, "");
	fake_http_done(inst, 200,
	    "{\"sid\":\"" SID "\",\"status\":\"delivered\",\"error_code\":null}", NULL);
	assert_int_equal(inst->nreceipts, 1);
	assert_int_equal(inst->r_outcome, SB_OUT_DELIVERED);
	assert_string_equal(inst->r_id, SID);
	assert_string_equal(inst->r_code, "");
	poll_one(inst, st, SID);
	fake_http_done(inst, 200, "{\"sid\":\"" SID "\",\"status\":\"sent\"}", NULL);
	assert_int_equal(inst->r_outcome, SB_OUT_ACCEPTED);
	poll_one(inst, st, SID);
	fake_http_done(inst, 200,
	    "{\"sid\":\"" SID "\",\"status\":\"undelivered\",\"error_code\":30006,"
	    "\"error_message\":\"Landline or unreachable carrier\"}", NULL);
	assert_int_equal(inst->r_outcome, SB_OUT_UNDELIVERABLE);
	assert_string_equal(inst->r_code, "30006");
	assert_string_equal(inst->r_text, "Landline or unreachable carrier");
	poll_one(inst, st, SID);
	fake_http_done(inst, 200,
	    "{\"sid\":\"" SID "\",\"status\":\"failed\",\"error_code\":30002}", NULL);
	assert_int_equal(inst->r_outcome, SB_OUT_FAILED);
	poll_one(inst, st, SID);
	fake_http_done(inst, 404,
	    "{\"code\":20404,\"message\":\"The requested resource was not found\"}",
	    NULL);
	assert_int_equal(inst->nreceipts, 5);
	assert_int_equal(inst->r_outcome, SB_OUT_EXPIRED);
	assert_string_equal(inst->r_code, "20404");
	/* No answer, a server error, an unknown status: no receipt (the host asks again). */
	poll_one(inst, st, SID);
	fake_http_done(inst, 0, NULL, "Connection refused");
	poll_one(inst, st, SID);
	fake_http_done(inst, 503, "busy", NULL);
	poll_one(inst, st, SID);
	fake_http_done(inst, 200, "{\"sid\":\"" SID "\",\"status\":\"teleported\"}", NULL);
	assert_int_equal(inst->nreceipts, 5);
	assert_non_null(strstr(inst->log, "Connection refused"));
	finish(inst, st);
}

/*
 * Shutdown with a send and a poll out, as the daemon does it (plugin.h
 * rule 7): the HTTP client ends both first (status 0, "shutdown"); the send
 * is reported temporary, the poll reports nothing; fini adds nothing.
 */
static void
test_shutdown_with_requests_in_flight(void **state)
{
	struct sb_instance *inst = instance(base_yaml);
	void *st = init_ok(inst);
	struct sb_send_request req = { .struct_size = sizeof(req), .ticket = 3,
		.to = "+5511999990001", .text = "x" };
	sb_http_done_fn send_fn, poll_fn;
	void *send_arg, *poll_arg;

	assert_int_equal(PLUGIN->send(st, &req), 0);
	send_fn = inst->done;
	send_arg = inst->arg;
	poll_one(inst, st, SID);
	poll_fn = inst->done;
	poll_arg = inst->arg;
	send_fn(send_arg, 0, "", 0, "shutdown", (const struct sb_http_reply *)inst);
	poll_fn(poll_arg, 0, "", 0, "shutdown", (const struct sb_http_reply *)inst);
	assert_int_equal(inst->nresults, 1);
	assert_int_equal(inst->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(inst->nreceipts, 0);
	PLUGIN->fini(st);
	assert_int_equal(inst->nresults, 1);
	fake_instance_free(inst);
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "auth_token: x\n", "missing 'account_sid'" },
		{ "account_sid: AC12\nauth_token: x\n", "'account_sid' must be AC" },
		{ "account_sid: " ACCOUNT "\n", "missing secret 'auth_token'" },
		{ "account_sid: " ACCOUNT "\nauth_token: x\napi_key_sid: SK0123456789abcdef"
		  "0123456789abcdef\n", "api_key_sid and api_key_secret go together" },
		{ "account_sid: " ACCOUNT "\nauth_token: x\nerror_map: {\"30003\": delivered}\n",
		  "error_map '30003': expected one of temporary" },
		{ "account_sid: " ACCOUNT "\nauth_token: x\nvalidity_period: 11h\n",
		  "validity_period must be between" },
		{ "account_sid: " ACCOUNT "\nauth_token: x\nbase_url: ftp://x\n", "base_url must" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_instance *inst = instance(cases[i].yaml);
		void *st = NULL;
		char *errs;

		assert_int_equal(PLUGIN->init(&fake_host, inst, &st), -1);
		errs = sb_cfg_doc_errors(inst->doc);
		if (strstr(errs, cases[i].want) == NULL)
			fail_msg("case %zu: expected '%s' in: %s", i, cases[i].want, errs);
		free(errs);
		fake_instance_free(inst);
	}
}

static void
test_api_key_auth_and_overrides(void **state)
{
	struct sb_instance *inst = instance("account_sid: " ACCOUNT "\nauth_token: " TOKEN "\n"
	    "api_key_sid: SK0123456789abcdef0123456789abcdef\napi_key_secret: keysecret\n"
	    "messaging_service_sid: MG0123456789abcdef0123456789abcdef\n"
	    "error_map: {\"21610\": failed}\nstatus_map: {sent: delivered}\n");
	void *st = init_ok(inst);
	struct sb_send_request req = { .struct_size = sizeof(req), .ticket = 3,
		.to = "+5511999990001", .text = "x" };

	assert_int_equal(PLUGIN->send(st, &req), 0);
	/* REST calls use the API key; the body has the service and no From. */
	assert_string_equal(inst->userpwd, "SK0123456789abcdef0123456789abcdef:keysecret");
	assert_string_equal(inst->url, "https://api.twilio.com/2010-04-01/Accounts/" ACCOUNT
	    "/Messages.json");
	assert_null(strstr(inst->body, "From="));
	assert_non_null(strstr(inst->body, "MessagingServiceSid=MG0123456789abcdef"));
	fake_http_done(inst, 400, "{\"code\":21610,\"message\":\"unsubscribed\"}", NULL);
	assert_int_equal(inst->outcome, SB_OUT_FAILED);
	poll_one(inst, st, SID);
	fake_http_done(inst, 200, "{\"sid\":\"" SID "\",\"status\":\"sent\"}", NULL);
	assert_int_equal(inst->r_outcome, SB_OUT_DELIVERED);
	finish(inst, st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_request_and_answers),
		cmocka_unit_test(test_poll_request_and_mapping),
		cmocka_unit_test(test_shutdown_with_requests_in_flight),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_api_key_auth_and_overrides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
