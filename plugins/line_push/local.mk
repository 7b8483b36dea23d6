# line_push: LINE Messaging API push messages. It compiles the code it
# shares with line_notify (plugins/line_common/) into itself: two modules,
# no shared library between them. Links jansson and libcrypto only.
LINE_COMMON_SOURCES = plugins/line_common/line_common.c \
	plugins/line_common/line_common.h plugins/line_common/line_chan.c

plugin_LTLIBRARIES += plugins/line_push/line_push.la
plugins_line_push_line_push_la_SOURCES = plugins/line_push/line_push.c $(LINE_COMMON_SOURCES)
plugins_line_push_line_push_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/line_common \
	$(SBP_CPPFLAGS)
plugins_line_push_line_push_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_line_push_line_push_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the lc_* helpers stay private to the module.
plugins_line_push_line_push_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/line_push/README.md
