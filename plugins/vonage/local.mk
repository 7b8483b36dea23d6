# vonage: the Vonage (Nexmo) SMS API channel. Links jansson and libcrypto
# (MD5/HMAC request signatures); reuses http_sms's buffer, escaping and
# Retry-After helpers and the shared callback-parameter code in
# plugins/common/. It never links against the daemon.
VONAGE_SOURCES = plugins/vonage/vonage_util.c plugins/vonage/vonage_util.h \
	plugins/vonage/vonage_track.c \
	plugins/common/webparams.c plugins/common/webparams.h \
	plugins/http_sms/http_sms_util.c plugins/http_sms/http_sms_util.h
plugin_LTLIBRARIES += plugins/vonage/vonage.la
plugins_vonage_vonage_la_SOURCES = plugins/vonage/vonage.c $(VONAGE_SOURCES)
plugins_vonage_vonage_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/plugins/http_sms
plugins_vonage_vonage_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_vonage_vonage_la_LIBADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the helpers stay private to the module.
plugins_vonage_vonage_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/vonage/README.md
