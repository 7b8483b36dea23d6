"""A delivery receipt the daemon answered 200 survives a kill -9 right after
the answer: providers never send a receipt again once it got its 2xx, so the
answer must wait for the commit of what the receipt changed (found by
scripts/torture, which lost receipts this way: the receipt was answered
before the group holding it was committed)."""
import pytest

from mock_carrier import MockCarrier

TOKEN = "dlr-token-Zq9"


@pytest.fixture
def carrier():
    c = MockCarrier().start()
    yield c
    c.stop()


def test_a_receipt_answered_200_is_never_lost_to_kill9(make_daemon, carrier, monkeypatch):
    monkeypatch.setenv("SB_E2E_DLR_TOKEN", TOKEN)
    sms = {
        "module": "http_sms",
        "url": carrier.url + "/sms",
        "timeout": "2s",
        "params": {"to": "{to}", "text": "{text}", "dlr_url": "{dlr_url}"},
        "dlr_token": {"env": "SB_E2E_DLR_TOKEN"},
        "dlr": {"status_map": {"1": "delivered"}, "token": "{secret:dlr_token}"},
    }
    d = make_daemon(start=False, plugins={"sms": sms}, chains={"default": [{"channel": "sms"}]})
    # Groups held open 300 ms: the window in which an early answer is a lie.
    d.cfg["daemon"]["commit_interval"] = "300ms"
    d.write_config(d.cfg)
    d.start()
    n = 8
    mids = {f"receipt {i}": d.send(text=f"receipt {i}") for i in range(n)}
    for mid in mids.values():
        d.wait_status(mid, "accepted")
    urls = {r["form"]["text"]: r["form"]["dlr_url"] for r in carrier.wait_requests(n)}
    for text, mid in mids.items():
        # The 200 is the promise; the kill comes as soon as it is read.
        assert carrier.send_dlr(urls[text], {"status": "1"}) == (200, "OK")
        d.kill9()
        d.start()
        assert d.wait_status(mid, "delivered", timeout=10)["status"] == "delivered"
