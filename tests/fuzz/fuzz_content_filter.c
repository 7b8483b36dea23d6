/*
 * fuzz_content_filter.c - the content filter (plugins/content_filter):
 * UTF-8 folding, the Aho-Corasick word scan, link extraction (schemes,
 * bare domains, IP literals, IDN and punycode) and domain rules, through
 * the plugin's `check` with a fake host (tests/fuzz/fuzz_host.c).
 *
 * Byte 0 picks the subaccount (each with other rules) and the mode; the
 * rest is the message text. Mode 1 also adds each line of the input as a
 * blocked term and as a domain to fresh sets (the code behind `words:`,
 * words_file and `domains:`), folds it as a term and canonicalises it as a
 * host name. A block must give a reason; every link found is non-empty.
 */
#include <stdio.h>

#include "cf_match.h"
#include "fuzz.h"
#include "fuzz_host.h"

extern const struct sb_plugin content_filter_LTX_sb_plugin;
#define PLUGIN (&content_filter_LTX_sb_plugin)

static const char yaml[] =
    "words: [gratis, \"free money\", \"ganhe já\", 無料, \"casino\"]\n"
    "links: blocklist\n"
    "domains: [bit.ly, tinyurl.com, \"*.evil.example\", xn--mnchen-3ya.de, \"例え.テスト\"]\n"
    "subaccounts:\n"
    "  strict:\n"
    "    words: [promo, desconto, \"allowed.example\"]\n"
    "    links: allowlist\n"
    "    domains: [example.com, allowed.example]\n"
    "  nolinks:\n"
    "    links: block\n"
    "  open:\n"
    "    links: allow\n";

static const char *const subs[] = { NULL, "strict", "nolinks", "open", "unknown" };

static void *state;
static struct cf_text *text;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_instance(PLUGIN, "content", yaml, &state);
	if ((text = cf_text_new()) == NULL)
		abort();
	return 0;
}

static void
lines(const char *s, size_t size)
{
	struct cf_words *w = cf_words_new();
	struct cf_domains *d = cf_domains_new();
	struct cf_rules r = { .words = w, .domains = d, .links = CF_LINKS_BLOCKLIST };
	char err[256], out[512], reason[256];
	const char *p = s, *end = s + size, *nl;
	size_t i;

	FZ_ASSERT(w != NULL && d != NULL);
	for (i = 0; p < end && i < 16; i++, p = nl + 1) {
		char one[256];
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		(void)cf_words_add(w, p, n, err, sizeof(err));
		(void)cf_fold_term(p, n, out, sizeof(out));
		if (cf_host_canon(p, n, out, sizeof(out)) == 0)
			FZ_ASSERT(strlen(out) < sizeof(out));
		(void)cf_tld_known(p, n);
		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		(void)cf_domains_add(d, one, err, sizeof(err));
	}
	FZ_ASSERT(cf_words_compile(w) == 0);
	FZ_ASSERT(cf_text_set(text, s, size) == 0);
	for (i = 0; i < cf_text_nlinks(text); i++)
		(void)cf_domains_match(d, cf_text_link(text, i));
	if (cf_rules_check(&r, text, NULL, NULL, reason, sizeof(reason)) == 1)
		FZ_ASSERT(reason[0] != '\0');
	cf_words_free(w);
	cf_domains_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_check_request req = { .struct_size = sizeof(req), .to = "+5511999990000" };
	struct sb_verdict v;
	char *s;
	size_t i;

	if (size < 1 || size > 65536)
		return 0;
	s = fz_cstr(data + 1, size - 1);
	req.subaccount = subs[data[0] % 5];
	req.text = s;
	memset(&v, 0x55, sizeof(v));
	FZ_ASSERT(PLUGIN->check(state, &req, &v) == 0);
	FZ_ASSERT(v.verdict == SB_VERDICT_ALLOW || v.verdict == SB_VERDICT_BLOCK);
	FZ_ASSERT(memchr(v.reason, '\0', sizeof(v.reason)) != NULL);
	if (v.verdict == SB_VERDICT_BLOCK)
		FZ_ASSERT(v.reason[0] != '\0');
	/* The text as the library sees it: every link found is a host name. */
	FZ_ASSERT(cf_text_set(text, s, strlen(s)) == 0);
	for (i = 0; i < cf_text_nlinks(text); i++)
		FZ_ASSERT(cf_text_link(text, i)[0] != '\0');
	if (data[0] & 0x80)
		lines(s, size - 1);
	free(s);
	return 0;
}
