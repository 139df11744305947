"""The job queue under failure: workers killed with SIGKILL at random
points, a job that always fails, a worker stopped past its lease, and
SIGTERM with jobs in flight.  The invariant throughout: every tip ends in
exactly one case, and no job's effect is applied twice.

Tips are stored straight with tip_submit() (as postgres) with
descriptions and links sealed here to the session's seal.pub: thousands
in a second, where the intake would take minutes.
"""
import collections
import re
import signal
import time

from e2elib import ctl
import worklib
from worklib import check_one_case_per_tip, insert_tips, wait_jobs_done

N_CRASH = 2000
N_POSTS = 397

# Fixtures (see worklib).
start_worker = worklib.start_worker
wenv = worklib.wenv


def crash_tips():
    """Nine in ten about one of N_POSTS X posts (four or five tips each,
    links in three forms); one in ten with no link.  Descriptions are short, so
    links alone decide.  Returns (tips, group of each tip: the post id
    or None)."""
    forms = ["https://x.com/u/status/{}?s=20",
             "https://mobile.twitter.com/someone/status/{}",
             "twitter.com/u/status/{}#m"]
    tips, groups = [], []
    for i in range(N_CRASH):
        if i % 10 == 9:
            tips.append({"description": f"crash tip {i}"})
            groups.append(None)
        else:
            post = 9000000000000000000 + i % N_POSTS
            tips.append({"description": f"crash tip {i}",
                         "url": forms[i % 3].format(post)})
            groups.append(post)
    return tips, groups


def test_sigkill_every_second(wenv, start_worker, request):
    db = wenv.db
    # Job ids are in no order within an hour (0019_timing.sql): the
    # jobs before this test are named.
    old_jobs = [r[0] for r in db.q("SELECT id FROM job")]
    t0 = time.monotonic()
    tips, groups = crash_tips()
    hashes = insert_tips(wenv, tips)
    t_insert = time.monotonic() - t0
    assert db.one("SELECT count(*) FROM job WHERE NOT id = ANY (%s)",
                  (old_jobs,)) == N_CRASH

    conf = wenv.conf
    t0 = time.monotonic()
    slots = [start_worker(conf, "w0-0.log", wait=False),
             start_worker(conf, "w1-0.log", wait=False)]
    kills = 0
    deadline = t0 + 120
    next_kill = t0 + 1.0
    t_most = None
    while True:
        left = db.one("SELECT count(*) FROM job WHERE state <> 'done'")
        if left <= 8 and t_most is None:
            t_most = time.monotonic() - t0
        if left == 0:
            break
        if time.monotonic() > deadline:
            wait_jobs_done(db, timeout=0, workers=slots)
        if time.monotonic() >= next_kill:
            i = kills % 2
            assert slots[i].kill() == -signal.SIGKILL, slots[i].log()
            kills += 1
            slots[i] = start_worker(conf, f"w{i}-{kills}.log", wait=False)
            next_kill += 1.0
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    rate = N_CRASH / elapsed
    retried = db.one("SELECT count(*) FROM job WHERE NOT id = ANY (%s) "
                     "AND attempts > 1", (old_jobs,))
    report = (f"{N_CRASH} tips inserted in {t_insert:.1f} s; ingested by 2 "
              f"workers in {elapsed:.1f} s ({rate:.0f} jobs/s; all but 8 "
              f"in {t_most:.1f} s) with {kills} SIGKILLs; {retried} jobs "
              "claimed more than once")
    print("\n" + report)
    request.node.user_properties.append(("crash", report))

    # Every job done, every tip in one case, nothing counted twice.
    assert db.one("SELECT count(*) FROM job WHERE state <> 'done'") == 0
    check_one_case_per_tip(db)
    # Tips of one post in one case, of different posts in different ones.
    rows = db.q("SELECT t.receipt_hash, cj.case_id FROM tip t JOIN case_join "
                "cj ON cj.tip_id = t.id WHERE t.receipt_hash = ANY (%s)",
                (hashes,))
    case_of = {bytes(h): c for h, c in rows}
    assert len(case_of) == N_CRASH
    by_group = collections.defaultdict(set)
    for h, g in zip(hashes, groups):
        by_group[g if g is not None else h].add(case_of[h])
    assert all(len(cs) == 1 for cs in by_group.values()), \
        [g for g, cs in by_group.items() if len(cs) > 1][:5]
    n_posts = len({g for g in groups if g is not None})
    n_cases = n_posts + groups.count(None)
    assert n_posts == N_POSTS
    assert len({next(iter(cs)) for cs in by_group.values()}) == \
        len(by_group) == n_cases
    # matched: the first tip of a post opened the case, the others
    # joined by link; every linkless tip opened its own.
    m = dict(db.q("SELECT cj.matched, count(*) FROM case_join cj JOIN tip t "
                  "ON t.id = cj.tip_id WHERE t.receipt_hash = ANY (%s) "
                  "GROUP BY 1", (hashes,)))
    assert m == {"new": n_cases, "link": N_CRASH - n_cases}, m
    # One link key per post's case, none for linkless tips.
    assert db.one("SELECT count(*) FROM exact_key k JOIN case_join cj ON "
                  "cj.case_id = k.case_id AND cj.tip_id = k.tip_id JOIN tip "
                  "t ON t.id = k.tip_id WHERE t.receipt_hash = ANY (%s)",
                  (hashes,)) == n_posts

    # Secondary: the logs, final once the survivors have stopped.  A
    # survivor started by the last kill may still be starting: a stop
    # then is honoured once it has started, but under a loaded machine
    # the signal could come before the program has even reached main().
    for w in slots:
        w.wait_ready(timeout=60)
        w.check_stopped_cleanly(w.stop())
    check_done_lines(db, start_worker.started, old_jobs)


