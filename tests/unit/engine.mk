# Unit tests of the delivery engine: token buckets, the polling schedule,
# and the store queries behind lanes, polls, expiry and migration 2.
check_PROGRAMS += tests/unit/test_engine
TESTS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(UNIT_LDADD)
