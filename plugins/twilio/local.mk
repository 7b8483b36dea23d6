# twilio: the Twilio Programmable Messaging channel. Links jansson and
# libcrypto (HMAC-SHA1 signatures); reuses http_sms's buffer, escaping and
# Retry-After helpers and the shared callback-parameter code in
# plugins/common/. It never links against the daemon.
TWILIO_SOURCES = plugins/twilio/twilio_util.c plugins/twilio/twilio_util.h \
	plugins/common/webparams.c plugins/common/webparams.h \
	plugins/http_sms/http_sms_util.c plugins/http_sms/http_sms_util.h
plugin_LTLIBRARIES += plugins/twilio/twilio.la
plugins_twilio_twilio_la_SOURCES = plugins/twilio/twilio.c $(TWILIO_SOURCES)
plugins_twilio_twilio_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/plugins/http_sms
plugins_twilio_twilio_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_twilio_twilio_la_LIBADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the helpers stay private to the module.
plugins_twilio_twilio_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/twilio/README.md
