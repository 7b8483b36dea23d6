/*
 * fuzz_webhook.h - the input layout shared by the channel harnesses
 * (fuzz_http_sms.c, fuzz_line.c, fuzz_whatsapp.c, fuzz_twilio.c,
 * fuzz_vonage.c), so one seed format serves them all:
 *
 *   byte 0   mode: bits 0-1 the Content-Type (none, form, JSON, JSON with
 *            a charset); bit 2 answer a send instead of calling the
 *            webhook; bit 3 leave the signature wrong (else the harness
 *            signs the request as the provider would, so the parser behind
 *            the signature check is reached); bit 4 GET instead of POST
 *            (or, for a send, another instance or message kind); bits 5-7
 *            the HTTP status of a send's answer.
 *   line 1   after byte 0, up to the first '\n': the query string of the
 *            webhook, or the Retry-After header of a send's answer.
 *   rest     the body.
 */
#ifndef SB_FUZZ_WEBHOOK_H
#define SB_FUZZ_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz_host.h"

struct fz_input {
	unsigned ctype;       /* 0 none, 1 form, 2 json, 3 json; charset=utf-8 */
	int send;             /* answer a send */
	int bad_sig;          /* do not sign */
	int alt;              /* GET, or the other instance */
	long status;          /* HTTP status for a send's answer */
	char line[1024];      /* query or header */
	const char *body;     /* not NUL-terminated, as webhooks get it */
	size_t body_len;
	char *body_z;         /* the same, NUL-terminated (HTTP answers are) */
};

/* 0 and *in filled (free with fz_input_free), or -1 if the input is empty. */
int fz_input_parse(const uint8_t *data, size_t size, struct fz_input *in);
void fz_input_free(struct fz_input *in);
/* The Content-Type header value for in->ctype, or NULL. */
const char *fz_input_ctype(const struct fz_input *in);

#endif
