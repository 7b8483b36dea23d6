"""Signed event delivery to applications (docs/http-api.md, "Events"): a
mock application on 127.0.0.1 checks every request's signature exactly as
the documented snippet does; events are retried on 5xx, delivered once,
in order per contact, kept across kill -9, listed and redelivered by
operators, and scoped by API key."""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from conftest import DAEMON, free_port, wait_for

ACME_KEY = "test-key"
OTHER_KEY = "other-key"
SECRET = b"an-events-secret-of-some-length"


# ---- the verifier, as docs/http-api.md shows it ----
def verify(secret, headers, body, now=None, window=300):
    """True if the request is from switchboard and not older than `window` s."""
    ts = headers.get("X-Switchboard-Timestamp", "")
    sig = headers.get("X-Switchboard-Signature", "")
    now = time.time() if now is None else now
    if not ts.isdigit() or abs(now - int(ts)) > window:
        return False  # a replay, or a clock far off
    mac = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v1=" + mac, sig)


class App:
    """A mock application: answers with the next code of `codes` (then 200),
    records every request (verified or not)."""

    def __init__(self, port=None, codes=()):
        self.port = port or free_port()
        self.codes = list(codes)
        self.requests = []
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/events"

    def start(self):
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                with app.lock:
                    code = app.codes.pop(0) if app.codes else 200
                    app.requests.append({"at": time.monotonic(), "headers": headers,
                                         "body": body, "code": code,
                                         "verified": verify(SECRET, headers, body),
                                         "event": json.loads(body)})
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if code >= 300 else b"ok")

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def taken(self):
        """Events answered 2xx, in arrival order."""
        with self.lock:
            return [r["event"] for r in self.requests if 200 <= r["code"] < 300]


def config(tmp, app, **events):
    secret = os.path.join(str(tmp), "events.secret")
    with open(secret, "wb") as f:
        f.write(SECRET + b"\n")
    ev = {"url": app.url, "secret": {"file": secret}}
    ev.update(events)
    return {
        "acme": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                 "api_keys": ["sha256:" + hashlib.sha256(ACME_KEY.encode()).hexdigest()],
                 "events": ev},
        "other": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                  "api_keys": ["sha256:" + hashlib.sha256(OTHER_KEY.encode()).hexdigest()]},
    }


def call(d, method, path, key=ACME_KEY):
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers={"Authorization": "Bearer " + key})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def statuses(events, mid=None):
    return [e["message"]["status"] for e in events if mid is None or e["message"]["id"] == mid]


def test_retried_after_500_delivered_once_in_order(make_daemon, tmp_path):
    app = App(codes=[500]).start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app))
        mid = d.send(to="+5511999990001")
        d.wait_status(mid, "delivered")
        wait_for(lambda: len(app.taken()) == 2, 15, what="two events taken")
        time.sleep(0.3)  # nothing more comes
        assert all(r["verified"] for r in app.requests), app.requests
        assert [r["code"] for r in app.requests] == [500, 200, 200]
        first, second = app.requests[0]["event"], app.requests[1]["event"]
        assert first == second  # the retry is the same event, byte for byte the same body
        assert app.requests[0]["body"] == app.requests[1]["body"]
        taken = app.taken()
        assert statuses(taken) == ["accepted", "delivered"]  # in order, each once
        assert len({e["id"] for e in taken}) == 2
        ev = taken[1]
        assert ev["type"] == "message.status" and ev["subaccount"] == "acme"
        assert ev["created"].endswith("Z")
        m = ev["message"]
        assert m["id"] == mid and m["to"] == "+5511999990001" and m["channel"] == "fake"
        assert set(m) == {"id", "to", "status", "reason", "channel", "channel_type",
                          "broadcast", "template"}
        h = app.requests[1]["headers"]
        assert h["Content-Type"] == "application/json"
        assert h["X-Switchboard-Event-Id"] == str(first["id"])
        # The API shows both delivered, the first after two tries.
        st, res = call(d, "GET", "/v1/events?state=delivered")
        assert st == 200, res
        tries = {e["id"]: e["tries"] for e in res["events"]}
        assert tries == {first["id"]: 2, ev["id"]: 1}, res
        metrics = call_text(d, "/metrics")
        assert "sb_events_delivered_total 2" in metrics
        assert "sb_events_retries_total 1" in metrics
        assert "sb_events_pending 0" in metrics
    finally:
        app.stop()


