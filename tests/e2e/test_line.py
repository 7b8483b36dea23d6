"""The LINE channels end to end: a real daemon with the line_push and
line_notify plugins against a mock LINE API (mock_line.py) on 127.0.0.1
that checks every request against the spec and answers as LINE documents.
"""
import json
import os
import subprocess

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for
from mock_line import UUID_RE, MockLine, phone_hash, sign

TOKEN = "line-channel-access-token-123"
SECRET = "line-channel-secret-456"
USER_A = "U" + "1" * 32
USER_B = "U" + "2" * 32
NUM_A = "+5511999990001"
NUM_B = "+5511999990002"
NUM_NONE = "+5511999990099"


@pytest.fixture
def line():
    m = MockLine(TOKEN, on_line=[NUM_A, NUM_B]).start()
    yield m
    m.stop()
    assert m.violations == [], m.violations


def secrets(tmp_path):
    tok, sec = tmp_path / "line.token", tmp_path / "line.secret"
    tok.write_text(TOKEN + "\n")
    sec.write_text(SECRET + "\n")
    return {"file": str(tok)}, {"file": str(sec)}


def push_cfg(tmp_path, line, **kw):
    tok, _ = secrets(tmp_path)
    cfg = {"module": "line_push", "base_url": line.url, "channel_access_token": tok,
           "users": {NUM_A: USER_A}}
    cfg.update(kw)
    return cfg


def notify_cfg(tmp_path, line, **kw):
    tok, sec = secrets(tmp_path)
    cfg = {"module": "line_notify", "base_url": line.url, "channel_access_token": tok,
           "channel_secret": sec}
    cfg.update(kw)
    return cfg


FAKE = {"module": "test", "behaviour": "deliver", "receipt_after": "20ms"}


def hook(d, name):
    return d.http + "/hooks/" + name


def history(m):
    return [h["status"] for h in m["history"]]


# ---- line_push ----

def test_push_matched_user_is_delivered_with_exact_request(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line)},
                    chains={"default": [{"channel": "push"}]})
    mid = d.send(to=NUM_A, text="your code is 1234 — ok")
    m = d.wait_status(mid, "delivered")
    (req,) = line.requests
    assert req["method"] == "POST" and req["path"] == "/v2/bot/message/push"
    assert req["headers"]["Authorization"] == "Bearer " + TOKEN
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["json"] == {"to": USER_A, "messages": [{"type": "text",
                                                        "text": "your code is 1234 — ok"}]}
    key = req["headers"]["X-Line-Retry-Key"]
    assert UUID_RE.match(key), key
    assert "X-Line-Delivery-Tag" not in req["headers"]
    (att,) = m["attempts"]
    assert att["channel"] == "push" and att["status"] == "delivered" and att["tries"] == 1
    assert att["provider_id"] == str(461230966842064897)
    # No receipts on push: accepted is delivered, without an `accepted` step.
    assert history(m) == ["queued", "sending", "delivered"]
    assert TOKEN not in d.log()


