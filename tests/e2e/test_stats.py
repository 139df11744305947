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
import datetime
import io
import json
import random
import secrets
import time
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

import worklib
from e2elib import ctl
from tiplib import tip_fields

wenv = worklib.wenv
start_worker = worklib.start_worker

HKI = ZoneInfo("Europe/Helsinki")
MIN_CELL = 5

MOTIVES = ["ethnic", "skin", "religion", "orientation", "gender",
           "disability", "other", "unknown"]
PLATFORMS = ["facebook", "instagram", "x", "tiktok", "youtube", "telegram",
             "discord", "reddit", "snapchat", "whatsapp", "suomi24",
             "ylilauta", "vauva", "news", "other"]
OUTCOMES = ["offence_reported", "preventive_contact", "platform_removal",
            "no_offence", "unidentified", "duplicate"]
GROUNDS = ["ethnic", "skin", "religion", "orientation", "gender",
           "disability", "other"]
OFFENCES = ["agitation", "defamation", "menace", "assault",
            "discrimination", "other"]
BIAS = {"ethnic": "racism", "skin": "racism", "orientation": "lgbti",
        "gender": "lgbti", "religion": "religion",
        "disability": "disability"}
TYPE = {"assault": "violence", "menace": "threat", "agitation": "agitation",
        "defamation": "defamation", "discrimination": "discrimination"}


def local(y, mo, d, h, mi=0):
    return datetime.datetime(y, mo, d, h, mi, tzinfo=HKI)


def iso_week(dt):
    y, w, _ = dt.astimezone(HKI).date().isocalendar()
    return f"{y}-W{w:02d}"


# ----------------------------------------------------------- the data set

