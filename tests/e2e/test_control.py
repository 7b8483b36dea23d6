"""The control protocol and switchboardctl as docs/control.md describes
them: request checks, every command's answer shape, exit codes."""
import json
import os
import socket
import subprocess

from conftest import CTL, DAEMON, PLUGIN_PATH, wait_for


def test_request_line_checks(make_daemon):
    d = make_daemon()
    cases = [
        (b'{"id": 1, "cmd": "ping", "protocol": 2}\n', "bad_request", "unsupported protocol"),
        (b'{"id": 1, "cmd": "ping", "extra": 1}\n', "bad_request", "unknown request field 'extra'"),
        (b'{"id": 1, "cmd": "ping", "cmd": "plugins"}\n', "bad_request", "the same key twice"),
        (b'{"id": 1, "cmd": ""}\n', "bad_request", "must not be empty"),
        (b'{"id": 1, "cmd": "ping", "args": {"x": 1}}\n', "bad_argument",
         "ping: takes no arguments (got 'x')"),
        (b'{"id": 1, "cmd": "message.status", "args": {"idd": 1}}\n', "bad_argument",
         "unknown argument 'idd' (expected: id)"),
        (b'{"id": 1, "cmd": "message.status", "args": {"id": "7"}}\n', "bad_argument",
         "message.status: 'id' must be an integer"),
        (b'{"id": 1, "cmd": "message.send", "args": {"to": 5511, "text": "x"}}\n',
         "bad_argument", "message.send: 'to' must be a non-empty string"),
        (b'{"id": 1, "cmd": "mesage.status", "args": {"id": 1}}\n', "unknown_command",
         "did you mean: message.status?"),
    ]
    for raw, code, words in cases:
        r = d.request(None, raw=raw)
        assert r["ok"] is False and r["error"]["code"] == code, (raw, r)
        assert words in r["error"]["message"], (raw, r)
    r = d.request(None, raw=b'{"id": 9, "cmd": "ping", "protocol": 1, "args": null}\n')
    assert r["ok"] and r["id"] == 9
    assert set(r["result"]) == {"pong", "version", "pid", "protocol"}
    assert r["result"]["pid"] == d.proc.pid and r["result"]["protocol"] == 1


def test_one_connection_many_requests_answered_by_id(make_daemon):
    d = make_daemon()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(d.sock)
        lines = [
            {"id": "a", "cmd": "message.send", "args": {"to": "+5511999990001", "text": "x"}},
            {"id": "b", "cmd": "ping"},
            {"id": "c", "cmd": "no.such"},
        ]
        # Blank lines between requests are ignored.
        s.sendall(b"\n".join(json.dumps(x).encode() for x in lines) + b"\n\n\r\n")
        buf = b""
        while buf.count(b"\n") < 3:
            chunk = s.recv(65536)
            assert chunk, buf
            buf += chunk
    answers = {a["id"]: a for a in map(json.loads, buf.splitlines())}
    assert set(answers) == {"a", "b", "c"}
    assert answers["a"]["ok"] and answers["a"]["result"]["duplicate"] is False
    assert answers["b"]["result"]["pong"] is True
    assert answers["c"]["error"]["code"] == "unknown_command"


def test_line_too_long_closes_the_connection(make_daemon):
    d = make_daemon()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(d.sock)
        try:
            s.sendall(b"x" * (1024 * 1024 + 4096))
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    r = json.loads(buf.splitlines()[0])
    assert r["ok"] is False and r["error"]["code"] == "bad_request"
    assert "line too long" in r["error"]["message"]
    assert d.ok("ping")["pong"]


def test_resend(make_daemon):
    d = make_daemon()
    first = d.send(text="again please")
    d.wait_status(first, "delivered")
    res = d.ok("message.resend", {"id": first})
    assert res["resend_of"] == first and res["id"] != first
    m = d.wait_status(res["id"], "delivered")
    assert m["resend_of"] == first and m["text"] == "again please"
    later = d.ok("message.send", {"to": "+5511999990002", "text": "x",
                                  "at": "2099-01-01T00:00:00Z"})["id"]
    r = d.request("message.resend", {"id": later})
    assert r["error"]["code"] == "invalid_state" and "final status" in r["error"]["message"]
    r = d.request("message.resend", {"id": 4242})
    assert r["error"]["code"] == "not_found"


def test_message_list_arguments(make_daemon):
    d = make_daemon()
    ids = [d.send(to=f"+55119999900{i:02d}") for i in range(3)]
    res = d.ok("message.list", {"limit": 2})
    assert [m["id"] for m in res["messages"]] == ids[:0:-1] and res["next_before"] == ids[1]
    res = d.ok("message.list", {"limit": 2, "before": res["next_before"]})
    assert [m["id"] for m in res["messages"]] == [ids[0]] and res["next_before"] is None
    assert [m["id"] for m in d.ok("message.list", {"to": "+5511999990001"})["messages"]] == [ids[1]]
    assert d.ok("message.list", {"subaccount": "nobody"})["messages"] == []
    for args, words in [({"limit": 0}, "from 1 to 1000"), ({"status": "sent"}, "expected one of"),
                        ({"before": "x"}, "'before' must be an integer")]:
        r = d.request("message.list", args)
        assert r["error"]["code"] == "bad_argument" and words in r["error"]["message"], r


