# make check: cmocka unit tests, then the end-to-end suite (pytest) that
# starts the real daemon with real plugins and mock providers on 127.0.0.1.
include tests/unit/config.mk
include tests/unit/http.mk
include tests/unit/control.mk
include tests/unit/content_filter.mk
include tests/unit/allowlist.mk
include tests/unit/line.mk
include tests/unit/whatsapp.mk
include tests/unit/hours.mk
include tests/unit/engine.mk
include tests/unit/twilio_vonage.mk
include tests/unit/csvfeed.mk
include tests/unit/smpp.mk
include tests/unit/console.mk
include tests/tools/tools.mk
include tests/tools/loadgen.mk
include tests/fuzz/local.mk

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
UNIT_LDADD = core/libsbcore.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_store tests/unit/test_store_hist tests/unit/test_jsonw tests/unit/test_loader tests/unit/test_phone
TESTS += tests/unit/test_store tests/unit/test_store_hist tests/unit/test_jsonw tests/unit/test_loader tests/unit/test_phone
check_PROGRAMS += tests/unit/test_search tests/tools/bench_search tests/unit/test_segments
TESTS += tests/unit/test_segments
check_PROGRAMS += tests/unit/test_stats tests/unit/test_tpl_render tests/unit/test_template
TESTS += tests/unit/test_stats tests/unit/test_tpl_render tests/unit/test_template
tests_unit_test_tpl_render_SOURCES = tests/unit/test_tpl_render.c core/tpl_render.c core/errors.c
tests_unit_test_tpl_render_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_tpl_render_LDADD = $(CMOCKA_LIBS) $(JANSSON_LIBS)
tests_unit_test_template_SOURCES = tests/unit/test_template.c core/template.c core/tpl_render.c \
	core/errors.c
tests_unit_test_template_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_template_LDADD = $(CMOCKA_LIBS) $(JANSSON_LIBS)
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c
tests_unit_test_stats_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_LDADD = $(UNIT_LDADD) $(SQLITE_LIBS)
tests_unit_test_segments_SOURCES = tests/unit/test_segments.c core/segments.c
tests_unit_test_segments_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_segments_LDADD = $(CMOCKA_LIBS)
tests_tools_bench_search_SOURCES = tests/tools/bench_search.c
tests_tools_bench_search_CFLAGS = $(UNIT_CFLAGS) -O2
tests_tools_bench_search_LDADD = core/libsbcore.la
TESTS += tests/unit/test_search
tests_unit_test_search_SOURCES = tests/unit/test_search.c
tests_unit_test_search_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_search_LDADD = $(UNIT_LDADD)
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
tests_unit_test_store_hist_SOURCES = tests/unit/test_store_hist.c
tests_unit_test_store_hist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_hist_LDADD = $(UNIT_LDADD)
tests_unit_test_jsonw_SOURCES = tests/unit/test_jsonw.c
tests_unit_test_jsonw_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jsonw_LDADD = $(UNIT_LDADD)
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CFLAGS = $(UNIT_CFLAGS) -DABI_PLUGIN_DIR=\"$(abs_top_builddir)/tests/plugins\"
tests_unit_test_loader_LDADD = $(UNIT_LDADD)
tests_unit_test_phone_SOURCES = tests/unit/test_phone.c
tests_unit_test_phone_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_phone_LDADD = $(UNIT_LDADD)

# Plugins the loader must refuse (and one it must take), for both suites.
check_LTLIBRARIES += tests/plugins/abi_major.la tests/plugins/abi_minor.la \
	tests/plugins/abi_size.la tests/plugins/abi_nosym.la tests/plugins/abi_good.la \
	tests/plugins/abi_undef.la tests/plugins/abi_caps0.la \
	tests/plugins/abi_v10.la tests/plugins/abi_v10f.la
tests_plugins_abi_major_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_major_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_BAD_MAJOR
tests_plugins_abi_major_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_minor_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_minor_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_BAD_MINOR
tests_plugins_abi_minor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_size_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_size_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_BAD_SIZE
tests_plugins_abi_size_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_nosym_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_nosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_NO_SYMBOL
tests_plugins_abi_nosym_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_undef_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_undef_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_UNDEFINED
tests_plugins_abi_undef_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_good_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_good_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_caps0_la_SOURCES = tests/plugins/abi_bad.c
tests_plugins_abi_caps0_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_BAD_CAPS
tests_plugins_abi_caps0_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
# Built against the frozen ABI 1.0 headers, first on the include path: a
# 1.0 plugin keeps loading (include/switchboard/plugin.h, rule E4).
ABI_V10_CPPFLAGS = -I$(top_srcdir)/tests/plugins/abi-1.0 $(AM_CPPFLAGS)
tests_plugins_abi_v10_la_SOURCES = tests/plugins/abi_v10.c
tests_plugins_abi_v10_la_CPPFLAGS = $(ABI_V10_CPPFLAGS)
tests_plugins_abi_v10_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_v10f_la_SOURCES = tests/plugins/abi_v10.c
tests_plugins_abi_v10f_la_CPPFLAGS = $(ABI_V10_CPPFLAGS) -DABI_V10_FILTER
tests_plugins_abi_v10f_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

# The end-to-end suite runs last; it needs the plugins and tools built.
# The reference tables of docs/ against the code (commands, routes, config keys).
TESTS += tests/docs/check-docs.sh
dist_noinst_SCRIPTS += tests/docs/check-docs.sh
TESTS += tests/e2e/run-e2e
dist_noinst_SCRIPTS += tests/e2e/run-e2e
# Every file of the suite (new test_*.py files need no listing here).
EXTRA_DIST += tests/e2e tests/plugins/abi_bad.c \
	tests/plugins/abi-1.0/switchboard/plugin.h tests/plugins/abi-1.0/switchboard/host.h \
	tests/plugins/abi-1.0/switchboard/types.h
# A directory in EXTRA_DIST is copied from the build tree too: leave out
# the results of an earlier `make check` there (run-e2e.log, .trs) and
# Python caches, or distcheck finds a stale log "up to date".
dist-hook: dist-e2e-clean
dist-e2e-clean:
	rm -rf $(distdir)/tests/e2e/*.log $(distdir)/tests/e2e/*.trs $(distdir)/tests/e2e/node_modules \
		$(distdir)/tests/e2e/__pycache__
.PHONY: dist-e2e-clean
AM_TESTS_ENVIRONMENT = SB_BUILDDIR='$(abs_top_builddir)' SB_SRCDIR='$(abs_top_srcdir)'; \
	export SB_BUILDDIR SB_SRCDIR;

# After AM_TESTS_ENVIRONMENT above: install.mk appends to it.
include tests/install.mk

# Event delivery: the signature, the backoff and the outbox's scans.
check_PROGRAMS += tests/unit/test_events
TESTS += tests/unit/test_events
tests_unit_test_events_SOURCES = tests/unit/test_events.c
tests_unit_test_events_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_events_LDADD = $(UNIT_LDADD)