class DataSet:
    """Tips, cases and notices written into the database, and what each
    counts for."""

    def __init__(self, db, seed=20261204):
        self.db = db
        self.rnd = random.Random(seed)
        self.muni = dict(db.q("SELECT code, department_id FROM "
                              "municipality"))
        self.national = db.one("SELECT id FROM department WHERE "
                               "kind = 'national'")
        self.depts = db.q("SELECT id, code FROM department ORDER BY id")
        self.lappi = db.one("SELECT id FROM department "
                            "WHERE code = 'lappi'")
        self.tips = []   # dicts
        self.cases = {}  # id -> dict (final state)
        self.notices = []
        self.followups = []

    def route(self, channel, muni):
        if muni is not None and channel != "online":
            return self.muni[muni]
        return self.national

    def tip(self, at, case=None, dept=None, **kw):
        rnd = self.rnd
        channel = kw.get("channel") or rnd.choice(["online", "place",
                                                   "both"])
        muni = None
        if channel != "online" or rnd.random() < 0.3:
            if dept is not None:
                muni = rnd.choice([m for m, d in self.muni.items()
                                   if d == dept])
            else:  # Lapland's tips are only the ones asked for
                muni = rnd.choice(sorted(m for m, d in self.muni.items()
                                         if d != self.lappi))
        t = {
            "at": at.astimezone(datetime.timezone.utc),
            "lang": rnd.choice(["fi", "fi", "fi", "sv", "en"]),
            "channel": channel,
            "platform": (rnd.choice(PLATFORMS)
                         if channel != "place" else None),
            "muni": muni,
            "motives": sorted(rnd.sample(MOTIVES, rnd.choice([0, 1, 1, 2]))),
            "feedback": rnd.choice(["none", "receipt", "receipt", "email"]),
        }
        t.update({k: v for k, v in kw.items() if k != "channel"})
        t["dept"] = self.route(t["channel"], t["muni"])
        t["id"] = self.db.one(
            "INSERT INTO tip (receipt_hash, received_at, lang, channel, "
            "platform, municipality, motives, feedback, sealed_description, "
            "nattachments) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
            "'\\x00', 0) RETURNING id",
            (secrets.token_bytes(32), t["at"], t["lang"], t["channel"],
             t["platform"], t["muni"], t["motives"], t["feedback"]))
        if case is None:
            case = self.case(t["dept"], t["at"])
            t["matched"] = "new"
        else:
            t["matched"] = rnd.choice(["link", "image", "text_near"])
        self.db.q("INSERT INTO case_join (tip_id, case_id, matched, "
                  "joined_at) VALUES (%s, %s, %s, now())",
                  (t["id"], case, t["matched"]))
        t["case"] = case
        self.tips.append(t)
        return t

    def case(self, dept, at):
        cid = self.db.one(
            "INSERT INTO cases (department_id, ntips, priority, opened_at, "
            "last_tip_at) VALUES (%s, 1, 1, %s, %s) RETURNING id",
            (dept, at, at))
        self.cases[cid] = {"id": cid, "dept": dept, "opened": at,
                           "status": "new", "outcome": None, "ack": None,
                           "decided": None, "hate": None, "grounds": [],
                           "offences": []}
        return cid

    def update(self, cid, **kw):
        c = self.cases[cid]
        c.update(kw)
        cols = {"status": c["status"], "outcome": c["outcome"],
                "acknowledged_at": c["ack"], "decided_at": c["decided"],
                "closed_at": c["decided"] if c["status"] == "closed"
                else None,
                "hate_confirmed": c["hate"], "grounds": c["grounds"] or None,
                "offences": c["offences"] or None,
                "department_id": c["dept"],
                "merged_into": c.get("merged_into")}
        sets = ", ".join(f"{k} = %s" for k in cols)
        self.db.q(f"UPDATE cases SET {sets} WHERE id = %s",
                  (*cols.values(), cid))

    def act(self, cid):
        """Takes the case somewhere: started, closed (classified or not),
        reopened and closed again, moved."""
        rnd = self.rnd
        c = self.cases[cid]
        ack = c["opened"] + datetime.timedelta(hours=rnd.randint(0, 80))
        self.update(cid, status="in_progress", ack=ack)
        if rnd.random() < 0.25:
            return
        decided = ack + datetime.timedelta(hours=rnd.randint(0, 300))
        hate = rnd.choice([None, True, True, False])
        grounds = sorted(rnd.sample(GROUNDS, rnd.choice([0, 1, 1, 2]))) \
            if hate else []
        offences = sorted(rnd.sample(OFFENCES, rnd.choice([0, 1, 1, 2]))) \
            if hate is not None else []
        self.update(cid, status="closed", outcome=rnd.choice(OUTCOMES),
                    decided=decided, hate=hate, grounds=grounds,
                    offences=offences)
        if rnd.random() < 0.2:  # reopened, then closed otherwise
            self.update(cid, status="in_progress", outcome=None,
                        decided=None, hate=None, grounds=[], offences=[])
            self.update(cid, status="closed", outcome="offence_reported",
                        decided=decided + datetime.timedelta(hours=5),
                        hate=True, grounds=["religion"],
                        offences=["menace"])
        if rnd.random() < 0.1:
            self.update(cid, dept=rnd.choice([d for d, _ in self.depts
                                              if d != self.lappi]))

    def merge(self, cid, into):
        self.update(cid, status="merged", merged_into=into)

    def notice(self, cid, platform, sent, decision=None, decided=None):
        self.db.q("INSERT INTO platform_notice (case_id, platform, sent_on) "
                  "VALUES (%s, %s, %s)", (cid, platform, sent))
        n = {"case": cid, "platform": platform, "sent": sent,
             "decision": None, "decided": None}
        if decision:
            self.db.q("UPDATE platform_notice SET decision = %s, "
                      "decided_on = %s WHERE case_id = %s AND "
                      "platform = %s", (decision, decided, cid, platform))
            n.update(decision=decision, decided=decided)
        self.notices.append(n)

    def message(self, cid, tips):
        mid = self.db.one("INSERT INTO case_message (case_id, lang, sealed) "
                          "VALUES (%s, 'fi', '\\x00') RETURNING id", (cid,))
        for t in tips:
            self.db.q("INSERT INTO tip_message (tip_id, message_id, sealed) "
                      "VALUES (%s, %s, '\\x00')", (t["id"], mid))
            t["messages"] = t.get("messages", 0) + 1

    def followup(self, t, at):
        self.db.q("INSERT INTO tip_followup (tip_id, received_at, "
                  "sealed_text, nattachments) VALUES (%s, %s, '\\x00', 0)",
                  (t["id"], at))
        self.followups.append({"tip": t, "at": at})


