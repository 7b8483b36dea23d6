"""The delivery engine end to end: receipt polling (count and spacing),
expiry, rate limits per instance and per subaccount, and crash recovery
(kill -9 in the middle of 1000 messages, scheduled messages, and every
way a `sending` attempt is resolved).

Hours of polling and validity pass in seconds with `clock.advance` (the
daemon runs with -T). The test plugin records what it really sends (SENT),
what it swallowed as a repeat of an idempotency key (DUP) and each poll
(POLL), so the tests count what a provider would have seen.
"""
import copy
import datetime
import json
import os
import sqlite3
import time
import urllib.request

from conftest import wait_for

MIN = 60000
HOUR = 60 * MIN


def advance(d, ms):
    d.ok("clock.advance", {"ms": int(ms)})


def record_lines(record, kind):
    if not os.path.exists(record):
        return []
    with open(record) as f:
        return [l.split() for l in f if l.startswith(kind + " ")]


def polls(record):
    return record_lines(record, "POLL")


def ts(iso):
    """ISO 8601 with milliseconds and Z, as the daemon writes it -> seconds."""
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def sent_times(d, ids):
    return sorted(ts(d.status(mid)["attempts"][0]["sent"]) for mid in ids)


def still(pred, seconds=0.3):
    """pred() holds for a while (a bounded check that nothing happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert pred()
        time.sleep(0.02)


def committed(d, mid):
    """The message's status as committed to the database (what a crash keeps)."""
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    try:
        return db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0]
    finally:
        db.close()


def hook(d, instance, body):
    req = urllib.request.Request(f"{d.http}/hooks/{instance}", data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


# ---- receipt polling and expiry ----

def test_poll_schedule_count_and_spacing_then_expiry(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(plugins={"fake": {
        "module": "test", "behaviour": "accept", "record": record, "poll_pending": 1000,
        "poll": {"intervals": ["1m", "5m"], "until": "30m"}}})
    mid = d.send()
    d.wait_status(mid, "accepted")
    assert d.status(mid)["attempts"][0]["next_poll"] is not None
    # 1m, then every 5m (the last interval repeats), the last one at `until`.
    offsets = [1, 6, 11, 16, 21, 26, 30]
    at = 0
    for i, off in enumerate(offsets):
        advance(d, off * MIN - 10000 - at)  # ten seconds before the poll is due
        at = off * MIN - 10000
        still(lambda: len(polls(record)) == i)
        advance(d, 10000)
        at += 10000
        wait_for(lambda: len(polls(record)) == i + 1, 5, what=f"poll {i + 1} at {off} min")
    # Nothing after `until`; the attempt says how many polls it had.
    advance(d, 59 * MIN - at)
    still(lambda: len(polls(record)) == len(offsets))
    att = d.status(mid)["attempts"][0]
    assert att["polls"] == len(offsets) and att["next_poll"] is None
    assert d.status(mid)["status"] == "accepted"
    assert all(p[1] == att["provider_id"] for p in polls(record))
    # No final receipt within the validity (1h): expired, with the reason.
    advance(d, 2 * MIN)
    m = d.wait_status(mid, "expired")
    assert m["attempts"][0]["status"] == "expired"
    assert "no final receipt from fake within the validity period" in m["reason"]
    assert len(polls(record)) == len(offsets)


def test_poll_stops_at_a_final_answer_which_moves_the_chain(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(
        plugins={"a": {"module": "test", "behaviour": "accept", "record": record,
                       "poll_pending": 2, "poll_result": "undeliverable",
                       "poll": {"intervals": ["1m"]}},
                 "b": {"module": "test", "behaviour": "deliver", "receipt_after": "5ms"}},
        chains={"default": [{"channel": "a"}, {"channel": "b"}]})
    mid = d.send()
    d.wait_status(mid, "accepted")
    for n in (1, 2):
        advance(d, MIN)
        wait_for(lambda: len(polls(record)) == n, 5, what=f"poll {n}")
        time.sleep(0.1)
        assert d.status(mid)["status"] == "accepted"  # "still in progress"
    advance(d, MIN)
    m = d.wait_status(mid, "delivered")
    assert [a["status"] for a in m["attempts"]] == ["undeliverable", "delivered"]
    assert any("undeliverable via a" in (h["reason"] or "") for h in m["history"])
    advance(d, 30 * MIN)
    still(lambda: len(polls(record)) == 3)


def test_webhook_channel_is_not_polled_and_a_late_receipt_is_kept_on_the_attempt(make_daemon,
                                                                               tmp_path):
    record = str(tmp_path / "rec.log")
    # The test channel takes webhooks too: without a `poll:` section it is not polled.
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "accept", "record": record}})
    mid = d.send()
    m = d.wait_status(mid, "accepted")
    assert m["attempts"][0]["next_poll"] is None
    advance(d, 59 * MIN)
    still(lambda: d.status(mid)["status"] == "accepted")
    advance(d, 2 * MIN)
    m = d.wait_status(mid, "expired")
    assert polls(record) == []
    # A final message never changes again (but delivered -> read): a receipt
    # after the validity period is the attempt's record, and the history says so.
    assert hook(d, "fake", f"id={m['attempts'][0]['provider_id']}&status=delivered") == 200
    m = wait_for(lambda: (lambda x: x if x["attempts"][0]["status"] == "delivered" else None)(
        d.status(mid)), what="the late receipt on the attempt")
    assert m["status"] == "expired"
    assert m["history"][-1]["reason"] == \
        "a receipt came after the validity period; the message stays expired"


