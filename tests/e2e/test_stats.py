"""Statistics (GET /v1/stats, `switchboardctl stats`, a broadcast's
`stats`) after a mixed run through the real daemon: deliveries, reads,
failures, a fallback chain, a stop and a restart. The figures must equal a
count(*) over the stored rows."""
import sqlite3
import urllib.parse

from conftest import wait_for
from test_http_api import call


def stats(d, **params):
    code, res, _ = call(d, "GET", "/v1/stats?" + urllib.parse.urlencode(params))
    assert code == 200, (code, res)
    return res


def counted(d, where):
    db = sqlite3.connect(d.cfg["daemon"]["database"])
    try:
        return db.execute("SELECT count(*) FROM messages WHERE " + where).fetchone()[0]
    finally:
        db.close()


def test_stats_equal_counts_after_a_mixed_run(make_daemon):
    d = make_daemon(
        plugins={"first": {"module": "test", "behaviour": "deliver", "receipt_after": "10ms"},
                 "second": {"module": "test", "behaviour": "deliver", "receipt_after": "10ms"}},
        chains={"default": [{"channel": "first"}, {"channel": "second"}]})
    texts = ["hello", "hello #sb:read", "x #sb:fail", "y #sb:undeliverable", "z #sb:hang"]
    bids = []
    for i, text in enumerate(texts):
        to = ["+55119999%05d" % (i * 100 + k) for k in range(4)]
        code, res, _ = call(d, "POST", "/v1/messages", {"to": to, "text": text})
        assert code == 202
        bids.append(res["broadcast"])
    # The hanging broadcast is stopped (nothing is cancelled: all were sent),
    # the undeliverable one restarted once it ends.
    call(d, "POST", "/v1/broadcasts/%d/stop" % bids[4])
    # Finished means their receipts came too: the figures below are read
    # from the daemon first and counted from the file after, so nothing may
    # still move in between.
    wait_for(lambda: counted(d, "status IN ('queued', 'sending', 'accepted')") == 4
             and counted(d, "status = 'read'") == 4, timeout=20,
             what="all but the hanging ones to finish")
    code, r, _ = call(d, "POST", "/v1/broadcasts/%d/restart" % bids[3])
    assert code == 200, r
    wait_for(lambda: counted(d, "broadcast_id = %d AND status = 'undeliverable'" % r["id"]) == 4,
             timeout=20, what="the restart to end")
    res = stats(d, by="channel_type")
    total = res["total"]
    assert total["triggers"] == counted(d, "1")
    assert total["delivered"] == counted(d, "status IN ('delivered', 'read')")
    assert total["read"] == counted(d, "status = 'read'")
    assert total["undeliverable"] == counted(d, "status = 'undeliverable'")
    assert total["failed"] == counted(d, "status IN ('failed', 'rejected', 'expired')")
    assert total["delivered_pct"] == int(total["delivered"] * 1000 / total["triggers"]) / 10
    rows = {r["channel_type"]: r for r in res["rows"]}
    assert rows["sms"]["triggers"] == counted(d, "channel_type = 'sms'")
    res = stats(d, by="template")
    assert [r["template"] for r in res["rows"]] == [None]
    assert res["rows"][0]["triggers"] == counted(d, "1")
    for bid in bids + [r["id"]]:
        code, b, _ = call(d, "GET", "/v1/broadcasts/%d" % bid)
        s = b["stats"]
        assert s["triggers"] == counted(d, "broadcast_id = %d" % bid) == b["messages"]
        assert s["delivered"] == counted(d, "broadcast_id = %d AND status IN ('delivered', 'read')" % bid)
        assert s["failed"] == counted(d, "broadcast_id = %d AND status IN ('failed', 'rejected', 'expired')" % bid)
    assert d.ok("stats.show", {"by": "template"})["total"]["triggers"] == counted(d, "1")
    out = d.ctl("stats", "--by", "channel_type").stdout
    assert "sms" in out


def test_bad_parameters(make_daemon):
    d = make_daemon()
    for params, words in [({"by": "channel"}, "'by'"), ({}, "'by'"),
                          ({"by": "template", "from": "2026-01-01T00:00:00Z",
                            "until": "2026-06-01T00:00:00Z"}, "3 months"),
                          ({"by": "template", "from": "soon"}, "'from'"),
                          ({"by": "template", "from": "2026-02-01T00:00:00Z",
                            "until": "2026-01-01T00:00:00Z"}, "after")]:
        code, res, _ = call(d, "GET", "/v1/stats?" + urllib.parse.urlencode(params))
        assert code == 400 and res["error"]["code"] == "bad_argument", (params, res)
        assert words in res["error"]["message"], (params, res)
    r = d.request("stats.show", {"by": "template", "from": "2026-01-01T00:00:00Z",
                                    "until": "2026-06-01T00:00:00Z"})
    assert not r["ok"] and "3 months" in r["error"]["message"]
    r = d.request("stats.show", {})
    assert not r["ok"] and r["error"]["code"] == "bad_argument"
