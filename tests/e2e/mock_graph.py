"""A mock of Meta's Graph API for the WhatsApp Cloud API (stdlib only, plus
PyYAML when it is there to read the official spec).

    graph = MockGraph(token="EAAG...", phone_number_id="106540352242922").start()
    graph.script("5511999990001", [graph.error(130429, "(#130429) Rate limit hit",
                                               http=429, headers={"Retry-After": "1"})])
    ... point a whatsapp instance's base_url at graph.url ...
    graph.wait_requests(1)
    graph.post_statuses(hook_url, app_secret, [graph.status("wamid.1", "delivered", "5511...")])
    graph.stop()

POST /{version}/{phone_number_id}/messages is checked the way Meta checks
it: the path (version and phone number id), `Authorization: Bearer <token>`
(401 with code 190, or 104 when missing), `Content-Type: application/json`,
and the body, field by field, against the rules written out below (always)
and against the Message schema of the official OpenAPI file (when
../shared/specs/whatsapp/ and PyYAML are there; `spec_checked` says whether
it was). A request that breaks a rule is answered 400 with Graph error 100,
as Graph does, and its problems are kept in `violations`, which the tests
require to be empty.

A valid request takes the next scripted answer for its recipient, else the
documented success: 200 {"messaging_product": "whatsapp", "contacts":
[{"input", "wa_id"}], "messages": [{"id": "wamid.<n>", "message_status":
"accepted"}]}. Answers: (status, body[, headers]), error(...) builds the
documented GraphAPIError body, ("close",) drops the connection.

Webhooks go the other way: status() and inbound() build the documented
payload items, post_statuses()/post_payload() wrap them in the envelope
(object, entry[].changes[].value with messaging_product and metadata),
sign the exact bytes with the app secret (X-Hub-Signature-256) and POST
them to the daemon; subscribe() does the GET handshake.
"""
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
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPEC_FILE = os.path.join("whatsapp", "business-messaging-api_v23.0.yaml")
# ../shared/specs beside the project (SB_SPECS_DIR overrides); never copied in.
SPEC_CANDIDATES = [os.path.join(d, SPEC_FILE) for d in filter(None, [
    os.environ.get("SB_SPECS_DIR"),
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "specs"),
])]

WABA_ID = "419561257915477"
DISPLAY_NUMBER = "15550783881"

# The hand-written rules, from the v23.0 OpenAPI (BaseMessageProperties,
# TextMessage, TemplateObject, LanguageObject, TemplateComponent,
# TextParameter); test_whatsapp.py checks them against the spec file.
BASE_REQUIRED = ["messaging_product", "recipient_type", "to", "type"]
RECIPIENT_TYPES = ["individual", "group"]
MESSAGE_TYPES = ["text", "audio", "document", "image", "location", "video", "sticker",
                 "reaction", "interactive", "template", "contacts"]
TEXT_KEYS = {"body", "preview_url"}
TEMPLATE_REQUIRED = ["name", "language"]
LANGUAGE_REQUIRED = ["policy", "code"]
LANGUAGE_POLICIES = ["deterministic"]
COMPONENT_TYPES = ["header", "body", "button"]
STATUS_REQUIRED = ["id", "status", "timestamp", "recipient_id"]
STATUS_VALUES = ["sent", "delivered", "read", "failed"]
TEXT_MAX = 4096


def _find_spec():
    for p in SPEC_CANDIDATES:
        if os.path.exists(p):
            return os.path.abspath(p)
    return None


def load_spec():
    """The parsed OpenAPI document, or None (no spec folder, or no PyYAML)."""
    path = _find_spec()
    if path is None:
        return None
    try:
        import yaml
    except ImportError:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as f:
        return yaml.load(f, Loader=loader)


