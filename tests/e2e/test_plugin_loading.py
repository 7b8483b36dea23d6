"""How the loader takes and refuses modules, as docs/plugins.md says:
unresolved symbols are refused at load time, not at the first call."""
import os
import subprocess

from conftest import DAEMON, PLUGIN_PATH


def test_undefined_symbol_is_refused_not_fatal(make_daemon):
    d = make_daemon()
    good = d.cfg
    bad = dict(good, plugins=dict(good["plugins"], lazy={"module": "abi_undef"}),
               chains=dict(good["chains"], lazy=[{"channel": "lazy"}]))
    bad["subaccounts"]["acme"]["chains"] = ["default", "lazy"]
    d.write_config(bad)
    r = d.request("config.reload")
    assert not r["ok"] and r["error"]["code"] == "config_invalid", r
    assert "abi_undef" in r["error"]["message"], r
    assert "undefined symbol: sb_test_no_such_symbol" in r["error"]["message"], r
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    t = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                       env=env, timeout=30)
    assert t.returncode == 1 and "undefined symbol" in t.stderr, t
    # The daemon still runs on the old configuration.
    mid = d.send()
    d.wait_status(mid, "delivered")
    assert "lazy" not in {i["name"] for m in d.ok("plugins")["modules"] for i in m["instances"]}
