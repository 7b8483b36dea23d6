# The whatsapp channel's pure parts (plugins/whatsapp/wa_*.c): error-code
# table and classification, request bodies, webhook signature and payloads.
# The plugin as a whole is exercised end to end (tests/e2e/test_whatsapp.py).
check_PROGRAMS += tests/unit/test_whatsapp
TESTS += tests/unit/test_whatsapp
tests_unit_test_whatsapp_SOURCES = tests/unit/test_whatsapp.c plugins/whatsapp/wa.h \
	plugins/whatsapp/wa_errors.c plugins/whatsapp/wa_body.c plugins/whatsapp/wa_hook.c
tests_unit_test_whatsapp_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS) -I$(top_srcdir)/plugins/whatsapp
tests_unit_test_whatsapp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_whatsapp_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
