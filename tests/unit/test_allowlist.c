/*
 * test_allowlist.c - support's allowlist: the stored form of terms and
 * domains (which must agree with the content filter's canonical forms),
 * what is refused, parent domains, subaccount scope, and persistence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "allowlist.h"
#include "cf_match.h"
#include "store.h"

static char dbpath[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/sb-test-allowlist-%d.db", (int)getpid());
	sb_store_remove_files(dbpath);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sb_store_remove_files(dbpath);
	return 0;
}

static const struct {
	const char *kind, *typed, *stored; /* stored NULL: refused */
} forms[] = {
	{ "term", "GRÁTIS", "gratis" },
	{ "term", "  Free   Money ", "free money" },
	{ "term", "Ｇｒａｔｉｓ", "gratis" },
	{ "term", "   ", NULL },
	{ "domain", "Bit.LY", "bit.ly" },
	{ "domain", "bit.ly.", "bit.ly" },
	{ "domain", "*.evil.com", "evil.com" },
	{ "domain", ".evil.com", "evil.com" },
	{ "domain", "MÜNCHEN.DE", "münchen.de" },
	{ "domain", "xn--mnchen-3ya.de", "münchen.de" },
	{ "domain", "XN--MNCHEN-3YA.DE", "münchen.de" },
	{ "domain", "shop.xn--p1ai", "shop.рф" },
	{ "domain", "ｅｘａｍｐｌｅ.com", "example.com" },
	{ "domain", "10.0.0.1", "10.0.0.1" },
	{ "domain", "[2001:DB8::1]", "[2001:db8::1]" },
	{ "domain", "https://bit.ly/", NULL },
	{ "domain", "bit.ly/x", NULL },
	{ "domain", "bit.ly:80", NULL },
	{ "domain", "joao@bit.ly", NULL },
	{ "domain", "bit ly.com", NULL },
	{ "domain", "a..b", NULL },
	{ "domain", "*", NULL },
	{ "domain", "*.", NULL },
	{ "domain", "com", NULL },
	{ "domain", "*.com", NULL },
	{ "domain", "xn--zz99.de", NULL },
	{ "domain", "xn--99999999999.com", NULL },  /* punycode overflow */
	{ "domain", "xn--abc-.com", NULL },          /* no encoded part */
	{ "domain", "xn--a.com", NULL },             /* U+0080: not IDNA2008 */
	{ "domain", "xn--ls8h.la", NULL },           /* an emoji: not IDNA2008 */
	{ "domain", "[nope]", NULL },
	{ "domain", "\xff\xfe.com", NULL },
	{ "colour", "blue", NULL },
};

static void
test_normalise(void **state)
{
	char out[512];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct sb_error err = { 0 };
		int rc = sb_allowlist_normalise(forms[i].kind, forms[i].typed, out, sizeof(out),
		    &err);

		if (forms[i].stored == NULL) {
			if (rc != -1 || err.code != SB_E_BAD_ARGUMENT || err.message[0] == '\0')
				fail_msg("'%s' should be refused, got %d '%s'", forms[i].typed, rc,
				    rc == 0 ? out : err.message);
		} else if (rc != 0 || strcmp(out, forms[i].stored) != 0) {
			fail_msg("'%s': want '%s', got %d '%s'", forms[i].typed, forms[i].stored, rc,
			    rc == 0 ? out : err.message);
		}
	}
}

/*
 * The allowlist and the content filter decode IDN host names with the same
 * libidn2 and fold them the same way: every domain support may allowlist
 * is stored exactly as the filter reports it.
 */
static void
test_same_hosts_as_the_filter(void **state)
{
	static const char *const hosts[] = {
		"xn--mnchen-3ya.de", "XN--MNCHEN-3YA.DE", "xn--Mnchen-3ya.de", "shop.xn--p1ai",
		"xn--fsqu00a.xn--0zwm56d", "MÜNCHEN.DE", "ｅｘａｍｐｌｅ.com", "Bit.LY.",
		"a.xn--80ak6aa92e.com", "xn--bcher-kva.example",
	};
	char ours[512], theirs[512];

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct sb_error err = { 0 };

		if (sb_allowlist_normalise("domain", hosts[i], ours, sizeof(ours), &err) != 0)
			fail_msg("'%s' refused: %s", hosts[i], err.message);
		assert_int_equal(cf_host_canon(hosts[i], strlen(hosts[i]), theirs,
		    sizeof(theirs)), 0);
		if (strcmp(ours, theirs) != 0)
			fail_msg("'%s': allowlist '%s', filter '%s'", hosts[i], ours, theirs);
	}
}

