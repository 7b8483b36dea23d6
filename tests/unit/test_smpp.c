/*
 * test_smpp.c - the smpp channel's codec: PDUs (bind_transceiver,
 * submit_sm with a UDH, deliver_sm receipts as text and as TLVs), id forms,
 * GSM 03.38 (with the extension table) vs UCS-2, splitting into parts,
 * GSM packing (fill bits after a UDH, CR padding), a long text as UDH
 * parts, SAR parts or one message_payload, and receipts folded over the
 * parts of a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smpp_build.h"
#include "smpp_gsm.h"
#include "smpp_pdu.h"
#include "smpp_track.h"

static void
test_bind_transceiver(void **state)
{
	struct smpp_bind b = { .system_id = "sys", .password = "pw", .system_type = "",
		.address_range = "", .addr_ton = 1, .addr_npi = 1 }, back;
	const uint8_t want[] = { 0, 0, 0, 0x1c, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 7,
		's', 'y', 's', 0, 'p', 'w', 0, 0, 0x34, 1, 1, 0 };
	uint8_t out[64];
	char buf[128];
	struct smpp_hdr h;
	size_t n;

	(void)state;
	n = smpp_pdu_bind(out, sizeof(out), SMPP_BIND_TRANSCEIVER, 7, &b);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(smpp_hdr_read(out, n, &h), 0);
	assert_int_equal(h.len, n);
	assert_int_equal(h.seq, 7);
	assert_int_equal(smpp_body_bind(out + 16, n - 16, &back, buf, sizeof(buf)), 0);
	assert_string_equal(back.system_id, "sys");
	assert_string_equal(back.password, "pw");
	/* a password longer than SMPP allows does not fit */
	b.password = "123456789";
	assert_int_equal(smpp_pdu_bind(out, sizeof(out), SMPP_BIND_TRANSCEIVER, 1, &b), 0);
}

static void
test_submit_sm_with_udh_round_trip(void **state)
{
	const uint8_t msg[] = { 5, 0, 3, 0x2a, 2, 1, 'h', 'i' };
	struct smpp_sm sm = { .service_type = "", .src_ton = 5, .src = "ACME", .dst_ton = 1,
		.dst_npi = 1, .dst = "5511999990001", .esm_class = SMPP_ESM_UDHI,
		.registered_delivery = 1, .msg = msg, .msg_len = sizeof(msg) }, back;
	uint8_t out[400];
	struct smpp_hdr h;
	size_t n;

	(void)state;
	n = smpp_pdu_sm(out, sizeof(out), SMPP_SUBMIT_SM, 9, &sm);
	assert_true(n > 16);
	smpp_hdr_read(out, n, &h);
	assert_int_equal(h.cmd, SMPP_SUBMIT_SM);
	assert_int_equal(smpp_body_sm(out + 16, n - 16, &back), 0);
	assert_string_equal(back.src, "ACME");
	assert_int_equal(back.src_ton, 5);
	assert_string_equal(back.dst, "5511999990001");
	assert_int_equal(back.esm_class, SMPP_ESM_UDHI);
	assert_int_equal(back.registered_delivery, 1);
	assert_int_equal(back.msg_len, sizeof(msg));
	assert_memory_equal(back.msg, msg, sizeof(msg));
	assert_null(back.receipted_id);
	/* a truncated body is refused */
	assert_int_equal(smpp_body_sm(out + 16, n - 18, &back), -1);
	/* an address longer than 20 characters does not fit */
	sm.dst = "123456789012345678901";
	assert_int_equal(smpp_pdu_sm(out, sizeof(out), SMPP_SUBMIT_SM, 1, &sm), 0);
}

/* A deliver_sm body with optional TLVs appended. */
static size_t
deliver(uint8_t *out, size_t cap, const char *text, const uint8_t *tlv, size_t tlvlen)
{
	struct smpp_sm sm = { .service_type = "", .src = "5511", .dst = "ACME",
		.esm_class = SMPP_ESM_RECEIPT, .msg = (const uint8_t *)text,
		.msg_len = strlen(text) };
	size_t n = smpp_pdu_sm(out, cap, SMPP_DELIVER_SM, 1, &sm);

	if (tlvlen > 0)
		memcpy(out + n, tlv, tlvlen);
	return n + tlvlen;
}

