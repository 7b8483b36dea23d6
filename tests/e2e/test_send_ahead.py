"""Sends marked ahead (plugins.X.send_ahead), in real time: attempts are
marked `sending` before a slot frees, so a finished send is followed at
once by the next, yet the carrier never has more than max_in_flight
requests; one that waited is checked again before it goes (validity,
broadcast stop), a stop puts it back in the queue, and after kill -9 it is
in doubt like the sends in flight, never sent twice.

The test plugin records what it really sends (SENT key to text); the mock
carrier records each request with its arrival time."""
import datetime
import json
import os
import sqlite3
import urllib.error
import urllib.request

from conftest import wait_for
from mock_carrier import MockCarrier

UNSENT_REASON = ("not sent: put back in the queue (the daemon stopped, or its channel"
                 " instance was replaced)")

KEY = "test-key"


def ts(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def sent_texts(record):
    if not os.path.exists(record):
        return []
    with open(record) as f:
        return [l.split()[3] for l in f if l.startswith("SENT ")]


def committed(d, mid):
    db = sqlite3.connect(d.cfg["daemon"]["database"], timeout=10)
    try:
        return db.execute("SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0]
    finally:
        db.close()


def call(d, method, path, body=None):
    req = urllib.request.Request(f"{d.http}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def held_channel(record, **extra):
    """A channel that answers each send after 1 s, one send at a time."""
    ch = {"module": "test", "behaviour": "deliver", "answer_after": "1s",
          "receipt_after": "10ms", "record": record, "max_in_flight": 1, "send_ahead": 1}
    ch.update(extra)
    return {"fake": ch}


def sms_daemon(make_daemon, carrier, timeout):
    """http_sms to the mock carrier, two sends out and two marked ahead."""
    return make_daemon(test_clock=False, plugins={"sms": {
        "module": "http_sms", "url": carrier.url + "/sms", "timeout": timeout,
        "max_in_flight": 2, "send_ahead": 2, "params": {"to": "{to}", "text": "{text}"}}},
        chains={"default": [{"channel": "sms"}]})


def test_marked_ahead_but_never_more_than_max_in_flight_at_the_carrier(make_daemon):
    carrier = MockCarrier().start()
    try:
        carrier.script([("delay", 0.6, 200, {"message_id": f"m{i}"}) for i in range(6)])
        d = sms_daemon(make_daemon, carrier, "5s")
        ids = [d.send(text=f"m{i}") for i in range(6)]
        done = [d.wait_status(mid, "accepted", timeout=15) for mid in ids]
        at = sorted(r["at"] for r in carrier.requests)
        assert len(at) == 6, at
        # Two requests at a time: each pair goes out when the last is answered.
        for k in (2, 4):
            assert at[k] - at[k - 2] >= 0.55, at
            assert at[k + 1] - at[k] < 0.3, at
        # The third and fourth were marked `sending` while the first two were
        # still out (the stored times): their slot did not wait for a commit.
        first_answer = min(ts(m["attempts"][0]["accepted"]) for m in done[:2])
        for m in done[2:4]:
            assert ts(m["attempts"][0]["sent"]) < first_answer - 0.3, (m, first_answer)
        # The fifth could not be marked before a slot of the four was free.
        assert ts(done[4]["attempts"][0]["sent"]) >= first_answer - 0.05, done[4]
    finally:
        carrier.stop()


def test_a_crash_leaves_sends_marked_ahead_in_doubt_never_sent_twice(make_daemon):
    carrier = MockCarrier().start()
    try:
        carrier.script([("delay", 20, 200, {"message_id": f"m{i}"}) for i in range(2)])
        d = sms_daemon(make_daemon, carrier, "30s")
        ids = [d.send(text=f"m{i}") for i in range(6)]
        wait_for(lambda: len(carrier.requests) == 2, 10, what="two requests out")
        wait_for(lambda: [committed(d, m) for m in ids] == ["sending"] * 4 + ["queued"] * 2,
                 10, what="four sends marked on disk")
        d.kill9()
        d.start()
        # In doubt (http_sms has no idempotency key): review, the two that
        # went out and the two marked ahead alike; the queued ones go out.
        for mid in ids[:4]:
            m = d.wait_status(mid, "failed", timeout=15)
            assert m["reason"].startswith("review: the daemon stopped while sending"), m
        for mid in ids[4:]:
            d.wait_status(mid, "accepted", timeout=15)
        texts = sorted(r["form"].get("text") or r["query"].get("text") for r in carrier.requests)
        assert texts == ["m0", "m1", "m4", "m5"], texts
    finally:
        carrier.stop()


def test_a_send_that_waited_past_its_validity_expires_unsent(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(start=False, test_clock=False, plugins=held_channel(record))
    cfg = d.cfg
    cfg["validity"] = "500ms"
    d.write_config(cfg)
    d.start()
    first, held = d.send(text="first"), d.send(text="held")
    # Marked ahead at once; its validity ends while the first is out.
    assert d.wait_status(held, "sending", timeout=5)["attempts"][0]["status"] == "sending"
    m = d.wait_status(held, "expired", timeout=10)
    assert m["reason"] == "validity ended before it could be sent", m
    assert m["attempts"][0]["status"] == "expired"
    d.wait_status(first, ("accepted", "delivered", "expired"), timeout=10)
    assert sent_texts(record) == ["first"]


def test_a_send_that_waited_is_cancelled_with_its_stopped_broadcast(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(test_clock=False, plugins=held_channel(record))
    code, res = call(d, "POST", "/v1/messages",
                     {"to": ["+5511999990001", "+5511999990002", "+5511999990003"],
                      "text": "promo"})
    assert code == 202, res
    ids = [m["id"] for m in res["messages"]]
    wait_for(lambda: [committed(d, m) for m in ids] == ["sending", "sending", "queued"],
             5, what="one out, one marked ahead")
    code, res2 = call(d, "POST", "/v1/broadcasts/%d/stop" % res["broadcast"], {})
    assert code == 200, res2
    for mid in ids[1:]:
        m = d.wait_status(mid, "cancelled", timeout=10)
        assert m["reason"] == "broadcast stopped", m
        assert m["attempts"][0]["status"] == "cancelled", m
    d.wait_status(ids[0], "delivered", timeout=10)
    with open(record) as f:
        assert [l.split()[2] for l in f if l.startswith("SENT ")] == ["+5511999990001"]


def test_a_stop_puts_a_send_marked_ahead_back_in_the_queue(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(test_clock=False, plugins=held_channel(record))
    first, held = d.send(text="first"), d.send(text="held")
    wait_for(lambda: committed(d, held) == "sending", 5, what="the second marked ahead")
    # SIGTERM: the one marked ahead never went out; it goes back to the queue.
    assert d.stop() == 0
    assert committed(d, held) == "queued"
    assert sent_texts(record) == ["first"]
    d.start()
    m = d.wait_status(held, "delivered", timeout=10)
    assert ("queued", UNSENT_REASON) in [
        (h["status"], h["reason"]) for h in m["history"]], m["history"]
    d.wait_status(first, "delivered", timeout=10)
    assert sent_texts(record) == ["first", "held"]


def test_a_long_list_refused_at_once_is_handed_out_without_recursion(make_daemon, tmp_path):
    """1000 or more sends wait behind a slow one; when it is answered, each is
    refused by the plugin at once (its answer comes from inside the send):
    the list is walked in a loop, not one nested call per send."""
    record = str(tmp_path / "rec.log")
    d = make_daemon(test_clock=False, plugins=held_channel(
        record, answer_after="5s", send_ahead=2000))
    first = d.send(text="first")
    d.wait_status(first, "sending", timeout=5)
    ids = []
    for k in range(2):
        code, res = call(d, "POST", "/v1/messages", {
            "to": ["+55119%08d" % (k * 1000 + i) for i in range(1000)],
            "text": "#sb:refuse"})
        assert code == 202, res
        ids += [m["id"] for m in res["messages"]]
    # The list refills once half of it is free: a thousand or more wait
    # behind the first, which is answered 5 s after it went out.
    wait_for(lambda: committed(d, ids[999]) == "sending", 20, what="1000 marked ahead")
    assert committed(d, first) == "sending"
    d.wait_status(first, "delivered", timeout=20)
    # Refused three times each (retry.max_attempts), then failed; the daemon lives.
    for mid in (ids[0], ids[999], ids[-1]):
        m = d.wait_status(mid, "failed", timeout=60)
        assert m["reason"].startswith("gave up after 3 tries"), m
    assert d.ok("ping") is not None


def test_a_reload_hands_a_send_marked_ahead_to_the_new_instance(make_daemon, tmp_path):
    record = str(tmp_path / "rec.log")
    d = make_daemon(test_clock=False, plugins=held_channel(record))
    first, held = d.send(text="first"), d.send(text="held")
    wait_for(lambda: committed(d, held) == "sending", 5, what="the second marked ahead")
    # A reload replaces the instance; the old one finishes its send out, and
    # the one marked ahead goes back to the queue for the new instance.
    cfg = d.cfg
    cfg["plugins"]["fake"]["answer_after"] = "20ms"
    d.write_config(cfg)
    assert d.ok("config.reload") is not None
    m = d.wait_status(held, "delivered", timeout=10)
    assert ("queued", UNSENT_REASON) in [(h["status"], h["reason"]) for h in m["history"]]
    d.wait_status(first, "delivered", timeout=10)
    assert sent_texts(record) == ["first", "held"]


def hook(d, instance, body):
    req = urllib.request.Request(f"{d.http}/hooks/{instance}", data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_a_send_that_waited_is_not_sent_once_a_late_receipt_ended_its_message(make_daemon,
                                                                           tmp_path):
    """The pump judges a marked send by what its mark wrote unless the message
    was written since (core/engine/watch.c): here a receipt of the earlier
    step ends the message while its next step's send waits in the ahead
    list, and that send must see it and end unsent."""
    rec1, rec2 = str(tmp_path / "first.log"), str(tmp_path / "second.log")
    plugins = held_channel(rec2, answer_after="2s")
    plugins["second"] = plugins.pop("fake")
    plugins["first"] = {"module": "test", "behaviour": "accept", "record": rec1}
    d = make_daemon(test_clock=False, plugins=plugins,
                    chains={"default": [{"channel": "first", "fallback_after": "300ms"},
                                        {"channel": "second"}]})
    ids = {"a": d.send(text="a"), "b": d.send(text="b")}
    # Both fall back after 300 ms: one goes out on `second` (answered after
    # 2 s), the other is marked ahead behind it.
    wait_for(lambda: all(len(d.status(m)["attempts"]) == 2 and committed(d, m) == "sending"
                         for m in ids.values()) and len(sent_texts(rec2)) == 1,
             5, what="one out on the second step, one marked ahead")
    first = sent_texts(rec2)[0]
    out, held = ids[first], ids["b" if first == "a" else "a"]
    pid = d.status(held)["attempts"][0]["provider_id"]
    assert hook(d, "first", f"id={pid}&status=delivered") == 200
    m = d.wait_status(held, "delivered", timeout=5)
    # The first send's answer hands out the one that waited: it is checked
    # against its message as it is now, and ends `cancelled`, never sent.
    m = wait_for(lambda: (lambda m: m if m["attempts"][1]["status"] == "cancelled" else None)(
        d.status(held)), 10, what="the waiting send cancelled")
    assert m["status"] == "delivered", m
    assert ("cancelled", "not sent: the message was already final") in [
        (h["status"], h["reason"]) for h in m["history"]], m["history"]
    d.wait_status(out, ("accepted", "delivered"), timeout=10)
    assert sent_texts(rec2) == [first], "the one that waited was sent"

