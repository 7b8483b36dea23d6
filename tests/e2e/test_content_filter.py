"""The content filter end to end: a `filters:` content_filter instance in a
real daemon, rejected messages that never reach a channel, `filter check`,
and support's allowlist (allow, list, revoke, resend) across subaccounts,
restarts and reloads. docs/content-filter.md is the manual."""
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request

import pytest

from conftest import wait_for

KEY_HASH = "sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"  # test-key
FILTERS = {"content": {
    "module": "content_filter",
    "words": ["gratis", "free money"],
    "links": "blocklist",
    "domains": ["bit.ly", "evil.com", "münchen.de"],
    "subaccounts": {"beta": {"words": ["casino"], "links": "block"}},
}}
SUBACCOUNTS = {
    "acme": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
             "api_keys": [KEY_HASH]},
    "beta": {"timezone": "UTC", "chains": ["default"], "default_country": "55"},
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def fd(make_daemon, tmp_path):
    """A daemon with the filter and a recording test channel."""
    record = str(tmp_path / "sent.log")
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "receipt_after": "10ms", "record": record}},
                    subaccounts=SUBACCOUNTS, filters=FILTERS)
    d.record = record
    return d


def sent(d):
    """Texts the channel really sent."""
    if not os.path.exists(d.record):
        return []
    return [l.split(" ", 3)[3] for l in open(d.record).read().splitlines()
            if l.startswith("SENT ")]


def check(d, text, sub="acme"):
    r = json.loads(d.ctl("filter", "check", "--subaccount", sub, "--text", text,
                         "--json").stdout)
    return r["reason"] if r["verdict"] == "block" else None


def rejected(d, mid, reason):
    m = d.wait_status(mid, "rejected")
    assert m["reason"] == reason
    assert m["attempts"] == []
    assert [(h["status"], h["reason"]) for h in m["history"]] == [("rejected", reason)]
    return m


