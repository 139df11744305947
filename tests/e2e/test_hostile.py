"""The public listener against hostile clients: slow-loris connections
(trickling a head, or never starting TLS) from one address and from many,
a body sent too slowly, conflicting lengths, HEAD.  Whatever they do, a
normal visitor from another address gets the form and sends a tip.

Attackers connect from 127.0.0.2 and up; the visitor from 127.0.0.1."""
import os
import re
import socket
import ssl
import threading
import time

import pytest

from e2elib import SANITIZED, curl, free_port, set_key
from tiplib import receipt_code, submit, tip_fields, tip_row


def conf_with(keys_dir, workdir, port, **intake):
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    for k, v in intake.items():
        t, _ = set_key(t, "intake", k, str(v))
    return keys_dir.variant(workdir, text=t)


def tcp(port, src="127.0.0.1", timeout=20):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(src, 0))


def tls(port, src="127.0.0.1", timeout=20):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(tcp(port, src, timeout))


def closed_by_server(s, deadline, piece=None):
    """True once the server has closed s (recv sees the end), False at the
    deadline; with a piece, sends it every 0.2 s meanwhile."""
    s.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            if piece is not None:
                s.send(piece)
            if s.recv(4096) == b"":
                return True
        except (socket.timeout, TimeoutError):
            continue
        except (ssl.SSLError, OSError):
            return True
    return False


def raw_exchange(s, request):
    """Sends one request on s and reads one answer: (status, headers,
    body), the body by its Content-Length."""
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def visitor_sends_a_tip(it, pg, keys_dir):
    """The normal visitor: the form, then a tip that is stored."""
    r = curl(f"{it.url}/fi", max_time=30)
    assert r.status == 200 and b"<form" in r.body
    fields = tip_fields(description="Häiriköinti verkossa, kuvakaappaus "
                        "ei tallessa. Viesti oli uhkaava.", lang="fi")
    r = submit(it.url, fields, max_time=30)
    assert r.status == 200, r.status
    code = receipt_code(r.body.decode())
    assert tip_row(pg, keys_dir, code) is not None


class Loris:
    """n connections from the given source addresses: "trickle" ones
    finish TLS and send a head a byte at a time; "raw" ones never start
    TLS.  Connections the server closes are opened again, until stop()."""

    def __init__(self, port, sources, n, kind):
        self.port, self.sources, self.n, self.kind = port, sources, n, kind
        self.socks = []
        self.opened = self.reopened = 0
        self.done = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def connect(self, i):
        src = self.sources[i % len(self.sources)]
        try:
            if self.kind == "raw":
                s = tcp(self.port, src, timeout=10)
            else:
                s = tls(self.port, src, timeout=10)
                s.sendall(b"GET /fi HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            self.opened += 1
            return s
        except (OSError, ssl.SSLError):
            return None

    def run(self):
        self.socks = [self.connect(i) for i in range(self.n)]
        while not self.done.wait(0.5):
            for i, s in enumerate(self.socks):
                try:
                    if s is None:
                        raise OSError
                    if self.kind == "trickle":
                        s.send(b"X")
                    elif s.recv(1) == b"":
                        raise OSError
                except (BlockingIOError, ssl.SSLWantReadError,
                        ssl.SSLWantWriteError):
                    pass
                except (OSError, ssl.SSLError):
                    if s is not None:
                        s.close()
                    self.socks[i] = self.connect(i)
                    self.reopened += 1
                if self.done.is_set():
                    break

    def start(self):
        self.t.start()
        deadline = time.monotonic() + 120
        while self.opened < self.n and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def stop(self):
        self.done.set()
        self.t.join(30)
        for s in self.socks:
            if s is not None:
                s.close()


@pytest.mark.parametrize("kind", ["trickle", "raw"])
def test_slow_loris_from_one_address(keys_dir, start_intake, workdir, pg,
                                     kind):
    """400 connections from 127.0.0.2: it holds at most its share
    (max_connections_per_client), and a visitor from 127.0.0.1 gets the
    form and sends a tip."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port,
                                max_connections_per_client=16), port)
    loris = Loris(port, ["127.0.0.2"], 400, kind).start()
    try:
        visitor_sends_a_tip(it, pg, keys_dir)
        open_fds = len(os.listdir(f"/proc/{it.proc.pid}/fd"))
        # 16 of the attacker's, the visitor's few, the daemon's own.
        assert open_fds < 16 + 100, open_fds
    finally:
        loris.stop()


@pytest.mark.parametrize("kind", ["trickle", "raw"])
def test_slow_loris_from_many_addresses(keys_dir, start_intake, workdir, pg,
                                        kind):
    """400 connections from 100 addresses fill every slot
    (max_connections 64): the oldest give theirs up to new visitors."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port,
                                max_connections=64), port)
    sources = [f"127.0.0.{i}" for i in range(2, 102)]
    loris = Loris(port, sources, 400, kind).start()
    try:
        visitor_sends_a_tip(it, pg, keys_dir)
    finally:
        loris.stop()


