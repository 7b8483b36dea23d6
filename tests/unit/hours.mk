# Unit tests of time zones (core/tz.c) and allowed hours (core/hours.c);
# both compare against glibc's localtime_r over the system's zoneinfo.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_tz tests/unit/test_hours
TESTS += tests/unit/test_tz tests/unit/test_hours
tests_unit_test_tz_SOURCES = tests/unit/test_tz.c core/tz.c
tests_unit_test_tz_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tz_LDADD = $(CMOCKA_LIBS)
tests_unit_test_hours_SOURCES = tests/unit/test_hours.c core/hours.c core/tz.c
tests_unit_test_hours_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hours_LDADD = $(CMOCKA_LIBS)
endif
