"""Helpers and fixtures of the worker tests (tests/e2e/test_worker_*.py).

Each worker test module gets its own database in the session's cluster
(so that the tips of other modules cannot join its cases), migrated with
tiplinectl, with one configuration file shared by its intake, its workers
and tiplinectl: the session's keys, and short worker timings so that
leases, retries and sweeps happen within a test.

Fixtures (import them into the test module):
    wenv          module: the database, the config and a running intake
    start_worker  function: starts tipline-worker -c CONF processes; at
                  teardown every one still running gets SIGTERM and must
                  exit 0, and no log may hold a sanitizer report

Binaries come from $TIPLINE_BUILD like the rest of the e2e suite.
"""
import re
import secrets
import shutil
import signal
import time

import pytest

from e2elib import (BUILD, Daemon, ctl, free_port, make_tempdir,
                    sanitizer_lines, set_key, start_intake)
from tiplib import receipt_code, receipt_hash, submit

WORKER_BIN = BUILD / "worker" / "tipline-worker"

# Fast timings for tests (the defaults are minutes).
WORKER_SETTINGS = {
    "sweep": "200ms",
    "lease": "3s",
    "backoff": "1s",
    "max_attempts": "3",
    "shutdown_grace": "10s",
}


class DB:
    """One database of the session's cluster."""

    def __init__(self, pg, name):
        self.pg = pg
        self.name = name
        self.conninfo = f"host={pg.host} port={pg.port} dbname={name}"
        self._conn = None

    def psql(self, sql):
        return self.pg.psql(sql, dbname=self.name)

    def connect(self, **kw):
        return self.pg.connect(dbname=self.name, **kw)

    @property
    def conn(self):
        """A shared autocommit connection for polling and small queries."""
        if self._conn is None or self._conn.closed:
            self._conn = self.connect(autocommit=True)
        return self._conn

    def q(self, sql, params=None):
        """All rows of SQL."""
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def one(self, sql, params=None):
        rows = self.q(sql, params)
        assert len(rows) == 1, f"{sql}: {len(rows)} rows"
        return rows[0][0] if len(rows[0]) == 1 else rows[0]

    def close(self):
        if self._conn is not None:
            self._conn.close()


def worker_conf_text(keys_dir, conninfo, port, settings=None, dedup=None,
                     retention=None, log_level="debug"):
    """The config of a worker test world.  Debug lines, which name each
    job and its case (tests read them), are off at the default level:
    they would date each tip (test_timing_privacy.py)."""
    text = keys_dir.abs_text()
    text, _ = set_key(text, "database", "conninfo", conninfo)
    text, _ = set_key(text, "log", "level", log_level)
    text, _ = set_key(text, "intake", "listen", f"127.0.0.1:{port}")
    for k, v in {**WORKER_SETTINGS, **(settings or {})}.items():
        text, _ = set_key(text, "worker", k, v)
    for k, v in (dedup or {}).items():
        text, _ = set_key(text, "dedup", k, v)
    for k, v in (retention or {}).items():
        text, _ = set_key(text, "retention", k, v)
    return text


class WEnv:
    """A worker test module's world: database, config, intake."""

    def __init__(self, keys_dir, pg, name):
        self.keys = keys_dir
        self.pg = pg
        self.dir = make_tempdir("tipline-wenv-")
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        pg.createdb(name)
        self.db = DB(pg, name)
        self.conf = self.write_conf()
        p = ctl(self.conf, "migrate")
        assert p.returncode == 0, p.stderr
        self.intake = None

    def write_conf(self, name="tipline.ini", settings=None, dedup=None,
                   retention=None):
        """Writes a config in this world's directory; returns its path."""
        p = self.dir / name
        p.write_text(worker_conf_text(self.keys, self.db.conninfo, self.port,
                                      settings, dedup, retention))
        return p

    def start_intake(self):
        self.intake = start_intake(self.conf, self.port,
                                   self.dir / "intake.log")
        return self.intake

    def seal_pub(self):
        return bytes.fromhex((self.keys.dir / "seal.pub").read_text().strip())

    def close(self):
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ----------------------------------------------------------------- worker

