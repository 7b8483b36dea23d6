/*
 * test_loader.c - the loader refuses plugins built for another ABI: a
 * different major, a newer minor, a struct too small, a missing symbol;
 * each error names the file and both versions; ABI 1.1 capabilities not
 * made with SB_CAPABILITIES. A good one is taken, and so is one built
 * against the frozen ABI 1.0 headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "daemon.h"
#include "loader.h"

static struct sb_daemon d;
static struct sb_loader *l;

static int
setup(void **state)
{
	d.base = event_base_new();
	l = sb_loader_new(&d);
	return l == NULL;
}

static int
teardown(void **state)
{
	sb_loader_free(l);
	event_base_free(d.base);
	return 0;
}

static void
expect_refusal(const char *module, const char *const *words)
{
	char path[512];
	struct sb_error err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", ABI_PLUGIN_DIR, module);
	assert_int_equal(sb_loader_check_module(l, path, &err), -1);
	assert_int_equal(err.code, SB_E_PLUGIN);
	assert_non_null(strstr(err.message, module));
	for (; *words != NULL; words++) {
		if (strstr(err.message, *words) == NULL)
			fail_msg("'%s' not in: %s", *words, err.message);
	}
}

static void
test_wrong_major(void **state)
{
	char theirs[16], ours[32];
	const char *words[] = { theirs, ours, "major differs", NULL };

	snprintf(theirs, sizeof(theirs), "ABI %d.0", SB_ABI_MAJOR + 1);
	snprintf(ours, sizeof(ours), "host ABI is %d.%d", SB_ABI_MAJOR, SB_ABI_MINOR);
	expect_refusal("abi_major", words);
}

static void
test_newer_minor(void **state)
{
	char theirs[16];
	const char *words[] = { theirs, "plugin is newer", NULL };

	snprintf(theirs, sizeof(theirs), "ABI %d.%d", SB_ABI_MAJOR, SB_ABI_MINOR + 1);
	expect_refusal("abi_minor", words);
}

static void
test_struct_too_small(void **state)
{
	const char *words[] = { "16 bytes", "needs", NULL };

	expect_refusal("abi_size", words);
}

static void
test_missing_symbol(void **state)
{
	const char *words[] = { "no sb_plugin symbol", NULL };

	expect_refusal("abi_nosym", words);
}

static void
test_missing_file(void **state)
{
	const char *words[] = { "plugin module", NULL };

	expect_refusal("abi_nonexistent", words);
}

static void
test_good_plugin_loads(void **state)
{
	char path[512];
	struct sb_error err = { 0 };

	snprintf(path, sizeof(path), "%s/abi_good", ABI_PLUGIN_DIR);
	assert_int_equal(sb_loader_check_module(l, path, &err), 0);
}

static void
test_caps_without_size(void **state)
{
	const char *words[] = { "capabilities.struct_size is 0", "SB_CAPABILITIES", NULL };

	expect_refusal("abi_caps0", words);
}

static void
test_abi_1_0_plugin_loads(void **state)
{
	char path[512];
	struct sb_error err = { 0 };

	snprintf(path, sizeof(path), "%s/abi_v10", ABI_PLUGIN_DIR);
	assert_int_equal(sb_loader_check_module(l, path, &err), 0);
	snprintf(path, sizeof(path), "%s/abi_v10f", ABI_PLUGIN_DIR);
	assert_int_equal(sb_loader_check_module(l, path, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_major),
		cmocka_unit_test(test_newer_minor),
		cmocka_unit_test(test_struct_too_small),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_good_plugin_loads),
		cmocka_unit_test(test_caps_without_size),
		cmocka_unit_test(test_abi_1_0_plugin_loads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