static void
test_receipt_text_form(void **state)
{
	const char *text = "id:0123456789 sub:001 dlvrd:001 submit date:2612050735"
	    " done date:2612050736 stat:DELIVRD err:000 text:hello";
	uint8_t out[400];
	struct smpp_sm sm;
	struct smpp_receipt r;
	size_t n = deliver(out, sizeof(out), text, NULL, 0);

	(void)state;
	assert_int_equal(smpp_body_sm(out + 16, n - 16, &sm), 0);
	assert_true(sm.esm_class & SMPP_ESM_RECEIPT);
	assert_int_equal(smpp_receipt_parse(&sm, text, &r), 0);
	assert_string_equal(r.id, "0123456789");
	assert_string_equal(r.stat, "DELIVRD");
	assert_string_equal(r.err, "000");
	assert_int_equal(r.outcome, SB_OUT_DELIVERED);
	assert_int_equal(smpp_receipt_parse(&sm, "id:7 stat:UNDELIV err:011", &r), 0);
	assert_int_equal(r.outcome, SB_OUT_UNDELIVERABLE);
	assert_int_equal(smpp_receipt_parse(&sm, "stat:DELIVRD", &r), -1);
}

static void
test_receipt_tlv_form(void **state)
{
	const uint8_t tlv[] = { 0x00, 0x1e, 0x00, 0x06, '1', 'f', '0', '0', '1', 0,
		0x04, 0x27, 0x00, 0x01, 3 };
	uint8_t out[400];
	struct smpp_sm sm;
	struct smpp_receipt r;
	size_t n = deliver(out, sizeof(out), "", tlv, sizeof(tlv));

	(void)state;
	out[3] = (uint8_t)n;
	assert_int_equal(smpp_body_sm(out + 16, n - 16, &sm), 0);
	assert_string_equal(sm.receipted_id, "1f001");
	assert_int_equal(sm.message_state, 3);
	assert_int_equal(smpp_receipt_parse(&sm, "", &r), 0);
	assert_string_equal(r.id, "1f001");
	assert_int_equal(r.outcome, SB_OUT_EXPIRED);
	/* both forms: the TLVs win */
	assert_int_equal(smpp_receipt_parse(&sm, "id:99 stat:DELIVRD err:0", &r), 0);
	assert_string_equal(r.id, "1f001");
	assert_int_equal(r.outcome, SB_OUT_EXPIRED);
}

static void
test_id_forms(void **state)
{
	char f[3][72];

	(void)state;
	assert_int_equal(smpp_id_forms("127009", f), 3);
	assert_string_equal(f[0], "127009");
	assert_string_equal(f[1], "1f021");
	assert_string_equal(f[2], "1208329");
	assert_int_equal(smpp_id_forms("1F001", f), 2);
	assert_string_equal(f[0], "1f001");
	assert_string_equal(f[1], "126977");
	assert_int_equal(smpp_id_forms("msg-1", f), 1);
}