class SchemaChecker:
    """Just enough JSON Schema for the spec's message and webhook schemas:
    $ref, allOf, oneOf (with or without discriminator), a discriminator on a
    base schema (its mapping names the subtypes), not, type, enum, required,
    properties, additionalProperties, items, minItems, maxLength.

    additionalProperties: false is read over the union of an allOf's parts,
    which is what the spec means (TextMessage puts it beside
    BaseMessageProperties). `pattern` is not checked: the spec's only one on
    this path (TemplateComponent.index, ^[2-6, 11-14]$) rejects its own
    example "0"."""

    TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}

    def __init__(self, spec):
        self.spec = spec

    def resolve(self, s):
        while isinstance(s, dict) and "$ref" in s:
            node = self.spec
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node[part]
            s = node
        return s

    def schema(self, name):
        return self.spec["components"]["schemas"][name]

    def _props(self, s):
        s = self.resolve(s)
        props = set(s.get("properties", {}))
        for part in s.get("allOf", []):
            props |= self._props(part)
        return props

    def check(self, s, v, path="$", allowed=None, dispatched=frozenset()):
        s = self.resolve(s)
        errs = []
        disc = s.get("discriminator")
        if disc and "oneOf" not in s and id(s) not in dispatched and isinstance(v, dict):
            # A base schema naming its subtypes (TemplateComponent -> BodyComponent):
            # check the subtype, whose allOf brings the base back without dispatching.
            target = disc.get("mapping", {}).get(v.get(disc["propertyName"]))
            if target is not None and self.resolve({"$ref": target}) is not s:
                return self.check({"$ref": target}, v, path, allowed, dispatched | {id(s)})
        if "allOf" in s:
            union = self._props(s)
            for part in s["allOf"]:
                errs += self.check(part, v, path, union, dispatched)
        if "oneOf" in s:
            disc = s.get("discriminator")
            if disc and isinstance(v, dict) and v.get(disc["propertyName"]) in disc.get("mapping", {}):
                errs += self.check({"$ref": disc["mapping"][v[disc["propertyName"]]]}, v, path)
            elif disc:
                errs.append(f"{path}: {disc['propertyName']} not one of {sorted(disc.get('mapping', {}))}")
            else:
                ok = [o for o in s["oneOf"] if not self.check(o, v, path)]
                if len(ok) != 1:
                    errs.append(f"{path}: matches {len(ok)} of the oneOf schemas, not exactly one")
        if "not" in s and not self.check(s["not"], v, path):
            errs.append(f"{path}: matches a schema it must not")
        t = s.get("type")
        if t is not None:
            want = self.TYPES[t]
            if not isinstance(v, want) or (t in ("integer", "number") and isinstance(v, bool)):
                return errs + [f"{path}: expected {t}, got {type(v).__name__}"]
        if "enum" in s and v not in s["enum"]:
            errs.append(f"{path}: {v!r} not in {s['enum']}")
        if isinstance(v, str) and "maxLength" in s and len(v) > s["maxLength"]:
            errs.append(f"{path}: longer than {s['maxLength']}")
        if isinstance(v, dict):
            for r in s.get("required", []):
                if r not in v:
                    errs.append(f"{path}: missing required '{r}'")
            props = s.get("properties", {})
            for k, sub in props.items():
                if k in v:
                    errs += self.check(sub, v[k], f"{path}.{k}")
            if s.get("additionalProperties") is False:
                known = set(props) | (allowed or set())
                errs += [f"{path}: unknown property '{k}'" for k in v if k not in known]
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                errs.append(f"{path}: fewer than {s['minItems']} items")
            if "items" in s:
                for i, item in enumerate(v):
                    errs += self.check(s["items"], item, f"{path}[{i}]")
        return errs