def test_push_reads_the_contacts_and_its_table_is_an_import(make_daemon, tmp_path, line):
    """The users table becomes contacts' identities; a number linked to a
    LINE user later (by API or ctl) is pushed to without a table entry; a
    LINE user who wrote first, then linked to a number, is one contact."""
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line),
                             "notify": notify_cfg(tmp_path, line)},
                    chains={"default": [{"channel": "push"}]})
    mid = d.send(to=NUM_A, text="from the table")
    d.wait_status(mid, "delivered")
    contact = d.status(mid)
    [item] = d.ok("folder.list", {"folder": "sent"})["items"]
    ids = d.ok("contact.show", {"id": item["contact"]})["identities"]
    assert ids == [{"kind": "line", "value": USER_A}, {"kind": "phone", "value": NUM_A}], ids
    # NUM_B is in no table: undeliverable, until its contact gets a LINE id.
    mid = d.send(to=NUM_B, text="not yet")
    assert d.wait_status(mid, "undeliverable")["attempts"][0]["error_code"] == "no_line_user"
    # USER_B wrote to the account first: a contact of its own.
    body = MockLine.delivery_body(extra_events=[
        MockLine.message_event(USER_B, "468789577898262999", "oi")])
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    [inb] = d.ok("folder.list", {"folder": "inbox"})["items"]
    sent_b = d.ok("folder.list", {"folder": "failed"})["items"][0]
    assert inb["contact"] != sent_b["contact"]
    # Linking merges them: one contact, with the message and the reply.
    r = d.ctl("--json", "contact", "link", str(sent_b["contact"]), "--kind", "line",
              "--value", USER_B)
    assert '"' + USER_B + '"' in r.stdout
    c = d.ok("contact.show", {"id": sent_b["contact"]})
    assert {i["kind"] for i in c["identities"]} == {"phone", "line"}
    assert d.ok("folder.list", {"folder": "inbox"})["items"][0]["contact"] == sent_b["contact"]
    r = d.request("contact.show", {"id": inb["contact"]})
    assert not r["ok"] and r["error"]["code"] == "not_found"
    mid = d.send(to=NUM_B, text="now via the contact")
    d.wait_status(mid, "delivered")
    assert line.requests[-1]["json"]["to"] == USER_B
    # Bad identities are refused in our words.
    for kind, value, words in [("line", "U123", "a LINE id is U, C or R and 32"),
                               ("fax", "1", "unknown identity kind 'fax'"),
                               ("phone", "call me", "invalid phone number")]:
        r = d.request("contact.link", {"id": sent_b["contact"], "kind": kind, "value": value})
        assert not r["ok"] and words in r["error"]["message"], (kind, r)
    assert contact["status"] == "delivered"


def test_push_unmapped_number_is_undeliverable_without_request(make_daemon, tmp_path, line):
    users = tmp_path / "users.txt"
    users.write_text(f"# number  LINE user id\n\n{NUM_B}   {USER_B}\n  +55 11 99999-0003 {USER_A}\n")
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line, users_file=str(users)),
                             "sms": FAKE},
                    chains={"default": [{"channel": "push"}, {"channel": "sms"}],
                            "only": [{"channel": "push"}]})
    mid = d.send(to=NUM_NONE, chain="only")
    m = d.wait_status(mid, "undeliverable")
    assert m["attempts"][0]["error_code"] == "no_line_user"
    assert "no LINE user is mapped" in m["reason"]
    # The chain moves on at once to the next step.
    mid2 = d.send(to=NUM_NONE)
    m2 = d.wait_status(mid2, "delivered")
    assert [(a["channel"], a["status"]) for a in m2["attempts"]] == [
        ("push", "undeliverable"), ("sms", "delivered")]
    assert line.requests == []
    # Both the users: map and the users_file are in the table.
    for num, user in [(NUM_A, USER_A), (NUM_B, USER_B), ("+5511999990003", USER_A)]:
        d.wait_status(d.send(to=num, chain="only"), "delivered")
        assert line.requests[-1]["json"]["to"] == user


def test_push_retry_after_500_uses_the_same_retry_key(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line)},
                    chains={"default": [{"channel": "push"}]})
    line.script([(500, {"message": "An error occurred in the internal server"})])
    mid = d.send(to=NUM_A)
    m = d.wait_status(mid, "delivered")
    first, second = line.requests
    assert first["answer"] == 500 and second["answer"] == 200
    assert first["headers"]["X-Line-Retry-Key"] == second["headers"]["X-Line-Retry-Key"]
    assert first["json"] == second["json"]
    assert m["attempts"][0]["tries"] == 2 and len(line.sent) == 1
    assert "queued" in history(m)[2:]  # retried after the 500


def test_push_409_after_a_timeout_is_delivered_not_duplicated(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line, timeout="300ms")},
                    chains={"default": [{"channel": "push"}]})
    # LINE takes the request but the answer never arrives in time.
    line.script([("accept_hang", 1.5)])
    mid = d.send(to=NUM_A, text="once only")
    m = d.wait_status(mid, "delivered")
    first, second = line.requests
    assert second["answer"] == 409
    assert first["headers"]["X-Line-Retry-Key"] == second["headers"]["X-Line-Retry-Key"]
    assert len(line.sent) == 1 and line.sent[0]["text"] == "once only"
    att = m["attempts"][0]
    assert att["status"] == "delivered" and att["tries"] == 2
    assert att["provider_id"] == "461230966842064897"  # from the 409's sentMessages
    assert "not sent again" in d.log()

    # A 409 without sentMessages: the id is the first request's, from the header.
    line.conflict_sent_messages = False
    line.script([("accept_hang", 1.5)])
    mid = d.send(to=NUM_A, text="once more")
    m = d.wait_status(mid, "delivered")
    assert line.requests[-1]["answer"] == 409 and len(line.sent) == 2
    assert UUID_RE.match(m["attempts"][0]["provider_id"])  # x-line-accepted-request-id


