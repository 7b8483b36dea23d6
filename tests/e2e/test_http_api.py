"""The HTTP API as docs/http-api.md describes it: filters and pages of
GET /v1/messages, cancel, body limits, API keys and subaccount isolation,
webhooks, /healthz and /metrics."""
import email.utils
import hashlib
import http.client
import json
import time
import urllib.parse

from conftest import wait_for

ACME_KEY = "test-key"
OTHER_KEY = "other-key"


def sha256_key(key):
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def call(d, method, path, body=None, key=ACME_KEY, raw=None, headers=None):
    """(status, parsed JSON or text, content type) of one request."""
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    h = {"Content-Type": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + key
    h.update(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read()
        ctype = r.getheader("Content-Type") or ""
    finally:
        conn.close()
    if ctype.startswith("application/json"):
        return r.status, json.loads(text), ctype
    return r.status, text.decode(errors="replace"), ctype


def two_subaccounts(**kw):
    return dict(subaccounts={
        "acme": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                 "api_keys": [sha256_key(ACME_KEY)]},
        "other": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                  "api_keys": [sha256_key(OTHER_KEY)]},
    }, **kw)


def post(d, to, text="hi", key=ACME_KEY, **extra):
    body = {"to": to, "text": text}
    body.update(extra)
    code, res, _ = call(d, "POST", "/v1/messages", body, key=key)
    assert code in (200, 202), (code, res)
    return [m["id"] for m in res["messages"]]


def listing(d, query="", key=ACME_KEY):
    code, res, _ = call(d, "GET", "/v1/messages" + (("?" + query) if query else ""), key=key)
    assert code == 200, (code, res)
    return res


def ids(res):
    return [m["id"] for m in res["messages"]]


def test_submit_answer_shape_and_idempotency(make_daemon):
    d = make_daemon()
    code, res, ctype = call(d, "POST", "/v1/messages",
                            {"to": ["+5511999990001", "11 99999-0002"], "text": "hi",
                             "idempotency_key": "order-7"})
    assert code == 202 and ctype == "application/json"
    assert [m["to"] for m in res["messages"]] == ["+5511999990001", "11 99999-0002"]
    assert all(m["duplicate"] is False and m["id"] > 0 for m in res["messages"])
    first = [m["id"] for m in res["messages"]]
    # The same request again: the same messages, 200, nothing new stored.
    code, res, _ = call(d, "POST", "/v1/messages",
                        {"to": ["+5511999990001", "11 99999-0002"], "text": "hi",
                         "idempotency_key": "order-7"})
    assert code == 200 and [m["id"] for m in res["messages"]] == first
    assert all(m["duplicate"] for m in res["messages"])
    stored = d.ok("message.list")["messages"]
    assert sorted(m["id"] for m in stored) == sorted(first)
    # Each recipient of a multi-recipient request gets "<key>#<index>".
    assert sorted(m["idempotency_key"] for m in stored) == ["order-7#0", "order-7#1"]


