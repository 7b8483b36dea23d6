"""The vonage channel end to end: the real daemon and plugin against a test
double of Vonage's SMS API (mock_providers.MockVonage), with delivery
receipts replayed as Vonage sends them (GET query, POST form, POST JSON),
signed with the account's signature secret where configured."""
import json
import os
import subprocess
import time

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_providers import MockVonage, vonage_split

API_KEY = "abcd1234"
API_SECRET = "vgS3cret0987zyx"
SIG_SECRET = "vgSigSecret-4f3e2d1c0b"
TO = "+5511999990001"
LONG = ("Your appointment is confirmed for Monday at 10:00. Bring your ID card and arrive "
        "fifteen minutes early. To reschedule, reply CHANGE; to cancel, reply STOP. ") * 2 + \
    "Thanks, ACME clinic."


@pytest.fixture
def vg():
    with MockVonage(API_KEY, API_SECRET) as m:
        yield m
        assert m.spec_errors == [], m.spec_errors


def start(make_daemon, tmp_path, vg, chain=None, extra_plugins=None, signed=False,
          secret=API_SECRET, **keys):
    inst = {"module": "vonage", "base_url": vg.url, "api_key": API_KEY, "from": "ACME"}
    if signed:
        (tmp_path / "vg.sig").write_text(SIG_SECRET + "\n")
        inst["signature_secret"] = {"file": str(tmp_path / "vg.sig")}
    if secret is not None:
        os.environ["SB_TEST_VONAGE_SECRET"] = secret
        inst["api_secret"] = {"env": "SB_TEST_VONAGE_SECRET"}
    inst.update(keys)
    plugins = {"vg": inst}
    plugins.update(extra_plugins or {})
    d = make_daemon(plugins=plugins, chains={"default": chain or [{"channel": "vg"}]})
    d.hook = d.http + "/hooks/vg"
    return d


def assert_no_secrets(d):
    log = d.log()
    assert API_SECRET not in log and SIG_SECRET not in log


def accepted(d, text="your code is 1234", **kw):
    mid = d.send(text=text, **kw)
    m = d.wait_status(mid, "accepted")
    return mid, m["attempts"][-1]


def test_send_request_is_exact_and_receipt_delivers(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg)
    mid, att = accepted(d)
    [r] = vg.requests
    assert (r["method"], r["path"]) == ("POST", "/sms/json")
    assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    ref = att["provider_id"]
    assert len(ref) == 36 and ref.count("-") == 4  # our attempt key, as client-ref
    assert sorted(r["form_multi"]) == sorted([
        ("api_key", API_KEY), ("api_secret", API_SECRET), ("from", "ACME"),
        ("to", "5511999990001"), ("text", "your code is 1234"), ("callback", d.hook),
        ("client-ref", ref)])
    assert att["parts"] == 1
    [mid_id] = vg.sent[ref]
    # Vonage's default: a GET with the receipt in the query string.
    assert vg.dlr(d.hook, vg.dlr_fields(ref, mid_id, "accepted"))[0] == 200
    assert d.status(mid)["status"] == "accepted"
    assert vg.dlr(d.hook, vg.dlr_fields(ref, mid_id, "delivered"))[0] == 200
    m = d.wait_status(mid, "delivered")
    assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted", "delivered"]
    assert vg.spec_checked or pytest.skip("spec check skipped: no ../shared/specs or PyYAML")
    assert_no_secrets(d)


def test_unicode_text_is_sent_as_unicode(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg)
    accepted(d, text="Olá, seu código é 1234 ✓")
    assert vg.requests[-1]["form"]["type"] == "unicode"
    accepted(d, text="Olà, cödigo 1234 è välido {ok} 5€")  # GSM, with the extension table
    assert "type" not in vg.requests[-1]["form"]


def test_long_text_reports_parts_and_waits_for_every_part(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg)
    n = vonage_split(LONG, False)
    assert n == 3
    mid, att = accepted(d, text=LONG)
    assert att["parts"] == 3
    ref = att["provider_id"]
    ids = vg.sent[ref]
    assert len(ids) == 3
    # Parts arrive out of order, one twice, by every transport Vonage uses.
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[2], "delivered"), how="POST")[0] == 200
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[0], "delivered"), how="JSON")[0] == 200
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[0], "delivered"))[0] == 200
    time.sleep(0.2)
    assert d.status(mid)["status"] == "accepted"
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[1], "delivered"))[0] == 200
    m = d.wait_status(mid, "delivered")
    assert [h["status"] for h in m["history"]].count("delivered") == 1


