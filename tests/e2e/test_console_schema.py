"""The console's side of a case in SQL (schema/0007_console.sql): states,
the actions tipline_console calls (each checking who acts, on which
version, and writing the case's history and the audit log), merges and
splits with a real tipline-worker ingesting tips around them, and the
hash-chained audit log with `tiplinectl audit`.

Cases for the checks of rights and states are inserted as postgres; cases
that need tips and keys are made by the worker from tips stored with
tip_submit() (worklib.insert_tips).  The module has a database of its own
(worklib.wenv); the audit log's tampering tests another one again.
"""
import datetime
import hashlib
import itertools
import struct

import psycopg
import pytest
from psycopg import errors
from psycopg.types.json import Jsonb

import worklib
from e2elib import ROOT, ctl
from worklib import (DB, check_one_case_per_tip, insert_tips,
                     wait_jobs_done, worker_conf_text)

module_worker = worklib.module_worker
wenv = worklib.wenv

HELSINKI, ITA_UUSIMAA, NATIONAL = 1, 2, 12

_n = itertools.count(1)


# ----------------------------------------------------------------- helpers

def add_reviewer(db, role, dept, disabled=False):
    name = f"r{next(_n)}-{role}"
    return db.one(
        "INSERT INTO reviewer (username, display_name, role, department_id, "
        "password_hash, totp_sealed, disabled) VALUES (%s, 'Test', %s, %s, "
        "'$argon2id$v=19$m=1,t=1,p=1$x$y', '\\x00', %s) RETURNING id",
        (name, role, dept, disabled))


@pytest.fixture(scope="module")
def who(wenv):
    """Reviewers by what they are."""
    db = wenv.db
    return {
        "officer": add_reviewer(db, "officer", HELSINKI),
        "colleague": add_reviewer(db, "officer", HELSINKI),
        "other": add_reviewer(db, "officer", ITA_UUSIMAA),
        "national": add_reviewer(db, "national", NATIONAL),
        "admin": add_reviewer(db, "admin", None),
        "disabled": add_reviewer(db, "officer", HELSINKI, disabled=True),
    }


@pytest.fixture(scope="module")
def console(wenv):
    c = wenv.db.connect(user="tipline_console", autocommit=True)
    yield c
    c.close()


def new_case(db, dept=HELSINKI, status="new", ntips=0):
    return db.one(
        "INSERT INTO cases (department_id, status, ntips, priority, "
        "opened_at, last_tip_at, closed_at, outcome) VALUES (%s, %s, %s, %s, "
        "now(), now(), CASE WHEN %s = 'closed' THEN now() END, "
        "CASE WHEN %s = 'closed' THEN 'no_offence' END) RETURNING id",
        (dept, status, ntips, ntips, status, status))


def call(conn, fn, *args):
    marks = ", ".join(["%s"] * len(args))
    return conn.execute(f"SELECT {fn}({marks})", args).fetchone()[0]


def fails(sqlstate, conn, fn, *args):
    with pytest.raises(psycopg.Error) as e:
        call(conn, fn, *args)
    assert e.value.sqlstate == sqlstate, f"{fn}{args}: {e.value}"


def case(db, cid):
    cols = ("status", "version", "assignee_id", "acknowledged_at",
            "decided_at", "closed_at", "outcome", "hate_confirmed",
            "grounds", "offences", "department_id", "needs_routing",
            "merged_into", "ntips", "priority")
    row = db.one(f"SELECT {', '.join(cols)} FROM cases WHERE id = %s",
                 (cid,))
    return dict(zip(cols, row))


def events(db, cid):
    return db.q("SELECT kind, reviewer_id, reason, detail FROM case_event "
                "WHERE case_id = %s ORDER BY id", (cid,))


def audits(db, cid):
    return db.q("SELECT action, reviewer_id, detail FROM audit_log "
                "WHERE case_id = %s ORDER BY id", (cid,))


def url(tag):
    return f"https://x.com/u/status/77{next(_n):017d}{tag}"


def ingest_tips(env, worker, tips):
    """Stores TIPS, waits for the worker; returns [(tip id, case id)]."""
    hashes = insert_tips(env, tips)
    wait_jobs_done(env.db, timeout=30, workers=[worker])
    return [env.db.one("SELECT t.id, cj.case_id FROM tip t JOIN case_join "
                       "cj ON cj.tip_id = t.id WHERE t.receipt_hash = %s",
                       (h,)) for h in hashes]


# Descriptions long enough to be text keys, far apart from each other.
MERGE_TEXT = ("the shop owner on the corner was told to go back where he "
              "came from by two drunk men yesterday")
SMALL_TEXT = ("someone sprayed symbols on the door of the mosque at night "
              "and filmed it for their channel")
SPLIT_TEXT = ("an anonymous account posted a list of names and home "
              "addresses of activists calling for violence against them")


# -------------------------------------------------------------- migration

