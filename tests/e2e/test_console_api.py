"""The console's side of the HTTP API, without a browser (docs/console.md):
logins checked against scrypt hashes, the session cookie and its flags, the
CSRF token on every mutation, which subaccount a session acts for, the
support role's allowlist and resend, session expiry in real time, a reload
that changes a password, the console's files, and the config errors of the
`console:` section. test_console_browser.py drives the same through Chromium.
"""
import hashlib
import http.client
import json
import os
import subprocess
import time

import pytest

from conftest import CTL, DAEMON, SRCDIR, wait_for

KEY_HASH = "sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"  # test-key
SUBACCOUNTS = {
    "acme": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
             "api_keys": [KEY_HASH]},
    "beta": {"timezone": "UTC", "chains": ["default"], "default_country": "55"},
}
FILTERS = {"content": {"module": "content_filter", "words": ["gratis"],
                       "links": "blocklist", "domains": ["bit.ly"]}}


def pw_hash(password, n=1024, salt=b"0123456789abcdef"):
    dk = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1,
                        maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt:{n}:8:1:{salt.hex()}:{dk.hex()}"


USERS = {
    "ana": {"subaccount": "acme", "password_hash": pw_hash("ana-pass")},
    "bob": {"subaccount": "beta", "password_hash": pw_hash("bob-pass")},
    "sam": {"role": "support", "password_hash": pw_hash("sam-pass")},
}


class Client:
    """One browser's worth of state: the cookie jar is the session cookie."""

    def __init__(self, d):
        self.d = d
        self.cookie = None
        self.csrf = None
        self.sub = None

    def call(self, method, path, body=None, headers=None, csrf=True, raw=None):
        host, port = self.d.cfg["daemon"]["http_listen"].rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = f"sb_session={self.cookie}"
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        if self.sub:
            h.setdefault("X-Subaccount", self.sub)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        try:
            j = json.loads(text) if text else None
        except ValueError:
            j = None
        return r.status, j, r.headers, text

    def login(self, user, password):
        code, j, hdr, _ = self.call("POST", "/v1/session", {"user": user, "password": password})
        if code == 200:
            cookie = hdr["Set-Cookie"]
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
            self.csrf = j["csrf"]
        return code, j, hdr


@pytest.fixture
def cd(make_daemon, tmp_path):
    d = make_daemon(start=False, subaccounts=SUBACCOUNTS, filters=FILTERS,
                    plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "10ms"}})
    d.cfg["console"] = {"users": USERS}
    d.write_config(d.cfg)
    return d.start()


def key_call(d, method, path, body=None):
    c = Client(d)
    return c.call(method, path, body, headers={"Authorization": "Bearer test-key"})


def test_login_sets_a_strict_http_only_cookie_and_gives_the_csrf_token(cd):
    c = Client(cd)
    code, j, hdr = c.login("ana", "ana-pass")
    assert code == 200, j
    cookie = hdr["Set-Cookie"]
    assert len(c.cookie) == 64
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"):
        assert flag in cookie, cookie
    assert "Secure" not in cookie
    assert j["user"] == "ana" and j["role"] == "user" and j["subaccount"] == "acme"
    assert j["subaccounts"] == ["acme"] and len(j["csrf"]) == 64 and j["expires"].endswith("Z")
    code, again, _, _ = c.call("GET", "/v1/session")
    assert code == 200 and again["csrf"] == j["csrf"]
    # The cookie is the key to the API: the same routes an application uses.
    code, m, _, _ = c.call("GET", "/v1/folders")
    assert code == 200 and "folders" in m or "total" in m, m
    assert "password" not in cd.log() and "ana-pass" not in cd.log()


def test_wrong_or_unknown_users_get_one_answer(cd):
    for user, pw in (("ana", "nope"), ("nobody", "ana-pass")):
        code, j, hdr = Client(cd).login(user, pw)
        assert code == 401, j
        assert j["error"] == {"code": "unauthorized", "message": "wrong user name or password"}
        assert "Set-Cookie" not in hdr
    code, j, _, _ = Client(cd).call("GET", "/v1/session")
    assert code == 401 and j["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("body,why", [
    ({"user": "ana"}, "required"),
    ({"user": "", "password": "x"}, "required"),
    ({"user": 5, "password": "x"}, "required"),
    ({"user": "a" * 65, "password": "x"}, "at most 64"),
    ({"user": "ana", "password": "x" * 1025}, "at most 1024"),
])
def test_malformed_logins_are_400(cd, body, why):
    code, j, _, _ = Client(cd).call("POST", "/v1/session", body)
    assert code == 400 and j["error"]["code"] == "bad_argument" and why in j["error"]["message"]


