"""Limits: whatever clients send, the daemon's memory stays bounded and
it keeps answering; past its upload capacity it says 503 and re-shows the
form with what was typed."""
import socket
import ssl
import subprocess
import threading
import time

import pytest

from e2elib import INTAKE_BIN, ROOT, SANITIZED, free_port, run, set_key
from tiplib import (counts, file_arg, receipt_code, submit, tip_fields,
                    tip_row)

# CFG_MAX_FILES_PER_TIP (lib/cfg.h): the most screenshots a tip may have,
# in the configuration, the intake and the database alike.
MAX_FILES = 5

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def tls_socket(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw)


def small_limits(keys_dir, workdir, port, extra=None):
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    t, _ = set_key(t, "limits", "files_per_tip", "1")
    t, _ = set_key(t, "limits", "max_file_bytes", "1M")
    for (sec, key), val in (extra or {}).items():
        t, _ = set_key(t, sec, key, val)
    return keys_dir.variant(workdir, text=t)


def test_ten_thousand_tiny_parts(keys_dir, start_intake, workdir, curl):
    port = free_port()
    it = start_intake(small_limits(keys_dir, workdir, port), port)
    b = "x"
    body = "".join(f'--{b}\r\nContent-Disposition: form-data; name="motive"'
                   f'\r\n\r\nethnic\r\n' for _ in range(10000)) + f"--{b}--\r\n"
    path = workdir / "parts"
    path.write_text(body)
    t = time.monotonic()
    r = curl("-H", f"Content-Type: multipart/form-data; boundary={b}",
             "--data-binary", f"@{path}", f"https://127.0.0.1:{port}/tip")
    assert r.status == 400
    assert "Lomakkeen tietoja ei voitu lukea" in r.text
    assert time.monotonic() - t < 5
    assert curl(f"https://127.0.0.1:{port}/healthz").status == 200


def test_endless_body_is_cut_off(keys_dir, start_intake, workdir, curl):
    """A chunked body that never ends is refused at the body limit."""
    port = free_port()
    it = start_intake(small_limits(keys_dir, workdir, port), port)
    before = rss_kib(it.proc.pid)
    s = tls_socket(port)
    s.sendall(b"POST /tip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              b"Content-Type: multipart/form-data; boundary=x\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b"a" * 65536 + b"\r\n"
    sent, refused = 0, False
    try:
        while sent < 64 << 20:
            s.sendall(chunk)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
        refused = True
    if not refused:
        s.settimeout(5)
        head = s.recv(4096)
        refused = b" 413 " in head or head == b""
    s.close()
    assert refused, "64 MiB accepted against a ~1 MiB limit"
    assert sent < 16 << 20, f"{sent} bytes read before refusing"
    # AddressSanitizer keeps freed memory in quarantine: RSS says nothing
    # there.
    assert SANITIZED or rss_kib(it.proc.pid) - before < 32 * 1024
    assert curl(f"https://127.0.0.1:{port}/healthz").status == 200


def test_slow_clients_cannot_take_the_memory(keys_dir, start_intake, workdir,
                                              curl):
    """Slowloris: connections dribbling a request head hold every slot.
    A new visitor still gets one (the oldest slow connection gives it up),
    and memory stays flat."""
    port = free_port()
    conf = small_limits(keys_dir, workdir, port,
                        {("intake", "max_connections"): "8"})
    it = start_intake(conf, port)
    before = rss_kib(it.proc.pid)
    socks = []
    for _ in range(8):
        s = tls_socket(port)
        s.sendall(b"GET /fi HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    r = curl("--max-time", "20", f"https://127.0.0.1:{port}/healthz")
    assert r.status == 200
    # The oldest slow connection was closed to make room.
    socks[0].settimeout(20)
    try:
        assert socks[0].recv(1) == b""
    except (ssl.SSLError, ConnectionResetError):
        pass
    for s in socks[1:]:
        s.sendall(b"a")
    assert rss_kib(it.proc.pid) - before < 16 * 1024
    for s in socks:
        s.close()


def test_busy_answer_keeps_the_text(keys_dir, start_intake, workdir):
    """Past max_uploads in progress: 503, Retry-After, and the form with
    the tipster's text."""
    port = free_port()
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    t, _ = set_key(t, "intake", "max_uploads", "1")
    t, _ = set_key(t, "intake", "threads", "1")
    it = start_intake(keys_dir.variant(workdir, text=t), port)
    shot = workdir / "shot.png"
    subprocess.run(["python3", str(ROOT / "bench" / "make_png.py"),
                    str(shot)], check=True)
    procs = []
    for i in range(12):
        out = workdir / f"out{i}"
        hdr = workdir / f"hdr{i}"
        procs.append((subprocess.Popen(
            ["curl", "-sk", "--max-time", "60", "-o", str(out), "-D",
             str(hdr), "-F", f"description=ruuhkatesti {i}",
             "-F", "channel=online", "-F", f"screenshot=@{shot}",
             f"https://127.0.0.1:{port}/tip"]), out, hdr, i))
    busy = ok = 0
    for p, out, hdr, i in procs:
        assert p.wait(90) == 0
        head = hdr.read_text()
        status = int(head.split()[1])
        if status == 503:
            busy += 1
            assert "retry-after:" in head.lower()
            body = out.read_text()
            assert f">\nruuhkatesti {i}</textarea>" in body
            assert "ruuhkautunut" in body
        else:
            assert status == 200, head
            ok += 1
    assert busy >= 1 and ok >= 1, (busy, ok)


def test_files_per_tip_over_the_limit_is_refused(keys_dir, workdir):
    """More than the intake and the database take is a configuration
    error naming file, line and key, not a limit cut down in silence."""
    t, lineno = set_key(keys_dir.abs_text(), "limits", "files_per_tip",
                        str(MAX_FILES + 1))
    conf = keys_dir.variant(workdir, text=t)
    p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert f"{conf}:{lineno}: [limits] files_per_tip: too large " \
        f"(allowed 0 to {MAX_FILES})" in p.stderr


@pytest.mark.parametrize("limit", [MAX_FILES, 2])
def test_files_per_tip_exactly(keys_dir, start_intake, workdir, pg, curl,
                               limit):
    """The form says files_per_tip; a tip with exactly that many
    screenshots is stored with all of them, one more gets the form back
    and stores nothing."""
    port = free_port()
    t, _ = set_key(keys_dir.abs_text(), "limits", "files_per_tip",
                   str(limit))
    start_intake(keys_dir.variant(workdir, port=port, text=t), port)
    url = f"https://127.0.0.1:{port}"
    assert f'data-max-files="{limit}"' in curl(f"{url}/en").text
    files = [file_arg("plain.png", filename=f"shot{i}.png")
             for i in range(limit + 1)]

    before = counts(pg)
    r = submit(url, tip_fields(), files)
    assert r.status == 422, r.text[:2000]
    assert "too many pictures" in r.text
    assert counts(pg) == before

    r = submit(url, tip_fields(), files[:limit])
    assert r.status == 200, r.text[:2000]
    tip = tip_row(pg, keys_dir, receipt_code(r.text))
    assert tip["nattachments"] == limit
    assert [a["seq"] for a in tip["attachments"]] == \
        list(range(1, limit + 1))
