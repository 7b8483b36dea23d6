/*
 * test_content_filter.c - the content filter: its matching library directly
 * (folding, terms, links, domains) and the plugin through a fake host with a
 * tiny in-memory config tree and a fake support allowlist.
 *
 * The tables are the specification in miniature: each row is a text, the
 * verdict and the exact reason. docs/content-filter.md explains the rows
 * that look surprising (what is deliberately not caught).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <switchboard/plugin.h>

#include "cf_match.h"

extern const struct sb_plugin content_filter_LTX_sb_plugin;

/* ---- library: words and links against one rule set ---- */

static const char *const lib_words[] = {
	"gratis", "free money", "ass", "cunt", "カジノ", "博彩", "Prêmio",
	"viagra", "winner", "sex", NULL,
};

struct lib_case {
	const char *text;
	const char *reason; /* NULL: allowed */
};

/* Links policy "block", so a link's reason shows the host as extracted. */
static const struct lib_case lib_cases[] = {
	/* Portuguese, accents folded */
	{ "GRÁTIS", "word 'gratis'" },
	{ "Promoção grátis!", "word 'gratis'" },
	{ "Ganhe um PRÊMIO hoje", "word 'premio'" },
	{ "Gratis.", "word 'gratis'" },
	{ "100% gratuito", NULL },
	{ "gratisfeito", NULL },
	{ "Sexta-feira tem promoção", NULL },
	/* English, phrases and evasions */
	{ "free money now", "word 'free money'" },
	{ "FREE\nmoney", "word 'free money'" },
	{ "free    money", "word 'free money'" },
	{ "Free\t\tMoney", "word 'free money'" },
	{ "f.r.e.e money", "word 'free money'" },
	{ "f-r-e-e money", "word 'free money'" },
	{ "free-money", "word 'free money'" },
	{ "free_money", "word 'free money'" },
	{ "free - money", "word 'free money'" },
	{ "free. Money is tight", NULL },
	{ "it was free, money back", NULL },
	{ "freemoney", NULL },
	{ "w.i.n.n.e.r", "word 'winner'" },
	{ "w-i-n-n-e-r!", "word 'winner'" },
	{ "w_i_n_n_e_r", "word 'winner'" },
	{ "you are a W I N N E R", NULL }, /* "a" continues the spelling */
	{ "W I N N E R today", "word 'winner'" },
	{ "winners", NULL },
	{ "vi\xe2\x80\x8b" "agra", "word 'viagra'" }, /* zero-width space */
	{ "v\xc3\xad" "agra", "word 'viagra'" },           /* víagra */
	{ "\xef\xbd\x96\xef\xbd\x89\xef\xbd\x81\xef\xbd\x87\xef\xbd\x92\xef\xbd\x81",
	  "word 'viagra'" },                           /* fullwidth */
	/* false positives to avoid */
	{ "a classic movie", NULL },
	{ "the assessment is due", NULL },
	{ "glass. Sorry", NULL },
	{ "bass guitar", NULL },
	{ "Scunthorpe United", NULL },
	{ "Essex and Sussex", NULL },
	{ "a.s.s.e.s.s.m.e.n.t", NULL },
	{ "a.s.s", "word 'ass'" },
	{ "You ass!", "word 'ass'" },
	{ "A-S-S", "word 'ass'" },
	{ "sex", "word 'sex'" },
	/* emoji */
	{ "VIAGRA\xf0\x9f\x92\x8a", "word 'viagra'" },
	{ "\xf0\x9f\x92\x8aviagra\xf0\x9f\x92\x8a", "word 'viagra'" },
	{ "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89 parabéns!", NULL },
	{ "", NULL },
	/* CJK: substrings, and Latin terms touching CJK */
	{ "これはカジノです", "word 'カジノ'" },
	{ "\xef\xbd\xb6\xef\xbd\xbc\xef\xbe\x9e\xef\xbe\x89", "word 'カジノ'" }, /* ｶｼﾞﾉ */
	{ "カシノ", NULL },
	{ "博彩网站", "word '博彩'" },
	{ "免费博彩", "word '博彩'" },
	{ "見てfree moneyです", "word 'free money'" },
	/* links: schemes, parentheses, sentence ends, CJK */
	{ "see https://example.com/path", "link 'example.com' (links not allowed)" },
	{ "見てhttps://example.com/a。", "link 'example.com' (links not allowed)" },
	{ "(see www.x.com).", "link 'www.x.com' (links not allowed)" },
	{ "(https://example.org/a_(b))", "link 'example.org' (links not allowed)" },
	{ "Go to bit.ly/abc", "link 'bit.ly' (links not allowed)" },
	{ "visit example.com.", "link 'example.com' (links not allowed)" },
	{ "visit example.com, now", "link 'example.com' (links not allowed)" },
	{ "visit example.com!", "link 'example.com' (links not allowed)" },
	{ "詳しくはexample.comへ", "link 'example.com' (links not allowed)" },
	{ "WWW.EXAMPLE.COM", "link 'www.example.com' (links not allowed)" },
	{ "example\xe3\x80\x82" "com", "link 'example.com' (links not allowed)" },
	{ "\xef\xbd\x97\xef\xbd\x97\xef\xbd\x97\xef\xbc\x8e\xef\xbd\x85\xef\xbd\x98"
	  "\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f", "link 'www.ex.co' (links not allowed)" },
	{ "hxxp://evil.com", "link 'evil.com' (links not allowed)" },
	{ "https://user:pw@evil.com:8080/x", "link 'evil.com' (links not allowed)" },
	/* IP hosts */
	{ "http://192.168.0.1/x", "link '192.168.0.1' (links not allowed)" },
	{ "go 10.0.0.1/admin", "link '10.0.0.1' (links not allowed)" },
	{ "version 1.2.3.4 released", NULL },
	{ "http://[2001:DB8::1]/x", "link '[2001:db8::1]' (links not allowed)" },
	{ "[2001:db8::1]:8080/x", "link '[2001:db8::1]' (links not allowed)" },
	/* punycode and IDN, compared in one canonical form */
	{ "https://xn--mnchen-3ya.de/", "link 'münchen.de' (links not allowed)" },
	{ "https://MÜNCHEN.de", "link 'münchen.de' (links not allowed)" },
	{ "https://例え.テスト/パス", "link '例え.テスト' (links not allowed)" },
	{ "shop.xn--p1ai", "link 'shop.рф' (links not allowed)" },
	/* not links */
	{ "mail joao@example.com", NULL },
	{ "joao.silva@example.com.br", NULL },
	{ "It costs 3.50 today", NULL },
	{ "R$ 1.000,00", NULL },
	{ "e.g. this, i.e. that", NULL },
	{ "Made in the U.S. today", NULL },
	{ "I was there.It was fun", NULL },
	{ "report.pdf attached", NULL },
	{ "call at 5.30pm", NULL },
	{ "Oi...tudo bem?", NULL },
};

