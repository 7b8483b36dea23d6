/*
 * sbp_chan.c - results, snippets and outcome words (see sbp_chan.h).
 * Never logs; keeps no state.
 */
#include <string.h>
#include <strings.h>

#include "sbp_chan.h"

void
sbp_report(const struct sb_host *host, struct sb_instance *inst, uint64_t ticket,
    enum sb_outcome o, const char *code, const char *text)
{
	struct sb_send_result res = {
		.struct_size = sizeof(res), .outcome = o, .error_code = code,
		.error_text = text, .retry_after_s = -1,
	};

	host->send_result(inst, ticket, &res);
}

void
sbp_snippet(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;

	if (cap == 0)
		return;
	for (i = 0; i < n && o + 1 < cap; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : ' ';
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static const struct {
	const char *word;
	enum sb_outcome outcome;
} outcome_words[] = {
	{ "accepted", SB_OUT_ACCEPTED },
	{ "delivered", SB_OUT_DELIVERED },
	{ "read", SB_OUT_READ },
	{ "undeliverable", SB_OUT_UNDELIVERABLE },
	{ "failed", SB_OUT_FAILED },
	{ "expired", SB_OUT_EXPIRED },
};

int
sbp_outcome_parse(const char *word, enum sb_outcome *out)
{
	for (size_t i = 0; word != NULL && i < sizeof(outcome_words) / sizeof(outcome_words[0]);
	    i++)
		if (strcasecmp(word, outcome_words[i].word) == 0) {
			*out = outcome_words[i].outcome;
			return 0;
		}
	return -1;
}

const char *
sbp_outcome_name(enum sb_outcome o)
{
	for (size_t i = 0; i < sizeof(outcome_words) / sizeof(outcome_words[0]); i++)
		if (outcome_words[i].outcome == o)
			return outcome_words[i].word;
	return o == SB_OUT_TEMPORARY ? "temporary" : "?";
}
