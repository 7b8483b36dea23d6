# The content filter plugin: a host-free matching library (cf_*.c, also
# linked by its unit test and benchmark, see tests/unit/content_filter.mk)
# plus the plugin glue in content_filter.c.
plugin_LTLIBRARIES += plugins/content_filter/content_filter.la
plugins_content_filter_content_filter_la_SOURCES = \
	plugins/content_filter/content_filter.c \
	plugins/content_filter/cf_match.c plugins/content_filter/cf_match.h \
	plugins/content_filter/cf_internal.h plugins/content_filter/cf_words.c \
	plugins/content_filter/cf_link.c plugins/content_filter/cf_tld.c $(SBP_IDN_SOURCES)
plugins_content_filter_content_filter_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_content_filter_content_filter_la_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS) $(IDN2_CFLAGS)
plugins_content_filter_content_filter_la_LIBADD = $(UTF8PROC_LIBS) $(IDN2_LIBS)
# Export only the plugin symbol: the cf_* functions stay private to the module.
plugins_content_filter_content_filter_la_LDFLAGS = $(PLUGIN_LDFLAGS) \
	-export-symbols-regex '^content_filter_LTX_sb_plugin$$'
EXTRA_DIST += plugins/content_filter/README.md
