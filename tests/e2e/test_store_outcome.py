"""What the tipster is told when storing a tip is slow or breaks off: the
page must agree with the database.  The tip table is locked from a psql
session of its own (kept open in the background), so that tip_submit()
waits; the lock is then released in time, held past the query deadline,
or the waiting backend is terminated.

"Nothing was stored" must be true for good (no tip ever commits after
it); when the outcome cannot be known, the page shows the receipt code
with the advice to look it up, never "nothing was stored"."""
import html
import json
import subprocess
import time

from e2elib import BROWSER_DIR, Page, free_port, messages, set_key
from tiplib import (code_is_valid, receipt_code, receipt_hash,
                    status_lookup, submit_bg, tip_fields)

EN = messages("en")
TYPED = "Threats in a group chat <again> & again\r\nSecond line"


class TipLock:
    """LOCK TABLE tip in a psql process of its own, held until release()
    (or until the test ends: closing psql's input rolls back)."""

    def __init__(self, pg):
        self.pg = pg
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg.host,
             "-p", str(pg.port), "-U", "postgres", "-d", "tipline"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write(
            "BEGIN;\nLOCK TABLE tip IN ACCESS EXCLUSIVE MODE;\n")
        self.proc.stdin.flush()
        poll(lambda: self._held() or self.proc.poll() is not None,
             "the lock was never taken")
        assert self.proc.poll() is None, self.proc.stderr.read()

    def _held(self):
        return int(self.pg.psql(
            "SELECT count(*) FROM pg_locks WHERE relation = 'tip'::regclass"
            " AND mode = 'AccessExclusiveLock' AND granted")) > 0

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("ROLLBACK;\n")
            self.proc.stdin.close()
            self.proc.wait(30)


def poll(cond, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def waiting_backends(pg):
    """Backends of the intake waiting on a lock in tip_submit()."""
    out = pg.psql("SELECT pid FROM pg_stat_activity WHERE "
                  "wait_event_type = 'Lock' AND query LIKE '%tip_submit%'")
    return [int(x) for x in out.split()]


def tip_submit_running(pg):
    out = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                  "state <> 'idle' AND query LIKE '%tip_submit(%' AND "
                  "pid <> pg_backend_pid()")
    return int(out) > 0


def ntips(pg):
    return int(pg.psql("SELECT count(*) FROM tip"))


def stored(pg, env, code):
    h = receipt_hash(env, code).hex()
    return int(pg.psql("SELECT count(*) FROM tip WHERE receipt_hash = "
                       f"'\\x{h}'::bytea")) == 1


def intake_with(keys_dir, workdir, start_intake, **db):
    port = free_port()
    text = keys_dir.abs_text()
    for k, v in db.items():
        text, _ = set_key(text, "database", k, v)
    return start_intake(keys_dir.variant(workdir, port=port, text=text), port)


def submit_waiting(it, pg, workdir, name):
    """Submits a tip and waits until its INSERT waits on the lock; returns
    the background curl."""
    before = set(waiting_backends(pg))
    bg = submit_bg(it.url, tip_fields(description=TYPED), workdir / name,
                   max_time=60)
    poll(lambda: set(waiting_backends(pg)) - before or
         bg.proc.poll() is not None, "the tip never waited on the lock")
    assert bg.proc.poll() is None, bg.result().text[:2000]
    return bg


def nothing_stored(r):
    return r.status == 503 and "Nothing was stored" in r.text and \
        'id="receipt-code"' not in r.text


def unconfirmed(r):
    """The page of an unknown outcome; returns its receipt code."""
    assert r.status == 202, f"{r.status}:\n{r.text[:3000]}"
    assert "Nothing was stored" not in r.text
    assert Page(r.text).errors == []
    assert html.escape(EN["receipt.unconfirmed.title"]) in r.text
    assert html.escape(EN["receipt.unconfirmed.text"]) in r.text
    code = receipt_code(r.text)
    assert code_is_valid(code)
    # What was typed stays readable, to send again if need be.
    assert html.escape(TYPED.replace("\r\n", "\n"), quote=False) in r.text
    return code


def found(it, code):
    """Whether /status finds the code (200) or not (404), once the intake
    answers lookups again (it reconnects after a connection broke off)."""
    out = []

    def answered():
        r = status_lookup(it.url, code, check=False)
        if r.status == 200:
            out.append('class="status-result"' in r.text)
        elif r.status == 404:
            out.append(False)
        return bool(out)
    poll(answered, "/status never answered")
    return out[0]


def settled(pg):
    """No tip_submit() runs any more: what is in the table stays."""
    poll(lambda: not tip_submit_running(pg), "tip_submit() still running")


