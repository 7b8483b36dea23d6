# The LINE channels' shared pure code (plugins/line_common/line_common.c):
# number hash, signatures, answers, status tables, users_file lines,
# webhook bodies. The plugins themselves are tested end to end
# (tests/e2e/test_line.py).
check_PROGRAMS += tests/unit/test_line
TESTS += tests/unit/test_line
tests_unit_test_line_SOURCES = tests/unit/test_line.c plugins/line_common/line_common.c \
	plugins/line_common/line_common.h
tests_unit_test_line_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS) -I$(top_srcdir)/plugins/line_common
tests_unit_test_line_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_line_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
