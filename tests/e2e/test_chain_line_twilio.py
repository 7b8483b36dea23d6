"""The gateway's flagship chain end to end: LINE Push, then LINE
Notification Messages, then SMS through Twilio, each against its test
double (mock_line.MockLine, mock_providers.MockTwilio), with receipts
replayed signed as each provider signs them."""
import base64

import pytest

from conftest import wait_for
from mock_line import MockLine, phone_hash
from mock_providers import MockTwilio

LINE_TOKEN = "line-channel-access-token-123"
LINE_SECRET = "line-channel-secret-456"
ACCOUNT = "AC" + "fedcba9876543210" * 2
TW_TOKEN = "chainTwilioToken-0a1b2c3d4e5f"
USER = "U" + "3" * 32
NUM_PUSH = "+5511999990001"    # a LINE user the push table knows
NUM_PNP = "+5511999990002"     # on LINE by phone number only
NUM_SMS = "+5511999990003"     # not on LINE at all


@pytest.fixture
def providers():
    line = MockLine(LINE_TOKEN, on_line=[NUM_PUSH, NUM_PNP]).start()
    tw = MockTwilio(ACCOUNT, TW_TOKEN).start()
    yield line, tw
    line.stop()
    tw.stop()
    assert line.violations == [], line.violations
    assert tw.spec_errors == [], tw.spec_errors


def chain_daemon(make_daemon, tmp_path, line, tw, notify_fallback="10m"):
    for name, value in (("line.token", LINE_TOKEN), ("line.secret", LINE_SECRET),
                        ("twilio.token", TW_TOKEN)):
        (tmp_path / name).write_text(value + "\n")
    tok = {"file": str(tmp_path / "line.token")}
    plugins = {
        "push": {"module": "line_push", "base_url": line.url, "channel_access_token": tok,
                 "users": {NUM_PUSH: USER}},
        "notify": {"module": "line_notify", "base_url": line.url, "channel_access_token": tok,
                   "channel_secret": {"file": str(tmp_path / "line.secret")}},
        "sms": {"module": "twilio", "base_url": tw.url, "account_sid": ACCOUNT,
                "auth_token": {"file": str(tmp_path / "twilio.token")}, "from": "+15557122661"},
    }
    chains = {"default": [{"channel": "push"},
                          {"channel": "notify", "fallback_after": notify_fallback},
                          {"channel": "sms"}]}
    d = make_daemon(plugins=plugins, chains=chains)
    d.hook = lambda name: d.http + "/hooks/" + name
    return d


def steps(m):
    return [(a["channel"], a["status"]) for a in m["attempts"]]


def no_secrets(d):
    log = d.log()
    for s in (LINE_TOKEN, LINE_SECRET, TW_TOKEN,
              base64.b64encode(f"{ACCOUNT}:{TW_TOKEN}".encode()).decode()):
        assert s not in log


def test_line_user_gets_push_and_nothing_else(make_daemon, tmp_path, providers):
    line, tw = providers
    d = chain_daemon(make_daemon, tmp_path, line, tw)
    m = d.wait_status(d.send(to=NUM_PUSH, text="code 1234"), "delivered")
    assert steps(m) == [("push", "delivered")]
    assert [r["path"] for r in line.requests] == ["/v2/bot/message/push"]
    assert tw.requests == []


def test_not_on_line_falls_through_to_twilio_sms(make_daemon, tmp_path, providers):
    line, tw = providers
    d = chain_daemon(make_daemon, tmp_path, line, tw)
    mid = d.send(to=NUM_SMS, text="code 5678")
    m = d.wait_status(mid, "accepted")
    wait_for(lambda: len(d.status(mid)["attempts"]) == 3, what="the SMS step")
    m = d.wait_status(mid, "accepted")
    # Push knows no user for the number (no request); PNP answers 422; SMS takes it.
    assert steps(m) == [("push", "undeliverable"), ("notify", "undeliverable"),
                        ("sms", "accepted")]
    assert [r["path"] for r in line.requests] == ["/bot/pnp/push"]
    assert line.requests[0]["json"]["to"] == phone_hash(NUM_SMS)
    [r] = tw.requests
    assert sorted(r["form_multi"]) == sorted([
        ("To", NUM_SMS), ("From", "+15557122661"), ("Body", "code 5678"),
        ("StatusCallback", d.hook("sms"))])
    sid = m["attempts"][2]["provider_id"]
    assert tw.callback(d.hook("sms"), sid, "delivered")[0] == 200
    m = d.wait_status(mid, "delivered")
    assert steps(m) == [("push", "undeliverable"), ("notify", "undeliverable"),
                        ("sms", "delivered")]
    no_secrets(d)


def test_pnp_without_completion_falls_back_to_sms_then_late_event_is_recorded(
        make_daemon, tmp_path, providers):
    line, tw = providers
    d = chain_daemon(make_daemon, tmp_path, line, tw)
    mid = d.send(to=NUM_PNP, text="your parcel is here")
    m = d.wait_status(mid, "accepted")
    wait_for(lambda: len(d.status(mid)["attempts"]) == 2, what="the PNP step")
    m = d.wait_status(mid, "accepted")
    tag = m["attempts"][1]["provider_id"]
    assert tw.requests == []
    # No completion event within fallback_after: the SMS step starts.
    d.ok("clock.advance", {"ms": 11 * 60 * 1000})
    wait_for(lambda: len(tw.requests) == 1, what="the SMS request")
    m = wait_for(lambda: (lambda x: x if len(x["attempts"]) == 3 and
                          x["attempts"][2]["status"] == "accepted" else None)(d.status(mid)),
                 what="the SMS attempt accepted")
    sid = m["attempts"][2]["provider_id"]
    assert tw.callback(d.hook("sms"), sid, "delivered")[0] == 200
    m = d.wait_status(mid, "delivered")
    assert steps(m) == [("push", "undeliverable"), ("notify", "accepted"), ("sms", "delivered")]
    # LINE's completion event arrives late: recorded on its attempt; one SMS was sent.
    assert line.delivery_event(d.hook("notify"), LINE_SECRET, tag) == (200, "OK")
    m = wait_for(lambda: (lambda x: x if x["attempts"][1]["status"] == "delivered" else None)(
        d.status(mid)), what="the late LINE receipt")
    assert m["status"] == "delivered" and len(tw.requests) == 1
    no_secrets(d)


def test_every_step_failing_makes_the_message_undeliverable(make_daemon, tmp_path, providers):
    line, tw = providers
    d = chain_daemon(make_daemon, tmp_path, line, tw)
    mid = d.send(to=NUM_SMS)
    # Accepted, not only sending: while sending, its provider id is our attempt key.
    wait_for(lambda: len(d.status(mid)["attempts"]) == 3 and
             d.status(mid)["attempts"][2]["status"] == "accepted", what="the SMS step accepted")
    sid = d.status(mid)["attempts"][2]["provider_id"]
    # A forged callback first: refused, nothing moves.
    assert tw.callback(d.hook("sms"), sid, "undelivered", 30006, token="forged")[0] == 403
    assert d.status(mid)["status"] == "accepted"
    assert tw.callback(d.hook("sms"), sid, "undelivered", 30006)[0] == 200
    m = d.wait_status(mid, "undeliverable")
    assert steps(m) == [("push", "undeliverable"), ("notify", "undeliverable"),
                        ("sms", "undeliverable")]
    assert m["attempts"][2]["error_code"] == "30006"