def test_head_trickle_is_cut_at_the_deadline(keys_dir, start_intake,
                                              workdir):
    """A head sent a byte every 0.2 s: each byte used to reset the idle
    timer, so the connection was held for as long as the client liked.
    Now the whole head must come within header_timeout."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port,
                                header_timeout="2s"), port)
    s = tls(port, "127.0.0.2")
    s.sendall(b"GET /fi HTTP/1.1\r\n")
    assert closed_by_server(s, time.monotonic() + 30, b"X")
    assert it.proc.poll() is None


def test_tls_less_connection_is_cut(keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port,
                                handshake_timeout="1s"), port)
    s = tcp(port, "127.0.0.2")
    assert closed_by_server(s, time.monotonic() + 30)
    assert it.proc.poll() is None


def test_slow_body_is_cut(keys_dir, start_intake, workdir):
    """A body announced as 1 MB and sent at 20 bytes a second falls under
    min_rate after its grace, and the connection is closed."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port, min_rate="1K"),
                      port)
    s = tls(port, "127.0.0.2")
    s.sendall(b"POST /tip HTTP/1.1\r\nHost: x\r\nContent-Type: "
              b"application/x-www-form-urlencoded\r\n"
              b"Content-Length: 1000000\r\n\r\n")
    assert closed_by_server(s, time.monotonic() + 60, b"desc")


