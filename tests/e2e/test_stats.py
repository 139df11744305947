"""The national unit's figures (schema/0017_stats.sql, lib/stats.c,
lib/stats_report.c, `tiplinectl stats`), checked against counts computed
here from a generated data set.

The data set is written as postgres straight into tips, cases, joins,
messages, follow-ups and platform notices, so that the triggers under test
see every kind of change (cases opened, acted on, closed, reopened, moved,
merged), and its days sit on the ISO calendar's edges: week 53 of 2026,
the year's change inside it, and tips at 23:59 and 00:00 Finnish time on a
Sunday night.  The rollup is folded with stats_fold() as the worker does;
one test runs the real worker to see a tip from the form reach the
figures.

Every report is checked cell by cell: a cell shown holds the count
computed here, a count from 1 to 4 is never shown, and no hidden cell can
be worked out from the cells and totals shown (exact linear algebra over
the table's equations).
"""
import csv
import io
import json
import time

import pytest

import worklib
from e2elib import ctl
from statslib import (MIN_CELL, build, check_report, expected, iso_week)
from tiplib import tip_fields

wenv = worklib.wenv
start_worker = worklib.start_worker


def report(conf, *args, fmt="json"):
    p = ctl(conf, "stats", *args, "--format", fmt)
    assert p.returncode == 0, p.stderr
    return p.stdout


# ------------------------------------------------------------------ tests

@pytest.fixture(scope="module")
def ds(wenv):
    data = build(wenv.db)
    wenv.db.one("SELECT stats_fold(1000000)")
    assert wenv.db.one("SELECT count(*) FROM stats_delta") == 0
    return data


@pytest.mark.parametrize("period", ["--week 2026-W47", "--week 2026-W53",
                                    "--week 2027-W01", "--month 2026-11",
                                    "--month 2026-12", "--year 2026",
                                    "--year 2027"])
def test_figures_match_the_data(wenv, ds, period):
    flag, value = period.split()
    model = json.loads(report(wenv.conf, flag, value))
    assert model["period"] == value
    exp = expected(ds, value)
    check_report(model, exp)
    head = {h["key"]: h for h in model["headline"]}
    for k in ("tips", "cases"):
        n = sum(v for (s, _, _), v in exp.items() if s == k)
        assert head[k]["n"] == (None if 0 < n < MIN_CELL else n), k
    n = sum(v for (s, _, _), v in exp.items() if s == "notice")
    assert head["notices"]["n"] == (None if 0 < n < MIN_CELL else n)


def test_shares_hide_what_their_tables_hide(wenv, ds):
    """The shares of tips that asked for a reply and that received one:
    right where shown, and hidden wherever a count they come from is."""
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    exp = expected(ds, "2026-W47")
    secs = {s["id"]: s for s in model["sections"]}
    order = [s["id"] for s in model["sections"]]
    assert order.index("feedback_share") == order.index("feedback") + 1
    fb = {r["key"]: r for r in secs["tips_feedback"]["rows"]}
    got = {r["key"]: r for r in secs["feedback"]["rows"]}
    shown = 0
    for r in secs["feedback_share"]["rows"]:
        k = r["key"]
        cells = dict(zip(["receipt", "email"],
                         [fb[k]["cells"][i] for i in (1, 2)]))
        asked = exp.get(("tips_feedback", k, "receipt"), 0) + \
            exp.get(("tips_feedback", k, "email"), 0)
        tips = exp.get(("tips", k, ""), 0)
        a, g = r["cells"]
        if any(c["n"] is None for c in cells.values()) or \
                fb[k]["total"]["n"] is None:
            assert a["n"] is None, k
        elif a["n"] is not None:
            shown += 1
            assert a["n"] == pytest.approx(100 * asked / tips), k
        if got[k]["cells"][0]["n"] is None or a["n"] is None and \
                any(c["n"] is None for c in cells.values()):
            assert g["n"] is None, k
        elif g["n"] is not None:
            received = exp.get(("feedback", k, "received"), 0)
            assert g["n"] == pytest.approx(100 * received / asked), k
    assert shown > 0


