"""The smpp channel end to end: the real daemon and plugin bound to an SMSC
simulated by a third party's SMPP implementation, the npm `smpp` package's
server side (smsc_sim.js, run with node; tests/e2e/package.json pins it and
scripts/setup-deps installs it). Skipped when node or the package is missing."""
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import DAEMON, PLUGIN_PATH, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node") or shutil.which("nodejs")
PASSWORD = "s3cr3t"
TO = "+5511999990001"

pytestmark = pytest.mark.skipif(
    NODE is None or not os.path.isdir(os.path.join(HERE, "node_modules", "smpp")),
    reason="node or the npm smpp package is missing (scripts/setup-deps installs them)")


class SMSC:
    """smsc_sim.js as a child process: its events as dicts, commands as dicts."""

    def __init__(self, password=PASSWORD):
        self.proc = subprocess.Popen([NODE, os.path.join(HERE, "smsc_sim.js"), password],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.events, self.lock, self.q = [], threading.Lock(), queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = wait_for(lambda: self._seen("listening"), 10,
                             what="SMSC listening")[0]["port"]

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.events.append(json.loads(line))

    def _seen(self, ev):
        """The events of this kind read so far from the simulator's output."""
        with self.lock:
            return [e for e in self.events if e["ev"] == ev]

    def all(self, ev):
        """Every event of this kind the simulator wrote before this call: the
        daemon may have its answer to a submit_sm before our reader thread has
        read the line the simulator wrote first, so wait for a sync's ack,
        which comes after it."""
        self.cmd(cmd="sync")
        return self._seen(ev)

    def first(self, ev):
        got = self.all(ev)
        return got[0] if got else None

    def cmd(self, **c):
        """Send a command and wait until the simulator has applied it."""
        self.nack = getattr(self, "nack", 0) + 1
        n = c["n_ack"] = self.nack
        self.proc.stdin.write(json.dumps(c) + "\n")
        self.proc.stdin.flush()
        wait_for(lambda: any(a["n"] == n for a in self._seen("ack")), 10, what=f"SMSC {c['cmd']}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture
def smsc():
    s = SMSC()
    yield s
    s.close()


def start(make_daemon, tmp_path, smsc, max_attempts=None, **keys):
    pw = tmp_path / "smpp.password"
    pw.write_text(PASSWORD + "\n")
    inst = {"module": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "switchboard",
            "password": {"file": str(pw)}, "from": "ACME", "reconnect_min": "200ms",
            "reconnect_max": "2s"}
    inst.update(keys)
    d = make_daemon(plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]},
                    test_clock=False, start=False)
    if max_attempts is not None:
        # Retries while the bind is remade ("not bound") must not run out
        # on a slow machine: what these tests count is sends, not tries.
        d.cfg["retry"]["max_attempts"] = max_attempts
        d.write_config(d.cfg)
    d.start()
    wait_for(lambda: any(b["ok"] for b in smsc.all("bind")), 10, what="a bind")
    wait_for(lambda: "bound to 127.0.0.1" in d.log(), 10, what="the daemon bound")
    return d


def accepted(d, text="your code is 1234", **kw):
    mid = d.send(text=text, **kw)
    m = d.wait_status(mid, "accepted")
    return mid, m["attempts"][-1]["provider_id"]