def build(db):
    """The data set: most tips in 2026-W47 (and some in W46 and in
    2025-W47 for the comparisons), a week 53 with the year's change, and
    the first week of 2027."""
    ds = DataSet(db)
    rnd = ds.rnd
    helsinki = db.one("SELECT id FROM department WHERE code = 'helsinki'")
    lappi = ds.lappi

    def days(first, n):
        return [first + datetime.timedelta(days=i) for i in range(n)]

    w47 = days(datetime.date(2026, 11, 16), 7)
    w53 = days(datetime.date(2026, 12, 28), 7)
    for d in w47:
        for _ in range(40):
            at = local(d.year, d.month, d.day, rnd.randint(0, 23))
            cases = [c for c in ds.cases.values()
                     if c["status"] != "merged"
                     and c["opened"] <= at.astimezone(datetime.timezone.utc)
                     and iso_week(c["opened"]) == "2026-W47"]
            if cases and rnd.random() < 0.3:
                c = rnd.choice(cases)
                ds.tip(at, case=c["id"])
            else:
                ds.tip(at)
    # Helsinki with many place tips, Lapland with three: small cells.
    for _ in range(30):
        d = rnd.choice(w47)
        ds.tip(local(d.year, d.month, d.day, 12), channel="place",
               dept=helsinki)
    for _ in range(3):
        ds.tip(local(2026, 11, 18, 9), channel="place", dept=lappi)
    for d in days(datetime.date(2026, 11, 9), 7):
        for _ in range(5):
            ds.tip(local(d.year, d.month, d.day, 10))
    for _ in range(3):
        ds.tip(local(2025, 11, 19, 10))
    for d in w53:
        for _ in range(6):
            ds.tip(local(d.year, d.month, d.day, rnd.randint(0, 23)))
    # The edges: Sunday 3 January 2027 at 23:59 is in 2026-W53, Monday at
    # 00:00 in 2027-W01; 31 December 23:59 is in 2026 and 1 January 00:00
    # in 2027, both in week 53.
    edge = {
        "sun": ds.tip(local(2027, 1, 3, 23, 59)),
        "mon": ds.tip(local(2027, 1, 4, 0, 0)),
        "dec31": ds.tip(local(2026, 12, 31, 23, 59)),
        "jan1": ds.tip(local(2027, 1, 1, 0, 0)),
    }

    ids = sorted(ds.cases)
    for cid in ids:
        if rnd.random() < 0.7:
            ds.act(cid)
    # Merges: the merged case counts no more.
    open_ = [c for c in ids if ds.cases[c]["status"] == "new"]
    for a, b in zip(open_[0:12:2], open_[1:12:2]):
        ds.merge(a, b)
    # Notices from closed cases, on days of W47, some decided.
    closed = [c for c in ids if ds.cases[c]["status"] == "closed"]
    for cid in closed[:60]:
        sent = rnd.choice(w47)
        dec = rnd.choice([None, "removed", "removed", "restricted",
                          "refused"])
        ds.notice(cid, rnd.choice(["x", "facebook", "tiktok", "youtube"]),
                  sent, dec,
                  sent + datetime.timedelta(days=rnd.randint(0, 20))
                  if dec else None)
    # Messages to tips that asked (some twice), follow-ups from some.
    asked = [t for t in ds.tips if t["feedback"] != "none"]
    for t in asked[:90]:
        ds.message(t["case"], [t])
    for t in asked[:20]:
        ds.message(t["case"], [t])
    for t in asked[:25]:
        at = t["at"] + datetime.timedelta(hours=rnd.randint(1, 48))
        ds.followup(t, at.replace(minute=0, second=0))
    ds.edge = edge
    return ds


# ---------------------------------------------------- expected, computed here

def in_period(at, period):
    d = at.astimezone(HKI).date()
    if "-W" in period:
        return iso_week(at) == period
    if len(period) == 7:
        return d.strftime("%Y-%m") == period
    return str(d.year) == period


def expected(ds, period):
    """{(section, row, column): count} for the count sections, and the
    headline's counts."""
    e = {}
    codes = dict(ds.depts)

    def add(sec, row, col, n=1):
        e[(sec, row, col)] = e.get((sec, row, col), 0) + n

    for t in ds.tips:
        if not in_period(t["at"], period):
            continue
        d = codes[t["dept"]]
        add("tips", d, "")
        for m in t["motives"] or ["none"]:
            add("tips_motive", d, m)
        add("tips_channel", d, t["channel"])
        add("tips_platform", d, t["platform"] or "none")
        add("tips_lang", d, t["lang"])
        add("tips_feedback", d, t["feedback"])
        add("tips_joined", d, t["matched"])
        if t["feedback"] != "none":
            add("feedback", d, "asked")
        if t.get("messages"):
            add("feedback", d, "received")
    for f in ds.followups:
        if in_period(f["at"], period):
            add("feedback", codes[f["tip"]["dept"]], "followups")
    for c in ds.cases.values():
        if c["status"] == "merged" or not in_period(c["opened"], period):
            continue
        d = codes[c["dept"]]
        add("cases", d, "")
        add("cases_status", d, c["status"])
        if c["status"] != "closed":
            continue
        add("cases_outcome", d, c["outcome"])
        if c["hate"] is None:
            continue
        add("classified_hate", d, "yes" if c["hate"] else "no")
        gs = c["grounds"] or ["none"]
        os_ = c["offences"] or ["none"]
        for o in os_:
            add("classified_offence", d, o)
        if not c["hate"]:
            continue
        for g in gs:
            add("classified_ground", d, g)
            for o in os_:
                add("polamk", g, o)
        pairs = {(BIAS.get(g, "other"), TYPE.get(o, "other"))
                 for g in gs for o in os_}
        for b, ty in pairs:
            sec = "odihr_apart" if ty in ("agitation", "defamation",
                                          "discrimination") else "odihr"
            add(sec, b, ty)
    for n in ds.notices:
        at = datetime.datetime.combine(n["sent"], datetime.time(12),
                                       tzinfo=HKI)
        if not in_period(at, period):
            continue
        add("notice", n["platform"], "")
        add("notices", n["platform"], n["decision"] or "pending")
    return e


