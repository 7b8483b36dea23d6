# stub: the smallest working channel (copy it to start a new plugin).
# Needs no library: everything comes through struct sb_host.
plugin_LTLIBRARIES += plugins/stub/stub.la
plugins_stub_stub_la_SOURCES = plugins/stub/stub.c
# Export only the plugin symbol: helpers stay private to the module.
plugins_stub_stub_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/stub/README.md