def test_open_cases_become_new(keys_dir, pg, tmp_path):
    """A database at 0006 with an open and a closed case, migrated."""
    name = "tipline_console_upgrade"
    pg.createdb(name)
    db = DB(pg, name)
    try:
        migrations = sorted((ROOT / "schema").glob("000*.sql"))
        for f in migrations:
            if f.name >= "0007":
                break
            db.psql(f"BEGIN; {f.read_text()} COMMIT;")
        db.psql("CREATE TABLE schema_version (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL "
                "DEFAULT now()); INSERT INTO schema_version (version, name) "
                "SELECT g, 'old' FROM generate_series(1, 6) g")
        db.psql("INSERT INTO cases (department_id, status, opened_at, "
                "last_tip_at, closed_at) VALUES (1, 'open', now(), now(), "
                "NULL), (1, 'closed', now(), now(), now())")
        conf = tmp_path / "tipline.ini"
        conf.write_text(worker_conf_text(keys_dir, db.conninfo, 1))
        p = ctl(conf, "migrate")
        assert p.returncode == 0, p.stderr
        assert "applied 0007_console.sql" in p.stdout
        assert db.q("SELECT status, version FROM cases ORDER BY id") == \
            [("new", 1), ("closed", 1)]
        with pytest.raises(psycopg.errors.CheckViolation):
            db.q("UPDATE cases SET status = 'open'")
        assert db.one("SELECT column_default FROM information_schema.columns"
                      " WHERE table_name = 'cases' AND column_name = "
                      "'status'") == "'new'::text"
    finally:
        db.close()


def test_queue_is_an_index_scan_without_sort(wenv):
    """The keyset page of a department's queue reads the partial index in
    order (with many closed cases around, as in production)."""
    db = wenv.db
    with db.connect() as c:
        c.execute("SET enable_seqscan = off")
        for sql in [
            "EXPLAIN SELECT id FROM cases WHERE department_id = 1 "
            "AND status IN ('new', 'in_progress') AND (priority, id) < "
            "(5, 1000) ORDER BY priority DESC, id DESC LIMIT 50",
            "EXPLAIN SELECT id FROM cases WHERE department_id = 1 "
            "AND status IN ('new', 'in_progress') AND (opened_at, id) > "
            "(now() - interval '1 day', 5) ORDER BY opened_at, id LIMIT 50",
        ]:
            plan = "\n".join(r[0] for r in c.execute(sql))
            assert "Sort" not in plan, plan
            assert "cases_queue_" in plan, plan
        c.rollback()


# ---------------------------------------------------------------- actions

def test_start_assign_close_reopen(wenv, who, console):
    db, me = wenv.db, who["officer"]
    cid = new_case(db)
    assert case(db, cid)["version"] == 1

    assert call(console, "case_start", me, cid, 1) == 2
    c = case(db, cid)
    assert c["status"] == "in_progress" and c["acknowledged_at"] is not None
    ack = c["acknowledged_at"]

    assert call(console, "case_assign", me, cid, 2, me) == 3
    assert call(console, "case_assign", me, cid, 3, None) == 4
    assert case(db, cid)["assignee_id"] is None
    assert call(console, "case_assign", me, cid, 4, me) == 5
    c = case(db, cid)
    assert c["assignee_id"] == me and c["acknowledged_at"] == ack

    assert call(console, "case_close", me, cid, 5, "offence_reported", True,
                ["religion", "ethnic", "ethnic"], ["agitation"], " seen ") \
        == 6
    c = case(db, cid)
    assert c["status"] == "closed" and c["outcome"] == "offence_reported"
    assert c["grounds"] == ["ethnic", "religion"]
    assert c["offences"] == ["agitation"] and c["hate_confirmed"] is True
    assert c["closed_at"] is not None and c["decided_at"] is not None

    assert call(console, "case_reopen", me, cid, 6, "new evidence") == 7
    c = case(db, cid)
    assert c["status"] == "in_progress" and c["closed_at"] is None
    assert c["outcome"] is None and c["decided_at"] is None

    ev = events(db, cid)
    assert [e[0] for e in ev] == ["status", "assign", "unassign", "assign",
                                  "close", "reopen"]
    assert all(e[1] == me for e in ev)
    assert ev[4][2] == "seen"
    assert ev[4][3]["outcome"] == "offence_reported"
    # The decision that was undone stays in the history.
    assert ev[5][2] == "new evidence"
    assert ev[5][3]["outcome"] == "offence_reported"
    assert ev[5][3]["grounds"] == ["ethnic", "religion"]
    assert [a[0] for a in audits(db, cid)] == [
        "start", "assign", "unassign", "assign", "close", "reopen"]
    assert all(a[1] == me for a in audits(db, cid))


def test_assign_starts_a_new_case(wenv, who, console):
    db, me = wenv.db, who["officer"]
    cid = new_case(db)
    assert call(console, "case_assign", me, cid, 1, me) == 2
    c = case(db, cid)
    assert (c["status"], c["assignee_id"]) == ("in_progress", me)
    assert c["acknowledged_at"] is not None


def test_close_new_case_acknowledges(wenv, who, console):
    db, me = wenv.db, who["officer"]
    cid = new_case(db)
    assert call(console, "case_close", me, cid, 1, "no_offence", False, [],
                None, None) == 2
    c = case(db, cid)
    assert c["status"] == "closed" and c["acknowledged_at"] is not None
    assert (c["grounds"], c["offences"]) == ([], [])
    assert events(db, cid)[0][2] is None


