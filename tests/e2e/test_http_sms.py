"""The http_sms channel end to end: the real daemon and the real plugin
against the scriptable mock carrier (tests/e2e/mock_carrier.py) on
127.0.0.1. What the carrier sees, how its answers map onto attempts, and
what happens to delivery receipts, good and bad, on /hooks/<instance>."""
import base64
import os
import re
import subprocess
import sqlite3
import time
import urllib.parse
import urllib.request

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_carrier import MockCarrier

TOKEN = "dlr-token-Zq9"
API_SECRET = "api-secret-7f3c9e"
KEY_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def carrier():
    c = MockCarrier().start()
    yield c
    c.stop()


def sms(carrier, **kw):
    """An http_sms instance pointed at the mock carrier; kw overrides keys."""
    p = {
        "module": "http_sms",
        "url": carrier.url + "/sms",
        "timeout": "2s",
        "params": {"to": "{to}", "from": "{from}", "text": "{text}", "dlr_url": "{dlr_url}"},
        "from": "SWITCHBOARD",
        "dlr_token": {"env": "SB_E2E_DLR_TOKEN"},
        "dlr": {"status_map": {"1": "delivered", "2": "undeliverable"},
                "token": "{secret:dlr_token}"},
    }
    p.update(kw)
    return p


@pytest.fixture
def secrets(monkeypatch):
    monkeypatch.setenv("SB_E2E_DLR_TOKEN", TOKEN)
    monkeypatch.setenv("SB_E2E_API_SECRET", API_SECRET)


def daemon_with(make_daemon, carrier, chain=None, retry=None, **kw):
    plugins = {"sms": sms(carrier, **kw), "fake": {"module": "test", "behaviour": "deliver"}}
    d = make_daemon(start=False, plugins=plugins,
                    chains={"default": chain or [{"channel": "sms"}]})
    if retry:
        d.cfg["retry"].update(retry)
        d.write_config(d.cfg)
    return d.start()


def history(m):
    return [h["status"] for h in m["history"]]


def accepted(d, carrier, text="hello", n=1):
    """Send one message, wait for `accepted`; return (id, message, its dlr_url)."""
    mid = d.send(text=text)
    m = d.wait_status(mid, "accepted")
    return mid, m, carrier.wait_requests(n)[-1]["form"]["dlr_url"]


# ---- the request ----

def test_request_shape_auth_headers_and_secrets_stay_out_of_the_log(make_daemon, carrier,
                                                                     secrets):
    d = daemon_with(make_daemon, carrier, basic_auth="bob:pa55:word",
                    headers={"X-Api-Key": "{secret:api_key}", "X-Tag": "sb-{message_id}"},
                    api_key={"env": "SB_E2E_API_SECRET"})
    text = "Olá & 100% = ação? #1 +x"
    mid = d.send(text=text)
    d.wait_status(mid, "accepted")
    mid2 = d.send(to="+5511999990002", text="own sender", **{"from": "ACME"})
    d.wait_status(mid2, "accepted")

    r, r2 = carrier.wait_requests(2)
    assert (r["method"], r["path"], r["raw_query"]) == ("POST", "/sms", "")
    assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert set(r["form"]) == {"to", "from", "text", "dlr_url"}
    assert r["form"]["to"] == "+5511999990001"
    assert r["form"]["text"] == text
    assert r["form"]["from"] == "SWITCHBOARD"        # the instance's default
    assert r2["form"]["from"] == "ACME"              # the message's own sender wins
    assert r["headers"]["Authorization"] == \
        "Basic " + base64.b64encode(b"bob:pa55:word").decode()
    assert r["headers"]["X-Api-Key"] == API_SECRET
    assert r["headers"]["X-Tag"] == f"sb-{mid}"

    # dlr_url: our /hooks/<instance>, the attempt key as `id`, the token.
    m = d.status(mid)
    u = urllib.parse.urlsplit(r["form"]["dlr_url"])
    q = dict(urllib.parse.parse_qsl(u.query))
    assert f"{u.scheme}://{u.netloc}" == d.http and u.path == "/hooks/sms"
    assert set(q) == {"id", "token"} and q["token"] == TOKEN
    assert KEY_RE.match(q["id"]) and int(q["id"][-12:], 16) == m["attempts"][0]["id"]
    assert m["attempts"][0]["provider_id"] == q["id"]   # id_from: attempt_key
    # The key is shown, not stored: made again from the attempt's id, it
    # costs no column and no attempts_provider entry per message.
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    try:
        assert db.execute("SELECT provider_id FROM attempts WHERE id = ?",
                          (m["attempts"][0]["id"],)).fetchone() == (None,)
    finally:
        db.close()

    # A receipt with a wrong token, then a good one: neither token is logged.
    assert carrier.send_dlr(d.http + "/hooks/sms", {"id": q["id"], "status": "1",
                                                     "token": "not-" + TOKEN})[0] == 403
    assert carrier.send_dlr(r["form"]["dlr_url"], {"status": "1"})[0] == 200
    d.wait_status(mid, "delivered")
    log = d.log()
    assert "receipt rejected with 403" in log
    for secret in (API_SECRET, TOKEN, "pa55:word", base64.b64encode(b"bob:pa55:word").decode()):
        assert secret not in log