def test_config_words_checked(make_daemon, tmp_path):
    inst = {"module": "smpp", "host": "127.0.0.1", "system_id": "sb", "password": "pw",
            "from": "ACME", "gsm_packing": "squeezed", "long_text": "pigeon", "bind": "both",
            "binds": 17}
    d = make_daemon(start=False, plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]})
    env = dict(os.environ, SWITCHBOARD_PLUGIN_PATH=PLUGIN_PATH)
    r = subprocess.run([DAEMON, "-t", "-c", d.conf_path], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    for words in ["gsm_packing must be one of unpacked, packed",
                  "long_text must be one of udh, sar, payload",
                  "bind must be one of transceiver, transmitter+receiver",
                  "binds must be between 1 and 16"]:
        assert words in r.stderr, r.stderr


def test_send_then_receipt_delivers(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    assert smsc.first("bind")["cmd"] == "bind_transceiver"
    assert smsc.first("bind")["system_id"] == "switchboard"
    mid, pid = accepted(d)
    [s] = smsc.all("submit")
    assert (s["src"], s["src_ton"], s["src_npi"]) == ("ACME", 5, 0)
    assert (s["dst"], s["dst_ton"], s["dst_npi"]) == ("5511999990001", 1, 1)
    assert s["data_coding"] == 0 and s["registered_delivery"] == 1 and s["udh"] is None
    assert s["text"] == "your code is 1234" and pid == s["id"]
    # The receipt writes the id in decimal; the plugin compares both forms.
    smsc.cmd(cmd="receipt", id=pid, stat="DELIVRD", id_form="dec")
    m = d.wait_status(mid, "delivered")
    assert [h["status"] for h in m["history"]][-2:] == ["accepted", "delivered"]
    wait_for(lambda: smsc.all("deliver_sm_resp"), what="deliver_sm_resp")
    assert smsc.all("deliver_sm_resp")[0]["status"] == 0
    assert PASSWORD not in d.log()


def test_receipt_in_tlvs_undeliverable(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    mid, pid = accepted(d)
    smsc.cmd(cmd="receipt", id=pid, stat="UNDELIV", form="tlv", err="001")
    m = d.wait_status(mid, ("undeliverable", "failed"))
    assert m["attempts"][-1]["status"] == "undeliverable"


def test_wrong_password_logged_once_with_backoff(make_daemon, tmp_path, smsc):
    pw = tmp_path / "bad.password"
    pw.write_text("wrong\n")
    inst = {"module": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "switchboard",
            "password": {"file": str(pw)}, "from": "ACME", "reconnect_min": "100ms",
            "reconnect_max": "400ms"}
    d = make_daemon(plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]},
                    test_clock=False)
    binds = wait_for(lambda: (lambda b: b if len(b) >= 5 else None)(smsc.all("bind")), 10,
                     what="five binds")[:5]
    assert not any(b["ok"] for b in binds)
    # The SMSC's clock between attempts: the backoff doubles from 100 ms to
    # its 400 ms ceiling (less the connect and bind time), not a loop.
    gaps = [b["t"] - a["t"] for a, b in zip(binds, binds[1:])]
    assert all(g >= want - 30 for g, want in zip(gaps, (100, 200, 400, 400))), gaps
    assert all(g < 1500 for g in gaps), gaps
    log = d.log()
    lines = [l for l in log.splitlines() if "bind refused" in l and " debug " not in l]
    assert len(lines) == 1 and " error [smsc]" in lines[0], lines
    assert "ESME_RINVPASWD" in lines[0] and "invalid password" in lines[0]
    # A send meanwhile is temporary ("not bound"), not lost.
    mid = d.send(text="hi")
    wait_for(lambda: "not bound" in json.dumps(d.status(mid)), what="a temporary 'not bound'")


def test_unreachable_smsc_answers_sends_not_bound(make_daemon, tmp_path):
    # connect() to the broadcast address fails at once, inside tcp_connect.
    pw = tmp_path / "smpp.password"
    pw.write_text(PASSWORD + "\n")
    inst = {"module": "smpp", "host": "255.255.255.255", "port": 2775, "system_id": "sb",
            "password": {"file": str(pw)}, "from": "ACME",
            "reconnect_min": "50ms", "reconnect_max": "100ms"}
    d = make_daemon(plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]},
                    test_clock=False)
    wait_for(lambda: "255.255.255.255:2775: c" in d.log(), what="the failed connection logged")
    mid = d.send(text="nowhere to go")
    wait_for(lambda: "not bound to the SMSC" in json.dumps(d.status(mid)), what="not bound")