def hand_rules(body):
    """The rules of this double, written out: a list of problems."""
    errs = []
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    for k in BASE_REQUIRED:
        if k not in body:
            errs.append(f"missing '{k}'")
    if body.get("messaging_product") != "whatsapp":
        errs.append("messaging_product must be 'whatsapp'")
    if "recipient_type" in body and body["recipient_type"] not in RECIPIENT_TYPES:
        errs.append("bad recipient_type")
    to = body.get("to")
    if not isinstance(to, str) or not re.fullmatch(r"\+?[0-9]{6,15}", to):
        errs.append(f"'to' is not a phone number: {to!r}")
    t = body.get("type")
    if t not in MESSAGE_TYPES:
        errs.append(f"bad type {t!r}")
    allowed = set(BASE_REQUIRED) | {"context", t}
    errs += [f"unknown field '{k}'" for k in body if k not in allowed]
    if t == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str):
            errs.append("text.body missing")
        else:
            errs += [f"unknown field 'text.{k}'" for k in text if k not in TEXT_KEYS]
            if len(text["body"]) > TEXT_MAX:
                errs.append("text.body longer than 4096")
            if "preview_url" in text and not isinstance(text["preview_url"], bool):
                errs.append("text.preview_url must be a boolean")
    if t == "template":
        tpl = body.get("template")
        if not isinstance(tpl, dict):
            return errs + ["template missing"]
        for k in TEMPLATE_REQUIRED:
            if k not in tpl:
                errs.append(f"template.{k} missing")
        errs += [f"unknown field 'template.{k}'" for k in tpl if k not in ("name", "language", "components")]
        lang = tpl.get("language")
        if not isinstance(lang, dict) or any(k not in lang for k in LANGUAGE_REQUIRED):
            errs.append("template.language needs code and policy")
        elif lang["policy"] not in LANGUAGE_POLICIES or not isinstance(lang["code"], str):
            errs.append("bad template.language")
        comps = tpl.get("components", [])
        if not isinstance(comps, list) or (not comps and "components" in tpl):
            errs.append("template.components must be a non-empty list when present")
            comps = []
        for i, c in enumerate(comps):
            if not isinstance(c, dict) or c.get("type") not in COMPONENT_TYPES:
                errs.append(f"components[{i}].type")
                continue
            if c["type"] == "button" and not ("sub_type" in c and "index" in c):
                errs.append(f"components[{i}]: a button needs sub_type and index")
            for j, p in enumerate(c.get("parameters", [])):
                if not isinstance(p, dict) or "type" not in p:
                    errs.append(f"components[{i}].parameters[{j}] needs a type")
                elif p["type"] == "text" and not isinstance(p.get("text"), str):
                    errs.append(f"components[{i}].parameters[{j}].text must be a string")
    return errs


