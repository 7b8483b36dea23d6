"""The whatsapp channel end to end: a real daemon with the real plugin,
against a mock Graph API (mock_graph.py) that checks every request the way
Meta does and replays the documented, signed webhook payloads."""
import json
import re
import os
import sqlite3
import subprocess
import time
import urllib.request

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_graph import MockGraph, load_spec, SchemaChecker
import mock_graph

TOKEN = "EAAGm0PX4ZCpsBAMockToken7f3a9"
APP_SECRET = "5f1c0d9e8b7a6c5d4e3f2a1b0c9d8e7f"
VERIFY = "verify-me-5e6f7a"
GUESS = "guess-token-31337"   # what a stranger tries; must not reach the log either
PNID = "106540352242922"
TO = "+5511999990001"
TO_DIGITS = "5511999990001"


@pytest.fixture
def graph():
    g = MockGraph(token=TOKEN, phone_number_id=PNID).start()
    yield g
    g.stop()
    assert g.violations == [], g.violations


@pytest.fixture
def wa(make_daemon, graph, tmp_path, monkeypatch):
    """start(...) -> a daemon with instance `wa` pointed at the mock."""
    monkeypatch.setenv("SB_TEST_WA_TOKEN", TOKEN)
    monkeypatch.setenv("SB_TEST_WA_VERIFY", VERIFY)
    secret_file = tmp_path / "app_secret"
    secret_file.write_text(APP_SECRET + "\n")
    started = []

    def start(chains=None, extra_plugins=None, **keys):
        inst = {"module": "whatsapp", "base_url": graph.url + "/", "phone_number_id": PNID,
                "token": {"env": "SB_TEST_WA_TOKEN"}, "app_secret": {"file": str(secret_file)},
                "verify_token": {"env": "SB_TEST_WA_VERIFY"}}
        inst.update(keys)
        inst = {k: v for k, v in inst.items() if v is not None}  # None: leave the key out
        plugins = {"wa": inst}
        plugins.update(extra_plugins or {})
        d = make_daemon(plugins=plugins, chains=chains or {"default": [{"channel": "wa"}]})
        d.hook = d.http + "/hooks/wa"
        started.append(d)
        return d

    yield start
    for d in started:
        log = d.log()
        for secret in (TOKEN, APP_SECRET, VERIFY, GUESS):
            assert secret not in log, f"a secret reached the log:\n{log}"


def accepted_wamid(d, mid):
    m = d.wait_status(mid, "accepted")
    assert m["attempts"][-1]["provider_id"].startswith("wamid."), m
    return m["attempts"][-1]["provider_id"]


def statuses(m):
    return [h["status"] for h in m["history"]]


# ---- sending ----

def test_text_message_accepted_delivered_read(wa, graph):
    d = wa()
    mid = d.send(to=TO, text='Olá "Ana", your code is 1234')
    wamid = accepted_wamid(d, mid)
    req = graph.wait_requests(1)[0]
    assert req["path"] == f"/v23.0/{PNID}/messages"
    assert req["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual",
                           "to": TO_DIGITS, "type": "text",
                           "text": {"preview_url": False, "body": 'Olá "Ana", your code is 1234'}}
    assert req["wamid"] == wamid
    assert graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, "sent", TO_DIGITS)])[0] == 200
    time.sleep(0.1)
    assert d.status(mid)["status"] == "accepted"
    assert graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, "delivered", TO_DIGITS)])[0] == 200
    d.wait_status(mid, "delivered")
    assert graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, "read", TO_DIGITS)])[0] == 200
    m = d.wait_status(mid, "read")
    assert statuses(m) == ["queued", "sending", "accepted", "delivered", "read"]
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [("wa", "read")]