def test_json_body_and_digits(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier, body="json", id_from="json:message_id",
                    params={"msisdn": "{to_digits}", "text": "{text}", "ref": "{attempt_key}"},
                    dlr={"id_param": "messageId", "status_param": "state",
                         "token": "{secret:dlr_token}"})
    mid = d.send(text='quote " and \\ and 日本')
    m = d.wait_status(mid, "accepted")
    r = carrier.wait_requests(1)[0]
    assert r["headers"]["Content-Type"] == "application/json"
    assert r["json"] == {"msisdn": "5511999990001", "text": 'quote " and \\ and 日本',
                         "ref": r["json"]["ref"]}
    assert int(r["json"]["ref"][-12:], 16) == m["attempts"][0]["id"]
    assert m["attempts"][0]["provider_id"] == "1"      # json:message_id of the answer
    # A JSON receipt, with switchboard's own status words (no status_map).
    st, body = carrier.send_dlr(d.http + "/hooks/sms", method="POST",
                                body={"messageId": "1", "state": "delivered"})
    assert st == 403   # the token is required in JSON too
    st, body = carrier.send_dlr(d.http + "/hooks/sms", method="POST",
                                body={"messageId": "1", "state": "delivered", "token": TOKEN})
    assert (st, body) == (200, "OK")
    d.wait_status(mid, "delivered")


# ---- answers and retries ----

def test_accepted_then_receipt_delivers(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier)
    mid, m, dlr_url = accepted(d, carrier)
    assert m["attempts"][0]["status"] == "accepted" and m["attempts"][0]["tries"] == 1
    assert carrier.send_dlr(dlr_url, {"status": "1"}) == (200, "OK")
    m = d.wait_status(mid, "delivered")
    assert history(m) == ["queued", "sending", "accepted", "delivered"]
    assert m["attempts"][0]["status"] == "delivered"


def test_500_then_200_is_retried_then_accepted(make_daemon, carrier, secrets):
    carrier.script([(500, "internal trouble")])
    d = daemon_with(make_daemon, carrier)
    mid = d.send()
    m = d.wait_status(mid, "accepted")
    reqs = carrier.requests
    assert [r["answer"] for r in reqs] == [500, 200]
    assert reqs[0]["form"] == reqs[1]["form"]   # the same request, same dlr_url
    assert m["attempts"][0]["tries"] == 2
    assert history(m) == ["queued", "sending", "queued", "sending", "accepted"]
    assert "internal trouble" in m["history"][2]["reason"]
    # The message's reason explains its current status; the retried error is history.
    assert m["reason"] is None
    assert m["attempts"][0]["error_code"] == "500"   # the attempt's last error stays


def test_429_retry_after_is_honoured(make_daemon, carrier, secrets):
    # The configured backoff is 100 ms; Retry-After says 2 s.
    carrier.script([(429, "slow down", {"Retry-After": "2"})])
    d = daemon_with(make_daemon, carrier)
    mid = d.send()
    d.wait_status(mid, "accepted", timeout=10)
    first, second = carrier.requests
    gap = second["at"] - first["at"]
    assert 1.9 <= gap < 5, gap
    assert d.status(mid)["attempts"][0]["tries"] == 2


def test_permanent_400_fails_the_message(make_daemon, carrier, secrets):
    carrier.script([(400, "bad number format")])
    d = daemon_with(make_daemon, carrier)
    mid = d.send()
    m = d.wait_status(mid, "failed")
    a = m["attempts"][0]
    assert (a["status"], a["tries"], a["error_code"]) == ("failed", 1, "400")
    assert "bad number format" in a["error"]
    time.sleep(0.3)  # three backoffs' worth: a permanent error is not retried
    assert len(carrier.requests) == 1