def test_week_edges(wenv, ds):
    """The Sunday 23:59 tip in week 53, Monday's 00:00 in week 1 of 2027,
    New Year's Eve 23:59 in the year 2026 and 00:00 in 2027."""
    e = ds.edge
    assert iso_week(e["sun"]["at"]) == "2026-W53"
    assert iso_week(e["mon"]["at"]) == "2027-W01"
    model = json.loads(report(wenv.conf, "--week", "2027-W01"))
    assert model["first"] == "2027-01-04" and model["last"] == "2027-01-10"
    head = {h["key"]: h for h in model["headline"]}
    # The one tip of 2027-W01 is Monday's: a count under 5, hidden.
    assert head["tips"]["n"] is None
    assert head["tips"]["previous"] == len(
        [t for t in ds.tips if iso_week(t["at"]) == "2026-W53"])
    w53 = json.loads(report(wenv.conf, "--week", "2026-W53"))
    assert (w53["first"], w53["last"]) == ("2026-12-28", "2027-01-03")
    # No week 53 in 2025: nothing to compare with a year before.
    assert w53["year_before"] is None
    assert all(h["year_before"] is None and h["change_year"] is None
               for h in w53["headline"])
    y26 = expected(ds, "2026")
    y27 = expected(ds, "2027")
    d31 = dict(ds.depts)[e["dec31"]["dept"]]
    j1 = dict(ds.depts)[e["jan1"]["dept"]]
    assert y26.get(("tips", d31, ""), 0) >= 1
    assert y27.get(("tips", j1, ""), 0) >= 1
    n26 = sum(v for (s, _, _), v in y26.items() if s == "tips")
    model = json.loads(report(wenv.conf, "--year", "2026"))
    head = {h["key"]: h for h in model["headline"]}
    assert head["tips"]["n"] == n26


def test_small_cells_and_their_neighbours_are_hidden(wenv, ds):
    """Lapland's three place tips are hidden in every table of tips, and
    with them enough other cells that the totals do not give them away."""
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    hidden = check_report(model, expected(ds, "2026-W47"))
    assert hidden > 0
    secs = {s["id"]: s for s in model["sections"]}
    ch = secs["tips_channel"]
    lappi = next(r for r in ch["rows"] if r["key"] == "lappi")
    place = [c["key"] for c in ch["columns"]].index("place")
    assert lappi["cells"][place]["n"] is None
    assert lappi["total"]["n"] is None
    # Secondary cells: more hidden than the counts under 5.
    small = sum(1 for r in ch["rows"] + [ch["totals"]]
                for c in r["cells"] + [r["total"]]
                if c["n"] is None)
    assert small >= 4


def test_reruns_are_identical(wenv, ds):
    """The same week twice, and again after more folding with nothing new:
    byte for byte, in every format."""
    for fmt in ("json", "csv", "table"):
        a = report(wenv.conf, "--week", "2026-W47", fmt=fmt)
        wenv.db.one("SELECT stats_fold(1000)")
        b = report(wenv.conf, "--week", "2026-W47", fmt=fmt)
        assert a == b, fmt


def test_changes_only_on_counts_of_20(wenv, ds):
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    head = {h["key"]: h for h in model["headline"]}
    t = head["tips"]
    assert t["n"] >= 20 and t["previous"] >= 20
    assert t["change_previous"] == pytest.approx(
        100.0 * (t["n"] - t["previous"]) / t["previous"])
    # 2025-W47 had three tips: hidden, and no change from it.
    assert t["year_before"] is None and t["change_year"] is None
    assert model["year_before"] == "2025-W47"


