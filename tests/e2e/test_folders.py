"""Inbound messages, calls, contacts and the folders (GET /v1/folders,
/v1/inbound, /v1/contacts, `switchboardctl folders`): an inbound message
is filed once however often the provider repeats it, under the instance's
subaccount and the sender's contact (the same contact as the messages
sent to that number); archive, unarchive and delete follow their rules;
the folder counts add up to the total; another subaccount sees nothing."""
import urllib.parse

from conftest import wait_for
from test_http_api import ACME_KEY, OTHER_KEY, call, two_subaccounts

NUM = "+5511999990001"


def hook(d, **form):
    body = urllib.parse.urlencode(form).encode()
    code, res, _ = call(d, "POST", "/hooks/fake", raw=body, key=None,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    return code, res


def folder(d, name, query="", key=ACME_KEY):
    code, res, _ = call(d, "GET", "/v1/folders/" + name + (("?" + query) if query else ""),
                        key=key)
    assert code == 200, (code, res)
    return res


def counts(d, key=ACME_KEY):
    code, res, _ = call(d, "GET", "/v1/folders", key=key)
    assert code == 200, (code, res)
    return res


def daemon(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "deliver",
                                      "subaccount": "acme"}}, **two_subaccounts())
    return d


def test_inbound_filed_once_with_its_contact(make_daemon):
    d = daemon(make_daemon)
    # An outbound message makes the number a contact.
    code, res, _ = call(d, "POST", "/v1/messages", {"to": NUM, "text": "hello"})
    assert code == 202
    mid = res["messages"][0]["id"]
    d.wait_status(mid, "delivered")
    # The provider sends the reply, then repeats it: filed once.
    for _ in range(2):
        assert hook(d, inbound=1, **{"from": NUM}, to="+15550001", text="Olá, sim!",
                    id="wamid.1") == (200, "OK\n")
    inbox = folder(d, "inbox")["items"]
    assert len(inbox) == 1, inbox
    item = inbox[0]
    assert (item["kind"], item["from"], item["text"], item["channel"], item["channel_type"]) == \
        ("inbound", NUM, "Olá, sim!", "fake", "sms")
    sent = folder(d, "sent")["items"]
    assert [m["id"] for m in sent] == [mid]
    assert sent[0]["contact"] == item["contact"] and item["contact"] > 0
    code, c, _ = call(d, "GET", "/v1/contacts/%d" % item["contact"])
    assert code == 200 and c["identities"] == [{"kind": "phone", "value": NUM}], c
    # Filtered by contact.
    assert len(folder(d, "inbox", "contact=%d" % item["contact"])["items"]) == 1
    assert folder(d, "inbox", "contact=%d" % (item["contact"] + 99))["items"] == []
    # A message without a provider id cannot be told from a repeat: both filed.
    assert hook(d, inbound=1, **{"from": "+5511999990002"}, text="hi")[0] == 200
    assert hook(d, inbound=1, **{"from": "+5511999990002"}, text="hi")[0] == 200
    assert len(folder(d, "inbox")["items"]) == 3
    # A call record.
    assert hook(d, call="in", **{"from": NUM}, to="+15550001", id="call-1", duration=42)[0] == 200
    assert hook(d, call="in", **{"from": NUM}, to="+15550001", id="call-1", duration=42)[0] == 200
    [c] = folder(d, "calls")["items"]
    assert (c["direction"], c["duration_s"], c["contact"]) == ("inbound", 42, item["contact"])
    # A malformed form: answered 400, nothing stored.
    code, _, _ = call(d, "POST", "/hooks/fake", raw=b"inbound=1&text=%zz", key=None)
    assert code == 400
    assert counts(d)["folders"]["inbox"] == 3


