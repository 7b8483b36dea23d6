"""Broadcasts end to end (issue 12, part 1): every trigger is one broadcast
(an API call, a control-socket send, a restart); list, show, stop and
restart over HTTP and the control socket, with their errors.

The test plugin records every message it really sends (SENT key to text),
so the stop test counts what the carrier saw: none of the cancelled
numbers, and after the restart every number exactly once.
"""
import datetime
import getpass
import os
import pwd
import time

from conftest import wait_for
from test_http_api import ACME_KEY, OTHER_KEY, call, sha256_key, two_subaccounts

MIN = 60000


def sent_numbers(record):
    if not os.path.exists(record):
        return []
    with open(record) as f:
        return [l.split()[2] for l in f if l.startswith("SENT ")]


def numbers(n, base=5511990000000):
    return ["+%d" % (base + i) for i in range(n)]


def show(d, bid, query="", key=ACME_KEY):
    code, res, _ = call(d, "GET", "/v1/broadcasts/%d%s" % (bid, query), key=key)
    assert code == 200, (code, res)
    return res


def submit(d, to, text="hi", key=ACME_KEY):
    code, res, _ = call(d, "POST", "/v1/messages", {"to": to, "text": text}, key=key)
    assert code == 202, (code, res)
    return res


def error(d, method, path, want_code, want_status, body=None, key=ACME_KEY):
    code, res, _ = call(d, method, path, body, key=key)
    assert code == want_status and res["error"]["code"] == want_code, (code, res)
    return res["error"]["message"]


def test_every_trigger_is_a_broadcast(make_daemon):
    d = make_daemon(**two_subaccounts())
    res = submit(d, ["+5511999990001", "+5511999990002", "+5511999990003"], "promo")
    bid = res["broadcast"]
    assert bid > 0
    mids = [m["id"] for m in res["messages"]]
    assert all(d.status(m)["broadcast"] == bid for m in mids)
    # One message through the control socket is a broadcast too, by the peer's user.
    mid = d.send(text="one")
    cid = d.status(mid)["broadcast"]
    assert cid > bid
    b = d.ok("broadcast.show", {"id": cid})
    assert b["source"] == "control" and b["messages"] == 1
    assert b["user"] == pwd.getpwuid(os.getuid()).pw_name or b["user"] == getpass.getuser()
    b = show(d, bid)
    assert b["source"] == "api" and b["subaccount"] == "acme" and b["text"] == "promo"
    assert b["user"] == "key:" + sha256_key(ACME_KEY)[7:19]
    assert b["chain"] == "default" and b["messages"] == 3 and b["stopped"] is None
    assert b["restart_of"] is None and b["restarted_by"] is None
    # Newest first, paged by id.
    code, page, _ = call(d, "GET", "/v1/broadcasts?limit=1")
    assert code == 200 and [x["id"] for x in page["broadcasts"]] == [cid]
    assert page["next_before"] == cid
    code, page, _ = call(d, "GET", "/v1/broadcasts?limit=1&before=%d" % cid)
    assert [x["id"] for x in page["broadcasts"]] == [bid] and page["next_before"] is None
    # Every number delivered: counts, percentages and the successful page.
    wait_for(lambda: not show(d, bid)["running"], what="broadcast to end")
    b = show(d, bid, "?limit=2")
    assert b["counts"]["delivered"] == 3 and b["delivered_pct"] == 100.0
    assert b["read_pct"] == 0.0 and b["failed"] == []
    assert len(b["successful"]) == 2 and b["next_successful_before"] is not None
    rest = show(d, bid, "?limit=2&successful_before=%d" % b["next_successful_before"])
    got = [x["to"] for x in b["successful"] + rest["successful"]]
    assert sorted(got) == ["+5511999990001", "+5511999990002", "+5511999990003"]
    # Another subaccount's key sees none of it.
    error(d, "GET", "/v1/broadcasts/%d" % bid, "not_found", 404, key=OTHER_KEY)
    error(d, "POST", "/v1/broadcasts/%d/stop" % bid, "not_found", 404, key=OTHER_KEY)
    code, page, _ = call(d, "GET", "/v1/broadcasts", key=OTHER_KEY)
    assert code == 200 and page["broadcasts"] == []
    out = d.ctl("broadcast", "list").stdout
    assert str(bid) in out