def call_text(d, path):
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def test_events_of_one_contact_arrive_in_order(make_daemon, tmp_path):
    # Every other request fails once: order must hold through the retries.
    app = App(codes=[503, 200, 500]).start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app))
        mids = [d.send(to="+5511999990001", text=f"m{i}") for i in range(3)]
        other = d.send(to="+5511999990002")
        for mid in mids + [other]:
            d.wait_status(mid, "delivered")
        wait_for(lambda: len(app.taken()) == 8, 20, what="eight events taken")
        taken = [e for e in app.taken() if e["message"]["to"] == "+5511999990001"]
        ids = [e["id"] for e in taken]
        assert ids == sorted(ids) and len(set(ids)) == 6, ids
        for mid in mids:
            assert statuses(taken, mid) == ["accepted", "delivered"]
        assert all(r["verified"] for r in app.requests)
    finally:
        app.stop()


def test_a_forged_or_stale_request_fails_verification(make_daemon, tmp_path):
    app = App().start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app, statuses=["delivered"]))
        d.wait_status(d.send(), "delivered")
        wait_for(lambda: app.taken(), 10, what="an event")
        r = app.requests[0]
        assert r["verified"]
        assert statuses(app.taken()) == ["delivered"]  # only the statuses asked for
        assert not verify(b"the wrong secret", r["headers"], r["body"])
        assert not verify(SECRET, r["headers"], r["body"].replace(b"delivered", b"read"))
        forged = dict(r["headers"], **{"X-Switchboard-Timestamp":
                                       str(int(r["headers"]["X-Switchboard-Timestamp"]) + 1)})
        assert not verify(SECRET, forged, r["body"])
        # A replay after the 5-minute window is refused even with a good signature.
        assert not verify(SECRET, r["headers"], r["body"], now=time.time() + 301)
        assert verify(SECRET, r["headers"], r["body"], now=time.time() + 200)
    finally:
        app.stop()


def test_kill9_with_events_pending_loses_none(make_daemon, tmp_path):
    app = App()  # not listening yet: every try is refused
    d = make_daemon(subaccounts=config(tmp_path, app))
    mids = [d.send(to=f"+551199999000{i}") for i in range(3)]
    for mid in mids:
        d.wait_status(mid, "delivered")
    wait_for(lambda: len(call(d, "GET", "/v1/events?state=pending")[1]["events"]) == 6, 10,
             what="six pending events")
    d.kill9()
    # Each refused try backed its event off (1 s, 2 s, 4 s...): a slow first
    # phase leaves the next try far out. Wait from the stored next try.
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    try:
        (last_next_ms,) = db.execute(
            "SELECT max(next_ms) FROM events WHERE state = 'pending'").fetchone()
    finally:
        db.close()
    app.start()
    try:
        d.start()
        wait_s = max(0.0, last_next_ms / 1000 - time.time()) + 15
        wait_for(lambda: len(app.taken()) == 6, wait_s, what="every event after the restart")
        taken = app.taken()
        assert sorted(e["message"]["id"] for e in taken) == sorted(mids * 2)
        assert len({e["id"] for e in taken}) == 6
        for mid in mids:
            assert statuses(taken, mid) == ["accepted", "delivered"]
        st, res = call(d, "GET", "/v1/events?state=pending")
        assert st == 200 and res["events"] == [], res
    finally:
        app.stop()