def test_login_body_that_is_not_json_is_400(cd):
    code, j, _, _ = Client(cd).call("POST", "/v1/session", raw="user=ana&password=x",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 400 and j["error"]["code"] == "bad_request"


def test_failed_logins_are_throttled_per_address(cd):
    codes = []
    for _ in range(14):
        code, j, hdr = Client(cd).login("ana", "wrong")
        codes.append(code)
        if code == 429:
            assert int(hdr["Retry-After"]) >= 1
            assert j["error"]["code"] == "rate_limited"
            break
    assert codes[-1] == 429 and codes.count(401) >= 5, codes
    # While throttled, even the right password waits.
    code, j, _ = Client(cd).login("ana", "ana-pass")
    assert code == 429, j


def test_mutations_need_the_csrf_token(cd):
    c = Client(cd)
    c.login("ana", "ana-pass")
    body = {"to": "+5511999990001", "text": "hello"}
    code, j, _, _ = c.call("POST", "/v1/messages", body, csrf=False)
    assert code == 403 and j["error"] == {"code": "forbidden",
                                          "message": "missing or wrong CSRF token"}
    code, j, _, _ = c.call("POST", "/v1/messages", body, headers={"X-CSRF-Token": "0" * 64},
                           csrf=False)
    assert code == 403
    code, j, _, _ = c.call("POST", "/v1/messages", body)
    assert code == 202, j
    mid = j["messages"][0]["id"]
    cd.wait_status(mid, "delivered")
    code, m, _, _ = c.call("GET", f"/v1/messages/{mid}")
    assert code == 200 and m["subaccount"] == "acme"
    # Who sent it: the console user.
    code, b, _, _ = c.call("GET", "/v1/broadcasts")
    assert b["broadcasts"][0]["user"] == "console:ana"


def test_a_user_sees_only_its_subaccount(cd):
    ana, bob = Client(cd), Client(cd)
    ana.login("ana", "ana-pass")
    bob.login("bob", "bob-pass")
    code, j, _, _ = ana.call("POST", "/v1/messages", {"to": "+5511999990002", "text": "a"})
    assert code == 202, j
    mid = j["messages"][0]["id"]
    code, j, _, _ = bob.call("GET", f"/v1/messages/{mid}")
    assert code == 404, j
    code, j, _, _ = bob.call("GET", "/v1/search")
    assert code == 200 and j["messages"] == []
    code, j, _, _ = bob.call("GET", f"/v1/messages/{mid}", headers={"X-Subaccount": "acme"})
    assert code == 403 and "acts only for subaccount 'beta'" in j["error"]["message"]
    code, j, _, _ = ana.call("GET", f"/v1/messages/{mid}", headers={"X-Subaccount": "acme"})
    assert code == 200


def test_support_names_its_subaccount_and_manages_the_allowlist(cd):
    ana, sam = Client(cd), Client(cd)
    ana.login("ana", "ana-pass")
    code, j, _ = sam.login("sam", "sam-pass")
    assert j["role"] == "support" and j["subaccount"] is None
    assert j["subaccounts"] == ["acme", "beta"]
    code, j, _, _ = ana.call("POST", "/v1/messages", {"to": "+5511999990003",
                                                     "text": "it is gratis today"})
    mid = j["messages"][0]["id"]
    cd.wait_status(mid, "rejected")
    code, j, _, _ = sam.call("GET", "/v1/search?status=rejected")
    assert code == 400 and "X-Subaccount" in j["error"]["message"]
    code, j, _, _ = sam.call("GET", "/v1/search?status=rejected", headers={"X-Subaccount": "nope"})
    assert code == 400 and "unknown subaccount 'nope'" in j["error"]["message"]
    sam.sub = "acme"
    code, j, _, _ = sam.call("GET", "/v1/search?status=rejected")
    assert code == 200 and [m["id"] for m in j["messages"]] == [mid]
    assert "gratis" in j["messages"][0]["reason"]
    # Only support opens the filter: not the subaccount's user, not its API key.
    code, j, _, _ = ana.call("POST", "/v1/allowlist", {"kind": "term", "value": "gratis"})
    assert code == 403 and j["error"]["code"] == "forbidden"
    code, j, _, _ = key_call(cd, "GET", "/v1/allowlist")
    assert code == 403
    code, j, _, _ = sam.call("POST", "/v1/allowlist", {"kind": "term", "value": "gratis"},
                             csrf=False)
    assert code == 403
    code, j, _, _ = sam.call("POST", "/v1/allowlist", {"kind": "word", "value": "gratis"})
    assert code == 400 and "'kind'" in j["error"]["message"]
    code, j, _, _ = sam.call("POST", "/v1/allowlist", {"kind": "domain",
                                                       "value": "https://bit.ly/x"})
    assert code == 400 and j["error"]["code"] == "bad_argument"
    code, j, _, _ = sam.call("POST", "/v1/allowlist", {"kind": "term", "value": "Gratis"})
    assert code == 200 and j == {"subaccount": "acme", "kind": "term", "value": "gratis"}
    code, j, _, _ = sam.call("GET", "/v1/allowlist")
    assert [(e["kind"], e["value"], e["subaccount"]) for e in j["entries"]] == \
        [("term", "gratis", "acme")]
    assert "uid" not in j["entries"][0]
    code, j, _, _ = sam.call("GET", "/v1/allowlist", headers={"X-Subaccount": "beta"})
    assert j["entries"] == []
    code, j, _, _ = sam.call("POST", f"/v1/messages/{mid}/resend")
    assert code == 200 and j["resend_of"] == mid, j
    cd.wait_status(j["id"], "delivered")
    assert "console user 'sam' allowed term 'gratis' for acme" in cd.log()
    code, j, _, _ = sam.call("DELETE", "/v1/allowlist?kind=term&value=gratis")
    assert code == 200
    code, j, _, _ = sam.call("DELETE", "/v1/allowlist?kind=term&value=gratis")
    assert code == 404 and j["error"]["code"] == "not_found"


def test_resend_with_an_api_key(cd):
    mid = cd.send(to="+5511999990004", text="hi", subaccount="acme")
    cd.wait_status(mid, "delivered")
    code, j, _, _ = key_call(cd, "POST", f"/v1/messages/{mid}/resend")
    assert code == 200 and j["resend_of"] == mid
    code, m, _, _ = key_call(cd, "GET", f"/v1/messages/{j['id']}")
    assert m["resend_of"] == mid
    later = cd.send(to="+5511999990005", text="later", subaccount="acme",
                    at="2099-01-01T00:00:00Z")
    code, j, _, _ = key_call(cd, "POST", f"/v1/messages/{later}/resend")
    assert code == 409 and j["error"]["code"] == "invalid_state"
    code, j, _, _ = key_call(cd, "POST", "/v1/messages/999999/resend")
    assert code == 404


def test_logout_ends_the_session(cd):
    c = Client(cd)
    c.login("ana", "ana-pass")
    code, j, _, _ = c.call("DELETE", "/v1/session", csrf=False)
    assert code == 403
    code, j, hdr, _ = c.call("DELETE", "/v1/session")
    assert code == 200 and "Max-Age=0" in hdr["Set-Cookie"]
    code, j, _, _ = c.call("GET", "/v1/session")
    assert code == 401
    code, j, _, _ = c.call("GET", "/v1/folders")
    assert code == 401 and "log in again" in j["error"]["message"]


def test_a_session_expires_in_real_time(make_daemon):
    d = make_daemon(start=False, test_clock=False, subaccounts=SUBACCOUNTS)
    d.cfg["console"] = {"users": USERS, "session_ttl": "1s", "secure_cookie": True}
    d.write_config(d.cfg)
    d.start()
    c = Client(d)
    t0 = time.monotonic()
    code, j, hdr = c.login("ana", "ana-pass")
    assert code == 200 and "; Secure" in hdr["Set-Cookie"] and "Max-Age=1" in hdr["Set-Cookie"]
    wait_for(lambda: c.call("GET", "/v1/session")[0] == 401, 5, what="the session to end")
    assert time.monotonic() - t0 >= 0.9


def test_a_new_password_by_reload_ends_the_users_sessions(cd):
    ana, bob = Client(cd), Client(cd)
    ana.login("ana", "ana-pass")
    bob.login("bob", "bob-pass")
    cfg = json.loads(json.dumps(cd.cfg))
    cfg["console"]["users"]["ana"]["password_hash"] = pw_hash("new-pass", salt=b"fedcba9876543210")
    cd.write_config(cfg)
    cd.ok("config.reload")
    assert ana.call("GET", "/v1/session")[0] == 401
    assert bob.call("GET", "/v1/session")[0] == 200
    assert Client(cd).login("ana", "ana-pass")[0] == 401
    assert Client(cd).login("ana", "new-pass")[0] == 200


def test_a_hash_from_switchboardctl_logs_in(make_daemon):
    r = subprocess.run([CTL, "console", "hash", "--cost", "1024"], input="from-ctl\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    h = r.stdout.strip()
    assert h.startswith("scrypt:1024:8:1:") and len(h.split(":")[4]) == 32
    d = make_daemon(start=False, subaccounts=SUBACCOUNTS)
    d.cfg["console"] = {"users": {"eve": {"subaccount": "acme", "password_hash": h}}}
    d.write_config(d.cfg)
    d.start()
    assert Client(d).login("eve", "from-ctl")[0] == 200
    assert Client(d).login("eve", "from-ctl ")[0] == 401
    r = subprocess.run([CTL, "console", "hash", "--cost", "1000"], input="x\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "power of two" in r.stderr
    r = subprocess.run([CTL, "console", "hash"], input="", capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "expected a password" in r.stderr


def test_console_files_are_served_with_their_type_and_nothing_else(make_daemon, tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<!doctype html><title>console</title>")
    (www / "app.js").write_text("console.log(1)")
    (www / ".secret.js").write_text("no")
    (www / "notes.md").write_text("no")
    d = make_daemon(start=False, subaccounts=SUBACCOUNTS)
    d.cfg["console"] = {"www": str(www), "users": USERS}
    d.write_config(d.cfg)
    d.start()
    c = Client(d)
    code, _, hdr, text = c.call("GET", "/console/")
    assert code == 200 and "<title>console</title>" in text
    assert hdr["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in hdr["Content-Security-Policy"]
    assert hdr["X-Content-Type-Options"] == "nosniff"
    code, _, hdr, text = c.call("GET", "/console/app.js?v=1")
    assert code == 200 and hdr["Content-Type"].startswith("text/javascript")
    for path in ("/console/.secret.js", "/console/notes.md", "/console/../switchboard.yaml",
                 "/console/%2e%2e/switchboard.yaml", "/console/nope.js", "/console/a/b.js"):
        code, j, _, _ = c.call("GET", path)
        assert code == 404, path
    code, _, hdr, _ = c.call("GET", "/")
    assert code == 302 and hdr["Location"] == "/console/"
    code, _, hdr, _ = c.call("GET", "/console")
    assert code == 302 and hdr["Location"] == "/console/"
    code, j, _, _ = c.call("POST", "/console/app.js", {})
    assert code == 400


def test_the_source_trees_console_is_found_without_a_www_key(cd):
    code, _, hdr, text = Client(cd).call("GET", "/console/")
    assert code == 200 and hdr["Content-Type"].startswith("text/html")
    assert text == open(os.path.join(SRCDIR, "www", "index.html")).read()


def test_template_statistics_by_one_channel_type(cd):
    cd.wait_status(cd.send(to="+5511999990006", text="x", subaccount="acme"), "delivered")
    # The test module's channel type is sms.
    code, j, _, _ = key_call(cd, "GET", "/v1/stats?by=template&channel_type=sms")
    assert code == 200 and j["total"]["triggers"] == 1, j
    assert j["rows"][0]["template"] is None and j["rows"][0]["delivered"] == 1
    code, j, _, _ = key_call(cd, "GET", "/v1/stats?by=template&channel_type=whatsapp")
    assert code == 200 and j["total"]["triggers"] == 0 and j["rows"] == []
    code, j, _, _ = key_call(cd, "GET", "/v1/stats?by=template&channel_type=fax")
    assert code == 400 and "unknown channel type 'fax'" in j["error"]["message"]
    code, j, _, _ = key_call(cd, "GET", "/v1/stats?by=channel_type&channel_type=sms")
    assert code == 400 and "by=template only" in j["error"]["message"]


@pytest.mark.parametrize("console,error", [
    ({"users": {"x": {"password_hash": pw_hash("a")}}}, "missing required key 'subaccount'"),
    ({"users": {"x": {"subaccount": "nope", "password_hash": pw_hash("a")}}},
     "unknown subaccount 'nope'"),
    ({"users": {"x": {"role": "admin", "subaccount": "acme", "password_hash": pw_hash("a")}}},
     "bad role 'admin'"),
    ({"users": {"x": {"role": "support", "subaccount": "acme", "password_hash": pw_hash("a")}}},
     "a support user sees every subaccount"),
    ({"users": {"x": {"subaccount": "acme"}}}, "missing required key 'password_hash'"),
    ({"users": {"x": {"subaccount": "acme", "password_hash": "plain-text"}}},
     "bad 'password_hash': expected \"scrypt:N:r:p:SALT:KEY\""),
    ({"users": {"x": {"subaccount": "acme", "password_hash": "scrypt:1000:8:1:" + "00" * 16 +
                      ":" + "00" * 32}}}, "power of two"),
    ({"users": {"x": {"subaccount": "acme", "password_hash": "scrypt:1024:8:1:00:" + "00" * 32}}},
     "the salt must be"),
    ({"users": {"bad name!": {"subaccount": "acme", "password_hash": pw_hash("a")}}},
     "bad user name 'bad name!'"),
    ({"session_ttl": "0s"}, "bad duration '0s' for 'session_ttl'"),
    ({"users": []}, "expected a mapping of user names"),
    ({"colour": "blue"}, "unknown key 'colour'"),
])
def test_console_config_errors_name_the_place(make_daemon, console, error):
    d = make_daemon(start=False, subaccounts=SUBACCOUNTS)
    d.cfg["console"] = console
    d.write_config(d.cfg)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0
    assert error in r.stderr, r.stderr
    assert d.conf_path + ":" in r.stderr
