"""The operator's preview of one message (GET /v1/messages/{id}/preview,
`switchboardctl preview`): content as sent, SMS segments (GSM-7,
extension characters, UCS-2, emoji), the delivering channel and its
type, attempts with times, user, subaccount, broadcast."""
from conftest import wait_for
from test_http_api import ACME_KEY, OTHER_KEY, call, sha256_key, two_subaccounts


def preview(d, mid, key=ACME_KEY):
    code, res, _ = call(d, "GET", "/v1/messages/%d/preview" % mid, key=key)
    assert code == 200, (code, res)
    return res


def submit(d, text, to="+5511999990001"):
    code, res, _ = call(d, "POST", "/v1/messages", {"to": to, "text": text})
    assert code == 202, (code, res)
    return res["messages"][0]["id"], res["broadcast"]


def test_preview_of_a_delivered_message(make_daemon):
    d = make_daemon(**two_subaccounts())
    mid, bid = submit(d, "Your code is 1234")
    d.wait_status(mid, "delivered")
    p = preview(d, mid)
    assert p["text"] == "Your code is 1234" and p["status"] == "delivered"
    assert p["sms"] == {"encoding": "gsm7", "units": 17, "segments": 1, "per_segment": 160}
    assert p["channel"] == "fake" and p["channel_type"] == "sms"
    assert p["subaccount"] == "acme" and p["broadcast"] == bid
    assert p["user"] == "key:" + sha256_key(ACME_KEY)[7:19] and p["file_name"] is None
    t = p["times"]
    assert t["triggered"] <= t["sent"] <= t["delivered"] and t["read"] is None
    assert len(p["attempts"]) == 1 and p["attempts"][0]["status"] == "delivered"
    code, res, _ = call(d, "GET", "/v1/messages/%d/preview" % mid, key=OTHER_KEY)
    assert code == 404 and res["error"]["code"] == "not_found"
    code, res, _ = call(d, "GET", "/v1/messages/99999/preview")
    assert code == 404 and res["error"]["code"] == "not_found"
    out = d.ctl("preview", str(mid)).stdout
    assert "Your code is 1234" in out
    r = d.request("message.preview", {"id": 99999})
    assert not r["ok"] and r["error"]["code"] == "not_found"
    r = d.request("message.preview", {})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"


def test_segment_counts(make_daemon):
    d = make_daemon(plugins={"fake": {"module": "test", "behaviour": "hang"}})
    cases = [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("€" * 80, "gsm7", 160, 1),
        ("{" * 81, "gsm7", 162, 2),
        ("é ñ ü Ø", "gsm7", 7, 1),
        ("Привет", "ucs2", 6, 1),
        ("ж" * 71, "ucs2", 71, 2),
        ("😀" * 35, "ucs2", 70, 1),
        ("😀" * 36, "ucs2", 72, 2),
    ]
    for text, enc, units, segs in cases:
        mid, _ = submit(d, text)
        s = preview(d, mid)["sms"]
        assert (s["encoding"], s["units"], s["segments"]) == (enc, units, segs), (text, s)