def check_done_lines(db, workers, old_jobs):
    """Every "result=done" line in the workers' logs is true (its job is
    one of these, done in the database at the attempt and in the case the
    line names) and no job is logged done twice.  A worker logs a job done
    after the commit that did it, so a SIGKILL can cut the lines of the
    commits in flight and no other: one batch (a worker has one in flight,
    of at most "batches of N" jobs) and the lone retries of its failed
    batches.  Every job no line names must fit in what the kills cut."""
    truth = {j: (a, c) for j, a, c in db.q(
        "SELECT j.id, j.attempts, cj.case_id FROM job j JOIN case_join cj "
        "ON cj.tip_id = j.tip_id WHERE NOT j.id = ANY (%s) "
        "AND j.state = 'done'", (old_jobs,))}
    assert len(truth) == N_CRASH
    lines = [d for w in workers for d in w.done_lines()
             if d[0] not in set(old_jobs)]
    logged = collections.Counter(j for j, _, _ in lines)
    dup = [j for j, n in logged.items() if n > 1]
    assert not dup, f"jobs logged done twice: {dup[:10]}"
    wrong = [(j, a, c, truth.get(j)) for j, a, c in lines
             if truth.get(j) != (a, c)]
    assert not wrong, f"done lines the database contradicts: {wrong[:10]}"
    cuttable = 0
    for w in workers:
        assert w.proc.returncode in (0, -signal.SIGKILL), w.log()
        if w.proc.returncode == -signal.SIGKILL:
            log = w.log()
            m = re.search(r"started: \d+ jobs at once, batches of (\d+)",
                          log)
            cuttable += int(m.group(1)) if m else 0
            cuttable += sum(int(n) for n in re.findall(
                r"a batch of (\d+) failed", log))
    unlogged = len(truth) - len(logged)
    assert unlogged <= cuttable, \
        f"{unlogged} jobs done but never logged; kills could cut {cuttable}"


def test_two_workers_share_the_queue(wenv, start_worker):
    db = wenv.db
    # Job ids are in no order within an hour (0019_timing.sql): the
    # jobs before this test are named.
    old_jobs = [r[0] for r in db.q("SELECT id FROM job")]
    ws = [start_worker(name="a.log"), start_worker(name="b.log")]
    insert_tips(wenv, [{"description": f"shared queue tip {i}",
                        "url": f"https://youtu.be/shared{i % 50:05d}"}
                       for i in range(400)])
    wait_jobs_done(db, timeout=60, workers=ws)
    jobs = [r[0] for r in db.q("SELECT id FROM job WHERE NOT id = ANY (%s) "
                               "ORDER BY id", (old_jobs,))]
    assert len(jobs) == 400
    # A worker logs a job done after its commit: the logs are whole once
    # the workers have stopped.
    for w in ws:
        w.check_stopped_cleanly(w.stop())
    done = [w.done_jobs() for w in ws]
    assert all(done), "one worker did nothing"
    assert sorted(done[0] + done[1]) == jobs, "a job done twice or never"
    assert db.one("SELECT count(DISTINCT cj.case_id) FROM case_join cj "
                  "JOIN job j ON j.tip_id = cj.tip_id "
                  "WHERE NOT j.id = ANY (%s)", (old_jobs,)) == 50
    check_one_case_per_tip(db)


