"""A scriptable mock SMS carrier for the end-to-end tests (stdlib only).

    carrier = MockCarrier().start()
    carrier.script([(500, "busy", {"Retry-After": "1"}),
                    (200, '{"message_id": "abc"}', {}),
                    ("hang", 2.0)])
    ... point an http_sms instance at carrier.url + "/sms" ...
    wait_for(lambda: len(carrier.requests) >= 3, 5)
    carrier.send_dlr(dlr_url, {"status": "1"})
    carrier.stop()

Each request takes the next scripted answer; when the script is empty it
gets the default, 200 {"message_id": "<n>"} with n counting from 1. Script
entries:
    (status, body[, headers])   body: str, bytes, or a dict/list sent as JSON
    ("hang", seconds)           hold the request that long (or until stop),
                                then close the connection without answering
    ("close",)                  close the connection at once, no answer
    ("delay", seconds, status, body[, headers])
                                answer normally, but only after `seconds`

`requests` is a snapshot list of dicts: method, path, query (dict, first
value of each name), raw_query, headers (case-insensitive dict), body
(bytes), form (dict, for form bodies), json (parsed, for JSON bodies, else
None), the answer given (status, or "hang"/"close"), and at (time.monotonic()
when the request arrived, for tests of retry timing).

Everything is thread-safe and bounded: the server runs in one daemon thread,
handler threads are daemons, sockets time out, stop() returns within a few
seconds even with hung requests or idle keep-alive connections.
"""
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["MockCarrier"]


class _CIDict(dict):
    """A dict whose keys compare case-insensitively (HTTP header names)."""

    def __init__(self, items=()):
        super().__init__()
        for k, v in items:
            self[k] = v

    def __setitem__(self, key, value):
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(key.lower())

    def get(self, key, default=None):
        return super().get(key.lower(), default)


def _first_values(qs):
    out = {}
    for k, v in urllib.parse.parse_qsl(qs, keep_blank_values=True):
        out.setdefault(k, v)
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real carriers do
    timeout = 10                   # idle keep-alive connections do not linger
    server_version = "MockCarrier/1.0"

    def log_message(self, fmt, *args):  # quiet: pytest shows failures, not noise
        pass

    def setup(self):
        super().setup()
        self.server.carrier._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.carrier._track(self.connection, False)

    def _handle(self):
        arrived = time.monotonic()
        carrier = self.server.carrier
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        ctype = (self.headers.get("Content-Type") or "").lower()
        rec = {
            "at": arrived,
            "method": self.command,
            "path": split.path,
            "query": _first_values(split.query),
            "raw_query": split.query,
            "headers": _CIDict(self.headers.items()),
            "body": body,
            "form": {},
            "json": None,
        }
        if "application/x-www-form-urlencoded" in ctype:
            rec["form"] = _first_values(body.decode("utf-8", "replace"))
        elif "json" in ctype:
            try:
                rec["json"] = json.loads(body)
            except ValueError:
                rec["json"] = None
        answer = carrier._next_answer()
        rec["answer"] = answer[0]
        carrier._record(rec)

        kind = answer[0]
        if kind == "hang":
            carrier._stopping.wait(float(answer[1]))
            self.close_connection = True
            return
        if kind == "close":
            self.close_connection = True
            return
        if kind == "delay":  # ("delay", seconds, status, body[, headers])
            carrier._stopping.wait(float(answer[1]))
            answer = answer[2:]
        status, payload = answer[0], answer[1]
        headers = answer[2] if len(answer) > 2 and answer[2] else {}
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
            headers = dict({"Content-Type": "application/json"}, **headers)
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = payload or b""
        self.send_response(int(status))
        has_ctype = any(k.lower() == "content-type" for k in headers)
        if not has_ctype:
            self.send_header("Content-Type", "application/json" if data[:1] in (b"{", b"[")
                             else "text/plain")
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle


class MockCarrier:
    def __init__(self, port=0, host="127.0.0.1"):
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._requests = []
        self._script = deque()
        self._counter = 0
        self._conns = set()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # ---- life cycle ----

    def start(self):
        self._stopping.clear()
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self._server.carrier = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"mock-carrier-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._stopping.set()  # releases hung requests
        self._server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for c in conns:  # idle keep-alive readers wake up now, not at their timeout
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # ---- what it saw, what it answers ----

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear(self):
        with self._lock:
            self._requests.clear()

    def script(self, answers):
        """Queue answers for the next requests, in order."""
        with self._lock:
            for a in answers:
                a = tuple(a)
                if a[0] not in ("hang", "close", "delay") and not isinstance(a[0], int):
                    raise ValueError(f"bad scripted answer {a!r}")
                if a[0] == "hang" and len(a) != 2:
                    raise ValueError("hang needs seconds: ('hang', 2.0)")
                if a[0] == "delay" and (len(a) < 4 or not isinstance(a[2], int)):
                    raise ValueError("delay needs ('delay', seconds, status, body[, headers])")
                self._script.append(a)

    def pending_script(self):
        with self._lock:
            return len(self._script)

    def wait_requests(self, n, timeout=10.0):
        """Block until at least n requests arrived; return them (or raise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = self.requests
            if len(reqs) >= n:
                return reqs
            time.sleep(0.02)
        raise AssertionError(f"carrier got {len(self.requests)} requests, wanted {n}")

    def _next_answer(self):
        with self._lock:
            if self._script:
                return self._script.popleft()
            self._counter += 1
            return (200, {"message_id": str(self._counter)}, {})

    def _record(self, rec):
        with self._lock:
            self._requests.append(rec)

    def _track(self, conn, add):
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    # ---- receipts back to the daemon ----

    @staticmethod
    def send_dlr(url, params=None, method="GET", timeout=5.0, headers=None, body=None):
        """Replay a delivery receipt: GET url?params or POST params as a form.

        `url` may already carry a query (a dlr_url does); params are added to
        it. `body` (str/bytes/dict) overrides the form for POST; a dict is
        sent as JSON. Returns (status, body text); HTTP errors are returned,
        not raised.
        """
        params = params or {}
        hdrs = dict(headers or {})
        method = method.upper()
        data = None
        if method == "GET" or body is not None:
            if params:
                url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
            if body is not None:
                if isinstance(body, (dict, list)):
                    data = json.dumps(body).encode()
                    hdrs.setdefault("Content-Type", "application/json")
                else:
                    data = body.encode() if isinstance(body, str) else body
        else:
            data = urllib.parse.urlencode(params).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
