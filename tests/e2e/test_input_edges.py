"""Input edges (issue 11): JSON that jansson would take or describe in its
own words, impossible dates, times that leave the four-digit years in UTC,
and `switchboardd -t` listing every error, core and plugin, once."""
import json
import os
import subprocess

from conftest import DAEMON, PLUGIN_PATH, base_config, free_port
from test_http_api import call


def post_raw(d, raw):
    return call(d, "POST", "/v1/messages", raw=raw)


def test_json_errors_are_in_our_words(make_daemon):
    d = make_daemon()
    cases = [
        (b'{"to": "+5511999990001", "text": "a", "text": "b"}', "the same key twice"),
        (b'{"to": "+5511999990001", "text": "a\\u0000b"}', "NUL character"),
        (b'', "the body is empty"),
        (b'{"to": ', "ends before the JSON value does"),
        (b'{"to": "x"} 7', "more after the JSON value"),
        (b'[1]', "not a JSON object"),
        (b'{"to": "\xff"}', "not valid UTF-8"),
    ]
    for raw, words in cases:
        code, res, _ = post_raw(d, raw)
        assert code == 400 and res["error"]["code"] == "bad_request", (raw, res)
        msg = res["error"]["message"]
        assert words in msg, (raw, msg)
        for leak in ("JSON_", "wrong arguments", "near '"):
            assert leak not in msg, (raw, msg)
    assert call(d, "GET", "/v1/messages")[1]["messages"] == []


def test_times_say_what_is_wrong(make_daemon):
    d = make_daemon()
    cases = [
        ("2030-02-30T10:00:00Z", "'send_at' is not a valid date"),
        ("2030-02-28T10:00:00", "'send_at' has no UTC offset"),
        ("9999-12-31T23:00:00-23:59", "'send_at' is outside the years 0001 to 9999 in UTC"),
    ]
    for at, words in cases:
        code, res, _ = call(d, "POST", "/v1/messages",
                            {"to": "+5511999990001", "text": "hi", "send_at": at})
        assert code == 400 and res["error"]["code"] == "bad_argument", (at, res)
        assert words in res["error"]["message"], (at, res)
    assert call(d, "GET", "/v1/messages")[1]["messages"] == []
    code, res, _ = call(d, "GET", "/v1/messages?until=2030-02-30T00:00:00Z")
    assert code == 400 and "'until' is not a valid date" in res["error"]["message"], res


def check(tmp_path, cfg):
    path = os.path.join(str(tmp_path), "check.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", path], capture_output=True, text=True,
                       timeout=30, env=env)
    return r, path


def test_check_lists_core_and_plugin_errors_once(tmp_path):
    cfg = base_config(str(tmp_path), free_port(), log_level="bogus")
    cfg["plugins"]["fake"]["behaviour"] = "sideways"
    cfg["plugins"]["nomodule"] = {"rate": 5}
    cfg["subaccounts"]["acme"]["default_country"] = "0"
    r, path = check(tmp_path, cfg)
    assert r.returncode == 1, r
    lines = r.stderr.strip().splitlines()
    assert any("'log_level'" in ln for ln in lines), lines
    assert any("unknown behaviour 'sideways'" in ln for ln in lines), lines
    assert any("missing required key 'module'" in ln for ln in lines), lines
    assert any("bad country calling code '0' for 'default_country'" in ln for ln in lines), lines
    # One list, each error once, each naming file:line:column; no log lines.
    assert len(lines) == len(set(lines)) == 4, lines
    for ln in lines:
        assert ln.startswith(path + ":"), ln
        assert ln[len(path) + 1:].split(":")[0].isdigit(), ln


def test_check_of_a_valid_file(tmp_path):
    r, path = check(tmp_path, base_config(str(tmp_path), free_port()))
    assert r.returncode == 0 and "is valid" in r.stdout and r.stderr == "", r
