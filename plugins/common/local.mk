# plugins/common: the support library every in-tree channel links
# (libsbplugin.la, a libtool convenience library: linked statically into
# each module, never installed, not part of the ABI). Results, snippets and
# outcome words (sbp_chan), buffers and escaping
# (sbp_buf), Retry-After and HTTP status classes (sbp_http), SMS parts
# (sbp_sms), callback
# parameters, form and query decoding, constant-time comparison (webparams).
noinst_LTLIBRARIES += plugins/common/libsbplugin.la
plugins_common_libsbplugin_la_SOURCES = $(SBP_BUF_SOURCES) \
	plugins/common/sbp_chan.c plugins/common/sbp_chan.h \
	plugins/common/sbp_http.c plugins/common/sbp_http.h \
	plugins/common/sbp_sms.c plugins/common/sbp_sms.h \
	plugins/common/webparams.c plugins/common/webparams.h
plugins_common_libsbplugin_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_common_libsbplugin_la_LIBADD = $(JANSSON_LIBS)
# The IDN decoder is compiled into the daemon (core/allowlist.c) and the
# content filter, which must agree on host names; it alone needs libidn2.
SBP_IDN_SOURCES = plugins/common/sbp_idn.c plugins/common/sbp_idn.h
# The growable buffer is compiled into the daemon too (core/http_client.c's
# request and answer buffers): one copy of it.
SBP_BUF_SOURCES = plugins/common/sbp_buf.c plugins/common/sbp_buf.h
# What a plugin adds to use it.
SBP_CPPFLAGS = -I$(top_srcdir)/plugins/common
SBP_LIBS = plugins/common/libsbplugin.la