def test_unanswered_bind_times_out_and_is_retried(make_daemon, tmp_path, smsc):
    smsc.cmd(cmd="mute_bind", on=True)
    pw = tmp_path / "smpp.password"
    pw.write_text(PASSWORD + "\n")
    inst = {"module": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "switchboard",
            "password": {"file": str(pw)}, "from": "ACME", "reconnect_min": "100ms",
            "reconnect_max": "100ms", "response_timeout": "300ms"}
    d = make_daemon(plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]},
                    test_clock=False)
    tries = wait_for(lambda: (lambda b: b if len(b) >= 3 else None)(smsc.all("bind_ignored")), 10,
                     what="three unanswered binds")[:3]
    # Each waits response_timeout (300 ms), then the connection is made
    # again after the backoff (100 ms): not sooner, not much later.
    gaps = [b["t"] - a["t"] for a, b in zip(tries, tries[1:])]
    assert all(370 <= g < 1500 for g in gaps), gaps
    assert "no answer to transceiver bind in 300 ms" in d.log()
    assert len(smsc.all("closed")) >= 2     # the dead connections were closed
    smsc.cmd(cmd="mute_bind", on=False)
    wait_for(lambda: "bound to 127.0.0.1" in d.log(), 10, what="the daemon bound")
    accepted(d)


def test_a_send_during_the_first_bind_waits_for_it(make_daemon, tmp_path, smsc):
    smsc.cmd(cmd="bind_delay", ms=800)
    pw = tmp_path / "smpp.password"
    pw.write_text(PASSWORD + "\n")
    inst = {"module": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "switchboard",
            "password": {"file": str(pw)}, "from": "ACME", "response_timeout": "5s"}
    d = make_daemon(plugins={"smsc": inst}, chains={"default": [{"channel": "smsc"}]},
                    test_clock=False)
    mid = d.send(text="before the bind")
    wait_for(lambda: d.log().count("waits for the window") == 1, what="the send waiting")
    assert not smsc.all("bind")          # the SMSC has not answered the bind yet
    m = d.wait_status(mid, "accepted")
    assert len(m["attempts"]) == 1 and "not bound" not in json.dumps(m), m


def test_throttled_is_retried_and_delivered_once(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, throttle_retry="100ms")
    smsc.cmd(cmd="throttle", n=2)
    mid, pid = accepted(d, text="throttled first")
    subs = smsc.all("submit")
    assert [s.get("status") for s in subs] == [0x58, 0x58, None]
    assert pid == subs[-1]["id"]
    smsc.cmd(cmd="receipt", id=pid, stat="DELIVRD")
    m = d.wait_status(mid, "delivered")
    assert "ESME_RTHROTTLED" in json.dumps(m)
    assert len([s for s in smsc.all("submit") if s.get("id")]) == 1


def test_accepted_without_a_message_id_is_accepted_not_sent_again(make_daemon, tmp_path,
                                                                 smsc):
    d = start(make_daemon, tmp_path, smsc, throttle_retry="100ms")
    smsc.cmd(cmd="noid", n=1)
    mid = d.send(text="taken, no id")
    d.wait_status(mid, "accepted")
    assert [s["id"] for s in smsc.all("submit")] == [""]
    wait_for(lambda: "without a message_id" in d.log(), 5, what="the warning")
    assert d.status(mid)["status"] == "accepted"


def test_a_part_throttled_after_others_were_taken_is_in_doubt(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, throttle_retry="100ms")
    smsc.cmd(cmd="throttle", n=1, after=1)
    text = "Olá, 你好! " * 10    # 100 UTF-16 units: UCS-2, 2 parts
    mid = d.send(text=text)
    m = d.wait_status(mid, "failed")
    # Part 1 was taken, part 2 throttled: a resend would deliver part 1 twice.
    assert "review:" in json.dumps(m) and len(m["attempts"]) == 1, m
    assert [s.get("status") for s in smsc.all("submit")] == [None, 0x58]


