/*
 * fuzz_host.h - a fake daemon for the plugin harnesses of tests/fuzz.
 *
 * fuzz_host.c owns a `struct sb_host` whose configuration comes from real
 * YAML (core/cfgnode.c), whose HTTP client only records the last request
 * so the harness can answer it with fuzzed bytes, and whose receipts,
 * results and logs are read in full (so a dangling or unterminated string
 * handed to the host shows up under AddressSanitizer) and then dropped.
 * It never does I/O and never keeps what a plugin hands it.
 */
#ifndef SB_FUZZ_HOST_H
#define SB_FUZZ_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/plugin.h>

#include "config.h"

struct sb_instance {
	const char *name;
	struct sb_cfg_doc *doc;
	struct sb_cfg *root;
	/* The last HTTP request the plugin started, not yet answered. */
	sb_http_done_fn done;
	void *done_arg;
	/* The value of every answer header the plugin asks for (Retry-After...). */
	char reply_header[64];
	unsigned long results, receipts;
};

extern const struct sb_host fz_host;

/* An instance from YAML, initialised by `p`; aborts (with the errors) if init fails. */
struct sb_instance *fz_instance(const struct sb_plugin *p, const char *name, const char *yaml,
    void **state);

/* A webhook request with up to 4 headers ("Name", "value" pairs, NULL-ended). */
struct fz_hook {
	struct sb_webhook_request req;
	const char *headers[9];
};
void fz_hook_init(struct fz_hook *h, const char *method, const char *query, const char *url,
    const char *body, size_t body_len);
void fz_hook_header(struct fz_hook *h, const char *name, const char *value);
/* Run the plugin's webhook and check the answer it fills in. */
void fz_hook_run(const struct sb_plugin *p, void *state, struct fz_hook *h);

/*
 * Send one message through `p` and, if it started an HTTP request, answer
 * it with `status` and `body` (and `header` for any answer header the
 * plugin looks up). A plugin that calls back later than that is a bug.
 */
void fz_send_and_answer(const struct sb_plugin *p, void *state, struct sb_instance *inst,
    const struct sb_send_request *req, long status, const char *body, size_t len,
    const char *header);

/*
 * Cut the input at the first '\n': *head is a NUL-terminated copy of what
 * comes before it (at most cap - 1 bytes), the rest is returned in *rest.
 */
void fz_split_line(const uint8_t *data, size_t size, char *head, size_t cap,
    const uint8_t **rest, size_t *rest_len);

#endif
