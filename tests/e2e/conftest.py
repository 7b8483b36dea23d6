"""Shared fixtures for the end-to-end tests: a real switchboardd on a temp
directory, its control socket, and helpers to wait for a status.

Configs are written as JSON, which is valid YAML, so the tests need only
the standard library. Every wait is bounded.
"""
import glob
import json
import os
import signal
import socket
import subprocess
import time

import pytest

BUILDDIR = os.environ.get("SB_BUILDDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SRCDIR = os.environ.get("SB_SRCDIR", BUILDDIR)
DAEMON = os.path.join(BUILDDIR, "core", "switchboardd")
CTL = os.path.join(BUILDDIR, "core", "switchboardctl")
# Every plugin folder of the build, plus the ABI test modules.
PLUGIN_PATH = ":".join(sorted(glob.glob(os.path.join(BUILDDIR, "plugins", "*", ""))) +
                       [os.path.join(BUILDDIR, "tests", "plugins")])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def base_config(tmp, port, plugins=None, chains=None, subaccounts=None, filters=None, **daemon):
    cfg = {
        "daemon": {
            "control_socket": os.path.join(tmp, "control.sock"),
            "control_mode": "0600",
            "http_listen": f"127.0.0.1:{port}",
            "database": os.path.join(tmp, "sb.db"),
            "log_level": "debug",
        },
        "retry": {"max_attempts": 3, "initial": "100ms", "max": "1s", "multiplier": 2, "jitter": 0},
        "validity": "1h",
        "plugins": plugins or {"fake": {"module": "test", "behaviour": "deliver", "receipt_after": "20ms"}},
        "chains": chains or {"default": [{"channel": "fake"}]},
        "subaccounts": subaccounts or {
            "acme": {
                "timezone": "UTC",
                "chains": list((chains or {"default": 0}).keys()),
                "default_country": "55",
                # sha256("test-key")
                "api_keys": ["sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"],
            }
        },
    }
    if filters:
        cfg["filters"] = filters
    cfg["daemon"].update(daemon)
    return cfg


class Daemon:
    def __init__(self, tmp, cfg):
        self.tmp = str(tmp)
        self.cfg = cfg
        self.conf_path = os.path.join(self.tmp, "switchboard.yaml")
        self.log_path = os.path.join(self.tmp, "daemon.log")
        self.sock = cfg["daemon"]["control_socket"]
        self.proc = None
        self.test_clock = True
        self.write_config(cfg)

    def write_config(self, cfg):
        self.cfg = cfg
        with open(self.conf_path, "w") as f:
            json.dump(cfg, f, indent=2)

    @property
    def http(self):
        return "http://" + self.cfg["daemon"]["http_listen"]

    def start(self, wait=True):
        env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
        self.logf = open(self.log_path, "ab")
        # -T enables clock.advance; real-time tests run without it.
        flags = ["-T"] if self.test_clock else []
        self.proc = subprocess.Popen([DAEMON, *flags, "-c", self.conf_path], stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=env)
        if wait:
            wait_for(self._ready, 10, what="daemon control socket")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return self.request("ping")["ok"]
        except OSError:
            return False

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, cmd, args=None, rid=1, raw=None, timeout=10):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock)
            line = raw if raw is not None else json.dumps({"id": rid, "cmd": cmd, "args": args or {}}) + "\n"
            s.sendall(line.encode() if isinstance(line, str) else line)
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return json.loads(buf)

    def ok(self, cmd, args=None):
        r = self.request(cmd, args)
        assert r["ok"], r
        return r["result"]

    def ctl(self, *argv, check=True):
        r = subprocess.run([CTL, "-s", self.sock, *argv], capture_output=True, text=True, timeout=30)
        if check:
            assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        return r

    def status(self, mid):
        return self.ok("message.status", {"id": mid})

    def wait_status(self, mid, want, timeout=10):
        wants = {want} if isinstance(want, str) else set(want)
        return wait_for(lambda: (lambda m: m if m["status"] in wants else None)(self.status(mid)),
                        timeout, what=f"message {mid} to be {want}")

    def send(self, to="+5511999990001", text="hello", **kw):
        args = {"to": to, "text": text}
        args.update(kw)
        return self.ok("message.send", args)["id"]

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.logf.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self.logf.close()
        return self.proc.returncode if self.proc else None


@pytest.fixture
def make_daemon(tmp_path):
    started = []

    def make(start=True, test_clock=True, **kw):
        d = Daemon(tmp_path, base_config(str(tmp_path), free_port(), **kw))
        d.test_clock = test_clock
        started.append(d)
        return d.start() if start else d

    yield make
    for d in started:
        rc = d.stop()
        # A clean stop matters: a crash on shutdown is a bug too.
        assert rc in (0, None, -9), f"daemon exited {rc}:\n{d.log()}"
