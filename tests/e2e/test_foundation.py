"""The foundation end to end: a real daemon, the real `test` plugin, the
control socket and the HTTP API."""
import datetime
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BUILDDIR, DAEMON, PLUGIN_PATH, wait_for

UNSENT_REASON = ("not sent: put back in the queue (the daemon stopped, or its channel"
                 " instance was replaced)")

API_KEY = "test-key"


def http(d, method, path, body=None, key=API_KEY, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(d.http + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_send_reaches_delivered_with_history(make_daemon):
    d = make_daemon()
    mid = d.send(text="your code is 1234")
    m = d.wait_status(mid, "delivered")
    assert m["to"] == "+5511999990001"
    assert [a["status"] for a in m["attempts"]] == ["delivered"]
    assert m["attempts"][0]["channel"] == "fake"
    assert m["attempts"][0]["provider_id"].startswith("test-")
    assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted", "delivered"]
    assert all(h["at"].endswith("Z") for h in m["history"])


def test_national_number_gets_default_country(make_daemon):
    d = make_daemon()
    mid = d.send(to="(11) 99999-0002")
    assert d.status(mid)["to"] == "+5511999990002"


def test_invalid_number_is_refused_and_nothing_stored(make_daemon):
    d = make_daemon()
    r = d.request("message.send", {"to": "call me maybe", "text": "x"})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
    assert "invalid phone number" in r["error"]["message"]
    assert d.ok("message.list")["messages"] == []


def test_undeliverable_single_step(make_daemon):
    d = make_daemon()
    mid = d.send(text="#sb:undeliverable")
    m = d.wait_status(mid, "undeliverable")
    assert "undeliverable via fake" in m["reason"]


def test_undeliverable_moves_to_next_step(make_daemon):
    d = make_daemon(plugins={
        "line": {"module": "test", "behaviour": "undeliverable"},
        "sms": {"module": "test", "behaviour": "deliver"},
    }, chains={"default": [{"channel": "line"}, {"channel": "sms"}]})
    mid = d.send()
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("line", "undeliverable"), ("sms", "delivered")]


def test_temporary_failure_is_retried_then_fails(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "temporary"}})
    mid = d.send()
    m = d.wait_status(mid, "failed", timeout=15)
    assert m["attempts"][0]["tries"] == 3
    assert "gave up after 3 tries" in m["reason"]


def test_malformed_control_lines_get_errors_and_daemon_lives(make_daemon):
    d = make_daemon()
    cases = [
        (b"this is not json\n", "bad_request"),
        (b"[1,2,3]\n", "bad_request"),
        (b'{"id": 3}\n', "bad_request"),
        (b'{"id": 4, "cmd": 42}\n', "bad_request"),
        (b'{"id": 5, "cmd": "ping", "args": []}\n', "bad_request"),
        (b'{"id": 6, "cmd": "no.such.command"}\n', "unknown_command"),
        (b'{"id": 7, "cmd": "message.status", "args": {"id": "seven"}}\n', "bad_argument"),
        (b'{"id": 8, "cmd": "message.status", "args": {"id": 424242}}\n', "not_found"),
    ]
    for raw, code in cases:
        r = d.request(None, raw=raw)
        assert r["ok"] is False and r["error"]["code"] == code, (raw, r)
        assert r["error"]["message"]
    assert d.request(None, raw=b'{"id": "abc", "cmd": "ping"}\n')["id"] == "abc"
    assert d.ok("ping")["pong"] is True


def test_kill9_after_ack_loses_nothing_and_sends_once(make_daemon, tmp_path):
    record = str(tmp_path / "sent.log")
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "answer_after": "30s", "record": record}})
    ids = [d.send(text=f"m{i}") for i in range(20)]
    wait_for(lambda: os.path.exists(record) and len(open(record).readlines()) >= 1,
             what="a send to start")
    d.kill9()
    cfg = d.cfg
    cfg["plugins"]["fake"]["answer_after"] = "0s"
    d.write_config(cfg)
    d.start()
    for mid in ids:
        d.wait_status(mid, "delivered")
    lines = open(record).read().split("\n")
    sent = [l.split()[1] for l in lines if l.startswith("SENT")]
    assert len(sent) == len(set(sent)) == 20, lines


