"""Idempotency keys of POST /v1/messages (issue 11): a long key on a
multi-recipient request never makes recipients collide, the key may come
as the Idempotency-Key header, and a key reused for a different request is
409 conflict rather than a silent duplicate."""
from test_http_api import call

TO = ["+5511999990001", "+5511999990002", "+5511999990003"]


def post(d, body, headers=None):
    return call(d, "POST", "/v1/messages", body, headers=headers)


def test_too_long_a_key_is_refused_and_stores_nothing(make_daemon):
    d = make_daemon()
    code, res, _ = post(d, {"to": TO, "text": "hi", "idempotency_key": "k" * 298})
    assert code == 400 and res["error"]["code"] == "bad_argument", res
    assert "at most 256" in res["error"]["message"]
    assert call(d, "GET", "/v1/messages")[1]["messages"] == []


def test_longest_key_keeps_every_recipient(make_daemon):
    d = make_daemon()
    key = "k" * 256
    code, res, _ = post(d, {"to": TO, "text": "hi", "idempotency_key": key})
    assert code == 202, res
    msgs = res["messages"]
    assert [m["duplicate"] for m in msgs] == [False] * 3
    assert len({m["id"] for m in msgs}) == 3
    # The same request again: every recipient is a duplicate of its own message.
    code, again, _ = post(d, {"to": TO, "text": "hi", "idempotency_key": key})
    assert code == 200 and [m["id"] for m in again["messages"]] == [m["id"] for m in msgs]
    assert all(m["duplicate"] for m in again["messages"])


def test_idempotency_key_header(make_daemon):
    d = make_daemon()
    h = {"Idempotency-Key": "order-77"}
    code, first, _ = post(d, {"to": TO[0], "text": "hi"}, headers=h)
    assert code == 202, first
    code, again, _ = post(d, {"to": TO[0], "text": "hi"}, headers=h)
    assert code == 200 and again["messages"][0]["duplicate"] is True
    assert again["messages"][0]["id"] == first["messages"][0]["id"]
    # The same key as a field is the same key.
    code, field, _ = post(d, {"to": TO[0], "text": "hi", "idempotency_key": "order-77"})
    assert code == 200 and field["messages"][0]["id"] == first["messages"][0]["id"]
    code, res, _ = post(d, {"to": TO[0], "text": "hi", "idempotency_key": "other"}, headers=h)
    assert code == 400 and res["error"]["code"] == "bad_argument", res


def test_key_reused_for_another_request_is_a_conflict(make_daemon):
    d = make_daemon()
    body = {"to": TO[:2], "text": "code 1234", "idempotency_key": "otp-5"}
    code, first, _ = post(d, body)
    assert code == 202
    for change, field in [({"text": "code 9999"}, "text"),
                          ({"to": [TO[0], TO[2]]}, "to"),
                          ({"from": "ACME"}, "from")]:
        code, res, _ = post(d, dict(body, **change))
        assert code == 409 and res["error"]["code"] == "conflict", res
        assert f"different '{field}'" in res["error"]["message"], res
    # Nothing of a refused request is stored: still only the first two.
    listed = call(d, "GET", "/v1/messages")[1]["messages"]
    assert sorted(m["id"] for m in listed) == sorted(m["id"] for m in first["messages"])
    # Written another way, the same number is the same request.
    code, res, _ = post(d, dict(body, to=["11 99999-0001", TO[1]]))
    assert code == 200 and all(m["duplicate"] for m in res["messages"]), res
