# The fast mock carrier (libevent only) for the benchmark and the README
# demo: answers /sms with 200 {"message_id":"<n>"} and, with -D, sends
# Kannel-style receipts back to each request's dlr_url. See its header.
noinst_PROGRAMS += tests/tools/mock_carrier
tests_tools_mock_carrier_SOURCES = tests/tools/mock_carrier.c
tests_tools_mock_carrier_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_tools_mock_carrier_LDADD = $(LIBEVENT_LIBS)
