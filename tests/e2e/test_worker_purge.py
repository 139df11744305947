"""Retention: the worker's purge job deletes the tips of cases closed
past [retention] closed_cases (with their screenshots, keys and joins),
the cases left empty, finished jobs past done_jobs, and e-mail addresses
whose feedback was sent, in batches of [retention] batch rows."""
import re

import worklib
from worklib import check_one_case_per_tip, insert_tips, wait_jobs_done

start_worker = worklib.start_worker
wenv = worklib.wenv


def tip_ids(db, hashes):
    return [db.one("SELECT id FROM tip WHERE receipt_hash = %s", (h,))
            for h in hashes]


def case_of(db, tip):
    return db.one("SELECT case_id FROM case_join WHERE tip_id = %s", (tip,))


def counts(db, tips):
    """Rows left of these tips: tips, joins, exact and near keys."""
    return db.one(
        "SELECT (SELECT count(*) FROM tip WHERE id = ANY (%s)), "
        "(SELECT count(*) FROM case_join WHERE tip_id = ANY (%s)), "
        "(SELECT count(*) FROM exact_key WHERE tip_id = ANY (%s)), "
        "(SELECT count(*) FROM near_key WHERE tip_id = ANY (%s))",
        (tips, tips, tips, tips))


def test_purge_past_retention(wenv, start_worker):
    db = wenv.db
    hashes = insert_tips(wenv, [
        # Case A, closed 400 days ago: goes.
        {"description": "they painted the same hateful slogan on the school "
                        "wall again last night",
         "url": "https://x.com/u/status/8400000000000000001"},
        {"description": "purge test a2",
         "url": "https://twitter.com/u/status/8400000000000000001"},
        {"description": "purge test a3",
         "url": "https://x.com/u/status/8400000000000000001?s=20"},
        # Case B, closed 10 days ago: stays.
        {"description": "a man shouted threats at a family at the bus "
                        "station and followed them home",
         "url": "https://x.com/u/status/8400000000000000002"},
        # Case C, open: stays.
        {"description": "purge test c",
         "url": "https://x.com/u/status/8400000000000000003"},
        # Feedback by e-mail, sent: the address goes.  Not sent: stays.
        {"description": "purge test e1"},
        {"description": "purge test e2"},
    ])
    a1, a2, a3, b, c, e1, e2 = tips = tip_ids(db, hashes)
    db.q("UPDATE tip SET feedback = 'email', sealed_email = %s "
         "WHERE id = ANY (%s)", (b"\x01" * 60, [e1, e2]))
    w = start_worker(name="ingest.log")
    wait_jobs_done(db, timeout=20, workers=[w])
    w.check_stopped_cleanly(w.stop())
    case_a, case_b, case_c = case_of(db, a1), case_of(db, b), case_of(db, c)
    assert case_of(db, a2) == case_of(db, a3) == case_a
    assert len({case_a, case_b, case_c}) == 3
    assert counts(db, [a1, a2, a3])[2:] != (0, 0), "case A has no keys"

    db.q("UPDATE cases SET status = 'closed', closed_at = now() - "
         "interval '400 days' WHERE id = %s", (case_a,))
    db.q("UPDATE cases SET status = 'closed', closed_at = now() - "
         "interval '10 days' WHERE id = %s", (case_b,))
    db.q("UPDATE tip SET feedback_sent_at = now() WHERE id = %s", (e1,))
    # Finished jobs: b's and c's are old, the rest recent.
    old_jobs = [r[0] for r in db.q(
        "UPDATE job SET created_at = now() - interval '8 days' "
        "WHERE tip_id = ANY (%s) RETURNING id", ([b, c],))]
    assert len(old_jobs) == 2
    jobs_before = db.one("SELECT count(*) FROM job")

    # One row of each kind per transaction, a purge every second.
    conf = wenv.write_conf("purge.ini", retention={
        "purge_every": "1s", "batch": "1", "closed_cases": "365d",
        "done_jobs": "7d"})
    w = start_worker(conf, name="purge.log")
    w.wait_log(r"kind=purge attempt=1 ms=\d+ result=done deleted=[1-9]", 15)
    w.check_stopped_cleanly(w.stop())
    m = re.search(r"kind=purge attempt=1 ms=\d+ result=done "
                  r"deleted=(\d+) batches=(\d+)", w.log())
    deleted, batches = int(m.group(1)), int(m.group(2))
    # 3 tips, 1 case, 2 jobs, 1 address; one row of each kind a batch,
    # and a last batch that finds nothing.
    assert deleted == 7, w.log()
    assert batches == 4, w.log()

    assert counts(db, [a1, a2, a3]) == (0, 0, 0, 0)
    assert db.one("SELECT count(*) FROM cases WHERE id = %s", (case_a,)) == 0
    assert db.one("SELECT count(*) FROM exact_key WHERE case_id = %s",
                  (case_a,)) == 0
    assert db.one("SELECT count(*) FROM near_key WHERE case_id = %s",
                  (case_a,)) == 0
    for t in (b, c, e1, e2):
        assert counts(db, [t])[:2] == (1, 1), t
    assert db.one("SELECT count(*) FROM job WHERE id = ANY (%s)",
                  (old_jobs,)) == 0
    # The purge's own job stays (done, recent), as do the other jobs.
    assert db.one("SELECT count(*) FROM job") == \
        jobs_before - 2 - 3 + db.one("SELECT count(*) FROM job WHERE "
                                     "kind = 'purge'")
    emails = dict(db.q("SELECT id, sealed_email IS NOT NULL FROM tip "
                       "WHERE id = ANY (%s)", ([e1, e2],)))
    assert emails == {e1: False, e2: True}
    check_one_case_per_tip(db)
    assert len(tips) == 7