def test_bad_poll_and_rate_settings_are_refused_and_the_old_config_stays(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver", "record": record}})
    good = copy.deepcopy(d.cfg)
    bad = copy.deepcopy(good)
    bad["plugins"]["fake"]["poll"] = {"intervals": ["1m", "soon"], "every": "5m"}
    bad["subaccounts"]["acme"]["burst"] = 0
    d.write_config(bad)
    r = d.request("config.reload")
    assert not r["ok"] and r["error"]["code"] == "config_invalid", r
    msg = r["error"]["message"]
    assert "bad poll interval 'soon'" in msg and "unknown key 'every' in plugins.fake.poll" in msg
    assert "bad value 0 for 'burst'" in msg
    # A plugin's own poll setting, judged by the plugin.
    bad = copy.deepcopy(good)
    bad["plugins"]["fake"]["poll_result"] = "maybe"
    d.write_config(bad)
    r = d.request("config.reload")
    assert not r["ok"] and "unknown poll_result 'maybe'" in r["error"]["message"], r
    # Nothing changed: messages still flow, nobody polls.
    mid = d.send()
    d.wait_status(mid, "delivered")
    assert polls(record) == [] and d.status(mid)["attempts"][0]["polls"] == 0


def metric(d, sample):
    """The value of one sample of /metrics (its name and labels, exactly), or 0."""
    with urllib.request.urlopen(d.http + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(sample + " "):
                return int(float(line.split()[-1]))
    return 0


def test_queued_past_validity_expire_without_being_sent(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "hang", "record": record,
                                      "max_in_flight": 1}})
    ids = [d.send(text=f"m{i}") for i in range(3)]
    d.wait_status(ids[0], "sending")
    still(lambda: [d.status(i)["status"] for i in ids[1:]] == ["queued", "queued"], 0.2)
    # The gauge counts them as they were written (store_qdepth.c).
    assert metric(d, 'sb_queue_depth{instance="fake"}') == 2
    advance(d, HOUR + MIN)
    for mid in ids[1:]:
        m = d.wait_status(mid, "expired")
        assert m["reason"] == "validity ended before it could be sent"
        assert m["attempts"][0]["status"] == "expired"
    assert metric(d, 'sb_queue_depth{instance="fake"}') == 0
    # The one in flight waits for its answer: the provider may have it.
    assert d.status(ids[0])["status"] == "sending"


# ---- the direct start ----

def direct_starts(d, instance="fake"):
    return metric(d, f'sb_direct_starts_total{{instance="{instance}"}}')