# ------------------------------------------------------------- the checks

def rref(rows, nvar):
    """Reduced row echelon form of equations (lists of Fractions)."""
    rows = [r[:] for r in rows]
    pivots = []
    r = 0
    for c in range(nvar):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        piv = rows[r][c]
        rows[r] = [x / piv for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
    return rows[:r], pivots


def recoverable(section):
    """The hidden cells of a count section that its shown cells and totals
    determine: each line's cells add up to its total, so each line is an
    equation over its hidden cells; a hidden cell is determined when its
    unit vector lies in the span of the equations."""
    rows = section["rows"] + [section["totals"]]
    rows_add = "total" in section["totals"]
    grid = [[c for c in r["cells"]] + ([r["total"]] if rows_add else [])
            for r in rows]
    hidden = [(i, j) for i, r in enumerate(grid) for j, c in enumerate(r)
              if c["n"] is None]
    if not hidden:
        return []
    var = {h: k for k, h in enumerate(hidden)}
    eqs = []
    nr, nc = len(grid), len(grid[0])
    ncells = nc - 1 if rows_add else nc
    for j in range(nc):  # a column: its cells minus its total
        eq = [Fraction(0)] * len(hidden)
        for i in range(nr):
            if (i, j) in var:
                eq[var[(i, j)]] = Fraction(-1 if i == nr - 1 else 1)
        eqs.append(eq)
    if rows_add:
        for i in range(nr):
            eq = [Fraction(0)] * len(hidden)
            for j in range(nc):
                if (i, j) in var:
                    eq[var[(i, j)]] = Fraction(-1 if j == ncells else 1)
            eqs.append(eq)
    basis, pivots = rref(eqs, len(hidden))
    found = []
    for h, k in var.items():
        v = [Fraction(0)] * len(hidden)
        v[k] = Fraction(1)
        for row, c in zip(basis, pivots):
            if v[c] != 0:
                f = v[c]
                v = [x - f * y for x, y in zip(v, row)]
        if all(x == 0 for x in v):
            found.append(h)
    return found


COUNT_SECTIONS = {"tips_motive", "tips_channel", "tips_platform",
                  "tips_lang", "tips_feedback", "tips_joined", "feedback",
                  "cases_status", "cases_outcome", "classified_hate",
                  "classified_ground", "classified_offence", "polamk",
                  "odihr", "odihr_apart", "notices"}


def check_report(model, exp):
    """Every count cell against exp, totals too; small counts hidden; no
    hidden cell recoverable.  Returns the number of hidden cells."""
    nhidden = 0
    secs = {s["id"]: s for s in model["sections"]}
    assert COUNT_SECTIONS <= set(secs), set(secs)
    for sid in COUNT_SECTIONS:
        s = secs[sid]
        cols = [c["key"] for c in s["columns"]]
        rows_add = "total" in s["totals"]
        sums = [0] * len(cols)
        for r in s["rows"]:
            want = [exp.get((sid, r["key"], c), 0) for c in cols]
            cells = r["cells"] + ([r["total"]] if rows_add else [])
            want = want + ([sum(want)] if rows_add else [])
            for c, w in zip(cells, want):
                if c["n"] is None:
                    nhidden += 1
                    assert c["text"] == ".."
                else:
                    assert c["n"] == w, (sid, r["key"], c, w)
                    assert c["text"] == str(w)
                    assert not 0 < w < MIN_CELL, (sid, r["key"], w)
            sums = [a + b for a, b in zip(sums, want)]
        tot = s["totals"]["cells"] + ([s["totals"]["total"]]
                                      if rows_add else [])
        sums = sums + ([sum(sums)] if rows_add else [])
        for c, w in zip(tot, sums):
            if c["n"] is not None:
                assert c["n"] == w, (sid, "total", c, w)
                assert not 0 < w < MIN_CELL
        assert recoverable(s) == [], sid
    return nhidden


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
