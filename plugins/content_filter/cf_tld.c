/*
 * cf_tld.c - the top-level domains that make a bare "word.word" a link.
 *
 * A host written without a scheme and without "www." counts as a link only
 * if its last label is here (or is punycode, "xn--..."). The list is short
 * on purpose: every entry turns "word.entry" into a link, so it holds
 * all two-letter country codes (they are what link shorteners use: bit.ly,
 * t.co, youtu.be) and the generic TLDs common in real traffic and spam, not
 * the whole root zone. Two-letter codes are ISO 3166 alpha-2 from tzdata's
 * iso3166.tab plus ac, eu, su and uk; regenerate with
 *   (grep -v '^#' /usr/share/zoneinfo/iso3166.tab | cut -f1 | tr A-Z a-z;
 *    printf 'ac\neu\nsu\nuk\n') | sort -u | tr -d '\n'
 * Both tables are sorted; lookups are binary searches.
 */
#include <string.h>

#include "cf_match.h"

/* Sorted pairs of letters: "ac", "ad", "ae", ... */
static const char cc[] =
	"acadaeafagaialamaoaqarasatauawaxazbabbbdbebfbgbhbibjblbmbnbobqbr"
	"bsbtbvbwbybzcacccdcfcgchcickclcmcncocrcucvcwcxcyczdedjdkdmdodzec"
	"eeegehereseteufifjfkfmfofrgagbgdgegfggghgiglgmgngpgqgrgsgtgugwgy"
	"hkhmhnhrhthuidieiliminioiqirisitjejmjojpkekgkhkikmknkpkrkwkykzla"
	"lblclilklrlsltlulvlymamcmdmemfmgmhmkmlmmmnmompmqmrmsmtmumvmwmxmy"
	"mznancnenfngninlnonpnrnunzompapepfpgphpkplpmpnprpsptpwpyqarerors"
	"rurwsasbscsdsesgshsisjskslsmsnsosrssstsusvsxsysztctdtftgthtjtktl"
	"tmtntotrtttvtwtzuaugukumusuyuzvavcvevgvivnvuwfwsyeytzazmzw";

static const char *const generic[] = {
	"academy", "agency", "app", "art", "asia", "bar", "beer", "best",
	"bet", "bid", "bio", "biz", "blog", "buzz", "cam", "capital", "care",
	"cash", "casino", "center", "chat", "click", "cloud", "club", "codes",
	"coffee", "com", "company", "coop", "cyou", "date", "deals", "design",
	"dev", "digital", "direct", "download", "edu", "email", "energy",
	"estate", "events", "exchange", "expert", "fans", "finance", "fit",
	"fun", "game", "games", "gdn", "global", "gmbh", "gold", "golf",
	"gov", "group", "guru", "help", "host", "icu", "inc", "info", "ink",
	"int", "jobs", "kim", "life", "link", "live", "loan", "loans", "lol",
	"love", "ltd", "market", "marketing", "media", "men", "mil", "mobi",
	"moe", "money", "network", "news", "ngo", "one", "online", "ooo",
	"org", "page", "partners", "party", "photo", "photos", "pics", "pink",
	"plus", "poker", "press", "pro", "pub", "racing", "red", "ren",
	"rest", "review", "rocks", "run", "sale", "sbs", "science",
	"services", "shop", "shopping", "site", "social", "software",
	"solutions", "space", "store", "stream", "studio", "support", "surf",
	"systems", "tech", "tel", "today", "tokyo", "top", "tours", "trade",
	"travel", "tube", "uno", "vip", "vote", "wang", "watch", "website",
	"wiki", "win", "work", "works", "world", "wtf", "xxx", "xyz", "zone",
};

int
cf_tld_known(const char *label, size_t len)
{
	char l[25];
	size_t i, lo = 0, hi;

	if (len < 2 || len >= sizeof(l))
		return 0;
	for (i = 0; i < len; i++) {
		char c = label[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c < 'a' || c > 'z')
			return 0;
		l[i] = c;
	}
	l[len] = '\0';
	if (len == 2) {
		hi = (sizeof(cc) - 1) / 2;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = memcmp(l, cc + 2 * mid, 2);

			if (c == 0)
				return 1;
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return 0;
	}
	hi = sizeof(generic) / sizeof(generic[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l, generic[mid]);

		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
