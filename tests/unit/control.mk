# Unit tests of the control socket, its protocol, the switchboardctl table
# and timestamps (owned by the control engineer; included by tests/local.mk).
# Each links only what it tests: no store, dispatcher or plugins.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_control_proto tests/unit/test_control_socket \
	tests/unit/test_timefmt
TESTS += tests/unit/test_control_proto tests/unit/test_control_socket \
	tests/unit/test_timefmt

tests_unit_test_control_proto_SOURCES = tests/unit/test_control_proto.c \
	core/control_proto.c core/jsonerr.c core/ctl_spec.c core/errors.c
tests_unit_test_control_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_control_proto_LDADD = $(CMOCKA_LIBS) $(JANSSON_LIBS)

# control.c over a real socket; the test supplies sb_cmd_table and stubs
# sb_store_after_commit / sb_dispatch_wake_commit.
tests_unit_test_control_socket_SOURCES = tests/unit/test_control_socket.c \
	core/control.c core/control_proto.c core/jsonerr.c core/errors.c core/log.c
tests_unit_test_control_socket_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBEVENT_CFLAGS)
tests_unit_test_control_socket_LDADD = $(CMOCKA_LIBS) $(JANSSON_LIBS) $(LIBEVENT_LIBS)

tests_unit_test_timefmt_SOURCES = tests/unit/test_timefmt.c core/timefmt.c
tests_unit_test_timefmt_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_timefmt_LDADD = $(CMOCKA_LIBS)
endif
