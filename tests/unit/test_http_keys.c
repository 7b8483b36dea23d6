/*
 * test_http_keys.c - the API keys' hashes (core/http_keys.c): the hash is
 * the configuration's (SHA-256, lowercase hex), a key is remembered only
 * when told, and a remembered key never answers for another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_keys.h"

/* sha256("test-key"), as tests/e2e/conftest.py configures it. */
#define TEST_KEY_HEX "62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"

static void
test_keys_hash_is_the_configured_form(void **state)
{
	struct sb_http_keys *keys = sb_http_keys_new();
	char hex[65];

	(void)state;
	assert_non_null(keys);
	assert_int_equal(sb_http_keys_hash(keys, "test-key", hex), 0);
	assert_string_equal(hex, TEST_KEY_HEX);
	/* Not remembered until told: computed again. */
	assert_int_equal(sb_http_keys_hash(keys, "test-key", hex), 0);
	sb_http_keys_remember(keys, "test-key", hex);
	memset(hex, 0, sizeof(hex));
	assert_int_equal(sb_http_keys_hash(keys, "test-key", hex), 1);
	assert_string_equal(hex, TEST_KEY_HEX);
	sb_http_keys_free(keys);
}

/* Many keys of one length share the 64 slots: each answer is its own
 * key's hash, whatever was remembered in its slot before. */
static void
test_keys_never_answer_for_another(void **state)
{
	struct sb_http_keys *keys = sb_http_keys_new(), *fresh = sb_http_keys_new();
	char key[32], hex[65], want[65];
	int remembered = 0;

	(void)state;
	assert_non_null(keys);
	assert_non_null(fresh);
	for (int round = 0; round < 2; round++)
		for (int n = 0; n < 500; n++) {
			int i = round == 0 ? n : 499 - n;

			snprintf(key, sizeof(key), "key-%04d", i);
			assert_int_equal(sb_http_keys_hash(fresh, key, want), 0);
			remembered += sb_http_keys_hash(keys, key, hex);
			assert_string_equal(hex, want);
			sb_http_keys_remember(keys, key, hex);
		}
	/* Backwards, the second round finds in each slot the last key the
	 * first one remembered there: one hit per slot used, 64 at most. */
	assert_true(remembered > 0 && remembered <= 64);
	sb_http_keys_free(keys);
	sb_http_keys_free(fresh);
}

static void
test_keys_empty_and_long_are_not_remembered(void **state)
{
	struct sb_http_keys *keys = sb_http_keys_new();
	char hex[65], long_key[201];

	(void)state;
	memset(long_key, 'k', 200);
	long_key[200] = '\0';
	assert_int_equal(sb_http_keys_hash(keys, "", hex), 0);
	sb_http_keys_remember(keys, "", hex);
	assert_int_equal(sb_http_keys_hash(keys, "", hex), 0);
	assert_int_equal(sb_http_keys_hash(keys, long_key, hex), 0);
	sb_http_keys_remember(keys, long_key, hex);
	assert_int_equal(sb_http_keys_hash(keys, long_key, hex), 0);
	sb_http_keys_free(keys);
	sb_http_keys_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_hash_is_the_configured_form),
		cmocka_unit_test(test_keys_never_answer_for_another),
		cmocka_unit_test(test_keys_empty_and_long_are_not_remembered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