def test_head_has_length_and_no_body(intake):
    """HEAD gets the headers GET would, with the length of GET's body,
    and no body: the next request on the connection is read right."""
    s = tls(intake.port)
    st, h, rest = raw_exchange(
        s, b"GET /fi HTTP/1.1\r\nHost: x\r\n\r\n")
    length = int(h["content-length"])
    body = rest
    while len(body) < length:
        body += s.recv(65536)
    assert st == 200 and len(body) == length
    st, h, rest = raw_exchange(
        s, b"HEAD /fi HTTP/1.1\r\nHost: x\r\n\r\n")
    assert st == 200 and rest == b""
    assert int(h["content-length"]) == length
    assert "default-src 'none'" in h["content-security-policy"]
    # The same connection serves the next request.
    st, h, rest = raw_exchange(
        s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert st == 200
    s.close()


@pytest.mark.parametrize("lengths", [
    b"Content-Length: 5\r\nContent-Length: 6\r\n",
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Content-Length: 5, 6\r\n",
], ids=["two-lengths", "length-and-chunked", "list"])
def test_conflicting_lengths_refused(intake, lengths):
    """A proxy in front could read such a request one way and the daemon
    another (request smuggling): 400, and the connection is closed."""
    s = tls(intake.port)
    st, h, _ = raw_exchange(
        s, b"POST /tip HTTP/1.1\r\nHost: x\r\n" + lengths +
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nab=cd")
    assert st == 400
    assert h.get("connection") == "close"
    assert "default-src 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert closed_by_server(s, time.monotonic() + 20)


def test_garbage_head_gets_headers(intake):
    s = tls(intake.port)
    st, h, body = raw_exchange(s, b"GET /fi HTTP/1.1\r\nBad Header\r\n\r\n")
    assert st == 400
    assert "default-src 'none'" in h["content-security-policy"]
    assert re.search(rb"<html", body) or int(h["content-length"]) > 0


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def upload_head(boundary, text):
    return (f"--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"description\"\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"screenshot\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode()


def start_upload(port, src, total, sent, text, boundary="loadbound"):
    """A tip of total bytes announced; sends its description and the first
    sent bytes of a screenshot, and leaves the rest unsent."""
    s = tls(port, src)
    s.sendall(b"POST /tip HTTP/1.1\r\nHost: x\r\nContent-Type: "
              b"multipart/form-data; boundary=" + boundary.encode() +
              b"\r\nContent-Length: " + str(total).encode() + b"\r\n\r\n")
    s.sendall(upload_head(boundary, text))
    chunk = b"\x89PNG" + b"\0" * (1 << 20)
    left = sent
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
    return s


def socket_queues(port):
    """(unread, unsent): bytes the kernel holds for the server's sockets of
    port that it has not read yet, and bytes its clients have sent that it
    has not taken (from /proc/net/tcp)."""
    unread = unsent = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            col = line.split()
            local, remote = (int(a.split(":")[1], 16) for a in col[1:3])
            tx, rx = (int(q, 16) for q in col[4].split(":"))
            if local == port:
                unread += rx
            elif remote == port:
                unsent += tx
    return unread, unsent


def wait_read_by_server(port, timeout=120):
    """Until the server has read everything sent to it: sendall returns
    once the kernel has the bytes, and a busy or sanitized server may not
    have read them yet."""
    deadline = time.monotonic() + timeout
    while (q := socket_queues(port)) != (0, 0):
        assert time.monotonic() < deadline, f"not read by the server: {q}"
        time.sleep(0.1)


def finish_upload(port, src, text):
    """A whole tip with a 1 MB file that is no picture, sent at once;
    returns (status, page)."""
    tail = b"\r\n--loadbound--\r\n"
    size = len(upload_head("loadbound", text)) + (1 << 20) + len(tail)
    s = start_upload(port, src, size, 1 << 20, text)
    s.sendall(tail)
    data = b""
    s.settimeout(30)
    while b"</html>" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    s.close()
    return int(data.split()[1]), data.decode("utf-8", "replace")


def test_unfinished_uploads_hold_bounded_memory(keys_dir, start_intake,
                                                workdir, pg):
    """20 uploads of 40 MB from 20 addresses, each sending 8 MB of a
    screenshot and then only a trickle: the whole body used to be
    buffered (160 MB); now the screenshots of all uploads together stay
    under upload_memory (64M here).  Once they have crawled for a while,
    a tip sent at once gets its memory from them (its file is then looked
    at: no picture, so 422 instead of 503)."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port, upload_memory="64M",
                                min_rate=256), port)
    before = rss_kib(it.proc.pid)
    socks = [start_upload(port, f"127.0.1.{i + 2}", 40 << 20, 8 << 20,
                          f"Keskeneräinen lähetys {i}")
             for i in range(20)]
    wait_read_by_server(port)
    stop = threading.Event()

    def trickle():  # 400 bytes a second each: over min_rate, a crawl
        while not stop.wait(0.5):
            for s in socks:
                try:
                    s.sendall(b"\0" * 200)
                except OSError:
                    pass

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        grown = rss_kib(it.proc.pid) - before
        # 64 MiB of screenshots, and room for TLS and parser buffers.
        # (AddressSanitizer keeps freed memory in quarantine: RSS says
        # nothing there.)
        assert SANITIZED or grown < 64 * 1024 + 32 * 1024, grown
        text = "Kokonainen vihje, joka lähetettiin kerralla."
        deadline = time.monotonic() + 90
        tries = 0
        while True:
            tries += 1
            status, page = finish_upload(port, f"127.0.2.{tries + 1}", text)
            assert text in page
            if status == 422 or time.monotonic() > deadline:
                break
            assert status == 503, page[:300]
            time.sleep(1)
        assert status == 422, page[:300]
    finally:
        stop.set()
        t.join(10)
        for s in socks:
            s.close()
    visitor_sends_a_tip(it, pg, keys_dir)


def test_one_client_gets_its_share_of_upload_memory(keys_dir, start_intake,
                                                    workdir, pg):
    """One address with five stalled 9 MB screenshots holds one tip's worth
    of memory (5 x 10 MB): its sixth tip gets 503 with its text back,
    while a tip from another address still goes in."""
    port = free_port()
    it = start_intake(conf_with(keys_dir, workdir, port), port)
    socks = [start_upload(port, "127.0.3.2", 40 << 20, 9 << 20,
                          f"Jumissa {i}") for i in range(5)]
    wait_read_by_server(port)
    try:
        text = "Kuudes vihje samasta osoitteesta."
        status, page = finish_upload(port, "127.0.3.2", text)
        assert status == 503, page[:300]
        assert text in page
        status, page = finish_upload(port, "127.0.3.3", text)
        assert status == 422, page[:300]
    finally:
        for s in socks:
            s.close()
    visitor_sends_a_tip(it, pg, keys_dir)


def test_many_small_headers_refused(intake):
    """A head of many empty headers is small on the wire and large in
    memory: past 100 headers, 431 with our headers."""
    s = tls(intake.port)
    st, h, _ = raw_exchange(s, b"GET /fi HTTP/1.1\r\nHost: x\r\n" +
                            b"a:\r\n" * 150 + b"\r\n")
    assert st == 431
    assert "default-src 'none'" in h["content-security-policy"]
    s.close()
