plugin_LTLIBRARIES += plugins/test/test.la
plugins_test_test_la_SOURCES = plugins/test/test.c
plugins_test_test_la_LDFLAGS = $(PLUGIN_LDFLAGS)