def test_submit_refusals_store_nothing(make_daemon):
    d = make_daemon()
    cases = [
        ({"text": "no recipient"}, 400, "bad_argument", "'to'"),
        ({"to": [], "text": "x"}, 400, "bad_argument", "1 to 1000"),
        ({"to": ["+5511999990001"] * 1001, "text": "x"}, 400, "bad_argument", "1 to 1000"),
        ({"to": "+5511999990001", "text": 42}, 400, "bad_argument", "'text' must be a string"),
        ({"to": "+5511999990001", "text": "x", "send_at": "2030-01-01 10:00"}, 400,
         "bad_argument", "send_at"),
        ({"to": "+5511999990001", "template": "welcome"}, 400, "bad_argument", "template"),
        ({"to": "+5511999990001", "text": "x", "chain": "nope"}, 400, "bad_argument",
         "chain 'nope' is not allowed"),
        ({"to": "+5511999990001", "text": "x", "sendAt": "2099-01-01T00:00:00Z"}, 400,
         "bad_argument", "unknown field 'sendAt'"),
        ({"to": "+5511999990001", "text": "x", "template": {"name": "welcome"}}, 400,
         "bad_argument", "either 'text' or 'template'"),
        ({"to": "+5511999990001"}, 400, "bad_argument", "either 'text' or 'template'"),
        ({"to": "+5511999990001", "template": {"name": "welcome", "variables": "Ana"}}, 400,
         "bad_argument", "'template' must be {name, version, language, variables}"),
        ({"to": "+5511999990001", "template": {"name": "welcome", "version": 0}}, 400,
         "bad_argument", "version: an integer of at least 1"),
        ({"to": "+5511999990001", "template": {"name": "a b"}}, 400,
         "bad_argument", "a template name has only letters, digits"),
        ({"to": "+5511999990001", "text": "x" * 65537}, 413, "too_large", "65536 bytes"),
    ]
    for body, status, code, words in cases:
        got, res, _ = call(d, "POST", "/v1/messages", body)
        assert got == status and res["error"]["code"] == code, (body, got, res)
        assert words in res["error"]["message"], (body, res)
    got, res, _ = call(d, "POST", "/v1/messages", raw=b"[1, 2]")
    assert got == 400 and res["error"]["code"] == "bad_request"
    assert d.ok("message.list")["messages"] == []


def test_template_submission(make_daemon):
    d = make_daemon()
    code, res, _ = call(d, "POST", "/v1/messages", {
        "to": "+5511999990001", "from": "ACME",
        "template": {"name": "welcome", "language": "pt_BR", "variables": {"name": "Ana"}}})
    assert code == 202, res
    m = d.wait_status(res["messages"][0]["id"], "delivered")
    assert (m["template"], m["language"], m["text"], m["from"]) == ("welcome", "pt_BR", None, "ACME")


def test_api_keys_bearer_and_x_api_key(make_daemon):
    d = make_daemon()
    assert post(d, "+5511999990001")
    code, res, _ = call(d, "POST", "/v1/messages", {"to": "+5511999990001", "text": "x"}, key=None,
                        headers={"X-API-Key": ACME_KEY})
    assert code == 202, res
    for key, words in [(None, "missing API key"), ("wrong", "unknown API key")]:
        code, res, _ = call(d, "GET", "/v1/messages", key=key)
        assert code == 401 and res["error"]["code"] == "unauthorized", res
        assert res["error"]["message"].startswith(words), res
    # Only the hash is configured: the hash itself is not a key.
    code, _, _ = call(d, "GET", "/v1/messages", key=sha256_key(ACME_KEY)[7:])
    assert code == 401
    assert len(d.ok("message.list")["messages"]) == 2


def test_a_key_a_reload_removes_is_refused_at_once(make_daemon):
    """Verified keys are remembered with their hash (core/http_keys.c), but
    whether that hash is still configured is checked on every request."""
    d = make_daemon(**two_subaccounts())
    assert post(d, "+5511999990001", key=OTHER_KEY)
    assert post(d, "+5511999990002", key=OTHER_KEY)  # the remembered hash
    d.cfg["subaccounts"]["other"]["api_keys"] = [sha256_key(ACME_KEY + "-new")]
    d.write_config(d.cfg)
    assert d.request("config.reload")["ok"]
    code, res, _ = call(d, "POST", "/v1/messages", {"to": "+5511999990003", "text": "x"},
                        key=OTHER_KEY)
    assert code == 401 and res["error"]["code"] == "unauthorized", res
    assert post(d, "+5511999990003", key=ACME_KEY + "-new")
    assert post(d, "+5511999990004", key=ACME_KEY)


