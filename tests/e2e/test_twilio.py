"""The twilio channel end to end: the real daemon and plugin against a test
double of Twilio's Messages API (mock_providers.MockTwilio), with status
callbacks replayed as Twilio sends them, signed with X-Twilio-Signature."""
import base64
import json
import os
import re
import subprocess
import time

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_providers import MockTwilio, post_form, twilio_signature

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "twTok3n-9d8c7b6a5f4e3d2c1b0a9f8e"
FROM = "+15557122661"
TO = "+5511999990001"


@pytest.fixture
def tw():
    with MockTwilio(ACCOUNT, TOKEN) as m:
        yield m
        assert m.spec_errors == [], m.spec_errors


def start(make_daemon, tmp_path, tw, chain=None, token=TOKEN, extra_plugins=None, **keys):
    tok = tmp_path / "twilio.token"
    tok.write_text(token + "\n")
    inst = {"module": "twilio", "base_url": tw.url, "account_sid": ACCOUNT,
            "auth_token": {"file": str(tok)}, "from": FROM}
    inst.update(keys)
    plugins = {"tw": inst}
    plugins.update(extra_plugins or {})
    d = make_daemon(plugins=plugins, chains={"default": chain or [{"channel": "tw"}]})
    d.hook = d.http + "/hooks/tw"
    return d


def assert_no_secrets(d):
    log = d.log()
    basic = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert TOKEN not in log and basic not in log


def accepted(d, tw, text="your code is 1234", **kw):
    mid = d.send(text=text, **kw) if text is not None else \
        d.ok("message.send", dict(to=TO, **kw))["id"]
    m = d.wait_status(mid, "accepted")
    return mid, m["attempts"][-1]["provider_id"]


