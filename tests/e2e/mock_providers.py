"""Test doubles of Twilio's Messages API and Vonage's SMS API (stdlib only).

Each double answers as the real service documents it (see
../shared/specs/twilio.md and vonage.md): it checks credentials, paths
and required fields itself and answers with the provider's own error when
they are wrong, so a plugin that sends a bad request fails its test even
where the test does not look. Tests also read `requests` to check every
field exactly, and replay the provider's callbacks, signed as the
provider signs them (the algorithms are written here independently of
the C code, from the providers' own helper libraries).

    tw = MockTwilio(ACCOUNT, TOKEN).start()
    tw.script([(429, {...}, {"Retry-After": "1"})])   # one-shot answers first
    ...
    tw.callback(url, sid, "delivered")                  # a signed status callback

When ../shared/specs/ exists and PyYAML is importable, every request is
also checked against the provider's official OpenAPI field list
(`spec_errors` collects violations; tests assert it stays empty). When
either is missing, that check is skipped and `spec_checked` stays False.
"""
import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mock_carrier import _CIDict

SPECS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "specs"))
SPECS = os.environ.get("SB_SPECS_DIR", SPECS)


def _load_yaml(path):
    try:
        import yaml  # optional: the spec check is skipped without it
    except ImportError:
        return None
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return yaml.safe_load(f)


_spec_cache = {}