def test_bad_requests(make_daemon):
    d = make_daemon()
    error(d, "GET", "/v1/broadcasts/999", "not_found", 404)
    error(d, "POST", "/v1/broadcasts/999/stop", "not_found", 404)
    error(d, "POST", "/v1/broadcasts/999/restart", "not_found", 404)
    error(d, "GET", "/v1/broadcasts/abc", "not_found", 404)
    error(d, "GET", "/v1/broadcasts/1/nothing", "not_found", 404)
    error(d, "POST", "/v1/broadcasts", "bad_request", 400, body={})
    error(d, "GET", "/v1/broadcasts?limit=0", "bad_argument", 400)
    error(d, "GET", "/v1/broadcasts?before=x", "bad_argument", 400)
    error(d, "GET", "/v1/broadcasts/1?limit=5000", "bad_argument", 400)
    code, res, _ = call(d, "GET", "/v1/broadcasts", key=None)
    assert code == 401
    for cmd in ("broadcast.show", "broadcast.stop", "broadcast.restart"):
        r = d.request(cmd, {})
        assert not r["ok"] and r["error"]["code"] == "bad_argument", r
        r = d.request(cmd, {"id": 999})
        assert not r["ok"] and r["error"]["code"] == "not_found", r
        r = d.request(cmd, {"id": 1, "bogus": 1})
        assert not r["ok"] and r["error"]["code"] == "bad_argument", r
    r = d.request("broadcast.list", {"limit": 0})
    assert not r["ok"] and r["error"]["code"] == "bad_argument", r
    r = d.ctl("broadcast", "stop", check=False)
    assert r.returncode != 0 and "ID" in r.stderr
    # A broadcast whose every number got it has no one to restart for.
    bid = submit(d, ["+5511999990001"])["broadcast"]
    wait_for(lambda: not show(d, bid)["running"], what="broadcast to end")
    msg = error(d, "POST", "/v1/broadcasts/%d/restart" % bid, "invalid_state", 409)
    assert "no recipient" in msg


def test_stop_half_way_then_restart(make_daemon, tmp_path):
    record = str(tmp_path / "sent.log")
    d = make_daemon(test_clock=False, plugins={
        "fake": {"module": "test", "behaviour": "deliver", "receipt_after": "10ms",
                 "record": record, "rate": 200, "burst": 20}})
    to = numbers(1000)
    bid = submit(d, to, "big sale")["broadcast"]
    wait_for(lambda: len(sent_numbers(record)) >= 100, timeout=20, what="100 sends")
    code, res, _ = call(d, "POST", "/v1/broadcasts/%d/stop" % bid)
    assert code == 200 and res["status"] == "stopped", res
    # Idempotent: a second stop keeps the first time.
    code, again, _ = call(d, "POST", "/v1/broadcasts/%d/stop" % bid)
    assert code == 200 and again["stopped"] == res["stopped"]
    # Nothing is left unsent: what was not handed over is cancelled.
    wait_for(lambda: not show(d, bid)["running"], timeout=20, what="stop to finish")
    b = show(d, bid, "?limit=1000")
    cancelled = {x["to"] for x in b["failed"] if x["status"] == "cancelled"}
    assert all(x["reason"] == "broadcast stopped" for x in b["failed"]
               if x["status"] == "cancelled")
    # At least 100 went out before the stop (waited for above), so at most 900
    # were cancelled; a slow build may send no more than those 100.
    assert 0 < len(cancelled) <= 900, len(cancelled)
    assert b["counts"]["cancelled"] + b["counts"]["delivered"] == 1000, b["counts"]
    time.sleep(0.3)
    sent = sent_numbers(record)
    assert not cancelled & set(sent), "a cancelled number reached the carrier"
    assert len(sent) == len(set(sent)) == b["counts"]["delivered"]
    # The restart sends only to the cancelled numbers, each once.
    code, r, _ = call(d, "POST", "/v1/broadcasts/%d/restart" % bid)
    assert code == 200 and r["restart_of"] == bid and r["recipients"] == len(cancelled), r
    assert r["existing"] is False
    code, r2, _ = call(d, "POST", "/v1/broadcasts/%d/restart" % bid)
    assert code == 200 and r2["id"] == r["id"] and r2["existing"] is True
    nb = r["id"]
    wait_for(lambda: show(d, nb)["counts"]["delivered"] == len(cancelled), timeout=30,
             what="the restart to deliver")
    nshow = show(d, nb)
    assert nshow["restart_of"] == bid and nshow["source"] == "restart"
    assert nshow["messages"] == len(cancelled) and nshow["text"] == "big sale"
    assert show(d, bid)["restarted_by"] == nb
    time.sleep(0.2)
    sent = sent_numbers(record)
    assert sorted(sent) == sorted(to), "every number exactly once"