def test_template_message_with_variables(wa, graph):
    d = wa(template_lang="pt_BR")
    mid = d.ok("message.send", {"to": TO, "template": "order_update", "lang": "pt_BR",
                                "vars": {"1": "Ana", "2": "1234"}})["id"]
    accepted_wamid(d, mid)
    req = graph.wait_requests(1)[0]
    assert req["json"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": TO_DIGITS,
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "pt_BR", "policy": "deterministic"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": "Ana"}, {"type": "text", "text": "1234"}]}]}}
    # Over the HTTP API: a list of variables, no language (the instance's template_lang).
    body = json.dumps({"to": "+5511999990002", "template": {"name": "welcome",
                                                            "variables": ["Ana", 42]}}).encode()
    r = urllib.request.Request(d.http + "/v1/messages", data=body, method="POST",
                               headers={"Authorization": "Bearer test-key",
                                        "Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=10) as resp:
        mid2 = json.loads(resp.read())["messages"][0]["id"]
    accepted_wamid(d, mid2)
    tpl = graph.wait_requests(2)[1]["json"]["template"]
    assert tpl == {"name": "welcome", "language": {"code": "pt_BR", "policy": "deterministic"},
                   "components": [{"type": "body", "parameters": [
                       {"type": "text", "text": "Ana"}, {"type": "text", "text": "42"}]}]}


def test_template_without_variables_has_no_components(wa, graph):
    d = wa()
    mid = d.ok("message.send", {"to": TO, "template": "hello_world", "lang": "en_US"})["id"]
    accepted_wamid(d, mid)
    assert graph.wait_requests(1)[0]["json"]["template"] == {
        "name": "hello_world", "language": {"code": "en_US", "policy": "deterministic"}}


@pytest.mark.parametrize("vars_, words", [
    ({"1": "Ana", "3": "x"}, "numbered 1..2 without gaps"),
    ({"1": {"nested": 1}}, "'1' must be a string or an integer"),
    ({"Name": "Ana"}, "lower-case letters"),
])
def test_bad_template_variables_fail_without_a_request(wa, graph, vars_, words):
    d = wa()
    mid = d.ok("message.send", {"to": TO, "template": "order_update", "vars": vars_})["id"]
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "bad_template_vars"
    assert words in m["reason"], m["reason"]
    time.sleep(0.2)
    assert graph.requests == []


def test_text_too_long_fails_without_a_request(wa, graph):
    d = wa()
    mid = d.send(to=TO, text="é" * 4097)
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "too_long"
    assert "4097 characters" in m["reason"]
    ok = d.send(to=TO, text="é" * 4096)
    accepted_wamid(d, ok)
    assert len(graph.wait_requests(1)) == 1


# ---- errors ----

@pytest.mark.parametrize("answer, min_gap", [
    (MockGraph.error(4, "(#4) Application request limit reached", http=429, transient=True,
                     subcode=2446079, headers={"Retry-After": "1"}), 0.9),
    (MockGraph.error(130429, "(#130429) Rate limit hit", details="Cloud API message throughput "
                     "has been reached."), 0.0),
    (MockGraph.error(2, "An unexpected error occurred. Please retry your request", http=500,
                     transient=True, etype="GraphMethodException"), 0.0),
    (("close",), 0.0),
    ((502, "<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}), 0.0),
], ids=["429-retry-after", "130429", "500-transient", "connection-dropped", "502-not-graph"])
def test_temporary_errors_are_retried(wa, graph, answer, min_gap):
    # A dropped connection after the request went out is a send in doubt:
    # retried only with in_doubt: resend (the default for WhatsApp, which
    # has no idempotency key, is review; see the next test).
    d = wa(in_doubt="resend" if answer == ("close",) else None)
    graph.script(TO_DIGITS, [answer])
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    reqs = graph.wait_requests(2)
    assert len(reqs) == 2 and reqs[0]["raw"] == reqs[1]["raw"]
    assert reqs[1]["at"] - reqs[0]["at"] >= min_gap, "Retry-After not honoured"
    m = d.status(mid)
    assert m["attempts"][0]["tries"] == 2 and m["attempts"][0]["provider_id"] == wamid
    assert statuses(m) == ["queued", "sending", "queued", "sending", "accepted"]


def test_a_dropped_connection_is_in_doubt_and_reviewed_by_default(wa, graph):
    d = wa()
    graph.script(TO_DIGITS, [("close",)])
    mid = d.send(to=TO)
    m = d.wait_status(mid, "failed")
    assert m["reason"].startswith("review: ") and "after the request went out" in m["reason"]
    assert len(graph.requests) == 1


def test_answers_that_are_not_graph_errors(wa, graph):
    d = wa()
    graph.script(TO_DIGITS, [(404, "<html>Not Found</html>", {"Content-Type": "text/html"})])
    mid = d.send(to=TO)
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "http_404"
    assert "HTTP 404" in m["reason"] and "Not Found" in m["reason"]
    # 200 without messages[0].id: accepted all the same (a re-send could deliver twice)
    graph.script("5511999990004", [(200, {"messaging_product": "whatsapp"}, {})])
    mid = d.send(to="+5511999990004")
    m = d.wait_status(mid, "accepted")
    # No wamid: the attempt keeps its own key as the id receipts can use.
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}",
                        m["attempts"][0]["provider_id"])
    wait_for(lambda: "without messages[0].id" in d.log(), what="the missing id logged")
    # held for quality assessment is accepted too, and said so
    graph.script("5511999990005", [(200, {"messaging_product": "whatsapp", "contacts": [
        {"input": "5511999990005", "wa_id": "5511999990005"}], "messages": [
        {"id": "wamid.HELD1", "message_status": "held_for_quality_assessment"}]}, {})])
    mid = d.send(to="+5511999990005")
    assert accepted_wamid(d, mid) == "wamid.HELD1"
    wait_for(lambda: "'held_for_quality_assessment' at Meta" in d.log(), what="held logged")


def test_template_mismatch_fails_at_once(wa, graph):
    d = wa()
    graph.script(TO_DIGITS, [MockGraph.error(
        132000, "(#132000) Number of parameters does not match the expected number of params",
        details="body: number of localizable_params (1) does not match the expected number of"
                " params (2)")])
    mid = d.ok("message.send", {"to": TO, "template": "order_update", "vars": {"1": "Ana"}})["id"]
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "132000"
    assert "Number of parameters does not match" in m["reason"]
    assert "number of localizable_params (1)" in m["reason"]
    time.sleep(0.3)
    assert len(graph.requests) == 1  # not retried


def test_auth_error_fails_and_alerts_without_the_token(wa, graph):
    d = wa()
    graph.script(TO_DIGITS, [MockGraph.error(190, "Invalid OAuth access token - Cannot parse"
                                             " access token", http=401, subcode=463)])
    mid = d.send(to=TO)
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "190"
    wait_for(lambda: "check the token, phone_number_id and the business account" in d.log(),
             what="an operator alert in the log")


def test_not_on_whatsapp_at_send_is_undeliverable(wa, graph):
    d = wa()
    graph.script(TO_DIGITS, [MockGraph.error(131026, "(#131026) Message Undeliverable.",
                                             details="Message Undeliverable.")])
    mid = d.send(to=TO)
    m = d.wait_status(mid, "undeliverable")
    assert m["attempts"][0]["error_code"] == "131026"


def test_not_on_whatsapp_by_status_starts_the_next_step(wa, graph):
    d = wa(chains={"default": [{"channel": "wa"}, {"channel": "sms"}]},
           extra_plugins={"sms": {"module": "test", "behaviour": "deliver", "receipt_after": "20ms"}})
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    failed = graph.status(wamid, "failed", TO_DIGITS, errors=[graph.status_error(
        131026, "Message undeliverable", "Message Undeliverable.")])
    assert graph.post_statuses(d.hook, APP_SECRET, [failed])[0] == 200
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("wa", "undeliverable"), ("sms", "delivered")]
    assert m["attempts"][0]["error_code"] == "131026"
    assert "Message undeliverable" in m["attempts"][0]["error"]


def test_failed_status_with_template_code_is_failed(wa, graph):
    d = wa()
    mid = d.ok("message.send", {"to": TO, "template": "gone", "lang": "en"})["id"]
    wamid = accepted_wamid(d, mid)
    failed = graph.status(wamid, "failed", TO_DIGITS, errors=[graph.status_error(
        132001, "Template name does not exist in the translation")])
    assert graph.post_statuses(d.hook, APP_SECRET, [failed])[0] == 200
    m = d.wait_status(mid, "failed")
    assert m["attempts"][0]["error_code"] == "132001"


# ---- webhooks ----

def test_callback_with_wrong_or_missing_signature_is_rejected(wa, graph):
    d = wa()
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    payload = graph.envelope({"statuses": [graph.status(wamid, "delivered", TO_DIGITS)]})
    raw = json.dumps(payload).encode()
    assert graph.post_raw(d.hook, raw, graph.sign(raw, "not-the-app-secret"))[0] == 403
    assert graph.post_raw(d.hook, raw, None)[0] == 401
    other = json.dumps(graph.envelope({"statuses": [graph.status(wamid, "read", TO_DIGITS)]})).encode()
    assert graph.post_raw(d.hook, other, graph.sign(raw, APP_SECRET))[0] == 403  # signature of another body
    assert graph.post_raw(d.hook, raw, "sha1=" + "0" * 40)[0] == 403
    time.sleep(0.2)
    m = d.status(mid)
    assert m["status"] == "accepted" and "delivered" not in statuses(m)
    log = d.log()
    assert "X-Hub-Signature-256 does not match" in log and "no X-Hub-Signature-256" in log
    assert graph.post_raw(d.hook, raw, graph.sign(raw, APP_SECRET))[0] == 200
    d.wait_status(mid, "delivered")


def test_duplicate_and_out_of_order_callbacks_are_idempotent(wa, graph):
    d = wa()
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    post = lambda s: graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, s, TO_DIGITS)])
    assert post("delivered")[0] == 200
    d.wait_status(mid, "delivered")
    assert post("delivered")[0] == 200
    assert post("read")[0] == 200
    d.wait_status(mid, "read")
    for s in ("read", "delivered", "sent"):  # repeats and stragglers change nothing
        assert post(s)[0] == 200
    # and several statuses in one POST, as Meta batches them
    assert graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, "delivered", TO_DIGITS),
                                                    graph.status(wamid, "read", TO_DIGITS)])[0] == 200
    time.sleep(0.2)
    m = d.status(mid)
    assert m["status"] == "read"
    assert statuses(m) == ["queued", "sending", "accepted", "delivered", "read"]