def test_archive_unarchive_delete_and_counts(make_daemon):
    d = daemon(make_daemon)
    for i in range(3):
        assert hook(d, inbound=1, **{"from": NUM}, text="m%d" % i, id="p%d" % i)[0] == 200
    ids = [it["id"] for it in folder(d, "inbox")["items"]]
    assert len(ids) == 3
    # Outbound in several folders: sent, failed, schedules.
    call(d, "POST", "/v1/messages", {"to": NUM, "text": "ok"})
    call(d, "POST", "/v1/messages", {"to": NUM, "text": "no #sb:fail"})
    call(d, "POST", "/v1/messages", {"to": NUM, "text": "later",
                                     "send_at": "2099-01-01T00:00:00Z"})
    wait_for(lambda: counts(d)["folders"]["sent"] == 1 and counts(d)["folders"]["failed"] == 1,
             what="sent and failed")
    code, res, _ = call(d, "POST", "/v1/inbound/%d/archive" % ids[0])
    assert code == 200 and res == {"id": ids[0], "folder": "archived"}, res
    code, res, _ = call(d, "POST", "/v1/inbound/%d/archive" % ids[0])
    assert code == 409 and res["error"]["code"] == "invalid_state", res
    # Delete only from archived.
    code, res, _ = call(d, "DELETE", "/v1/inbound/%d" % ids[1])
    assert code == 409 and "only archived messages can be deleted" in res["error"]["message"]
    code, res, _ = call(d, "POST", "/v1/inbound/%d/unarchive" % ids[1])
    assert code == 409 and "not archived" in res["error"]["message"]
    code, res, _ = call(d, "DELETE", "/v1/inbound/%d" % ids[0])
    assert code == 200 and res["folder"] == "deleted"
    code, res, _ = call(d, "POST", "/v1/inbound/%d/archive" % ids[0])
    assert code == 404
    d.ok("inbound.archive", {"id": ids[2]})
    assert [it["id"] for it in folder(d, "archived")["items"]] == [ids[2]]
    assert folder(d, "archived")["items"][0]["archived_from"] == "inbox"
    d.ok("inbound.unarchive", {"id": ids[2]})
    assert sorted(it["id"] for it in folder(d, "inbox")["items"]) == sorted(ids[1:])
    c = counts(d)
    assert c["folders"] == {"inbox": 2, "flows": 0, "archived": 0, "outbox": 0, "sent": 1,
                            "schedules": 1, "failed": 1, "calls": 0}, c
    assert c["total"] == sum(c["folders"].values()) == 5
    assert d.ok("folder.counts") == c
    # Paging: newest first, one at a time.
    page = folder(d, "inbox", "limit=1")
    assert [it["id"] for it in page["items"]] == [max(ids[1:])]
    page = folder(d, "inbox", "limit=1&before=%d" % page["next_before"])
    assert [it["id"] for it in page["items"]] == [min(ids[1:])] and page["next_before"] is None
    out = d.ctl("folder", "inbox").stdout
    assert "m0" in out and "m1" in out and "m2" not in out


def test_folders_are_per_subaccount_and_bad_input(make_daemon):
    d = daemon(make_daemon)
    assert hook(d, inbound=1, **{"from": NUM}, text="mine", id="x1")[0] == 200
    [it] = folder(d, "inbox")["items"]
    assert folder(d, "inbox", key=OTHER_KEY)["items"] == []
    assert counts(d, key=OTHER_KEY)["total"] == 0
    for method, path in [("POST", "/v1/inbound/%d/archive" % it["id"]),
                         ("DELETE", "/v1/inbound/%d" % it["id"]),
                         ("GET", "/v1/contacts/%d" % it["contact"])]:
        code, res, _ = call(d, method, path, key=OTHER_KEY)
        assert code == 404 and res["error"]["code"] == "not_found", (method, path, res)
    for path, status, words in [
        ("/v1/folders/spam", 400, "unknown folder 'spam' (expected inbox, flows, archived"),
        ("/v1/folders/inbox?limit=0", 400, "'limit' must be an integer from 1 to 1000"),
        ("/v1/folders/inbox?from=yesterday", 400, "'from'"),
        ("/v1/folders/inbox?contact=x", 400, "'contact' must be an integer"),
        ("/v1/contacts/abc", 404, "no such route"),
        ("/v1/inbound/1/bin", 404, "no such route"),
    ]:
        code, res, _ = call(d, "GET", path)
        assert code == status and words in res["error"]["message"], (path, code, res)
    code, res, _ = call(d, "POST", "/v1/folders")
    assert code == 400 and res["error"]["message"] == "use GET on /v1/folders"
    r = d.request("folder.list", {"folder": "spam"})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
    r = d.request("inbound.delete", {"id": it["id"]})
    assert not r["ok"] and r["error"]["code"] == "invalid_state"


def test_contact_identities_over_http(make_daemon):
    d = daemon(make_daemon)
    assert hook(d, inbound=1, **{"from": NUM}, text="hi", id="c1")[0] == 200
    [it] = folder(d, "inbox")["items"]
    path = "/v1/contacts/%d/identities" % it["contact"]
    code, c, _ = call(d, "POST", path, {"kind": "line", "value": "U" + "a" * 32})
    assert code == 200 and {"kind": "line", "value": "U" + "a" * 32} in c["identities"], c
    # A national number takes the subaccount's country.
    code, c, _ = call(d, "POST", path, {"kind": "phone", "value": "11 98888-0000"})
    assert code == 200 and {"kind": "phone", "value": "+5511988880000"} in c["identities"]
    for body, words in [({"kind": "line"}, "the body is {\"kind\""),
                        ({"kind": "email", "value": "a@b"}, "unknown identity kind 'email'"),
                        ({"kind": "whatsapp", "value": "+55"}, "a WhatsApp id is 1 to 20")]:
        code, res, _ = call(d, "POST", path, body)
        assert code == 400 and words in res["error"]["message"], (body, res)
    code, res, _ = call(d, "POST", path, {"kind": "line", "value": "U" + "b" * 32},
                        key=OTHER_KEY)
    assert code == 404
    code, res, _ = call(d, "GET", path)
    assert code == 404 and "no such route" in res["error"]["message"]
