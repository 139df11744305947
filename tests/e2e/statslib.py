"""The statistics tests' data set and checks (test_stats.py,
test_console_stats.py): tips, cases, joins, messages, follow-ups and
platform notices written as postgres straight into the database, so that
the rollup's triggers see every kind of change; the counts each report
must show, computed here from the same data; and the check that a report
shows them, hides every count under 5 and lets no hidden cell be worked
out from the cells and totals shown (exact linear algebra).
"""
import datetime
import random
import secrets
from fractions import Fraction
from zoneinfo import ZoneInfo

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
