# Unit test of the console's password hashes and their worker (core/console_pw*.c).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_console_pw
TESTS += tests/unit/test_console_pw
tests_unit_test_console_pw_SOURCES = tests/unit/test_console_pw.c
tests_unit_test_console_pw_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_console_pw_LDADD = $(UNIT_LDADD) $(LIBEVENT_LIBS)
endif
