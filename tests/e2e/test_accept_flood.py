"""Out of file descriptors, the worker's metrics listener stops accepting
for a while instead of retrying in a busy loop, logs its accept errors at
most once a second, and answers again once connections are closed."""
import os
import re
import resource
import socket
import subprocess
import time

import worklib
from e2elib import free_port

start_worker = worklib.start_worker
wenv = worklib.wenv

ACCEPT_LINE = re.compile(r"(?m)^.*accept.*$", re.IGNORECASE)


def accept_lines(log):
    return ACCEPT_LINE.findall(log)


def metrics_status(url):
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "5", "-w",
                        "%{http_code}", url], capture_output=True,
                       text=True, timeout=20)
    return p.stdout


def test_accept_errors_do_not_flood(wenv, start_worker):
    port = free_port()
    conf = wenv.write_conf("flood.ini",
                           settings={"metrics": f"127.0.0.1:{port}"})
    w = start_worker(conf, name="flood.log")
    url = f"http://127.0.0.1:{port}/metrics"
    assert metrics_status(url) == "200"
    began = time.monotonic()
    # A few descriptors to spare, and no more.
    nfds = len(os.listdir(f"/proc/{w.pid}/fd"))
    resource.prlimit(w.pid, resource.RLIMIT_NOFILE, (nfds + 4, nfds + 4))

    conns = []
    try:
        # Each connection completes in the kernel's backlog whether or not
        # the worker accepts it.  More of them than the worker has
        # descriptors for, held while the errors go on: at least two
        # seconds from the first error, and until the log has three lines
        # of them (a bounded log writes one a second).
        deadline = time.monotonic() + 60
        first = None
        while True:
            n = len(accept_lines(w.log()))
            now = time.monotonic()
            if n and first is None:
                first = now
            if n >= 3 and now - first >= 2:
                break
            assert now < deadline, \
                "not three accept errors in the log:\n" + w.log()
            if len(conns) < 64:
                conns.append(socket.create_connection(("127.0.0.1", port)))
            else:
                time.sleep(0.05)
        assert w.running()
    finally:
        for c in conns:
            c.close()

    # The connections closed, the listener accepts again.
    deadline = time.monotonic() + 30
    while metrics_status(url) != "200":
        assert time.monotonic() < deadline, \
            "metrics do not answer again:\n" + w.log()
        time.sleep(0.1)

    rc = w.stop()
    w.check_stopped_cleanly(rc)
    seconds = time.monotonic() - began
    lines = accept_lines(w.log())
    assert len(lines) <= seconds + 3, \
        f"{len(lines)} accept lines in {seconds:.1f} s:\n" + \
        "\n".join(lines[:20])
    assert any("Too many open files" in x for x in lines), lines[:20]
