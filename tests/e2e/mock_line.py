"""A mock of the LINE Messaging API for the end-to-end tests (stdlib only).

It answers as ../shared/specs/line.md documents the real service:

  POST /v2/bot/message/push   (pushMessage)
      200 {"sentMessages": [{"id", "quoteToken"}]}; with an X-Line-Retry-Key
      already accepted: 409 {"message", "sentMessages"} and the headers
      x-line-request-id + x-line-accepted-request-id (nothing sent again).
  POST /bot/pnp/push          (pushMessagesByPhone, LINE notification messages)
      200 {} for a hash of a number in `on_line`, else 422 ErrorResponse;
      a retry key gets 400 (PNP does not support retry keys).
  anything else: 404.

Every answer carries x-line-request-id. Every request is checked against
the spec before anything else: bearer token (401 otherwise), JSON content
type and body shape (`to`, 1..5 text `messages`, no unknown keys), retry
key a UUID, delivery tag 16..100 characters. A request that breaks the spec
is answered 400 with an ErrorResponse, as LINE would, and recorded in
`violations`, which every test asserts empty.

Scripted answers (`script([...])`) take precedence, one per request:
    (status, body[, headers])    body: str or a dict sent as JSON
    ("hang", seconds)            hold the request, then close without answer
    ("accept_hang", seconds)     accept it (it counts as sent, its retry key
                                 as used), then hold it past the client's
                                 timeout: the "did it go?" case

`sent` lists what LINE really sent: dicts with path, to, text, key.
`delivery_event(...)` posts a signed delivery completion webhook.
"""
import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["MockLine", "sign", "phone_hash", "UUID_RE"]

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LINE_ID_RE = re.compile(r"^[UCR][0-9a-f]{32}$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
PUSH_KEYS = {"to", "messages", "notificationDisabled", "customAggregationUnits"}
PNP_KEYS = {"to", "messages", "notificationDisabled"}


def sign(secret, body):
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def phone_hash(e164):
    return hashlib.sha256(e164.encode()).hexdigest()


class _CIDict(dict):
    def __init__(self, items=()):
        super().__init__()
        for k, v in items:
            super().__setitem__(k.lower(), v)

    def get(self, key, default=None):
        return super().get(key.lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())


def _err(message, details=None):
    body = {"message": message}
    if details:
        body["details"] = [{"message": m, "property": p} for p, m in details]
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server_version = "MockLINE/1.0"

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, body, headers=None):
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-line-request-id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        line = self.server.line
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        rec = {"method": self.command, "path": self.path, "headers": _CIDict(self.headers.items()),
               "body": raw, "json": None}
        try:
            rec["json"] = json.loads(raw)
        except ValueError:
            pass
        problem = line._check(rec)
        answer = line._next_answer()
        rec["answer"] = problem[0] if problem else (answer[0] if answer else "default")
        line._record(rec)
        if problem:
            line._violation(f"{self.command} {self.path}: {problem[1]['message']}")
            self._answer(*problem)
            return
        if answer is not None:
            kind = answer[0]
            if kind in ("hang", "accept_hang"):
                if kind == "accept_hang":
                    line._accept(rec)
                line._stopping.wait(float(answer[1]))
                self.close_connection = True
                return
            self._answer(answer[0], answer[1], answer[2] if len(answer) > 2 else None)
            return
        answer = line._default(rec)
        rec["answer"] = answer[0]
        self._answer(*answer)