def test_one_department(wenv, ds):
    model = json.loads(report(wenv.conf, "--week", "2026-W47",
                              "--department", "helsinki"))
    secs = {s["id"]: s for s in model["sections"]}
    assert [r["key"] for r in secs["tips_channel"]["rows"]] == ["helsinki"]
    exp = expected(ds, "2026-W47")
    n = exp[("tips", "helsinki", "")]
    assert secs["tips_channel"]["rows"][0]["total"]["n"] == n
    head = {h["key"]: h for h in model["headline"]}
    assert head["tips"]["n"] == n
    p = ctl(wenv.conf, "stats", "--department", "atlantis")
    assert p.returncode == 1 and "no department atlantis" in p.stderr


def test_merges_count_once(wenv, ds):
    """A merged case is no case of its own: the cases of W47 are the ones
    not merged, and merging one more takes one away."""
    db = wenv.db
    exp = expected(ds, "2026-W47")
    n = sum(v for (s, _, _), v in exp.items() if s == "cases")
    merged = [c for c in ds.cases.values() if c["status"] == "merged"]
    assert merged
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    head = {h["key"]: h for h in model["headline"]}
    assert head["cases"]["n"] == n
    tips = head["tips"]["n"]
    a, b = [c["id"] for c in ds.cases.values()
            if c["status"] == "new" and iso_week(c["opened"]) == "2026-W47"
            ][:2]
    ds.merge(a, b)
    db.one("SELECT stats_fold(1000)")
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    head = {h["key"]: h for h in model["headline"]}
    assert head["cases"]["n"] == n - 1
    assert head["tips"]["n"] == tips
    check_report(model, expected(ds, "2026-W47"))


def test_a_split_counts_one_case_more_and_no_tip(wenv, ds):
    """A tip split off into a case of its own: one more case, in the week
    of that tip, and the tips as they were (as case_split() does it: a
    new case, the join moved)."""
    db = wenv.db
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    head = {h["key"]: h["n"] for h in model["headline"]}
    t = next(t for t in ds.tips if t["matched"] != "new"
             and iso_week(t["at"]) == "2026-W47"
             and ds.cases[t["case"]]["status"] != "merged")
    new = ds.case(ds.cases[t["case"]]["dept"], t["at"])
    db.q("UPDATE case_join SET case_id = %s, matched = 'split' "
         "WHERE tip_id = %s", (new, t["id"]))
    t["case"] = new
    db.one("SELECT stats_fold(1000)")
    model = json.loads(report(wenv.conf, "--week", "2026-W47"))
    after = {h["key"]: h["n"] for h in model["headline"]}
    assert after["cases"] == head["cases"] + 1
    assert after["tips"] == head["tips"]
    check_report(model, expected(ds, "2026-W47"))


def test_csv_parses_and_guards_formulas(wenv, ds):
    db = wenv.db
    evil = '=HYPERLINK("http://evil.example","x")'
    old = db.one("SELECT name_en FROM department WHERE code = 'lappi'")
    db.q("UPDATE department SET name_en = %s WHERE code = 'lappi'", (evil,))
    try:
        text = report(wenv.conf, "--week", "2026-W47", "--lang", "en",
                      fmt="csv")
        model = json.loads(report(wenv.conf, "--week", "2026-W47",
                                  "--lang", "en"))
    finally:
        db.q("UPDATE department SET name_en = %s WHERE code = 'lappi'",
             (old,))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["period", "section", "row", "row_label", "column",
                       "column_label", "count", "suppressed"]
    body = rows[1:]
    assert all(len(r) == 8 for r in body)
    for r in body:
        for cell in r:
            assert cell[:1] not in ("=", "+", "-", "@"), r
    lap = [r for r in body if r[2] == "lappi"]
    assert lap and all(r[3] == "'" + evil for r in lap)
    # The same numbers as the JSON, cell for cell.
    cells = {}
    for s in model["sections"]:
        for r in s["rows"] + [s["totals"]]:
            key = r.get("key", "total")
            for c, v in zip(s["columns"], r["cells"]):
                cells[(s["id"], key, c["key"])] = v
            if "total" in r:
                cells[(s["id"], key, "total")] = r["total"]
    got = {(r[1], r[2], r[4]): r for r in body if r[1] != "headline"}
    assert set(got) == set(cells)
    for k, c in cells.items():
        r = got[k]
        assert r[7] == ("1" if c["text"] == ".." else "0"), (k, r)
        if isinstance(c["n"], int):
            assert r[6] == str(c["n"])
        elif c["n"] is None:
            assert r[6] == ""


