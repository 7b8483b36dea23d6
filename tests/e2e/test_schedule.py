"""Scheduling and allowed hours end to end: send --at, list, reschedule,
cancel, restart; subaccount windows that defer or block, in the first step
and in a fallback step, across a window edge and across a DST change.

The daemon's clock only moves forward (clock.advance), so every setup is
relative to the real time: a subaccount in an Etc/GMT zone chosen so that
it is now 12:xx there has its windows open or closed deterministically.
"""
import datetime as dt
import json
import sqlite3
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

from conftest import wait_for

UTC = dt.timezone.utc
API_KEY = "test-key"
KEY_HASH = "sha256:62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef"
HOUR = 3600_000


def stored_channel_type(d, mid):
    """The search's channel type of a message, as stored."""
    db = sqlite3.connect(d.cfg["daemon"]["database"], timeout=10)
    try:
        return db.execute("SELECT channel_type FROM messages WHERE id = ?", (mid,)).fetchone()[0]
    finally:
        db.close()


def iso(ms):
    """Unix ms as the daemon writes it: 2026-11-23T12:00:00.000Z."""
    return dt.datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{ms % 1000:03d}Z"


def iso_offset(ms, minutes):
    """Unix ms written with a UTC offset, as a user would."""
    tz = dt.timezone(dt.timedelta(minutes=minutes))
    return dt.datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")


def ms_of(text):
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def daemon_now(d):
    return ms_of(d.ok("clock.advance", {"ms": 1})["now"])


def advance_to(d, target_ms):
    now = daemon_now(d)
    if target_ms > now:
        d.ok("clock.advance", {"ms": target_ms - now})


def noon_zone():
    """An Etc/GMT zone where it is now 12:xx local (a window 14:00-16:00 is
    closed and 10:00-14:00 open for the next hour at least)."""
    k = 12 - dt.datetime.now(UTC).hour  # -11 .. 12: local = UTC + k
    return "Etc/GMT" if k == 0 else f"Etc/GMT-{k}" if k > 0 else f"Etc/GMT+{-k}"


