# The smpp channel's pure parts: the PDU codec, receipts in both forms, id
# forms, GSM 03.38 vs UCS-2 and splitting, and the receipt fold over parts.
check_PROGRAMS += tests/unit/test_smpp
TESTS += tests/unit/test_smpp
tests_unit_test_smpp_SOURCES = tests/unit/test_smpp.c plugins/smpp/smpp_pdu.c \
	plugins/smpp/smpp_gsm.c plugins/smpp/smpp_track.c plugins/smpp/smpp_build.c
tests_unit_test_smpp_CPPFLAGS = $(AM_CPPFLAGS) $(SBP_CPPFLAGS) -I$(top_srcdir)/plugins/smpp
tests_unit_test_smpp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_smpp_LDADD = $(SBP_LIBS) $(CMOCKA_LIBS)