def test_a_key_sees_only_its_subaccount(make_daemon):
    d = make_daemon(**two_subaccounts())
    mine = post(d, "+5511999990001", "acme's")[0]
    theirs = post(d, "+5511999990002", "other's", key=OTHER_KEY,
                  send_at="2099-01-01T00:00:00Z")[0]
    assert ids(listing(d)) == [mine]
    assert ids(listing(d, key=OTHER_KEY)) == [theirs]
    code, res, _ = call(d, "GET", f"/v1/messages/{theirs}")
    assert code == 404 and res["error"]["code"] == "not_found"
    code, res, _ = call(d, "POST", f"/v1/messages/{theirs}/cancel")
    assert code == 404 and res["error"]["code"] == "not_found"
    assert d.status(theirs)["status"] == "scheduled"
    code, m, _ = call(d, "GET", f"/v1/messages/{theirs}", key=OTHER_KEY)
    assert code == 200 and m["subaccount"] == "other" and m["text"] == "other's"


def test_cancel_over_http(make_daemon):
    d = make_daemon()
    later = post(d, "+5511999990001", "later", send_at="2099-01-01T10:00:00-03:00")[0]
    assert d.status(later)["status"] == "scheduled"
    code, res, _ = call(d, "POST", f"/v1/messages/{later}/cancel")
    assert code == 200 and res == {"id": later, "status": "cancelled"}
    m = d.status(later)
    assert m["status"] == "cancelled" and m["history"][-1]["status"] == "cancelled"
    code, res, _ = call(d, "POST", f"/v1/messages/{later}/cancel")
    assert code == 409 and res["error"]["code"] == "invalid_state"
    assert "only scheduled or queued" in res["error"]["message"]
    code, res, _ = call(d, "POST", "/v1/messages/987654/cancel")
    assert code == 404 and res["error"]["code"] == "not_found"
    # A delivered message cannot be cancelled either.
    now = post(d, "+5511999990002")[0]
    d.wait_status(now, "delivered")
    code, res, _ = call(d, "POST", f"/v1/messages/{now}/cancel")
    assert code == 409 and res["error"]["code"] == "invalid_state"
    assert d.status(now)["status"] == "delivered"


def test_list_pagination_walks_every_message_once(make_daemon):
    d = make_daemon()
    sent = [post(d, f"+55119999900{i:02d}", f"m{i}")[0] for i in range(7)]
    seen, before, pages = [], None, 0
    while True:
        res = listing(d, "limit=3" + (f"&before={before}" if before else ""))
        pages += 1
        page = ids(res)
        assert page == sorted(page, reverse=True)  # newest first
        seen += page
        before = res["next_before"]
        if before is None:
            break
        assert before == page[-1]
        assert pages < 10
    assert seen == sorted(sent, reverse=True)
    assert pages == 3
    # A full last page still names a next page, which is then empty.
    full = listing(d, f"limit=7")
    assert ids(full) == sorted(sent, reverse=True) and full["next_before"] == min(sent)
    assert listing(d, f"before={min(sent)}") == {"messages": [], "next_before": None}
    assert len(ids(listing(d))) == 7  # default limit 50


def test_list_filters_status_channel_to(make_daemon):
    d = make_daemon(plugins={"line": {"module": "test", "behaviour": "deliver"},
                             "sms": {"module": "test", "behaviour": "undeliverable"}},
                    chains={"default": [{"channel": "line"}], "sms_only": [{"channel": "sms"}]})
    a = post(d, "+5511999990001", "a")[0]
    b = post(d, "+5511999990002", "b", chain="sms_only")[0]
    c = post(d, "11 99999-0001", "c")[0]
    d.wait_status(a, "delivered")
    d.wait_status(b, "undeliverable")
    d.wait_status(c, "delivered")
    assert ids(listing(d, "status=delivered")) == [c, a]
    assert ids(listing(d, "status=undeliverable")) == [b]
    assert ids(listing(d, "channel=sms")) == [b]
    assert ids(listing(d, "channel=line")) == [c, a]
    # "to" is normalised like a submission; "+" may be escaped or not.
    assert ids(listing(d, "to=%2B5511999990001")) == [c, a]
    assert ids(listing(d, "to=+5511999990001")) == [c, a]
    assert ids(listing(d, "to=" + urllib.parse.quote("(11) 99999-0001"))) == [c, a]
    assert ids(listing(d, "to=%2B5511999990001&status=delivered&channel=line&limit=1")) == [c]