def test_long_text_with_a_failed_part_is_undeliverable(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg, chain=[{"channel": "vg"}, {"channel": "fake"}],
              extra_plugins={"fake": {"module": "test", "behaviour": "deliver"}})
    mid, att = accepted(d, text=LONG)
    ref = att["provider_id"]
    ids = vg.sent[ref]
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[0], "delivered"))[0] == 200
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[1], "failed", err="3"))[0] == 200
    m = d.wait_status(mid, "delivered")  # through the next step
    a = m["attempts"][0]
    assert (a["status"], a["error_code"]) == ("undeliverable", "3")
    assert "absent subscriber (permanent)" in a["error"] and "part 2 of 3" in a["error"]
    # The last part's "delivered" cannot make the failed attempt delivered.
    assert vg.dlr(d.hook, vg.dlr_fields(ref, ids[2], "delivered"))[0] == 200
    time.sleep(0.2)
    assert d.status(mid)["attempts"][0]["status"] == "undeliverable"


def test_expired_and_rejected_receipts(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg)
    mid, att = accepted(d)
    ref = att["provider_id"]
    assert vg.dlr(d.hook, vg.dlr_fields(ref, vg.sent[ref][0], "expired", err="2"),
                  how="JSON")[0] == 200
    m = d.wait_status(mid, "expired")
    assert m["attempts"][0]["error_code"] == "2"
    mid, att = accepted(d)
    ref = att["provider_id"]
    assert vg.dlr(d.hook, vg.dlr_fields(ref, vg.sent[ref][0], "rejected", err="6"),
                  how="POST")[0] == 200
    m = d.wait_status(mid, "undeliverable")
    assert "anti-spam" in m["reason"]


def test_signed_requests_and_signed_receipts(make_daemon, tmp_path):
    with MockVonage(API_KEY, sig_secret=SIG_SECRET, sig_method="sha256") as vg:
        d = start(make_daemon, tmp_path, vg, signed=True, secret=None, sign_requests=True,
                  signature_method="sha256")
        mid, att = accepted(d)
        f = vg.requests[-1]["form"]
        assert "api_secret" not in f and "sig" in f and abs(int(f["timestamp"]) - time.time()) < 60
        assert vg.requests[-1]["answer"] == 200 and vg.spec_errors == []
        ref = att["provider_id"]
        fields = vg.dlr_fields(ref, vg.sent[ref][0], "delivered")
        # Wrong secret, no sig, a field changed after signing, a stale timestamp: all 403.
        assert vg.dlr(d.hook, vg.sign(fields, secret="wrong-secret"))[0] == 403
        assert vg.dlr(d.hook, fields)[0] == 403
        tampered = vg.sign(dict(fields, status="failed"))
        tampered["status"] = "delivered"
        assert vg.dlr(d.hook, tampered, how="POST")[0] == 403
        assert vg.dlr(d.hook, vg.sign(fields, ts=time.time() - 3600))[0] == 403
        assert d.status(mid)["status"] == "accepted"
        assert d.log().count("receipt rejected with 403") == 4
        # Signed correctly (upper-case hex, as Vonage sends it), by each transport.
        assert vg.dlr(d.hook, vg.sign(fields), how="JSON")[0] == 200
        d.wait_status(mid, "delivered")
        assert_no_secrets(d)


def test_md5hash_signed_receipts(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg, signed=True)  # api_secret sends, sig verifies
    mid, att = accepted(d)
    assert "sig" not in vg.requests[-1]["form"]
    ref = att["provider_id"]
    fields = vg.dlr_fields(ref, vg.sent[ref][0], "delivered")
    assert vg.dlr(d.hook, vg.sign(fields, secret="nope", method="md5hash"))[0] == 403
    assert vg.dlr(d.hook, vg.sign(fields, SIG_SECRET, "md5hash"), how="POST")[0] == 200
    d.wait_status(mid, "delivered")
    assert_no_secrets(d)


def test_throttled_and_http_errors_are_retried(make_daemon, tmp_path, vg):
    vg.script([(200, {"message-count": "1", "messages": [
                   {"status": "1", "error-text": "Throughput Rate Exceeded - please wait"}]}),
               (500, {"type": "https://developer.nexmo.com/api-errors#internal"},
                {"Retry-After": "1"})])
    d = start(make_daemon, tmp_path, vg)
    mid, att = accepted(d)
    reqs = vg.requests
    assert [r["answer"] for r in reqs] == [200, 500, 200] and att["tries"] == 3
    assert reqs[2]["t"] - reqs[1]["t"] >= 0.9  # Retry-After honoured
    assert any("throttled" in (h["reason"] or "") for h in d.status(mid)["history"])


