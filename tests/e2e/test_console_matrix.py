"""Who may do what in the console: every route of `tipline-console -r`
against every kind of visitor, over TLS with a real database.

The route table comes from the binary, and each route must have its
samples here (test_every_route_has_samples): a new endpoint cannot be
forgotten.  Each sample is a real request with real ids: a Helsinki case
with a tip and a screenshot, a Lapland case, a case of the national unit,
an unknown id.  The visitors:

    hel       Helsinki officer           lap       Lapland officer
    nat       national unit              admin     administrator
    enrol     password only, app not yet enrolled
    reset     a session from before a password reset
    disabled  a session of an account since disabled
    none      no session at all

For the last two kinds of session, the session's row is put back after
tiplinectl deleted it, so that the console's own check (credentials_at,
disabled) is what refuses them.

For every request the answer's status (and redirect) must be the expected
one; when the request may change nothing, the case tables, the accounts
and the sessions must be as before; and no answer to a visitor who may
not see a department's cases may hold any of their content: a tip's
text, its screenshot's OCR text or the screenshot's bytes.  Each POST
that needs a form token is sent with the visitor's own token, without
one, with a made-up one and with another session's: only the first may
pass, and it must then have its effect (on a case made for it), so that
the refusals cannot pass by accident.
"""
import datetime
import hashlib
import re
import secrets
import time
import zoneinfo

import pytest

from consolelib import (Client, cenv, console_worker, form_csrf, route_table,  # noqa: F401
                        totp_at)
from e2elib import ctl
from tiplib import file_arg, tip_fields, unseal
from worklib import ingest, sealer, wenv  # noqa: F401

ALL_ACTORS = ["hel", "lap", "nat", "admin", "enrol", "reset", "disabled",
              "none"]
CSRF_MODES = ["ok", "none", "wrong", "foreign"]
LAST_MODES = ["none", "wrong", "foreign", "ok"]
UNKNOWN_CASE = 987654321
ACTIONS = ["assign", "unassign", "start", "close", "reopen", "move",
           "merge", "split", "note", "platform", "frobnicate"]


# The flags each route must keep.  A route whose flags change fails
# test_every_route_has_samples until its samples here are looked at again.
FLAGS = {
    "GET /login": "public",
    "POST /login": "public",
    "GET /enrol": "session enrol",
    "GET /enrol/qr.svg": "session enrol",
    "POST /enrol": "session csrf enrol",
    "POST /logout": "session csrf enrol",
    "GET /": "session",
    "GET /settings": "session",
    "POST /settings": "session csrf",
    "POST /sessions/end-others": "session csrf",
    "GET /search": "session officer national",
    "GET /case/*": "session officer national",
    "GET /case/*/shot/*/*": "session officer national",
    "GET /case/*/notice": "session officer national",
    "GET /case/*/notice.txt": "session officer national",
    "POST /case/*/*": "session csrf officer national",
    "GET /stats": "session officer national",
    "GET /stats.csv": "session officer national",
    "GET /stats.json": "session officer national",
    "GET /stats/bars.svg": "session officer national",
    "GET /stats/line.svg": "session officer national",
    "GET /static/": "public",
    "GET /healthz": "public",
}


def test_every_route_has_samples():
    routes = route_table()
    missing = sorted(set(routes) - set(FLAGS))
    assert not missing, f"routes without samples in this test: {missing}"
    gone = sorted(set(FLAGS) - set(routes))
    assert not gone, f"samples for routes that no longer exist: {gone}"
    changed = {r: (FLAGS[r], routes[r]) for r in routes
               if routes[r] != FLAGS[r]}
    assert not changed, f"routes whose flags changed (was, now): {changed}"
    assert set(SAMPLES) == set(FLAGS)


# ------------------------------------------------------------------ world

class Actor:
    def __init__(self, name, kind, dept=None, acct=None):
        self.name = name
        self.kind = kind          # officer, admin, enrol, anon
        self.dept = dept          # hel, lap, nat for officers
        self.acct = acct
        self.client = None
        self.cookies = {}         # sent with every request
        self.csrf = None          # the form token its pages carried
        self.id = None            # reviewer id
        self.other = None         # a second session of the same account