def test_subscribe_handshake(wa, graph):
    d = wa()
    assert graph.subscribe(d.hook, token=VERIFY) == (200, "text/plain", "1158201444")
    assert graph.subscribe(d.hook, token=GUESS)[0] == 403
    assert graph.subscribe(d.hook, token=None)[0] == 403
    assert graph.subscribe(d.hook, mode="unsubscribe", token=VERIFY)[0] == 403
    assert graph.subscribe(d.hook, token=VERIFY, challenge="<script>")[0] == 400
    assert "webhook subscription verified" in d.log()
    assert "wrong or missing hub.verify_token" in d.log()


def test_no_verify_token_refuses_the_handshake(wa, graph):
    d = wa(verify_token=None)
    assert graph.subscribe(d.hook, token=VERIFY)[0] == 403
    assert "no verify_token is configured" in d.log()


def test_malformed_callback_is_refused_and_the_daemon_lives(wa, graph):
    d = wa()
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    for raw in (b"{not json", b"[]", b'{"object":"page","entry":[]}',
                b'{"object":"whatsapp_business_account"}', b""):
        code, _ = graph.post_raw(d.hook, raw, graph.sign(raw, APP_SECRET))
        assert code == 400, raw
    assert "malformed payload" in d.log()
    assert d.ok("ping")["pong"] is True
    assert d.status(mid)["status"] == "accepted"
    # odd items inside a good envelope are skipped; the good one still counts
    payload = graph.envelope({"statuses": [{"status": "delivered"}, "junk",
                                           graph.status(wamid, "delivered", TO_DIGITS)]})
    raw = json.dumps(payload).encode()
    assert graph.post_raw(d.hook, raw, graph.sign(raw, APP_SECRET))[0] == 200
    d.wait_status(mid, "delivered")


