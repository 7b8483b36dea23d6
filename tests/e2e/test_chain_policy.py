"""Chain step policies end to end: an undeliverable answer either starts
the next step at once (`on_undeliverable: next`) or waits out the step's
`fallback_after` first (`wait`, as LINE notification messages do)."""
import os
import urllib.request

from conftest import wait_for


def chain_daemon(make_daemon, policy, fallback="2h"):
    return make_daemon(plugins={
        "line": {"module": "test", "behaviour": "undeliverable"},
        "sms": {"module": "test", "behaviour": "deliver"},
    }, chains={"default": [
        {"channel": "line", "fallback_after": fallback, "on_undeliverable": policy},
        {"channel": "sms"},
    ]})


def test_wait_policy_holds_the_next_step_for_fallback_after(make_daemon):
    d = chain_daemon(make_daemon, "wait", fallback="30m")   # validity is 1h
    mid = d.send()
    m = d.wait_status(mid, "scheduled")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [("line", "undeliverable")]
    assert "on_undeliverable: wait" in m["reason"] and m["step"] == 1
    d.ok("clock.advance", {"ms": 20 * 60 * 1000})        # 20 minutes: still waiting
    d.ok("ping")
    assert d.status(mid)["status"] == "scheduled"
    d.ok("clock.advance", {"ms": 10 * 60 * 1000 + 1000})  # past 30 minutes
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("line", "undeliverable"), ("sms", "delivered")]


def test_next_policy_moves_on_at_once(make_daemon):
    d = chain_daemon(make_daemon, "next")
    m = d.wait_status(d.send(), "delivered")
    assert [a["channel"] for a in m["attempts"]] == ["line", "sms"]


def test_wait_past_validity_expires_instead(make_daemon):
    d = chain_daemon(make_daemon, "wait", fallback="2h")   # validity is 1h
    m = d.wait_status(d.send(), "expired")
    assert "validity ends before the next step" in m["reason"]


def test_late_receipt_settles_message_and_cancels_the_waiting_step(make_daemon, tmp_path):
    """A delivery receipt for step 1 that comes after step 2 was queued (here
    waiting for a retry) delivers the message once; step 2 is never sent."""
    record = str(tmp_path / "sms.log")
    d = make_daemon(start=False, plugins={
        "line": {"module": "test", "behaviour": "accept"},
        "sms": {"module": "test", "behaviour": "refuse", "record": record},
    }, chains={"default": [{"channel": "line", "fallback_after": "5m"}, {"channel": "sms"}]})
    d.cfg["retry"].update({"initial": "30s", "max": "30s"})
    d.write_config(d.cfg)
    d.start()
    mid = d.send()
    m = d.wait_status(mid, "accepted")
    pid = m["attempts"][0]["provider_id"]
    d.ok("clock.advance", {"ms": 5 * 60 * 1000 + 1000})   # no receipt: fallback to sms
    m = d.wait_status(mid, "queued")
    assert [a["channel"] for a in m["attempts"]] == ["line", "sms"]
    req = urllib.request.Request(d.http + "/hooks/line", data=f"id={pid}&status=delivered".encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200
    m = d.wait_status(mid, "delivered")
    d.ok("clock.advance", {"ms": 31 * 1000})              # the sms retry time comes
    m = d.wait_status(mid, "delivered")
    m = wait_for(lambda: (lambda m: m if m["attempts"][1]["status"] == "cancelled" else None)(
        d.status(mid)), what="the waiting sms attempt cancelled")
    assert m["attempts"][0]["status"] == "delivered"
    assert [h["status"] for h in m["history"]].count("delivered") == 1
    assert not os.path.exists(record) or "SENT" not in open(record).read()