class World:
    """The cases, visitors and secrets of the module."""

    def __init__(self, cenv):
        self.cenv = cenv
        self.db = cenv.db
        self.actors = {}
        self.content = {"hel": [], "lap": [], "nat": []}  # str or bytes
        self.cases = {}
        self.tips = {}
        self.spare = {}

    def tip(self, dept, words, url=None, files=()):
        """Sends a tip of dept's area through the intake; returns the
        ingested tip.  Its text is content of dept."""
        url = url or f"https://example.com/m/{secrets.token_hex(8)}"
        if dept == "hel":
            f = dict(channel="both", municipality="091")
        elif dept == "lap":
            f = dict(channel="both", municipality="698")
        else:
            f = dict(channel="online", platform="x", municipality="")
        text = f"{dept} matrix {words} {secrets.token_hex(6)}"
        t = ingest(self.cenv.wenv, tip_fields(description=text, url=url,
                                              **f),
                   files=files, workers=[self.cenv.worker])
        got = self.db.one("SELECT d.code FROM cases c JOIN department d "
                          "ON d.id = c.department_id WHERE c.id = %s",
                          (t["case_id"],))
        want = {"hel": "helsinki", "lap": "lappi", "nat": "national"}[dept]
        assert got == want, (dept, got)
        self.content[dept].append(text)
        return t

    def fresh_case(self, dept, ntips=1):
        url = f"https://example.com/f/{secrets.token_hex(8)}"
        ts = [self.tip(dept, f"fresh {i}", url=url) for i in range(ntips)]
        assert len({t["case_id"] for t in ts}) == 1, ts
        return ts[0]["case_id"], [t["tip_id"] for t in ts]

    def version(self, case_id):
        rows = self.db.q("SELECT version FROM cases WHERE id = %s",
                         (case_id,))
        return str(rows[0][0]) if rows else "1"


def today():
    """The day in Finnish time, as the database checks a notice's days."""
    return datetime.datetime.now(
        zoneinfo.ZoneInfo("Europe/Helsinki")).date().isoformat()


def login_full(cenv, acct):
    c = Client(cenv.console.url)
    r = c.login(acct)
    assert r.status == 303 and r.header("Location") == "/", \
        (r.status, r.text[:500])
    return c


def session_row(db, client):
    token = bytes.fromhex(client.cookies["__Host-tipline_session"])
    rows = db.q("SELECT token_hash, reviewer_id, stage, created_at, "
                "last_seen_at, expires_at FROM reviewer_session "
                "WHERE token_hash = %s", (hashlib.sha256(token).digest(),))
    assert len(rows) == 1
    return rows[0]


def restore_session(db, row):
    db.q("INSERT INTO reviewer_session (token_hash, reviewer_id, stage, "
         "created_at, last_seen_at, expires_at) VALUES (%s, %s, %s, %s, "
         "now(), %s)", (row[0], row[1], row[2], row[3], row[5]))


