# The plugin author's path in make check: install into a temporary DESTDIR,
# build examples/carrier_example out of tree against the installed headers
# and switchboard-plugin.pc, load it into the installed daemon with
# `config reload`, send through it, `plugin reload` a new build.
TESTS += tests/install/test-install.sh
dist_noinst_SCRIPTS += tests/install/test-install.sh
EXTRA_DIST += tests/install/mock_api.py \
	examples/carrier_example/Makefile examples/carrier_example/README.md \
	examples/carrier_example/carrier_example.c
# Where `make install` puts things (without DESTDIR), and the tools to use.
AM_TESTS_ENVIRONMENT += SB_MAKE='$(MAKE)' SB_CC='$(CC)' SB_PKG_CONFIG='$(PKG_CONFIG)' \
	SB_SBINDIR='$(sbindir)' SB_BINDIR='$(bindir)' SB_INCLUDEDIR='$(includedir)' \
	SB_LIBDIR='$(libdir)' SB_PLUGINDIR='$(plugindir)' SB_SYSCONFDIR='$(sysconfdir)' \
	SB_MANDIR='$(mandir)' SB_UNITDIR='$(systemdsystemunitdir)' SB_SYSUSERSDIR='$(sysusersdir)' \
	SB_PKGDATADIR='$(pkgdatadir)'; \
	export SB_MAKE SB_CC SB_PKG_CONFIG SB_SBINDIR SB_BINDIR SB_INCLUDEDIR SB_LIBDIR \
	SB_PLUGINDIR SB_SYSCONFDIR SB_MANDIR SB_UNITDIR SB_SYSUSERSDIR SB_PKGDATADIR;
