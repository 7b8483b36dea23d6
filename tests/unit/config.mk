# Unit tests of the configuration module (core/cfgnode.c, core/config.c).
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c core/cfgnode.c core/config.c core/config_hours.c \
	core/config_events.c core/config_console.c core/console_pw.c core/status.c core/xalloc.c core/tz.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(YAML_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_config_LDADD = $(CMOCKA_LIBS) $(YAML_LIBS) $(CRYPTO_LIBS)