def test_refused_event_is_failed_listed_and_redelivered(make_daemon, tmp_path):
    app = App(codes=[400]).start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app, statuses=["delivered"]))
        mid = d.send()
        d.wait_status(mid, "delivered")
        failed = wait_for(lambda: d.ok("events.failed")["events"], 10, what="a failed event")
        assert len(failed) == 1 and failed[0]["message_id"] == mid
        assert failed[0]["last_error"].startswith("HTTP 400"), failed
        eid = failed[0]["id"]
        out = d.ctl("events", "failed", "--subaccount", "acme").stdout
        assert str(eid) in out and "HTTP 400" in out
        assert d.ctl("events", "failed", "--subaccount", "other").stdout.strip() == "(none)"
        # Another subaccount's key cannot see it nor send it again.
        st, res = call(d, "GET", "/v1/events?state=failed", key=OTHER_KEY)
        assert st == 200 and res["events"] == [], res
        st, res = call(d, "POST", f"/v1/events/{eid}/redeliver", key=OTHER_KEY)
        assert st == 404 and res["error"]["code"] == "not_found", res
        st, res = call(d, "GET", "/v1/events?state=failed")
        assert st == 200 and [e["id"] for e in res["events"]] == [eid], res
        assert len(app.requests) == 1
        # The operator sends it again: this time the application takes it.
        d.ctl("events", "redeliver", str(eid))
        wait_for(lambda: app.taken(), 10, what="the redelivered event")
        assert app.taken()[0]["id"] == eid and app.requests[1]["verified"]
        assert d.ok("events.failed")["events"] == []
        # Redelivered once more through the API, by its own key.
        st, res = call(d, "POST", f"/v1/events/{eid}/redeliver")
        assert st == 200 and res == {"id": eid, "state": "pending"}, res
        wait_for(lambda: len(app.taken()) == 2, 10, what="the second redelivery")
        st, res = call(d, "GET", "/v1/events?state=bogus")
        assert st == 400 and res["error"]["code"] == "bad_argument", res
        r = d.request("events.redeliver", {"id": 999999})
        assert not r["ok"] and r["error"]["code"] == "not_found", r
    finally:
        app.stop()


def test_retry_after_one_second_on_a_quiet_daemon(make_daemon, tmp_path):
    """Real time, no -T: the only thing that can wake the daemon for the
    retry is its own timer, armed to the event's next try."""
    app = App(codes=[500]).start()
    try:
        d = make_daemon(test_clock=False, subaccounts=config(tmp_path, app, statuses=["delivered"]))
        d.wait_status(d.send(), "delivered")
        wait_for(lambda: app.taken(), 10, what="the retried event")
        first, second = app.requests[0]["at"], app.requests[1]["at"]
        assert 0.95 <= second - first < 1.5, second - first
    finally:
        app.stop()


def test_config_errors_name_the_line(make_daemon, tmp_path):
    app = App()
    d = make_daemon(start=False, subaccounts=config(tmp_path, app, statuses=["queued"],
                                                    retry_for="soon"))
    d.cfg["subaccounts"]["acme"]["events"]["secret"] = "inline"
    d.write_config(d.cfg)
    out = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode != 0
    err = out.stdout + out.stderr
    assert "bad status 'queued' in 'statuses'" in err, err
    assert "bad duration 'soon'" in err or "retry_for" in err, err
    assert "never written inline" in err, err
    assert "switchboard.yaml:" in err, err


def test_inbound_message_event_reaches_the_application(make_daemon, tmp_path):
    """A reply a customer sends is filed and its event is signed and
    delivered; the provider's repeat of it makes no second event."""
    app = App().start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app, statuses=["delivered"]),
                        plugins={"fake": {"module": "test", "behaviour": "deliver",
                                          "subaccount": "acme"}})
        form = "inbound=1&from=%2B5511999990001&to=%2B15550001&text=Ol%C3%A1&id=mo-1"
        for _ in range(2):
            req = urllib.request.Request(d.http + "/hooks/fake", data=form.encode(),
                                         method="POST")
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.status == 200
        got = wait_for(lambda: app.taken() or None, what="the inbound event")
        # The outbox holds one event, not one per provider call.
        st, res = call(d, "GET", "/v1/events")
        assert st == 200 and len(res["events"]) == 1, res
        ev = got[0]
        assert ev["type"] == "message.inbound" and ev["subaccount"] == "acme"
        assert (ev["message"]["from"], ev["message"]["text"], ev["message"]["channel"]) == (
            "+5511999990001", "Olá", "fake")
        assert all(r["verified"] for r in app.requests)
        [item] = d.ok("folder.list", {"folder": "inbox"})["items"]
        assert ev["message"]["id"] == item["id"]
    finally:
        app.stop()