def test_national_reviewer_acts_on_national_cases(wenv, who, console):
    db = wenv.db
    cid = new_case(db, NATIONAL)
    assert call(console, "case_start", who["national"], cid, 1) == 2
    fails("TL403", console, "case_start", who["officer"], cid, 2)


def test_move(wenv, who, console):
    db, me = wenv.db, who["officer"]
    cid = new_case(db)
    db.q("UPDATE cases SET needs_routing = true WHERE id = %s", (cid,))
    v = call(console, "case_assign", me, cid, 1, me)
    assert call(console, "case_move", me, cid, v, ITA_UUSIMAA,
                "the place is in Vantaa") == v + 1
    c = case(db, cid)
    assert c["department_id"] == ITA_UUSIMAA and c["assignee_id"] is None
    assert c["status"] == "in_progress" and not c["needs_routing"]
    kind, _, reason, detail = events(db, cid)[-1]
    assert (kind, reason) == ("move", "the place is in Vantaa")
    assert (detail["from"], detail["to"]) == (HELSINKI, ITA_UUSIMAA)
    assert audits(db, cid)[-1][2]["to"] == ITA_UUSIMAA
    # Gone from the officer, there for the other department.
    fails("TL403", console, "case_start", me, cid, v + 1)
    fails("TL422", console, "case_start", who["other"], cid, v + 1)
    assert call(console, "case_note_add", who["other"], cid, b"x") > 0


def test_note(wenv, who, console):
    db, me = wenv.db, who["officer"]
    cid = new_case(db, status="closed")
    nid = call(console, "case_note_add", me, cid, b"\x01sealed\x00")
    assert db.one("SELECT case_id, reviewer_id, sealed FROM case_note "
                  "WHERE id = %s", (nid,)) == (cid, me, b"\x01sealed\x00")
    assert case(db, cid)["version"] == 1
    assert events(db, cid) == [("note", me, None, {"note_id": nid})]
    assert audits(db, cid) == [("note", me, {"note_id": nid})]
    # The note's text is in no clear column anywhere.
    assert db.one("SELECT count(*) FROM audit_log WHERE sealed IS NOT NULL "
                  "AND case_id = %s", (cid,)) == 0


ACTIONS = {
    "start": lambda r, c, v: ("case_start", r, c, v),
    "assign": lambda r, c, v: ("case_assign", r, c, v, r),
    "close": lambda r, c, v: ("case_close", r, c, v, "duplicate", None, [],
                              [], None),
    "reopen": lambda r, c, v: ("case_reopen", r, c, v, "why"),
    "move": lambda r, c, v: ("case_move", r, c, v, NATIONAL, "why"),
    "merge": lambda r, c, v: ("case_merge", r, c, v, PARTNER.get(c, 0), 1,
                              None),
    "split": lambda r, c, v: ("case_split", r, c, v,
                              "00000000-0000-0000-0000-000000000000", "why"),
    "note": lambda r, c, v: ("case_note_add", r, c, b"x"),
}


# Each case's partner in a merge: ids are in no order within an hour
# (schema/0019_timing.sql).
PARTNER = {}


def case_for(db, action):
    status = "closed" if action == "reopen" else "new"
    cid = new_case(db, status=status)
    if action == "merge":
        PARTNER[cid] = new_case(db)
    return cid


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("whom", ["other", "admin", "disabled", "unknown"])
def test_forbidden(wenv, who, console, action, whom):
    db = wenv.db
    cid = case_for(db, action)
    reviewer = who.get(whom, 999999)
    fails("TL403", console, *ACTIONS[action](reviewer, cid, 1))
    assert case(db, cid)["version"] == 1
    assert events(db, cid) == [] and audits(db, cid) == []


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_unknown_case_is_forbidden(wenv, who, console, action):
    fails("TL403", console, *ACTIONS[action](who["officer"], 10 ** 12, 1))


@pytest.mark.parametrize("action", sorted(set(ACTIONS) - {"note"}))
def test_stale_version(wenv, who, console, action):
    db = wenv.db
    cid = case_for(db, action)
    db.q("UPDATE cases SET version = 2 WHERE id = %s", (cid,))
    fails("TL409", console, *ACTIONS[action](who["officer"], cid, 1))
    assert events(db, cid) == [] and audits(db, cid) == []


def test_merge_checks_both_versions(wenv, who, console):
    db, me = wenv.db, who["officer"]
    a, b = new_case(db), new_case(db)
    fails("TL409", console, "case_merge", me, a, 1, b, 2, None)
    fails("TL409", console, "case_merge", me, b, 1, a, 2, None)
    fails("TL403", console, "case_merge", me, a, 1, new_case(db, NATIONAL),
          1, None)