def http(d, method, path, body=None):
    req = urllib.request.Request(d.http + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer test-key",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


# ---- blocking ----

def test_blocked_words_are_rejected_and_never_sent(fd):
    d = fd
    ok = d.send(text="hello, world")
    d.wait_status(ok, "delivered")   # the recorder works: this one was sent
    word = "filter 'content': word 'gratis'"
    for text in ["Ganhe gratis hoje", "GRÁTIS!!", "é grátis", "Ｇｒａｔｉｓ", "g.r.a.t.i.s"]:
        rejected(d, d.send(text=text), word)
    rejected(d, d.send(text="get FREE-Money now"), "filter 'content': word 'free money'")
    rejected(d, d.send(text="gratis", subaccount="beta"), word)   # global words bind all
    rejected(d, d.send(text="best casino", subaccount="beta"),
             "filter 'content': word 'casino'")
    d.wait_status(d.send(text="best casino"), "delivered")      # beta's word, not acme's
    time.sleep(0.1)
    assert sent(d) == ["hello, world", "best casino"]
    assert "message 2 rejected: filter 'content': word 'gratis'" in d.log()
    with urllib.request.urlopen(d.http + "/metrics", timeout=5) as r:
        assert 'sb_messages{status="rejected"} 8' in r.read().decode()


def test_blocked_links_are_rejected(fd):
    d = fd
    cases = [
        ("veja https://bit.ly/abc", "acme", "link 'bit.ly' (blocked domain)"),
        ("veja go.bit.ly/x", "acme", "link 'bit.ly' (blocked domain)"),
        ("HTTP://WWW.EVIL.COM/login", "acme", "link 'evil.com' (blocked domain)"),
        ("see https://xn--mnchen-3ya.de/", "acme", "link 'münchen.de' (blocked domain)"),
        ("see example.org/page", "beta", "link 'example.org' (links not allowed)"),
    ]
    for text, sub, why in cases:
        rejected(d, d.send(text=text, subaccount=sub), "filter 'content': " + why)
    # Not links, or links acme may send: delivered.
    for text in ["mail joao@evil.com", "R$ 1.000,00 ou 3.50", "see example.org/page",
                 "notevil.com is fine"]:
        d.wait_status(d.send(text=text), "delivered")
    assert len(sent(d)) == 4


def test_filter_check_says_allow_or_block_and_stores_nothing(fd):
    d = fd
    r = d.ctl("filter", "check", "--subaccount", "acme", "--text", "Grátis hoje")
    assert r.stdout == "verdict: block\nreason: filter 'content': word 'gratis'\n"
    r = d.ctl("filter", "check", "--subaccount", "acme", "--text", "olá, tudo bem?")
    assert r.stdout == "verdict: allow\nreason: -\n"
    assert check(d, "casino", "beta") == "filter 'content': word 'casino'"
    assert check(d, "casino", "acme") is None
    assert check(d, "bit.ly/x") == "filter 'content': link 'bit.ly' (blocked domain)"
    r = d.ctl("filter", "check", "--subaccount", "nobody", "--text", "x", check=False)
    assert r.returncode != 0 and "no subaccount 'nobody'" in r.stderr
    r = d.ctl("filter", "check", "--subaccount", "acme", check=False)
    assert r.returncode != 0 and "--text" in r.stderr
    assert d.ok("message.list")["messages"] == []
    assert sent(d) == []
    with urllib.request.urlopen(d.http + "/metrics", timeout=5) as r:
        assert not re.search(r'sb_messages\{status="[a-z]+"\} [1-9]', r.read().decode())


def test_http_api_blocked_text_is_accepted_then_rejected(fd):
    # The API stores the message and answers 202 with its id, like any
    # other; the rejection is its status (in the answer), not an HTTP error.
    d = fd
    code, body = http(d, "POST", "/v1/messages", {"to": "+5511999990001",
                                                   "text": "100% GRATIS"})
    assert code == 202, body
    (msg,) = body["messages"]
    assert msg["to"] == "+5511999990001" and msg["status"] == "rejected"
    code, m = http(d, "GET", f"/v1/messages/{msg['id']}")
    assert code == 200 and m["status"] == "rejected"
    assert m["reason"] == "filter 'content': word 'gratis'"
    time.sleep(0.1)
    assert sent(d) == []


# ---- support's allowlist ----

def test_allow_then_resend_is_delivered(fd):
    d = fd
    old = d.send(text="Frete GRÁTIS hoje")
    rejected(d, old, "filter 'content': word 'gratis'")
    r = d.ctl("filter", "allow", "--subaccount", "acme", "--term", "Grátis")
    assert r.stdout == "subaccount: acme\nkind: term\nvalue: gratis\n"  # what is stored
    assert check(d, "Frete GRÁTIS hoje") is None
    r = json.loads(d.ctl("resend", str(old), "--json").stdout)
    new = r["id"]
    assert new != old and r["resend_of"] == old
    m = d.wait_status(new, "delivered")
    assert m["resend_of"] == old and m["text"] == "Frete GRÁTIS hoje"
    assert d.status(old)["status"] == "rejected"
    assert sent(d) == ["Frete GRÁTIS hoje"]
    # The allowlist opens the word, not the message: the next blocked word still blocks.
    rejected(d, d.send(text="gratis free money"), "filter 'content': word 'free money'")


def test_allowlist_is_per_subaccount(fd):
    d = fd
    d.ctl("filter", "allow", "--subaccount", "acme", "--term", "gratis")
    d.wait_status(d.send(text="gratis"), "delivered")
    rejected(d, d.send(text="gratis", subaccount="beta"), "filter 'content': word 'gratis'")
    assert check(d, "gratis", "beta") == "filter 'content': word 'gratis'"
    # A global entry opens it for every subaccount.
    d.ctl("filter", "allow", "--term", "gratis")
    assert check(d, "gratis", "beta") is None
    d.ctl("filter", "revoke", "--term", "gratis")
    assert check(d, "gratis", "beta") == "filter 'content': word 'gratis'"
    assert check(d, "gratis", "acme") is None


def test_allowlist_survives_restart_and_reload(fd):
    d = fd
    d.ctl("filter", "allow", "--subaccount", "acme", "--term", "gratis")
    d.ctl("filter", "allow", "--subaccount", "acme", "--domain", "bit.ly")
    before = d.ok("filter.list")["entries"]
    assert d.stop() == 0
    d.start()
    assert d.ok("filter.list")["entries"] == before
    assert check(d, "gratis bit.ly/x") is None
    d.cfg["filters"]["content"]["words"].append("promo")
    d.write_config(d.cfg)
    assert d.request("config.reload")["ok"]
    assert check(d, "promo") == "filter 'content': word 'promo'"   # the new config is live
    assert check(d, "gratis bit.ly/x") is None
    d.cfg["filters"]["content"]["words"].append("sale")
    d.write_config(d.cfg)
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: check(d, "sale") is not None, 5, what="SIGHUP reload")
    assert check(d, "gratis bit.ly/x") is None
    assert d.ok("filter.list")["entries"] == before
    d.wait_status(d.send(text="gratis bit.ly/x"), "delivered")


