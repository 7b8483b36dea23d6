"""The operator's message search (GET /v1/search, `switchboardctl search`):
every filter, the status groups, keyset pages, the total, and the 3-month
limit on trigger time, with an error for every bad parameter."""
import datetime
import urllib.parse

from conftest import wait_for
from test_http_api import OTHER_KEY, call, two_subaccounts


def search(d, key=None, **params):
    code, res, _ = call(d, "GET", "/v1/search?" + urllib.parse.urlencode(params),
                        **({"key": key} if key else {}))
    assert code == 200, (code, res)
    return res


def ids(res):
    return [m["id"] for m in res["messages"]]


def iso(dt):
    return dt.isoformat(timespec="seconds")


def test_filters_groups_and_pages(make_daemon):
    d = make_daemon(**two_subaccounts())
    code, ok, _ = call(d, "POST", "/v1/messages",
                       {"to": ["+5511999990001", "+5511999990002"], "text": "summer sale"})
    assert code == 202
    bid = ok["broadcast"]
    code, bad, _ = call(d, "POST", "/v1/messages", {"to": "+5511999990003",
                                                    "text": "will fail #sb:fail"})
    code, und, _ = call(d, "POST", "/v1/messages", {"to": "11 99999-0004",
                                                    "text": "nope #sb:undeliverable"})
    all_ids = [m["id"] for r in (ok, bad, und) for m in r["messages"]]
    wait_for(lambda: search(d, group="sent")["total"] == 2, what="two delivered")
    wait_for(lambda: search(d, group="failed")["total"] == 1, what="one failed")
    wait_for(lambda: search(d, group="undeliverable")["total"] == 1, what="one undeliverable")
    assert sorted(ids(search(d, group="sent"))) == sorted(m["id"] for m in ok["messages"])
    assert search(d, status="failed")["messages"][0]["to"] == "+5511999990003"
    assert search(d, group="processing")["total"] == 0
    # Newest first, keyset pages that a new message does not move.
    page = search(d, limit=2)
    assert ids(page) == sorted(all_ids, reverse=True)[:2] and page["total"] == 4
    assert page["total_exact"] is True
    call(d, "POST", "/v1/messages", {"to": "+5511999990009", "text": "newer"})
    nxt = search(d, limit=2, before=page["next_before"])
    assert ids(nxt) == sorted(all_ids, reverse=True)[2:4]
    # Each filter.
    assert search(d, broadcast=bid)["total"] == 2
    assert search(d, channel_type="sms")["total"] == 5
    assert search(d, channel_type="whatsapp")["total"] == 0
    assert search(d, to="+5511999990004")["total"] == 1
    assert search(d, to="11999990004", country="55")["total"] == 1
    assert search(d, text="sale")["total"] == 2
    assert search(d, text="SALE")["total"] == 2  # the trigram index folds case
    assert search(d, template="welcome")["total"] == 0
    assert search(d, file_name="none.csv")["total"] == 0
    now = datetime.datetime.now(datetime.timezone.utc)
    assert search(d, **{"from": iso(now - datetime.timedelta(hours=1)),
                        "until": iso(now + datetime.timedelta(hours=1))})["total"] == 5
    assert search(d, **{"from": iso(now + datetime.timedelta(hours=1))})["total"] == 0
    m = search(d, to="+5511999990001")["messages"][0]
    assert m["group"] == "sent" and m["channel_type"] == "sms" and m["broadcast"] == bid
    assert m["text"] == "summer sale" and m["created"].endswith("Z")
    # Another subaccount sees none of them.
    assert search(d, key=OTHER_KEY)["total"] == 0
    # The control socket searches too.
    wait_for(lambda: d.ok("message.search", {"group": "sent", "limit": 10})["total"] == 3,
             what="the newer message delivered")
    out = d.ctl("search", "--group", "failed").stdout
    assert "+5511999990003" in out


