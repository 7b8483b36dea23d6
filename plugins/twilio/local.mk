# twilio: the Twilio Programmable Messaging channel. Links plugins/common
# (buffers, escaping, Retry-After, callback parameters), jansson and
# libcrypto (HMAC-SHA1 signatures). It never links against the daemon.
plugin_LTLIBRARIES += plugins/twilio/twilio.la
plugins_twilio_twilio_la_SOURCES = plugins/twilio/twilio.c plugins/twilio/twilio_util.c \
	plugins/twilio/twilio_util.h
plugins_twilio_twilio_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_twilio_twilio_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_twilio_twilio_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the helpers stay private to the module.
plugins_twilio_twilio_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/twilio/README.md