def test_permanent_400_moves_to_next_step_at_once(make_daemon, carrier, secrets):
    carrier.script([(400, "no route")])
    d = daemon_with(make_daemon, carrier, chain=[{"channel": "sms"}, {"channel": "fake"}],
                    retry={"initial": "5s", "max": "5s"})
    mid = d.send()
    t0 = time.monotonic()
    m = d.wait_status(mid, "delivered", timeout=4)
    assert time.monotonic() - t0 < 3   # no backoff between the steps
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("sms", "failed"), ("fake", "delivered")]
    assert m["history"][3] == dict(m["history"][3], status="queued",
                                   reason="failed via sms: no route")
    assert m["reason"] is None
    assert len(carrier.requests) == 1


def test_hung_carrier_times_out_and_is_retried_with_in_doubt_resend(make_daemon, carrier,
                                                                   secrets):
    carrier.script([("hang", 5.0)])
    d = daemon_with(make_daemon, carrier, timeout="300ms", in_doubt="resend")
    mid = d.send()
    m = d.wait_status(mid, "accepted", timeout=5)
    assert m["attempts"][0]["tries"] == 2
    first, second = carrier.requests
    assert (first["answer"], second["answer"]) == ("hang", 200)
    assert second["at"] - first["at"] < 1.5   # the 300 ms timeout, not the carrier's 5 s
    assert history(m) == ["queued", "sending", "queued", "sending", "accepted"]
    assert "timed out" in m["history"][2]["reason"]
    assert m["attempts"][0]["error_code"] == "transport"


def test_a_timeout_after_the_request_went_out_is_reviewed_not_resent(make_daemon, carrier,
                                                                      secrets):
    """The carrier may have the SMS: http_sms has no idempotency key, so by
    default (in_doubt: auto -> review) it is not sent again, and counted."""
    carrier.script([("hang", 5.0)])
    d = daemon_with(make_daemon, carrier, timeout="300ms")
    mid = d.send()
    m = d.wait_status(mid, "failed", timeout=5)
    assert m["reason"].startswith("review: ") and "after the request went out" in m["reason"]
    assert m["attempts"][0]["tries"] == 1 and len(carrier.requests) == 1
    metrics = urllib.request.urlopen(f"{d.http}/metrics", timeout=5).read().decode()
    assert 'sb_in_doubt_timeouts_total{instance="sms"} 1' in metrics


def test_connection_refused_is_retried_until_the_carrier_is_back(make_daemon, secrets):
    c = MockCarrier().start()
    port = c.port
    c.stop()   # nothing listens there now
    d = daemon_with(make_daemon, c, retry={"max_attempts": 20, "initial": "200ms",
                                           "max": "200ms"})
    mid = d.send()
    # Two tries refused: the second one back in the queue, waiting to retry.
    m = wait_for(lambda: (lambda m: m if m["attempts"][0]["tries"] >= 2 and
                          m["status"] == "queued" else None)(d.status(mid)),
                 5, what="two refused tries")
    assert m["attempts"][0]["error_code"] == "transport"
    back = MockCarrier(port=port).start()
    try:
        m = d.wait_status(mid, "accepted", timeout=5)
        assert m["attempts"][0]["tries"] >= 3
        assert len(back.requests) == 1
    finally:
        back.stop()


# ---- receipts ----

def test_receipt_with_wrong_or_missing_token_is_403_and_changes_nothing(make_daemon, carrier,
                                                                       secrets):
    d = daemon_with(make_daemon, carrier)
    mid, before, dlr_url = accepted(d, carrier)
    key = before["attempts"][0]["provider_id"]
    hook = d.http + "/hooks/sms"
    for params, method in [({"id": key, "status": "1", "token": "wrong"}, "GET"),
                           ({"id": key, "status": "1", "token": TOKEN[:-1]}, "GET"),
                           ({"id": key, "status": "1", "token": TOKEN + "x"}, "POST"),
                           ({"id": key, "status": "1"}, "GET"),
                           ({"id": key, "status": "1", "token": ""}, "POST")]:
        assert carrier.send_dlr(hook, params, method=method) == (403, "forbidden"), params
    time.sleep(0.1)
    assert d.status(mid) == before


