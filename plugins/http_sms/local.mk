# http_sms: the generic HTTP SMS carrier channel. Links plugins/common and
# jansson only: it never links against the daemon (everything comes through
# struct sb_host).
plugin_LTLIBRARIES += plugins/http_sms/http_sms.la
plugins_http_sms_http_sms_la_SOURCES = plugins/http_sms/http_sms.c \
	plugins/http_sms/http_sms_config.c plugins/http_sms/http_sms.h \
	plugins/http_sms/http_sms_util.c plugins/http_sms/http_sms_util.h
plugins_http_sms_http_sms_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_http_sms_http_sms_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_http_sms_http_sms_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS)
# Export only the plugin symbol: the hs_* helpers stay private to the module.
plugins_http_sms_http_sms_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/http_sms/README.md
