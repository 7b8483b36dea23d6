# Unit test of the streaming CSV reader (core/csvfeed.c over libcsv).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_csvfeed
TESTS += tests/unit/test_csvfeed
tests_unit_test_csvfeed_SOURCES = tests/unit/test_csvfeed.c core/csvfeed.c core/errors.c
tests_unit_test_csvfeed_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_csvfeed_LDADD = $(CMOCKA_LIBS) $(CSV_LIBS)
endif
