swinclude_HEADERS += include/switchboard/plugin.h include/switchboard/host.h \
	include/switchboard/types.h
