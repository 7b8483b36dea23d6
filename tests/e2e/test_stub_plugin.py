"""plugins/stub, the plugin to copy: it works, its config errors read as
docs/plugins.md says, and a stop with messages in its hands loses none."""
import os
import time
import subprocess

from conftest import DAEMON, PLUGIN_PATH


def stub_daemon(make_daemon, delay="5ms", **kw):
    return make_daemon(plugins={"sandbox": {"module": "stub", "delay": delay}},
                       chains={"default": [{"channel": "sandbox"}]}, **kw)


def test_stub_accepts_every_message(make_daemon):
    d = stub_daemon(make_daemon)
    ids = [d.send(to=f"+55119999900{i:02d}", text=f"m{i}") for i in range(3)]
    pids = set()
    for mid in ids:
        m = d.wait_status(mid, "accepted")
        assert [h["status"] for h in m["history"]] == ["queued", "sending", "accepted"]
        pids.add(m["attempts"][0]["provider_id"])
    assert pids == {"stub-1", "stub-2", "stub-3"}
    mods = {m["name"]: m for m in d.ok("plugins")["modules"]}
    stub = mods["stub"]
    assert (stub["abi"], stub["version"], stub["kind"]) == ("1.3", "1.0", "channel")
    assert stub["instances"][0]["name"] == "sandbox" and stub["instances"][0]["accepted"] == 3


def check_config(d):
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    return subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                          env=env, timeout=30)


def test_stub_config_errors_name_the_key(make_daemon):
    d = stub_daemon(make_daemon, start=False)
    cfg = d.cfg
    for value, words in [("2m", "'delay' must be at most 1m"), ("soon", "duration")]:
        cfg["plugins"]["sandbox"]["delay"] = value
        d.write_config(cfg)
        r = check_config(d)
        assert r.returncode == 1, r
        assert words in r.stderr and d.conf_path + ":" in r.stderr, r.stderr
    # Unknown keys are the host's to report, with their position.
    cfg["plugins"]["sandbox"] = {"module": "stub", "delay": "5ms", "dealy": "1s"}
    d.write_config(cfg)
    r = check_config(d)
    assert r.returncode == 1 and "dealy" in r.stderr, r.stderr
    cfg["plugins"]["sandbox"] = {"module": "stub"}
    d.write_config(cfg)
    assert check_config(d).returncode == 0


def test_stop_with_messages_in_the_stub_loses_none(make_daemon):
    d = stub_daemon(make_daemon, delay="30s")
    ids = [d.send(text=f"held {i}") for i in range(3)]
    for mid in ids:
        d.wait_status(mid, "sending")
    # `sending` shows before its group commit; the stub gets the requests
    # only after it (at most commit_interval later).
    time.sleep(0.2)
    assert d.stop() == 0
    # The host answered every ticket the stub held at fini (plugin.h rule 7):
    # nothing is left `sending`, the stub itself reports nothing.
    cfg = d.cfg
    cfg["plugins"]["sandbox"]["delay"] = "5ms"
    d.write_config(cfg)
    d.start()
    for mid in ids:
        m = d.wait_status(mid, "accepted")
        assert any(h["reason"] == "the plugin instance stopped before answering"
                   for h in m["history"]), m["history"]