@pytest.fixture(scope="module")
def world(cenv):
    w = World(cenv)
    db = cenv.db

    # The cases.  Only Helsinki's has a screenshot (a second one of the
    # same picture would join its case by the image's key).
    t = w.tip("hel", "graffiti at the station",
              files=[file_arg("plain.png")])
    w.cases["hel"], w.tips["hel"] = t["case_id"], t["tip_id"]
    rows = db.q("SELECT seq, sealed, mime FROM attachment WHERE tip_id = %s",
                (t["tip_id"],))
    assert len(rows) == 1, rows
    w.shot_seq = rows[0][0]
    w.shot_bytes = unseal(cenv.wenv.keys, rows[0][1])
    w.shot_mime = rows[0][2]
    assert len(w.shot_bytes) > 100
    w.content["hel"].append(w.shot_bytes)
    # Its OCR text, as the worker would have stored it (the sample has no
    # words for Tesseract to read).
    ocr = f"hel ocr words {secrets.token_hex(6)}"
    db.q("UPDATE attachment SET sealed_text = %s WHERE tip_id = %s",
         (sealer(cenv.wenv).encrypt(ocr.encode()), t["tip_id"]))
    w.content["hel"].append(ocr)
    for d in ("lap", "nat"):
        t = w.tip(d, "shouted threats")
        w.cases[d], w.tips[d] = t["case_id"], t["tip_id"]
    # A second case of each department, to merge with.
    for d in ("hel", "lap", "nat"):
        w.spare[d] = w.tip(d, "spare case")["case_id"]

    # The visitors.
    a = cenv.accounts
    for name, acct, dept in (("hel", a["helsinki.officer"], "hel"),
                             ("lap", a["lappi.officer"], "lap"),
                             ("nat", a["national.officer"], "nat")):
        w.actors[name] = Actor(name, "officer", dept, acct)
    w.actors["admin"] = Actor("admin", "admin", None, a["the.admin"])
    for name, acct in w.actors.items():
        acct.client = login_full(cenv, acct.acct)
        acct.other = login_full(cenv, acct.acct)
    reset = Actor("reset", "anon", None,
                  cenv.add("reset.officer", "officer", "helsinki"))
    disabled = Actor("disabled", "anon", None,
                     cenv.add("gone.officer", "officer", "helsinki"))
    for x in (reset, disabled):
        x.client = login_full(cenv, x.acct)
    enrol = Actor("enrol", "enrol", None,
                  cenv.add("new.officer", "officer", "helsinki",
                           enrolled=False))
    enrol.client = Client(cenv.console.url)
    r = enrol.client.post("/login", {
        "username": enrol.acct.username, "password": enrol.acct.password,
        "totp": "", "csrf": enrol.client.csrf("/login")})
    assert r.status == 303 and r.header("Location") == "/enrol", r.status
    w.actors.update(reset=reset, disabled=disabled, enrol=enrol)
    w.actors["none"] = Actor("none", "anon")
    w.actors["none"].client = Client(cenv.console.url)

    for x in w.actors.values():
        x.cookies = dict(x.client.cookies)
        if x.name == "none":
            continue
        x.id = db.one("SELECT id FROM reviewer WHERE username = %s",
                      (x.acct.username,))
        x.csrf = form_csrf(x.client.get(
            "/enrol" if x.kind == "enrol" else "/settings").text)

    # Now the password reset and the disable, each session's row put back.
    for x, args in ((reset, ["reset-password", reset.acct.username,
                             "--password-stdin"]),
                    (disabled, ["disable", disabled.acct.username])):
        row = session_row(db, x.client)
        p = ctl(cenv.conf, "reviewer", *args, input="pw-new-Tl9!x-9\n")
        assert p.returncode == 0, p.stderr
        assert db.q("SELECT 1 FROM reviewer_session WHERE reviewer_id = %s",
                    (x.id,)) == [], "tiplinectl left a session"
        restore_session(db, row)
    return w


# ----------------------------------------------------------- expectations

class Exp:
    """An expected answer: status, Location, and effect: None when
    nothing may change, else a function (before, after snapshots) that
    asserts the change."""

    def __init__(self, status, location=None, effect=None, body=None):
        self.status = status
        self.location = location
        self.effect = effect
        self.body = body            # bytes or str that must be in it

    def __repr__(self):
        return f"<{self.status} {self.location or ''}>"


class Probe:
    """One request of a route's samples.  build(actor, mode) returns
    (path, fields, Exp or None) where None means: decided by the gate
    only (the handler would answer otherwise)."""

    def __init__(self, route, name, method, build, modes=None):
        self.route = route
        self.name = name
        self.method = method
        self.build = build
        self.modes = modes

    def __repr__(self):
        return f"{self.route} [{self.name}]"


def gate(route, actor, mode):
    """What the gate answers before any handler, or None."""
    flags = FLAGS[route]
    if "session" not in flags:
        return None
    if actor.kind == "anon":
        # A session that ended (a reset, a disable) under a form: the
        # login again, nothing done, what was typed shown to copy.
        if actor.cookies and "csrf" in flags and route != "POST /logout":
            return Exp(403, body='name="password"')
        return Exp(303, "/login")
    if actor.kind == "enrol" and "enrol" not in flags:
        return Exp(303, "/enrol")
    if ("officer" in flags or "national" in flags) and \
            actor.kind != "officer":
        return Exp(403)
    if "csrf" in flags and mode != "ok":
        # A case form is refused with its case page again (what was
        # typed kept) where the case is the officer's: the probe knows.
        if route == "POST /case/*/*":
            return None
        return Exp(403)
    return None