class Worker(Daemon):
    def __init__(self, conf, log_path):
        super().__init__(WORKER_BIN, conf, log_path)
        self.checked = False

    def wait_ready(self, timeout=30):
        """Until the log says started and every connection of the pool
        is ready."""
        want = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"tipline-worker exited with {self.proc.returncode}:\n"
                    + log)
            m = re.search(r"started: \d+ jobs at once, batches of \d+, "
                          r"(\d+) connections", log)
            if m:
                want = int(m.group(1))
                if len(re.findall(r"db: connection \d+ ready", log)) >= want:
                    return
            time.sleep(0.05)
        raise AssertionError(f"tipline-worker not ready in {timeout} s:\n"
                             + self.log())

    def wait_log(self, pattern, timeout=15, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.log())) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} (x{count}) in the worker log "
                             f"within {timeout} s:\n" + self.log())

    def running(self):
        return self.proc.poll() is None

    def kill(self):
        """SIGKILL (SIGCONT first, in case it was stopped)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.send_signal(signal.SIGCONT)
        self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def check_stopped_cleanly(self, rc):
        self.checked = True     # the fixture's teardown need not again
        log = self.log()
        assert rc == 0, f"tipline-worker exit status {rc}:\n{log}"
        self.check_sanitizers()
        assert log.rstrip().endswith("stopped"), \
            f"last log line is not 'stopped':\n{log}"

    def check_sanitizers(self):
        log = self.log()
        assert not sanitizer_lines(log), f"sanitizer report:\n{log}"

    def done_jobs(self):
        """Job ids this worker logged as done."""
        return [int(x) for x in re.findall(r"job=(\d+) kind=\S+ attempt=\d+ "
                                           r"ms=\d+ result=done", self.log())]

    def done_lines(self):
        """(job, attempt, case) of each job this worker logged as done
        with its case."""
        return [tuple(int(x) for x in m) for m in re.findall(
            r"job=(\d+) kind=\S+ attempt=(\d+) ms=\d+ result=done "
            r"case=(\d+) ", self.log())]


def _check_workers(started):
    errors = []
    for w in started:
        if w.checked:
            continue
        if w.proc.returncode is None:
            rc = w.stop()
            try:
                w.check_stopped_cleanly(rc)
            except AssertionError as e:
                errors.append(str(e))
        else:
            w._log.close()
            try:
                w.check_sanitizers()
            except AssertionError as e:
                errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture(scope="module")
def wenv(request, keys_dir, pg):
    if not WORKER_BIN.exists():
        pytest.fail(f"{WORKER_BIN} is missing: build first")
    name = "tipline_" + re.sub(r"\W", "_", request.module.__name__
                               .rsplit(".", 1)[-1])
    env = WEnv(keys_dir, pg, name)
    try:
        env.start_intake()
        yield env
        rc = env.intake.stop()
        env.intake.check_stopped_cleanly(rc)
    finally:
        if env.intake is not None and env.intake.proc.poll() is None:
            env.intake.stop(signal.SIGKILL)
        env.close()


@pytest.fixture
def start_worker(wenv):
    """start_worker(conf=None, name=None, wait=True) -> Worker.  Workers
    still running at the end get SIGTERM and must exit 0; no worker's log
    (killed ones too) may hold a sanitizer report."""
    started = []
    logdir = make_tempdir("tipline-wlog-")

    def start(conf=None, name=None, wait=True):
        log = logdir / (name or f"worker-{len(started)}.log")
        w = Worker(conf or wenv.conf, log)
        started.append(w)
        if wait:
            w.wait_ready()
        return w

    start.started = started
    yield start
    try:
        _check_workers(started)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


# ----------------------------------------------------------------- waiting

def job_states(db):
    return dict(db.q("SELECT state, count(*) FROM job GROUP BY state"))


def wait_jobs_done(db, timeout=60, workers=(), allow_dead=False):
    """Until every job is done (or dead, with allow_dead); returns the
    seconds waited.  On timeout, fails with the job states and the
    workers' logs."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    other = "'done', 'dead'" if allow_dead else "'done'"
    while True:
        n = db.one(f"SELECT count(*) FROM job WHERE state NOT IN ({other})")
        if n == 0:
            return time.monotonic() - t0
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.log_path.name}\n{w.log()[-3000:]}"
                             for w in workers)
            errs = db.q("SELECT id, state, attempts, last_error FROM job "
                        "WHERE state <> 'done' ORDER BY id LIMIT 10")
            raise AssertionError(
                f"{n} jobs not done after {timeout} s: {job_states(db)} "
                f"{errs}\n{logs}")
        time.sleep(0.05)