def post_json(d, method, path, body, key=ACME_KEY):
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body).encode(),
                     headers={"Authorization": "Bearer " + key,
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def inbound(d, frm, text, mid):
    form = urllib.parse.urlencode({"inbound": 1, "from": frm, "text": text, "id": mid})
    req = urllib.request.Request(d.http + "/hooks/fake", data=form.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def test_flows_route_a_contacts_replies_to_the_application(make_daemon, tmp_path):
    # The flow's application fails its first request: retried, taken once.
    app, flow_app = App().start(), App(codes=[500]).start()
    try:
        d = make_daemon(subaccounts=config(tmp_path, app, statuses=["delivered"]),
                        plugins={"fake": {"module": "test", "behaviour": "deliver",
                                          "subaccount": "acme"}})
        st, flow = post_json(d, "POST", "/v1/flows", {"to": "11 99999-0001", "ttl": "1h",
                                                      "callback_url": flow_app.url})
        assert st == 200 and flow["open"] is True and flow["closed"] is None, flow
        inbound(d, "+5511999990001", "quero falar", "f-1")      # in the flow
        inbound(d, "+5511999990002", "outro assunto", "f-2")    # no flow: the inbox
        got = wait_for(lambda: flow_app.taken() or None, what="the flow's event")
        assert [r["code"] for r in flow_app.requests] == [500, 200]
        assert got[0]["message"]["text"] == "quero falar"
        assert got[0]["message"]["flow"] == flow["id"]
        assert all(r["verified"] for r in flow_app.requests)
        wait_for(lambda: app.taken() or None, what="the subaccount's event")
        assert [e["message"]["text"] for e in app.taken()] == ["outro assunto"]
        [f] = d.ok("folder.list", {"folder": "flows"})["items"]
        assert f["text"] == "quero falar" and f["contact"] == flow["contact"]
        assert d.ok("folder.counts")["folders"]["flows"] == 1
        assert [x["id"] for x in d.ok("flow.list")["flows"]] == [flow["id"]]
        # Closed: the contact's next reply goes to the inbox and the subaccount's URL.
        st, res = call(d, "DELETE", "/v1/flows/%d" % flow["id"])
        assert st == 200 and res == {"id": flow["id"], "closed": True}
        st, res = call(d, "DELETE", "/v1/flows/%d" % flow["id"])
        assert st == 409 and res["error"]["code"] == "invalid_state"
        inbound(d, "+5511999990001", "de novo", "f-3")
        wait_for(lambda: len(app.taken()) == 2, what="the reply after the close")
        assert len(flow_app.taken()) == 1
        assert d.ok("folder.counts")["folders"]["inbox"] == 2
        # A flow that expires (1 s, in real time) stops taking replies by itself.
        r = d.ctl("--json", "flow", "open", "--contact", str(flow["contact"]), "--url",
                  flow_app.url, "--ttl", "1s")
        short = json.loads(r.stdout)
        wait_for(lambda: call(d, "GET", "/v1/flows/%d" % short["id"])[1]["open"] is False,
                 timeout=5, what="the flow to expire")
        inbound(d, "+5511999990001", "tarde demais", "f-4")
        wait_for(lambda: len(app.taken()) == 3, what="the reply after the expiry")
        assert len(flow_app.taken()) == 1
        # Bad input, and isolation.
        for body, status, words in [
            ({"to": "+5511999990001", "ttl": "1h", "callback_url": "ftp://x"}, 400,
             "'callback_url' must be an http:// or https:// URL"),
            ({"to": "+5511999990001", "ttl": "forever", "callback_url": flow_app.url}, 400,
             "'ttl' must be a duration from 1s to 30 days"),
            ({"to": "+5511999990001", "contact": 1, "ttl": 60, "callback_url": flow_app.url},
             400, "give either 'contact' (an id) or 'to' (a number)"),
            ({"contact": 99999, "ttl": 60, "callback_url": flow_app.url}, 404, "no contact"),
            ({"to": "call me", "ttl": 60, "callback_url": flow_app.url}, 400,
             "invalid phone number in 'to'"),
            ({"to": "+5511999990001", "ttl": 60, "url": flow_app.url}, 400,
             "unknown field 'url'"),
        ]:
            st, res = post_json(d, "POST", "/v1/flows", body)
            assert st == status and words in res["error"]["message"], (body, st, res)
        st, res = post_json(d, "POST", "/v1/flows", {"to": "+5511999990001", "ttl": 60,
                                                     "callback_url": flow_app.url},
                            key=OTHER_KEY)
        assert st == 409 and "has no events section" in res["error"]["message"], res
        st, res = call(d, "GET", "/v1/flows/%d" % flow["id"], key=OTHER_KEY)
        assert st == 404
    finally:
        app.stop()
        flow_app.stop()