def local_ms(zone, hour, days=0):
    """Today (in `zone`, real time) at hour:00, plus `days`, as Unix ms."""
    t = dt.datetime.now(ZoneInfo(zone)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return int((t + dt.timedelta(days=days)).timestamp() * 1000)


def sub(tz, hours=None, outside=None, api=True, **extra):
    """A subaccount; only one of a daemon's may hold the test API key."""
    s = {"timezone": tz, "chains": ["default"], "default_country": "55",
         "api_keys": [KEY_HASH] if api else []}
    if hours is not None:
        s["allowed_hours"] = hours
    if outside is not None:
        s["outside_hours"] = outside
    s.update(extra)
    return s


def http(d, method, path, body=None, key=API_KEY, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(d.http + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


CONTENT = {"content": {"module": "content_filter", "words": ["gratis"]}}


# ---- send --at, list, reschedule, cancel ----

def test_scheduled_list_reschedule_cancel(make_daemon):
    d = make_daemon(filters=CONTENT)
    now = daemon_now(d)
    mid = d.send(text="see you later", at=iso_offset(now + HOUR, -180))
    m = d.status(mid)
    assert m["status"] == "scheduled" and m["attempts"] == []
    assert abs(ms_of(m["send_at"]) - (now + HOUR)) < 1000
    listed = json.loads(d.ctl("list", "--status", "scheduled", "--json").stdout)["messages"]
    assert [x["id"] for x in listed] == [mid]

    new_at = (now + 2 * HOUR) // 1000 * 1000
    r = d.ctl("reschedule", str(mid), iso_offset(new_at, 60), "--text", "see you even later",
              "--json")
    assert json.loads(r.stdout) == {"id": mid, "status": "scheduled", "send_at": iso(new_at)}
    m = d.status(mid)
    assert (m["status"], m["send_at"], m["text"]) == ("scheduled", iso(new_at), "see you even later")
    assert m["expires"] == iso(new_at + HOUR)  # validity counts from the send time
    assert m["history"][-1]["reason"] == f"rescheduled to {iso(new_at)} with a new text"
    assert m["reason"].startswith("rescheduled to")

    # Bad input changes nothing.
    for args, code, words in [
        ({"id": mid, "at": "tomorrow"}, "bad_argument", "'at' must be an ISO 8601"),
        ({"id": mid, "at": "2027-02-30T10:00:00Z"}, "bad_argument", "'at'"),
        ({"id": mid, "at": "2027-01-10T10:00:00"}, "bad_argument", "offset"),
        ({"id": mid}, "bad_argument", "'at'"),
        ({"id": mid, "at": iso(now), "text": ""}, "bad_argument", "'text'"),
        ({"id": mid, "at": iso(now), "text": "x" * 65537}, "too_large", "65536"),
        ({"id": mid, "at": iso(now), "text": "it is GRATIS today"}, "forbidden", "gratis"),
        ({"id": 987654, "at": iso(now)}, "not_found", "987654"),
    ]:
        r = d.request("message.reschedule", args)
        assert not r["ok"] and r["error"]["code"] == code, (args, r)
        assert words in r["error"]["message"], (args, r)
    m = d.status(mid)
    assert (m["status"], m["send_at"], m["text"]) == ("scheduled", iso(new_at), "see you even later")

    r = d.ctl("reschedule", str(mid), "not-a-time", check=False)
    assert r.returncode != 0 and "bad_argument" in r.stderr
    r = d.ctl("reschedule", str(mid), check=False)
    assert r.returncode != 0 and "TIME" in r.stderr

    assert json.loads(d.ctl("cancel", str(mid), "--json").stdout)["status"] == "cancelled"
    r = d.request("message.reschedule", {"id": mid, "at": iso(now + HOUR)})
    assert r["error"]["code"] == "invalid_state" and "cancelled" in r["error"]["message"]
    assert d.status(mid)["status"] == "cancelled"


def test_reschedule_only_while_scheduled(make_daemon):
    d = make_daemon()
    mid = d.send()
    d.wait_status(mid, "delivered")
    r = d.request("message.reschedule", {"id": mid, "at": iso(daemon_now(d) + HOUR)})
    assert r["error"]["code"] == "invalid_state" and "delivered" in r["error"]["message"]


def test_reschedule_over_http(make_daemon):
    d = make_daemon(filters=CONTENT)
    now = daemon_now(d)
    code, body = http(d, "POST", "/v1/messages", {"to": "+5511999990020", "text": "later",
                                                   "send_at": iso(now + HOUR)})
    assert code == 202
    mid = body["messages"][0]["id"]
    at = (now + 3 * HOUR) // 1000 * 1000
    code, body = http(d, "POST", f"/v1/messages/{mid}/reschedule",
                      {"send_at": iso_offset(at, -180), "text": "later still"})
    assert code == 200 and body == {"id": mid, "status": "scheduled", "send_at": iso(at)}
    code, m = http(d, "GET", f"/v1/messages/{mid}")
    assert (m["send_at"], m["text"]) == (iso(at), "later still")
    for payload, want_code, word in [
        ({"text": "no time"}, 400, "send_at"),
        ({"send_at": "soon"}, 400, "send_at"),
        ({"send_at": 12}, 400, "send_at"),
        ({"send_at": iso(at), "text": "gratis!"}, 403, "gratis"),
    ]:
        code, body = http(d, "POST", f"/v1/messages/{mid}/reschedule", payload)
        assert code == want_code and word in body["error"]["message"], (payload, code, body)
    code, body = http(d, "POST", f"/v1/messages/{mid}/reschedule", raw=b"{not json")
    assert code == 400 and body["error"]["code"] == "bad_request"
    code, body = http(d, "POST", "/v1/messages/424242/reschedule", {"send_at": iso(at)})
    assert code == 404
    code, body = http(d, "POST", f"/v1/messages/{mid}/reschedule", {"send_at": iso(at)},
                      key="wrong-key")
    assert code == 401
    assert d.status(mid)["send_at"] == iso(at)
    code, body = http(d, "POST", f"/v1/messages/{mid}/cancel")
    assert code == 200
    code, body = http(d, "POST", f"/v1/messages/{mid}/reschedule", {"send_at": iso(at)})
    assert code == 409 and body["error"]["code"] == "invalid_state"


def test_scheduled_is_delivered_after_its_time(make_daemon):
    d = make_daemon()
    now = daemon_now(d)
    mid = d.send(at=iso(now + 2 * HOUR))
    advance_to(d, now + 2 * HOUR - 5000)
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, now + 2 * HOUR + 1000)
    m = d.wait_status(mid, "delivered")
    assert [h["status"] for h in m["history"]] == [
        "scheduled", "queued", "sending", "accepted", "delivered"]


def test_near_send_time_on_idle_daemon(make_daemon):
    """Real time, no clock.advance: nothing else wakes the daemon."""
    d = make_daemon()
    now = daemon_now(d)
    mid = d.send(at=iso(now + 1500))
    d.wait_status(mid, "delivered", timeout=10)


def test_reschedule_earlier_wakes_the_daemon(make_daemon):
    d = make_daemon()
    now = daemon_now(d)
    mid = d.send(at=iso(now + HOUR))
    d.ok("message.reschedule", {"id": mid, "at": iso(daemon_now(d) + 1000)})
    d.wait_status(mid, "delivered", timeout=10)


def test_reschedule_to_the_past_sends_now(make_daemon):
    d = make_daemon()
    now = daemon_now(d)
    mid = d.send(at=iso(now + HOUR))
    res = d.ok("message.reschedule", {"id": mid, "at": "2001-01-01T00:00:00Z"})
    assert ms_of(res["send_at"]) >= now
    d.wait_status(mid, "delivered")


def test_scheduled_and_deferred_survive_kill9(make_daemon):
    zone = noon_zone()
    d = make_daemon(subaccounts={
        "acme": sub("UTC"),
        "shop": sub(zone, hours={"mon-sun": "14:00-16:00"}, api=False),
    })
    now = daemon_now(d)
    plain = d.send(at=iso(now + HOUR))
    deferred = d.send(subaccount="shop")
    opening = local_ms(zone, 14)
    assert d.status(deferred)["send_at"] == iso(opening)
    d.kill9()
    d.start()
    assert d.status(plain)["status"] == "scheduled"
    m = d.status(deferred)
    assert (m["status"], m["send_at"]) == ("scheduled", iso(opening))
    advance_to(d, now + HOUR + 1000)
    d.wait_status(plain, "delivered")
    assert d.status(deferred)["status"] == "scheduled"
    advance_to(d, opening + 1000)
    d.wait_status(deferred, "delivered")


# ---- allowed hours ----

def test_defer_until_the_window_opens(make_daemon):
    zone = noon_zone()
    d = make_daemon(subaccounts={"acme": sub(zone, hours={"mon-sun": "14:00-16:00"},
                                             outside="defer")})
    mid = d.send()
    opening = local_ms(zone, 14)
    m = d.status(mid)
    assert m["status"] == "scheduled" and m["attempts"] == []
    assert m["send_at"] == iso(opening)
    assert m["expires"] == iso(opening + HOUR)  # a deferred first step keeps its validity
    assert m["reason"] == f"waiting for allowed hours: allowed mon-sun 14:00-16:00 ({zone})"
    assert [mm["id"] for mm in d.ok("message.list", {"status": "scheduled"})["messages"]] == [mid]
    # No step started: no channel type for the search yet.
    assert stored_channel_type(d, mid) is None
    # The API's answer says so too: what the request left the message in.
    st, res = http(d, "POST", "/v1/messages", {"to": "+5511999990002", "text": "hi"})
    assert st == 202 and res["messages"][0]["status"] == "scheduled", res
    advance_to(d, opening - 5000)
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, opening + 1000)
    m = d.wait_status(mid, "delivered")
    assert m["reason"] is None  # the wait is over; its reason is in the history
    assert [h["status"] for h in m["history"]] == [
        "scheduled", "queued", "sending", "accepted", "delivered"]
    assert stored_channel_type(d, mid) == "sms"
    # Inside the window now: the next message goes at once.
    mid2 = d.send()
    d.wait_status(mid2, "delivered")
    assert stored_channel_type(d, mid2) == "sms"


def test_scheduled_time_outside_hours_is_deferred_at_activation(make_daemon):
    zone = noon_zone()
    d = make_daemon(subaccounts={"acme": sub(zone, hours={"mon-sun": "10:00-14:00"})})
    # At 15:00 local the window is closed; it opens tomorrow at 10:00.
    mid = d.send(at=iso(local_ms(zone, 15)))
    advance_to(d, local_ms(zone, 15) + 1000)
    wait_for(lambda: d.status(mid)["send_at"] == iso(local_ms(zone, 10, days=1)),
             what="deferred send_at")
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, local_ms(zone, 10, days=1) + 1000)
    d.wait_status(mid, "delivered")