# -------------------------------------------------------------- submitting

def tip_by_code(env, db, code):
    """The tip of a receipt code with its job and case join, as a dict."""
    h = receipt_hash(env.keys, code)
    rows = db.q(
        "SELECT t.id, j.id, j.state, j.attempts, j.last_error, cj.case_id, "
        "cj.matched, cj.distance FROM tip t "
        "JOIN job j ON j.tip_id = t.id "
        "LEFT JOIN case_join cj ON cj.tip_id = t.id "
        "WHERE t.receipt_hash = %s", (h,))
    assert len(rows) == 1, f"receipt {code}: {len(rows)} rows"
    keys = ("tip_id", "job_id", "state", "attempts", "last_error",
            "case_id", "matched", "distance")
    return dict(zip(keys, rows[0]))


def submit_tip(env, fields, files=()):
    """Submits through the intake; returns the receipt code."""
    r = submit(env.url, fields, files)
    assert r.status == 200, f"{r.status}:\n{r.text[:2000]}"
    return receipt_code(r.text)


def wait_tip(env, code, timeout=20, workers=()):
    """Until the tip's job is done; returns tip_by_code()."""
    deadline = time.monotonic() + timeout
    while True:
        t = tip_by_code(env, env.db, code)
        if t["state"] == "done":
            assert t["case_id"] is not None, t
            return t
        if time.monotonic() > deadline:
            logs = "\n".join(w.log()[-3000:] for w in workers)
            raise AssertionError(f"tip not ingested in {timeout} s: {t}\n"
                                 + logs)
        time.sleep(0.02)


def ingest(env, fields, files=(), workers=()):
    """Submits one tip and waits until a worker has put it in a case."""
    return wait_tip(env, submit_tip(env, fields, files), workers=workers)


def case_row(db, case_id):
    rows = db.q("SELECT c.id, d.code, c.needs_routing, c.status, c.ntips, "
                "c.priority FROM cases c JOIN department d "
                "ON d.id = c.department_id WHERE c.id = %s", (case_id,))
    assert len(rows) == 1
    keys = ("id", "department", "needs_routing", "status", "ntips",
            "priority")
    return dict(zip(keys, rows[0]))


def check_one_case_per_tip(db):
    """Every tip in exactly one case, one case_join row each, and the
    cases' tip counts adding up."""
    ntip, null_case, njoin, sum_ntips, bad_count = db.one(
        "SELECT (SELECT count(*) FROM tip), "
        "(SELECT count(*) FROM tip t WHERE NOT EXISTS (SELECT 1 FROM "
        " case_join cj WHERE cj.tip_id = t.id)), "
        "(SELECT count(*) FROM case_join), "
        "(SELECT coalesce(sum(ntips), 0) FROM cases), "
        "(SELECT count(*) FROM cases c WHERE c.ntips <> (SELECT count(*) "
        " FROM case_join cj WHERE cj.case_id = c.id) "
        " OR c.priority <> c.ntips)")
    assert null_case == 0, f"{null_case} tips without a case"
    assert njoin == ntip, f"{njoin} case_join rows for {ntip} tips"
    assert sum_ntips == ntip, f"sum(ntips) {sum_ntips} for {ntip} tips"
    assert bad_count == 0, f"{bad_count} cases whose ntips/priority " \
        "disagree with their tips"
    return ntip


# ---------------------------------------------------- tips straight in SQL

