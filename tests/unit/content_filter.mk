# The content filter: unit tests (its library directly, and the plugin
# through a fake host) and the throughput benchmark, which links the
# matching library alone. Run the benchmark by hand:
#   tests/tools/bench_filter [N]
CONTENT_FILTER_LIB = plugins/content_filter/cf_match.c \
	plugins/content_filter/cf_match.h plugins/content_filter/cf_internal.h \
	plugins/content_filter/cf_words.c plugins/content_filter/cf_link.c \
	plugins/content_filter/cf_tld.c $(SBP_IDN_SOURCES)

check_PROGRAMS += tests/unit/test_content_filter tests/tools/bench_filter
TESTS += tests/unit/test_content_filter
tests_unit_test_content_filter_SOURCES = tests/unit/test_content_filter.c \
	plugins/content_filter/content_filter.c $(CONTENT_FILTER_LIB)
tests_unit_test_content_filter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/content_filter $(SBP_CPPFLAGS)
tests_unit_test_content_filter_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(UTF8PROC_CFLAGS) $(IDN2_CFLAGS)
tests_unit_test_content_filter_LDADD = $(CMOCKA_LIBS) $(UTF8PROC_LIBS) $(IDN2_LIBS)

tests_tools_bench_filter_SOURCES = tests/tools/bench_filter.c $(CONTENT_FILTER_LIB)
tests_tools_bench_filter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/content_filter $(SBP_CPPFLAGS)
tests_tools_bench_filter_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS) $(IDN2_CFLAGS) -O2
tests_tools_bench_filter_LDADD = $(UTF8PROC_LIBS) $(IDN2_LIBS)