def test_duplicate_receipt_is_idempotent(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier)
    mid, _, dlr_url = accepted(d, carrier)
    for _ in range(3):
        assert carrier.send_dlr(dlr_url, {"status": "1"}) == (200, "OK")
    m = d.wait_status(mid, "delivered")
    time.sleep(0.1)
    m = d.status(mid)
    assert history(m).count("delivered") == 1
    assert history(m) == ["queued", "sending", "accepted", "delivered"]
    # A late contrary receipt does not undo a final status either.
    assert carrier.send_dlr(dlr_url, {"status": "2"}) == (200, "OK")
    time.sleep(0.1)
    assert d.status(mid) == m


def test_receipt_for_unknown_id_is_200_and_logged(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier)
    mid, before, _ = accepted(d, carrier)
    st = carrier.send_dlr(d.http + "/hooks/sms",
                          {"id": "no-such-id-4711", "status": "1", "token": TOKEN})
    assert st == (200, "OK")   # the carrier must not retry it forever
    wait_for(lambda: "receipt for unknown provider id 'no-such-id-4711'" in d.log(),
             2, what="the log line")
    assert d.status(mid) == before
    # Whatever a receipt carries cannot forge a log line.
    evil = "zz\n2099-01-01T00:00:00.000Z error forged\r\x1b[31m"
    assert carrier.send_dlr(d.http + "/hooks/sms", {"id": evil, "status": "1",
                                                     "token": TOKEN}) == (200, "OK")
    wait_for(lambda: "provider id 'zz" in d.log(), 2, what="the log line")
    log = d.log()
    assert "    2099-01-01T00:00:00.000Z error forged\\x0d\\x1b[31m'" in log
    assert "\x1b" not in log and "\r" not in log
    assert not any(l.startswith("2099") for l in log.splitlines())


def test_malformed_receipts_are_400_and_change_nothing(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier)
    mid, before, dlr_url = accepted(d, carrier)
    key = before["attempts"][0]["provider_id"]
    hook = d.http + "/hooks/sms"
    cases = [
        ({"token": TOKEN, "status": "1"}, "GET", None, {}, "missing or bad id"),
        ({"token": TOKEN, "id": "", "status": "1"}, "GET", None, {}, "missing or bad id"),
        ({"token": TOKEN, "id": key}, "GET", None, {}, "missing or bad status"),
        ({"token": TOKEN, "id": key, "status": "7"}, "GET", None, {}, "unknown status"),
        ({"token": TOKEN, "id": key, "status": "delivered"}, "POST", None, {},
         "unknown status"),   # with a status_map, only the map's values count
        ({"token": TOKEN}, "POST", b"\x00\xff\xfe garbage=&&==%zz%", {}, "missing or bad id"),
        ({}, "POST", b"{not json", {"Content-Type": "application/json"}, "malformed JSON"),
        ({"token": TOKEN, "id": "x" * 5000, "status": "1"}, "GET", None, {},
         "missing or bad id"),
    ]
    for params, method, body, headers, why in cases:
        st = carrier.send_dlr(hook, params, method=method, body=body, headers=headers)
        assert st == (400, why), (params, body, st)
    assert d.ok("ping")["pong"]
    assert d.status(mid) == before
    # The good receipt still works afterwards: nothing was lost or confused.
    assert carrier.send_dlr(dlr_url, {"status": "1"}) == (200, "OK")
    d.wait_status(mid, "delivered")


def test_receipts_for_an_instance_without_dlr_or_unknown_instance(make_daemon, carrier,
                                                                  secrets):
    p = sms(carrier, params={"to": "{to}", "text": "{text}"})
    del p["dlr"], p["dlr_token"]
    d = make_daemon(plugins={"sms": p}, chains={"default": [{"channel": "sms"}]})
    mid = d.send()
    before = d.wait_status(mid, "accepted")
    assert carrier.send_dlr(d.http + "/hooks/sms", {"id": "1", "status": "delivered"})[0] == 404
    assert carrier.send_dlr(d.http + "/hooks/nobody", {"id": "1", "status": "delivered"})[0] \
        == 404
    assert d.status(mid) == before