def test_invalid_destination_is_undeliverable_in_words(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    smsc.cmd(cmd="status", n=1, status=0x0B)
    mid = d.send(text="nowhere")
    m = d.wait_status(mid, "undeliverable")
    assert "invalid destination address" in json.dumps(m)


def test_long_ucs2_text_in_parts_with_receipts_for_every_part(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    text = "Olá, 你好! " * 20    # 200 UTF-16 units: UCS-2, 3 parts of 67
    mid, pid = accepted(d, text=text)
    subs = smsc.all("submit")
    assert len(subs) == 3
    assert all(s["data_coding"] == 8 and s["esm_class"] & 0x40 for s in subs)
    ref = subs[0]["udh"][2]    # the package gives the element without the UDHL byte
    assert [s["udh"] for s in subs] == [[0, 3, ref, 3, i] for i in (1, 2, 3)]
    assert "".join(s["text"] for s in subs) == text
    assert pid == subs[0]["id"] and d.status(mid)["attempts"][-1]["parts"] == 3
    smsc.cmd(cmd="receipt", id=subs[0]["id"], stat="DELIVRD")
    smsc.cmd(cmd="receipt", id=subs[1]["id"], stat="DELIVRD", form="both")
    # The daemon answers a deliver_sm after it has reported the receipt.
    wait_for(lambda: len(smsc.all("deliver_sm_resp")) == 2, what="two deliver_sm_resp")
    assert d.status(mid)["status"] == "accepted"     # not until every part is delivered
    smsc.cmd(cmd="receipt", id=subs[2]["id"], stat="DELIVRD", id_form="dec")
    d.wait_status(mid, "delivered")


def test_long_text_by_sar_tlvs(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, long_text="sar")
    text = "Olá, 你好! " * 20    # 3 UCS-2 parts
    mid, pid = accepted(d, text=text)
    subs = smsc.all("submit")
    assert len(subs) == 3 and all(s["udh"] is None and s["esm_class"] == 0 for s in subs)
    ref = subs[0]["sar"][0]
    assert [s["sar"] for s in subs] == [[ref, 3, i] for i in (1, 2, 3)]
    assert "".join(s["text"] for s in subs) == text
    assert d.status(mid)["attempts"][-1]["parts"] == 3
    for s in subs:
        smsc.cmd(cmd="receipt", id=s["id"], stat="DELIVRD")
    d.wait_status(mid, "delivered")
    # The next long message gets another reference.
    accepted(d, text=text + "!")
    assert smsc.all("submit")[3]["sar"][0] != ref


def test_long_text_in_message_payload(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, long_text="payload")
    text = "a long text in one PDU, " * 20    # 480 GSM characters
    mid, pid = accepted(d, text=text)
    [s] = smsc.all("submit")
    assert s["payload"] and s["udh"] is None and s["esm_class"] == 0 and "sar" not in s
    assert s["data_coding"] == 0 and s["text"] == text and pid == s["id"]
    smsc.cmd(cmd="receipt", id=pid, stat="DELIVRD")
    d.wait_status(mid, "delivered")


def test_gsm_extension_characters(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    accepted(d, text="price: 5€ [ok] {x} ~^|\\ £ é")
    [s] = smsc.all("submit")
    assert s["data_coding"] == 0 and s["text"] == "price: 5€ [ok] {x} ~^|\\ £ é"


def test_mo_stored_as_inbound(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    smsc.cmd(cmd="mo", **{"from": "5511988887777", "to": "15557122661", "text": "STOP please"})

    def rows():
        with sqlite3.connect(f"file:{d.cfg['daemon']['database']}?mode=ro", uri=True) as db:
            return db.execute("SELECT instance, from_addr, to_addr, body FROM inbound").fetchall()
    got = wait_for(lambda: rows(), what="an inbound row")
    assert got == [("smsc", "+5511988887777", "+15557122661", "STOP please")]
    wait_for(lambda: smsc.all("deliver_sm_resp"), what="deliver_sm_resp")


def test_enquire_link_both_ways(make_daemon, tmp_path, smsc):
    start(make_daemon, tmp_path, smsc, enquire_link="300ms")
    smsc.cmd(cmd="enquire")
    wait_for(lambda: smsc.all("enquire_link_resp"), what="our enquire_link_resp")
    wait_for(lambda: smsc.all("enquire_link"), what="our enquire_link")


def test_dead_peer_reconnects(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, enquire_link="200ms", response_timeout="300ms")
    smsc.cmd(cmd="silent", on=True)
    wait_for(lambda: "dead peer" in d.log(), 10, what="dead peer detected")
    smsc.cmd(cmd="silent", on=False)
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) >= 2, 10, what="a rebind")


def test_window_full_waits_then_all_delivered_once(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, window=2, response_timeout="10s")
    smsc.cmd(cmd="hold", on=True)
    mids = [d.send(text=f"window {i}") for i in range(6)]
    wait_for(lambda: d.log().count("waits for the window") == 4,
             what="four waiting in the plugin")
    # Barrier: the daemon answers an enquire_link after every submit_sm it
    # wrote before it (one ordered connection), so what the SMSC holds now
    # is all the plugin sent: the window, not one more.
    smsc.cmd(cmd="enquire")
    wait_for(lambda: smsc.all("enquire_link_resp"), what="our enquire_link_resp")
    assert len(smsc.all("held")) == 2 and not smsc.all("submit")
    smsc.cmd(cmd="release")
    for mid in mids:
        d.wait_status(mid, "accepted")
    subs = smsc.all("submit")
    assert sorted(s["text"] for s in subs) == sorted(f"window {i}" for i in range(6))
    assert all(s.get("id") for s in subs) and len(smsc.all("held")) == 2
    assert len({d.status(m)["attempts"][-1]["provider_id"] for m in mids}) == 6
    assert all(len(d.status(m)["attempts"]) == 1 for m in mids)


def cut_mid_window(d, smsc, how):
    """Two messages in a window of 2 held by the SMSC, two more waiting in
    the plugin; then the connection dies `how`: the SMSC closes it, or
    stops answering enquire_link (dead peer). Returns (in window, waiting)."""
    if how == "dead_peer":
        smsc.cmd(cmd="mute_enquire", on=True)
        n = len(smsc.all("enquire_link"))
        # The sends go out after an unanswered enquire_link: its deadline
        # comes before theirs, so the enquire_link is what detects it.
        wait_for(lambda: len(smsc.all("enquire_link")) > n, what="an unanswered enquire_link")
    smsc.cmd(cmd="hold", on=True)
    first = [d.send(text=f"in flight {i}") for i in range(2)]
    wait_for(lambda: len(smsc.all("held")) == 2, what="two submits in the window")
    later = [d.send(text=f"waiting {i}") for i in range(2)]
    wait_for(lambda: d.log().count("waits for the window") == 2,
             what="two more waiting in the plugin")
    if how == "close":
        smsc.cmd(cmd="close")
    else:
        wait_for(lambda: "no answer to enquire_link" in d.log(), 10, what="a dead peer")
        assert "no submit_sm_resp" not in d.log()
        smsc.cmd(cmd="mute_enquire", on=False)
    wait_for(lambda: smsc.all("closed"), what="the connection closed")
    smsc.cmd(cmd="release")   # the held ones' session is gone: nothing answered
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) >= 2, 10, what="a rebind")
    return first, later