def test_filter_list_shows_uid_and_time_and_revoke_closes(fd):
    d = fd
    t0 = time.time()
    d.ctl("filter", "allow", "--subaccount", "acme", "--term", "gratis")
    d.ctl("filter", "allow", "--domain", "bit.ly")
    (e1, e2) = sorted(d.ok("filter.list")["entries"], key=lambda e: e["kind"])
    assert (e1["subaccount"], e1["kind"], e1["value"]) == (None, "domain", "bit.ly")
    assert (e2["subaccount"], e2["kind"], e2["value"]) == ("acme", "term", "gratis")
    for e in (e1, e2):
        assert e["uid"] == os.getuid()
        assert ISO.match(e["at"])
        at = time.mktime(time.strptime(e["at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        assert t0 - 5 < at < time.time() + 5
    table = d.ctl("filter", "list").stdout.splitlines()
    assert table[0].split() == ["SUBACCOUNT", "KIND", "VALUE", "UID", "AT"]
    assert sorted(l.split()[:4] for l in table[1:]) == [
        ["-", "domain", "bit.ly", str(os.getuid())], ["acme", "term", "gratis", str(os.getuid())]]
    # --subaccount shows that subaccount's entries and the global ones.
    assert len(d.ok("filter.list", {"subaccount": "beta"})["entries"]) == 1

    d.ctl("filter", "revoke", "--subaccount", "acme", "--term", "GRÁTIS")
    assert check(d, "gratis") == "filter 'content': word 'gratis'"
    r = d.ctl("filter", "revoke", "--subaccount", "acme", "--term", "gratis", check=False)
    assert r.returncode != 0 and "no allowlist entry term 'gratis' for acme" in r.stderr
    assert [e["value"] for e in d.ok("filter.list")["entries"]] == ["bit.ly"]
    rejected(d, d.send(text="gratis"), "filter 'content': word 'gratis'")


def test_domain_allowlist_opens_domain_and_subdomains(fd):
    d = fd
    blocked = "filter 'content': link 'evil.com' (blocked domain)"
    d.ctl("filter", "allow", "--subaccount", "acme", "--domain", "shop.evil.com")
    assert check(d, "https://shop.evil.com/x") is None
    assert check(d, "https://evil.com/x") == blocked        # a subdomain opens no parent
    d.ctl("filter", "allow", "--subaccount", "acme", "--domain", "evil.com")
    for text in ["https://evil.com/x", "www.evil.com", "a.b.evil.com/deep", "EVIL.COM/x"]:
        assert check(d, text) is None, text
    assert check(d, "https://evil.com/x", "beta") == blocked  # acme's entry only
    assert check(d, "bit.ly/x") == "filter 'content': link 'bit.ly' (blocked domain)"
    # Under `links: block` an allowed domain is the only way through.
    d.ctl("filter", "allow", "--subaccount", "beta", "--domain", "partner.org")
    assert check(d, "see https://www.partner.org/x", "beta") is None
    assert check(d, "see other.org/x", "beta") == \
        "filter 'content': link 'other.org' (links not allowed)"
    d.wait_status(d.send(text="https://a.b.evil.com/deep"), "delivered")
    assert sent(d) == ["https://a.b.evil.com/deep"]


def test_domain_allowlist_entries_are_canonical(fd):
    d = fd
    # Support types the domain as it comes: upper case, a wildcard, punycode.
    for typed, stored in [("MÜNCHEN.DE", "münchen.de"), ("*.Evil.COM", "evil.com"),
                          ("xn--mnchen-3ya.de.", "münchen.de")]:
        r = json.loads(d.ctl("filter", "allow", "--subaccount", "acme", "--domain", typed,
                             "--json").stdout)
        assert r["value"] == stored, (typed, r)
    assert sorted(e["value"] for e in d.ok("filter.list")["entries"]) == \
        ["evil.com", "münchen.de"]
    for text in ["https://münchen.de/", "https://xn--mnchen-3ya.de/", "www.evil.com"]:
        assert check(d, text) is None, text
    # Things that are not a domain name are refused, and nothing is stored.
    for bad in ["https://bit.ly/", "bit.ly/x", "bit ly", "user@bit.ly", "bit.ly:80", "*",
                ".", "a..b", "*.", "xn--zz99.de", "com", "*.com"]:
        r = d.request("filter.allow", {"subaccount": "acme", "domain": bad})
        assert not r["ok"] and r["error"]["code"] == "bad_argument", (bad, r)
        assert r["error"]["message"], bad
    assert len(d.ok("filter.list")["entries"]) == 2
    # IP addresses are entries too (beta's `links: block` blocks them otherwise).
    assert check(d, "http://[2001:db8::1]/x", "beta") == \
        "filter 'content': link '[2001:db8::1]' (links not allowed)"
    assert check(d, "10.0.0.1/admin", "beta") == \
        "filter 'content': link '10.0.0.1' (links not allowed)"
    d.ok("filter.allow", {"subaccount": "beta", "domain": "[2001:DB8::1]"})
    d.ok("filter.allow", {"subaccount": "beta", "domain": "10.0.0.1"})
    assert check(d, "http://[2001:db8::1]/x", "beta") is None
    assert check(d, "10.0.0.1/admin", "beta") is None
    assert check(d, "10.0.0.2/admin", "beta") is not None


def test_allow_bad_requests_change_nothing(fd):
    d = fd
    cases = [
        ({"subaccount": "acme"}, "bad_argument"),
        ({"subaccount": "acme", "term": "x", "domain": "y.com"}, "bad_argument"),
        ({"subaccount": "acme", "term": "   "}, "bad_argument"),
        ({"subaccount": "acme", "term": 42}, "bad_argument"),
        ({"subaccount": "nobody", "term": "gratis"}, "not_found"),
        ({"subaccount": "", "term": "gratis"}, "bad_argument"),
    ]
    for args, code in cases:
        r = d.request("filter.allow", args)
        assert not r["ok"] and r["error"]["code"] == code, (args, r)
    r = d.ctl("filter", "allow", "--subaccount", "acme", "--term", "a", "--domain", "b.com",
              check=False)
    assert r.returncode != 0
    assert d.ok("filter.list")["entries"] == []
    assert check(d, "gratis") == "filter 'content': word 'gratis'"


def test_filter_allow_is_logged_with_uid_and_what(fd):
    d = fd
    d.ctl("filter", "allow", "--subaccount", "acme", "--term", "Grátis")
    d.ctl("filter", "revoke", "--subaccount", "acme", "--term", "gratis")
    d.ctl("filter", "allow", "--domain", "bit.ly")
    uid = os.getuid()
    log = d.log()
    assert re.search(rf"control: uid={uid} pid=\d+ cmd=filter\.allow", log)
    assert f"filter: uid={uid} allowed term 'gratis' for acme" in log
    assert f"filter: uid={uid} revoked term 'gratis' for acme" in log
    assert f"filter: uid={uid} allowed domain 'bit.ly' for all subaccounts" in log