def test_table_format(wenv, ds):
    out = report(wenv.conf, "--week", "2026-W47", "--lang", "sv",
                 fmt="table")
    assert out.startswith("2026-W47 (2026-11-16 - 2026-11-22)\n")
    assert "Tips per polisinrättning och tjänst" in out
    assert ".." in out
    assert "lappi" in out


def test_bad_usage(wenv, ds):
    for args, err in ((["--week", "2026-W54"], "no such week"),
                      (["--week", "2026-11"], "is not a week"),
                      (["--month", "2026-13"], "no such month"),
                      (["--year", "1999"], "between 2000 and 2999")):
        p = ctl(wenv.conf, "stats", *args)
        assert p.returncode == 2 and err in p.stderr, (args, p.stderr)
    p = ctl(wenv.conf, "stats", "--format", "xml")
    assert p.returncode == 2
    p = ctl(wenv.conf, "stats", "--week", "2026-W47", "--year", "2026")
    assert p.returncode == 2


def test_the_worker_folds_a_new_tip(wenv, ds, start_worker):
    """A tip sent through the form reaches the figures: the worker ingests
    it and folds the rollup on its sweep."""
    db = wenv.db
    before = db.one("SELECT coalesce(sum(n), 0) FROM stats_day "
                    "WHERE dim = 'tips'")
    start_worker()
    code = worklib.submit_tip(wenv, tip_fields(
        channel="online", platform="x",
        url="https://x.com/someone/status/1234567890123456789",
        description="A post calling for violence against a religious "
                    "group, sent to check the weekly figures."))
    worklib.wait_tip(wenv, code, timeout=60)
    deadline = time.monotonic() + 60
    while db.one("SELECT coalesce(sum(n), 0) FROM stats_day "
                 "WHERE dim = 'tips'") != before + 1:
        assert time.monotonic() < deadline, "the tip never reached the "\
            "figures"
        time.sleep(0.2)
    assert db.one("SELECT count(*) FROM stats_delta") == 0


def test_backfill_counts_what_the_triggers_counted(wenv, ds):
    """stats_backfill() (the migration's count of what was stored before
    it, and a generator's with the triggers off) makes the same rollup as
    the triggers did, change by change; and refuses a rollup that is not
    empty."""
    db = wenv.db
    db.one("SELECT stats_fold(1000000)")
    # How a tip split off had first joined its case is not kept: the
    # backfill counts it as joined 'new', so only the joined dimension's
    # sums are compared.
    rollup = ("SELECT day, department_id, dim, val, n FROM stats_day "
              "WHERE n <> 0 AND dim <> 'joined' UNION ALL "
              "SELECT day, department_id, dim, '', sum(n) FROM stats_day "
              "WHERE dim = 'joined' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3, 4")
    before = db.q(rollup)
    conn = db.connect()
    try:
        with pytest.raises(Exception) as e:
            conn.execute("SELECT stats_backfill()")
        assert "not empty" in str(e.value)
        conn.rollback()
        conn.execute("CREATE TEMP TABLE keep AS SELECT * FROM stats_day")
        conn.execute("DELETE FROM stats_day")
        conn.execute("SELECT stats_backfill()")
        conn.execute("SELECT stats_fold(100000000)")
        after = conn.execute(rollup).fetchall()
        conn.rollback()  # the module's rollup as it was
    finally:
        conn.close()
    assert len(before) > 500
    assert after == before