BAD = [
    ("assign a colleague", "new",
     lambda w, c: ("case_assign", w["officer"], c, 1, w["colleague"])),
    ("unassign nobody", "new",
     lambda w, c: ("case_assign", w["officer"], c, 1, None)),
    ("assign closed", "closed",
     lambda w, c: ("case_assign", w["officer"], c, 1, w["officer"])),
    ("start in progress", "in_progress",
     lambda w, c: ("case_start", w["officer"], c, 1)),
    ("start closed", "closed",
     lambda w, c: ("case_start", w["officer"], c, 1)),
    ("unknown outcome", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, "solved", True, [], [],
                   None)),
    ("no outcome", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, None, True, [], [],
                   None)),
    ("grounds without hate", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, "no_offence", False,
                   ["ethnic"], [], None)),
    ("unknown ground", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, "platform_removal",
                   True, ["height"], [], None)),
    ("unknown offence", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, "offence_reported",
                   True, [], ["littering"], None)),
    ("offence and no offence", "new",
     lambda w, c: ("case_close", w["officer"], c, 1, "no_offence", True, [],
                   ["menace"], None)),
    ("close closed", "closed",
     lambda w, c: ("case_close", w["officer"], c, 1, "duplicate", None, [],
                   [], None)),
    ("reopen blank", "closed",
     lambda w, c: ("case_reopen", w["officer"], c, 1, "  ")),
    ("reopen no reason", "closed",
     lambda w, c: ("case_reopen", w["officer"], c, 1, None)),
    ("reopen open", "in_progress",
     lambda w, c: ("case_reopen", w["officer"], c, 1, "why")),
    ("move here", "new",
     lambda w, c: ("case_move", w["officer"], c, 1, HELSINKI, "why")),
    ("move nowhere", "new",
     lambda w, c: ("case_move", w["officer"], c, 1, 99, "why")),
    ("move blank", "new",
     lambda w, c: ("case_move", w["officer"], c, 1, ITA_UUSIMAA, "")),
    ("move closed", "closed",
     lambda w, c: ("case_move", w["officer"], c, 1, ITA_UUSIMAA, "why")),
    ("merge itself", "new",
     lambda w, c: ("case_merge", w["officer"], c, 1, c, 1, None)),
    ("merge closed", "closed",
     lambda w, c: ("case_merge", w["officer"], c, 1, PARTNER[c], 1, None)),
    ("split no reason", "new",
     lambda w, c: ("case_split", w["officer"], c, 1,
                   "00000000-0000-0000-0000-000000000000", " ")),
    ("split foreign tip", "new",
     lambda w, c: ("case_split", w["officer"], c, 1,
                   "00000000-0000-0000-0000-000000000000", "why")),
    ("empty note", "new",
     lambda w, c: ("case_note_add", w["officer"], c, b"")),
]


@pytest.mark.parametrize("name,status,args", BAD, ids=[b[0] for b in BAD])
def test_refused(wenv, who, console, name, status, args):
    db = wenv.db
    other = new_case(db)  # merge's other, open case
    cid = new_case(db, status=status)
    PARTNER[cid] = other
    fails("TL422", console, *args(who, cid))
    assert case(db, cid)["version"] == 1
    assert events(db, cid) == [] and audits(db, cid) == []


# ------------------------------------------------- merge, split, the worker

def test_worker_joins_open_cases_only(wenv, who, console, module_worker):
    """Tips join new and in_progress cases, not closed or merged ones."""
    db, me = wenv.db, who["national"]
    u = url("j")
    [(_, cid)] = ingest_tips(wenv, module_worker, [{"description": "a",
                                                    "url": u}])
    assert case(db, cid)["status"] == "new"
    [(_, c2)] = ingest_tips(wenv, module_worker, [{"description": "b",
                                                   "url": u}])
    assert c2 == cid
    v = call(console, "case_start", me, cid, 1)
    [(_, c3)] = ingest_tips(wenv, module_worker, [{"description": "c",
                                                   "url": u}])
    assert c3 == cid and case(db, cid)["ntips"] == 3
    call(console, "case_close", me, cid, v, "platform_removal", True,
         ["religion"], [], None)
    [(_, c4)] = ingest_tips(wenv, module_worker, [{"description": "d",
                                                   "url": u}])
    assert c4 != cid and case(db, cid)["ntips"] == 3
    # A merged case keeps no keys, but even if it had some: none joins.
    for status in ("merged", "closed", "new", "in_progress"):
        db.q("UPDATE cases SET status = %s, merged_into = CASE WHEN %s = "
             "'merged' THEN %s END WHERE id = %s", (status, status, c4, cid))
        db.q("DELETE FROM exact_key WHERE case_id = %s", (c4,))
        found = db.q("SELECT e.case_id FROM exact_key k, "
                     "exact_case('link', ARRAY[k.key], now() - interval "
                     "'1 day') e WHERE k.case_id = %s", (cid,))
        want = [(cid,)] if status in ("new", "in_progress") else []
        assert found == want, status
    check_one_case_per_tip(db)


