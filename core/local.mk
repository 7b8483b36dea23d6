# The daemon's modules live in a convenience library so unit tests can link
# exactly what they exercise; switchboardd adds only main.c.
include core/control/sources.mk

noinst_LTLIBRARIES += core/libsbcore.la
core_libsbcore_la_SOURCES = \
	core/allowlist.c core/allowlist.h $(SBP_IDN_SOURCES) $(SBP_BUF_SOURCES) \
	core/cfgnode.c core/config.c core/config_hours.c core/config_events.c core/config.h core/xalloc.c core/xalloc.h \
	core/clock.c core/clock.h \
	core/daemon.c core/daemon.h \
	core/dispatch.h core/dispatch_internal.h \
	core/engine/engine.h core/engine/engine.c core/engine/statem.c core/engine/statem.h \
	core/engine/apply.c core/engine/chains.c core/engine/due.c core/engine/due.h \
	core/engine/pump.c core/engine/lanes.c core/engine/submit.c \
	core/engine/schedule.c core/engine/receipt.c core/engine/broadcast.c core/engine/watch.c \
	core/errors.c core/errors.h \
	core/host.c core/host_tcp.c core/instance.h \
	core/http_api.c core/http_api.h core/http_guard.c core/http_guard.h \
	core/http_keys.c core/http_keys.h core/http_messages.c \
	core/http_api_internal.h core/http_bcast.c core/http_hooks.c \
	core/idempotency.c core/idempotency.h \
	core/hours.c core/hours.h \
	core/http_client.c core/http_client.h \
	core/loader.c core/loader.h core/plugin_abi.c core/plugin_abi.h \
	core/log.c core/log.h \
	core/metrics.c core/metrics.h \
	core/phone.c core/phone.h \
	core/ratelimit.c core/ratelimit.h \
	core/status.c core/status.h \
	core/tz.c core/tz.h \
	core/store.c core/store_group.c core/store_msg.c core/store_query.c core/store.h core/store_internal.h \
	core/store_bcast.c core/store_bcast.h core/store_search.c core/store_search.h \
	core/chantype.c core/chantype.h core/http_search.c \
	core/tpl_render.c core/tpl_render.h core/template.c core/template.h \
	core/store_tpl.c core/store_tpl.h core/http_tpl.c \
	core/csvfeed.c core/csvfeed.h core/bcast_file.c core/bcast_file.h \
	core/inbound.c core/inbound.h core/store_inbox.c core/store_inbox.h core/http_inbox.c \
	core/segments.c core/segments.h core/store_preview.c core/store_preview.h \
	core/store_stats.c core/store_stats.h core/store_tally.c core/store_gauges.c core/store_msgcache.c core/store_attcache.c core/store_walvfs.c core/store_schema.c core/http_stats.c \
	core/store_text.c core/store_match.c core/store_hist.c core/store_attempt.c \
	core/jsonw.c core/jsonw.h \
	core/events.c core/events.h core/store_events.c core/store_events.h core/http_events.c \
	core/config_console.c core/console.c core/console.h core/console_files.c \
	core/console_pw.c core/console_pw.h core/console_pw_worker.c core/http_allow.c \
	core/control.h \
	$(SB_CONTROL_SOURCES)
# ctl_spec.c is the daemon's command table too, with the handlers (SB_CTL_DAEMON).
# The console's files: installed, else the source tree's (run from the build tree).
core_libsbcore_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS) -DSB_CTL_DAEMON \
	-DSB_WWW_DIRS=\"$(pkgdatadir)/www:$(abs_top_srcdir)/www\"
core_libsbcore_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(YAML_CFLAGS) $(CURL_CFLAGS) \
	$(SQLITE_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(UTF8PROC_CFLAGS) $(IDN2_CFLAGS)
core_libsbcore_la_LIBADD = $(LIBEVENT_LIBS) $(YAML_LIBS) $(CURL_LIBS) $(SQLITE_LIBS) \
	$(JANSSON_LIBS) $(CRYPTO_LIBS) $(UTF8PROC_LIBS) $(IDN2_LIBS) $(LTDL_LIBS) $(CSV_LIBS) -lm -lpthread

sbin_PROGRAMS += core/switchboardd
core_switchboardd_SOURCES = core/main.c core/sdnotify.c core/sdnotify.h
core_switchboardd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
# Run from the build tree, the daemon finds the plugins built beside it.
core_switchboardd_CPPFLAGS = $(AM_CPPFLAGS) -DSB_ABS_BUILDDIR=\"$(abs_top_builddir)\"
core_switchboardd_LDADD = core/libsbcore.la

bin_PROGRAMS += core/switchboardctl
core_switchboardctl_SOURCES = $(SB_CTL_SOURCES) core/apikey.c core/apikey.h \
	core/console_pw.c core/console_pw.h

# switchboardctl's man page, generated from the command table (ctl_spec.c)
# like its --help: it cannot describe a command the client does not parse.
nodist_man1_MANS = core/switchboardctl.1
CLEANFILES += core/switchboardctl.1
core/switchboardctl.1: core/switchboardctl$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) core && ./core/switchboardctl$(EXEEXT) --man > $@.tmp && mv $@.tmp $@
core_switchboardctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
core_switchboardctl_LDADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)