def test_filter_commands(make_daemon):
    d = make_daemon(filters={"content": {"module": "content_filter", "words": ["gratis"]}})
    verdict = d.ok("filter.check", {"text": "it is GRATIS"})
    assert verdict["verdict"] == "block" and "gratis" in verdict["reason"]
    entry = d.ok("filter.allow", {"term": "gratis", "subaccount": "acme"})
    assert entry == {"subaccount": "acme", "kind": "term", "value": "gratis"}
    assert d.ok("filter.check", {"text": "it is GRATIS", "subaccount": "acme"}) == \
        {"verdict": "allow", "reason": None}
    # Without a subaccount only global entries apply.
    assert d.ok("filter.check", {"text": "it is GRATIS"})["verdict"] == "block"
    entries = d.ok("filter.list")["entries"]
    assert [(e["subaccount"], e["kind"], e["value"]) for e in entries] == [("acme", "term", "gratis")]
    assert entries[0]["uid"] == os.getuid() and entries[0]["at"].endswith("Z")
    for args, code in [({"term": "x", "subaccount": "nobody"}, "not_found"),
                       ({}, "bad_argument"), ({"term": "a", "domain": "b.com"}, "bad_argument")]:
        assert d.request("filter.allow", args)["error"]["code"] == code, args
    assert d.ok("filter.revoke", {"term": "gratis", "subaccount": "acme"})["value"] == "gratis"
    assert d.request("filter.revoke", {"term": "gratis", "subaccount": "acme"})["error"]["code"] \
        == "not_found"
    assert d.ok("filter.check", {"text": "gratis", "subaccount": "acme"})["verdict"] == "block"
    mid = d.send(text="gratis money")
    m = d.status(mid)
    assert m["status"] == "rejected" and "gratis" in m["reason"]


def test_clock_advance_only_in_test_mode(make_daemon):
    d = make_daemon(start=False)
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    with open(d.log_path, "ab") as log:
        proc = subprocess.Popen([DAEMON, "-c", d.conf_path], stdout=log, stderr=subprocess.STDOUT,
                                env=env)
    try:
        def up():
            assert proc.poll() is None, d.log()
            try:
                return d.request("ping")["ok"]
            except OSError:
                return False
        wait_for(up, 10, what="daemon without -T")
        r = d.request("clock.advance", {"ms": 1000})
        assert r["error"]["code"] == "unknown_command", r
    finally:
        proc.terminate()
        assert proc.wait(10) == 0, d.log()


def ctl(d, *argv):
    return subprocess.run([CTL, "-s", d.sock, *argv], capture_output=True, text=True, timeout=30)


def test_switchboardctl_exit_codes_and_json(make_daemon):
    d = make_daemon()
    r = ctl(d, "ping")
    assert r.returncode == 0 and "pong: yes" in r.stdout
    r = ctl(d, "--json", "status", "999")  # the daemon says no: 1
    assert r.returncode == 1 and json.loads(r.stdout) == {"code": "not_found",
                                                          "message": "no message 999"}
    r = ctl(d, "status", "999")
    assert r.returncode == 1 and r.stderr == "switchboardctl: not_found: no message 999\n"
    for argv, words in [(["status"], "missing ID"), (["nope"], "unknown command 'nope'"),
                        (["filter"], "expected one of: check, allow, revoke, list"),
                        (["list", "--limit", "x"], "--limit must be an integer"),
                        (["send", "--to", "1", "--text", "a", "--template", "b"],
                         "cannot be combined"),
                        (["help", "nope"], "no command 'nope'")]:
        r = ctl(d, *argv)  # refused before anything is sent: 2
        assert r.returncode == 2 and words in r.stderr, (argv, r)
    r = subprocess.run([CTL, "-s", os.path.join(d.tmp, "absent.sock"), "ping"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "cannot connect" in r.stderr
    r = ctl(d, "help", "send")
    assert r.returncode == 0 and r.stdout.startswith("usage: switchboardctl send --to NUMBER")
    r = subprocess.run([CTL, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    for words in ["plugin reload MODULE", "config reload", "resend ID", "filter allow",
                  "clock advance MS", "exit status: 0 ok, 1"]:
        assert words in r.stdout, words
    # The socket from a config file (block-style YAML), and from the environment.
    yaml = os.path.join(d.tmp, "client.yaml")
    with open(yaml, "w") as f:
        f.write(f'# for switchboardctl -c\ndaemon:\n  log_level: info\n  control_socket: "{d.sock}"\n')
    r = subprocess.run([CTL, "-c", yaml, "--json", "ping"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and json.loads(r.stdout)["pong"] is True
    r = subprocess.run([CTL, "ping"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, SWITCHBOARD_SOCKET=d.sock))
    assert r.returncode == 0


def test_man_page_and_help_come_from_the_command_table():
    """switchboardctl --man and --help list the same commands, with the
    usage the parser accepts."""
    man = subprocess.run([CTL, "--man"], capture_output=True, text=True, timeout=30)
    hlp = subprocess.run([CTL, "--help"], capture_output=True, text=True, timeout=30)
    assert man.returncode == 0 and hlp.returncode == 0
    assert man.stdout.startswith(".TH SWITCHBOARDCTL 1")
    commands = hlp.stdout.split("commands:\n")[1].splitlines()[:-1]
    assert len(commands) >= 15
    for line in commands:
        words = line.strip().split("  ")[0]
        assert ".B " + words.replace("-", "\\-") in man.stdout, words
    assert "(message.reschedule)" in man.stdout