def test_push_kill9_while_sending_resends_same_key_once(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line)},
                    chains={"default": [{"channel": "push"}]})
    line.script([("accept_hang", 30)])
    mid = d.send(to=NUM_A, text="crash test")
    line.wait_requests(1)
    assert d.status(mid)["status"] == "sending"
    d.kill9()
    d.start()
    m = d.wait_status(mid, "delivered")
    first, second = line.requests
    assert first["headers"]["X-Line-Retry-Key"] == second["headers"]["X-Line-Retry-Key"]
    assert second["answer"] == 409 and len(line.sent) == 1
    assert m["attempts"][0]["provider_id"] == "461230966842064897"


def test_push_error_answers_map_to_statuses(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line, timeout="500ms"), "sms": FAKE},
                    chains={"default": [{"channel": "push"}, {"channel": "sms"}],
                            "only": [{"channel": "push"}]})
    cases = [
        (400, {"message": "The request body has 1 error(s)",
               "details": [{"message": "May not be empty", "property": "messages[0].text"}]},
         "failed", "The request body has 1 error(s) (messages[0].text: May not be empty)"),
        (401, {"message": "Authentication failed. Confirm that the access token in the"
                          " authorization header is valid."}, "failed", "Authentication failed"),
        (403, {"message": "Access to this API is not available for your account"}, "failed",
         "not available"),
        (429, {"message": "You have reached your monthly limit."}, "undeliverable",
         "monthly limit"),
    ]
    for status, body, want, text in cases:
        line.script([(status, body)])
        m = d.wait_status(d.send(to=NUM_A, chain="only"), want)
        att = m["attempts"][0]
        assert att["error_code"] == str(status) and text in att["error"], att
        assert att["tries"] == 1, att  # never retried
    # A rate limit is temporary: retried with the same key, then delivered.
    line.script([(429, {"message": "The API rate limit has been exceeded. Try again later."},
                  {"Retry-After": "0"})])
    m = d.wait_status(d.send(to=NUM_A, chain="only"), "delivered")
    assert m["attempts"][0]["tries"] == 2
    # Quota used up: the chain moves on to SMS at once.
    line.script([(429, {"message": "You have reached your monthly limit."})])
    m = d.wait_status(d.send(to=NUM_A), "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("push", "undeliverable"), ("sms", "delivered")]
    # No answer in time: temporary, then delivered (same key: LINE would say 409 had it gone).
    line.script([("hang", 1.0)])
    m = d.wait_status(d.send(to=NUM_A, chain="only"), "delivered")
    assert m["attempts"][0]["tries"] == 2


def test_push_has_no_webhook(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line)},
                    chains={"default": [{"channel": "push"}]})
    body = MockLine.delivery_body("x" * 36)
    assert MockLine.post_webhook(hook(d, "push"), body, sign(SECRET, body))[0] == 404


# ---- line_notify ----

def notify_daemon(make_daemon, tmp_path, line, chain=None, **kw):
    return make_daemon(plugins={"notify": notify_cfg(tmp_path, line, **kw), "sms": FAKE},
                       chains=chain or {"default": [{"channel": "notify"}]})