def test_block_outside_hours(make_daemon):
    zone = noon_zone()
    d = make_daemon(subaccounts={"acme": sub(zone, hours={"mon-fri": "14:00-16:00",
                                                          "sat,sun": "15:00-16:00"},
                                             outside="block")})
    mid = d.send()
    m = d.wait_status(mid, "blocked_time")
    assert m["reason"] == ("outside allowed hours: allowed mon-fri 14:00-16:00,"
                           f" sat-sun 15:00-16:00 ({zone})")
    assert m["attempts"] == [] and stored_channel_type(d, mid) is None
    assert d.request("message.cancel", {"id": mid})["error"]["code"] == "invalid_state"
    st, res = http(d, "POST", "/v1/messages", {"to": "+5511999990002", "text": "hi"})
    assert st == 202 and res["messages"][0]["status"] == "blocked_time", res
    # Final: time passing into the window changes nothing.
    advance_to(d, local_ms(zone, 15) + 1000)
    assert d.status(mid)["status"] == "blocked_time"


def test_every_day_closed_blocks_even_with_defer(make_daemon):
    d = make_daemon(subaccounts={"acme": sub("America/Sao_Paulo",
                                             hours={"mon-sun": "closed"}, outside="defer")})
    m = d.wait_status(d.send(), "blocked_time")
    assert m["reason"] == "no allowed time within 15 days: every day closed (America/Sao_Paulo)"