def test_unknown_message_and_other_number_are_answered_200(wa, graph):
    d = wa()
    mid = d.send(to=TO)
    wamid = accepted_wamid(d, mid)
    assert graph.post_statuses(d.hook, APP_SECRET, [
        graph.status("wamid.NOT-OURS", "delivered", TO_DIGITS)])[0] == 200
    wait_for(lambda: "unknown provider id 'wamid.NOT-OURS'" in d.log(), what="unknown id logged")
    assert graph.post_statuses(d.hook, APP_SECRET, [graph.status(wamid, "delivered", TO_DIGITS)],
                               phone_number_id="999999999")[0] == 200
    # a system-level error (no statuses), as Meta documents it
    assert graph.post_payload(d.hook, APP_SECRET, graph.envelope({"errors": [{
        "code": 130429, "title": "Rate limit hit", "message": "Rate limit hit",
        "error_data": {"details": "Cloud API message throughput has been reached."}}]}))[0] == 200
    time.sleep(0.2)
    assert d.status(mid)["status"] == "accepted"
    log = d.log()
    assert "phone_number_id 999999999 skipped" in log
    assert "WhatsApp reports error 130429 Rate limit hit: Cloud API message throughput" in log


def test_inbound_messages_are_stored(wa, graph):
    d = wa()
    value = {"contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
             "messages": [
                 {"from": "16505551234", "id": "wamid.IN1", "timestamp": "1749416383",
                  "type": "text", "text": {"body": "Does it come in another color?"}},
                 {"from": "16505551234", "id": "wamid.IN2", "timestamp": "1744344496",
                  "type": "image", "image": {"mime_type": "image/jpeg", "id": "1003383421387256",
                                             "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="}}]}
    assert graph.post_payload(d.hook, APP_SECRET, graph.envelope(value))[0] == 200

    def rows():
        with sqlite3.connect(f"file:{d.cfg['daemon']['database']}?mode=ro", uri=True) as db:
            return db.execute("SELECT instance, from_addr, to_addr, body FROM inbound"
                              " ORDER BY id").fetchall()
    got = wait_for(lambda: len(rows()) == 2 and rows(), what="two inbound rows")
    assert got == [("wa", "+16505551234", "+15550783881", "Does it come in another color?"),
                   ("wa", "+16505551234", "+15550783881", "[image]")]
    # Meta repeats the webhook: each wamid is filed once, in the inbox,
    # under one contact for the sender.
    assert graph.post_payload(d.hook, APP_SECRET, graph.envelope(value))[0] == 200
    assert len(rows()) == 2
    inbox = d.ok("folder.list", {"folder": "inbox"})["items"]
    assert [(i["text"], i["channel_type"]) for i in inbox] == [
        ("[image]", "whatsapp"), ("Does it come in another color?", "whatsapp")]
    assert inbox[0]["contact"] == inbox[1]["contact"]


