# smpp: the SMPP 3.4 channel (an ESME binding to an SMSC over TCP through
# the host's ABI 1.2 TCP client). Links plugins/common; no other library:
# the PDU codec is its own (smpp_pdu.c; see README.md for why not libsmpp34).
SMPP_SOURCES = plugins/smpp/smpp_pdu.c plugins/smpp/smpp_pdu.h \
	plugins/smpp/smpp_build.c plugins/smpp/smpp_build.h \
	plugins/smpp/smpp_gsm.c plugins/smpp/smpp_gsm.h \
	plugins/smpp/smpp_track.c plugins/smpp/smpp_track.h \
	plugins/smpp/smpp_session.c plugins/smpp/smpp_session.h
plugin_LTLIBRARIES += plugins/smpp/smpp.la
plugins_smpp_smpp_la_SOURCES = plugins/smpp/smpp.c $(SMPP_SOURCES)
plugins_smpp_smpp_la_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS)
plugins_smpp_smpp_la_LIBADD = $(SBP_LIBS)
# Export only the plugin symbol: the helpers stay private to the module.
plugins_smpp_smpp_la_LDFLAGS = $(PLUGIN_LDFLAGS) -export-symbols-regex '_LTX_sb_plugin$$'
EXTRA_DIST += plugins/smpp/README.md
