# Man pages: switchboardd(8) and switchboard.yaml(5), with configure's
# directories in them. switchboardctl(1) is made by `switchboardctl --man`
# from the command table (core/local.mk).
man_MANS = man/switchboardd.8 man/switchboard.yaml.5

man/switchboardd.8: man/switchboardd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(sb_subst) $(srcdir)/man/switchboardd.8.in > $@
man/switchboard.yaml.5: man/switchboard.yaml.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(sb_subst) $(srcdir)/man/switchboard.yaml.5.in > $@
CLEANFILES += $(man_MANS)
EXTRA_DIST += man/switchboardd.8.in man/switchboard.yaml.5.in man/local.mk
