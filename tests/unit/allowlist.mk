# Unit tests of support's allowlist (core/allowlist.c): the stored forms of
# terms and domains, refusals, parent domains, persistence.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_allowlist
TESTS += tests/unit/test_allowlist
tests_unit_test_allowlist_SOURCES = tests/unit/test_allowlist.c
tests_unit_test_allowlist_CFLAGS = $(UNIT_CFLAGS) $(UTF8PROC_CFLAGS)
tests_unit_test_allowlist_LDADD = $(UNIT_LDADD)
endif
