# vonage: the Vonage (Nexmo) SMS API channel. Links plugins/common
# (buffers, escaping, Retry-After, callback parameters), jansson and
# libcrypto (MD5/HMAC request signatures). It never links against the daemon.
plugin_LTLIBRARIES += plugins/vonage/vonage.la
plugins_vonage_vonage_la_SOURCES = plugins/vonage/vonage.c plugins/vonage/vonage_util.c \
	plugins/vonage/vonage_util.h plugins/vonage/vonage_track.c
plugins_vonage_vonage_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_vonage_vonage_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_vonage_vonage_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the helpers stay private to the module.
plugins_vonage_vonage_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/vonage/README.md
