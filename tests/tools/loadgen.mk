noinst_PROGRAMS += tests/tools/loadgen
tests_tools_loadgen_SOURCES = tests/tools/loadgen.c
tests_tools_loadgen_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_tools_loadgen_LDADD = $(LIBEVENT_LIBS)