def twilio_create_fields():
    """(properties, required) of CreateMessageRequest, or None."""
    if "twilio" not in _spec_cache:
        doc = _load_yaml(os.path.join(SPECS, "twilio", "twilio_api_v2010.yaml"))
        out = None
        if doc:
            op = doc["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
            schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
            out = (set(schema["properties"]), set(schema.get("required", [])))
        _spec_cache["twilio"] = out
    return _spec_cache["twilio"]


def vonage_schemas():
    """The components/schemas of the Vonage SMS spec, or None."""
    if "vonage" not in _spec_cache:
        doc = _load_yaml(os.path.join(SPECS, "vonage", "sms.yml"))
        _spec_cache["vonage"] = doc["components"]["schemas"] if doc else None
    return _spec_cache["vonage"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        srv = self.server.mock
        split = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        rec = {
            "method": self.command,
            "path": split.path,
            "raw_query": split.query,
            "headers": _CIDict(self.headers.items()),
            "body": body,
            "form": {},
            "form_multi": [],
            "t": time.monotonic(),
        }
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            rec["form_multi"] = urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                       keep_blank_values=True)
            rec["form"] = dict(rec["form_multi"])
        answer = srv._answer(rec)
        rec["answer"] = answer[0]
        srv._record(rec)
        status, payload = answer[0], answer[1]
        headers = answer[2] if len(answer) > 2 else {}
        data = json.dumps(payload).encode() if isinstance(payload, (dict, list)) else \
            (payload.encode() if isinstance(payload, str) else payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle


class _MockProvider:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests = []
        self._script = deque()
        self._server = None
        self._thread = None
        self.spec_errors = []
        self.spec_checked = False

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def script(self, answers):
        """One-shot answers, (status, body[, headers]), for the next sends."""
        with self._lock:
            self._script.extend(tuple(a) for a in answers)

    def wait_requests(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = self.requests
            if len(reqs) >= n:
                return reqs
            time.sleep(0.02)
        raise AssertionError(f"mock got {len(self.requests)} requests, wanted {n}")

    def _record(self, rec):
        with self._lock:
            self._requests.append(rec)

    def _scripted(self):
        with self._lock:
            return self._script.popleft() if self._script else None

    def _spec_error(self, msg):
        with self._lock:
            self.spec_errors.append(msg)


def post_form(url, fields, headers=None, method="POST", body=None, timeout=5.0):
    """POST fields (a list of pairs or a dict) as a form; (status, text)."""
    data = body if body is not None else urllib.parse.urlencode(fields).encode()
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data if method != "GET" else None, headers=hdrs,
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- Twilio

def twilio_signature(token, url, params):
    """X-Twilio-Signature as twilio-python's RequestValidator computes it."""
    s = url
    names = sorted({k for k, _ in params})
    for name in names:
        for value in sorted(v for k, v in params if k == name):
            s += name + value
    mac = hmac.new(token.encode(), s.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def twilio_segments(text):
    """Segments as Twilio bills them: GSM-7 160/153, else UCS-2 70/67 (approximate)."""
    gsm = all(ord(c) < 128 and c not in "`" for c in text)
    units = len(text) if gsm else len(text.encode("utf-16-le")) // 2
    single, per = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else -(-units // per)


class MockTwilio(_MockProvider):
    """Twilio's Messages API for one account: CreateMessage and FetchMessage."""

    def __init__(self, account_sid, auth_token):
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages = {}  # sid -> resource
        self._ids = itertools.count(1)

    def _error(self, http, code, message):
        return (http, {"code": code, "message": message,
                       "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": http})

    def _resource(self, sid, to, frm, body, service, status="queued"):
        now = formatdate(usegmt=False).replace("-0000", "+0000")
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": now, "date_sent": None, "date_updated": now,
            "direction": "outbound-api", "error_code": None, "error_message": None,
            "from": frm, "messaging_service_sid": service,
            "num_media": "0", "num_segments": str(twilio_segments(body or "")),
            "price": None, "price_unit": "USD", "sid": sid, "status": status,
            "subresource_uris": {"media": base + "/Media.json"}, "to": to, "uri": base + ".json",
        }

    def _check_spec(self, form_multi):
        fields = twilio_create_fields()
        if fields is None:
            return
        self.spec_checked = True
        props, required = fields
        for k, _ in form_multi:
            if k not in props:
                self._spec_error(f"CreateMessage: '{k}' is not a field of the spec")
        for k in required:
            if k not in dict(form_multi):
                self._spec_error(f"CreateMessage: required '{k}' missing")

    def _answer(self, rec):
        want = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if rec["headers"].get("Authorization") != want:
            return self._error(401, 20003, "Authenticate")
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/Messages"
        if rec["method"] == "GET":
            m = re.fullmatch(re.escape(prefix) + r"/((?:SM|MM)[0-9a-f]{32})\.json", rec["path"])
            if m is None or m.group(1) not in self.messages:
                return self._error(404, 20404, f"The requested resource {rec['path']} was not found")
            return (200, self.messages[m.group(1)])
        if rec["method"] != "POST" or rec["path"] != prefix + ".json":
            return self._error(404, 20404, f"The requested resource {rec['path']} was not found")
        self._check_spec(rec["form_multi"])
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        f = rec["form"]
        if "To" not in f:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if "From" not in f and "MessagingServiceSid" not in f:
            return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if "Body" not in f and "ContentSid" not in f:
            return self._error(400, 21602, "Message body is required.")
        if not re.fullmatch(r"\+[1-9]\d{6,14}", f["To"]):
            return self._error(400, 21211, f"Invalid 'To' Phone Number: {f['To']}")
        sid = "SM%032x" % (0x5b0000 + next(self._ids))
        res = self._resource(sid, f["To"], f.get("From"), f.get("Body"),
                             f.get("MessagingServiceSid"),
                             "accepted" if "MessagingServiceSid" in f else "queued")
        with self._lock:
            self.messages[sid] = res
        return (201, res)

    def set_status(self, sid, status, error_code=None):
        with self._lock:
            self.messages[sid]["status"] = status
            self.messages[sid]["error_code"] = error_code

    def callback_fields(self, sid, status, error_code=None):
        """The form fields of a status callback, in the order Twilio sends them."""
        m = self.messages.get(sid, {"to": "+15558675310", "from": "+15557122661"})
        fields = []
        if error_code is not None:
            fields.append(("ErrorCode", str(error_code)))
        fields += [("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status),
                   ("To", m["to"]), ("MessageSid", sid), ("AccountSid", self.account_sid),
                   ("From", m["from"] or ""), ("ApiVersion", "2010-04-01")]
        return fields

    def incoming(self, url, frm, to, body, sid, media=None, token=None):
        """POST an incoming message to url as Twilio's messaging webhook does, signed."""
        fields = [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid),
                  ("NumMedia", "1" if media else "0"), ("ToCity", ""), ("FromZip", ""),
                  ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"),
                  ("FromCity", ""), ("Body", body), ("FromCountry", "BR"), ("To", to),
                  ("ToZip", ""), ("NumSegments", "1"), ("MessageSid", sid),
                  ("AccountSid", self.account_sid), ("From", frm),
                  ("ApiVersion", "2010-04-01")]
        if media:
            fields += [("MediaContentType0", "image/jpeg"), ("MediaUrl0", media)]
        sig = twilio_signature(token or self.auth_token, url, fields)
        return post_form(url, fields, {"X-Twilio-Signature": sig})

    def callback(self, url, sid, status, error_code=None, token=None, fields=None,
                 signature=None):
        """POST a status callback to url, signed (or with the given signature)."""
        fields = fields if fields is not None else self.callback_fields(sid, status, error_code)
        sig = signature if signature is not None else \
            twilio_signature(token or self.auth_token, url, fields)
        headers = {"X-Twilio-Signature": sig, "I-Twilio-Idempotency-Token": f"{sid}-{status}"}
        if sig == "":
            headers.pop("X-Twilio-Signature")
        return post_form(url, fields, headers)


# ---------------------------------------------------------------- Vonage

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXT = set("^{}\\[~]|€\f")


def vonage_split(text, unicode):
    """Parts of a text as an SMSC splits it (GSM 160/153, UCS-2 70/67)."""
    if unicode:
        widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, per = 70, 67
    else:
        widths = [2 if c in GSM_EXT else 1 for c in text]
        single, per = 160, 153
    if sum(widths) <= single:
        return 1
    parts, room = 1, per
    for w in widths:
        if w > room:
            parts, room = parts + 1, per
        room -= w
    return parts


def vonage_signature(params, secret, method="md5hash"):
    """The `sig` of a parameter dict, as the Vonage SDKs compute it."""
    s = ""
    for k in sorted(params):
        if k == "sig":
            continue
        s += "&" + k + "=" + str(params[k]).replace("&", "_").replace("=", "_")
    if method == "md5hash":
        return hashlib.md5((s + secret).encode()).hexdigest()
    alg = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
           "sha512": hashlib.sha512}[method]
    return hmac.new(secret.encode(), s.encode(), alg).hexdigest()


class MockVonage(_MockProvider):
    """Vonage's SMS API for one account: POST /sms/json (always HTTP 200)."""

    def __init__(self, api_key, api_secret=None, sig_secret=None, sig_method="md5hash"):
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.sig_secret = sig_secret
        self.sig_method = sig_method
        self.sent = {}  # client-ref -> [message-id, ...]
        self._ids = itertools.count(0x1000)

    @staticmethod
    def _fail(status, text):
        return (200, {"message-count": "1", "messages": [{"status": str(status), "error-text": text}]})

    def _check_spec(self, f):
        schemas = vonage_schemas()
        if schemas is None:
            return
        self.spec_checked = True
        nm = schemas["NewMessage"]
        props = nm["properties"]
        for k, v in f.items():
            p = props.get(k)
            # Signed requests carry `timestamp` (signing guide, not in this 2021 spec), and
            # an HMAC-SHA256/512 `sig` is 64/128 hex digits, past the spec's maxLength 60.
            if "sig" in f and k == "timestamp":
                continue
            if k == "sig" and len(v) in (64, 128):
                p = dict(p, maxLength=128)
            if p is None:
                self._spec_error(f"send: '{k}' is not a field of NewMessage")
                continue
            if "minLength" in p and len(v) < p["minLength"]:
                self._spec_error(f"send: '{k}' shorter than {p['minLength']}")
            if "maxLength" in p and len(v) > p["maxLength"]:
                self._spec_error(f"send: '{k}' longer than {p['maxLength']}")
            if "pattern" in p and not re.fullmatch(p["pattern"], v):
                self._spec_error(f"send: '{k}' does not match {p['pattern']}")
            if "enum" in p and v not in p["enum"]:
                self._spec_error(f"send: '{k}' not one of {p['enum']}")
        for k in nm.get("required", []):
            if k not in f:
                self._spec_error(f"send: required '{k}' missing")
        if "client-ref" in f and len(f["client-ref"]) > 40:
            self._spec_error("send: client-ref longer than 40 characters")

    def _answer(self, rec):
        if rec["method"] != "POST" or rec["path"] != "/sms/json":
            return (404, {"type": "https://developer.nexmo.com/api-errors#not-found",
                          "title": "Not Found"})
        f = rec["form"]
        self._check_spec(f)
        if f.get("api_key") != self.api_key:
            return self._fail(4, "Bad Credentials")
        if "sig" in f and "api_secret" in f:
            return self._fail(32, "Signature and API secret are both present")
        if "sig" in f:
            if self.sig_secret is None or \
                    vonage_signature(f, self.sig_secret, self.sig_method) != f["sig"].lower():
                return self._fail(14, "Invalid Signature")
        elif f.get("api_secret") != self.api_secret:
            return self._fail(4, "Bad Credentials")
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        for k in ("from", "to", "text"):
            if not f.get(k):
                return self._fail(2, f"Missing {k} param")
        text = f["text"]
        unicode = f.get("type") == "unicode"
        if not unicode and any(c not in GSM_BASIC and c not in GSM_EXT for c in text):
            return self._fail(3, "Text contains characters outside GSM; use type unicode")
        n = vonage_split(text, unicode)
        items = []
        ids = []
        for _ in range(n):
            mid = "%016X" % next(self._ids)
            ids.append(mid)
            item = {"to": f["to"], "message-id": mid, "status": "0",
                    "remaining-balance": "3.14159265", "message-price": "0.03330000",
                    "network": "12345"}
            if "client-ref" in f:
                item["client-ref"] = f["client-ref"]
            items.append(item)
        with self._lock:
            self.sent[f.get("client-ref", ids[0])] = ids
        return (200, {"message-count": str(n), "messages": items})

    def dlr_fields(self, ref, mid, status, err="0", to="5511999990001", sender="ACME"):
        """A delivery receipt's fields, as the DeliveryReceipt schema lists them."""
        f = {"msisdn": to, "to": sender, "network-code": "72405", "messageId": mid,
             "price": "0.03330000", "status": status, "scts": "2001011400", "err-code": err,
             "api-key": self.api_key, "message-timestamp": "2020-01-01 12:00:00"}
        if ref is not None:
            f["client-ref"] = ref
        return f

    def sign(self, fields, secret=None, method=None, ts=None):
        """Add timestamp, nonce and sig as a signed webhook carries them."""
        f = dict(fields)
        f["timestamp"] = str(int(ts if ts is not None else time.time()))
        f["nonce"] = "ec11dd3e-1e7f-4db5-9467-82b02cd223b9"
        f["sig"] = vonage_signature(f, secret or self.sig_secret, method or self.sig_method).upper()
        return f

    @staticmethod
    def dlr(url, fields, how="GET"):
        """Deliver a receipt: GET query string, POST form, or POST JSON."""
        if how == "GET":
            return post_form(url + "?" + urllib.parse.urlencode(fields), {}, method="GET")
        if how == "JSON":
            return post_form(url, {}, {"Content-Type": "application/json"},
                             body=json.dumps(fields).encode())
        return post_form(url, fields)
