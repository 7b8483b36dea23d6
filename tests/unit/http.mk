# The asynchronous HTTP client (against an evhttp server on 127.0.0.1) and
# the http_sms plugin: its pure helpers, and the plugin itself through a
# fake host (real YAML config nodes, real HTTP client, an evhttp carrier).
HTTP_SMS_SOURCES = plugins/http_sms/http_sms.c plugins/http_sms/http_sms_config.c \
	plugins/http_sms/http_sms.h plugins/http_sms/http_sms_util.c \
	plugins/http_sms/http_sms_util.h

check_PROGRAMS += tests/unit/test_http_client tests/unit/test_http_sms \
	tests/unit/test_http_sms_plugin
TESTS += tests/unit/test_http_client tests/unit/test_http_sms \
	tests/unit/test_http_sms_plugin

tests_unit_test_http_client_SOURCES = tests/unit/test_http_client.c core/http_client.c \
	$(SBP_BUF_SOURCES)
tests_unit_test_http_client_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
tests_unit_test_http_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBEVENT_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_http_client_LDADD = $(CMOCKA_LIBS) $(LIBEVENT_LIBS) $(CURL_LIBS)

tests_unit_test_http_sms_SOURCES = tests/unit/test_http_sms.c plugins/http_sms/http_sms_util.c
tests_unit_test_http_sms_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/http_sms $(SBP_CPPFLAGS)
tests_unit_test_http_sms_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_http_sms_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(JANSSON_LIBS)

tests_unit_test_http_sms_plugin_SOURCES = tests/unit/test_http_sms_plugin.c \
	tests/unit/fake_host.c tests/unit/fake_host.h \
	$(HTTP_SMS_SOURCES) core/cfgnode.c core/xalloc.c core/http_client.c
tests_unit_test_http_sms_plugin_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/http_sms \
	$(SBP_CPPFLAGS)
tests_unit_test_http_sms_plugin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(CURL_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS)
tests_unit_test_http_sms_plugin_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS) $(LIBEVENT_LIBS) $(CURL_LIBS) \
	$(JANSSON_LIBS) $(YAML_LIBS) -lm

# plugins/common, the support library of the channel plugins.
check_PROGRAMS += tests/unit/test_plugin_common
TESTS += tests/unit/test_plugin_common
tests_unit_test_plugin_common_SOURCES = tests/unit/test_plugin_common.c
tests_unit_test_plugin_common_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
tests_unit_test_plugin_common_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_plugin_common_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS)

# The API keys' hashes, remembered for the keys that matched (core/http_keys.c).
check_PROGRAMS += tests/unit/test_http_keys
TESTS += tests/unit/test_http_keys
tests_unit_test_http_keys_SOURCES = tests/unit/test_http_keys.c core/http_keys.c
tests_unit_test_http_keys_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_unit_test_http_keys_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_http_keys_LDADD = $(CMOCKA_LIBS) $(CRYPTO_LIBS)