def test_merge(wenv, who, console, module_worker):
    db, me = wenv.db, who["national"]
    ua, ub, shared = url("a"), url("b"), url("s")
    tips = ingest_tips(wenv, module_worker, [
        {"description": "m1", "url": ua},
        {"description": SMALL_TEXT, "url": ua},
        {"description": MERGE_TEXT, "url": ub},
    ])
    # The smaller id merges into the larger; ids are in no order within an
    # hour (schema/0019_timing.sql), and the two cases are alike here.
    assert tips[1][1] == tips[0][1] != tips[2][1]
    small, large = sorted((tips[0][1], tips[2][1]))
    # Both cases hold one key in common (a duplicate to drop on the move).
    db.q("INSERT INTO exact_key (kind, key, case_id) VALUES "
         "('link', sha256(%s::bytea), %s), ('link', sha256(%s::bytea), %s)",
         (shared.encode(), small, shared.encode(), large))
    assert db.one("SELECT count(*) FROM near_key WHERE case_id = %s",
                  (small,)) == 1
    keys_small = db.q("SELECT kind, key FROM exact_key WHERE case_id = %s "
                      "UNION ALL SELECT kind, hash::text::bytea FROM near_key"
                      " WHERE case_id = %s", (small, small))
    before = {t: db.one("SELECT matched, distance, joined_at FROM case_join "
                        "WHERE tip_id = %s", (t,)) for t, _ in tips}
    v_small = call(console, "case_start", me, small, 1)

    assert call(console, "case_merge", me, large, 1, small, v_small,
                "same post, two links") == large
    s, l = case(db, small), case(db, large)
    assert (s["status"], s["merged_into"], s["ntips"], s["priority"]) == \
        ("merged", large, 0, 0)
    assert (l["status"], l["ntips"], l["priority"]) == ("in_progress", 3, 3)
    assert (s["version"], l["version"]) == (v_small + 1, 2)
    assert db.q("SELECT tip_id FROM case_join WHERE case_id = %s",
                (small,)) == []
    for t, _ in tips:
        assert db.one("SELECT case_id FROM case_join WHERE tip_id = %s",
                      (t,)) == large
        assert db.one("SELECT matched, distance, joined_at FROM case_join "
                      "WHERE tip_id = %s", (t,)) == before[t]
    assert db.one("SELECT count(*) FROM exact_key WHERE case_id = %s",
                  (small,)) == 0
    assert db.one("SELECT count(*) FROM near_key WHERE case_id = %s",
                  (small,)) == 0
    keys_large = set(db.q("SELECT kind, key FROM exact_key WHERE case_id = "
                          "%s UNION ALL SELECT kind, hash::text::bytea FROM "
                          "near_key WHERE case_id = %s", (large, large)))
    assert set(keys_small) <= keys_large
    assert db.one("SELECT count(*) FROM exact_key WHERE case_id = %s AND "
                  "key = sha256(%s::bytea)", (large, shared.encode())) == 1
    detail = {"from": small, "into": large}
    for cid in (small, large):
        assert events(db, cid)[-1] == ("merge", me, "same post, two links",
                                       detail)
        assert audits(db, cid)[-1] == ("merge", me, detail)
    fails("TL422", console, "case_start", me, small, s["version"])
    check_one_case_per_tip(db)

    # A later tip with the smaller case's link lands in the survivor.
    [(_, c)] = ingest_tips(wenv, module_worker, [{"description": "m4",
                                                  "url": ua}])
    assert c == large and case(db, large)["ntips"] == 4
    check_one_case_per_tip(db)

    # Merging the survivor on: the first merged case follows.
    other = ingest_tips(wenv, module_worker, [{"description": "m5",
                                               "url": url("c")}])[0][1]
    v = case(db, large)["version"]
    last = max(other, large)
    assert call(console, "case_merge", me, other, 1, large, v, None) == \
        last
    assert case(db, small)["merged_into"] == last
    assert case(db, min(other, large))["merged_into"] == last
    check_one_case_per_tip(db)


def test_split(wenv, who, console, module_worker):
    db, me = wenv.db, who["national"]
    u = url("p")
    text = SPLIT_TEXT
    # The first tip alone first: it brings the link key.  (Sent together,
    # a loaded worker may apply the second one's batch first.)
    tips = ingest_tips(wenv, module_worker, [
        {"description": "s1", "url": u},
    ]) + ingest_tips(wenv, module_worker, [
        {"description": text, "url": u},
        {"description": "s3", "url": u},
    ])
    cid = tips[0][1]
    assert {c for _, c in tips} == {cid}
    t2 = tips[1][0]
    own = db.q("SELECT kind FROM exact_key WHERE tip_id = %s UNION ALL "
               "SELECT kind FROM near_key WHERE tip_id = %s", (t2, t2))
    assert sorted(own) == [("text",), ("text",)]

    new = call(console, "case_split", me, cid, 1, t2, "another matter")
    assert new != cid
    n, o = case(db, new), case(db, cid)
    assert (n["status"], n["ntips"], n["priority"], n["department_id"]) == \
        ("new", 1, 1, NATIONAL)
    assert (o["ntips"], o["priority"], o["version"]) == (2, 2, 2)
    recv = db.one("SELECT received_at FROM tip WHERE id = %s", (t2,))
    assert db.one("SELECT opened_at, last_tip_at FROM cases WHERE id = %s",
                  (new,)) == (recv, recv)
    assert db.one("SELECT case_id, matched, distance FROM case_join WHERE "
                  "tip_id = %s", (t2,)) == (new, "split", None)
    # Its own keys went with it; the link the first tip brought stayed.
    assert db.one("SELECT count(*) FROM exact_key WHERE tip_id = %s AND "
                  "case_id = %s", (t2, new)) == 1
    assert db.one("SELECT count(*) FROM near_key WHERE tip_id = %s AND "
                  "case_id = %s", (t2, new)) == 1
    assert db.q("SELECT kind FROM exact_key WHERE case_id = %s",
                (cid,)) == [("link",)]
    detail = {"from": cid, "into": new, "tip": str(t2)}
    assert events(db, cid)[-1] == ("split", me, "another matter", detail)
    assert events(db, new)[-1] == ("split", me, "another matter", detail)
    assert [a[0] for a in audits(db, new)] == ["split"]
    # A case of one tip cannot be split.
    fails("TL422", console, "case_split", me, new, 1, t2, "why")
    check_one_case_per_tip(db)

    # Later tips: the text goes to the new case, the link to the old one.
    [(_, c1), (_, c2)] = ingest_tips(wenv, module_worker, [
        {"description": text}, {"description": "s5", "url": u}])
    assert (c1, c2) == (new, cid)

    check_one_case_per_tip(db)