def test_list_from_until_bound_creation_time(make_daemon):
    d = make_daemon()
    early = post(d, "+5511999990001", "early")[0]
    d.ok("clock.advance", {"ms": 3600 * 1000})
    late = post(d, "+5511999990002", "late")[0]
    t_late = d.status(late)["created"]
    t_early = d.status(early)["created"]
    assert t_early < t_late
    q = urllib.parse.quote
    # from is inclusive, until exclusive.
    assert ids(listing(d, "from=" + q(t_late))) == [late]
    assert ids(listing(d, "until=" + q(t_late))) == [early]
    assert ids(listing(d, f"from={q(t_early)}&until={q(t_late)}")) == [early]
    # Any offset: the same instant written in -03:00.
    assert ids(listing(d, "from=" + q("2000-01-01T00:00:00-03:00"))) == [late, early]
    assert ids(listing(d, "until=" + q("2000-01-01T00:00:00+00:00"))) == []


def test_list_refuses_malformed_parameters(make_daemon):
    d = make_daemon()
    post(d, "+5511999990001")
    cases = [
        ("limit=abc", "'limit' must be an integer from 1 to 1000"),
        ("limit=0", "'limit' must be an integer from 1 to 1000"),
        ("limit=1001", "'limit' must be an integer from 1 to 1000"),
        ("before=x7", "'before' must be an integer of at least 1"),
        ("batch=-2", "'batch' must be an integer of at least 1"),
        ("status=sent", "unknown status 'sent'"),
        ("from=2026-01-01", "'from' is not an ISO 8601 time with an offset"),
        ("until=yesterday", "'until' is not an ISO 8601 time with an offset"),
        ("to=call-me", "invalid phone number in 'to'"),
    ]
    for query, words in cases:
        code, res, _ = call(d, "GET", "/v1/messages?" + query)
        assert code == 400 and res["error"]["code"] == "bad_argument", (query, res)
        assert words in res["error"]["message"], (query, res)


def test_body_over_the_limit_is_413_and_nothing_stored(make_daemon):
    d = make_daemon(http_max_body=512)
    small = {"to": "+5511999990001", "text": "x" * 100}
    code, res, _ = call(d, "POST", "/v1/messages", small)
    assert code == 202, res
    big = {"to": "+5511999990001", "text": "x" * 600}
    code, res, _ = call(d, "POST", "/v1/messages", big)
    assert code == 413, res
    # The same limit guards provider callbacks.
    code, _, _ = call(d, "POST", "/hooks/fake", raw=b"id=x&status=delivered&" + b"p" * 600,
                      key=None)
    assert code == 413
    assert len(d.ok("message.list")["messages"]) == 1
    assert d.ok("ping")["pong"]


def test_routes_methods_and_errors(make_daemon):
    d = make_daemon()
    mid = post(d, "+5511999990001")[0]
    for method, path, status, code in [
        ("GET", "/v1/nothing", 404, "not_found"),
        ("GET", "/v1/messages/abc", 404, "not_found"),
        ("GET", f"/v1/messages/{mid}/cancel", 404, "not_found"),
        ("POST", f"/v1/messages/{mid}", 404, "not_found"),
        ("GET", "/v1/messages/424242", 404, "not_found"),
    ]:
        got, res, ctype = call(d, method, path)
        assert got == status and ctype == "application/json", (method, path, got, res)
        assert res["error"]["code"] == code and res["error"]["message"], res
    # PUT and DELETE are for templates only; elsewhere they are refused in
    # our words, and other methods never reach the API.
    got, res, _ = call(d, "PUT", "/v1/messages", {})
    assert got == 400 and res["error"]["message"] == "use GET or POST on /v1/messages"
    got, res, _ = call(d, "DELETE", f"/v1/messages/{mid}")
    assert got == 404 and res["error"]["code"] == "not_found"
    got, res, _ = call(d, "PUT", "/hooks/fake", {})
    assert got == 400 and res["error"]["message"] == "use GET or POST on /hooks/<instance>"
    got, _, _ = call(d, "PATCH", "/v1/templates/otp", {})
    assert got == 501
    assert d.status(mid)["id"] == mid


