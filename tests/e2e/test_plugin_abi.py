"""ABI 1.1 keeps ABI 1.0 plugins working (include/switchboard/plugin.h,
rule E4): tests/plugins/abi_v10.c is compiled against the frozen 1.0
headers, and the host reads its embedded caps, answers its webhook and
takes its verdict through the 1.0 layouts, and does not answer twice a
ticket the plugin answered itself at fini."""
import urllib.request


def v10_daemon(make_daemon):
    return make_daemon(plugins={"old": {"module": "abi_v10"}},
                       chains={"default": [{"channel": "old"}]},
                       filters={"oldf": {"module": "abi_v10f"}})


def test_abi_1_0_plugin_is_served(make_daemon):
    d = v10_daemon(make_daemon)
    mods = {m["name"]: m for m in d.ok("plugins")["modules"]}
    assert d.ok("plugins")["host_abi"] == "1.3"
    assert mods["abi_v10"]["abi"] == "1.0" and mods["abi_v10f"]["abi"] == "1.0"
    # caps.default_rate of the 1.0 struct, applied as the instance's rate.
    assert mods["abi_v10"]["instances"][0]["rate"] == 7
    m = d.wait_status(d.send(text="hello"), "delivered")
    assert m["attempts"][0]["provider_id"] == "v10-1"


def test_abi_1_0_webhook_answer(make_daemon):
    d = v10_daemon(make_daemon)
    req = urllib.request.Request(d.http + "/hooks/old", data=b"x=1", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 202
        assert r.headers["Content-Type"].startswith("text/x-v10")
        assert r.read() == b"v10 ok"


def test_abi_1_0_verdict(make_daemon):
    d = v10_daemon(make_daemon)
    m = d.wait_status(d.send(text="please blockme"), "rejected")
    assert m["reason"] == "filter 'oldf': v10 filter: blockme"
    d.wait_status(d.send(text="fine"), "delivered")


def test_abi_1_0_tickets_answered_at_fini_once(make_daemon):
    d = v10_daemon(make_daemon)
    mid = d.send(text="hold me")
    d.wait_status(mid, "sending")
    d.wait_status(d.send(text="after"), "delivered")   # the held one went out first
    assert d.stop() == 0
    log = d.log()
    assert "result for an unknown ticket" not in log, log
    assert "sends unanswered" not in log, log
    d.start()
    m = d.status(mid)
    reasons = [h["reason"] for h in m["history"]]
    assert "v10: answered at fini" in reasons, m["history"]
    assert "the plugin instance stopped before answering" not in reasons, m["history"]