# ------------------------------------------------------------- poison job

def tip_id_of(db, h):
    return db.one("SELECT id FROM tip WHERE receipt_hash = %s", (h,))


def job_of(db, tip_id):
    rows = db.q("SELECT id, state, attempts, last_error FROM job "
                "WHERE tip_id = %s", (tip_id,))
    assert len(rows) == 1
    return dict(zip(("id", "state", "attempts", "last_error"), rows[0]))


def test_poison_job(wenv, start_worker):
    db = wenv.db
    hashes = insert_tips(wenv, [
        {"description": "poison test tip a",
         "url": "https://x.com/u/status/8100000000000000001"},
        {"description": "poison test tip b",
         "url": "https://x.com/u/status/8100000000000000002"},
        {"description": "poison test tip c",
         "url": "https://x.com/u/status/8100000000000000001"},
        {"description": "poison test tip d"},
        {"description": "poison test tip e",
         "url": "https://x.com/u/status/8100000000000000003"},
        {"description": "poison test tip f"},
    ])
    bad, bad_link = tip_id_of(db, hashes[1]), tip_id_of(db, hashes[4])
    orig = bytes(db.one("SELECT sealed_description FROM tip WHERE id = %s",
                        (bad,)))
    orig_link = bytes(db.one("SELECT sealed_url FROM tip WHERE id = %s",
                             (bad_link,)))
    db.q("UPDATE tip SET sealed_description = '\\x00' WHERE id = %s",
         (bad,))
    db.q("UPDATE tip SET sealed_url = '\\x00' WHERE id = %s", (bad_link,))

    w = start_worker()
    # Backoff 1 s, then 2 s; dead at the third failure.
    wait_jobs_done(db, timeout=30, workers=[w], allow_dead=True)
    j, jl = job_of(db, bad), job_of(db, bad_link)
    assert (j["state"], j["attempts"], j["last_error"]) == \
        ("dead", 3, "cannot unseal the description"), j
    assert (jl["state"], jl["attempts"], jl["last_error"]) == \
        ("dead", 3, "cannot unseal the link"), jl
    # The others went on.
    others = [tip_id_of(db, h) for i, h in enumerate(hashes) if i not in
              (1, 4)]
    assert all(job_of(db, t)["state"] == "done" for t in others)
    assert db.one("SELECT count(*) FROM case_join WHERE tip_id IN (%s, %s)",
                  (bad, bad_link)) == 0
    # Logged once the database has answered.
    for job in (j, jl):
        w.wait_log(rf"job={job['id']} kind=ingest attempt=3 result=dead")
    log = w.log()
    assert len(re.findall(rf"job={j['id']} kind=ingest attempt=\d ms=\d+ "
                          r"failed: cannot unseal the description",
                          log)) == 3, log
    assert f"job={j['id']} kind=ingest attempt=3 result=dead" in log, log
    # Nothing of the tip's content in the log.
    assert "8100000000000000002" not in log

    p = ctl(wenv.conf, "jobs")
    assert p.returncode == 0, p.stderr
    assert re.search(r"(?m)^ingest\s+0\s+\d+\s+2\s+\d+$", p.stdout), p.stdout
    assert f"  {j['id']} ingest after 3 attempts: cannot unseal the " \
        "description" in p.stdout, p.stdout
    assert f"  {jl['id']} ingest after 3 attempts: cannot unseal the " \
        "link" in p.stdout, p.stdout

    # Only dead jobs can be retried.
    done_job = job_of(db, others[0])["id"]
    p = ctl(wenv.conf, "jobs", "retry", str(done_job))
    assert p.returncode == 1 and "no dead job" in p.stderr, p
    p = ctl(wenv.conf, "jobs", "retry", "notanumber")
    assert p.returncode == 1, p

    # Fixed by hand and queued again: done, in the case of its post.
    db.q("UPDATE tip SET sealed_description = %s WHERE id = %s",
         (orig, bad))
    db.q("UPDATE tip SET sealed_url = %s WHERE id = %s",
         (orig_link, bad_link))
    for job in (j, jl):
        p = ctl(wenv.conf, "jobs", "retry", str(job["id"]))
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == f"job {job['id']} queued again"
    wait_jobs_done(db, timeout=15, workers=[w])
    j = job_of(db, bad)
    assert (j["state"], j["last_error"]) == ("done", None)
    cases = dict(db.q("SELECT tip_id, case_id FROM case_join WHERE "
                      "tip_id = ANY (%s)", ([bad, bad_link],)))
    assert len(cases) == 2
    assert cases[bad] != cases[bad_link]
    p = ctl(wenv.conf, "jobs")
    assert "dead jobs" not in p.stdout, p.stdout
    check_one_case_per_tip(db)


