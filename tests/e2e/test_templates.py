"""Stored templates (PUT/GET/DELETE /v1/templates, `switchboardctl template`):
versions (a message records the version it used and keeps rendering it
after an edit), per-channel variants sent through a LINE -> LINE PNP -> SMS
chain against the providers' test doubles, a missing variable refused
before anything is queued, and each bad input's error."""
from conftest import wait_for
from test_chain_line_twilio import (NUM_PUSH, NUM_SMS, chain_daemon, providers,  # noqa: F401
                                    steps)
from test_http_api import ACME_KEY, OTHER_KEY, call, two_subaccounts

OTP_V1 = {"line_push": "LINE: your code is {{code}}", "sms": "SMS: {{code}} is your code"}


def message_count(d):
    return len(d.ok("message.list")["messages"])


def test_versions_and_per_channel_texts_through_a_chain(make_daemon, tmp_path, providers):  # noqa: F811
    line, tw = providers
    d = chain_daemon(make_daemon, tmp_path, line, tw)
    r = d.ok("template.set", dict(name="otp", **OTP_V1))
    assert (r["version"], r["changed"]) == (1, True)
    # The same content again is not a new version.
    assert d.ok("template.set", dict(name="otp", **OTP_V1)) == {
        "name": "otp", "version": 1, "changed": False}

    # The chain's LINE PNP step has no variant and there is no default text:
    # refused before anything is stored, naming what to add.
    r = d.request("message.send", {"to": NUM_PUSH, "template": "otp", "vars": {"code": "1"}})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
    assert r["error"]["message"] == ("template 'otp' has no variant for line_notify channels"
                                     " (add 'line_notify' or 'text')")
    assert message_count(d) == 0

    v2 = dict(OTP_V1, text="Your code: {{code}}")
    assert d.ok("template.set", dict(name="otp", **v2))["version"] == 2

    # A missing variable: a clear error, nothing queued.
    r = d.request("message.send", {"to": NUM_PUSH, "template": "otp", "vars": {"cod": "1"}})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
    assert r["error"]["message"] == "template 'otp' needs the variable 'code' (a string or number)"
    assert message_count(d) == 0

    # On LINE: the line_push variant, version 2 recorded.
    m1 = d.send(to=NUM_PUSH, text=None, template="otp", vars={"code": "1111"})
    m = d.wait_status(m1, "delivered")
    assert m["template"] == "otp" and m["template_version"] == 2
    assert line.requests[-1]["json"]["messages"] == [
        {"type": "text", "text": "LINE: your code is 1111"}]

    # Not on LINE: push and PNP cannot reach it, SMS gets its own variant.
    m2 = d.send(to=NUM_SMS, text=None, template="otp", vars={"code": 2222})
    wait_for(lambda: len(tw.requests) == 1, what="the SMS request")
    assert tw.requests[-1]["form"]["Body"] == "SMS: 2222 is your code"
    # PNP got the default text, as a notification message.
    assert line.requests[-1]["path"] == "/bot/pnp/push"
    assert line.requests[-1]["json"]["messages"] == [{"type": "text", "text": "Your code: 2222"}]

    # Edit the template: messages already stored keep their version; an
    # explicit version renders that one.
    v3 = dict(v2, line_push="LINE v3: {{code}}")
    assert d.ok("template.set", dict(name="otp", **v3))["version"] == 3
    m3 = d.send(to=NUM_PUSH, text=None, template="otp", vars={"code": "3333"},
                template_version=2)
    d.wait_status(m3, "delivered")
    assert line.requests[-1]["json"]["messages"][0]["text"] == "LINE: your code is 3333"
    m4 = d.send(to=NUM_PUSH, text=None, template="otp", vars={"code": "4444"})
    d.wait_status(m4, "delivered")
    assert line.requests[-1]["json"]["messages"][0]["text"] == "LINE v3: 4444"
    assert [d.status(i)["template_version"] for i in (m1, m2, m3, m4)] == [2, 2, 2, 3]

    # A resend renders the version its original used, not the latest.
    r = d.ok("message.resend", {"id": m1})
    d.wait_status(r["id"], "delivered")
    assert line.requests[-1]["json"]["messages"][0]["text"] == "LINE: your code is 1111"
    assert d.status(r["id"])["template_version"] == 2

    # The preview shows the text as the delivering channel got it.
    p = d.ok("message.preview", {"id": m1})
    assert p["text"] == "LINE: your code is 1111" and p["channel_type"] == "line_push"
    assert p["template"]["name"] == "otp" and p["template"]["version"] == 2

    # Versions stay readable; the command-line client shows them.
    shown = d.ok("template.show", {"name": "otp", "version": 1})
    assert shown["variants"] == OTP_V1 and shown["versions"] == 3
    assert shown["variables"] == ["code"]
    out = d.ctl("template", "show", "otp").stdout
    assert "LINE v3: {{code}}" in out
    r = d.request("template.show", {"name": "otp", "version": 9})
    assert not r["ok"] and r["error"]["message"] == "template 'otp' has no version 9"
    r = d.request("message.send", {"to": NUM_PUSH, "template": "otp", "template_version": 9,
                                   "vars": {"code": "1"}})
    assert not r["ok"] and r["error"]["code"] == "not_found"


