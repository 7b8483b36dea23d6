# test: the daemon's own test double (README.md).
plugin_LTLIBRARIES += plugins/test/test.la
plugins_test_test_la_SOURCES = plugins/test/test.c
plugins_test_test_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_test_test_la_LIBADD = $(SBP_LIBS)
plugins_test_test_la_LDFLAGS = $(PLUGIN_LDFLAGS)
EXTRA_DIST += plugins/test/README.md