def test_send_statuses_map_to_outcomes(make_daemon, tmp_path, vg):
    vg.script([(200, {"message-count": "1", "messages": [
                   {"status": "7", "error-text": "Number barred."}]}),
               (200, {"message-count": "1", "messages": [
                   {"status": "9", "error-text": "Quota Exceeded - rejected"}]})])
    d = start(make_daemon, tmp_path, vg)
    mid = d.send()
    m = d.wait_status(mid, "undeliverable")
    assert m["attempts"][0]["error_code"] == "7" and m["attempts"][0]["tries"] == 1
    assert "number barred" in m["reason"]
    mid = d.send()
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "9" and m["attempts"][0]["tries"] == 1
    assert "out of credit" in d.log()
    # Real bad credentials: the double answers status 4.
    d.stop()
    d2 = start(make_daemon, tmp_path, vg, secret="wrong-secret-1")
    mid = d2.send()
    m = d2.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "4"
    assert "wrong-secret-1" not in d2.log()


def test_bad_receipts_400_unknown_200_duplicates_idempotent(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg)
    mid, att = accepted(d)
    ref = att["provider_id"]
    good = vg.dlr_fields(ref, vg.sent[ref][0], "delivered")
    from mock_providers import post_form
    assert post_form(d.hook, {}, {"Content-Type": "application/json"}, body=b"{not json")[0] == 400
    assert post_form(d.hook, {}, {"Content-Type": "application/json"},
                     body=json.dumps(dict(good, price={"x": 1})).encode())[0] == 400
    assert post_form(d.hook + "?status=delivered&messageId=%zz", {}, method="GET")[0] == 400
    assert vg.dlr(d.hook, {k: v for k, v in good.items() if k != "status"})[0] == 400
    assert vg.dlr(d.hook, {k: v for k, v in good.items()
                           if k not in ("messageId", "client-ref")})[0] == 400
    assert vg.dlr(d.hook, dict(good, status="teleported"))[0] == 400
    assert d.ok("ping") is not None and d.status(mid)["status"] == "accepted"
    # Unknown message: 200 (Vonage must not retry), logged, nothing changes.
    assert vg.dlr(d.hook, vg.dlr_fields("no-such-ref", "0A0000001234567B", "delivered"))[0] == 200
    wait_for(lambda: "unknown provider id" in d.log(), 5, what="unknown-id log line")
    for _ in range(2):
        assert vg.dlr(d.hook, good)[0] == 200
    m = d.wait_status(mid, "delivered")
    time.sleep(0.2)
    m = d.status(mid)
    assert [h["status"] for h in m["history"]].count("delivered") == 1


def test_max_parts_and_config_errors(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg, max_parts=2)
    mid = d.send(text=LONG)
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "too_many_parts" and vg.requests == []
    d.stop()
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    base = json.dumps(d.cfg)
    for bad, wants in (({"signature_method": "sha3", "ttl": "5s"}, ("signature_method", "ttl")),
                       ({"sign_requests": True}, ("sign_requests needs 'signature_secret'",)),
                       ({"error_map": {"1": "later"}}, ("error_map '1'",))):
        cfg = json.loads(base)
        cfg["plugins"]["vg"].update(bad)
        d.write_config(cfg)
        r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                           env=env, timeout=30)
        assert r.returncode == 1
        for want in wants:
            assert want in r.stderr, (want, r.stderr)


def test_inbound_sms_is_filed_once_and_unsigned_refused(make_daemon, tmp_path, vg):
    d = start(make_daemon, tmp_path, vg, signed=True)
    # The inbound-sms webhook's fields (OAS x-webhooks.inbound-sms), signed.
    fields = {"api-key": API_KEY, "msisdn": "5511999990001", "to": "15557122661",
              "messageId": "0A0000000123ABCD1", "text": "Olá, pode ser amanhã?",
              "type": "unicode", "keyword": "OLÁ", "message-timestamp": "2026-12-05 07:45:00"}
    assert vg.dlr(d.hook, vg.sign(fields, SIG_SECRET, "md5hash"), how="POST")[0] == 200
    # Vonage re-sends what got no 2xx: filed once.
    assert vg.dlr(d.hook, vg.sign(fields, SIG_SECRET, "md5hash"))[0] == 200
    # Not signed with our secret: refused, nothing filed.
    forged = dict(fields, messageId="0A0000000123ABCD2", text="forged")
    assert vg.dlr(d.hook, vg.sign(forged, secret="nope", method="md5hash"))[0] == 403
    [item] = d.ok("folder.list", {"folder": "inbox"})["items"]
    assert (item["from"], item["to"], item["text"]) == (
        "+5511999990001", "+15557122661", "Olá, pode ser amanhã?")
    assert item["time"] == "2026-12-05T07:45:00.000Z"
    bad = dict(fields, messageId="")
    assert vg.dlr(d.hook, vg.sign(bad, SIG_SECRET, "md5hash"))[0] == 400
