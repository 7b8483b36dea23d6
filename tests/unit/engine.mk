# Unit tests of the delivery engine: token buckets, the polling schedule,
# and the store queries behind lanes, polls, expiry and migration 2.
check_PROGRAMS += tests/unit/test_engine
TESTS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(UNIT_LDADD)

# The rules alone: statem.c and status.c, no store, no loop, no daemon.
check_PROGRAMS += tests/unit/test_statem
TESTS += tests/unit/test_statem
tests_unit_test_statem_SOURCES = tests/unit/test_statem.c core/engine/statem.c core/status.c
tests_unit_test_statem_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_statem_LDADD = $(CMOCKA_LIBS)
