/*
 * bench_filter.c - throughput of the content filter's matching library.
 *
 * Builds 1 000 synthetic blocked terms (Latin words and phrases, accented
 * words, CJK words) and a link blocklist, then checks N texts of about 160
 * bytes that mix English, Portuguese, Japanese, Chinese, emoji and links,
 * on one core, the way the plugin does (cf_text_set, then cf_rules_check).
 * Links the library directly; no host, no plugin loading.
 *
 *   bench_filter [N]        (default 500000)
 * prints
 *   filter: N texts in X s = Y texts/s (B blocked)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf_match.h"

#define NTERMS 1000
#define NTEXTS 4096
#define TEXT_LEN 160

static unsigned long rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rng >> 33) % n;
}

static const char *const syll[] = { "ba", "co", "di", "fu", "ga", "ke", "lo",
	"mi", "nu", "pa", "re", "si", "to", "vu", "xa", "zo", "tra", "ple",
	"str", "qu" };
static const char *const accented[] = { "ção", "ão", "é", "ü", "ñ", "õ", "à" };
static const char *const cjk[] = { "賭", "博", "彩", "票", "カ", "ジ", "ノ", "無",
	"料", "当", "選", "金", "儲", "け" };

static void
make_term(char *out, size_t cap, unsigned i)
{
	size_t len = 0;
	unsigned k, n;

	out[0] = '\0';
	if (i % 10 == 9) { /* CJK: 2-4 characters */
		for (k = 0, n = 2 + rnd(3); k < n; k++)
			len += (size_t)snprintf(out + len, cap - len, "%s",
			    cjk[rnd(sizeof(cjk) / sizeof(cjk[0]))]);
		return;
	}
	for (k = 0, n = 2 + rnd(3); k < n; k++)
		len += (size_t)snprintf(out + len, cap - len, "%s",
		    syll[rnd(sizeof(syll) / sizeof(syll[0]))]);
	if (i % 7 == 3)
		len += (size_t)snprintf(out + len, cap - len, "%s",
		    accented[rnd(sizeof(accented) / sizeof(accented[0]))]);
	if (i % 5 == 4) { /* a phrase */
		len += (size_t)snprintf(out + len, cap - len, " ");
		for (k = 0, n = 2 + rnd(2); k < n; k++)
			len += (size_t)snprintf(out + len, cap - len, "%s",
			    syll[rnd(sizeof(syll) / sizeof(syll[0]))]);
	}
}

static const char *const fragments[] = {
	"Hello John, your order #48213 has shipped and will arrive tomorrow. ",
	"Olá Maria! Sua consulta está confirmada para amanhã às 14h30. ",
	"Promoção imperdível: até 50% de desconto em toda a loja. ",
	"ご予約ありがとうございます。明日の10時にお待ちしております。",
	"您的验证码是 482913，请在5分钟内输入。",
	"Track it at https://shop.example.com/t/48213?ref=sms ",
	"More info: example.net/3xYz ",
	"(see www.example.org/help). ",
	"Reply STOP to opt out. ",
	"🎉🎉 Parabéns pelo seu aniversário! 🎂 ",
	"Your code is 381 992. It expires in 10 min, e.g. at 14:05. ",
	"見てhttps://example.jp/a。",
	"Pay R$ 3.50 at the counter, i.e. before 18h. ",
	"Contact suporte@empresa.com.br for help. ",
	"Mit freundlichen Grüßen, Ihr Team. ",
};

static void
make_text(char *out, size_t cap, char terms[][64])
{
	size_t len = 0;

	while (len < TEXT_LEN - 20) {
		const char *f = fragments[rnd(sizeof(fragments) / sizeof(fragments[0]))];

		/* About one text in 64 carries a blocked term, and as many a
		 * blocked shortener link: the rest are checked to the end. */
		if (rnd(64 * 3) == 0)
			f = terms[rnd(NTERMS)];
		else if (rnd(64 * 3) == 0)
			f = "Short link: bit.ly/3xYz";
		if (len + strlen(f) + 2 >= cap)
			break;
		len += (size_t)snprintf(out + len, cap - len, "%s ", f);
		if (len > TEXT_LEN)
			break;
	}
	if (len > TEXT_LEN) { /* cut back to ~160 bytes at a UTF-8 boundary */
		len = TEXT_LEN;
		while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
			len--;
		out[len] = '\0';
	}
}

int
main(int argc, char **argv)
{
	static char terms[NTERMS][64], texts[NTEXTS][TEXT_LEN * 2];
	static const char *const shorteners[] = { "bit.ly", "tinyurl.com", "t.co",
		"goo.gl", "is.gd", "ow.ly", "cutt.ly", "rebrand.ly" };
	long n = argc > 1 ? atol(argv[1]) : 500000, i, blocked = 0;
	struct cf_words *w = cf_words_new();
	struct cf_domains *d = cf_domains_new();
	struct cf_text *t = cf_text_new();
	struct cf_rules rules;
	struct timespec a, b;
	char err[256], reason[256];
	size_t bytes = 0;
	double secs;

	if (!w || !d || !t || n <= 0)
		return 1;
	for (i = 0; i < NTERMS; i++) {
		long j;

		do { /* distinct terms, so the set really holds NTERMS */
			make_term(terms[i], sizeof(terms[i]), (unsigned)i);
			for (j = 0; j < i && strcmp(terms[i], terms[j]); j++)
				;
		} while (j < i);
		if (cf_words_add(w, terms[i], strlen(terms[i]), err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_filter: %s\n", err);
			return 1;
		}
	}
	for (i = 0; i < (long)(sizeof(shorteners) / sizeof(shorteners[0])); i++)
		cf_domains_add(d, shorteners[i], err, sizeof(err));
	if (cf_words_compile(w) < 0)
		return 1;
	rules = (struct cf_rules){ w, CF_LINKS_BLOCKLIST, d };
	for (i = 0; i < NTEXTS; i++) {
		make_text(texts[i], sizeof(texts[i]), terms);
		bytes += strlen(texts[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		const char *s = texts[i % NTEXTS];

		if (cf_text_set(t, s, strlen(s)) < 0)
			return 1;
		blocked += cf_rules_check(&rules, t, NULL, NULL, reason,
		    sizeof(reason));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("filter: %ld texts in %.3f s = %.0f texts/s (%ld blocked, "
	    "%zu terms, %.0f bytes/text)\n", n, secs, (double)n / secs, blocked,
	    cf_words_count(w), (double)bytes / NTEXTS);
	cf_text_free(t);
	cf_domains_free(d);
	cf_words_free(w);
	return 0;
}