def test_cancel_scheduled_and_list_by_status(make_daemon):
    d = make_daemon()
    mid = d.ok("message.send", {"to": "+5511999990003", "text": "later",
                                "at": "2099-01-01T10:00:00-03:00"})["id"]
    assert d.status(mid)["status"] == "scheduled"
    listed = d.ok("message.list", {"status": "scheduled"})["messages"]
    assert [m["id"] for m in listed] == [mid]
    assert d.ok("message.cancel", {"id": mid})["status"] == "cancelled"
    assert d.status(mid)["status"] == "cancelled"
    r = d.request("message.cancel", {"id": mid})
    assert r["error"]["code"] == "invalid_state"


def test_config_reload_keeps_old_config_when_invalid(make_daemon):
    d = make_daemon()
    good = d.cfg
    with open(d.conf_path, "w") as f:
        f.write("daemon:\n  databse: x\n")
    r = d.request("config.reload")
    assert not r["ok"] and r["error"]["code"] == "config_invalid"
    assert "switchboard.yaml:2:3" in r["error"]["message"]
    mid = d.send()
    d.wait_status(mid, "delivered")
    d.write_config(good)
    good["plugins"]["fake2"] = {"module": "test"}
    good["chains"]["other"] = [{"channel": "fake2"}]
    good["subaccounts"]["acme"]["chains"].append("other")
    d.write_config(good)
    assert d.request("config.reload")["ok"]
    mid = d.send(chain="other")
    m = d.wait_status(mid, "delivered")
    assert m["attempts"][0]["channel"] == "fake2"


def test_sighup_reloads(make_daemon):
    d = make_daemon()
    cfg = d.cfg
    cfg["plugins"]["late"] = {"module": "test"}
    d.write_config(cfg)
    d.proc.send_signal(1)
    wait_for(lambda: any(i["name"] == "late" for m in d.ok("plugins")["modules"]
                         for i in m["instances"]), what="SIGHUP reload")


def test_plugin_with_wrong_abi_is_refused_daemon_runs(make_daemon):
    d = make_daemon()
    cfg = d.cfg
    for module, words in [("abi_major", "major differs"), ("abi_minor", "plugin is newer"),
                          ("abi_size", "needs"), ("abi_nosym", "no sb_plugin symbol")]:
        cfg["plugins"]["bad"] = {"module": module}
        d.write_config(cfg)
        r = d.request("config.reload")
        assert not r["ok"], r
        assert words in r["error"]["message"], r
        assert module in r["error"]["message"]
        assert d.ok("ping")["pong"]
    mid = d.send()
    d.wait_status(mid, "delivered")


def test_plugin_reload_keeps_in_flight_messages(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "answer_after": "400ms"}})
    ids = [d.send(text=f"x{i}") for i in range(5)]
    wait_for(lambda: all(d.status(i)["status"] == "sending" for i in ids), what="sending")
    res = d.ok("plugin.reload", {"name": "test"})
    assert res is not None
    for mid in ids:
        d.wait_status(mid, "delivered")
    mods = d.ok("plugins")["modules"]
    assert any(m["name"] == "test" and m["current"] and m["instances"] for m in mods)
    mid = d.send()
    d.wait_status(mid, "delivered")