def test_lock_released_in_time(keys_dir, start_intake, workdir, pg):
    """The lock goes before the deadline: stored, and the receipt's code
    is found."""
    it = intake_with(keys_dir, workdir, start_intake, query_timeout="8s")
    lock = TipLock(pg)
    try:
        bg = submit_waiting(it, pg, workdir, "a")
    finally:
        lock.release()
    r = bg.result()
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    code = receipt_code(r.text)
    assert stored(pg, keys_dir, code)
    assert found(it, code)


def test_lock_held_past_deadline(keys_dir, start_intake, workdir, pg):
    """The lock outlasts the deadline: the answer comes while it is still
    held, and whatever it says, the database agrees once it is gone."""
    it = intake_with(keys_dir, workdir, start_intake, query_timeout="2s")
    before = ntips(pg)
    lock = TipLock(pg)
    try:
        r = submit_waiting(it, pg, workdir, "b").result()
    finally:
        lock.release()
    settled(pg)
    if nothing_stored(r):
        assert ntips(pg) == before, "stored after 'nothing was stored'"
        return
    code = unconfirmed(r)
    assert found(it, code) == stored(pg, keys_dir, code)


def test_deadline_passes_first(keys_dir, start_intake, workdir, pg):
    """With one connection, a second tip waits in the queue behind the
    first and so reaches the server with less time left than the
    server's own statement_timeout: the intake's deadline passes first and
    the statement is cancelled.  Both answers are still true."""
    it = intake_with(keys_dir, workdir, start_intake, query_timeout="3s",
                     pool_size="1")
    before = ntips(pg)
    lock = TipLock(pg)
    try:
        first = submit_waiting(it, pg, workdir, "d1")
        second = submit_bg(it.url, tip_fields(description=TYPED),
                           workdir / "d2", max_time=60)
        results = [first.result(), second.result()]
    finally:
        lock.release()
    settled(pg)
    codes = []
    for r in results:
        if nothing_stored(r):
            continue
        codes.append(unconfirmed(r))
    stored_now = [c for c in codes if stored(pg, keys_dir, c)]
    assert ntips(pg) == before + len(stored_now), \
        "stored after 'nothing was stored'"
    poll(lambda: it.proc.poll() is not None or
         "query deadline passed, cancelling" in it.log(),
         "no cancel was sent")
    for c in codes:
        assert found(it, c) == (c in stored_now)


def test_backend_terminated(keys_dir, start_intake, workdir, pg):
    """The connection breaks while the statement waits: the outcome is
    unknown, so the page shows the code and says so."""
    it = intake_with(keys_dir, workdir, start_intake)
    before = ntips(pg)
    lock = TipLock(pg)
    try:
        bg = submit_waiting(it, pg, workdir, "c")
        for pid in waiting_backends(pg):
            pg.psql(f"SELECT pg_terminate_backend({pid})")
        r = bg.result()
    finally:
        lock.release()
    code = unconfirmed(r)
    settled(pg)
    assert ntips(pg) == before and not stored(pg, keys_dir, code)
    assert not found(it, code)


def test_unconfirmed_page_passes_axe(keys_dir, start_intake, workdir, pg,
                                     node_env):
    """The page of an unknown outcome, in Arabic (right to left), reached
    in Chromium and checked by axe-core as test_a11y.py checks the
    others: the backend is terminated while the browser waits."""
    it = intake_with(keys_dir, workdir, start_intake)
    ar = messages("ar")
    steps = [{"goto": f"{it.url}/ar"},
             {"fill": "#description", "value": "اختبار الصفحة"},
             {"check": "#channel-online"},
             {"click": "button[type=submit]"},
             {"expect": "#unconfirmed"},
             {"expect": "#receipt-code"},
             {"audit": "unconfirmed"}]
    lock = TipLock(pg)
    try:
        before = set(waiting_backends(pg))
        axe = subprocess.Popen(
            [node_env, "axe.mjs", *(json.dumps(s) for s in steps)],
            cwd=BROWSER_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        poll(lambda: set(waiting_backends(pg)) - before or
             axe.poll() is not None, "the tip never waited on the lock",
             timeout=120)
        for pid in set(waiting_backends(pg)) - before:
            pg.psql(f"SELECT pg_terminate_backend({pid})")
        out, err = axe.communicate(timeout=300)
    finally:
        lock.release()
    assert axe.returncode == 0, f"axe.mjs exit {axe.returncode}:\n{out}{err}"
    a = json.loads(out.strip().splitlines()[-1])["audits"][0]
    assert a["status"] == 202, a
    assert a["title"].startswith(ar["receipt.unconfirmed.title"]), a
    assert a["violations"] == [] and a["incomplete"] == [], a