static void
test_status_words(void **state)
{
	char buf[200];

	(void)state;
	assert_int_equal(smpp_status(0x58)->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(smpp_status(0x14)->outcome, SB_OUT_TEMPORARY);
	assert_int_equal(smpp_status(0x0B)->outcome, SB_OUT_UNDELIVERABLE);
	assert_int_equal(smpp_status(0x0E)->outcome, SB_OUT_FAILED);
	assert_string_equal(smpp_status_text(0x0B, buf, sizeof(buf)),
	    "ESME_RINVDSTADR (0x0000000B): invalid destination address");
	assert_int_equal(smpp_status(0x4242)->outcome, SB_OUT_FAILED);
}

static void
test_gsm_with_extension_vs_ucs2(void **state)
{
	struct smpp_text t;
	char *back;

	(void)state;
	assert_int_equal(smpp_text_encode("a€[", 0, 10, &t), 0);
	assert_int_equal(t.data_coding, SMPP_DC_DEFAULT);
	assert_int_equal(t.len, 5);
	assert_memory_equal(t.bytes, "\x61\x1b\x65\x1b\x3c", 5);
	back = smpp_text_decode(SMPP_DC_DEFAULT, t.bytes, t.len);
	assert_string_equal(back, "a€[");
	free(back);
	smpp_text_free(&t);
	assert_int_equal(smpp_text_encode("@£é", 0, 10, &t), 0);
	assert_memory_equal(t.bytes, "\x00\x01\x05", 3);
	smpp_text_free(&t);
	/* one character outside the alphabet: all UCS-2 */
	assert_int_equal(smpp_text_encode("a你", 0, 10, &t), 0);
	assert_int_equal(t.data_coding, SMPP_DC_UCS2);
	assert_memory_equal(t.bytes, "\x00\x61\x4f\x60", 4);
	smpp_text_free(&t);
	/* forced UCS-2 */
	assert_int_equal(smpp_text_encode("a", 1, 10, &t), 0);
	assert_int_equal(t.data_coding, SMPP_DC_UCS2);
	smpp_text_free(&t);
	assert_int_equal(smpp_text_encode("\xff", 0, 10, &t), -1);
}

static void
test_splitting(void **state)
{
	char text[400];
	struct smpp_text t;
	size_t i;

	(void)state;
	memset(text, 'a', 160);
	text[160] = '\0';
	assert_int_equal(smpp_text_encode(text, 0, 10, &t), 0);
	assert_int_equal(t.nparts, 1);
	smpp_text_free(&t);
	text[160] = 'a';
	text[161] = '\0';
	assert_int_equal(smpp_text_encode(text, 0, 10, &t), 0);
	assert_int_equal(t.nparts, 2);
	assert_int_equal(t.off[1], 153);
	smpp_text_free(&t);
	/* an escape never split: 152 'a' then '€' (2 septets) */
	memset(text, 'a', 152);
	snprintf(text + 152, sizeof(text) - 152, "%s", "€bbbbbbbbbbb");
	assert_int_equal(smpp_text_encode(text, 0, 10, &t), 0);
	assert_int_equal(t.nparts, 2);
	assert_int_equal(t.off[1], 152);
	assert_int_equal(t.bytes[152], 0x1b);
	smpp_text_free(&t);
	/* UCS-2: 70 units in one, else 67 per part; a surrogate pair kept */
	for (i = 0; i < 66; i++)
		memcpy(text + 2 * i, "\xd0\x96", 2); /* Ж */
	/* an emoji: a surrogate pair */
	snprintf(text + 132, sizeof(text) - 132, "%s", "\xf0\x9f\x98\x80xyz");
	assert_int_equal(smpp_text_encode(text, 0, 10, &t), 0);
	assert_int_equal(t.data_coding, SMPP_DC_UCS2);
	assert_int_equal(t.nparts, 2);
	assert_int_equal(t.off[1], 132);
	smpp_text_free(&t);
	/* too many parts */
	memset(text, 'a', 399);
	text[399] = '\0';
	assert_int_equal(smpp_text_encode(text, 0, 2, &t), -2);
}

static void
test_receipts_fold_over_parts(void **state)
{
	struct smpp_track *t = smpp_track_new(2);
	const char *ids[] = { "1f001", "1f002", "1f003" };
	const char *one[] = { "abc" };
	const char *pid;
	enum sb_outcome o;

	(void)state;
	assert_int_equal(smpp_track_add(t, ids, 3), 0);
	assert_int_equal(smpp_track_fold(t, "1f001", SB_OUT_DELIVERED, &pid, &o), 0);
	assert_int_equal(smpp_track_fold(t, "1F002", SB_OUT_ACCEPTED, &pid, &o), 0);
	assert_int_equal(smpp_track_fold(t, "126978", SB_OUT_DELIVERED, &pid, &o), 0);
	/* the last part, in decimal */
	assert_int_equal(smpp_track_fold(t, "126979", SB_OUT_DELIVERED, &pid, &o), 1);
	assert_string_equal(pid, "1f001");
	assert_int_equal(o, SB_OUT_DELIVERED);
	assert_int_equal(smpp_track_count(t), 0);
	/* one part failing fails the message at once, and only once */
	assert_int_equal(smpp_track_add(t, ids, 3), 0);
	assert_int_equal(smpp_track_fold(t, "1f002", SB_OUT_UNDELIVERABLE, &pid, &o), 1);
	assert_int_equal(o, SB_OUT_UNDELIVERABLE);
	assert_int_equal(smpp_track_fold(t, "1f001", SB_OUT_DELIVERED, &pid, &o), 0);
	assert_int_equal(smpp_track_fold(t, "zzz", SB_OUT_DELIVERED, &pid, &o), -1);
	/* bounded: the oldest is forgotten */
	assert_int_equal(smpp_track_add(t, one, 1), 0);
	one[0] = "def";
	assert_int_equal(smpp_track_add(t, one, 1), 0);
	assert_int_equal(smpp_track_count(t), 2);
	assert_int_equal(smpp_track_fold(t, "1f003", SB_OUT_DELIVERED, &pid, &o), -1);
	smpp_track_free(t);
}

/* 23.038's own example: "hellohello" packed is E8 32 9B FD 46 97 D9 EC 37. */
static void
test_gsm_pack_known_vector(void **state)
{
	const uint8_t want[] = { 0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37 };
	const uint8_t *h = (const uint8_t *)"hellohello";
	uint8_t out[16], back[24];

	(void)state;
	assert_int_equal(smpp_gsm_pack(h, 10, 0, out), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(smpp_gsm_unpack(out, sizeof(want), 0, back), 10);
	assert_memory_equal(back, h, 10);
}

/*
 * After a 6-octet UDH (48 bits) the text starts on the next septet
 * boundary, 49 bits in: one fill bit. The vectors were packed bit by bit
 * outside this code.
 */
static void
test_gsm_pack_fill_bits_after_udh(void **state)
{
	const uint8_t want[] = { 0xd0, 0x65, 0x36, 0xfb, 0x8d, 0x2e, 0xb3, 0xd9, 0x6f };
	/* [ EUR ] : three escapes into the extension table */
	const uint8_t ext[] = { 0x1b, 0x3c, 0x1b, 0x65, 0x1b, 0x3e };
	const uint8_t want_ext[] = { 0x36, 0xbc, 0x4d, 0x79, 0xe3, 0x03 };
	uint8_t msg[32] = { 5, 0, 3, 0x2a, 2, 1 };
	char *text;

	(void)state;
	assert_int_equal(smpp_gsm_fill(0), 0);
	assert_int_equal(smpp_gsm_fill(6), 1);  /* UDH with an 8-bit reference */
	assert_int_equal(smpp_gsm_fill(7), 0);  /* 16-bit reference: 56 bits */
	assert_int_equal(smpp_gsm_fill(1), 6);
	assert_int_equal(smpp_gsm_pack((const uint8_t *)"hellohello", 10, 1, msg + 6), 9);
	assert_memory_equal(msg + 6, want, sizeof(want));
	text = smpp_text_decode_packed(msg, 6 + 9, 6);
	assert_string_equal(text, "hellohello");
	free(text);
	assert_int_equal(smpp_gsm_pack(ext, sizeof(ext), 1, msg + 6), sizeof(want_ext));
	assert_memory_equal(msg + 6, want_ext, sizeof(want_ext));
	text = smpp_text_decode_packed(msg, 6 + sizeof(want_ext), 6);
	assert_string_equal(text, "[\xe2\x82\xac]");
	free(text);
}

/* 7 septets leave 7 spare bits: they carry CR, and unpacking drops it. */
static void
test_gsm_pack_cr_padding(void **state)
{
	uint8_t out[8], back[16];
	char *text;

	(void)state;
	assert_int_equal(smpp_gsm_pack((const uint8_t *)"1234567", 7, 0, out), 7);
	assert_int_equal(out[6] >> 1, 0x0d);
	assert_int_equal(smpp_gsm_unpack(out, 7, 0, back), 7);
	assert_memory_equal(back, "1234567", 7);
	text = smpp_text_decode_packed(out, 7, 0);
	assert_string_equal(text, "1234567");
	free(text);
	/* 8 septets fill 7 octets exactly: nothing to pad, nothing dropped */
	assert_int_equal(smpp_gsm_pack((const uint8_t *)"12345678", 8, 0, out), 7);
	assert_int_equal(smpp_gsm_unpack(out, 7, 0, back), 8);
	assert_memory_equal(back, "12345678", 8);
}

static void
sm_of(const struct smpp_pdus *p, size_t i, struct smpp_sm *sm)
{
	struct smpp_hdr h;

	assert_int_equal(smpp_hdr_read(p->buf + p->off[i], p->off[i + 1] - p->off[i], &h), 0);
	assert_int_equal(h.len, p->off[i + 1] - p->off[i]);
	assert_int_equal(h.cmd, SMPP_SUBMIT_SM);
	assert_int_equal(smpp_body_sm(p->buf + p->off[i] + SMPP_HDR, h.len - SMPP_HDR, sm), 0);
}

/* 200 GSM characters: two parts of 153 + 47 septets, three ways. */
static void
test_long_text_udh_sar_payload(void **state)
{
	const struct smpp_sm base = { .service_type = "", .src_ton = 5, .src = "ACME",
		.dst_ton = 1, .dst_npi = 1, .dst = "5511999990001", .registered_delivery = 1 };
	struct smpp_build o = { .ref = 0x1234 };
	struct smpp_text t;
	struct smpp_pdus p;
	struct smpp_sm sm;
	char text[201], *back;
	size_t i;

	(void)state;
	for (i = 0; i < 200; i++)
		text[i] = (char)('a' + i % 26);
	text[200] = '\0';
	assert_int_equal(smpp_text_encode(text, 0, 10, &t), 0);
	assert_int_equal(t.nparts, 2);

	o.long_text = SMPP_LONG_UDH;
	assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
	assert_int_equal(p.n, 2);
	for (i = 0; i < 2; i++) {
		const uint8_t udh[6] = { 5, 0, 3, 0x34, 2, (uint8_t)(i + 1) };

		sm_of(&p, i, &sm);
		assert_int_equal(sm.esm_class, SMPP_ESM_UDHI);
		assert_memory_equal(sm.msg, udh, sizeof(udh));
		assert_int_equal(sm.msg_len, 6 + (i == 0 ? 153 : 47));
		assert_int_equal(sm.sar_total, 0);
		assert_null(sm.payload);
	}
	smpp_pdus_free(&p);

	o.long_text = SMPP_LONG_SAR;
	assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
	assert_int_equal(p.n, 2);
	for (i = 0; i < 2; i++) {
		sm_of(&p, i, &sm);
		assert_int_equal(sm.esm_class, 0);
		assert_int_equal(sm.msg_len, i == 0 ? 153 : 47);
		assert_memory_equal(sm.msg, text + 153 * i, sm.msg_len);
		assert_int_equal(sm.sar_ref, 0x1234);
		assert_int_equal(sm.sar_total, 2);
		assert_int_equal(sm.sar_seq, i + 1);
	}
	smpp_pdus_free(&p);

	o.long_text = SMPP_LONG_PAYLOAD;
	assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
	assert_int_equal(p.n, 1);
	sm_of(&p, 0, &sm);
	assert_int_equal(sm.esm_class, 0);
	assert_int_equal(sm.msg_len, 0);
	assert_int_equal(sm.payload_len, 200);
	assert_memory_equal(sm.payload, text, 200);
	assert_int_equal(sm.sar_total, 0);
	smpp_pdus_free(&p);

	/* Packed: 153 septets after a UDH are 6 + 134 octets; the payload 175. */
	o.packed = 1;
	o.long_text = SMPP_LONG_UDH;
	assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
	sm_of(&p, 0, &sm);
	assert_int_equal(sm.msg_len, 6 + 134);
	back = smpp_text_decode_packed(sm.msg, sm.msg_len, 6);
	assert_int_equal(strlen(back), 153);
	assert_memory_equal(back, text, 153);
	free(back);
	smpp_pdus_free(&p);
	o.long_text = SMPP_LONG_PAYLOAD;
	assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
	sm_of(&p, 0, &sm);
	assert_int_equal(sm.payload_len, 175);
	back = smpp_text_decode_packed(sm.payload, sm.payload_len, 0);
	assert_string_equal(back, text);
	free(back);
	smpp_pdus_free(&p);
	smpp_text_free(&t);

	/* One part: no UDH, no SAR, short_message, whatever long_text says. */
	assert_int_equal(smpp_text_encode("short", 0, 10, &t), 0);
	for (o.long_text = SMPP_LONG_UDH; o.long_text <= SMPP_LONG_PAYLOAD; o.long_text++) {
		assert_int_equal(smpp_build_pdus(&base, &t, &o, &p), 0);
		assert_int_equal(p.n, 1);
		sm_of(&p, 0, &sm);
		assert_int_equal(sm.esm_class, 0);
		assert_int_equal(sm.msg_len, 5); /* packed: 35 bits */
		assert_null(sm.payload);
		assert_int_equal(sm.sar_total, 0);
		smpp_pdus_free(&p);
	}
	smpp_text_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_transceiver),
		cmocka_unit_test(test_submit_sm_with_udh_round_trip),
		cmocka_unit_test(test_receipt_text_form),
		cmocka_unit_test(test_receipt_tlv_form),
		cmocka_unit_test(test_id_forms),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_gsm_with_extension_vs_ucs2),
		cmocka_unit_test(test_splitting),
		cmocka_unit_test(test_receipts_fold_over_parts),
		cmocka_unit_test(test_gsm_pack_known_vector),
		cmocka_unit_test(test_gsm_pack_fill_bits_after_udh),
		cmocka_unit_test(test_gsm_pack_cr_padding),
		cmocka_unit_test(test_long_text_udh_sar_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