def graph_error(code, message, http=400, transient=None, details=None, subcode=None,
                etype="OAuthException", headers=None):
    """A documented GraphAPIError answer: (status, body, headers)."""
    err = {"message": message, "type": etype, "code": code}
    if details is not None:
        err["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        err["error_subcode"] = subcode
    err["fbtrace_id"] = "AXsgnV2Cm3ZMGF3dF_cfYIn"
    if transient is not None:
        err["is_transient"] = transient
    return (http, {"error": err}, headers or {})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server_version = "MockGraph/1.0"

    def log_message(self, fmt, *args):
        pass

    def _reply(self, status, payload, headers=None):
        data = json.dumps(payload).encode() if isinstance(payload, (dict, list)) else \
            (payload.encode() if isinstance(payload, str) else payload)
        self.send_response(int(status))
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        g = self.server.graph
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        rec = {"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
               "raw": raw, "json": None, "at": time.monotonic()}
        answer = g._answer(rec, self.headers)
        g._record(rec)
        if answer[0] == "close":
            self.close_connection = True
            return
        self._reply(*answer)

    def do_GET(self):
        self._reply(*graph_error(100, "Unsupported get request.", subcode=33, etype="GraphMethodException"))


class MockGraph:
    def __init__(self, token="EAAGm0PX4ZCpsBAMockToken", phone_number_id="106540352242922",
                 version="v23.0"):
        self.token = token
        self.phone_number_id = phone_number_id
        self.version = version
        self._lock = threading.Lock()
        self._requests = []
        self._scripts = defaultdict(deque)
        self._ids = itertools.count(1)
        self.violations = []
        spec = load_spec()
        self.checker = SchemaChecker(spec) if spec else None
        self.spec_checked = self.checker is not None
        self._server = None

    # ---- life cycle ----

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.graph = self
        self.port = self._server.server_address[1]
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

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # ---- the send endpoint ----

    error = staticmethod(graph_error)

    def script(self, to_digits, answers):
        with self._lock:
            self._scripts[to_digits].extend(answers)

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def wait_requests(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = self.requests
            if len(reqs) >= n:
                return reqs
            time.sleep(0.02)
        raise AssertionError(f"Graph mock got {len(self.requests)} requests, wanted {n}")

    def _record(self, rec):
        with self._lock:
            self._requests.append(rec)

    def check_body(self, body):
        """Problems with a request body: the hand rules, then the spec's schema."""
        errs = hand_rules(body)
        if self.checker is not None and isinstance(body, dict):
            errs += ["spec: " + e for e in self.checker.check(self.checker.schema("Message"), body)]
        return errs

    def _answer(self, rec, headers):
        path = urllib.parse.urlsplit(rec["path"]).path
        want = f"/{self.version}/{self.phone_number_id}/messages"
        if path != want:
            rec["problem"] = f"path {path} is not {want}"
            self.violations.append(rec["problem"])
            return graph_error(100, f"Unsupported post request. Object with ID '{path}' does not"
                               " exist, cannot be loaded due to missing permissions, or does not"
                               " support this operation.", subcode=33, etype="GraphMethodException")
        auth = headers.get("Authorization")
        if auth is None:
            self.violations.append("no Authorization header")
            return graph_error(104, "An access token is required to request this resource.",
                               http=401)
        if auth != f"Bearer {self.token}":
            self.violations.append("wrong bearer token")
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token",
                               http=401)
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body = json.loads(rec["raw"])
        except ValueError:
            body = None
        rec["json"] = body
        errs = ([] if ctype == "application/json" else [f"Content-Type {ctype!r}"]) + \
            self.check_body(body)
        if errs:
            rec["problem"] = "; ".join(errs)
            self.violations.extend(errs)
            return graph_error(100, "(#100) Invalid parameter", details=errs[0])
        with self._lock:
            q = self._scripts.get(body["to"].lstrip("+"))
            scripted = q.popleft() if q else None
        if scripted is not None:
            rec["answer"] = scripted[0]
            return scripted
        wamid = f"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI{next(self._ids):06d}"
        rec["answer"] = 200
        rec["wamid"] = wamid
        return (200, {"messaging_product": "whatsapp",
                      "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
                      "messages": [{"id": wamid, "message_status": "accepted"}]}, {})

    # ---- webhooks to the daemon ----

    @staticmethod
    def sign(raw, secret):
        return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()

    @staticmethod
    def status(wamid, status, recipient, ts=None, errors=None):
        item = {"id": wamid, "status": status, "timestamp": str(int(ts or time.time())),
                "recipient_id": recipient}
        if status in ("sent", "delivered", "read"):
            item["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "utility"}}
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
        if errors is not None:
            item["errors"] = errors
        return item

    @staticmethod
    def status_error(code, title, details=None):
        e = {"code": code, "title": title, "message": title,
             "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}
        if details is not None:
            e["error_data"] = {"details": details}
        return e

    def envelope(self, value_fields, phone_number_id=None):
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": DISPLAY_NUMBER,
                              "phone_number_id": phone_number_id or self.phone_number_id}}
        value.update(value_fields)
        return {"object": "whatsapp_business_account",
                "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}

    def check_payload(self, payload):
        """A status payload against the spec (inbound message payloads are not:
        the spec maps their `text` type onto the outbound TextMessage schema)."""
        if self.checker is None:
            return []
        errs = []
        for i, entry in enumerate(payload.get("entry", [])):
            for j, ch in enumerate(entry.get("changes", [])):
                if "statuses" in ch.get("value", {}):
                    errs += self.checker.check(self.checker.schema("StatusMessageValue"),
                                               ch["value"], f"entry[{i}].changes[{j}].value")
        return errs

    @staticmethod
    def post_raw(url, raw, signature=None, content_type="application/json", timeout=5.0):
        headers = {"Content-Type": content_type}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        req = urllib.request.Request(url, data=raw, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def post_payload(self, url, secret, payload):
        errs = self.check_payload(payload)
        assert not errs, f"the test's own payload breaks the spec: {errs}"
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return self.post_raw(url, raw, self.sign(raw, secret))

    def post_statuses(self, url, secret, statuses, phone_number_id=None):
        return self.post_payload(url, secret, self.envelope({"statuses": statuses}, phone_number_id))

    @staticmethod
    def subscribe(url, mode="subscribe", token=None, challenge="1158201444", timeout=5.0):
        q = {"hub.mode": mode, "hub.challenge": challenge}
        if token is not None:
            q["hub.verify_token"] = token
        try:
            with urllib.request.urlopen(url + "?" + urllib.parse.urlencode(q), timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()