@pytest.mark.parametrize("how", ["close", "dead_peer"])
def test_cut_mid_window_in_doubt_goes_to_review(make_daemon, tmp_path, smsc, how):
    d = start(make_daemon, tmp_path, smsc, window=2, enquire_link="300ms",
              response_timeout="2s", max_attempts=10)
    first, later = cut_mid_window(d, smsc, how)
    # Not written yet: retried, delivered once.
    for mid in later:
        d.wait_status(mid, "accepted", timeout=15)
    # Written, unanswered: the SMSC may have them and SMPP has no
    # idempotency key, so the engine's default in_doubt policy (review).
    for mid in first:
        m = d.wait_status(mid, "failed", timeout=15)
        assert "review:" in json.dumps(m) and len(m["attempts"]) == 1, m
    texts = [s["text"] for s in smsc.all("submit")]
    assert sorted(texts) == ["waiting 0", "waiting 1"]


@pytest.mark.parametrize("how", ["close", "dead_peer"])
def test_cut_mid_window_resend_policy_sends_each_once(make_daemon, tmp_path, smsc, how):
    d = start(make_daemon, tmp_path, smsc, window=2, enquire_link="300ms",
              response_timeout="2s", in_doubt="resend", max_attempts=10)
    first, later = cut_mid_window(d, smsc, how)
    for mid in first + later:
        d.wait_status(mid, "accepted", timeout=15)
    texts = [s["text"] for s in smsc.all("submit") if s.get("id")]
    assert sorted(texts) == ["in flight 0", "in flight 1", "waiting 0", "waiting 1"]