def test_notify_accepted_then_signed_webhook_delivers(make_daemon, tmp_path, line):
    d = notify_daemon(make_daemon, tmp_path, line)
    mid = d.send(to=NUM_A, text="notice")
    m = d.wait_status(mid, "accepted")
    (req,) = line.requests
    assert req["path"] == "/bot/pnp/push"
    assert req["headers"]["Authorization"] == "Bearer " + TOKEN
    assert req["json"] == {"to": phone_hash(NUM_A), "messages": [{"type": "text", "text": "notice"}]}
    assert req["json"]["to"] == "ee9351a9a83f5e929121d6dc13f4fa05aa0fa6ce321e64f0eb6519c78224abed"
    assert "X-Line-Retry-Key" not in req["headers"]
    tag = req["headers"]["X-Line-Delivery-Tag"]
    assert 16 <= len(tag) <= 100 and UUID_RE.match(tag)
    assert m["attempts"][0]["provider_id"] == tag
    assert line.sent[0]["tag"] == tag

    assert line.delivery_event(hook(d, "notify"), SECRET, tag) == (200, "OK")
    m = d.wait_status(mid, "delivered")
    assert m["attempts"][0]["status"] == "delivered"
    assert history(m) == ["queued", "sending", "accepted", "delivered"]

    # The same event again, and as a redelivery: nothing changes.
    assert line.delivery_event(hook(d, "notify"), SECRET, tag) == (200, "OK")
    assert line.delivery_event(hook(d, "notify"), SECRET, tag, redelivery=True) == (200, "OK")
    assert history(d.status(mid)) == history(m)
    assert SECRET not in d.log() and TOKEN not in d.log()


def test_notify_webhook_files_user_messages_once(make_daemon, tmp_path, line):
    d = notify_daemon(make_daemon, tmp_path, line)
    events = [MockLine.message_event(USER_A, "468789577898262530", "Obrigado!"),
              MockLine.message_event(USER_A, "468789577898262531", mtype="sticker")]
    body = MockLine.delivery_body(extra_events=events)
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    # LINE redelivers: each message is filed once.
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    # A forged one is refused and files nothing.
    forged = MockLine.delivery_body(extra_events=[
        MockLine.message_event(USER_A, "468789577898262539", "forged")])
    assert MockLine.post_webhook(hook(d, "notify"), forged, sign("wrong-secret", forged))[0] == 403
    items = d.ok("folder.list", {"folder": "inbox"})["items"]
    assert [(i["from"], i["text"], i["channel_type"]) for i in items] == [
        (USER_A, "[sticker]", "line_notify"), (USER_A, "Obrigado!", "line_notify")]
    assert items[0]["time"] == "2025-12-05T07:45:00.000Z"
    c = d.ok("contact.show", {"id": items[0]["contact"]})
    assert c["identities"] == [{"kind": "line", "value": USER_A}]


def test_notify_webhook_with_bad_signature_is_rejected(make_daemon, tmp_path, line):
    d = notify_daemon(make_daemon, tmp_path, line)
    mid = d.send(to=NUM_A)
    tag = d.wait_status(mid, "accepted")["attempts"][0]["provider_id"]
    body = MockLine.delivery_body(tag)
    other = MockLine.delivery_body("someone-elses-tag-000")
    for sig in [None, "", sign("wrong-secret", body), sign(SECRET, other),
                sign(SECRET, body)[:-2], sign(SECRET, body).lower(), "x" * 44]:
        assert MockLine.post_webhook(hook(d, "notify"), body, sig)[0] == 403, sig
    # Signed over the body before it was re-serialised: the raw bytes count.
    reformatted = json.dumps(json.loads(body), indent=1).encode()
    assert MockLine.post_webhook(hook(d, "notify"), reformatted, sign(SECRET, body))[0] == 403
    m = d.status(mid)
    assert m["status"] == "accepted" and m["attempts"][0]["status"] == "accepted"
    assert d.log().count("webhook rejected with 403") == 8
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    d.wait_status(mid, "delivered")