SNAP = {
    "cases": "SELECT id, department_id, status, version, assignee_id, "
             "outcome, merged_into, ntips, needs_routing FROM cases "
             "ORDER BY id",
    "case_event": "SELECT id, case_id, kind FROM case_event ORDER BY id",
    "case_note": "SELECT id, case_id FROM case_note ORDER BY id",
    "platform_notice": "SELECT case_id, platform FROM platform_notice "
                       "ORDER BY case_id, platform",
    "case_join": "SELECT tip_id, case_id FROM case_join ORDER BY tip_id",
    "reviewer": "SELECT id, reveal_images, totp_enrolled, disabled, "
                "failed_logins, locked_until, totp_last_step, "
                "password_hash FROM reviewer ORDER BY id",
    "sessions": "SELECT token_hash, reviewer_id, stage, expires_at "
                "FROM reviewer_session ORDER BY token_hash",
}


def snapshot(db):
    return {k: db.q(sql) for k, sql in SNAP.items()}


def changed_tables(a, b):
    return sorted(k for k in a if a[k] != b[k])


def case_of(snap, case_id):
    for row in snap["cases"]:
        if row[0] == case_id:
            return dict(zip(("id", "dept", "status", "version", "assignee",
                             "outcome", "merged_into", "ntips", "routing"),
                            row))
    return None


def only_changed(before, after, tables):
    extra = set(changed_tables(before, after)) - set(tables)
    assert not extra, f"also changed: {sorted(extra)}"


# ------------------------------------------------------------- samples