def test_transmitter_receiver_pair(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, bind="transmitter+receiver")
    wait_for(lambda: len(smsc.all("bind")) >= 2, what="two binds")
    assert sorted(b["cmd"] for b in smsc.all("bind")) == ["bind_receiver", "bind_transmitter"]
    accepted(d)


def window_held_and_waiting(d, smsc):
    """Two messages in a window of 2 held by the SMSC, two waiting in the plugin."""
    smsc.cmd(cmd="hold", on=True)
    first = [d.send(text=f"in flight {i}") for i in range(2)]
    wait_for(lambda: len(smsc.all("held")) == 2, what="two submits in the window")
    later = [d.send(text=f"waiting {i}") for i in range(2)]
    wait_for(lambda: d.log().count("waits for the window") == 2,
             what="two more waiting in the plugin")
    return first, later


def restart(d, smsc):
    binds = len([b for b in smsc.all("bind") if b["ok"]])
    d.stop()
    d.start()
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) > binds, 10, what="a rebind")


def test_stop_drains_the_window_before_unbind(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, window=2, response_timeout="5s")
    first, later = window_held_and_waiting(d, smsc)
    d.proc.send_signal(signal.SIGTERM)
    # The waiting two go back to the engine; the window is waited for.
    wait_for(lambda: "finishing 2 sends in flight" in d.log(), what="the drain")
    assert not smsc.all("unbind") and d.proc.poll() is None
    smsc.cmd(cmd="release")
    assert d.proc.wait(10) == 0
    wait_for(lambda: smsc.all("unbind"), what="unbind")
    kinds = [e["ev"] for e in smsc.events if e["ev"] in ("submit", "unbind")]
    assert kinds == ["submit", "submit", "unbind"], kinds   # answers first, then unbind
    restart(d, smsc)
    for mid in first:    # answered during the drain: accepted, not in doubt
        m = d.wait_status(mid, "accepted")
        assert len(m["attempts"]) == 1 and "review" not in json.dumps(m), m
    for mid in later:    # never sent: sent after the restart
        d.wait_status(mid, "accepted")
    texts = [s["text"] for s in smsc.all("submit") if s.get("id")]
    assert sorted(texts) == ["in flight 0", "in flight 1", "waiting 0", "waiting 1"]


def test_stop_with_an_unanswered_window_is_bounded_and_in_doubt(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, window=2, response_timeout="1s")
    first, later = window_held_and_waiting(d, smsc)
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(10) == 0
    # response_timeout (1 s) bounds it, plus the session's tick
    assert time.monotonic() - t0 < 3, time.monotonic() - t0
    assert "no submit_sm_resp in 1000 ms" in d.log()
    smsc.cmd(cmd="hold", on=False)
    restart(d, smsc)
    for mid in first:
        m = d.wait_status(mid, "failed")
        assert "review:" in json.dumps(m), m
    for mid in later:
        d.wait_status(mid, "accepted")
    assert sorted(s["text"] for s in smsc.all("submit")) == ["waiting 0", "waiting 1"]


def test_kill9_sends_in_flight_to_review(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, window=2, response_timeout="5s")
    first, later = window_held_and_waiting(d, smsc)
    d.kill9()
    smsc.cmd(cmd="hold", on=False)
    d.start()
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) == 2, 10, what="a rebind")
    # Every `sending` attempt is in doubt to the engine (it cannot know
    # which were written): review, none sent again.
    for mid in first + later:
        m = d.wait_status(mid, "failed")
        assert "review: the daemon stopped while sending" in json.dumps(m), m
    mid, _ = accepted(d, text="after the crash")
    assert [s["text"] for s in smsc.all("submit")] == ["after the crash"]