# ------------------------------------------------------ lease and SIGSTOP

class CaseLock:
    """Holds ACCESS EXCLUSIVE on cases in a transaction of its own, so that
    a worker that claimed jobs waits in ingest_batch() (which always reads
    or writes cases): jobs held in flight for as long as the test
    wants."""

    def __init__(self, db):
        self.conn = db.connect()

    def __enter__(self):
        self.conn.execute("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
        return self

    def release(self):
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None

    def __exit__(self, *a):
        self.release()


def job_ids(db, hashes):
    return [r[0] for r in db.q(
        "SELECT j.id FROM job j JOIN tip t ON t.id = j.tip_id "
        "WHERE t.receipt_hash = ANY (%s) ORDER BY j.id", (hashes,))]


# These touch only the job table: the tip table may be locked.

def hold_jobs(db, jobs):
    """Makes these jobs not due (run_after in an hour)."""
    db.q("UPDATE job SET run_after = now() + interval '1 hour' "
         "WHERE id = ANY (%s)", (jobs,))


def release_jobs(db, jobs):
    db.q("UPDATE job SET run_after = now() WHERE id = ANY (%s)", (jobs,))
    db.q("NOTIFY job_ready")


def wait_claimed(db, jobs, n, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        k = db.one("SELECT count(*) FROM job WHERE locked_until > now() AND "
                   "state = 'queued' AND id = ANY (%s)", (jobs,))
        if k >= n:
            return
        assert time.monotonic() < deadline, f"{k} of {n} jobs claimed"
        time.sleep(0.02)


def wait_applies_blocked(db, n, timeout=10):
    """Until n ingest_batch() calls wait for a lock."""
    deadline = time.monotonic() + timeout
    while True:
        k = db.one("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                   "'%%ingest_batch(%%' AND wait_event_type = 'Lock'")
        if k >= n:
            return
        assert time.monotonic() < deadline, f"{k} of {n} applies blocked"
        time.sleep(0.02)


def test_stopped_worker_loses_its_lease(wenv, start_worker):
    db = wenv.db
    h, = insert_tips(wenv, [{
        "description": "lease test tip",
        "url": "https://x.com/u/status/8200000000000000001"}])
    # The job is queued; no worker runs.  Make it wait, start worker A,
    # lock the cases table, then let A claim the job: A's apply waits for
    # the lock, with the job leased for 3 s.  A is stopped too.
    jobs = job_ids(db, [h])
    hold_jobs(db, jobs)
    a = start_worker(name="a.log")
    tip = tip_id_of(db, h)
    with CaseLock(db) as lock:
        release_jobs(db, jobs)
        wait_claimed(db, jobs, 1)
        wait_applies_blocked(db, 1)
        a.proc.send_signal(signal.SIGSTOP)
        job = job_of(db, tip)
        assert (job["state"], job["attempts"]) == ("queued", 1)
        # B takes the job when the lease runs out; its apply waits
        # behind A's (the matching lock).
        b = start_worker(name="b.log")
        t0 = time.monotonic()
        deadline = t0 + 10
        while job_of(db, tip)["attempts"] < 2:
            assert time.monotonic() < deadline, "B never claimed the job"
            time.sleep(0.05)
        wait_applies_blocked(db, 2)
        # A's apply goes first and is refused (the lease passed on);
        # B's is applied.
        lock.release()
    wait_jobs_done(db, timeout=10, workers=[b])
    assert job_of(db, tip)["attempts"] == 2
    b.wait_log(rf"job={job['id']} kind=ingest attempt=2 ms=\d+ result=done")
    case_id = db.one("SELECT case_id FROM case_join WHERE tip_id = %s",
                     (tip,))
    # A continues: it learns that its apply was refused, the job left as
    # B left it.
    a.proc.send_signal(signal.SIGCONT)
    a.wait_log(rf"job={job['id']} kind=ingest attempt=1 result=lost", 15)
    assert "result=done" not in a.log()
    assert time.monotonic() - t0 < 9, "query timeout would have interfered"
    j = job_of(db, tip)
    assert (j["state"], j["attempts"]) == ("done", 2)
    assert db.one("SELECT case_id FROM case_join WHERE tip_id = %s",
                  (tip,)) == case_id
    assert db.one("SELECT count(*) FROM case_join WHERE tip_id = %s",
                  (tip,)) == 1
    assert db.one("SELECT ntips FROM cases WHERE id = %s", (case_id,)) == 1
    # A is still well: it takes new work.
    b.check_stopped_cleanly(b.stop())
    insert_tips(wenv, [{"description": "lease test tip 2"}])
    wait_jobs_done(db, timeout=10, workers=[a])
    a.wait_log(r"result=done")
    check_one_case_per_tip(db)


# -------------------------------------------------------------- SIGTERM

def test_sigterm_waits_for_jobs_in_flight(wenv, start_worker):
    db = wenv.db
    hashes = insert_tips(wenv, [{"description": f"sigterm test {i}"}
                                for i in range(12)])
    jobs = job_ids(db, hashes)
    hold_jobs(db, jobs)
    conf = wenv.write_conf("four.ini", settings={"jobs": "4"})
    w = start_worker(conf, name="w.log")
    with CaseLock(db) as lock:
        release_jobs(db, jobs)
        wait_claimed(db, jobs, 4)
        w.proc.send_signal(signal.SIGTERM)
        w.wait_log(r"stopping")
        time.sleep(0.5)
        assert w.running(), w.log()
        lock.release()
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    log = w.log()
    after = log[log.index("stopping"):]
    assert len(re.findall(r"result=done", after)) == 4, log
    assert "jobs done 4, failed 0, dead 0, lost 0" in log, log
    assert db.one("SELECT count(*) FROM job WHERE state = 'done' AND "
                  "tip_id IN (SELECT id FROM tip WHERE receipt_hash = "
                  "ANY (%s))", (hashes,)) == 4
    # The rest were never claimed and wait for the next worker.
    assert db.one("SELECT count(*) FROM job WHERE state = 'queued' AND "
                  "attempts = 0 AND locked_until IS NULL") == 8
    w2 = start_worker(name="w2.log")
    wait_jobs_done(db, timeout=15, workers=[w2])
    check_one_case_per_tip(db)


def test_sigterm_past_the_grace_period(wenv, start_worker):
    db = wenv.db
    conf = wenv.write_conf("grace.ini", settings={"shutdown_grace": "1s"})
    hashes = insert_tips(wenv, [{"description": f"grace test {i}"}
                                for i in range(6)])
    jobs = job_ids(db, hashes)
    hold_jobs(db, jobs)
    w = start_worker(conf, name="w.log")
    with CaseLock(db) as lock:
        release_jobs(db, jobs)
        wait_claimed(db, jobs, 4)
        w.proc.send_signal(signal.SIGTERM)
        # The jobs cannot finish: the worker gives up after 1 s.
        try:
            rc = w.proc.wait(w.STOP_TIMEOUT)
        finally:
            lock.release()
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    assert "shutdown grace period over" in w.log()
    # Giving up is not a failure of the jobs: no error recorded, no
    # attempt spent beyond the claim, no backoff.
    rows = db.q("SELECT id, attempts, last_error, run_after > now() FROM "
                "job WHERE id = ANY (%s) AND (last_error IS NOT NULL OR "
                "attempts > 1 OR run_after > now())", (jobs,))
    assert rows == [], f"jobs marked failed by the shutdown: {rows}"
    # Their leases bring the jobs back to the next worker.
    w2 = start_worker(name="w2.log")
    wait_jobs_done(db, timeout=20, workers=[w2])
    check_one_case_per_tip(db)


# -------------------------------------------------------------- batches

def test_failed_batch_is_applied_tip_by_tip(wenv, start_worker):
    """A batch that fails in the database for one tip is applied again
    one tip at a time: the others are done, the bad one fails alone."""
    db = wenv.db
    # A first tip's batch waits for the lock; the eight tips queued
    # meanwhile are all ready when it is released, and go in one batch.
    first, = insert_tips(wenv, [{"description": "batch test first tip"}])
    hashes = [first]
    hold_jobs(db, job_ids(db, hashes))
    w = start_worker(name="w.log")
    with CaseLock(db) as lock:
        release_jobs(db, job_ids(db, hashes))
        wait_applies_blocked(db, 1)
        hashes += insert_tips(wenv, [
            {"description": f"batch test tip {i}",
             "url": f"https://x.com/u/status/83000000000000000{i:02d}"}
            for i in range(8)])
        jobs = job_ids(db, hashes)
        wait_claimed(db, jobs, len(jobs))
        bad = tip_id_of(db, hashes[-1])
        # The fault: storing the last tip's join fails, inside
        # ingest_batch().
        db.q(f"""
            CREATE FUNCTION test_refuse_join() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
                IF NEW.tip_id = '{bad}' THEN
                    RAISE EXCEPTION 'refused by the test';
                END IF;
                RETURN NEW;
            END $$""")
        db.q("CREATE TRIGGER test_refuse_join BEFORE INSERT ON case_join "
             "FOR EACH ROW EXECUTE FUNCTION test_refuse_join()")
        time.sleep(0.5)
        lock.release()
    try:
        w.wait_log(rf"job={job_of(db, bad)['id']} kind=ingest attempt=1 "
                   r"ms=\d+ failed: "
                   r"ingest_batch failed")
        others = [tip_id_of(db, h) for h in hashes[:-1]]
        deadline = time.monotonic() + 60
        while not all(job_of(db, t)["state"] == "done" for t in others):
            assert time.monotonic() < deadline, w.log()
            time.sleep(0.05)
        w.wait_log(r"result=done", count=8)    # logged after the commit
        log = w.log()
        assert "a batch of 8 failed (sqlstate P0001): applying its tips " \
            "one by one" in log, log
        assert len(re.findall(r"result=done", log)) == 8, log
        assert db.one("SELECT count(*) FROM case_join WHERE tip_id = %s",
                      (bad,)) == 0
    finally:
        db.q("DROP TRIGGER test_refuse_join ON case_join")
        db.q("DROP FUNCTION test_refuse_join()")
    # Without the fault, its retry joins it to its post's case.
    wait_jobs_done(db, timeout=15, workers=[w])
    assert job_of(db, bad)["state"] == "done"
    check_one_case_per_tip(db)


def test_claim_stops_at_the_screenshot_budget(wenv):
    """job_claim() takes jobs in order until their tips bring the
    screenshots it may take; the first always comes."""
    db = wenv.db
    hashes = insert_tips(wenv, [{"description": f"budget test tip {i}"}
                                for i in range(4)])
    jobs = job_ids(db, hashes)
    # In the order of their jobs' ids, the order job_claim() takes.
    tips = [db.one("SELECT tip_id FROM job WHERE id = %s", (j,))
            for j in jobs]
    try:
        hold_jobs(db, jobs)
        # As if the tips had screenshots: 2, 2, 0, 5.
        for t, n in zip(tips, (2, 2, 0, 5)):
            db.q("UPDATE tip SET nattachments = %s WHERE id = %s", (n, t))
        db.q("UPDATE job SET run_after = now() WHERE id = ANY (%s)", (jobs,))

        def claim(n, shots):
            return [r[0] for r in db.q(
                "SELECT id FROM job_claim(60, 5, %s, %s)", (n, shots))]
        assert claim(10, 3) == jobs[:2]        # 0 + 2 < 3, then 4 >= 3
        assert claim(10, 1) == jobs[2:4]       # 0, then 0 + 0 < 1
        db.q("UPDATE job SET locked_until = NULL, attempts = 0 "
             "WHERE id = ANY (%s)", (jobs,))
        assert claim(1, 100) == jobs[:1]       # no more than asked
        db.q("UPDATE job SET locked_until = NULL, attempts = 0 "
             "WHERE id = ANY (%s)", (jobs,))
        db.q("UPDATE tip SET nattachments = 5 WHERE id = %s", (tips[0],))
        assert claim(10, 1) == jobs[:1]        # the first always comes
    finally:
        db.q("DELETE FROM tip WHERE id = ANY (%s)", (tips,))