class MockLine:
    def __init__(self, token, on_line=()):
        self.token = token
        self.on_line = {phone_hash(n) for n in on_line}
        self.conflict_sent_messages = True  # does a 409 body carry sentMessages?
        self._lock = threading.Lock()
        self._requests = []
        self._violations = []
        self._sent = []
        self._accepted = {}  # retry key -> (request id, sentMessages)
        self._script = deque()
        self._ids = itertools.count(461230966842064897)
        self._stopping = threading.Event()
        self._server = None

    # ---- life cycle ----

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.line = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- what it saw ----

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    @property
    def violations(self):
        with self._lock:
            return list(self._violations)

    @property
    def sent(self):
        with self._lock:
            return list(self._sent)

    def wait_requests(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= n:
                return self.requests
            time.sleep(0.02)
        raise AssertionError(f"mock LINE got {len(self.requests)} requests, wanted {n}")

    def script(self, answers):
        with self._lock:
            self._script.extend(tuple(a) for a in answers)

    def _next_answer(self):
        with self._lock:
            return self._script.popleft() if self._script else None

    def _record(self, rec):
        with self._lock:
            self._requests.append(rec)

    def _violation(self, text):
        with self._lock:
            self._violations.append(text)

    # ---- the spec, as LINE enforces it ----

    def _check(self, rec):
        """(status, ErrorResponse) for a request LINE would refuse, else None."""
        h, body, path = rec["headers"], rec["json"], rec["path"]
        if path not in ("/v2/bot/message/push", "/bot/pnp/push"):
            return 404, _err("Not found")
        if rec["method"] != "POST":
            return 405, _err("Method not allowed")
        if h.get("Authorization") != f"Bearer {self.token}":
            return 401, _err("Authentication failed. Confirm that the access token in the"
                             " authorization header is valid.")
        if (h.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return 415, _err("Content type is not supported")
        if not isinstance(body, dict):
            return 400, _err("The request body could not be parsed as JSON")
        pnp = path == "/bot/pnp/push"
        bad = []
        unknown = set(body) - (PNP_KEYS if pnp else PUSH_KEYS)
        bad += [(k, "Unknown property") for k in sorted(unknown)]
        to = body.get("to")
        if not isinstance(to, str) or not (HASH_RE if pnp else LINE_ID_RE).match(to):
            bad.append(("to", "Invalid value"))
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not 1 <= len(msgs) <= 5:
            bad.append(("messages", "Size must be between 1 and 5"))
        else:
            for i, m in enumerate(msgs):
                if not isinstance(m, dict) or set(m) != {"type", "text"} or m["type"] != "text" \
                        or not isinstance(m["text"], str) or not m["text"]:
                    bad.append((f"messages[{i}]", "Must be a text message with text only"))
        if "notificationDisabled" in body and not isinstance(body["notificationDisabled"], bool):
            bad.append(("notificationDisabled", "Must be a boolean"))
        if bad:
            return 400, _err(f"The request body has {len(bad)} error(s)", bad)
        key = h.get("X-Line-Retry-Key")
        if pnp and key is not None:
            return 400, _err("The retry key is not supported by this endpoint")
        if key is not None and not UUID_RE.match(key):
            return 400, _err("The value for the 'X-Line-Retry-Key' header is invalid")
        tag = h.get("X-Line-Delivery-Tag")
        if not pnp and tag is not None:
            return 400, _err("X-Line-Delivery-Tag is only for LINE notification messages")
        if tag is not None and not 16 <= len(tag) <= 100:
            return 400, _err("The value for the 'X-Line-Delivery-Tag' header is invalid")
        return None

    def _accept(self, rec):
        """Carry the request out; returns (request id, sentMessages)."""
        body, h = rec["json"], rec["headers"]
        key = h.get("X-Line-Retry-Key")
        sent = [{"id": str(next(self._ids)), "quoteToken": "q" + uuid.uuid4().hex}
                for _ in body["messages"]]
        first = (str(uuid.uuid4()), sent)
        with self._lock:
            if key is not None:
                self._accepted[key] = first
            for m in body["messages"]:
                self._sent.append({"path": rec["path"], "to": body["to"], "text": m["text"],
                                   "key": key, "tag": h.get("X-Line-Delivery-Tag")})
        return first

    def _default(self, rec):
        body, h = rec["json"], rec["headers"]
        if rec["path"] == "/bot/pnp/push":
            if body["to"] not in self.on_line:
                return 422, _err("Failed to send messages")
            self._accept(rec)
            return 200, {}
        key = h.get("X-Line-Retry-Key")
        with self._lock:
            first = self._accepted.get(key) if key is not None else None
        if first is not None:
            conflict = _err("The retry key is already accepted")
            if self.conflict_sent_messages:
                conflict["sentMessages"] = first[1]
            return 409, conflict, {"x-line-accepted-request-id": first[0]}
        return 200, {"sentMessages": self._accept(rec)[1]}

    # ---- webhooks back to the daemon ----

    @staticmethod
    def post_webhook(url, body, signature, timeout=5.0, method="POST"):
        """POST raw bytes with X-Line-Signature (None: no header); (status, text)."""
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            hdrs["X-Line-Signature"] = signature
        req = urllib.request.Request(url, data=body if method == "POST" else None, headers=hdrs,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    @staticmethod
    def delivery_body(*tags, redelivery=False, extra_events=()):
        """A CallbackRequest with one PNP delivery completion event per tag [WH]."""
        events = [{
            "type": "delivery",
            "delivery": {"data": tag},
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "webhookEventId": "01H" + uuid.uuid4().hex[:23].upper(),
            "deliveryContext": {"isRedelivery": redelivery},
            "source": {"type": "user", "userId": "U" + "a" * 32},
        } for tag in tags]
        events.extend(extra_events)
        return json.dumps({"destination": "U" + "b" * 32, "events": events}).encode()

    @staticmethod
    def message_event(user_id, message_id, text=None, mtype="text", redelivery=False):
        """A MessageEvent from a user [WH MessageEvent, TextMessageContent]."""
        msg = {"type": mtype, "id": message_id}
        if mtype == "text":
            msg.update(text=text, quoteToken="q" + message_id)
        return {"type": "message", "mode": "active", "timestamp": 1764920700000,
                "webhookEventId": "01H" + uuid.uuid4().hex[:23].upper(),
                "deliveryContext": {"isRedelivery": redelivery},
                "source": {"type": "user", "userId": user_id},
                "replyToken": uuid.uuid4().hex, "message": msg}

    def delivery_event(self, url, secret, *tags, redelivery=False):
        body = self.delivery_body(*tags, redelivery=redelivery)
        return self.post_webhook(url, body, sign(secret, body))