LINE_THEN_SMS = {
    "plugins": {"line": {"module": "test", "behaviour": "undeliverable", "answer_after": "2s"},
                "sms": {"module": "test", "behaviour": "deliver"}},
    "chains": {"default": [{"channel": "line"}, {"channel": "sms"}]},
}


def test_fallback_step_waits_for_the_window(make_daemon):
    """Step 1 answers undeliverable after the window closed: the SMS
    fallback waits for the next window instead of going out at night."""
    zone = noon_zone()
    d = make_daemon(**LINE_THEN_SMS, subaccounts={
        "acme": sub(zone, hours={"mon-sun": "10:00-14:00"}, validity="2d")})
    mid = d.send()
    d.wait_status(mid, "sending")
    advance_to(d, local_ms(zone, 15))  # the line answer comes after the window closed
    tomorrow = local_ms(zone, 10, days=1)
    m = wait_for(lambda: (lambda m: m if m["status"] == "scheduled" else None)(d.status(mid)),
                 what="the fallback to wait")
    assert m["step"] == 1 and m["send_at"] == iso(tomorrow)
    assert m["reason"].startswith("waiting for allowed hours: allowed mon-sun 10:00-14:00")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [("line", "undeliverable")]
    advance_to(d, tomorrow - 5000)
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, tomorrow + 1000)
    m = d.wait_status(mid, "delivered")
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [
        ("line", "undeliverable"), ("sms", "delivered")]


def test_fallback_wait_longer_than_validity_expires(make_daemon):
    """A message under way keeps its validity: a fallback whose window
    opens after it ends is expired at once, not left waiting."""
    zone = noon_zone()
    d = make_daemon(**LINE_THEN_SMS, subaccounts={
        "acme": sub(zone, hours={"mon-sun": "10:00-14:00"}, validity="6h")})
    mid = d.send()
    d.wait_status(mid, "sending")
    advance_to(d, local_ms(zone, 15))
    m = d.wait_status(mid, "expired")
    assert m["reason"] == (f"validity ends before the next allowed time "
                           f"{iso(local_ms(zone, 10, days=1))}: allowed mon-sun 10:00-14:00 ({zone})")


