"""The engine's timers in real time, on a quiet daemon without -T: each
stored time (send_at, a retry's next try, fallback_after, a receipt poll,
the validity end, the end of an allowed-hours wait, a rate limit's next
token) is honoured on its own, with no other event to wake the daemon.

Lateness is measured from the daemon's own stored timestamps (one query),
never from when the test happened to look. The engine fires within a few
milliseconds on an idle daemon; the bound asserted, LATE, leaves room for
a sanitizer build on a loaded machine.
"""
import datetime
import os
import time

from conftest import wait_for

LATE = 0.3  # seconds


def ts(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def iso_in(seconds):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return at.isoformat(timespec="milliseconds")


def history_at(m, status):
    return [ts(h["at"]) for h in m["history"] if h["status"] == status]


def test_send_at_fires_on_time(make_daemon):
    d = make_daemon(test_clock=False)
    mid = d.send(at=iso_in(1.5))
    assert d.status(mid)["status"] == "scheduled"
    m = d.wait_status(mid, "delivered", timeout=10)
    late = ts(m["attempts"][0]["sent"]) - ts(m["send_at"])
    assert 0 <= late < LATE, late


def test_retry_fires_on_time(make_daemon):
    # Retries at 100 ms, then 200 ms (retry: initial 100ms, multiplier 2, no jitter).
    d = make_daemon(test_clock=False,
                    plugins={"fake": {"module": "test", "behaviour": "temporary"}})
    mid = d.send()
    m = d.wait_status(mid, "failed", timeout=10)
    assert m["attempts"][0]["tries"] == 3
    sends = history_at(m, "sending")
    queued = history_at(m, "queued")[1:]  # the retries' queued rows
    assert len(sends) == 3 and len(queued) == 2
    for q, s, want in zip(queued, sends[1:], (0.1, 0.2)):
        assert want <= s - q + 0.002 < want + LATE, (q, s, want)


def test_fallback_after_fires_on_a_quiet_daemon(make_daemon):
    d = make_daemon(test_clock=False,
                    plugins={"a": {"module": "test", "behaviour": "accept"},
                             "b": {"module": "test", "behaviour": "deliver",
                                   "receipt_after": "10ms"}},
                    chains={"default": [{"channel": "a", "fallback_after": "1s"},
                                        {"channel": "b"}]})
    mid = d.send()
    m = d.wait_status(mid, "delivered", timeout=10)
    a, b = m["attempts"]
    assert (a["channel"], b["channel"]) == ("a", "b")
    late = ts(b["created"]) - (ts(a["accepted"]) + 1.0)
    assert 0 <= late + 0.002 < LATE, late
    assert "no delivery receipt from a within fallback_after" in str(m["history"])


def test_receipt_polls_fire_on_a_quiet_daemon(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(test_clock=False, plugins={"fake": {
        "module": "test", "behaviour": "accept", "record": record, "poll_pending": 2,
        "poll": {"intervals": ["500ms"], "until": "1m"}}})
    mid = d.send()
    m = d.wait_status(mid, "delivered", timeout=10)
    # Two "still accepted" answers, then delivered: polls at 0.5, 1.0, 1.5 s.
    polls = [l for l in open(record) if l.startswith("POLL ")]
    assert len(polls) == 3
    late = ts(m["attempts"][0]["final"]) - (ts(m["attempts"][0]["accepted"]) + 1.5)
    assert 0 <= late + 0.002 < LATE, late


def test_validity_end_fires_on_a_quiet_daemon(make_daemon):
    d = make_daemon(test_clock=False,
                    plugins={"fake": {"module": "test", "behaviour": "accept"}})
    d.cfg["validity"] = "1500ms"
    d.write_config(d.cfg)
    d.ok("config.reload")
    mid = d.send()
    m = d.wait_status(mid, "expired", timeout=10)
    late = history_at(m, "expired")[0] - ts(m["expires"])
    assert 0 <= late + 0.002 < LATE, late


def test_allowed_hours_wait_ends_on_time(make_daemon):
    """The window opens at the next whole minute (hours have minute
    resolution), so this test waits up to a minute."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if now.second >= 57:  # too close to the boundary to set a closed window
        time.sleep(60 - now.second + 0.2)
        now = datetime.datetime.now(datetime.timezone.utc)
    opens = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
    window = f"{opens:%H:%M}-{opens + datetime.timedelta(minutes=30):%H:%M}"
    d = make_daemon(test_clock=False, start=False)
    sub = d.cfg["subaccounts"]["acme"]
    sub["allowed_hours"] = {"mon-sun": window}
    d.write_config(d.cfg)
    d.start()
    mid = d.send()
    m = d.status(mid)
    assert m["status"] == "scheduled" and ts(m["send_at"]) == opens.timestamp(), m
    m = d.wait_status(mid, "delivered", timeout=75)
    late = ts(m["attempts"][0]["sent"]) - opens.timestamp()
    assert 0 <= late < LATE, late


def test_rate_limit_token_wakes_a_quiet_daemon(make_daemon):
    d = make_daemon(test_clock=False,
                    plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "5ms", "rate": 4, "burst": 1}})
    ids = [d.send(text=f"m{i}") for i in range(5)]
    for mid in ids:
        d.wait_status(mid, "delivered", timeout=10)
    sent = sorted(ts(d.status(mid)["attempts"][0]["sent"]) for mid in ids)
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    # One token each 250 ms, each taken when it comes.
    assert all(0.25 - 0.01 <= g < 0.25 + LATE for g in gaps), gaps