def test_a_free_slot_starts_a_message_at_once_a_taken_one_queues_it_in_order(make_daemon,
                                                                              tmp_path):
    """A message whose channel has a free slot and nothing queued is stored
    `sending` with its acknowledgement (the direct start: no queued row, no
    mark of its own; test_engine.c checks the decision); one that finds the
    slot taken waits in the queue, and the next waits behind it. The
    carrier sees them in the order they came, and every history reads as
    the pump's would."""
    record = str(tmp_path / "rec.log")
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "answer_after": "1s", "receipt_after": "5ms",
                                      "record": record, "max_in_flight": 1}})
    first = d.send(text="m0")
    # Acknowledged means committed, and the direct start is in that commit
    # (counted: a pass in the same group would have marked it too).
    assert committed(d, first) == "sending"
    assert direct_starts(d) == 1
    rest = [d.send(text=f"m{i}") for i in (1, 2)]
    assert [committed(d, mid) for mid in rest] == ["queued", "queued"]
    assert direct_starts(d) == 1
    for mid in [first] + rest:
        m = d.wait_status(mid, "delivered", timeout=10)
        assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted",
                                                       "delivered"]
        assert {h["attempt"] for h in m["history"]} == {m["attempts"][0]["id"]}
        assert m["attempts"][0]["tries"] == 1
    assert [l[3] for l in record_lines(record, "SENT")] == ["m0", "m1", "m2"]


def test_a_subaccount_limit_lets_a_message_start_at_once_within_it(make_daemon, tmp_path):
    """A subaccount with an in-flight limit and a rate still gets the direct
    start while it is within both (in real time, no test clock); past its
    limit the next message waits in the queue though the instance has free
    slots, and goes once the first is answered."""
    record = str(tmp_path / "rec.log")
    subs = {"acme": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                     "max_in_flight": 1, "rate": 100, "burst": 5,
                     "api_keys": ["sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"]}}
    d = make_daemon(test_clock=False, subaccounts=subs,
                    plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "answer_after": "500ms", "receipt_after": "5ms",
                                      "record": record, "max_in_flight": 10}})
    first = d.send(text="m0")
    assert committed(d, first) == "sending"
    assert direct_starts(d) == 1
    second = d.send(text="m1")
    # Its subaccount has one send in flight: queued, not started.
    assert committed(d, second) == "queued"
    assert direct_starts(d) == 1
    for mid in (first, second):
        m = d.wait_status(mid, "delivered", timeout=10)
        assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted",
                                                       "delivered"]
    assert [l[3] for l in record_lines(record, "SENT")] == ["m0", "m1"]
    # The answer to m1 ran a pass (before its receipt, due 5 ms later) that
    # found the queue drained and nothing in flight: the next starts at once.
    assert committed(d, d.send(text="m2")) == "sending"
    assert direct_starts(d) == 2


# ---- rate limits ----

def test_instance_rate_limit_holds_the_rate_within_10_percent(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "5ms", "rate": 20, "burst": 1}})
    ids = [d.send(text=f"m{i}") for i in range(60)]
    for mid in ids:
        d.wait_status(mid, "delivered", timeout=15)
    t = sent_times(d, ids)
    rate = (len(t) - 1) / (t[-1] - t[0])
    assert 18.0 <= rate <= 22.0, rate
    # Evenly spread, not bursts: no gap far below the 50 ms period.
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert min(gaps) >= 0.040, min(gaps)


def submit_batch(d, n, text="batch"):
    body = json.dumps({"to": [f"+55119{i:08d}" for i in range(n)], "text": text}).encode()
    req = urllib.request.Request(d.http + "/v1/messages", data=body, method="POST")
    req.add_header("Authorization", "Bearer test-key")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 202
        return [m["id"] for m in json.loads(r.read())["messages"]]


def test_instance_burst_then_rate(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "5ms", "rate": 20}})
    ids = submit_batch(d, 60)  # all at once: the burst goes first
    for mid in ids:
        d.wait_status(mid, "delivered", timeout=15)
    t = sent_times(d, ids)
    # The bucket starts full (burst = one second's worth), then refills at the rate.
    rate = (len(t) - 21) / (t[-1] - t[20])
    assert 18.0 <= rate <= 22.0, rate
    assert t[-1] - t[0] >= 1.8


