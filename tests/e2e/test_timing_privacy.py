"""An attacker who reads the daemons' logs, the worker's metrics and every
table of the database must not date a tip more precisely than its
truncated arrival time ([privacy] arrival_truncate, an hour by default).

The intake and the worker run at the default log level and arrival
truncation.  Tips (each opening a case of its own) and a follow-up to
each are sent at known times, one after another, each waited for until
the worker has filed it, with a metrics scrape after each; then the logs,
the scrapes and every row of every table are read as an attacker would,
looking for:
  - any log line written while tips came in (a line per tip dates it);
    any job, case or request id in a log line;
  - a metric that moved between two scrapes of the same arrival period;
  - a time with sub-period precision, in any column, from the moment the
    first tip was sent on (a stored time that came with a tip; queued
    jobs without a tip, purges, are the worker's timers);
  - ids of the rows made for the tips (jobs, cases, follow-ups, ...) that
    follow the order the tips were sent in.
Eight tips: random ids fall in the order sent once in 40320 runs.
A second test checks the ids' form (the hour, then random bits) and that
a job done or dead keeps no exact time.

Not looked at: PostgreSQL's system columns (xmin, ctid), which order rows
as they were written (see the README's limits).
"""
import re
import subprocess
import time
from datetime import datetime, timezone

import psycopg
import pytest

import worklib
from e2elib import free_port, set_key, start_intake
from statuslib import followup
from tiplib import receipt_code, submit, tip_fields
from worklib import tip_by_code, worker_conf_text

wenv = worklib.wenv
start_worker = worklib.start_worker

PERIOD = 3600          # [privacy] arrival_truncate's default
NTIPS = 8
# Municipalities of eight departments: each tip opens a case of its own.
PLACES = ["091", "092", "049", "837", "853", "564", "297", "698"]
# Texts with no words in common: no tip joins another's case.
TEXTS = [
    "Graffiti on the mosque wall calling for violence against worshippers.",
    "Shouting at a bus stop about skin colour, passengers frightened.",
    "Leaflets in letterboxes claiming a church community spreads disease.",
    "Neighbour keeps threatening the family next door for their origin.",
    "Stickers near school mocking disabled pupils with cruel slogans.",
    "Taxi driver refused service and insulted riders over religion.",
    "Stadium chants targeting players of foreign background tonight.",
    "Market vendor harassed repeatedly because she wears a headscarf.",
]
# What may be logged at a period's boundary: aggregates.
AGGREGATES = re.compile(r"^audited \d+ follow-ups$")
STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+)\[(\w+)\] "
                   r"(.*)$")


def default_conf(wenv, port, metrics_port):
    """wenv's world at the default log level, with metrics, its intake on
    PORT."""
    text = worker_conf_text(wenv.keys, wenv.db.conninfo, port,
                            {"metrics": f"127.0.0.1:{metrics_port}"},
                            log_level="info")
    text, _ = set_key(text, "privacy", "arrival_truncate", "1h")
    p = wenv.dir / "default.ini"
    p.write_text(text)
    return p


def scrape(port):
    """The metrics as {name: value}."""
    p = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/metrics"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return {m.group(1): m.group(2) for m in re.finditer(
        r"(?m)^(tipline_\S+) (\S+)$", p.stdout)}