def test_notify_malformed_webhooks_get_400_and_daemon_lives(make_daemon, tmp_path, line):
    d = notify_daemon(make_daemon, tmp_path, line)
    mid = d.send(to=NUM_A)
    tag = d.wait_status(mid, "accepted")["attempts"][0]["provider_id"]
    bad = [b"", b"not json", b"[1,2]", b'{"events":{}}', b'{"destination":"U0"}',
           b'{"events":[42]}', b'{"events":[{"type":"delivery","timestamp":1}]}',
           b'{"events":[{"type":"delivery","delivery":{"data":""},"timestamp":1}]}',
           ('{"events":[{"type":"delivery","delivery":{"data":"%s"},"timestamp":"x"}]}'
            % tag).encode(),
           b'{"events":[' + b'{"type":"delivery","delivery":{"data":"a"},"timestamp":1},' * 2
           + b'{"type":"delivery"}]}',
           b"\xff\xfe{}", b'{"events":[' * 5000]
    for body in bad:
        st, text = MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body))
        assert st == 400 and text == "malformed webhook body", (body[:60], st, text)
        assert d.ok("ping")["pong"]
    # A malformed body names nothing: the valid-looking event in it counted for nothing.
    body = ('{"events":[{"type":"delivery","delivery":{"data":"%s"},"timestamp":1},'
            '{"type":"delivery","delivery":{}}]}' % tag).encode()
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body))[0] == 400
    assert d.status(mid)["status"] == "accepted"
    assert MockLine.post_webhook(hook(d, "notify"), b"{}", None, method="GET")[0] == 405
    # LINE's connection check (no events), other event types, a tag of nobody: 200.
    body = b'{"destination":"U' + b"b" * 32 + b'","events":[]}'
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    body = MockLine.delivery_body(phone_hash(NUM_B), extra_events=[
        {"type": "message", "message": {"type": "text", "id": "1", "text": "hi"}}])
    assert MockLine.post_webhook(hook(d, "notify"), body, sign(SECRET, body)) == (200, "OK")
    assert "unknown provider id" in d.log()
    assert d.status(mid)["status"] == "accepted"
    assert line.delivery_event(hook(d, "notify"), SECRET, tag) == (200, "OK")
    d.wait_status(mid, "delivered")


def test_notify_422_is_undeliverable_and_chain_moves_on(make_daemon, tmp_path, line):
    d = notify_daemon(make_daemon, tmp_path, line,
                      chain={"default": [{"channel": "notify"}, {"channel": "sms"}]})
    m = d.wait_status(d.send(to=NUM_NONE), "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("notify", "undeliverable"), ("sms", "delivered")]
    assert m["attempts"][0]["error_code"] == "422"
    assert "Failed to send messages" in m["attempts"][0]["error"]
    assert line.requests[0]["answer"] == 422 and line.sent == []
    # Server errors are temporary for PNP too.
    line.script([(500, {"message": "An error occurred in the internal server"})])
    m = d.wait_status(d.send(to=NUM_A), "accepted")
    assert m["attempts"][0]["tries"] == 2 and len(line.sent) == 1


def test_notify_fallback_then_late_completion_does_not_resurrect(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"notify": notify_cfg(tmp_path, line), "sms": FAKE,
                             "dead": {"module": "test", "behaviour": "undeliverable"}},
                    chains={"default": [{"channel": "notify", "fallback_after": "10m"},
                                        {"channel": "sms"}],
                            "dead_end": [{"channel": "notify", "fallback_after": "10m"},
                                         {"channel": "dead"}]})
    mid = d.send(to=NUM_A, text="one")
    dead = d.send(to=NUM_B, text="two", chain="dead_end")
    d.wait_status(mid, "accepted")
    d.wait_status(dead, "accepted")
    tags = {r["json"]["to"]: r["headers"]["X-Line-Delivery-Tag"] for r in line.requests}
    # Not yet: the step waits for its completion event.
    d.ok("clock.advance", {"ms": 5 * 60 * 1000})
    assert d.wait_status(mid, "accepted")["attempts"][0]["status"] == "accepted"
    assert len(d.status(mid)["attempts"]) == 1
    d.ok("clock.advance", {"ms": 6 * 60 * 1000})
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("notify", "accepted"), ("sms", "delivered")]
    assert "no delivery receipt from notify" in json.dumps(m["history"])
    m2 = d.wait_status(dead, "undeliverable")

    # The late completion events: recorded on the LINE attempts only.
    for num, msg_id, final in [(NUM_A, mid, "delivered"), (NUM_B, dead, "undeliverable")]:
        before = d.status(msg_id)
        assert line.delivery_event(hook(d, "notify"), SECRET, tags[phone_hash(num)]) == (200, "OK")
        m = wait_for(lambda: (lambda x: x if x["attempts"][0]["status"] == "delivered" else None)(
            d.status(msg_id)), what="the late receipt")
        assert m["status"] == final and m["step"] == before["step"] == 1
        assert m["reason"] == before["reason"]
        assert m["attempts"][1]["status"] == before["attempts"][1]["status"]
    assert m2["status"] == "undeliverable"