def test_config_check_flag(make_daemon, tmp_path):
    d = make_daemon(start=False)
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("daemon:\n  commit_interval: soon\n")
    r = subprocess.run([DAEMON, "-t", "-c", str(bad)], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert f"{bad}:2:20" in r.stderr and "duration" in r.stderr
    cfg = d.cfg
    cfg["plugins"]["fake"]["behaviour"] = "teleport"
    cfg["plugins"]["fake"]["colour"] = "blue"
    d.write_config(cfg)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert "unknown behaviour 'teleport'" in r.stderr
    assert "colour" in r.stderr


def test_ctl_tables_json_and_exit_codes(make_daemon):
    d = make_daemon()
    r = d.ctl("send", "--to", "+5511999990009", "--text", "via ctl", "--json")
    mid = json.loads(r.stdout)["id"]
    d.wait_status(mid, "delivered")
    r = d.ctl("status", str(mid))
    assert "delivered" in r.stdout and "fake" in r.stdout
    r = d.ctl("list", "--status", "delivered")
    assert str(mid) in r.stdout
    r = d.ctl("status", "999999", check=False)
    assert r.returncode != 0 and "not_found" in r.stderr
    r = d.ctl("send", "--text", "no recipient", check=False)
    assert r.returncode != 0 and "--to" in r.stderr
    r = d.ctl("plugins")
    assert "test" in r.stdout and "1.0" in r.stdout


def test_http_api_submit_query_and_errors(make_daemon):
    d = make_daemon()
    code, body = http(d, "POST", "/v1/messages", {"to": ["+5511999990010", "11 99999-0011"],
                                                   "text": "hi"})
    assert code == 202, body
    ids = [m["id"] for m in body["messages"]]
    for mid in ids:
        d.wait_status(mid, "delivered")
    code, m = http(d, "GET", f"/v1/messages/{ids[1]}")
    assert code == 200 and m["to"] == "+5511999990011" and m["status"] == "delivered"
    code, lst = http(d, "GET", "/v1/messages?status=delivered&limit=1")
    assert code == 200 and len(lst["messages"]) == 1 and lst["next_before"]
    assert http(d, "POST", "/v1/messages", {"to": "+5511999990010", "text": "x"}, key=None)[0] == 401
    assert http(d, "POST", "/v1/messages", {"to": "+5511999990010", "text": "x"}, key="nope")[0] == 401
    code, err = http(d, "POST", "/v1/messages", {"to": ["+5511999990010", "abc"], "text": "x"})
    assert code == 400 and err["error"]["code"] == "bad_argument" and "to[1]" in err["error"]["message"]
    code, err = http(d, "POST", "/v1/messages", raw=b"{not json")
    assert code == 400 and err["error"]["code"] == "bad_request"
    assert http(d, "GET", "/v1/nothing")[0] == 404
    assert len(d.ok("message.list")["messages"]) == 2  # nothing stored by the bad requests
    code, h = http(d, "GET", "/healthz", key=None)
    assert code == 200 and h["status"] == "ok"
    with urllib.request.urlopen(d.http + "/metrics", timeout=5) as r:
        text = r.read().decode()
    assert 'sb_messages{status="delivered"} 2' in text
    assert 'sb_queue_depth{instance="fake"} 0' in text
    assert 'sb_provider_latency_seconds_count{instance="fake"} 2' in text
    assert 'sb_attempt_results_total{instance="fake",outcome="accepted"} 2' in text


def test_idempotency_key_returns_first_message(make_daemon):
    d = make_daemon()
    a = d.ok("message.send", {"to": "+5511999990012", "text": "x", "idempotency_key": "k1"})
    b = d.ok("message.send", {"to": "+5511999990012", "text": "x", "idempotency_key": "k1"})
    assert a["id"] == b["id"] and b["duplicate"] is True
    assert len(d.ok("message.list")["messages"]) == 1


def test_stop_between_sending_mark_and_its_commit_requeues(make_daemon, tmp_path):
    """A batch marked `sending` waits for the group commit before any plugin
    sees it; a stop in that window puts it back in the queue, unsent."""
    record = str(tmp_path / "sent.log")
    d = make_daemon(plugins={"fake": {"module": "test", "record": record}},
                    commit_interval="3s")
    # Due after its own group committed (3 s), so its `sending` mark waits
    # for the next group's commit.
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    mid = d.send(at=at.isoformat(timespec="milliseconds"))
    d.wait_status(mid, "sending", timeout=15)
    assert d.stop() == 0
    assert not os.path.exists(record)
    d.cfg["daemon"]["commit_interval"] = "2ms"
    d.write_config(d.cfg)
    d.start()
    m = d.wait_status(mid, "delivered")
    assert ("queued", UNSENT_REASON) in [(h["status"], h["reason"])
                                                          for h in m["history"]]
    assert len(open(record).read().split("SENT")) == 2
