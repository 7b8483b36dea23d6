# Unit tests of support's allowlist (core/allowlist.c): the stored forms of
# terms and domains, refusals, parent domains, persistence.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_allowlist
TESTS += tests/unit/test_allowlist
# It links the content filter's host-free library too: both must store a
# host name in one form.
tests_unit_test_allowlist_SOURCES = tests/unit/test_allowlist.c $(CONTENT_FILTER_LIB)
tests_unit_test_allowlist_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/content_filter \
	$(SBP_CPPFLAGS)
tests_unit_test_allowlist_CFLAGS = $(UNIT_CFLAGS) $(UTF8PROC_CFLAGS) $(IDN2_CFLAGS)
tests_unit_test_allowlist_LDADD = $(UNIT_LDADD) $(UTF8PROC_LIBS) $(IDN2_LIBS)
endif