def test_restart_of_a_running_broadcast_is_refused(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "hang"}})
    bid = submit(d, ["+5511999990001", "+5511999990002"])["broadcast"]
    msg = error(d, "POST", "/v1/broadcasts/%d/restart" % bid, "invalid_state", 409)
    assert "still running" in msg
    r = d.request("broadcast.restart", {"id": bid})
    assert not r["ok"] and r["error"]["code"] == "invalid_state"


def test_stop_cancels_scheduled_and_later_steps(make_daemon, tmp_path):
    rec1, rec2 = str(tmp_path / "first.log"), str(tmp_path / "second.log")
    d = make_daemon(
        plugins={"first": {"module": "test", "behaviour": "accept", "record": rec1},
                 "second": {"module": "test", "behaviour": "deliver", "record": rec2,
                            "receipt_after": "10ms"}},
        chains={"default": [{"channel": "first", "fallback_after": "1m"},
                            {"channel": "second"}]})
    # Accepted on its first step: sent, so not recalled by the stop.
    mid = d.send(to="+5511999990001", text="a")
    d.wait_status(mid, "accepted")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    sid = d.send(to="+5511999990002", text="b", at=later.isoformat(timespec="seconds"))
    assert d.status(sid)["status"] == "scheduled"
    for m in (mid, sid):
        bid = d.status(m)["broadcast"]
        res = d.ok("broadcast.stop", {"id": bid})
        assert res["status"] == "stopped"
    s = d.status(sid)
    assert s["status"] == "cancelled" and s["reason"] == "broadcast stopped"
    assert d.status(mid)["status"] == "accepted"
    # Its fallback comes: the next step does not start.
    d.ok("clock.advance", {"ms": 2 * MIN})
    m = d.wait_status(mid, "cancelled")
    assert m["reason"] == "broadcast stopped"
    assert [a["channel"] for a in m["attempts"]] == ["first"]
    d.ok("clock.advance", {"ms": 2 * 60 * MIN})
    time.sleep(0.2)
    assert sent_numbers(rec2) == [] and sent_numbers(rec1) == ["+5511999990001"]
    # The restart resends both, now (the chain starts over).
    bid = d.status(mid)["broadcast"]
    r = d.ok("broadcast.restart", {"id": bid})
    assert r["recipients"] == 1
    out = d.ctl("broadcast", "show", str(r["id"])).stdout
    assert "restart_of: %d" % bid in out


def test_named_api_key_is_the_broadcast_user(make_daemon, tmp_path):
    import json
    import subprocess

    from conftest import DAEMON

    named = {"hash": sha256_key(ACME_KEY), "name": "ops-team"}
    d = make_daemon(subaccounts={"acme": {"timezone": "UTC", "chains": ["default"],
                                          "default_country": "55", "api_keys": [named]}})
    bid = submit(d, ["+5511999990001"])["broadcast"]
    assert show(d, bid)["user"] == "ops-team"
    # A key entry with an unknown field, or without its hash, is refused.
    for entry, words in (({"hash": named["hash"], "nmae": "x"}, "nmae"),
                         ({"name": "x"}, "hash")):
        cfg = json.loads(json.dumps(d.cfg))
        cfg["subaccounts"]["acme"]["api_keys"] = [entry]
        path = str(tmp_path / "bad.yaml")
        with open(path, "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([DAEMON, "-t", "-c", path], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0 and words in r.stderr + r.stdout, (entry, r.stderr)


def test_restart_cut_short_resumes_after_a_crash(make_daemon):
    """A restart whose batches a crash cut short keeps a cursor on its
    broadcast; the next start sends to the numbers after it, once each."""
    import sqlite3

    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "fail"}})
    to = numbers(6, base=5511980000000)
    bid = submit(d, to)["broadcast"]
    wait_for(lambda: not show(d, bid)["running"], what="all to fail")
    d.kill9()
    # As a crash after the first batch would leave it: a restart whose
    # cursor is the third number (the first three were sent).
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    with db:
        db.execute("INSERT INTO broadcasts (subaccount, source, chain, body, restart_of,"
                   " created_ms, restart_cursor) VALUES ('acme', 'restart', 'default', 'hi',"
                   " ?, 0, ?)", (bid, to[2]))
        nb = db.execute("SELECT max(id) FROM broadcasts").fetchone()[0]
    db.close()
    d.start()
    wait_for(lambda: show(d, nb)["messages"] == 3, what="the restart to resume")
    wait_for(lambda: not show(d, nb)["running"], what="the resumed sends to end")
    assert sorted(x["to"] for x in show(d, nb, "?limit=10")["failed"]) == to[3:]
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    assert db.execute("SELECT restart_cursor FROM broadcasts WHERE id = ?",
                      (nb,)).fetchone()[0] is None
    db.close()
