/*
 * fuzz_webhook.c - the input layout of the channel harnesses (see
 * fuzz_webhook.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_webhook.h"

static const long statuses[8] = { 200, 201, 202, 400, 401, 429, 500, 503 };

int
fz_input_parse(const uint8_t *data, size_t size, struct fz_input *in)
{
	const uint8_t *rest;
	size_t rest_len;

	if (size < 1)
		return -1;
	memset(in, 0, sizeof(*in));
	in->ctype = data[0] & 3;
	in->send = (data[0] >> 2) & 1;
	in->bad_sig = (data[0] >> 3) & 1;
	in->alt = (data[0] >> 4) & 1;
	in->status = statuses[data[0] >> 5];
	fz_split_line(data + 1, size - 1, in->line, sizeof(in->line), &rest, &rest_len);
	/* An exact-size copy: ASan sees any read past the body's end. */
	in->body_len = rest_len;
	in->body_z = fz_cstr(rest, rest_len);
	in->body = rest_len > 0 ? memcpy(malloc(rest_len), rest, rest_len) : NULL;
	return 0;
}

void
fz_input_free(struct fz_input *in)
{
	free((void *)in->body);
	free(in->body_z);
}

const char *
fz_input_ctype(const struct fz_input *in)
{
	static const char *const types[4] = {
		NULL, "application/x-www-form-urlencoded", "application/json",
		"application/json; charset=utf-8",
	};

	return types[in->ctype];
}