static void
test_add_allowed_revoke_and_reload(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 0, &err);
	struct sb_allowlist *al;

	(void)state;
	assert_non_null(st);
	al = sb_allowlist_new(st, &err);
	assert_non_null(al);
	assert_int_equal(sb_allowlist_add(al, "acme", "domain", "*.Evil.com", 1000, &err), 0);
	assert_int_equal(sb_allowlist_add(al, "acme", "domain", "XN--MNCHEN-3YA.DE", 1000,
	    &err), 0);
	assert_int_equal(sb_allowlist_add(al, NULL, "term", "Grátis", 1000, &err), 0);
	assert_int_equal(sb_allowlist_add(al, "acme", "domain", "https://x.com/", 1000, &err),
	    -1);
	assert_int_equal(err.code, SB_E_BAD_ARGUMENT);
	assert_non_null(strstr(err.message, "not a URL"));

	/* Domains: itself and subdomains, in either form; not a sibling or a parent. */
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "evil.com"));
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "a.b.evil.com"));
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "münchen.de"));
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "xn--mnchen-3ya.de"));
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "www.münchen.de"));
	assert_false(sb_allowlist_allowed(al, "acme", "domain", "notevil.com"));
	assert_false(sb_allowlist_allowed(al, "beta", "domain", "evil.com"));
	assert_false(sb_allowlist_allowed(al, NULL, "domain", "evil.com"));
	/* Terms: global entries open for everyone; matched folded. */
	assert_true(sb_allowlist_allowed(al, "beta", "term", "gratis"));
	assert_true(sb_allowlist_allowed(al, NULL, "term", "GRATIS"));
	assert_false(sb_allowlist_allowed(al, "acme", "term", "gratis money"));
	sb_store_commit(st);

	/* Persisted: a new allowlist on the same store sees the same entries. */
	sb_allowlist_free(al);
	al = sb_allowlist_new(st, &err);
	assert_non_null(al);
	assert_true(sb_allowlist_allowed(al, "acme", "domain", "x.evil.com"));
	assert_int_equal(sb_allowlist_revoke(al, "acme", "domain", "EVIL.COM", &err), 0);
	assert_false(sb_allowlist_allowed(al, "acme", "domain", "x.evil.com"));
	assert_int_equal(sb_allowlist_revoke(al, "acme", "domain", "evil.com", &err), -1);
	assert_int_equal(err.code, SB_E_NOT_FOUND);
	assert_int_equal(sb_allowlist_revoke(al, "acme", "term", "gratis", &err), -1);
	assert_int_equal(sb_allowlist_revoke(al, NULL, "term", "GRÁTIS", &err), 0);
	sb_store_commit(st);
	sb_allowlist_free(al);
	sb_store_close(st);
}

static void
test_bare_tld_and_ip_have_no_parents(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 0, &err);
	struct sb_allowlist *al;

	(void)state;
	assert_non_null(st);
	/* Entries a store may hold from before values were checked as now. */
	assert_int_equal(sb_store_allow_add(st, "acme", "domain", "com", 0, 1), 0);
	assert_int_equal(sb_store_allow_add(st, "acme", "domain", "0.1", 0, 1), 0);
	assert_int_equal(sb_store_allow_add(st, "acme", "domain", "*.old.org", 0, 1), 0);
	sb_store_commit(st);
	al = sb_allowlist_new(st, &err);
	assert_non_null(al);
	assert_false(sb_allowlist_allowed(al, "acme", "domain", "evil.com"));
	assert_false(sb_allowlist_allowed(al, "acme", "domain", "10.0.0.1"));
	/* ... and can still be revoked as they were typed. */
	assert_int_equal(sb_allowlist_revoke(al, "acme", "domain", "*.old.org", &err), 0);
	assert_int_equal(sb_allowlist_revoke(al, "acme", "domain", "com", &err), 0);
	sb_store_commit(st);
	sb_allowlist_free(al);
	sb_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_same_hosts_as_the_filter),
		cmocka_unit_test_setup_teardown(test_add_allowed_revoke_and_reload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bare_tld_and_ip_have_no_parents, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
