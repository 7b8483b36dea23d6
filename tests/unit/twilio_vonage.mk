# The twilio and vonage channels: their pure helpers (signatures, tables,
# part counting, request building, the part tracker) and the twilio plugin
# through a fake host (real YAML config nodes; HTTP recorded and answered by
# the test), which is where `poll` is exercised.
TW_VG_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)

check_PROGRAMS += tests/unit/test_twilio tests/unit/test_twilio_plugin tests/unit/test_vonage
TESTS += tests/unit/test_twilio tests/unit/test_twilio_plugin tests/unit/test_vonage

tests_unit_test_twilio_SOURCES = tests/unit/test_twilio.c plugins/twilio/twilio_util.c
tests_unit_test_twilio_CPPFLAGS = $(TW_VG_CPPFLAGS) -I$(top_srcdir)/plugins/twilio
tests_unit_test_twilio_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_twilio_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)

tests_unit_test_twilio_plugin_SOURCES = tests/unit/test_twilio_plugin.c \
	tests/unit/fake_host.c tests/unit/fake_host.h core/http_client.c \
	plugins/twilio/twilio.c plugins/twilio/twilio_util.c core/cfgnode.c \
	core/xalloc.c
tests_unit_test_twilio_plugin_CPPFLAGS = $(TW_VG_CPPFLAGS) -I$(top_srcdir)/plugins/twilio
tests_unit_test_twilio_plugin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	$(CRYPTO_CFLAGS) $(YAML_CFLAGS) $(LIBEVENT_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_twilio_plugin_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS) \
	$(YAML_LIBS) $(LIBEVENT_LIBS) $(CURL_LIBS) -lm

tests_unit_test_vonage_SOURCES = tests/unit/test_vonage.c plugins/vonage/vonage_util.c \
	plugins/vonage/vonage_track.c
tests_unit_test_vonage_CPPFLAGS = $(TW_VG_CPPFLAGS) -I$(top_srcdir)/plugins/vonage
tests_unit_test_vonage_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_vonage_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
