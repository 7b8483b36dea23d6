# line_notify: LINE notification messages (PNP) and their delivery
# completion webhooks. Shares plugins/line_common/ with line_push
# (LINE_COMMON_SOURCES, defined there, included first by plugins/local.mk).
plugin_LTLIBRARIES += plugins/line_notify/line_notify.la
plugins_line_notify_line_notify_la_SOURCES = plugins/line_notify/line_notify.c \
	$(LINE_COMMON_SOURCES)
plugins_line_notify_line_notify_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/line_common \
	$(SBP_CPPFLAGS)
plugins_line_notify_line_notify_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_line_notify_line_notify_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
plugins_line_notify_line_notify_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/line_notify/README.md
