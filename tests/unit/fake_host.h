/*
 * fake_host.h - the one fake struct sb_host the plugin unit tests share,
 * so no test copies core/host.c.
 *
 * Config comes from real YAML through core/cfgnode.c (unknown keys and
 * file:line:col errors as the daemon gives them). Secrets are {env: NAME}
 * or a plain string. HTTP either goes through the real client
 * (core/http_client.c) on an event base, or is only captured: the test
 * looks at the request and completes it with fake_http_done. Results,
 * receipts and log lines are recorded on the instance for the test to read.
 */
#ifndef SB_TEST_FAKE_HOST_H
#define SB_TEST_FAKE_HOST_H

#include <stdint.h>

#include <switchboard/host.h>

struct event_base;
struct sb_cfg_doc;
struct sb_http_client;

/* The fake host's view of an instance: everything a test inspects. */
struct sb_instance {
	struct sb_cfg_doc *doc;
	struct sb_cfg *root;
	char name[32];               /* instance_name */
	char webhook_url[128];
	char log[8192];              /* every log line, appended */
	char *secrets[8];
	size_t nsecrets;
	/* real HTTP (fake_instance_http), else capture */
	struct event_base *base;     /* send_result breaks its loop */
	struct sb_http_client *http;
	int nreq;                    /* captured: the last request */
	char method[8], url[512], body[2048], userpwd[128];
	sb_http_done_fn done;
	void *arg;
	const char *reply_retry_after; /* captured: what http_header answers for Retry-After */
	/* send results */
	int nresults;
	uint64_t ticket;
	enum sb_outcome outcome;
	char provider_id[256], error_code[64], error_text[256];
	int32_t retry_after_s, parts;
	/* receipts, and messages that came in */
	int nreceipts;
	int ninbound;
	enum sb_outcome r_outcome;
	char r_id[256], r_code[256], r_text[256];
};

extern const struct sb_host fake_host;

/* A fresh instance named `name` from YAML (a parse error fails the test). */
struct sb_instance *fake_instance(const char *name, const char *yaml);
/* Send its HTTP through a real client on `base` instead of capturing it. */
void fake_instance_http(struct sb_instance *inst, struct event_base *base);
/* Free the instance (and its client: requests still out end "shutdown"). */
void fake_instance_free(struct sb_instance *inst);

/* Complete the captured request as the provider would answer. */
void fake_http_done(struct sb_instance *inst, long status, const char *body, const char *error);

#endif