static struct cf_words *
words_from(const char *const *list)
{
	struct cf_words *w = cf_words_new();
	char err[256];

	assert_non_null(w);
	for (; *list; list++)
		assert_int_equal(cf_words_add(w, *list, strlen(*list), err,
		    sizeof(err)), 0);
	assert_int_equal(cf_words_compile(w), 0);
	return w;
}

static void
test_lib_table(void **unused)
{
	struct cf_words *w = words_from(lib_words);
	struct cf_text *t = cf_text_new();
	struct cf_rules r = { w, CF_LINKS_BLOCK, NULL };
	size_t i, bad = 0;

	for (i = 0; i < sizeof(lib_cases) / sizeof(lib_cases[0]); i++) {
		const struct lib_case *c = &lib_cases[i];
		char reason[256] = "";
		int got;

		assert_int_equal(cf_text_set(t, c->text, strlen(c->text)), 0);
		got = cf_rules_check(&r, t, NULL, NULL, reason, sizeof(reason));
		if (got != (c->reason != NULL) ||
		    (c->reason && strcmp(reason, c->reason) != 0)) {
			print_error("row %zu \"%s\": want %s, got %s\n", i, c->text,
			    c->reason ? c->reason : "allow", got ? reason : "allow");
			bad++;
		}
	}
	assert_true(i >= 60);
	cf_text_free(t);
	cf_words_free(w);
	assert_int_equal(bad, 0);
}