def test_subaccount_rate_limit_holds_its_rate_and_does_not_hold_others(make_daemon):
    subs = {
        "slow": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                 "rate": 10, "burst": 1,
                 "api_keys": ["sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"]},
        "fast": {"timezone": "UTC", "chains": ["default"], "default_country": "55"},
    }
    d = make_daemon(subaccounts=subs,
                    plugins={"fake": {"module": "test", "behaviour": "deliver", "receipt_after": "5ms"}})
    slow = [d.send(text=f"s{i}", subaccount="slow") for i in range(30)]
    fast = [d.send(text=f"f{i}", subaccount="fast") for i in range(30)]
    for mid in fast:
        m = d.wait_status(mid, "delivered", timeout=5)
        # Not queued behind the throttled subaccount's older messages.
        assert ts(m["attempts"][0]["sent"]) - ts(m["created"]) < 0.5, m
    assert sum(d.status(mid)["status"] == "delivered" for mid in slow) < 30
    for mid in slow:
        d.wait_status(mid, "delivered", timeout=15)
    t = sent_times(d, slow)
    rate = (len(t) - 1) / (t[-1] - t[0])
    assert 9.0 <= rate <= 11.0, rate


def test_subaccount_in_flight_limit_across_channels(make_daemon):
    """subaccounts.X.max_in_flight bounds the sends of that subaccount that
    await an answer, over all its channels; the others are not held."""
    subs = {
        "capped": {"timezone": "UTC", "chains": ["default", "other"], "default_country": "55",
                   "max_in_flight": 2,
                   "api_keys": ["sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"]},
        "free": {"timezone": "UTC", "chains": ["default"], "default_country": "55"},
    }
    d = make_daemon(subaccounts=subs, chains={"default": [{"channel": "fake"}],
                                              "other": [{"channel": "fake2"}]},
                    plugins={"fake": {"module": "test", "behaviour": "accept", "answer_after": "300ms"},
                             "fake2": {"module": "test", "behaviour": "accept",
                                       "answer_after": "300ms"}})
    capped = [d.send(text=f"c{i}", subaccount="capped", chain="default" if i % 2 else "other")
              for i in range(6)]
    free = [d.send(text=f"f{i}", subaccount="free") for i in range(6)]
    for mid in capped + free:
        d.wait_status(mid, "accepted")
    # The peak from the stored times of each send (a snapshot, not samples):
    # in flight from `sent` to `accepted`; an answer frees its slot before a
    # send stamped in the same millisecond takes it.
    events = []
    for mid in capped:
        a = d.status(mid)["attempts"][0]
        events += [(ts(a["sent"]), 1), (ts(a["accepted"]), -1)]
    peak = cur = 0
    for _, delta in sorted(events):
        cur += delta
        peak = max(peak, cur)
    assert peak == 2, events


# ---- crash recovery ----