def test_mo_messages_filed_with_token_and_once_per_id(make_daemon, carrier, secrets):
    """A mo: section: Kannel's sms-service get-url (or a carrier's MO
    webhook) on /hooks/<instance>/mo, with the token, filed once by id."""
    d = daemon_with(make_daemon, carrier, mo_token={"env": "SB_E2E_DLR_TOKEN"},
                    mo={"from_param": "sender", "to_param": "receiver", "text_param": "msg",
                        "id_param": "smsid", "token": "{secret:mo_token}"})
    url = d.http + "/hooks/sms/mo"
    q = {"sender": "+5511999990001", "receiver": "+5511400000000", "msg": "PARAR",
         "smsid": "kannel-77", "token": TOKEN}
    assert carrier.send_dlr(url, q) == (200, "OK")
    assert carrier.send_dlr(url, q, method="POST") == (200, "OK")      # a retry: filed once
    assert carrier.send_dlr(url, dict(q, token="nope"))[0] == 403
    assert carrier.send_dlr(url, {k: v for k, v in q.items() if k != "sender"})[0] == 400
    [item] = d.ok("folder.list", {"folder": "inbox"})["items"]
    assert (item["from"], item["to"], item["text"], item["channel"]) == (
        "+5511999990001", "+5511400000000", "PARAR", "sms")
    # Receipts keep their own route.
    assert carrier.send_dlr(d.http + "/hooks/sms", {"id": "x", "status": "1",
                                                    "token": TOKEN})[0] == 200


def test_mo_config_errors_and_no_mo_section(make_daemon, carrier, secrets):
    d = daemon_with(make_daemon, carrier)
    assert carrier.send_dlr(d.http + "/hooks/sms/mo", {"from": "+5511999990001",
                                                       "text": "hi"})[0] == 404
    bad = make_daemon(start=False, plugins={"sms": sms(carrier, mo={"from": "x"})},
                      chains={"default": [{"channel": "sms"}]})
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", bad.conf_path], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 1
    assert re.search(r"switchboard.yaml:\d+:\d+: unknown key 'mo.from' \(expected one of:"
                     r" from_param, to_param, text_param, id_param, token\)", r.stderr), r.stderr


# ---- Kannel ----

def test_kannel_style_get_202_and_kannel_receipt(make_daemon, carrier, secrets, monkeypatch):
    monkeypatch.setenv("SB_E2E_KANNEL_PASS", "kpass")
    carrier.script([(202, "0: Accepted for delivery", {"Content-Type": "text/plain"})])
    d = daemon_with(make_daemon, carrier, url=carrier.url + "/cgi-bin/sendsms", method="GET",
                    params={"username": "sb", "password": "{secret:kannel_pass}",
                            "from": "{from}", "to": "{to}", "text": "{text}",
                            "charset": "UTF-8", "coding": "2", "dlr-mask": "31",
                            "dlr-url": "{dlr_url}"},
                    kannel_pass={"env": "SB_E2E_KANNEL_PASS"}, accept_status=[202],
                    dlr={"kannel": True, "error_param": "err", "token": "{secret:dlr_token}"})
    mid = d.send(text="olá kannel")
    m = d.wait_status(mid, "accepted")
    r = carrier.wait_requests(1)[0]
    assert (r["method"], r["path"], r["body"]) == ("GET", "/cgi-bin/sendsms", b"")
    q = r["query"]
    assert (q["username"], q["password"], q["to"], q["text"], q["dlr-mask"]) == (
        "sb", "kpass", "+5511999990001", "olá kannel", "31")
    dlr_url = q["dlr-url"]
    assert dlr_url.startswith(d.http + "/hooks/sms?id=")
    assert dlr_url.endswith(f"&token={TOKEN}&status=%d&err=%A")
    assert m["attempts"][0]["provider_id"] == \
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(dlr_url).query))["id"]
    # smsbox: first an intermediate report (8: delivered to the SMSC), then the final one.
    smsc = urllib.parse.quote("id:77 sub:001 dlvrd:001 stat:DELIVRD err:000")
    assert carrier.send_dlr(dlr_url.replace("%d", "8").replace("%A", smsc)) == (200, "OK")
    time.sleep(0.1)
    assert d.status(mid)["status"] == "accepted"
    assert carrier.send_dlr(dlr_url.replace("%d", "1").replace("%A", smsc)) == (200, "OK")
    m = d.wait_status(mid, "delivered")
    assert history(m) == ["queued", "sending", "accepted", "delivered"]
    assert "kpass" not in d.log()


def metrics(d):
    with urllib.request.urlopen(d.http + "/metrics", timeout=5) as r:
        return r.read().decode()