/* Every host found, space separated. */
static const struct {
	const char *text, *hosts;
} link_cases[] = {
	{ "a.com b.org and https://c.net/x?y=d.com", "a.com b.org c.net" },
	{ "x@y.com, bit.ly/1 and t.co", "bit.ly t.co" },
	{ "wait...bit.ly/x", "bit.ly" },
	{ "(see www.x.com).", "www.x.com" },
	{ "ok.so", "ok.so" },               /* a ccTLD: documented */
	{ "Example.Com", "" },              /* title case: documented */
	{ "Bit.Ly/x3", "bit.ly" },          /* ... unless a path follows */
	{ "1.2.3.4 and 1.2.3.4:80", "1.2.3.4" },
	{ "ftp://files.example.com:21/a https://[::1]:8443/", "files.example.com [::1]" },
	{ "見てhttps://example.com/a。次はwww.test.jpへ", "example.com www.test.jp" },
};

static void
test_links(void **unused)
{
	struct cf_text *t = cf_text_new();
	size_t i, j;

	for (i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		char got[512] = "";

		assert_int_equal(cf_text_set(t, link_cases[i].text,
		    strlen(link_cases[i].text)), 0);
		for (j = 0; j < cf_text_nlinks(t); j++) {
			if (j)
				strcat(got, " ");
			strcat(got, cf_text_link(t, j));
		}
		if (strcmp(got, link_cases[i].hosts) != 0)
			fail_msg("\"%s\": want \"%s\", got \"%s\"", link_cases[i].text,
			    link_cases[i].hosts, got);
	}
	cf_text_free(t);
}