def test_whatsapp_variant_params_in_order_and_ctl_errors(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver"}})
    r = d.ctl("template", "set", "welcome", "--wa-name", "welcome_v1", "--wa-language",
              "pt_BR", "--wa-params", "name,day", "--text", "Hi {{name}}, see you {{day}}")
    assert '"version": 1' in r.stdout or "version" in r.stdout
    shown = d.ok("template.show", {"name": "welcome"})
    assert shown["variants"]["whatsapp"] == {"name": "welcome_v1", "language": "pt_BR",
                                             "params": ["name", "day"]}
    assert shown["variables"] == ["name", "day"]
    # The SMS-type test channel gets the default text.
    mid = d.send(text=None, template="welcome", vars={"name": "Ana", "day": "Monday"})
    d.wait_status(mid, "delivered")
    assert d.ok("message.preview", {"id": mid})["text"] == "Hi Ana, see you Monday"
    for args, words in [
        ({"name": "x"}, "a template needs at least one variant"),
        ({"name": "x y", "text": "a"}, "a template name has only letters, digits"),
        ({"name": "x", "wa_name": "w"}, "'whatsapp' needs 'name'"),
        ({"name": "x", "wa_name": "w", "wa_language": "en", "wa_params": "a,b c"},
         "'whatsapp.params[1]' must be a variable name"),
    ]:
        r = d.request("template.set", args)
        assert not r["ok"] and r["error"]["code"] == "bad_argument", (args, r)
        assert words in r["error"]["message"], (args, r)
    r = d.request("template.delete", {"name": "nothing"})
    assert not r["ok"] and r["error"]["code"] == "not_found"
    assert d.ok("template.delete", {"name": "welcome"}) == {"name": "welcome", "deleted": True}
    r = d.request("message.send", {"to": "+5511999990001", "template": "welcome",
                                   "vars": {"name": "A", "day": "B"}})
    assert not r["ok"] and r["error"]["message"] == "template 'welcome' was deleted"
    # The message sent with it still previews its text.
    assert d.ok("message.preview", {"id": mid})["text"] == "Hi Ana, see you Monday"
    assert d.ok("template.list") == {"templates": []}


def test_templates_over_http(make_daemon):
    d = make_daemon(**two_subaccounts())
    spec = {"text": "Hello {{name}}", "sms": "Hi {{name}}, code {{code}}"}
    code, res, _ = call(d, "PUT", "/v1/templates/hello", spec)
    assert code == 200 and res == {"name": "hello", "version": 1, "changed": True}, res
    code, res, _ = call(d, "PUT", "/v1/templates/hello", spec)
    assert code == 200 and res["changed"] is False and res["version"] == 1
    code, res, _ = call(d, "GET", "/v1/templates")
    assert code == 200 and [t["name"] for t in res["templates"]] == ["hello"]
    t = res["templates"][0]
    assert t["variables"] == ["name", "code"] and sorted(t["variants"]) == ["sms", "text"]
    assert t["created_by"].startswith("key:")
    # Another subaccount sees none of it.
    code, res, _ = call(d, "GET", "/v1/templates", key=OTHER_KEY)
    assert code == 200 and res == {"templates": []}
    code, res, _ = call(d, "GET", "/v1/templates/hello", key=OTHER_KEY)
    assert code == 404 and res["error"]["code"] == "not_found"

    # Sending by name: a missing variable is a 400 and nothing is queued.
    code, res, _ = call(d, "POST", "/v1/messages", {
        "to": ["+5511999990001", "+5511999990002"], "template": {"name": "hello",
                                                                 "variables": {"name": "Ana"}}})
    assert code == 400 and res["error"]["message"] == \
        "template 'hello' needs the variable 'code' (a string or number)"
    code, res, _ = call(d, "GET", "/v1/messages")
    assert res["messages"] == []
    code, res, _ = call(d, "POST", "/v1/messages", {
        "to": ["+5511999990001", "+5511999990002"],
        "template": {"name": "hello", "variables": {"name": "Ana", "code": 12}}})
    assert code == 202, res
    ids = [m["id"] for m in res["messages"]]
    for mid in ids:
        d.wait_status(mid, "delivered")
        assert d.status(mid)["template_version"] == 1
    code, res, _ = call(d, "GET", "/v1/messages/%d/preview" % ids[0])
    assert res["text"] == "Hi Ana, code 12" and res["template"]["version"] == 1
    code, res, _ = call(d, "GET", "/v1/search?template=hello")
    assert code == 200 and res["total"] == 2
    code, res, _ = call(d, "GET", "/v1/stats?by=template")
    assert [(r["template"], r["triggers"]) for r in res["rows"]] == [("hello", 2)]

    code, res, _ = call(d, "PUT", "/v1/templates/hello", {"sms": "Bye {{name}}"})
    assert code == 200 and res["version"] == 2
    code, res, _ = call(d, "GET", "/v1/templates/hello?version=1")
    assert code == 200 and res["variants"] == spec and res["versions"] == 2
    code, res, _ = call(d, "GET", "/v1/templates/hello")
    assert res["version"] == 2 and res["variants"] == {"sms": "Bye {{name}}"}

    for method, path, body, status, words in [
        ("PUT", "/v1/templates/hello", {"txt": "a"}, 400, "unknown key 'txt'"),
        ("PUT", "/v1/templates/hello", [], 400, "the body is not a JSON object"),
        ("PUT", "/v1/templates/hello", {"sms": ""}, 400, "'sms' must be a text of 1 to"),
        ("PUT", "/v1/templates/a%20b", {"sms": "a"}, 400, "a template name has only"),
        ("PUT", "/v1/templates/" + "n" * 65, {"sms": "a"}, 400, "a template name is 1 to 64"),
        ("PUT", "/v1/templates/" + "n" * 900, {"sms": "a"}, 400, "a template name is 1 to 64"),
        ("PUT", "/v1/templates/", {"sms": "a"}, 400, "a template name is 1 to 64"),
        ("GET", "/v1/templates/hello?version=0", None, 400, "'version' must be an integer"),
        ("GET", "/v1/templates/hello?version=7", None, 404, "template 'hello' has no version 7"),
        ("POST", "/v1/templates/hello", {"sms": "a"}, 400, "use GET, PUT or DELETE"),
        ("DELETE", "/v1/templates", None, 400, "use GET on /v1/templates"),
        ("DELETE", "/v1/templates/nope", None, 404, "no template 'nope' in subaccount 'acme'"),
    ]:
        code, res, _ = call(d, method, path, body)
        assert code == status and words in res["error"]["message"], (method, path, code, res)
    code, res, _ = call(d, "PUT", "/v1/templates/hello", {"sms": "x"}, key=None)
    assert code == 401

    code, res, _ = call(d, "DELETE", "/v1/templates/hello")
    assert code == 200 and res == {"name": "hello", "deleted": True}
    code, res, _ = call(d, "GET", "/v1/templates/hello")
    assert code == 404
    code, res, _ = call(d, "POST", "/v1/messages", {
        "to": "+5511999990001", "template": {"name": "hello", "variables": {"name": "A"}}})
    assert code == 404 and res["error"]["message"] == "template 'hello' was deleted"
    # Saved again, it continues the numbering.
    code, res, _ = call(d, "PUT", "/v1/templates/hello", {"sms": "Back {{name}}"})
    assert code == 200 and res["version"] == 3
