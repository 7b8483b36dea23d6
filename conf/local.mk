# What `make install` puts beside the programs: the sample configuration
# (with the FHS paths that are the daemon's defaults), the systemd unit and
# the sysusers.d entry for its user. The man pages are in man/local.mk.

# @dir@ in a template -> the directory configure chose ([@] keeps config.status off it).
sb_subst = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g' -e 's|@runstatedir[@]|$(runstatedir)|g' \
	-e 's|@plugindir[@]|$(plugindir)|g' -e 's|@VERSION[@]|$(PACKAGE_VERSION)|g'

sbconfdir = $(sysconfdir)/switchboard
sysusersdir = $(prefix)/lib/sysusers.d

if SYSTEMD_UNIT
systemdsystemunit_DATA = conf/switchboardd.service
endif
conf/switchboardd.service: conf/switchboardd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && $(sb_subst) $(srcdir)/conf/switchboardd.service.in > $@

# The sample as installed: its run/ paths become the daemon's defaults.
conf/switchboard.yaml.installed: conf/switchboard.yaml Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && sed \
	    -e 's|run/control.sock|$(runstatedir)/switchboard/control.sock|' \
	    -e 's|run/switchboard.db|$(localstatedir)/lib/switchboard/switchboard.db|' \
	    -e 's|^# Relative paths are relative to the directory the daemon is started in.|# As installed, the paths are the daemon'"'"'s defaults.|' \
	    $(srcdir)/conf/switchboard.yaml > $@
noinst_DATA = conf/switchboard.yaml.installed

# An operator's configuration is never overwritten: the new sample goes
# beside it as switchboard.yaml.sample.
install-data-local: conf/switchboard.yaml.installed
	$(MKDIR_P) '$(DESTDIR)$(sbconfdir)' '$(DESTDIR)$(sysusersdir)'
	if test -f '$(DESTDIR)$(sbconfdir)/switchboard.yaml'; then \
	    echo "keeping $(sbconfdir)/switchboard.yaml; the new sample is switchboard.yaml.sample"; \
	    $(INSTALL_DATA) conf/switchboard.yaml.installed '$(DESTDIR)$(sbconfdir)/switchboard.yaml.sample'; \
	else \
	    $(INSTALL_DATA) conf/switchboard.yaml.installed '$(DESTDIR)$(sbconfdir)/switchboard.yaml'; \
	fi
	$(INSTALL_DATA) $(srcdir)/conf/switchboard.sysusers '$(DESTDIR)$(sysusersdir)/switchboard.conf'

uninstall-local:
	rm -f '$(DESTDIR)$(sbconfdir)/switchboard.yaml.sample' '$(DESTDIR)$(sysusersdir)/switchboard.conf'
	if cmp -s conf/switchboard.yaml.installed '$(DESTDIR)$(sbconfdir)/switchboard.yaml'; then \
	    rm -f '$(DESTDIR)$(sbconfdir)/switchboard.yaml'; fi

CLEANFILES += conf/switchboardd.service conf/switchboard.yaml.installed
EXTRA_DIST += conf/switchboardd.service.in conf/switchboard.sysusers conf/local.mk