def test_webhook_routes_to_its_instance(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "accept"},
                             "quiet": {"module": "stub"}})
    mid = post(d, "+5511999990001")[0]
    m = d.wait_status(mid, "accepted")
    pid = m["attempts"][0]["provider_id"]
    # The test plugin reads id/status from the body or the query; extra path is its own.
    code, text, _ = call(d, "POST", "/hooks/fake/dlr", raw=f"id={pid}&status=delivered".encode(),
                         key=None, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 200 and text == "OK\n"
    d.wait_status(mid, "delivered")
    # The plugin's own refusal comes back as it wrote it.
    code, text, ctype = call(d, "POST", "/hooks/fake", raw=b"garbage", key=None)
    assert code == 400 and ctype.startswith("text/plain") and "expected id=" in text
    # No such instance, or an instance without a webhook: 404, JSON.
    for path in ["/hooks/nobody", "/hooks/quiet", "/hooks/"]:
        code, res, _ = call(d, "POST", path, raw=b"x", key=None)
        assert code == 404 and res["error"]["code"] == "not_found", (path, res)
    code, text, _ = call(d, "GET", "/metrics", key=None)
    assert 'sb_webhooks_total{instance="fake"} 2' in text, text


def test_healthz_and_metrics_need_no_key(make_daemon):
    d = make_daemon()
    mid = post(d, "+5511999990001")[0]
    d.wait_status(mid, "delivered")
    code, res, _ = call(d, "GET", "/healthz", key=None)
    assert code == 200 and res == {"status": "ok"}
    code, text, ctype = call(d, "GET", "/metrics", key=None)
    assert code == 200 and ctype.startswith("text/plain")
    assert "# TYPE sb_messages gauge" in text
    assert 'sb_messages{status="delivered"} 1' in text
    wait_for(lambda: 'sb_messages{status="sending"} 0' in call(d, "GET", "/metrics")[1],
             what="no message sending")


def test_answers_carry_one_date_header_of_the_wall_clock(make_daemon):
    """Every answer has exactly one Date header (RFC 7231's IMF-fixdate), of
    the wall clock, not the test clock: the API's own answers (one made
    once a second and shared), an error, and evhttp's own."""
    d = make_daemon()
    # The daemon's clock a day ahead: the Date stays the wall clock's.
    d.ok("clock.advance", {"ms": 86400000})
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    for method, path, body, key in [
            ("POST", "/v1/messages", {"to": "+5511999990001", "text": "hi"}, ACME_KEY),
            ("GET", "/v1/messages", None, ACME_KEY),
            ("GET", "/v1/messages", None, "wrong-key"),
            ("GET", "/healthz", None, None)]:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        h = {"Content-Type": "application/json"}
        if key:
            h["Authorization"] = "Bearer " + key
        try:
            before = time.time()
            conn.request(method, path, body=json.dumps(body).encode() if body else None,
                         headers=h)
            r = conn.getresponse()
            r.read()
            after = time.time()
            dates = r.msg.get_all("Date")
        finally:
            conn.close()
        assert dates is not None and len(dates) == 1, (path, dates)
        assert email.utils.format_datetime(email.utils.parsedate_to_datetime(dates[0]),
                                           usegmt=True) == dates[0], dates[0]
        at = email.utils.parsedate_to_datetime(dates[0]).timestamp()
        assert int(before) - 1 <= at <= after + 1, (path, dates[0], before)