# ---- configuration ----

def test_config_errors_name_the_key(make_daemon, tmp_path, monkeypatch):
    monkeypatch.delenv("SB_TEST_WA_MISSING", raising=False)
    d = make_daemon(start=False, plugins={"wa": {
        "module": "whatsapp", "base_url": "ftp://graph.example", "version": "23",
        "token": {"env": "SB_TEST_WA_MISSING"}, "max_text": -1, "colour": "green"}},
        chains={"default": [{"channel": "wa"}]})
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 1
    for words in ("missing 'phone_number_id'", "base_url must be an http:// or https:// URL",
                  "version must look like v23.0", "SB_TEST_WA_MISSING is not set",
                  "max_text must be 0", "colour"):
        assert words in r.stderr, (words, r.stderr)
    cfg = d.cfg
    cfg["plugins"]["wa"] = {"module": "whatsapp", "phone_number_id": "12ab",
                            "token": {"env": "PATH"}}
    d.write_config(cfg)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 1 and "phone_number_id must be the numeric id" in r.stderr


def test_instances_are_independent(wa, graph, monkeypatch):
    """Two numbers on one module: each its own URL, token and app secret."""
    other = MockGraph(token="EAAG-second-token", phone_number_id="200000000000002").start()
    monkeypatch.setenv("SB_TEST_WA2_TOKEN", "EAAG-second-token")
    monkeypatch.setenv("SB_TEST_WA2_SECRET", "second-secret")
    try:
        d = wa(chains={"default": [{"channel": "wa"}], "second": [{"channel": "wa2"}]},
               extra_plugins={"wa2": {"module": "whatsapp", "base_url": other.url,
                                      "phone_number_id": "200000000000002",
                                      "token": {"env": "SB_TEST_WA2_TOKEN"},
                                      "app_secret": {"env": "SB_TEST_WA2_SECRET"}}})
        a = d.send(to=TO)
        b = d.send(to="+5511999990003", chain="second")
        accepted_wamid(d, a)
        wa_b = accepted_wamid(d, b)
        assert len(graph.wait_requests(1)) == 1 and len(other.wait_requests(1)) == 1
        hook2 = d.http + "/hooks/wa2"
        delivered = [other.status(wa_b, "delivered", "5511999990003")]
        # signed with the first instance's secret: refused by the second
        assert other.post_statuses(hook2, APP_SECRET, delivered, "200000000000002")[0] == 403
        assert other.post_statuses(hook2, "second-secret", delivered, "200000000000002")[0] == 200
        d.wait_status(b, "delivered")
        assert d.status(a)["status"] == "accepted"
        assert other.violations == []
        assert "second-secret" not in d.log() and "EAAG-second-token" not in d.log()
    finally:
        other.stop()


