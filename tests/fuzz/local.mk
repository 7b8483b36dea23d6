# libFuzzer harnesses (configure CC=clang --enable-fuzzing; see
# docs/testing.md and scripts/fuzz). Each links the sources it exercises,
# like the unit tests do; the whole tree is then built with coverage and
# ASan + UBSan (SANITIZER_FLAGS), and the harnesses add libFuzzer's main.
# Seed corpora: tests/fuzz/corpus/<harness>/. Not part of make check.
FUZZ_HARNESSES = tests/fuzz/fuzz_config tests/fuzz/fuzz_control tests/fuzz/fuzz_phone \
	tests/fuzz/fuzz_timefmt tests/fuzz/fuzz_hours tests/fuzz/fuzz_tz \
	tests/fuzz/fuzz_content_filter tests/fuzz/fuzz_http_sms tests/fuzz/fuzz_line \
	tests/fuzz/fuzz_whatsapp tests/fuzz/fuzz_twilio tests/fuzz/fuzz_vonage tests/fuzz/fuzz_csv

if FUZZING
noinst_PROGRAMS += $(FUZZ_HARNESSES)
endif
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/make-seeds tests/fuzz/fuzz.h tests/fuzz/fuzz_host.h \
	tests/fuzz/fuzz_webhook.h

FUZZ_LD = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_HOST_SOURCES = tests/fuzz/fuzz_host.c core/cfgnode.c core/xalloc.c
FUZZ_HOOK_SOURCES = $(FUZZ_HOST_SOURCES) tests/fuzz/fuzz_webhook.c
FUZZ_PLUGIN_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(YAML_CFLAGS) $(IDN2_CFLAGS)
# Channels link plugins/common (libsbplugin.la) like their modules do.
FUZZ_PLUGIN_LIBS = $(SBP_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS) $(YAML_LIBS) $(IDN2_LIBS) -lm

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c core/cfgnode.c core/config.c \
	core/config_hours.c core/config_events.c core/config_console.c core/console_pw.c \
	core/status.c core/xalloc.c core/tz.c
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_config_LDADD = $(YAML_LIBS) $(CRYPTO_LIBS)

# The real command table pulls in every command, hence the daemon's library.
tests_fuzz_fuzz_control_SOURCES = tests/fuzz/fuzz_control.c core/ctl_spec.c
tests_fuzz_fuzz_control_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_fuzz_control_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_control_LDADD = core/libsbcore.la

tests_fuzz_fuzz_phone_SOURCES = tests/fuzz/fuzz_phone.c core/phone.c
tests_fuzz_fuzz_phone_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_phone_LDFLAGS = $(FUZZ_LD)

tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c core/csvfeed.c core/errors.c
tests_fuzz_fuzz_csv_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_csv_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_csv_LDADD = $(CSV_LIBS)

tests_fuzz_fuzz_timefmt_SOURCES = tests/fuzz/fuzz_timefmt.c core/timefmt.c
tests_fuzz_fuzz_timefmt_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_timefmt_LDFLAGS = $(FUZZ_LD)

tests_fuzz_fuzz_hours_SOURCES = tests/fuzz/fuzz_hours.c core/hours.c core/tz.c \
	core/cfgnode.c core/config_hours.c core/xalloc.c
tests_fuzz_fuzz_hours_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
tests_fuzz_fuzz_hours_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_hours_LDADD = $(YAML_LIBS)

tests_fuzz_fuzz_tz_SOURCES = tests/fuzz/fuzz_tz.c core/tz.c
tests_fuzz_fuzz_tz_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_tz_LDFLAGS = $(FUZZ_LD)

tests_fuzz_fuzz_content_filter_SOURCES = tests/fuzz/fuzz_content_filter.c \
	plugins/content_filter/content_filter.c $(CONTENT_FILTER_LIB) $(FUZZ_HOST_SOURCES)
tests_fuzz_fuzz_content_filter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/content_filter $(SBP_CPPFLAGS)
tests_fuzz_fuzz_content_filter_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS) $(YAML_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_content_filter_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_content_filter_LDADD = $(SBP_LIBS) $(UTF8PROC_LIBS) $(YAML_LIBS) $(IDN2_LIBS)

tests_fuzz_fuzz_http_sms_SOURCES = tests/fuzz/fuzz_http_sms.c $(HTTP_SMS_SOURCES) \
	$(FUZZ_HOOK_SOURCES)
tests_fuzz_fuzz_http_sms_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/http_sms $(SBP_CPPFLAGS)
tests_fuzz_fuzz_http_sms_CFLAGS = $(FUZZ_PLUGIN_CFLAGS)
tests_fuzz_fuzz_http_sms_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_http_sms_LDADD = $(FUZZ_PLUGIN_LIBS)

# Both LINE channels: line_notify's webhook and the answers to both's sends.
tests_fuzz_fuzz_line_SOURCES = tests/fuzz/fuzz_line.c plugins/line_notify/line_notify.c \
	plugins/line_push/line_push.c $(LINE_COMMON_SOURCES) $(FUZZ_HOOK_SOURCES)
tests_fuzz_fuzz_line_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/line_common $(SBP_CPPFLAGS)
tests_fuzz_fuzz_line_CFLAGS = $(FUZZ_PLUGIN_CFLAGS)
tests_fuzz_fuzz_line_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_line_LDADD = $(FUZZ_PLUGIN_LIBS)

tests_fuzz_fuzz_whatsapp_SOURCES = tests/fuzz/fuzz_whatsapp.c $(WHATSAPP_SOURCES) \
	$(FUZZ_HOOK_SOURCES)
tests_fuzz_fuzz_whatsapp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/whatsapp $(SBP_CPPFLAGS)
tests_fuzz_fuzz_whatsapp_CFLAGS = $(FUZZ_PLUGIN_CFLAGS)
tests_fuzz_fuzz_whatsapp_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_whatsapp_LDADD = $(FUZZ_PLUGIN_LIBS)

tests_fuzz_fuzz_twilio_SOURCES = tests/fuzz/fuzz_twilio.c plugins/twilio/twilio.c \
	plugins/twilio/twilio_util.c $(FUZZ_HOOK_SOURCES)
tests_fuzz_fuzz_twilio_CPPFLAGS = $(TW_VG_CPPFLAGS) -I$(top_srcdir)/plugins/twilio $(SBP_CPPFLAGS)
tests_fuzz_fuzz_twilio_CFLAGS = $(FUZZ_PLUGIN_CFLAGS)
tests_fuzz_fuzz_twilio_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_twilio_LDADD = $(FUZZ_PLUGIN_LIBS)

tests_fuzz_fuzz_vonage_SOURCES = tests/fuzz/fuzz_vonage.c plugins/vonage/vonage.c \
	plugins/vonage/vonage_util.c plugins/vonage/vonage_track.c $(FUZZ_HOOK_SOURCES)
tests_fuzz_fuzz_vonage_CPPFLAGS = $(TW_VG_CPPFLAGS) -I$(top_srcdir)/plugins/vonage $(SBP_CPPFLAGS)
tests_fuzz_fuzz_vonage_CFLAGS = $(FUZZ_PLUGIN_CFLAGS)
tests_fuzz_fuzz_vonage_LDFLAGS = $(FUZZ_LD)
tests_fuzz_fuzz_vonage_LDADD = $(FUZZ_PLUGIN_LIBS)