def test_kill9_in_the_middle_of_1000_messages(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    plugins = {"fake": {"module": "test", "behaviour": "deliver", "answer_after": "5ms",
                        "receipt_after": "5ms", "record": record, "rate": 400, "burst": 1,
                        "max_in_flight": 32,
                        # A receipt lost with the process is asked for after the restart.
                        "poll": {"intervals": ["200ms"], "until": "1h"}}}
    d = make_daemon(plugins=plugins)
    ids = submit_batch(d, 1000, "run")
    assert len(ids) == 1000
    wait_for(lambda: len(record_lines(record, "SENT")) >= 300, 20, what="300 sends")
    d.kill9()
    before = len(record_lines(record, "SENT"))
    assert before < 1000, "the run ended before the kill; nothing was tested"
    d.start()

    def delivered():
        return len(d.ok("message.list", {"status": "delivered", "limit": 1000})["messages"])
    wait_for(lambda: delivered() == 1000, 60, interval=0.2, what="all 1000 delivered")
    sent = [l[1] for l in record_lines(record, "SENT")]
    assert len(sent) == len(set(sent)) == 1000, "a message was sent twice or not at all"


def test_scheduled_stay_scheduled_across_kill9(make_daemon):
    d = make_daemon()
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    at_s = at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    ids = [d.ok("message.send", {"to": "+5511999990001", "text": f"later {i}", "at": at_s})["id"]
           for i in range(3)]
    now_id = d.send(text="now")
    d.wait_status(now_id, "delivered")
    d.kill9()
    d.start()
    for mid in ids:
        assert d.status(mid)["status"] == "scheduled"
    still(lambda: all(d.status(mid)["status"] == "scheduled" for mid in ids), 0.2)
    advance(d, HOUR + 5000)
    for mid in ids:
        d.wait_status(mid, "delivered")


def test_poll_and_fallback_timers_resume_after_kill9(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(
        plugins={"a": {"module": "test", "behaviour": "accept", "record": record,
                       "poll_pending": 1000, "poll": {"intervals": ["10m"]}},
                 "b": {"module": "test", "behaviour": "deliver", "receipt_after": "5ms"}},
        chains={"default": [{"channel": "a", "fallback_after": "30m"}, {"channel": "b"}]})
    mid = d.send()
    d.wait_status(mid, "accepted")
    wait_for(lambda: committed(d, mid) == "accepted", what="the acceptance to be durable")
    advance(d, 5 * MIN)
    d.kill9()
    d.start()
    advance(d, 5 * MIN)  # the test clock offset died with the process: back to +5m
    advance(d, 5 * MIN - 10000)
    still(lambda: polls(record) == [])
    advance(d, 10000)
    wait_for(lambda: len(polls(record)) == 1, 5, what="the stored poll time")
    advance(d, 19 * MIN)
    wait_for(lambda: len(polls(record)) == 2, 5, what="the poll at 20 min")
    still(lambda: d.status(mid)["status"] == "accepted")
    advance(d, MIN)  # 30 min: the stored fallback time (and the third poll)
    m = d.wait_status(mid, "delivered")
    assert [a["channel"] for a in m["attempts"]] == ["a", "b"]
    assert m["attempts"][0]["provider_id"] == "test-1"  # sent once, before the crash
    # The message is final: its first step's attempt is not polled any more.
    advance(d, 30 * MIN)
    still(lambda: len(polls(record)) == 3)


def test_sending_attempts_resolved_each_way_after_a_crash(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(
        plugins={"fake": {"module": "test", "behaviour": "accept", "record": record,
                          "poll": {"intervals": ["1h"]}},
                 # A generic carrier: no idempotency key, no polling.
                 "sms": {"module": "http_sms", "url": "http://127.0.0.1:9/sms"}},
        chains={"default": [{"channel": "fake"}], "sms": [{"channel": "sms"}]})
    ids = [d.send(text=f"m{i}") for i in range(3)]
    for mid in ids:
        d.wait_status(mid, "accepted")
        wait_for(lambda: committed(d, mid) == "accepted", what="the acceptance to be durable")
    assert len(record_lines(record, "SENT")) == 3
    d.kill9()
    # Put the database where a crash mid-send leaves it.
    db = sqlite3.connect(str(tmp_path / "sb.db"))
    with db:
        db.execute("UPDATE messages SET status = 'sending' WHERE id IN (?, ?, ?)", ids)
        # 1: the provider had given an id, and the channel is polled: ask it.
        db.execute("UPDATE attempts SET status = 'sending' WHERE message_id = ?", (ids[0],))
        # 2: no provider id, idempotent channel: re-send with the same key.
        db.execute("UPDATE attempts SET status = 'sending', provider_id = NULL"
                   " WHERE message_id = ?", (ids[1],))
        # 3: a channel without idempotency keys: do not guess.
        db.execute("UPDATE attempts SET status = 'sending', provider_id = NULL, instance = 'sms'"
                   " WHERE message_id = ?", (ids[2],))
    db.close()
    d.start()

    m = d.wait_status(ids[0], "delivered")
    assert any((h["reason"] or "").startswith("restart: asking the provider") for h in m["history"])
    assert [p[1] for p in polls(record)] == [m["attempts"][0]["provider_id"]]

    m = d.wait_status(ids[1], "accepted")
    assert any((h["reason"] or "").startswith("restart: re-sending") for h in m["history"])
    key = [l[1] for l in record_lines(record, "SENT") if l[3] == "m1"]
    assert len(key) == 1 and [l[1] for l in record_lines(record, "DUP")] == key

    m = d.wait_status(ids[2], "failed")
    assert m["reason"].startswith("review: the daemon stopped while sending")
    assert len(record_lines(record, "SENT")) == 3