# ---- the double itself ----

def test_double_matches_the_spec():
    spec = load_spec()
    if spec is None:
        pytest.skip("../shared/specs/whatsapp (or PyYAML) not here: the double's rules are not"
                    " re-checked against the official spec")
    s = spec["components"]["schemas"]
    assert mock_graph.BASE_REQUIRED == s["BaseMessageProperties"]["required"]
    assert mock_graph.RECIPIENT_TYPES == s["BaseMessageProperties"]["properties"]["recipient_type"]["enum"]
    assert set(mock_graph.MESSAGE_TYPES) == set(s["Message"]["discriminator"]["mapping"])
    assert mock_graph.TEMPLATE_REQUIRED == s["TemplateObject"]["required"]
    assert mock_graph.LANGUAGE_REQUIRED == s["LanguageObject"]["required"]
    assert mock_graph.LANGUAGE_POLICIES == s["LanguageObject"]["properties"]["policy"]["enum"]
    assert mock_graph.COMPONENT_TYPES == s["TemplateComponent"]["properties"]["type"]["enum"]
    assert mock_graph.STATUS_REQUIRED == s["Statuses"]["required"]
    assert mock_graph.STATUS_VALUES == s["Statuses"]["properties"]["status"]["enum"]
    path = spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
    assert path["operationId"] == "sendMessage"
    assert path["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Message")


def test_double_refuses_what_meta_refuses():
    g = MockGraph()
    good = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO_DIGITS,
            "type": "text", "text": {"preview_url": False, "body": "hi"}}
    assert g.check_body(good) == []
    tpl = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO_DIGITS,
           "type": "template", "template": {"name": "x", "language": {"code": "en", "policy": "deterministic"},
                                            "components": [{"type": "body", "parameters": [
                                                {"type": "text", "text": "a"}]}]}}
    assert g.check_body(tpl) == []
    bad = [  # (body, the spec's schema refuses it too)
        ({k: v for k, v in good.items() if k != "recipient_type"}, True),
        (dict(good, messaging_product="sms"), False),  # the spec has no enum for it
        (dict(good, text={"body": "hi", "colour": "red"}), True),
        (dict(good, extra=1), True),
        (dict(good, type="fax"), True),
        (dict(good, to="call me"), False),
        (dict(tpl, template={"name": "x", "language": {"code": "en"}}), True),
        (dict(tpl, template={"name": "x", "language": {"code": "en", "policy": "fallback"}}), True),
        (dict(tpl, template={"name": "x", "language": {"code": "en", "policy": "deterministic"},
                             "components": [{"type": "footer"}]}), True),
        (dict(tpl, template={"name": "x", "language": {"code": "en", "policy": "deterministic"},
                             "components": [{"type": "body", "parameters": [{"type": "text"}]}]}), True),
    ]
    for body, spec_too in bad:
        errs = g.check_body(body)
        assert errs, body
        if g.spec_checked and spec_too:
            assert any(e.startswith("spec: ") for e in errs), (body, errs)