def test_send_request_is_exact_and_delivered_callback_delivers(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    [r] = tw.requests
    assert r["method"] == "POST"
    assert r["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert r["headers"]["Authorization"] == "Basic " + base64.b64encode(
        f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sorted(r["form_multi"]) == sorted([
        ("To", TO), ("From", FROM), ("Body", "your code is 1234"), ("StatusCallback", d.hook)])
    assert r["answer"] == 201
    m = d.status(mid)
    assert sid in tw.messages and m["attempts"][0]["parts"] == 1
    # "sent" keeps it accepted; "delivered" ends it.
    assert tw.callback(d.hook, sid, "sent")[0] == 200
    assert d.status(mid)["status"] == "accepted"
    assert tw.callback(d.hook, sid, "delivered")[0] == 200
    m = d.wait_status(mid, "delivered")
    assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted", "delivered"]
    assert tw.spec_checked or pytest.skip("spec check skipped: no ../shared/specs or PyYAML")
    assert_no_secrets(d)


def test_undelivered_with_error_code_moves_down_the_chain(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw, chain=[{"channel": "tw"}, {"channel": "fake"}],
              extra_plugins={"fake": {"module": "test", "behaviour": "deliver"}})
    mid, sid = accepted(d, tw)
    assert tw.callback(d.hook, sid, "undelivered", error_code=30003)[0] == 200
    m = d.wait_status(mid, "delivered")
    tw_att, fake_att = m["attempts"]
    assert (tw_att["channel"], tw_att["status"], tw_att["error_code"]) == \
        ("tw", "undeliverable", "30003")
    assert "unreachable destination handset" in tw_att["error"]
    assert fake_att["channel"] == "fake" and fake_att["status"] == "delivered"


def test_failed_with_account_error_is_failed(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    assert tw.callback(d.hook, sid, "failed", error_code=30002)[0] == 200
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "30002"
    assert "account suspended" in m["reason"]


def test_wrong_or_missing_signature_is_rejected_and_changes_nothing(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    fields = tw.callback_fields(sid, "undelivered", 30005)
    # Signed with another token; signed for other fields; for another URL; no header.
    assert tw.callback(d.hook, sid, "undelivered", 30005, token="not-the-token")[0] == 403
    forged = twilio_signature(TOKEN, d.hook, tw.callback_fields(sid, "delivered"))
    assert tw.callback(d.hook, sid, "undelivered", 30005, signature=forged)[0] == 403
    other = twilio_signature(TOKEN, d.http + "/hooks/other", fields)
    assert tw.callback(d.hook, sid, "undelivered", 30005, signature=other)[0] == 403
    assert tw.callback(d.hook, sid, "undelivered", 30005, signature="")[0] == 403
    # A field appended after signing breaks it too.
    sig = twilio_signature(TOKEN, d.hook, fields)
    assert post_form(d.hook, fields + [("Extra", "1")], {"X-Twilio-Signature": sig})[0] == 403
    m = d.status(mid)
    assert m["status"] == "accepted" and m["attempts"][0]["status"] == "accepted"
    log = d.log()
    assert log.count("status callback rejected with 403") == 5
    assert "missing X-Twilio-Signature" in log and "bad X-Twilio-Signature" in log
    # The genuine one still works.
    assert tw.callback(d.hook, sid, "delivered")[0] == 200
    d.wait_status(mid, "delivered")
    assert_no_secrets(d)


def test_duplicate_and_late_callbacks_are_idempotent(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    for _ in range(2):
        assert tw.callback(d.hook, sid, "delivered")[0] == 200
    d.wait_status(mid, "delivered")
    # Out of order: a late "sent" and a late "undelivered" cannot undo delivered.
    assert tw.callback(d.hook, sid, "sent")[0] == 200
    assert tw.callback(d.hook, sid, "undelivered", error_code=30003)[0] == 200
    time.sleep(0.2)
    m = d.status(mid)
    assert m["status"] == "delivered" and m["attempts"][0]["status"] == "delivered"
    assert [h["status"] for h in m["history"]].count("delivered") == 1


def test_malformed_callbacks_get_400_and_daemon_lives(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    good = tw.callback_fields(sid, "delivered")

    def signed(fields):
        return {"X-Twilio-Signature": twilio_signature(TOKEN, d.hook, fields)}

    # Not form encoding at all.
    assert post_form(d.hook, [], {"X-Twilio-Signature": "x"}, body=b"MessageSid=%zz")[0] == 400
    # Signed, but no MessageSid / no status / a status Twilio does not have / bad ErrorCode.
    no_sid = [(k, v) for k, v in good if k not in ("MessageSid", "SmsSid")]
    assert post_form(d.hook, no_sid, signed(no_sid))[0] == 400
    no_status = [(k, v) for k, v in good if k not in ("MessageStatus", "SmsStatus")]
    assert post_form(d.hook, no_status, signed(no_status))[0] == 400
    odd = [(k, "teleported" if k in ("MessageStatus", "SmsStatus") else v) for k, v in good]
    assert post_form(d.hook, odd, signed(odd))[0] == 400
    bad_code = good + [("ErrorCode", "30003; DROP")]
    assert post_form(d.hook, bad_code, signed(bad_code))[0] == 400
    # A GET, and a JSON body without its bodySHA256.
    assert post_form(d.hook, {}, signed([]), method="GET")[0] == 405
    assert post_form(d.hook, {}, dict(signed([]), **{"Content-Type": "application/json"}),
                     body=json.dumps(dict(good)).encode())[0] == 400
    assert d.ok("ping") is not None
    assert d.status(mid)["status"] == "accepted"
    assert tw.callback(d.hook, sid, "delivered")[0] == 200
    d.wait_status(mid, "delivered")


def test_json_callback_signed_with_body_hash(make_daemon, tmp_path, tw):
    import hashlib
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    body = json.dumps({"MessageSid": sid, "MessageStatus": "delivered"}).encode()
    url = d.hook + "?bodySHA256=" + hashlib.sha256(body).hexdigest()
    hdrs = {"Content-Type": "application/json",
            "X-Twilio-Signature": twilio_signature(TOKEN, url, [])}
    tampered = body.replace(b"delivered", b"undelivered")
    assert post_form(url, {}, hdrs, body=tampered)[0] == 403
    assert post_form(url, {}, hdrs, body=body)[0] == 200
    d.wait_status(mid, "delivered")


def test_callback_for_unknown_sid_answers_200(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    unknown = "SM" + "0" * 32
    assert tw.callback(d.hook, unknown, "delivered")[0] == 200
    wait_for(lambda: "unknown provider id" in d.log(), 5, what="unknown-id log line")


def test_429_and_5xx_are_retried_honouring_retry_after(make_daemon, tmp_path, tw):
    tw.script([(503, {"code": 20500, "message": "Internal Server Error",
                      "more_info": "https://www.twilio.com/docs/errors/20500", "status": 503}),
               (429, {"code": 20429, "message": "Too Many Requests",
                      "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429},
                {"Retry-After": "1"})])
    d = start(make_daemon, tmp_path, tw)
    mid, sid = accepted(d, tw)
    reqs = tw.requests
    assert [r["answer"] for r in reqs] == [503, 429, 201]
    assert reqs[0]["form"] == reqs[2]["form"]
    m = d.status(mid)
    assert m["attempts"][0]["tries"] == 3 and sid in tw.messages
    # The 503 waited the configured backoff (100ms); the 429 its Retry-After (1s).
    assert reqs[1]["t"] - reqs[0]["t"] < 0.8
    assert reqs[2]["t"] - reqs[1]["t"] >= 0.9
    assert [h["status"] for h in m["history"]] == [
        "queued", "sending", "queued", "sending", "queued", "sending", "accepted"]
    assert any("Too Many Requests" in (h["reason"] or "") for h in m["history"])


def test_invalid_to_is_undeliverable_and_auth_error_failed(make_daemon, tmp_path, tw):
    tw.script([(400, {"code": 21211, "message": "Invalid 'To' Phone Number: +5511999990001",
                      "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})])
    d = start(make_daemon, tmp_path, tw)
    mid = d.send()
    m = d.wait_status(mid, "undeliverable")
    assert m["attempts"][0]["error_code"] == "21211" and m["attempts"][0]["tries"] == 1
    assert "Invalid 'To' Phone Number" in m["reason"]
    d.stop()
    # A wrong auth token: Twilio's 401 with code 20003 is a configuration error, not retried.
    d2 = start(make_daemon, tmp_path, tw, token="wrong-token-123456")
    mid = d2.send()
    m = d2.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "20003" and m["attempts"][0]["tries"] == 1
    assert "wrong-token-123456" not in d2.log()


def test_messaging_service_validity_and_content_template(make_daemon, tmp_path, tw):
    mg = "MG" + "a" * 32
    hx = "HX" + "b" * 32
    d = start(make_daemon, tmp_path, tw, messaging_service_sid=mg, validity_period="10m")
    cfg = d.cfg
    del cfg["plugins"]["tw"]["from"]
    d.stop()
    d.write_config(cfg)
    d.start()
    mid, sid = accepted(d, tw)
    r = tw.requests[-1]
    assert sorted(r["form_multi"]) == sorted([
        ("To", TO), ("MessagingServiceSid", mg), ("Body", "your code is 1234"),
        ("StatusCallback", d.hook), ("ValidityPeriod", "600")])
    mid2, _ = accepted(d, tw, text=None, template=hx, vars={"1": "12/1", "2": "3pm"})
    f = tw.requests[-1]["form"]
    assert f["ContentSid"] == hx and json.loads(f["ContentVariables"]) == {"1": "12/1", "2": "3pm"}
    assert "Body" not in f


def test_config_errors_name_the_keys(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    d.stop()
    cfg = d.cfg
    cfg["plugins"]["tw"].update(account_sid="AC123", status_map={"sent": "teleported"},
                                validity_period="20h")
    del cfg["plugins"]["tw"]["auth_token"]
    d.write_config(cfg)
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 1
    # Every mistake at once, each at its position.
    for want in ("'account_sid' must be AC", "missing secret 'auth_token'",
                 "status_map 'sent': expected one of", "validity_period must be between"):
        assert re.search(re.escape(d.conf_path) + r":\d+:\d+: .*" + re.escape(want),
                         r.stderr), (want, r.stderr)


def test_incoming_messages_are_filed_once_and_forgeries_refused(make_daemon, tmp_path, tw):
    d = start(make_daemon, tmp_path, tw)
    code, body = tw.incoming(d.hook, "+5511999990001", "+15557122661", "Sim, confirmo",
                             "SM" + "c" * 32, media="https://api.twilio.com/media/ME1")
    assert code == 200 and "<Response></Response>" in body, (code, body)
    # Twilio retries what it thinks failed: filed once.
    assert tw.incoming(d.hook, "+5511999990001", "+15557122661", "Sim, confirmo",
                       "SM" + "c" * 32)[0] == 200
    # Signed with another token: refused, nothing filed.
    assert tw.incoming(d.hook, "+5511999990009", "+15557122661", "forged",
                       "SM" + "d" * 32, token="not-the-token")[0] == 403
    [item] = d.ok("folder.list", {"folder": "inbox"})["items"]
    assert (item["from"], item["to"], item["text"], item["media"], item["channel_type"]) == (
        "+5511999990001", "+15557122661", "Sim, confirmo", "https://api.twilio.com/media/ME1",
        "sms")
    assert d.ok("contact.show", {"id": item["contact"]})["identities"] == [
        {"kind": "phone", "value": "+5511999990001"}]