def test_bad_parameters(make_daemon):
    d = make_daemon()
    now = datetime.datetime.now(datetime.timezone.utc)
    cases = [
        ({"from": iso(now - datetime.timedelta(days=100)), "until": iso(now)}, "3 months"),
        ({"group": "done"}, "unknown group"),
        ({"status": "gone"}, "unknown status"),
        ({"channel_type": "fax"}, "unknown channel type"),
        ({"text": "ab"}, "at least 3"),
        ({"text": "日本"}, "at least 3 characters"),  # 6 bytes, 2 characters
        ({"text": "x" * 201}, "at most 200 bytes"),
        ({"to": "12"}, "invalid phone number"),
        ({"country": "55"}, "needs"),
        ({"to": "11999990004", "country": "5x"}, "calling code"),
        ({"from": "yesterday"}, "'from'"),
        ({"until": iso(now), "from": iso(now + datetime.timedelta(days=1))}, "after"),
        ({"limit": "0"}, "'limit'"),
        ({"before": "x"}, "'before'"),
        ({"broadcast": "-1"}, "'broadcast'"),
    ]
    for params, words in cases:
        code, res, _ = call(d, "GET", "/v1/search?" + urllib.parse.urlencode(params))
        assert code == 400 and res["error"]["code"] == "bad_argument", (params, res)
        assert words in res["error"]["message"], (params, res)
    code, res, _ = call(d, "POST", "/v1/search", {})
    assert code == 400 and res["error"]["code"] == "bad_request"
    code, res, _ = call(d, "GET", "/v1/search", key=None)
    assert code == 401
    r = d.request("message.search", {"from": iso(now - datetime.timedelta(days=100)),
                                      "until": iso(now)})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
    assert "3 months" in r["error"]["message"]
    r = d.request("message.search", {"subaccount": "nobody"})
    assert not r["ok"] and r["error"]["code"] == "not_found"
    r = d.request("message.search", {"text": "ab"})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"


def unindexed(d):
    code, text, _ = call(d, "GET", "/metrics", key=None)
    assert code == 200
    line = [ln for ln in text.splitlines() if ln.startswith("sb_store_text_unindexed ")]
    return int(line[0].split()[1])


def test_text_index_kept_by_its_thread_in_real_time(make_daemon, tmp_path):
    """The text index lives in <database>.text and its own thread keeps it
    (no -T: real time). A text is found before the index has it (by its
    text) and after; a rescheduled text by its new words only, at once."""
    d = make_daemon(test_clock=False)
    code, res, _ = call(d, "POST", "/v1/messages", {"to": "+5511999990001",
                                                    "text": "tango uniform"})
    assert code == 202
    code, later, _ = call(d, "POST", "/v1/messages", {
        "to": "+5511999990002", "text": "victor whiskey", "send_at": "2099-01-01T00:00:00Z"})
    assert code == 202
    sid = later["messages"][0]["id"]
    for to, text in (("+5511999990003", "AÇÃO confirmada"), ("+5511999990004", "order 9 1234"),
                     ("+5511999990005", "your order 1234 shipped")):
        code, _, _ = call(d, "POST", "/v1/messages", {"to": to, "text": text})
        assert code == 202

    def found_alike():
        # Letters by their lowercase; "order 9 1234" holds every trigram
        # of "order 1234" but not the text: the index's candidate is dropped.
        assert search(d, text="uniform")["total"] == 1
        assert search(d, text="ação CONF")["total"] == 1
        assert [m["to"] for m in search(d, text="order 1234")["messages"]] == \
            ["+5511999990005"]
    found_alike()
    # A quiet daemon: the indexer's own look (once a second) takes them in.
    wait_for(lambda: unindexed(d) == 0, timeout=5, what="the text index to catch up")
    db = d.cfg["daemon"]["database"]
    assert (tmp_path / (db.split("/")[-1] + ".text")).exists()
    found_alike()
    code, res, _ = call(d, "POST", f"/v1/messages/{sid}/reschedule",
                        {"send_at": "2099-01-02T00:00:00Z", "text": "xray yankee"})
    assert code == 200, res
    assert ids(search(d, text="yankee")) == [sid]
    assert search(d, text="whiskey")["total"] == 0
    wait_for(lambda: unindexed(d) == 0, timeout=5, what="the text index to catch up")
    assert ids(search(d, text="yankee")) == [sid]
    assert search(d, text="whiskey")["total"] == 0
    # Restarted, the index goes on from where it was.
    assert d.stop() == 0
    d.start()
    assert unindexed(d) == 0
    assert search(d, text="tango")["total"] == 1
