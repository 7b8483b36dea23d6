"""switchboardd as an operator meets it (issue 11): --help and --version,
`-t` on the sample config straight from the build tree (the README's
command), and a start-up line that names every listener."""
import os
import subprocess

from conftest import DAEMON, SRCDIR, wait_for


def run(*argv, env=None, cwd=None):
    return subprocess.run([DAEMON, *argv], capture_output=True, text=True, timeout=30,
                          env=env, cwd=cwd)


def test_help_and_version():
    for flag in ("--help", "-h"):
        r = run(flag)
        assert r.returncode == 0 and r.stdout.startswith("usage: switchboardd"), r
        assert "--version" in r.stdout and "--check" in r.stdout
    for flag in ("--version", "-V"):
        r = run(flag)
        assert r.returncode == 0 and r.stdout.startswith("switchboardd "), r
    r = run("--no-such-option")
    assert r.returncode == 2 and "usage:" in r.stderr, r
    r = run("extra-argument")
    assert r.returncode == 2 and "unexpected argument 'extra-argument'" in r.stderr, r


def test_sample_config_checks_from_the_build_tree():
    env = {k: v for k, v in os.environ.items() if k != "SWITCHBOARD_PLUGIN_PATH"}
    r = run("-t", "-c", os.path.join(SRCDIR, "conf", "switchboard.yaml"), env=env, cwd=SRCDIR)
    assert r.returncode == 0 and "is valid" in r.stdout, r


def test_start_up_line_names_every_listener(make_daemon):
    d = make_daemon()
    line = wait_for(lambda: next((ln for ln in d.log().splitlines() if " started (" in ln), None),
                    what="the start-up line")
    assert d.cfg["daemon"]["control_socket"] in line, line
    assert "HTTP on " + d.cfg["daemon"]["http_listen"] in line, line


def test_apikey_new_makes_a_key_the_daemon_accepts(make_daemon):
    import hashlib
    import json as js

    from conftest import CTL
    from test_http_api import call

    r = subprocess.run([CTL, "--json", "apikey", "new"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r
    made = js.loads(r.stdout)
    assert len(made["key"]) == 64 and int(made["key"], 16) >= 0
    assert made["hash"] == "sha256:" + hashlib.sha256(made["key"].encode()).hexdigest()
    again = js.loads(subprocess.run([CTL, "--json", "apikey", "new"], capture_output=True,
                                    text=True, timeout=30).stdout)
    assert again["key"] != made["key"]
    d = make_daemon(subaccounts={"acme": {"timezone": "UTC", "chains": ["default"],
                                          "default_country": "55", "api_keys": [made["hash"]]}})
    code, res, _ = call(d, "GET", "/v1/messages", key=made["key"])
    assert code == 200, res
    r = subprocess.run([CTL, "apikey", "old"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stderr


def test_ready_is_told_to_systemd(make_daemon, tmp_path, monkeypatch):
    import socket

    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(path)
        s.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        d = make_daemon()
        assert s.recv(4096) == b"READY=1"
        # By the time READY is sent, both listeners serve.
        assert d.request("ping")["ok"]
        d.stop()
        assert s.recv(4096) == b"STOPPING=1"