TIP_SUBMIT_SQL = (
    "SELECT tip_submit(%s, 3600, 'en', %s, %s, %s, NULL, '{}', 'none', "
    "%s, %s, NULL, NULL, NULL, '{}', '{}', '{}', '{}', '{}', "
    "NULL, NULL, NULL, NULL, NULL)")


def sealer(env):
    from nacl.public import PublicKey, SealedBox
    return SealedBox(PublicKey(env.seal_pub()))


def insert_tips(env, tips, conn=None):
    """Stores tips with tip_submit() as postgres, in one transaction: each
    a dict with description and optional url, channel, platform,
    municipality.  Returns the receipt hashes, in order."""
    box = sealer(env)
    rows, hashes = [], []
    for t in tips:
        h = secrets.token_bytes(32)
        hashes.append(h)
        url = t.get("url")
        rows.append((h, t.get("channel", "online"), t.get("platform", "x"),
                     t.get("municipality"),
                     box.encrypt(t["description"].encode()),
                     box.encrypt(url.encode()) if url else None))
    own = conn is None
    conn = conn or env.db.connect()
    try:
        with conn.cursor() as cur:
            cur.executemany(TIP_SUBMIT_SQL, rows)
        conn.commit()
    finally:
        if own:
            conn.close()
    return hashes


@pytest.fixture(scope="module")
def module_worker(wenv):
    """One worker for the whole module, checked like start_worker's.  Its
    lease is long: the modules that share it are not about leases, and
    under a sanitizer on a busy machine reading one screenshot can take
    longer than three seconds (the lease passes on, the job is tried
    again and again, and dies)."""
    yield from run_module_worker(long_lease_conf(wenv))


def long_lease_conf(wenv):
    return wenv.write_conf("worker-module.ini",
                           settings={"lease": "120s", "max_attempts": "5"})


def run_module_worker(conf):
    """The body of a module's worker fixture on CONF."""
    if not WORKER_BIN.exists():
        pytest.fail(f"{WORKER_BIN} is missing: build first")
    logdir = make_tempdir("tipline-wlog-")
    w = Worker(conf, logdir / "worker.log")
    try:
        w.wait_ready()
        yield w
        _check_workers([w])
    finally:
        if w.running():
            w.kill()
        shutil.rmtree(logdir, ignore_errors=True)


# ------------------------------------------- dedup keys, computed here

def normalise(text):
    """text_normalise() for ASCII text: lower case, every run of other
    than letters and digits one space, trimmed."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash24(key16, data):
    """SipHash-2-4 (libsodium's crypto_shorthash), as the 64-bit value."""
    m64 = 0xFFFFFFFFFFFFFFFF
    k0 = int.from_bytes(key16[:8], "little")
    k1 = int.from_bytes(key16[8:16], "little")
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & m64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & m64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & m64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & m64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)

    n = len(data)
    end = n - n % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        rnd()
        rnd()
        v0 ^= m
    b = (n & 0xFF) << 56 | int.from_bytes(data[end:] + b"\0" * 8, "little") \
        & ((1 << (8 * (n - end))) - 1)
    v3 ^= b
    rnd()
    rnd()
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        rnd()
    return v0 ^ v1 ^ v2 ^ v3


def simhash(norm, key):
    """lib/simhash.c's SimHash of normalised text (as an unsigned 64-bit
    int): keyed SipHash of every three-word shingle, the output bytes
    read big-endian, each voting on the 64 bits; the whole text if it has
    fewer than three words."""
    words = norm.split(" ") if norm else []
    feats = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)]
    if not feats and norm:
        feats = [norm]
    votes = [0] * 64
    for f in feats:
        h = int.from_bytes(
            siphash24(key[:16], f.encode()).to_bytes(8, "little"), "big")
        for b in range(64):
            votes[b] += 1 if (h >> b) & 1 else -1
    return sum(1 << b for b in range(64) if votes[b] > 0)


def signed64(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def hamming(a, b):
    return bin((a ^ b) & 0xFFFFFFFFFFFFFFFF).count("1")


def dedup_key(env):
    return bytes.fromhex((env.keys.dir / "dedup.key").read_text().strip())