static void
test_fold_and_canon(void **unused)
{
	char out[256];

	assert_int_equal(cf_fold_term("GRÁTIS", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "gratis");
	assert_int_equal(cf_fold_term("  Free \t Money ", 15, out, sizeof(out)), 0);
	assert_string_equal(out, "free money");
	assert_int_equal(cf_fold_term("\xef\xbd\xb6\xef\xbe\x9e", 6, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "ガ");
	assert_int_equal(cf_fold_term("Straße", strlen("Straße"), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "strasse");
	assert_int_equal(cf_fold_term("!!!", 3, out, sizeof(out)), -1);
	assert_int_equal(cf_fold_term("\xff", 1, out, sizeof(out)), -1);

	assert_int_equal(cf_host_canon("XN--MNCHEN-3YA.DE", 17, out, sizeof(out)), 0);
	assert_string_equal(out, "münchen.de");
	assert_int_equal(cf_host_canon("xn--fsqu00a.xn--0zwm56d", 23, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "例子.测试");
	assert_int_equal(cf_host_canon("Example.COM.", 12, out, sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	/* Broken punycode stays as written rather than failing. */
	assert_int_equal(cf_host_canon("xn--99999999999.com", 19, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "xn--99999999999.com");
	/* So does punycode of something IDNA2008 forbids (U+0080, an emoji):
	 * the allowlist refuses those labels, so the two never disagree. */
	assert_int_equal(cf_host_canon("xn--a.com", 9, out, sizeof(out)), 0);
	assert_string_equal(out, "xn--a.com");
	assert_int_equal(cf_host_canon("xn--ls8h.la", 11, out, sizeof(out)), 0);
	assert_string_equal(out, "xn--ls8h.la");

	assert_true(cf_tld_known("com", 3));
	assert_true(cf_tld_known("BR", 2));
	assert_true(cf_tld_known("ly", 2));
	assert_false(cf_tld_known("zz", 2));
	assert_false(cf_tld_known("pdf", 3));
	assert_false(cf_tld_known("g", 1));
}

static void
test_domains(void **unused)
{
	struct cf_domains *d = cf_domains_new();
	char err[256];

	assert_int_equal(cf_domains_add(d, "bit.ly", err, sizeof(err)), 0);
	assert_int_equal(cf_domains_add(d, "*.TinyURL.com", err, sizeof(err)), 0);
	assert_int_equal(cf_domains_add(d, "xn--mnchen-3ya.de", err, sizeof(err)), 0);
	assert_int_equal(cf_domains_add(d, "bit.ly", err, sizeof(err)), 0);
	assert_int_equal(cf_domains_count(d), 3);
	assert_int_equal(cf_domains_add(d, "https://bit.ly/", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a domain"));
	assert_int_equal(cf_domains_add(d, "a..b", err, sizeof(err)), -1);
	assert_string_equal(cf_domains_match(d, "bit.ly"), "bit.ly");
	assert_string_equal(cf_domains_match(d, "x.y.bit.ly"), "bit.ly");
	assert_string_equal(cf_domains_match(d, "www.tinyurl.com"), "tinyurl.com");
	assert_string_equal(cf_domains_match(d, "shop.münchen.de"), "münchen.de");
	assert_null(cf_domains_match(d, "notbit.ly"));
	assert_null(cf_domains_match(d, "ly"));
	cf_domains_free(d);
}

/* The automaton with many terms: every term is found, none invented. */
static void
test_many_terms(void **unused)
{
	struct cf_words *w = cf_words_new();
	struct cf_text *t = cf_text_new();
	char terms[1500][32], err[256], text[128];
	unsigned seed = 7;
	size_t i;

	/* Latin words, and CJK pairs from a wide range (sparse symbols). */
	for (i = 0; i < 1500; i++) {
		size_t j, len = 3 + (seed = seed * 1103515245 + 12345) % 6;

		if (i % 3 == 2) {
			uint32_t a = 0x4E00 + (seed >> 8) % 400, b = 0x4E00 + (seed >> 20) % 400;

			snprintf(terms[i], sizeof(terms[i]), "%c%c%c%c%c%c",
			    0xE0 | (a >> 12), 0x80 | ((a >> 6) & 63), 0x80 | (a & 63),
			    0xE0 | (b >> 12), 0x80 | ((b >> 6) & 63), 0x80 | (b & 63));
		} else {
			for (j = 0; j < len; j++) {
				seed = seed * 1103515245 + 12345;
				terms[i][j] = (char)('a' + (seed >> 16) % 26);
			}
			terms[i][len] = '\0';
		}
		assert_int_equal(cf_words_add(w, terms[i], strlen(terms[i]), err,
		    sizeof(err)), 0);
	}
	assert_int_equal(cf_words_compile(w), 0);
	for (i = 0; i < 1500; i++) {
		const char *hit;

		snprintf(text, sizeof(text), "x %s, y", terms[i]);
		assert_int_equal(cf_text_set(t, text, strlen(text)), 0);
		hit = cf_words_scan(w, t, NULL, NULL);
		assert_non_null(hit);
		/* Another term may be a CJK substring of this one; Latin ones
		 * must be exactly this term. */
		if (i % 3 != 2)
			assert_string_equal(hit, terms[i]);
	}
	snprintf(text, sizeof(text), "0123456789 !?");
	assert_int_equal(cf_text_set(t, text, strlen(text)), 0);
	assert_null(cf_words_scan(w, t, NULL, NULL));
	cf_text_free(t);
	cf_words_free(w);
}

/* ---- the plugin through a fake host ---- */

enum { N_SCALAR, N_MAP, N_SEQ };

struct sb_cfg {
	int type;
	const char *scalar;
	size_t n;
	const char *keys[16];
	struct sb_cfg *items[16];
	int used[16];
};

static struct sb_cfg pool[256];
static size_t npool;
static struct sb_cfg *cur_root;
static char cfg_errors[4096];
static int ncfg_errors;
static int nblocked_counter;
static const char *asked_sub[64];
static size_t nasked;

static struct sb_cfg *
node(int type)
{
	struct sb_cfg *n;

	assert_true(npool < sizeof(pool) / sizeof(pool[0]));
	n = &pool[npool++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

static struct sb_cfg *
S(const char *v)
{
	struct sb_cfg *n = node(N_SCALAR);

	n->scalar = v;
	return n;
}

/* A sequence of strings, NULL-terminated. */
static struct sb_cfg *
L(const char *first, ...)
{
	struct sb_cfg *n = node(N_SEQ);
	const char *v;
	va_list ap;

	va_start(ap, first);
	for (v = first; v; v = va_arg(ap, const char *))
		n->items[n->n++] = S(v);
	va_end(ap);
	return n;
}

/* A mapping: key, node, key, node, ..., NULL. */
static struct sb_cfg *
M(const char *first, ...)
{
	struct sb_cfg *n = node(N_MAP);
	const char *k;
	va_list ap;

	va_start(ap, first);
	for (k = first; k; k = va_arg(ap, const char *)) {
		n->keys[n->n] = k;
		n->items[n->n++] = va_arg(ap, struct sb_cfg *);
	}
	va_end(ap);
	return n;
}

static void
fake_log(struct sb_instance *inst, enum sb_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!getenv("CF_TEST_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct sb_cfg *
fake_root(struct sb_instance *inst)
{
	return cur_root;
}

static struct sb_cfg *
fake_get(struct sb_cfg *map, const char *key)
{
	size_t i;

	if (!map || map->type != N_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0) {
			map->used[i] = 1;
			return map->items[i];
		}
	return NULL;
}

static void
fake_error(struct sb_cfg *n, const char *fmt, ...)
{
	size_t len = strlen(cfg_errors);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg_errors + len, sizeof(cfg_errors) - len - 1, fmt, ap);
	va_end(ap);
	strcat(cfg_errors, "\n");
	ncfg_errors++;
}

static int
fake_string(struct sb_cfg *map, const char *key, const char *def, const char **out)
{
	struct sb_cfg *n = fake_get(map, key);

	*out = def;
	if (!n)
		return 1;
	if (n->type != N_SCALAR) {
		fake_error(n, "expected a string for '%s'", key);
		return -1;
	}
	*out = n->scalar;
	return 0;
}

static size_t
fake_len(struct sb_cfg *n)
{
	return n && n->type != N_SCALAR ? n->n : 0;
}

static struct sb_cfg *
fake_item(struct sb_cfg *n, size_t i, const char **key)
{
	if (key)
		*key = NULL;
	if (!n || n->type == N_SCALAR || i >= n->n)
		return NULL;
	if (n->type == N_MAP) {
		n->used[i] = 1;
		if (key)
			*key = n->keys[i];
	}
	return n->items[i];
}

static const char *
fake_scalar(struct sb_cfg *n)
{
	return n && n->type == N_SCALAR ? n->scalar : NULL;
}

static void
fake_counter(struct sb_instance *inst, const char *name, uint64_t n)
{
	if (strcmp(name, "content_filter_blocked") == 0)
		nblocked_counter += (int)n;
}

/* What support has opened: subaccount (NULL: every one), kind, value. */
static const struct {
	const char *sub, *kind, *value;
} allowlist[] = {
	{ "acme", "term", "gratis" },
	{ "beta", "domain", "tinyurl.com" },
	{ "acme", "domain", "partner.org" },
	{ NULL, "term", "loteria" },
};

static int
fake_allowed(struct sb_instance *inst, const char *sub, const char *kind,
    const char *value)
{
	size_t i;

	if (nasked < sizeof(asked_sub) / sizeof(asked_sub[0]))
		asked_sub[nasked++] = sub;
	for (i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++) {
		size_t vl = strlen(value), al = strlen(allowlist[i].value);

		if (allowlist[i].sub && (!sub || strcmp(sub, allowlist[i].sub)))
			continue;
		if (strcmp(kind, allowlist[i].kind))
			continue;
		if (strcmp(value, allowlist[i].value) == 0)
			return 1;
		/* The host covers subdomains of an allowed domain. */
		if (!strcmp(kind, "domain") && vl > al && value[vl - al - 1] == '.' &&
		    !strcmp(value + vl - al, allowlist[i].value))
			return 1;
	}
	return 0;
}

static const struct sb_host fake_host = {
	.struct_size = sizeof(struct sb_host),
	.version = SB_HOST_VERSION,
	.log = fake_log,
	.cfg_root = fake_root,
	.cfg_get = fake_get,
	.cfg_string = fake_string,
	.cfg_len = fake_len,
	.cfg_item = fake_item,
	.cfg_scalar = fake_scalar,
	.cfg_error = fake_error,
	.counter_add = fake_counter,
	.filter_allowed = fake_allowed,
};

static char words_path[64];

static int
setup_plugin(void **unused)
{
	static const char body[] = "# blocked words, one per line\n\n"
	    "viagra\n  LOTERIA  \r\n   # indented comment\n";
	int fd;

	strcpy(words_path, "/tmp/cf-words-XXXXXX");
	fd = mkstemp(words_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)sizeof(body) - 1);
	close(fd);
	npool = 0;
	cfg_errors[0] = '\0';
	ncfg_errors = 0;
	nblocked_counter = 0;
	nasked = 0;
	return 0;
}

static int
teardown_plugin(void **unused)
{
	unlink(words_path);
	return 0;
}

static struct sb_cfg *
standard_config(void)
{
	return M("words", L("gratis", "free money", NULL),
	    "words_file", S(words_path),
	    "links", S("blocklist"),
	    "domains", L("bit.ly", "tinyurl.com", NULL),
	    "subaccounts", M(
		"acme", M("words", L("casino", NULL), "links", S("allowlist"),
		    "domains", L("acme.com", NULL), NULL),
		"beta", M("links", S("block"), NULL),
		NULL),
	    NULL);
}

static void *
start(struct sb_cfg *root)
{
	const struct sb_plugin *p = &content_filter_LTX_sb_plugin;
	void *st = NULL;

	cur_root = root;
	assert_int_equal(p->init(&fake_host, (struct sb_instance *)0x1, &st), 0);
	assert_non_null(st);
	return st;
}

struct plug_case {
	const char *sub, *text, *reason;
};

static const struct plug_case plug_cases[] = {
	{ NULL, "GRÁTIS", "word 'gratis'" },
	{ "acme", "GRÁTIS hoje", NULL },               /* acme's allowlist */
	{ "acme", "grátis no casino", "word 'casino'" },/* keeps scanning */
	{ "beta", "grátis", "word 'gratis'" },         /* not beta's */
	{ "beta", "casino tonight", NULL },
	{ "acme", "CASINO tonight", "word 'casino'" },
	{ NULL, "casino", NULL },
	{ NULL, "free  money", "word 'free money'" },
	{ NULL, "Viagra barato", "word 'viagra'" },    /* words_file */
	{ "x", "loteria", NULL },                      /* allowed globally */
	{ NULL, "see bit.ly/x", "link 'bit.ly' (blocked domain)" },
	{ NULL, "see https://www.tinyurl.com/x", "link 'tinyurl.com' (blocked domain)" },
	{ NULL, "see example.com", NULL },
	{ "beta", "see tinyurl.com/x", NULL },         /* beta's allowlist */
	{ "beta", "see example.com", "link 'example.com' (links not allowed)" },
	{ "beta", "mail me: joao@example.com", NULL },
	{ "acme", "see https://shop.acme.com/x", NULL },
	{ "acme", "see evil.com", "link 'evil.com' (domain not in allowlist)" },
	{ "acme", "see partner.org/x", NULL },
	{ "acme", "see www.partner.org", NULL },
	{ "acme", "bit.ly/x", "link 'bit.ly' (blocked domain)" },
	{ "nobody", "https://acme.com", NULL },
};

static void
test_plugin_table(void **unused)
{
	const struct sb_plugin *p = &content_filter_LTX_sb_plugin;
	struct sb_cfg *root = standard_config();
	void *st = start(root);
	size_t i, bad = 0, blocks = 0;

	assert_int_equal(ncfg_errors, 0);
	/* Every key was read, so the host reports none as unknown. */
	for (i = 0; i < root->n; i++)
		assert_true(root->used[i]);
	for (i = 0; i < sizeof(plug_cases) / sizeof(plug_cases[0]); i++) {
		const struct plug_case *c = &plug_cases[i];
		struct sb_check_request req = { sizeof(req), c->sub, "+5511999990000",
			c->text };
		struct sb_verdict v;

		memset(&v, 0x55, sizeof(v));
		assert_int_equal(p->check(st, &req, &v), 0);
		blocks += v.verdict == SB_VERDICT_BLOCK;
		if (v.verdict != (c->reason ? SB_VERDICT_BLOCK : SB_VERDICT_ALLOW) ||
		    (c->reason && strcmp(v.reason, c->reason) != 0)) {
			print_error("row %zu [%s] \"%s\": want %s, got %s\n", i,
			    c->sub ? c->sub : "-", c->text,
			    c->reason ? c->reason : "allow",
			    v.verdict == SB_VERDICT_BLOCK ? v.reason : "allow");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(nblocked_counter, (int)blocks);
	/* The allowlist was always asked with the message's subaccount. */
	for (i = 0; i < nasked; i++)
		assert_true(asked_sub[i] == NULL || !strcmp(asked_sub[i], "acme") ||
		    !strcmp(asked_sub[i], "beta") || !strcmp(asked_sub[i], "x"));
	{
		/* A template message carries no text. */
		struct sb_check_request req = { sizeof(req), "acme", "+1", NULL };
		struct sb_verdict v;

		assert_int_equal(p->check(st, &req, &v), 0);
		assert_int_equal(v.verdict, SB_VERDICT_ALLOW);
	}
	p->fini(st);
}

static void
test_plugin_asks_own_subaccount(void **unused)
{
	const struct sb_plugin *p = &content_filter_LTX_sb_plugin;
	void *st = start(standard_config());
	struct sb_check_request req = { sizeof(req), "beta", "+1", "gratis" };
	struct sb_verdict v;

	nasked = 0;
	assert_int_equal(p->check(st, &req, &v), 0);
	assert_int_equal(v.verdict, SB_VERDICT_BLOCK);
	assert_true(nasked >= 1);
	assert_string_equal(asked_sub[0], "beta");
	p->fini(st);
}

static void
test_plugin_minimal(void **unused)
{
	const struct sb_plugin *p = &content_filter_LTX_sb_plugin;
	void *st = start(M(NULL));
	struct sb_check_request req = { sizeof(req), NULL, "+1",
		"anything at all, https://example.com" };
	struct sb_verdict v;

	assert_int_equal(p->kind, SB_PLUGIN_FILTER);
	assert_int_equal(p->abi_major, SB_ABI_MAJOR);
	assert_int_equal(p->check(st, &req, &v), 0);
	assert_int_equal(v.verdict, SB_VERDICT_ALLOW);
	p->fini(st);
}

static void
expect_init_error(struct sb_cfg *root, const char *needle)
{
	const struct sb_plugin *p = &content_filter_LTX_sb_plugin;
	void *st = NULL;

	cfg_errors[0] = '\0';
	ncfg_errors = 0;
	cur_root = root;
	assert_int_equal(p->init(&fake_host, (struct sb_instance *)0x1, &st), -1);
	if (!strstr(cfg_errors, needle))
		fail_msg("want an error with \"%s\", got \"%s\"", needle, cfg_errors);
}

static void
test_plugin_config_errors(void **unused)
{
	expect_init_error(M("links", S("sometimes"), NULL), "got 'sometimes'");
	expect_init_error(M("words", L("ok", "!!!", NULL), NULL), "'!!!'");
	expect_init_error(M("words_file", S("/nonexistent/words.txt"), NULL),
	    "cannot open words_file");
	expect_init_error(M("domains", L("https://bit.ly/x", NULL), "links",
	    S("blocklist"), NULL), "not a domain name");
	expect_init_error(M("subaccounts", M("acme", M("word", L("x", NULL),
	    NULL), NULL), NULL), "unknown key 'word' in subaccount 'acme'");
	expect_init_error(M("subaccounts", L("acme", NULL), NULL),
	    "expected a mapping");
	expect_init_error(M("words", M("a", S("b"), NULL), NULL),
	    "expected a list of strings");
	/* Several errors in one start are all reported. */
	expect_init_error(M("links", S("x"), "words", L("?", NULL), NULL), "'?'");
	assert_int_equal(ncfg_errors, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lib_table),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_fold_and_canon),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_many_terms),
		cmocka_unit_test_setup_teardown(test_plugin_table, setup_plugin,
		    teardown_plugin),
		cmocka_unit_test_setup_teardown(test_plugin_asks_own_subaccount,
		    setup_plugin, teardown_plugin),
		cmocka_unit_test_setup_teardown(test_plugin_minimal, setup_plugin,
		    teardown_plugin),
		cmocka_unit_test_setup_teardown(test_plugin_config_errors,
		    setup_plugin, teardown_plugin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