def samples_login(w):
    probe_acct = w.cenv.accounts["helsinki.second"]

    def build(actor, mode):
        fields = {"username": probe_acct.username,
                  "password": probe_acct.password,
                  "totp": totp_at(probe_acct.secret, int(time.time()) // 30)}
        if mode == "ok" and actor.name != "none":
            # A good form for an unknown account (each real login uses
            # up a TOTP step, and there are three a minute).
            scratch = Client(w.cenv.console.url)
            fields["csrf"] = scratch.csrf("/login")
            fields["username"] = "no.such.user"
            return "/login", fields, Exp(403), scratch.cookies
        if mode == "ok":
            # Its own form's token and cookie, in a browser of its own:
            # a login must work, or the refusals below mean nothing.
            scratch = Client(w.cenv.console.url)
            fields["csrf"] = scratch.csrf("/login")
            fields["totp"] = probe_acct.code()

            def effect(b, a):
                only_changed(b, a, ["sessions", "reviewer"])
                assert len(a["sessions"]) == len(b["sessions"]) + 1
            return ("/login", fields, Exp(303, "/", effect),
                    scratch.cookies)
        if mode == "wrong":
            fields["csrf"] = secrets.token_hex(32)
        elif mode == "foreign":
            fields["csrf"] = Client(w.cenv.console.url).csrf("/login")
        return "/login", fields, Exp(403), None

    return [Probe("POST /login", "login", "POST", build, CSRF_MODES)]


def samples_enrol(w):
    def get(actor, mode):
        if actor.kind == "enrol":
            return "/enrol", None, Exp(200, body="totp-secret")
        return "/enrol", None, Exp(303, "/")

    def qr(actor, mode):
        if actor.kind == "enrol":
            return "/enrol/qr.svg", None, Exp(200, body="<svg")
        return "/enrol/qr.svg", None, Exp(303, "/")

    def post(actor, mode):
        # A wrong code: refused, and the account stays unenrolled.
        if actor.kind == "enrol":
            return "/enrol", {"totp": "000000"}, Exp(422)
        return "/enrol", {"totp": "000000"}, Exp(303, "/")

    return [Probe("GET /enrol", "enrol page", "GET", get),
            Probe("GET /enrol/qr.svg", "qr", "GET", qr),
            Probe("POST /enrol", "wrong code", "POST", post, CSRF_MODES)]


def samples_logout(w):
    def build(actor, mode):
        if mode != "ok":
            return "/logout", {}, Exp(403)

        def effect(b, a):
            only_changed(b, a, ["sessions"])
            gone = set(b["sessions"]) - set(a["sessions"])
            assert len(gone) == 1 and len(a["sessions"]) == \
                len(b["sessions"]) - 1, gone
            assert list(gone)[0][1] == actor.id
        return "/logout", {}, Exp(303, "/login", effect)

    # Ends the session: run last, the right token last of all.
    return [Probe("POST /logout", "logout", "POST", build, LAST_MODES)]


def samples_home(w):
    def build(actor, mode):
        body = w.content[actor.dept][0] if actor.kind == "officer" else \
            "the.admin"
        return "/", None, Exp(200, body=body)

    return [Probe("GET /", "queue", "GET", build)]


def samples_settings(w):
    def get(actor, mode):
        return "/settings", None, Exp(200)

    def post(actor, mode):
        def effect(b, a):
            only_changed(b, a, ["reviewer"])
            assert w.db.one("SELECT reveal_images FROM reviewer "
                            "WHERE id = %s", (actor.id,)) is True
            w.db.q("UPDATE reviewer SET reveal_images = false "
                   "WHERE id = %s", (actor.id,))
        return ("/settings", {"reveal": "1"},
                Exp(303, "/settings?done=saved", effect))

    def end_others(actor, mode):
        def effect(b, a):
            only_changed(b, a, ["sessions"])
            mine = [r for r in a["sessions"] if r[1] == actor.id]
            assert len(mine) == 1, "other sessions not ended"
        return ("/sessions/end-others", {},
                Exp(303, "/settings?done=ended", effect))

    return [Probe("GET /settings", "settings", "GET", get),
            Probe("POST /settings", "reveal images", "POST", post,
                  CSRF_MODES),
            Probe("POST /sessions/end-others", "end others", "POST",
                  end_others, LAST_MODES)]


def samples_case_get(w):
    probes = []
    for target in ("hel", "lap", "nat", "unknown", "junk"):
        def build(actor, mode, target=target):
            cid = {"unknown": UNKNOWN_CASE, "junk": "12ab"}.get(
                target, w.cases.get(target))
            path = f"/case/{cid}"
            if actor.dept is not None and actor.dept == target:
                return path, None, Exp(200, body=w.content[target][0])
            return path, None, Exp(404)
        probes.append(Probe("GET /case/*", target, "GET", build))
    return probes


def samples_notice(w):
    """The notice to a platform: the case page's own rule, as page and
    as text (the Helsinki case's link is in it; no content is)."""
    probes = []
    for route, suffix, mark in (("GET /case/*/notice", "", 'id="notice-d"'),
                                ("GET /case/*/notice.txt", ".txt",
                                 "SHA-256 ")):
        for target in ("hel", "lap", "nat", "unknown", "junk"):
            def build(actor, mode, target=target, suffix=suffix, mark=mark):
                cid = {"unknown": UNKNOWN_CASE, "junk": "12ab"}.get(
                    target, w.cases.get(target))
                path = f"/case/{cid}/notice{suffix}?lang=en"
                if actor.dept is not None and actor.dept == target:
                    return path, None, Exp(
                        200, body=mark if target == "hel" else "(d) ")
                return path, None, Exp(404)
            probes.append(Probe(route, target, "GET", build))
    return probes


def wait_indexed(w, timeout=60):
    """Until the worker has indexed every tip of the module."""
    deadline = time.monotonic() + timeout
    while w.db.one("SELECT count(*) FROM tip WHERE NOT indexed") > 0:
        assert time.monotonic() < deadline, "tips not indexed"
        time.sleep(0.05)


def samples_search(w):
    """Each department's first tip by its one unique word: found by that
    department's officers only (forbidden_content() checks the rest)."""
    probes = []
    for target in ("hel", "lap", "nat"):
        def build(actor, mode, target=target):
            wait_indexed(w)
            word = w.content[target][0].split()[-1]
            path = f"/search?q={word}"
            if actor.dept == target:
                return path, None, Exp(200, body=w.content[target][0][:40])
            return path, None, Exp(200)
        probes.append(Probe("GET /search", target, "GET", build))
    return probes


def samples_shot(w):
    probes = []
    rnd_tip = "0b5c5b7e-0c77-4c3a-9d55-7d5b3b1f2a10"
    # (name, case, tip, seq): only the first is a real screenshot of its
    # case; the others put a Lapland, national or unknown id in its URL.
    for name, case, tip, seq in (
            ("hel", "hel", "hel", None),
            ("lap case, hel tip", "lap", "hel", None),
            ("nat case, hel tip", "nat", "hel", None),
            ("unknown case", "unknown", "hel", None),
            ("hel case, lap tip", "hel", "lap", None),
            ("hel case, unknown tip", "hel", rnd_tip, None),
            ("hel case, seq 2", "hel", "hel", 2),
            ("lap case, lap tip", "lap", "lap", None)):
        for reveal in ("", "?reveal=1"):
            def build(actor, mode, case=case, tip=tip, seq=seq,
                      reveal=reveal, name=name):
                cid = UNKNOWN_CASE if case == "unknown" else w.cases[case]
                tid = w.tips.get(tip, tip)
                path = (f"/case/{cid}/shot/{tid}/{seq or w.shot_seq}"
                        f"{reveal}")
                if name == "hel" and actor.dept == "hel":
                    return path, None, Exp(200, body=w.shot_bytes)
                return path, None, Exp(404)
            probes.append(Probe("GET /case/*/shot/*/*", name + reveal,
                                "GET", build))
    return probes


def action_fields(w, actor, action, case_id, dept):
    """A valid form for action on case_id of dept (as its own officer
    would send it)."""
    f = {"version": w.version(case_id)}
    if action == "close":
        f.update(outcome="no_offence", reason="Nothing to pursue.")
    elif action == "reopen":
        f.update(reason="New information.")
    elif action == "move":
        f.update(department="5", reason="Belongs elsewhere.")
    elif action == "merge":
        # The visitor's own spare case when it has one: the merge then
        # reaches the database's own check.
        f.update(other=str(w.spare.get(actor.dept or dept, w.spare[dept])),
                 reason="Same thing.")
    elif action == "split":
        f.update(tip=str(w.tips[dept]) if dept in w.tips else
                 "0b5c5b7e-0c77-4c3a-9d55-7d5b3b1f2a10",
                 reason="Another matter.")
    elif action == "note":
        f.update(note="A note that must not be stored.")
    elif action == "platform":
        f.update(platform="facebook", sent_on=today())
    return f


def prepare(w, actor, action):
    """A case of actor's department on which action succeeds; returns
    (case id, form fields, Exp)."""
    db = w.db
    dept = actor.dept
    if action == "frobnicate":
        cid = w.cases[dept]
        return cid, {"version": w.version(cid)}, Exp(404)
    cid, tips = w.fresh_case(dept, 2 if action == "split" else 1)
    if action == "unassign":
        db.q("UPDATE cases SET assignee_id = %s WHERE id = %s",
             (actor.id, cid))
    elif action == "reopen":
        db.q("UPDATE cases SET status = 'closed', closed_at = now(), "
             "decided_at = now(), outcome = 'no_offence' WHERE id = %s",
             (cid,))
    f = {"version": w.version(cid)}
    loc = f"/case/{cid}"
    other = None
    if action == "close":
        f.update(outcome="no_offence", reason="Nothing to pursue.")
    elif action == "reopen":
        f.update(reason="New information.")
    elif action == "move":
        f.update(department="5", reason="Belongs elsewhere.")
        loc = "/?done=moved"
    elif action == "merge":
        other, _ = w.fresh_case(dept)
        f.update(other=str(other), reason="Same thing.")
        loc = f"/case/{max(cid, other)}"
    elif action == "split":
        f.update(tip=str(tips[1]), reason="Another matter.")
    elif action == "note":
        f.update(note="Checked.")
    elif action == "platform":
        f.update(platform="facebook", sent_on=today())

    def effect(b, a):
        c0, c1 = case_of(b, cid), case_of(a, cid)
        if action == "note":
            only_changed(b, a, ["case_note", "case_event"])
            assert len(a["case_note"]) == len(b["case_note"]) + 1
            return
        if action == "platform":
            only_changed(b, a, ["platform_notice", "case_event"])
            assert set(a["platform_notice"]) - set(b["platform_notice"]) \
                == {(cid, "facebook")}
            return
        only_changed(b, a, ["cases", "case_event", "case_join"])
        assert c1["version"] == c0["version"] + 1, (c0, c1)
        want = {"assign": ("assignee", actor.id),
                "unassign": ("assignee", None),
                "start": ("status", "in_progress"),
                "close": ("status", "closed"),
                "reopen": ("status", "in_progress"),
                "move": ("dept", 5),
                "merge": ("status", "merged" if other is not None and
                          cid < other else "new"),
                "split": ("ntips", 1)}[action]
        assert c1[want[0]] == want[1], (action, c0, c1)

    return cid, f, Exp(303, loc, effect)


def samples_case_post(w):
    probes = []
    for action in ACTIONS:
        for target in ("hel", "lap", "nat", "unknown"):
            def build(actor, mode, action=action, target=target):
                if actor.dept == target and mode == "ok":
                    cid, f, exp = prepare(w, actor, action)
                    return f"/case/{cid}/{action}", f, exp
                cid = UNKNOWN_CASE if target == "unknown" else \
                    w.cases[target]
                f = action_fields(w, actor, action, cid,
                                  target if target != "unknown" else "hel")
                if actor.dept == target:
                    # Only the form token is missing or wrong: the case
                    # again with the refusal (test_console_flow checks
                    # that what was typed is kept).
                    return f"/case/{cid}/{action}", f, Exp(
                        403, body='id="case-notice"')
                return f"/case/{cid}/{action}", f, Exp(404)
            probes.append(Probe("POST /case/*/*", f"{action} {target}",
                                "POST", build, CSRF_MODES))

    # Ids in the form rather than the URL: the Helsinki officer's own case
    # merged with a Lapland case, or split by a Lapland tip.  Refused as
    # an unknown id would be, changing nothing.
    def form_ids(actor, mode, what):
        cid = w.cases["hel"]
        f = {"version": w.version(cid), "reason": "Attempt."}
        if what == "merge":
            f["other"] = str(w.cases["lap"])
        else:
            f["tip"] = str(w.tips["lap"])
        if actor.dept == "hel":
            return f"/case/{cid}/{what}", f, Exp(422)
        return f"/case/{cid}/{what}", f, Exp(404)

    for what in ("merge", "split"):
        probes.append(Probe("POST /case/*/*", f"{what} with a lap id",
                            "POST", lambda a, m, what=what:
                            form_ids(a, m, what)))
    return probes


def samples_stats(w):
    """The figures: an officer gets their own department's whatever
    department the query names, the national unit the one it names."""
    code = {"hel": "helsinki", "lap": "lappi", "nat": "national"}

    def page(actor, mode):
        return ("/stats?period=2026-W47", None,
                Exp(200, body="<h1>Tilastot 2026-W47"))

    def data(ext, marker):
        def build(actor, mode):
            own = code.get(actor.dept, "helsinki")
            body = f'"key": "{own}"' if ext == "json" else marker
            if actor.dept == "nat" and ext == "json":
                body = '"key": "helsinki"'
            return (f"/stats.{ext}?period=2026-W47&department=helsinki",
                    None, Exp(200, body=body))
        return build

    def svg(name):
        return lambda a, m: (f"/stats/{name}.svg?period=2026-W47", None,
                             Exp(200, body="<svg"))

    return [Probe("GET /stats", "page", "GET", page),
            Probe("GET /stats.csv", "csv", "GET",
                  data("csv", "period,section,row")),
            Probe("GET /stats.json", "json", "GET", data("json", None)),
            Probe("GET /stats/bars.svg", "bars", "GET", svg("bars")),
            Probe("GET /stats/line.svg", "line", "GET", svg("line"))]


def samples_public(w):
    return [
        Probe("GET /login", "form", "GET",
              lambda a, m: ("/login", None, Exp(200, body='name="csrf"'))),
        Probe("GET /static/", "css", "GET",
              lambda a, m: ("/static/console.css", None, Exp(200))),
        Probe("GET /healthz", "health", "GET",
              lambda a, m: ("/healthz", None, Exp(200, body="ok"))),
    ]


SAMPLES = {
    "GET /login": samples_public,
    "POST /login": samples_login,
    "GET /enrol": samples_enrol,
    "GET /enrol/qr.svg": samples_enrol,
    "POST /enrol": samples_enrol,
    "POST /logout": samples_logout,
    "GET /": samples_home,
    "GET /settings": samples_settings,
    "POST /settings": samples_settings,
    "POST /sessions/end-others": samples_settings,
    "GET /search": samples_search,
    "GET /case/*": samples_case_get,
    "GET /case/*/shot/*/*": samples_shot,
    "GET /case/*/notice": samples_notice,
    "GET /case/*/notice.txt": samples_notice,
    "POST /case/*/*": samples_case_post,
    "GET /stats": samples_stats,
    "GET /stats.csv": samples_stats,
    "GET /stats.json": samples_stats,
    "GET /stats/bars.svg": samples_stats,
    "GET /stats/line.svg": samples_stats,
    "GET /static/": samples_public,
    "GET /healthz": samples_public,
}

# Run after everything else of a visitor: they end its sessions.
LAST = ["POST /sessions/end-others", "POST /logout"]


def all_probes(w):
    seen, out = set(), []
    for route, fn in SAMPLES.items():
        if fn in seen:
            continue
        seen.add(fn)
        out += fn(w)
    routes = {p.route for p in out}
    assert routes == set(FLAGS), set(FLAGS) ^ routes
    first = [p for p in out if p.route not in LAST]
    last = sorted((p for p in out if p.route in LAST),
                  key=lambda p: LAST.index(p.route))
    return first + last


# ----------------------------------------------------------------- the run

def forbidden_content(w, actor):
    """What this visitor may not see: every department's content but its
    own."""
    return [(d, c) for d, cs in w.content.items() if d != actor.dept
            for c in cs]


def send(w, actor, probe, mode):
    built = probe.build(actor, mode)
    path, fields, exp = built[:3]
    cookies = built[3] if len(built) > 3 and built[3] is not None else \
        actor.cookies
    g = gate(probe.route, actor, mode)
    if g is not None:
        exp = g
    assert exp is not None, f"{probe} {actor.name} {mode}: no expectation"
    if fields is not None:
        fields = dict(fields)
        if probe.route != "POST /login":
            if mode == "ok":
                if actor.csrf:
                    fields["csrf"] = actor.csrf
                else:
                    fields["csrf"] = w.actors["hel"].csrf
            elif mode == "wrong":
                fields["csrf"] = secrets.token_hex(32)
            elif mode == "foreign":
                other = "lap" if actor.name == "hel" else "hel"
                fields["csrf"] = w.actors[other].csrf
    c = actor.client
    c.cookies = dict(cookies)
    before = snapshot(w.db)
    r = c.request(probe.method, path, fields=fields)
    after = snapshot(w.db)
    where = f"{probe} as {actor.name}, csrf {mode}: {probe.method} {path}"
    errors = []
    if r.status != exp.status or (exp.location is not None and
                                  r.header("Location") != exp.location):
        errors.append(f"{where}: {r.status} {r.header('Location')}, "
                      f"expected {exp.status} {exp.location or ''}\n"
                      f"{r.text[:300]}")
    if exp.body is not None:
        want = exp.body if isinstance(exp.body, bytes) else \
            exp.body.encode()
        if r.status == exp.status and want not in r.body:
            errors.append(f"{where}: {want[:40]!r} not in the answer")
    for d, secret in forbidden_content(w, actor):
        s = secret if isinstance(secret, bytes) else secret.encode()
        if s in r.body:
            errors.append(f"{where}: {d}'s content in the answer")
    if exp.effect is None:
        ch = changed_tables(before, after)
        if ch:
            errors.append(f"{where}: changed {ch}")
    elif r.status == exp.status:
        try:
            exp.effect(before, after)
        except AssertionError as e:
            errors.append(f"{where}: effect: {e}")
    return errors


@pytest.mark.parametrize("actor_name", ALL_ACTORS)
def test_matrix(world, actor_name):
    w = world
    actor = w.actors[actor_name]
    errors = []
    n = 0
    for probe in all_probes(w):
        for mode in (probe.modes or ["ok"]):
            errors += send(w, actor, probe, mode)
            n += 1
    assert n > 100
    assert not errors, f"{len(errors)} of {n} requests wrong:\n" + \
        "\n".join(errors[:40])


def test_form_ids_refused_like_unknown_ones(world):
    """A Lapland case or tip put into a Helsinki form is refused in the
    same words as an id that does not exist: the answer does not tell
    that it exists."""
    w = world
    # Its own session: test_matrix logged the others out.
    c = login_full(w.cenv, w.actors["hel"].acct)
    csrf = c.csrf("/settings")
    cid = w.cases["hel"]

    def notice(action, **f):
        before = snapshot(w.db)
        r = c.post(f"/case/{cid}/{action}",
                   {"csrf": csrf, "version": w.version(cid),
                    "reason": "Attempt.", **f})
        assert changed_tables(before, snapshot(w.db)) == []
        m = re.search(r'id="case-notice">([^<]*)<', r.text)
        assert m, r.text[:1500]
        return r.status, m.group(1)

    assert notice("merge", other=str(w.cases["lap"])) == \
        notice("merge", other=str(UNKNOWN_CASE))
    assert notice("split", tip=str(w.tips["lap"])) == \
        notice("split", tip="0b5c5b7e-0c77-4c3a-9d55-7d5b3b1f2a10")