def test_fallback_step_blocked_outside_hours(make_daemon):
    zone = noon_zone()
    d = make_daemon(**LINE_THEN_SMS, subaccounts={
        "acme": sub(zone, hours={"mon-sun": "10:00-14:00"}, outside="block")})
    mid = d.send()
    d.wait_status(mid, "sending")
    advance_to(d, local_ms(zone, 15))
    m = d.wait_status(mid, "blocked_time")
    assert m["reason"] == f"outside allowed hours: allowed mon-sun 10:00-14:00 ({zone})"
    assert [(a["channel"], a["status"]) for a in m["attempts"]] == [("line", "undeliverable")]


def test_reload_with_other_hours_strands_nothing(make_daemon):
    """A deferred message keeps its send time over a reload; at that time the
    hours then in force decide again."""
    zone = noon_zone()
    d = make_daemon(subaccounts={"acme": sub(zone, hours={"mon-sun": "14:00-16:00"})})
    mid = d.send()
    assert d.status(mid)["send_at"] == iso(local_ms(zone, 14))
    cfg = d.cfg
    cfg["subaccounts"]["acme"]["allowed_hours"] = {"mon-sun": "18:00-19:00"}
    d.write_config(cfg)
    d.ok("config.reload")
    assert d.status(mid)["send_at"] == iso(local_ms(zone, 14))
    advance_to(d, local_ms(zone, 14) + 1000)
    wait_for(lambda: d.status(mid)["send_at"] == iso(local_ms(zone, 18)), what="a new send time")
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, local_ms(zone, 18) + 1000)
    d.wait_status(mid, "delivered")


def next_spring_forward(zone):
    """The next day (after the real now) on which `zone` springs forward:
    (saturday 21:00 local before it, the UTC instant of the change)."""
    z = ZoneInfo(zone)
    t = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    prev = t.astimezone(z).utcoffset()
    while True:
        t += dt.timedelta(hours=1)
        off = t.astimezone(z).utcoffset()
        if off > prev:
            change = t
            break
        prev = off
    day = change.astimezone(z).date()
    sat = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(21, 0), tzinfo=z)
    return int(sat.timestamp() * 1000), int(change.timestamp() * 1000)


def test_defer_across_a_dst_change(make_daemon):
    """Europe/Berlin, the Saturday evening before clocks go forward: Sunday
    08:00 is 06:00 UTC, not 07:00; a window opening at 02:30, a time that
    does not exist that night, opens at 03:00 CEST, the instant of the jump."""
    sat_evening, change = next_spring_forward("Europe/Berlin")
    d = make_daemon(subaccounts={
        "acme": sub("Europe/Berlin", hours={"sun": "08:00-20:00"}),
        "night": sub("Europe/Berlin", hours={"sun": "02:30-04:00"}, api=False),
    })
    advance_to(d, sat_evening)
    mid = d.send()
    gap = d.send(subaccount="night")
    sunday = dt.datetime.fromtimestamp(change / 1000, ZoneInfo("Europe/Berlin")).date()
    want = int(dt.datetime.combine(sunday, dt.time(8, 0),
                                   tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1000)
    m = d.status(mid)
    assert m["status"] == "scheduled" and m["send_at"] == iso(want)
    assert iso(want).endswith("T06:00:00.000Z")  # CEST, after the change
    assert want - sat_evening == 10 * HOUR       # 21:00 CET to 08:00 CEST is 10 hours
    m = d.status(gap)
    assert m["status"] == "scheduled" and m["send_at"] == iso(change)
    assert iso(change).endswith("T01:00:00.000Z")
    advance_to(d, change + 1000)
    d.wait_status(gap, "delivered")
    assert d.status(mid)["status"] == "scheduled"
    advance_to(d, want + 1000)
    d.wait_status(mid, "delivered")
