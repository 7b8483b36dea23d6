"""The engine's promises that a crash, a reload or a second daemon used to
break: a final message stays final across kill -9; a reload never
re-routes a message mid-chain nor strands one on a removed instance;
max_in_flight counts sends, not the HTTP requests a plugin makes; one
daemon per database; a submission is stored whole or not at all, with
many recipients (a savepoint) or one (its group rolled back)."""
import json
import time
import os
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_carrier import MockCarrier

KEY = "test-key"


def hook(d, instance, body):
    req = urllib.request.Request(f"{d.http}/hooks/{instance}", data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def post(d, body):
    req = urllib.request.Request(f"{d.http}/v1/messages", data=json.dumps(body).encode(),
                                 method="POST", headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_recovery_never_reopens_a_final_message(make_daemon, tmp_path):
    """Step 1 is in flight when a late receipt of step 0 delivers the
    message; kill -9; the restart must not queue or send step 1 again."""
    d = make_daemon(test_clock=False,
                    plugins={"a": {"module": "test", "behaviour": "accept"},
                             "b": {"module": "test", "behaviour": "hang"}},
                    chains={"default": [{"channel": "a", "fallback_after": "300ms"},
                                        {"channel": "b"}]})
    mid = d.send()
    m = wait_for(lambda: (lambda x: x if len(x["attempts"]) == 2 and
                          x["attempts"][1]["status"] == "sending" else None)(d.status(mid)),
                 what="step 1 in flight")
    assert hook(d, "a", f"id={m['attempts'][0]['provider_id']}&status=delivered") == 200
    m = d.wait_status(mid, "delivered")
    assert "receipt of an earlier step after fallback" in str(m["history"])
    d.ok("ping")  # the receipt is committed with the next group; let it land
    wait_for(lambda: sqlite3.connect(d.cfg["daemon"]["database"]).execute(
        "SELECT status FROM messages WHERE id = ?", (mid,)).fetchone()[0] == "delivered",
        what="the delivered status on disk")
    d.kill9()
    d.start()
    m = d.status(mid)
    assert m["status"] == "delivered", m
    statuses = [h["status"] for h in m["history"]]
    assert statuses[statuses.index("delivered") + 1:] == ["cancelled"], statuses
    # Not re-queued, not handed to the channel again (its one try stays one).
    assert (m["attempts"][1]["status"], m["attempts"][1]["tries"]) == ("cancelled", 1)
    assert "a send a crash interrupted is not repeated" in m["history"][-1]["reason"]
    d.ok("ping")
    assert d.status(mid)["attempts"][1]["tries"] == 1
    assert "refused" not in d.log()


def test_reload_never_reroutes_a_message_mid_chain(make_daemon):
    d = make_daemon(test_clock=False,
                    plugins={"a": {"module": "test", "behaviour": "accept"},
                             "b": {"module": "test", "behaviour": "deliver",
                                   "receipt_after": "10ms"}},
                    chains={"default": [{"channel": "a", "fallback_after": "1s"},
                                        {"channel": "b"}]})
    mid = d.send()
    before = d.wait_status(mid, "accepted")
    # Reorder the chain: step 1 is now `a` again.
    d.cfg["chains"]["default"] = [{"channel": "b"}, {"channel": "a", "fallback_after": "1s"}]
    d.write_config(d.cfg)
    d.ok("config.reload")
    m = d.wait_status(mid, "delivered", timeout=10)
    assert [a["channel"] for a in m["attempts"]] == ["a", "b"]
    # A new message takes the new order, under a new chain version.
    m2 = d.wait_status(d.send(text="new"), "delivered")
    assert [a["channel"] for a in m2["attempts"]] == ["b"]
    assert m2["chain_version"] > before["chain_version"] == m["chain_version"]


def test_reload_that_strands_messages_is_refused(make_daemon):
    d = make_daemon(test_clock=False,
                    plugins={"fake": {"module": "test", "behaviour": "deliver"},
                             "slow": {"module": "test", "behaviour": "accept"}},
                    chains={"default": [{"channel": "fake"}],
                            "slow": [{"channel": "slow"}]})
    d.cfg["subaccounts"]["acme"]["chains"] = ["default", "slow"]
    d.write_config(d.cfg)
    d.ok("config.reload")
    ids = [d.send(text=f"s{i}", chain="slow") for i in range(3)]
    for mid in ids:
        d.wait_status(mid, "accepted")
    del d.cfg["plugins"]["slow"]
    d.cfg["chains"] = {"default": [{"channel": "fake"}]}
    d.cfg["subaccounts"]["acme"]["chains"] = ["default"]
    d.write_config(d.cfg)
    r = d.request("config.reload")
    assert not r["ok"] and r["error"]["code"] == "config_invalid", r
    assert "plugins.slow is still needed by 3 unfinished messages" in r["error"]["message"]
    # Nothing changed: the old instance still takes their receipts.
    for mid in ids:
        pid = d.status(mid)["attempts"][0]["provider_id"]
        assert hook(d, "slow", f"id={pid}&status=delivered") == 200
        d.wait_status(mid, "delivered")
    # Once they are final, the same file is taken.
    d.ok("config.reload")
    assert "slow" not in json.dumps(d.ok("plugins"))


def test_max_in_flight_counts_sends_not_http_requests(make_daemon):
    carrier = MockCarrier().start()
    try:
        carrier.script([("delay", 0.6, 200, {"message_id": f"m{i}"}) for i in range(4)])
        d = make_daemon(test_clock=False, plugins={"sms": {
            "module": "http_sms", "url": carrier.url + "/sms", "timeout": "5s",
            "max_in_flight": 2, "params": {"to": "{to}", "text": "{text}"}}},
            chains={"default": [{"channel": "sms"}]})
        ids = [d.send(text=f"m{i}") for i in range(4)]
        for mid in ids:
            d.wait_status(mid, "accepted", timeout=15)
        at = sorted(r["at"] for r in carrier.requests)
        # Two requests at once, then two more when they are answered.
        assert at[1] - at[0] < 0.3 and at[3] - at[2] < 0.3, at
        assert at[2] - at[0] >= 0.55, at
    finally:
        carrier.stop()


def test_a_second_daemon_on_the_same_database_is_refused(make_daemon, tmp_path):
    d = make_daemon()
    other = tmp_path / "other.yaml"
    cfg = json.loads(json.dumps(d.cfg))
    cfg["daemon"]["control_socket"] = str(tmp_path / "other.sock")
    cfg["daemon"]["http_listen"] = "127.0.0.1:1"
    other.write_text(json.dumps(cfg))
    r = subprocess.run([DAEMON, "-c", str(other)], capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH))
    assert r.returncode != 0
    assert f"is in use by another switchboardd (pid {d.proc.pid})" in r.stdout + r.stderr
    assert d.ok("ping")


def failing_insert_to(d, number):
    """The daemon's database, with a trigger that fails the insert of a
    message to `number` as a full disk would (DROP TRIGGER fail_insert)."""
    db = sqlite3.connect(d.cfg["daemon"]["database"], timeout=10)
    db.execute("CREATE TRIGGER fail_insert BEFORE INSERT ON messages"
               f" WHEN NEW.to_addr = '{number}'"
               " BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    db.commit()
    return db


def test_multi_recipient_submission_is_all_or_nothing(make_daemon):
    d = make_daemon()
    # The store fails on the third recipient (as a full disk would).
    db = failing_insert_to(d, "+5511999990003")
    to = [f"+551199999000{i}" for i in range(1, 6)]
    status, body = post(d, {"to": to, "text": "hi"})
    assert status == 500 and body["error"]["code"] == "internal", body
    assert "disk trouble" not in json.dumps(body)
    assert d.ok("message.list", {})["messages"] == []
    db.execute("DROP TRIGGER fail_insert")
    db.commit()
    db.close()
    status, body = post(d, {"to": to, "text": "hi"})
    assert status == 202 and len(body["messages"]) == 5, body


def test_a_single_submission_that_fails_half_way_leaves_nothing(make_daemon):
    """One recipient (an API request, a control command) is stored without a
    savepoint, which would copy every page it touches: when it fails after
    its first write, its whole group is rolled back, so no broadcast or
    contact is ever committed without its message."""
    d = make_daemon()
    db = failing_insert_to(d, "+5511999990003")
    status, body = post(d, {"to": "+5511999990003", "text": "hi"})
    assert status == 500 and body["error"]["code"] == "internal", body
    assert "disk trouble" not in json.dumps(body)
    r = d.request("message.send", {"to": "+5511999990003", "text": "hi"})
    assert not r["ok"] and r["error"]["code"] == "internal", r
    # A message after them, once committed, proves their group is over. It
    # may share that group (one grows while the last is being synced) and
    # be refused with it: a client tries again, as after any 500.
    deadline = time.monotonic() + 10
    while True:
        status, body = post(d, {"to": "+5511999990004", "text": "fine"})
        if status == 202:
            break
        assert status == 500 and time.monotonic() < deadline, body
    d.wait_status(body["messages"][0]["id"], "delivered")
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 1
    assert "its group is rolled back" in d.log()
    db.execute("DROP TRIGGER fail_insert")
    db.commit()
    db.close()
    status, body = post(d, {"to": "+5511999990003", "text": "hi"})
    assert status == 202, body
    d.wait_status(body["messages"][0]["id"], "delivered")


def test_restart_without_an_instance_moves_its_messages_on(make_daemon):
    """A restart cannot refuse to start: attempts on an instance the new
    file lacks fail (channel gone) and their messages take their next step."""
    d = make_daemon(plugins={"gone": {"module": "test", "behaviour": "accept"},
                             "fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "10ms"}},
                    chains={"default": [{"channel": "gone"}, {"channel": "fake"}]})
    mid = d.send()
    d.wait_status(mid, "accepted")
    assert d.stop() == 0
    del d.cfg["plugins"]["gone"]
    d.cfg["chains"] = {"default": [{"channel": "fake"}]}
    d.write_config(d.cfg)
    d.start()
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("gone", "failed"), ("fake", "delivered")]
    assert "its channel instance gone is no longer configured" in str(m["history"])
    assert "plugins.gone is not configured: 1 attempts on it failed" in d.log()


def test_a_receipt_is_answered_only_once_it_is_durable(make_daemon):
    """The provider's 200 means "stored": a kill -9 right after it must not
    lose the receipt. With a 1.5 s disk, the answer waits for the sync."""
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "accept"}})
    mid = d.send()
    pid = d.wait_status(mid, "accepted")["attempts"][0]["provider_id"]
    d.ok("store.sync_delay", {"ms": 1500})
    t0 = time.monotonic()
    assert hook(d, "fake", f"id={pid}&status=delivered") == 200
    assert time.monotonic() - t0 >= 1.4
    d.kill9()
    d.start()
    assert d.status(mid)["status"] == "delivered"
