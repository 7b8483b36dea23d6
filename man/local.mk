# Man pages: switchboardd(8), switchboardctl(1), switchboard.yaml(5). The
# directories in them are configure's; switchboardctl(1) carries the text
# of `switchboardctl --help`, which comes from the client's command table.
man_MANS = man/switchboardd.8 man/switchboardctl.1 man/switchboard.yaml.5

man/switchboardd.8: man/switchboardd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(sb_subst) $(srcdir)/man/switchboardd.8.in > $@
man/switchboard.yaml.5: man/switchboard.yaml.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(sb_subst) $(srcdir)/man/switchboard.yaml.5.in > $@
# Backslashes and lines starting with . or ' are escaped for roff.
man/switchboardctl.1: man/switchboardctl.1.in core/switchboardctl$(EXEEXT) Makefile
	$(AM_V_GEN)$(MKDIR_P) man && core/switchboardctl --help | \
	    sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\\&&/" > man/switchboardctl.help && \
	    $(sb_subst) $(srcdir)/man/switchboardctl.1.in | \
	    sed -e '/^@COMMANDS@$$/{r man/switchboardctl.help' -e 'd;}' > $@ && \
	    rm -f man/switchboardctl.help

CLEANFILES += $(man_MANS)
EXTRA_DIST += man/switchboardd.8.in man/switchboardctl.1.in man/switchboard.yaml.5.in man/local.mk