def test_kannel_receipt_that_beats_the_http_answer(make_daemon, carrier, secrets):
    """Kannel may report delivery before its sendsms answer reaches us: the
    receipt must find the attempt (by its key) and the late answer must not
    turn `delivered` back into `accepted`."""
    carrier.script([("delay", 1.0, 202, "0: Accepted for delivery", {"Content-Type": "text/plain"})])
    d = daemon_with(make_daemon, carrier, accept_status=[202],
                    dlr={"kannel": True, "token": "{secret:dlr_token}"})
    mid = d.send(text="fast handset")
    dlr_url = carrier.wait_requests(1)[0]["form"]["dlr_url"]
    assert d.status(mid)["status"] == "sending"
    assert carrier.send_dlr(dlr_url.replace("%d", "1")) == (200, "OK")
    d.wait_status(mid, "delivered")
    # The HTTP answer arrives now. The engine judges it against the attempt
    # as the receipt left it (the pump's copy of the mark is stale): nothing
    # moves, and nothing is refused as written behind its back.
    text = wait_for(lambda: (lambda t: t if 'sb_attempt_results_total{instance="sms",'
                             'outcome="accepted"} 1' in t else None)(metrics(d)), 5,
                    what="the late answer")
    assert [l for l in text.splitlines() if l.startswith("sb_engine_refused_total ")] in (
        [], ["sb_engine_refused_total 0"]), text
    m = d.status(mid)
    assert m["status"] == "delivered" and m["attempts"][0]["status"] == "delivered"
    assert history(m) == ["queued", "sending", "delivered"]


def test_receipt_with_a_key_finds_only_its_own_instances_attempt(make_daemon, carrier,
                                                                   secrets):
    """A receipt is found by the attempt key it carries (never stored as a
    provider id), but only on the instance that sent the attempt."""
    dlr = {"status_map": {"1": "delivered"}, "token": "{secret:dlr_token}"}
    d = make_daemon(plugins={"sms": sms(carrier, dlr=dlr), "sms2": sms(carrier, dlr=dlr)},
                    chains={"default": [{"channel": "sms"}]})
    mid, before, dlr_url = accepted(d, carrier)
    key = before["attempts"][0]["provider_id"]
    assert KEY_RE.match(key) and f"id={key}" in dlr_url
    receipt = {"id": key, "status": "1", "token": TOKEN}
    assert carrier.send_dlr(d.http + "/hooks/sms2", receipt)[0] == 200   # answered...
    wait_for(lambda: 'sb_receipts_unknown_total{instance="sms2"} 1' in metrics(d), 5,
             what="the other instance's receipt counted as unknown")
    assert d.status(mid) == before                                        # ...and ignored
    assert carrier.send_dlr(d.http + "/hooks/sms", receipt)[0] == 200
    d.wait_status(mid, "delivered")


def test_kannel_temporal_failure_and_not_routable(make_daemon, carrier, secrets):
    carrier.script([(503, "Temporal failure, try again later."),
                    (202, "0: Accepted for delivery"),
                    (403, "Not routable. Do not try again.")])
    d = daemon_with(make_daemon, carrier, method="GET", accept_status=[202],
                    dlr={"kannel": True, "token": "{secret:dlr_token}"})
    a = d.send()
    m = d.wait_status(a, "accepted")
    assert m["attempts"][0]["tries"] == 2
    b = d.send()
    m = d.wait_status(b, "failed")
    assert m["attempts"][0]["error_code"] == "403"
    assert "Not routable" in m["attempts"][0]["error"]


# ---- texts the carrier would cut ----

def test_text_longer_than_max_parts_is_failed_not_cut(make_daemon, carrier, secrets):
    """A carrier sending at most max_parts parts (Kannel's max-messages)
    would cut a longer text and report it delivered: http_sms fails it
    before any request, and reports the parts of what it sends."""
    d = daemon_with(make_daemon, carrier, max_parts=2)
    mid = d.send(text="a" * 307)                     # GSM: 3 parts of 153
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "too_many_parts", m
    assert "3 SMS parts" in m["reason"], m
    ok = d.send(text="ã" * 134)                      # UCS-2: 2 parts of 67
    d.wait_status(ok, "accepted")
    reqs = carrier.wait_requests(1)
    assert [r["form"]["text"] for r in reqs] == ["ã" * 134]
    assert d.status(ok)["attempts"][0]["parts"] == 2