def test_merged_case_is_purged_with_its_target(wenv, who, console):
    db, me = wenv.db, who["officer"]
    a, b = sorted((new_case(db), new_case(db)))
    assert call(console, "case_merge", me, a, 1, b, 1, None) == b
    call(console, "case_close", me, b, 2, "no_offence", False, [], [], None)
    db.q("UPDATE cases SET closed_at = now() - interval '2 days' "
         "WHERE id = %s", (b,))
    n = 0
    while db.one("SELECT purge_batch(86400, 86400 * 365, 100)"):
        n += 1
        assert n < 100
    assert db.q("SELECT id FROM cases WHERE id IN (%s, %s)", (a, b)) == []
    assert db.one("SELECT count(*) FROM case_event WHERE case_id IN "
                  "(%s, %s)", (a, b)) == 0
    # The audit log keeps what happened.
    assert db.one("SELECT count(*) FROM audit_log WHERE case_id IN "
                  "(%s, %s)", (a, b)) == 3


# ----------------------------------------------------------------- rights

@pytest.mark.parametrize("sql", [
    "INSERT INTO audit_log (id, at, action, prev_hash, hash) VALUES "
    "(100000, now(), 'login', '\\x00', '\\x00')",
    "UPDATE audit_log SET detail = '{}'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "SELECT * FROM audit_head",
    "UPDATE audit_head SET id = 0",
    "INSERT INTO case_event (case_id, kind) VALUES (1, 'note')",
    "UPDATE case_event SET reason = 'x'",
    "DELETE FROM case_note",
    "INSERT INTO case_note (case_id, sealed) VALUES (1, '\\x00')",
    "UPDATE cases SET status = 'closed'",
    "SELECT case_hold(1, 1, 1)",
    "SELECT audit_encode(1, now(), 1, 'x', 1, NULL, NULL)",
])
def test_console_denied(console, sql):
    with pytest.raises(errors.InsufficientPrivilege):
        console.execute(sql)


def test_console_reads_and_appends(wenv, who, console):
    n = console.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    i = call(console, "audit_append", who["officer"], "search", None,
             Jsonb({"results": 3}), b"\x02sealed")
    assert console.execute("SELECT count(*), max(id) FROM audit_log"
                           ).fetchone() == (n + 1, i)
    i2 = call(console, "audit_append", None, "login_failed", None, None,
              None)
    assert i2 == i + 1
    fails("TL422", console, "audit_append", 1, "Bad Action", None, None,
          None)
    console.execute("SELECT count(*) FROM case_event").fetchone()
    console.execute("SELECT count(*) FROM case_note").fetchone()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET detail = '{}'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
])
def test_log_append_only_for_its_owner_too(wenv, sql):
    wenv.db.one("SELECT audit_append(NULL, 'login_failed', NULL, NULL, "
                "NULL)")
    with pytest.raises(errors.InsufficientPrivilege):
        wenv.db.q(sql)


# -------------------------------------------------------------- audit log

def enc_field(b):
    return b"\xff\xff\xff\xff" if b is None else struct.pack(">I", len(b)) + b


def row_hash(prev, id, at_us, reviewer, action, case_id, detail, sealed):
    """The chain's hash as schema/0007_console.sql defines it, computed
    here independently of SQL and C."""
    enc = b"".join(enc_field(x) for x in [
        struct.pack(">q", id), struct.pack(">q", at_us),
        None if reviewer is None else struct.pack(">i", reviewer),
        action.encode(),
        None if case_id is None else struct.pack(">q", case_id),
        None if detail is None else detail.encode(), sealed])
    return hashlib.sha256(prev + enc).digest()


def check_chain(db):
    rows = db.q("SELECT id, (extract(epoch FROM at) * 1000000)::bigint, "
                "reviewer_id, action, case_id, detail::text, sealed, "
                "prev_hash, hash FROM audit_log ORDER BY id")
    prev = bytes(32)
    for i, r in enumerate(rows, 1):
        assert r[0] == i
        assert bytes(r[7]) == prev, f"row {i}"
        h = row_hash(prev, *r[:6], None if r[6] is None else bytes(r[6]))
        assert bytes(r[8]) == h, f"row {i}"
        prev = h
    assert db.one("SELECT id, hash FROM audit_head") == \
        (len(rows), prev)
    return len(rows)