def period(t):
    return int(t // PERIOD)


def log_lines(text):
    """(epoch seconds, program, level, message) of each stamped line."""
    out = []
    for line in text.splitlines():
        m = STAMP.match(line)
        if m:
            at = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ") \
                .replace(tzinfo=timezone.utc).timestamp()
            out.append((at, m.group(2), m.group(3), m.group(4)))
    return out


def all_rows(db):
    """{table: (columns, rows)} of every table of the schema public."""
    tables = [r[0] for r in db.q(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "ORDER BY 1")]
    out = {}
    for t in tables:
        with db.conn.cursor() as cur:
            cur.execute(psycopg.sql.SQL("SELECT * FROM {}").format(
                psycopg.sql.Identifier(t)))
            out[t] = ([d.name for d in cur.description], cur.fetchall())
    return out


def fine_times(tables, since):
    """Values of time columns from SINCE on that are not whole periods."""
    found = []
    for t, (cols, rows) in tables.items():
        if t == "schema_version":
            continue            # when the module's database was migrated
        for row in rows:
            r = dict(zip(cols, row))
            if t == "job" and r.get("tip_id") is None and \
                    r.get("state") == "queued":
                continue        # a purge the worker's timer queued
            for c, v in r.items():
                if isinstance(v, datetime):
                    ts = v.replace(tzinfo=v.tzinfo or timezone.utc) \
                        .timestamp()
                    if ts >= since - 1 and ts % PERIOD != 0:
                        found.append(f"{t}.{c} = {v}")
    return found


def in_order(ids):
    return len(ids) > 1 and all(a < b for a, b in zip(ids, ids[1:]))


@pytest.fixture
def world(wenv, start_worker):
    port, mport = free_port(), free_port()
    conf = default_conf(wenv, port, mport)
    it = start_intake(conf, port, wenv.dir / "default-intake.log")
    try:
        w = start_worker(conf, name="default-worker.log")
        yield it, w, mport
    finally:
        rc = it.stop()
        it.check_stopped_cleanly(rc)


def wait_for_room():
    """Until the hour has two minutes left at least: the test's tips are
    then of one period (a boundary may still pass on a slow machine; each
    check allows for it)."""
    deadline = time.monotonic() + 150
    while PERIOD - time.time() % PERIOD < 120:
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_nothing_dates_a_tip(wenv, world):
    it, w, mport = world
    db = wenv.db
    wait_for_room()
    scrapes = [(time.time(), scrape(mport))]
    # What the daemons logged as they started is not about tips.
    started = {"intake": len(it.log().splitlines()),
               "worker": len(w.log().splitlines())}
    t0 = time.time()
    sent, tips = [], []
    for i, muni in enumerate(PLACES[:NTIPS]):
        r = submit(it.url, tip_fields(
            channel="place", platform=None, url=None, municipality=muni,
            description=TEXTS[i], motive="religion"))
        assert r.status == 200, f"{r.status}:\n{r.text[:2000]}"
        code = receipt_code(r.text)
        sent.append((time.time(), code))
        r = followup(it.url, code,
                     f"More about tip {i}.")
        assert r.status == 200, f"{r.status}\n{r.text[:2000]}"
        deadline = time.monotonic() + 30
        while True:
            t = tip_by_code(wenv, db, code)
            if t["state"] == "done" and t["case_id"] is not None:
                break
            assert time.monotonic() < deadline, f"not filed: {t}\n" \
                + w.log()
            time.sleep(0.02)
        tips.append(t)
        scrapes.append((time.time(), scrape(mport)))
    t_end = time.time()

    found = []

    # The logs: nothing while tips came in, no ids.
    for name, text in (("intake", it.log()), ("worker", w.log())):
        later = "\n".join(text.splitlines()[started[name]:])
        for at, prog, level, msg in log_lines(later):
            if t0 - 1 <= at <= t_end + 1 and not AGGREGATES.match(msg):
                found.append(f"{name} log, while tips came: {msg}")
            if re.search(r"\b(job|case|req)=\d", msg):
                found.append(f"{name} log names an id: {msg}")

    # The metrics: no change within an arrival period.
    for (ta, a), (tb, b) in zip(scrapes, scrapes[1:]):
        if period(ta) == period(tb):
            moved = sorted(k for k in a if a[k] != b.get(k))
            if moved:
                found.append(f"metrics moved within the hour: {moved}")

    # The database: times, and the order of ids.
    tables = all_rows(db)
    found += fine_times(tables, t0)
    order = [t["tip_id"] for t in tips]
    ids = {
        "job.id": [t["job_id"] for t in tips],
        "cases.id": [t["case_id"] for t in tips],
        "tip_followup.id": [db.one(
            "SELECT id FROM tip_followup WHERE tip_id = %s", (x,))
            for x in order],
        "tip.id": [str(x) for x in order],
    }
    for what, v in ids.items():
        if in_order(v):
            found.append(f"{what} in the order the tips were sent: {v}")

    assert not found, "\n".join(found[:40])


def test_ids_and_job_times(wenv):
    """Ids carry the hour of their row's truncated time and random bits
    below it; a finished or dead job keeps no exact time."""
    db = wenv.db
    hour = db.one("SELECT extract(epoch FROM date_trunc('hour', now()))"
                  "::bigint / 3600")
    jobs = [db.one("INSERT INTO job (kind, run_after, created_at) "
                   "VALUES ('timing_test', now(), date_trunc('hour', now())) "
                   "RETURNING id") for _ in range(6)]
    cases = [db.one("INSERT INTO cases (department_id, opened_at, "
                    "last_tip_at) VALUES (1, date_trunc('hour', now()), "
                    "date_trunc('hour', now())) RETURNING id")
             for _ in range(6)]
    try:
        for v in jobs + cases:
            assert v >> 33 == hour and 0 < v < 2 ** 53, (v, hour)
        assert len(set(jobs)) == len(set(cases)) == 6
        assert not in_order(jobs) or not in_order(cases), (jobs, cases)

        # Dead after a failed attempt: the backoff's time goes.
        assert db.one("SELECT job_fail(%s, 0, 'test', 0, 60)",
                      (jobs[0],)) == "dead"
        # Done under a lease: the lease goes.
        db.q("UPDATE job SET attempts = 1, "
             "locked_until = now() + interval '1 minute' WHERE id = %s",
             (jobs[1],))
        db.q("SELECT job_finish(%s, 1)", (jobs[1],))
        for j in jobs[:2]:
            state, run_after, created, locked = db.one(
                "SELECT state, run_after, created_at, locked_until "
                "FROM job WHERE id = %s", (j,))
            assert state in ("dead", "done")
            assert run_after == created and locked is None
        # Queued, its times are the worker's to use.
        assert db.one("SELECT run_after > created_at FROM job "
                      "WHERE id = %s", (jobs[2],))
    finally:
        db.q("DELETE FROM job WHERE kind = 'timing_test'")
        db.q("DELETE FROM cases WHERE id = ANY(%s)", (cases,))
