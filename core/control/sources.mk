# Control socket sources (owned by the control engineer); the lead wires
# these into switchboardd and switchboardctl.
SB_CONTROL_SOURCES = core/control.c core/control_proto.c core/jsonerr.c core/jsonerr.h core/timefmt.c \
	core/control/args.c core/ctl_spec.c core/ctl_spec.h \
	core/control/cmd-ping.c core/control/cmd-plugin.c \
	core/control/cmd-config-reload.c core/control/cmd-message-send.c \
	core/control/cmd-message-status.c core/control/cmd-message-cancel.c \
	core/control/cmd-filter-check.c core/control/cmd-filter-allow.c \
	core/control/cmd-clock-advance.c core/control/cmd-store-sync-delay.c \
	core/control/cmd-message-reschedule.c \
	core/timefmt.h core/control/args.h core/control/cmds.h \
	core/control/cmd-broadcast.c core/control/cmd-broadcast.h core/control/cmd-broadcast-file.c \
	core/control/cmd-message-search.c core/control/cmd-message-preview.c \
	core/control/cmd-stats-show.c core/control/cmd-template.c \
	core/control/cmd-folder.c \
	core/control/cmd-events.c

SB_CTL_SOURCES = core/switchboardctl.c core/ctl_spec.c core/errors.c core/ctl_spec.h \
	core/ctl_bcast.h core/ctl_tpl.h core/ctl_inbox.h