def test_reload_drains_the_old_window_while_the_new_bind_sends(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, window=2, response_timeout="5s")
    first, later = window_held_and_waiting(d, smsc)
    cfg = d.cfg
    cfg["plugins"]["smsc"]["enquire_link"] = "29s"     # any change makes a new instance
    d.write_config(cfg)
    d.ok("config.reload")
    # The new instance binds; the two never sent go to it while the old
    # window is still held.
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) == 2, what="the new bind")
    wait_for(lambda: len(smsc.all("held")) == 4, what="the waiting two on the new bind")
    new_sid = [b for b in smsc.all("bind") if b["ok"]][1]["sid"]
    assert sorted(h["text"] for h in smsc.all("held") if h["sid"] == new_sid) == \
        ["waiting 0", "waiting 1"]
    assert not smsc.all("unbind")
    smsc.cmd(cmd="release")
    for mid in first + later:
        m = d.wait_status(mid, "accepted")
        assert "review" not in json.dumps(m), m
    # The old bind, its window answered, is unbound; the new one stays.
    wait_for(lambda: smsc.all("unbind"), what="the old bind's unbind")
    assert [u["sid"] for u in smsc.all("unbind")] == [smsc.first("bind")["sid"]]
    texts = [s["text"] for s in smsc.all("submit") if s.get("id")]
    assert sorted(texts) == ["in flight 0", "in flight 1", "waiting 0", "waiting 1"]


def test_two_binds_share_the_window_round_robin(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc, binds=2, window=4, response_timeout="10s")
    wait_for(lambda: len([b for b in smsc.all("bind") if b["ok"]]) == 2, what="two binds")
    sids = sorted(b["sid"] for b in smsc.all("bind") if b["ok"])
    assert [b["cmd"] for b in smsc.all("bind")] == ["bind_transceiver"] * 2
    wait_for(lambda: "transceiver 2/2)" in d.log() and "transceiver 1/2)" in d.log(),
             what="the daemon bound twice")
    smsc.cmd(cmd="hold", on=True)
    mids = [d.send(text=f"rr {i}") for i in range(6)]
    wait_for(lambda: d.log().count("waits for the window") == 2,
             what="two waiting in the plugin")
    # Barrier on both connections (see test_window_full...): the window of
    # 4 is the instance's, not each bind's, taken one PDU per bind in turn.
    smsc.cmd(cmd="enquire")
    wait_for(lambda: len(smsc.all("enquire_link_resp")) == 2, what="both enquire_link_resp")
    held = smsc.all("held")
    assert len(held) == 4 and sorted(h["sid"] for h in held) == [sids[0]] * 2 + [sids[1]] * 2
    smsc.cmd(cmd="release")
    for mid in mids:
        d.wait_status(mid, "accepted")
    subs = smsc.all("submit")
    assert sorted(s["text"] for s in subs) == sorted(f"rr {i}" for i in range(6))
    assert sorted(s["sid"] for s in subs) == [sids[0]] * 3 + [sids[1]] * 3
    # A receipt on either bind folds the same way.
    smsc.cmd(cmd="receipt", id=subs[-1]["id"], stat="DELIVRD")
    d.wait_status(next(m for m in mids if d.status(m)["attempts"][-1]["provider_id"] ==
                       subs[-1]["id"]), "delivered")
    # One bind lost: the other carries on, nothing waits for the reconnect.
    smsc.cmd(cmd="close_one", sid=sids[0])
    wait_for(lambda: "connection lost" in d.log(), what="the daemon saw one bind go")
    mid = d.send(text="over the other bind")
    m = d.wait_status(mid, "accepted")
    assert len(m["attempts"]) == 1 and "not bound" not in json.dumps(m), m
    [s] = [s for s in smsc.all("submit") if s["text"] == "over the other bind"]
    assert s["sid"] != sids[0]


def test_unbind_at_shutdown(make_daemon, tmp_path, smsc):
    d = start(make_daemon, tmp_path, smsc)
    assert d.stop() == 0
    wait_for(lambda: smsc.all("unbind"), what="unbind")