def test_chain_holds(wenv):
    """Every row written so far, recomputed here."""
    wenv.db.one("SELECT audit_append(7, 'image_reveal', 5, "
                "'{\"seq\": 2, \"a\": [1, \"x\"]}', '\\x00ff00')")
    assert check_chain(wenv.db) >= 2


# ------------------------------------------------------ tiplinectl audit

@pytest.fixture(scope="module")
def chain(keys_dir, pg, tmp_path_factory):
    """A database of its own, whose audit log the test tampers with; its
    config for tiplinectl."""
    name = "tipline_console_audit"
    pg.createdb(name)
    db = DB(pg, name)
    conf = tmp_path_factory.mktemp("audit") / "tipline.ini"
    conf.write_text(worker_conf_text(keys_dir, db.conninfo, 1))
    p = ctl(conf, "migrate")
    assert p.returncode == 0, p.stderr
    yield db, conf
    db.close()


def tamper(db, *sqls):
    """As a superuser who gets past the append-only triggers."""
    with db.connect() as c:
        c.execute("SET session_replication_role = replica")
        for sql in sqls:
            c.execute(sql)


def verify(conf, *args):
    p = ctl(conf, "audit", "verify", *args)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, p.stdout + p.stderr


def append(db, reviewer, action, case_id, detail, sealed):
    return db.one("SELECT audit_append(%s, %s, %s, %s, %s)",
                  (reviewer, action, case_id,
                   None if detail is None else Jsonb(detail), sealed))


ROWS = [
    (1, "login", None, {"result": "ok"}, None),
    (None, "login_failed", None, None, None),
    (1, "search", None, {"results": 2, "note": "ä ö \u2603"}, b"\x00sealed"),
    (2, "case_view", 7, None, None),
    (2, "image_reveal", 7, {"seq": 1}, b""),
    (1, "logout", None, {}, None),
]


def test_verify_detects_tampering(chain, tmp_path):
    db, conf = chain
    assert verify(conf) == (0, "audit chain OK: 0 rows, head 0 "
                            + "00" * 32 + "\n")
    for r in ROWS:
        append(db, *r)
    assert check_chain(db) == 6
    hashes = dict(db.q("SELECT id, encode(hash, 'hex') FROM audit_log"))
    assert verify(conf) == (0, f"audit chain OK: 6 rows, head 6 {hashes[6]}"
                            "\n")

    # The heads the console logged, one as a log line.
    heads = tmp_path / "heads"
    heads.write_text(f"audit-head 3 {hashes[3]}\n"
                     "2026-01-01T00:00:00Z tipline-console[info] "
                     f"audit-head 6 {hashes[6]}\n"
                     "another line of the log\n")
    assert verify(conf, "--head", heads)[0] == 0

    # One row's detail edited.
    tamper(db, "UPDATE audit_log SET detail = '{\"results\": 0}' "
               "WHERE id = 3")
    rc, out = verify(conf)
    assert rc == 1 and "row 3:" in out and "OK" not in out, out
    tamper(db, "UPDATE audit_log SET detail = '{\"results\": 2, \"note\": "
               "\"ä ö \u2603\"}' WHERE id = 3")
    assert verify(conf)[0] == 0
    # Sealed content swapped.
    tamper(db, "UPDATE audit_log SET sealed = '\\x01' WHERE id = 3")
    assert verify(conf)[0] == 1
    tamper(db, "UPDATE audit_log SET sealed = '\\x007365616c6564' "
               "WHERE id = 3")
    assert verify(conf)[0] == 0

    # A middle row deleted, then the last one.
    saved = "CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE id = {}"
    with db.connect() as c:
        c.execute("SET session_replication_role = replica")
        c.execute(saved.format(4))
        c.execute("DELETE FROM audit_log WHERE id = 4")
        c.commit()
        rc, out = verify(conf)
        assert rc == 1 and "row 5:" in out and "missing" in out, out
        c.execute("INSERT INTO audit_log SELECT * FROM saved")
        c.execute("DROP TABLE saved")
        c.commit()
        assert verify(conf)[0] == 0
        c.execute(saved.format(6))
        c.execute("DELETE FROM audit_log WHERE id = 6")
        c.commit()
        rc, out = verify(conf)
        assert rc == 1 and "after row 5" in out and "audit_head" in out, out
        c.execute("INSERT INTO audit_log SELECT * FROM saved")
        c.commit()
    assert verify(conf)[0] == 0

    # A row slipped in after row 3, hashed right for its place.
    at_us, prev = db.one("SELECT (extract(epoch FROM at) * 1000000)::bigint"
                         ", hash FROM audit_log WHERE id = 3")
    forged = row_hash(bytes(prev), 4, at_us, 1, "logout", None, None, None)
    tamper(db, "UPDATE audit_log SET id = id + 1000 WHERE id >= 4",
           "UPDATE audit_log SET id = id - 999 WHERE id >= 1000",
           f"INSERT INTO audit_log (id, at, reviewer_id, action, prev_hash, "
           f"hash) VALUES (4, to_timestamp({at_us} / 1e6), 1, 'logout', "
           f"'\\x{bytes(prev).hex()}', '\\x{forged.hex()}')")
    rc, out = verify(conf)
    assert rc == 1 and "row 5:" in out, out

    # The whole chain written again, consistent in itself: only the heads
    # the console logged tell.
    tamper(db, "TRUNCATE audit_log",
           "UPDATE audit_head SET id = 0, hash = '\\x" + "00" * 32 + "'")
    for r in ROWS:
        append(db, r[0], r[1], r[2], {"rewritten": True}, None)
    assert check_chain(db) == 6
    assert verify(conf)[0] == 0
    rc, out = verify(conf, "--head", heads)
    assert rc == 1 and "row 3:" in out and "heads:1" not in out, out
    assert "line 1" in out, out

    # A head past the end of the chain: rows were cut off the end.
    new6 = db.one("SELECT encode(hash, 'hex') FROM audit_log WHERE id = 6")
    heads.write_text(f"audit-head 6 {new6}\naudit-head 9 {new6}\n")
    rc, out = verify(conf, "--head", heads)
    assert rc == 1 and "row 9" in out, out
    heads.write_text(f"audit-head 0 {'00' * 32}\naudit-head 6 {new6}\n")
    assert verify(conf, "--head", heads)[0] == 0
    heads.write_text(f"audit-head 0 {new6}\n")
    rc, out = verify(conf, "--head", heads)
    assert rc == 1 and "row 0" in out, out
    # A head file that is not one.
    heads.write_text("audit-head six zzz\n")
    assert verify(conf, "--head", heads)[0] == 1
    heads.write_text("nothing here\n")
    assert verify(conf, "--head", heads)[0] == 1


