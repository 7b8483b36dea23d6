# whatsapp: the WhatsApp Cloud API channel. Links plugins/common, jansson
# and libcrypto (webhook HMAC) only: it never links against the daemon.
WHATSAPP_SOURCES = plugins/whatsapp/whatsapp.c plugins/whatsapp/wa.h \
	plugins/whatsapp/wa_errors.c plugins/whatsapp/wa_body.c plugins/whatsapp/wa_hook.c
plugin_LTLIBRARIES += plugins/whatsapp/whatsapp.la
plugins_whatsapp_whatsapp_la_SOURCES = $(WHATSAPP_SOURCES)
plugins_whatsapp_whatsapp_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_whatsapp_whatsapp_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_whatsapp_whatsapp_la_LIBADD = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
# Export only the plugin symbol: the wa_* helpers stay private to the module.
plugins_whatsapp_whatsapp_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/whatsapp/README.md
