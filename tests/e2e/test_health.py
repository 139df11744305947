"""/healthz and the form while the database goes away and comes back.
These tests stop and start a private cluster, not the session's."""
import os
import signal
import subprocess
import time

import pytest

from e2elib import Page, private_cluster, set_key


@pytest.fixture(scope="module")
def private(keys_dir):
    """A cluster of this module's own, migrated, and a config for it."""
    with private_cluster(keys_dir, "health") as (pg, conf, port, _):
        yield pg, conf, port


def timed_get(url, curl):
    t = time.monotonic()
    r = curl(url, max_time=10, check=False)
    took = time.monotonic() - t
    assert r.rc == 0, f"{url}: no answer in {took:.1f} s ({r.stderr})"
    assert took < 5, f"{url}: answer took {took:.1f} s"
    return r


def poll_status(url, curl, want, within):
    deadline = time.monotonic() + within
    seen = []
    while True:
        r = timed_get(url, curl)
        seen.append(r.status)
        if r.status == want:
            return r
        assert time.monotonic() < deadline, \
            f"{url}: not {want} in {within} s: {seen[-10:]}"
        time.sleep(0.2)


def test_health_follows_the_database(private, start_intake, curl):
    pg, conf, port = private
    it = start_intake(conf, port)
    r = curl(f"{it.url}/healthz")
    assert (r.status, r.text.strip()) == (200, "ok")
    assert curl(f"{it.url}/sv").status == 200

    pg.stop()
    try:
        r = poll_status(f"{it.url}/healthz", curl, 503, 15)
        assert r.text.strip() != "ok"
        assert r.headers["cache-control"] == "no-store"
        for lang in ("fi", "sv", "en"):
            r = timed_get(f"{it.url}/{lang}", curl)
            # From memory; a clear 503 page would also do.
            assert r.status in (200, 503)
            if r.status == 200:
                assert len(Page(r.text).selects["municipality"]) == 309
        r = timed_get(f"{it.url}/static/tipline.css", curl)
        assert r.status == 200
    finally:
        pg.start()
    poll_status(f"{it.url}/healthz", curl, 200, 30)
    assert it.proc.poll() is None
    assert "connection" in it.log() and "down" in it.log()


def test_start_without_database(private, start_intake, curl):
    """The daemon starts while the database is down: not ready, the form a
    clear 503; once the database is up, both come back by themselves."""
    pg, conf, port = private
    pg.stop()
    try:
        it = start_intake(conf, port, wait=False)
        deadline = time.monotonic() + 20
        while True:
            r = curl(f"{it.url}/healthz", max_time=2, check=False)
            if r.rc == 0:
                break
            assert it.proc.poll() is None, it.log()
            assert time.monotonic() < deadline, "listener never came up"
            time.sleep(0.1)
        assert r.status == 503
        r = timed_get(f"{it.url}/healthz", curl)
        assert r.status == 503
        r = timed_get(f"{it.url}/sv", curl)
        assert r.status == 503
        assert r.headers["retry-after"].isdigit()
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "tillfällig störning" in r.text
        assert Page(r.text).errors == []
    finally:
        pg.start()
    poll_status(f"{it.url}/healthz", curl, 200, 30)
    r = poll_status(f"{it.url}/fi", curl, 200, 5)
    assert len(Page(r.text).selects["municipality"]) == 309


def backends(pg, user="tipline_intake"):
    out = pg.psql("SELECT pid FROM pg_stat_activity "
                  f"WHERE usename = '{user}'")
    return [int(x) for x in out.split()]


def test_sigterm_with_query_in_flight(private, keys_dir, start_intake,
                                      workdir, curl):
    """A request waits on a database that does not answer; SIGTERM, and the
    grace period ends before the query: the daemon exits 0, without
    touching freed memory (run under ASan to see it)."""
    pg, conf, port = private
    text = conf.read_text()
    text, _ = set_key(text, "intake", "shutdown_grace", "1s")
    text, _ = set_key(text, "database", "query_timeout", "60s")
    conf2 = keys_dir.variant(workdir, text=text)
    it = start_intake(conf2, port)
    pids = backends(pg)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        hang = subprocess.Popen(["curl", "-sk", "--max-time", "20", "-o",
                                 "/dev/null", "-w", "%{http_code}",
                                 f"{it.url}/healthz"],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        assert hang.poll() is None, "healthz answered without the database"
        rc = it.stop(signal.SIGTERM)
        hang.wait(60)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    it.check_stopped_cleanly(rc)
    assert "grace period over" in it.log()