def test_notification_disabled_and_templates(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"notify": notify_cfg(tmp_path, line, notification_disabled=True),
                             "push": push_cfg(tmp_path, line, notification_disabled=True)},
                    chains={"default": [{"channel": "notify"}], "push": [{"channel": "push"}]})
    m = d.wait_status(d.send(to=NUM_A, text="quiet"), "accepted")
    assert line.requests[0]["json"]["notificationDisabled"] is True
    assert m["attempts"][0]["provider_id"] == line.requests[0]["headers"]["X-Line-Delivery-Tag"]
    d.wait_status(d.send(to=NUM_A, text="quiet too", chain="push"), "delivered")
    assert line.requests[1]["json"] == {"to": USER_A, "notificationDisabled": True,
                                        "messages": [{"type": "text", "text": "quiet too"}]}
    # Text only: a template message fails on both, without a request.
    for chain in ("default", "push"):
        mid = d.ok("message.send", {"to": NUM_A, "template": "otp", "lang": "en",
                                    "chain": chain})["id"]
        m = d.wait_status(mid, "failed")
        assert m["attempts"][0]["error_code"] == "no_text"
    assert len(line.requests) == 2


# ---- configuration ----

def check_config(d):
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    return subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True,
                          env=env, timeout=30)


def test_config_errors_are_named(make_daemon, tmp_path, line):
    users = tmp_path / "users.txt"
    users.write_text(f"{NUM_B} {USER_B}\n+5511 {USER_A}\n{NUM_A} {USER_B}\nlonely\n")
    d = make_daemon(start=False, plugins={
        "push": push_cfg(tmp_path, line, users_file=str(users),
                         users={NUM_A: USER_A, "5511999990005": USER_A, NUM_B: "Uxyz"},
                         on_quota="shrug", base_url="ftp://x", colour="blue"),
        "notify": {"module": "line_notify", "channel_access_token": {"file": "/nonexistent"}},
    }, chains={"default": [{"channel": "push"}, {"channel": "notify"}]})
    r = check_config(d)
    assert r.returncode == 1, r.stderr
    err = r.stderr
    assert f"{users}:2: '+5511' is not an E.164 number" in err
    assert f"{users}:4: expected \"+E164 LINE-user-id\" (two fields)" in err
    assert "'5511999990005' is not an E.164 number" in err
    assert "the id of +5511999990002 is not a LINE id" in err
    assert "+5511999990001 is mapped to two different LINE ids" in err
    assert "on_quota must be one of" in err and "base_url must be" in err
    assert "colour" in err
    assert "cannot read /nonexistent" in err
    assert "missing secret 'channel_secret'" in err
    assert TOKEN not in err
    empty = tmp_path / "empty.secret"
    empty.write_text("\n")
    cfg = d.cfg
    cfg["plugins"] = {
        "push": push_cfg(tmp_path, line, users_file=str(tmp_path / "none.txt")),
        "push2": push_cfg(tmp_path, line, users=[NUM_A, USER_A]),
        "notify": notify_cfg(tmp_path, line, channel_secret={"file": str(empty)},
                             channel_access_token={"file": str(empty)}),
    }
    cfg["chains"] = {"default": [{"channel": "push"}, {"channel": "push2"},
                                 {"channel": "notify"}]}
    d.write_config(cfg)
    r = check_config(d)
    assert r.returncode == 1
    assert "users_file: cannot open" in r.stderr
    assert "users must map E.164 numbers to LINE user ids" in r.stderr
    assert "channel_secret is empty" in r.stderr
    assert "channel_access_token is empty" in r.stderr


def test_default_rate_is_lines_and_config_overrides(make_daemon, tmp_path, line):
    d = make_daemon(plugins={"push": push_cfg(tmp_path, line),
                             "notify": notify_cfg(tmp_path, line, rate=50), "sms": FAKE},
                    chains={"default": [{"channel": "push"}, {"channel": "notify"},
                                        {"channel": "sms"}]})
    rates = {i["name"]: i["rate"] for m in d.ok("plugins")["modules"] for i in m["instances"]}
    assert rates == {"push": 2000, "notify": 50, "sms": 0}
