"""The HTTP front holds under abuse (issue 11): header and body deadlines a
trickle does not extend, the connection cap, the accept pause at the fd
limit, the throttle of failed API keys, and /metrics as valid Prometheus
exposition. Loopback only; every wait is bounded."""
import http.client
import os
import resource
import select
import socket
import time

from prometheus_client.parser import text_string_to_metric_families

from conftest import wait_for


def addr(d):
    host, port = d.cfg["daemon"]["http_listen"].rsplit(":", 1)
    return host, int(port)


def get(d, path, key=None, conn=None):
    c = conn or http.client.HTTPConnection(*addr(d), timeout=10)
    h = {"X-API-Key": key} if key else {}
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace"), r
    finally:
        if conn is None:
            c.close()


def metrics(d):
    code, text, _ = get(d, "/metrics")
    assert code == 200
    return text


def sample(text, name, labels=None):
    """The value of one series, parsed by the Prometheus client's parser."""
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and (labels is None or s.labels == labels):
                return s.value
    return None


def trickle_until_closed(sock, byte, every, limit):
    """Send `byte` every `every` seconds until the peer closes; the seconds
    that took, or None if still open after `limit` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            sock.sendall(byte)
        except OSError:
            return time.monotonic() - start
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            try:
                if sock.recv(4096) == b"":
                    return time.monotonic() - start
            except OSError:
                return time.monotonic() - start
    return None


def test_trickled_headers_are_cut_at_the_header_deadline(make_daemon):
    d = make_daemon(http_header_timeout="500ms", http_body_timeout="5s")
    with socket.create_connection(addr(d), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        took = trickle_until_closed(s, b"X", 0.05, 5)
    assert took is not None, "a trickle kept the connection open past the header deadline"
    assert took < 3, took
    text = metrics(d)
    assert sample(text, "sb_http_deadline_closes_total", {"phase": "headers"}) == 1
    assert "request headers not complete within daemon.http_header_timeout" in d.log()


def test_trickled_body_is_cut_at_the_body_deadline(make_daemon):
    d = make_daemon(http_header_timeout="5s", http_body_timeout="500ms")
    with socket.create_connection(addr(d), timeout=5) as s:
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-API-Key: test-key\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n")
        took = trickle_until_closed(s, b" ", 0.05, 5)
    assert took is not None and took < 3, took
    assert sample(metrics(d), "sb_http_deadline_closes_total", {"phase": "body"}) == 1


def test_keep_alive_requests_each_get_a_fresh_deadline(make_daemon):
    d = make_daemon(http_header_timeout="400ms")
    c = http.client.HTTPConnection(*addr(d), timeout=5)
    # Several requests on one connection, spread over more than one deadline.
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        assert get(d, "/healthz", conn=c)[0] == 200
    c.close()


def test_many_keep_alive_connections_each_find_their_own_deadline(make_daemon):
    d = make_daemon(http_header_timeout="400ms", http_body_timeout="60s")
    # Requests interleaved over 40 connections, one closed and a new one
    # opened each round, for longer than a deadline: each answer must find
    # its own connection to give it a fresh header deadline...
    conns = [http.client.HTTPConnection(*addr(d), timeout=5) for _ in range(40)]
    start, rounds = time.monotonic(), 0
    while time.monotonic() - start < 1.0:
        for c in conns:
            assert get(d, "/healthz", conn=c)[0] == 200
        rounds += 1
        conns[rounds % 40].close()
        conns[rounds % 40] = http.client.HTTPConnection(*addr(d), timeout=5)
    assert rounds >= 3, rounds
    # ... so each one left idle is closed at it, not at the body deadline
    # its request's headers started (what a connection not found keeps).
    for c in conns:
        if c.sock is None:
            continue  # opened this round, never used
        c.sock.settimeout(5)
        assert c.sock.recv(1) == b"", "an idle connection outlived its header deadline"
        c.close()


def test_connections_past_the_cap_wait_for_a_free_slot(make_daemon):
    d = make_daemon(http_max_connections=3, http_header_timeout="30s")
    idle = [socket.create_connection(addr(d), timeout=5) for _ in range(2)]
    c = http.client.HTTPConnection(*addr(d), timeout=5)
    # The third connection is served, and sees all three.
    wait_for(lambda: sample(get(d, "/metrics", conn=c)[1], "sb_http_connections") == 3,
             what="3 connections counted")
    late = socket.create_connection(addr(d), timeout=5)
    late.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    readable, _, _ = select.select([late], [], [], 0.5)
    assert not readable, "a connection past the cap was served"
    idle[0].close()
    late.settimeout(5)
    assert late.recv(4096).startswith(b"HTTP/1.1 200")
    for s in idle[1:] + [late]:
        s.close()
    c.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_at_the_fd_limit_accept_pauses_instead_of_spinning(make_daemon):
    d = make_daemon(http_header_timeout="30s")
    hard = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)[1]
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (80, hard))
    socks = []
    try:
        for _ in range(100):
            socks.append(socket.create_connection(addr(d), timeout=5))
        # Wait until the daemon has stopped taking connections.
        wait_for(lambda: "pausing accept" in d.log(), what="the accept pause")
        before = cpu_seconds(d.proc.pid)
        t0 = time.monotonic()
        time.sleep(1.0)   # a window to measure CPU use in, not a wait for an event
        used = cpu_seconds(d.proc.pid) - before
        assert used < 0.3 * (time.monotonic() - t0), f"daemon used {used:.2f}s of CPU while paused"
    finally:
        for s in socks:
            s.close()
    # Room again: the daemon serves.
    wait_for(lambda: get(d, "/healthz")[0] == 200, what="/healthz after the pause")
    lines = [ln for ln in d.log().splitlines() if "accept" in ln]
    assert len(lines) < 10, lines


def test_failed_api_keys_are_throttled_per_address_and_counted(make_daemon):
    d = make_daemon()
    c = http.client.HTTPConnection(*addr(d), timeout=5)
    codes = [get(d, "/v1/messages", key=f"guess-{i}", conn=c)[0] for i in range(10)]
    assert codes == [401] * 10
    # The address now waits, whatever key it brings.
    code, body, r = get(d, "/v1/messages", key="test-key", conn=c)
    assert code == 429 and '"rate_limited"' in body, (code, body)
    assert int(r.getheader("Retry-After")) >= 1
    start = time.monotonic()
    more = [get(d, "/v1/messages", key=f"guess-more-{i}", conn=c)[0] for i in range(40)]
    elapsed = time.monotonic() - start
    assert more.count(401) <= int(elapsed) + 1, more
    c.close()
    text = metrics(d)
    failures = sample(text, "sb_http_auth_failures_total")
    assert failures == 10 + more.count(401)
    assert sample(text, "sb_http_auth_throttled_total") == 1 + more.count(429)
    logged = [ln for ln in d.log().splitlines() if "API key refused" in ln]
    assert 1 <= len(logged) <= 3, logged


LONG = "x" * 64   # the longest instance name the configuration accepts


def test_metrics_parse_with_several_instances_and_long_names(make_daemon):
    d = make_daemon(
        plugins={"fake": {"module": "test", "behaviour": "deliver", "receipt_after": "10ms"},
                 LONG: {"module": "test", "behaviour": "deliver", "receipt_after": "10ms"}},
        chains={"default": [{"channel": "fake"}], "long": [{"channel": LONG}]})
    ids = [d.send(chain=c, to=f"+55119999900{i:02d}") for i, c in
           enumerate(["default", "long", "default", "long", "long"])]
    for mid in ids:
        d.wait_status(mid, "delivered")
    text = metrics(d)
    names = [f.name for f in text_string_to_metric_families(text)]
    assert len(names) == len(set(names)), f"a family is split: {names}"
    for line in text.splitlines():
        assert not line.startswith("#") or line.split()[1] in ("HELP", "TYPE"), line
    types = [ln.split()[2] for ln in text.splitlines() if ln.startswith("# TYPE")]
    helps = [ln.split()[2] for ln in text.splitlines() if ln.startswith("# HELP")]
    assert len(types) == len(set(types)) and sorted(types) == sorted(helps)
    # Samples of a family are contiguous: no name comes back after another.
    seen, last = set(), None
    for ln in text.splitlines():
        if ln.startswith("#") or not ln:
            continue
        fam = ln.split("{")[0].split(" ")[0]
        for suffix in ("_bucket", "_sum", "_count"):
            if fam.startswith("sb_provider_latency_seconds") and fam.endswith(suffix):
                fam = "sb_provider_latency_seconds"
        if fam != last:
            assert fam not in seen, f"{fam} split in the exposition"
            seen.add(fam)
            last = fam
    results = [ln for ln in text.splitlines()
               if ln.startswith(f'sb_attempt_results_total{{instance="{LONG}"')]
    assert len(results) == len(set(r.rsplit(" ", 1)[0] for r in results)), results
    assert sample(text, "sb_attempt_results_total", {"instance": LONG, "outcome": "delivered"}) \
        == 3 or sample(text, "sb_attempt_results_total",
                       {"instance": LONG, "outcome": "accepted"}) == 3
    assert sample(text, "sb_queue_depth", {"instance": LONG}) == 0
    # Five messages stored, sent and delivered: some group commits, and a
    # WAL far too small to have been rewound.
    assert sample(text, "sb_store_commits_total") >= 1
    assert sample(text, "sb_store_wal_rewinds_total") == 0
    # Every commit wrote WAL frames (a 4 KiB page and its 24-byte header).
    assert sample(text, "sb_store_wal_bytes_total") >= 4096 + 24


def test_emfile_pauses_accept_instead_of_spinning(make_daemon):
    d = make_daemon(http_header_timeout="30s")
    # Fewer descriptors than the daemon already has open: every accept fails.
    soft, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (8, hard))
    socks = []
    try:
        for _ in range(5):
            socks.append(socket.create_connection(addr(d), timeout=5))
        wait_for(lambda: "http: accept: Too many open files; pausing accept" in d.log(),
                 what="the EMFILE pause")
        before = cpu_seconds(d.proc.pid)
        t0 = time.monotonic()
        time.sleep(1.5)   # a window to measure CPU use in, not a wait for an event
        used = cpu_seconds(d.proc.pid) - before
        assert used < 0.3 * (time.monotonic() - t0), f"daemon used {used:.2f}s of CPU"
    finally:
        for s in socks:
            s.close()
        resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
    wait_for(lambda: get(d, "/healthz")[0] == 200, what="/healthz after the pause")
    lines = [ln for ln in d.log().splitlines() if "http: accept" in ln]
    assert 1 <= len(lines) <= 3, lines


def read_answers(sock, n, limit=10.0):
    """Read from `sock` until `n` HTTP answers (with Content-Length) are in,
    or the peer closes; returns (answers as (status, body), closed)."""
    buf, answers, closed = b"", [], False
    deadline = time.monotonic() + limit
    while len(answers) < n and time.monotonic() < deadline:
        while b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            if len(rest) < length:
                break
            answers.append((int(head.split()[1]), rest[:length]))
            buf = rest[length:]
        if len(answers) >= n:
            break
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            buf += chunk
    if not closed:
        readable, _, _ = select.select([sock], [], [], 1.0)
        closed = bool(readable) and sock.recv(1) == b""
    return answers, closed


def submission(text, version="1.1", extra=""):
    body = ('{"to": "+5511999990001", "text": "%s"}' % text).encode()
    return (f"POST /v1/messages HTTP/{version}\r\nHost: x\r\nX-API-Key: test-key\r\n"
            f"Content-Type: application/json\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def test_answers_after_a_commit_are_written_at_once_and_keep_the_connection_right(make_daemon):
    """A submission's answer is written from the commit's callback, and
    evhttp told at once that it is done (core/http_api.c,
    sb_http_send_reply_now): pipelined requests on a keep-alive connection
    still get their answers in order, and HTTP/1.0 or `Connection: close`
    still closes after the answer."""
    d = make_daemon()
    with socket.create_connection(addr(d), timeout=10) as s:
        s.sendall(submission("one") + submission("two") + submission("three"))
        answers, closed = read_answers(s, 3)
        assert [a[0] for a in answers] == [202, 202, 202] and not closed
        s.sendall(submission("four"))
        answers, closed = read_answers(s, 1)
        assert [a[0] for a in answers] == [202] and not closed
    for request in (submission("old", version="1.0"),
                    submission("closing", extra="Connection: close\r\n")):
        with socket.create_connection(addr(d), timeout=10) as s:
            s.sendall(request)
            answers, closed = read_answers(s, 1)
            assert [a[0] for a in answers] == [202] and closed, (answers, closed)
    texts = sorted(m["text"] for m in d.ok("message.list")["messages"])
    assert texts == sorted(["one", "two", "three", "four", "old", "closing"])