def test_audit_list(wenv, who, console):
    db, me = wenv.db, who["officer"]
    user = db.one("SELECT username FROM reviewer WHERE id = %s", (me,))
    cid = new_case(db)
    v = call(console, "case_start", me, cid, 1)
    call(console, "case_note_add", me, cid, b"NOTE-TEXT")
    call(console, "audit_append", me, "search", None, Jsonb({"results": 1}),
         b"SECRET-QUERY")
    call(console, "audit_append", None, "login_failed", cid, None, None)
    call(console, "case_close", me, cid, v, "unidentified", None, [], [],
         None)

    p = ctl(wenv.conf, "audit", "--case", str(cid))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [l.split(" ")[2:5] for l in lines] == [
        [user, "start", str(cid)], [user, "note", str(cid)],
        ["-", "login_failed", str(cid)], [user, "close", str(cid)]]
    ids = [int(l.split(" ")[0]) for l in lines]
    assert ids == sorted(ids)
    assert all(l.split(" ")[1].endswith("Z") for l in lines)
    assert '"outcome": "unidentified"' in lines[-1]

    p = ctl(wenv.conf, "audit", "--reviewer", user, "--limit", "2")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [l.split(" ")[3] for l in lines] == ["search", "close"]
    assert "SECRET" not in p.stdout and "NOTE" not in p.stdout
    assert b"SECRET".hex() not in p.stdout

    p = ctl(wenv.conf, "audit", "--reviewer", "nobody-here")
    assert p.returncode == 1 and "no reviewer" in p.stderr
    assert ctl(wenv.conf, "audit", "--limit", "0").returncode == 2
    assert ctl(wenv.conf, "audit", "--case").returncode == 2
    assert ctl(wenv.conf, "audit", "--bogus", "1").returncode == 2
    assert ctl(wenv.conf, "audit", "verify", "--case", "1").returncode == 2


def test_department_deadlines(wenv):
    p = ctl(wenv.conf, "department", "deadlines", "lappi", "--ack", "36h",
            "--decide", "2d")
    assert p.returncode == 0, p.stderr
    assert wenv.db.one("SELECT ack_within, decide_within FROM department "
                       "WHERE code = 'lappi'") == (
        datetime.timedelta(hours=36),
        datetime.timedelta(days=2))
    p = ctl(wenv.conf, "department", "deadlines", "lappi", "--decide", "90m")
    assert p.returncode == 0, p.stderr
    p = ctl(wenv.conf, "department", "list")
    assert p.returncode == 0, p.stderr
    rows = {l.split()[0]: l.split()[1:3] for l in p.stdout.splitlines()[1:]}
    assert rows["lappi"] == ["36h", "90m"]
    assert rows["helsinki"] == ["3d", "30d"]
    assert "Lapin poliisilaitos" in p.stdout and len(rows) == 13
    p = ctl(wenv.conf, "department", "deadlines", "nowhere", "--ack", "1d")
    assert p.returncode == 1 and "no department" in p.stderr
    for bad in (["--ack", "3x"], ["--ack", "0s"], ["--decide", "-1d"]):
        p = ctl(wenv.conf, "department", "deadlines", "lappi", *bad)
        assert p.returncode == 2, (bad, p.stderr)
    assert ctl(wenv.conf, "department", "deadlines", "lappi").returncode == 2
    assert wenv.db.one("SELECT decide_within FROM department "
                       "WHERE code = 'lappi'") == \
        datetime.timedelta(minutes=90)
