"""The console end to end over TLS with a real database: log in with a
password and a TOTP code, the queue, a case page with its audit row, and
the actions on a case (assign, start, close with classification, reopen,
move, merge, split, note), each in the history and the audit log."""
import secrets
import time

from consolelib import (case_version, cenv, console_worker,  # noqa: F401
                        form_csrf, wait_for)
from tiplib import tip_fields
from worklib import submit_tip, wait_tip, wenv  # noqa: F401


def helsinki_tip(text, url=None):
    """A tip about a place in Helsinki (091): routed to Helsinki police."""
    return dict(channel="both", municipality="091", description=text,
                url=url or f"https://example.com/p/{secrets.token_hex(6)}")


def test_login_sets_a_session_cookie(cenv):
    acct = cenv.accounts["helsinki.officer"]
    c = cenv.client()
    r = c.get("/login")
    assert r.status == 200
    assert 'name="username"' in r.text and 'name="totp"' in r.text
    csrf = form_csrf(r.text)
    r = c.post("/login", {"username": acct.username,
                          "password": acct.password, "totp": acct.code(),
                          "csrf": csrf})
    assert r.status == 303, r.text[:1000]
    assert r.header("Location") == "/"
    sc = [v for v in r.all("Set-Cookie")
          if v.startswith("__Host-tipline_session=")]
    assert len(sc) == 1
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in sc[0], sc[0]
    r = c.get("/")
    assert r.status == 200
    assert r.header("Cache-Control") == "no-store"
    # The login's audit row is appended as the answer goes out.
    wait_for("audit row of the login", lambda: cenv.audit("login"))


def test_no_session_goes_to_login(cenv):
    c = cenv.client()
    for path in ("/", "/case/1", "/settings"):
        r = c.get(path)
        assert r.status == 303 and r.header("Location") == "/login", path


def test_wrong_password_and_code_are_refused_alike(cenv):
    acct = cenv.accounts["helsinki.second"]
    c = cenv.client()
    answers = []
    for user, pw, code in ((acct.username, "not the password", acct.code()),
                           ("nobody.here", "whatever-long", "123456"),
                           (acct.username, acct.password, "000000")):
        r = c.post("/login", {"username": user, "password": pw,
                              "totp": code, "csrf": c.csrf("/login")})
        assert r.status == 403
        assert "__Host-tipline_session" not in c.cookies
        answers.append(r.text.split('id="login-problem">')[1][:80])
    assert answers[0] == answers[1] == answers[2]
    cenv.db.q("UPDATE reviewer SET failed_logins = 0, locked_until = NULL "
              "WHERE username = %s", (acct.username,))


def test_case_page_and_actions(cenv):
    acct = cenv.accounts["helsinki.officer"]
    case = cenv.new_case(**helsinki_tip("Someone sprayed hateful words on "
                                        "a wall at the station."))
    c = cenv.client(acct)
    r = c.get("/")
    assert r.status == 200
    assert f'href="/case/{case}"' in r.text
    assert "hateful words" in r.text           # the excerpt, unsealed
    r = c.get(f"/case/{case}")
    assert r.status == 200, r.text[:2000]
    assert "sprayed hateful words" in r.text
    views = [a for a in cenv.audit("case_view") if a[3] == case]
    assert views, "case view not audited"
    csrf = form_csrf(r.text)

    def act(action, **fields):
        page = c.get(f"/case/{case}")
        f = {"csrf": csrf, "version": case_version(page.text), **fields}
        return c.post(f"/case/{case}/{action}", f)

    r = act("assign")
    assert r.status == 303, r.text[:2000]
    row = cenv.db.q("SELECT status, assignee_id IS NOT NULL FROM cases "
                    "WHERE id = %s", (case,))[0]
    assert row == ("in_progress", True)
    r = act("note", note="Checked the station's camera list.")
    assert r.status == 303
    r = act("close", outcome="offence_reported", hate="yes",
            ground=["ethnic", "religion"], offence=["agitation"],
            reason="Clear agitation.")
    assert r.status == 303, r.text[:2000]
    row = cenv.db.q("SELECT status, outcome, hate_confirmed, grounds, "
                    "offences FROM cases WHERE id = %s", (case,))[0]
    assert row == ("closed", "offence_reported", True, ["ethnic", "religion"],
                   ["agitation"])
    r = act("reopen", reason="")
    assert r.status == 422
    r = act("reopen", reason="New information from the scene.")
    assert r.status == 303
    page = c.get(f"/case/{case}").text
    assert "Checked the station" in page        # the note, unsealed
    assert "New information from the scene." in page   # history reason
    kinds = [k for (k,) in cenv.db.q(
        "SELECT kind FROM case_event WHERE case_id = %s ORDER BY id",
        (case,))]
    assert kinds == ["assign", "note", "close", "reopen"]


def test_stale_version_is_a_conflict(cenv):
    acct = cenv.accounts["helsinki.officer"]
    other = cenv.accounts["helsinki.second"]
    case = cenv.new_case(**helsinki_tip("Threats shouted at a shop owner."))
    a, b = cenv.client(acct), cenv.client(other)
    pa, pb = a.get(f"/case/{case}").text, b.get(f"/case/{case}").text
    r = a.post(f"/case/{case}/assign",
               {"csrf": form_csrf(pa), "version": case_version(pa)})
    assert r.status == 303
    r = b.post(f"/case/{case}/move",
               {"csrf": form_csrf(pb), "version": case_version(pb),
                "department": "12", "reason": "Belongs online unit."})
    assert r.status == 409
    assert 'id="case-notice"' in r.text
    assert "Belongs online unit." in r.text      # what was typed is kept
    dept = cenv.db.q("SELECT d.code FROM cases c JOIN department d ON "
                     "d.id = c.department_id WHERE c.id = %s", (case,))
    assert dept == [("helsinki",)]


def test_refused_form_keeps_what_was_typed(cenv):
    """A form from a page of an earlier session (the officer logged in
    again since, in another tab): refused, nothing done, and the case
    comes back with the text in its form and a token that works."""
    acct = cenv.accounts["helsinki.officer"]
    case = cenv.new_case(**helsinki_tip("Hateful leaflets in a stairwell."))
    old = cenv.client(acct)
    page = old.get(f"/case/{case}").text
    stale = form_csrf(page)
    c = cenv.client(acct)          # a new login, another token
    note = f"Called the housing company {secrets.token_hex(4)}."
    r = c.post(f"/case/{case}/note", {"csrf": stale,
                                      "version": case_version(page),
                                      "note": note})
    assert r.status == 403, r.text[:1000]
    assert 'id="case-notice"' in r.text
    assert 'name="note" rows="3"' in r.text
    assert f">{note}</textarea>" in r.text
    fresh = form_csrf(r.text)
    assert fresh != stale
    assert cenv.db.q("SELECT 1 FROM case_note WHERE case_id = %s",
                     (case,)) == []
    # Sent again from the page it came back on: done.
    r = c.post(f"/case/{case}/note", {"csrf": fresh,
                                      "version": case_version(r.text),
                                      "note": note})
    assert r.status == 303, r.text[:1000]
    assert note in c.get(f"/case/{case}").text


def test_ended_session_keeps_what_was_typed(cenv):
    """The session ends (idle) while the officer writes: the POST shows
    the login with the text to copy and nothing done; logging in goes back
    to the case."""
    acct = cenv.accounts["helsinki.officer"]
    case = cenv.new_case(**helsinki_tip("Threats painted on a mosque wall."))
    c = cenv.client(acct)
    page = c.get(f"/case/{case}").text
    cenv.db.q("UPDATE reviewer_session SET last_seen_at = now() - "
              "interval '1 day' WHERE token_hash = "
              "sha256(decode(%s, 'hex'))",
              (c.cookies["__Host-tipline_session"],))
    reason = f"Belongs to the online unit {secrets.token_hex(4)} <b>."
    r = c.post(f"/case/{case}/move", {"csrf": form_csrf(page),
                                      "version": case_version(page),
                                      "department": "12",
                                      "reason": reason})
    assert r.status == 403, r.text[:1000]
    assert 'name="password"' in r.text
    assert "__Host-tipline_session" not in c.cookies
    escaped = reason.replace("<", "&lt;").replace(">", "&gt;")
    assert f"readonly>{escaped}</textarea>" in r.text
    assert f'name="next" value="/case/{case}"' in r.text
    assert cenv.db.one("SELECT d.code FROM cases c JOIN department d ON "
                       "d.id = c.department_id WHERE c.id = %s",
                       (case,)) == "helsinki"
    r = c.post("/login", {"username": acct.username,
                          "password": acct.password, "totp": acct.code(),
                          "csrf": form_csrf(r.text),
                          "next": f"/case/{case}"})
    assert r.status == 303 and r.header("Location") == f"/case/{case}"
    # Anywhere else is not a place to go back to: a login form that
    # comes back (an unknown account) carries a good one, never these.
    c = cenv.client()
    for nxt, kept in (("/case/12", True), ("/settings", True),
                      ("//evil.example/", False),
                      ("https://evil.example/", False), ("/case/1/x", False),
                      ("/case/", False), ("/\\evil.example", False),
                      ("/case/1?x=1", False)):
        r = c.post("/login", {"username": "nobody.next",
                              "password": "not-a-password", "totp": "",
                              "csrf": c.csrf("/login"), "next": nxt})
        assert r.status == 403, nxt
        assert ('name="next"' in r.text) == kept, nxt


def test_other_department_cannot_see_or_act(cenv):
    case = cenv.new_case(**helsinki_tip("Hate graffiti near a school."))
    lap = cenv.client(cenv.accounts["lappi.officer"])
    r = lap.get(f"/case/{case}")
    assert r.status == 404
    assert "graffiti" not in r.text
    page = lap.get("/").text
    r = lap.post(f"/case/{case}/assign",
                 {"csrf": form_csrf(page), "version": "1"})
    assert r.status == 404
    assert cenv.db.q("SELECT assignee_id FROM cases WHERE id = %s",
                     (case,)) == [(None,)]


def test_admin_sees_accounts_not_cases(cenv):
    case = cenv.new_case(**helsinki_tip("Admin must not read this text."))
    adm = cenv.client(cenv.accounts["the.admin"])
    r = adm.get("/")
    assert r.status == 200
    assert "helsinki.officer" in r.text
    r = adm.get(f"/case/{case}")
    assert r.status == 403
    assert "Admin must not read" not in r.text


def wait_indexed(cenv, case, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        n = cenv.db.q("SELECT count(*) FROM case_join j JOIN tip t ON "
                      "t.id = j.tip_id WHERE j.case_id = %s AND NOT "
                      "t.indexed", (case,))[0][0]
        if n == 0:
            return
        assert time.monotonic() < deadline, "tips not indexed"
        time.sleep(0.05)


def test_big_case_in_pages_of_100(cenv):
    """A case of 120 reports of one post: its texts are opened on the
    pool in slices, a hundred tips a page; every tip's description and
    link is on one of the two pages, once."""
    url = f"https://example.com/viral/{secrets.token_hex(6)}"
    codes = [submit_tip(cenv.wenv, tip_fields(
        **helsinki_tip(f"Report number {i:03d} of the viral post.", url)))
        for i in range(120)]
    cases = {wait_tip(cenv.wenv, code, timeout=120,
                      workers=[cenv.worker])["case_id"] for code in codes}
    assert len(cases) == 1, cases
    case = cases.pop()
    c = cenv.client(cenv.accounts["helsinki.officer"])
    first = c.get(f"/case/{case}")
    assert first.status == 200, first.text[:1000]
    assert "1–100 / 120" in first.text
    assert f'href="/case/{case}?tips=100#tips-h"' in first.text
    assert "?tips=0#" not in first.text            # no "previous"
    assert first.text.count(url) >= 100
    second = c.get(f"/case/{case}?tips=100")
    assert second.status == 200
    assert "101–120 / 120" in second.text
    assert f'href="/case/{case}?tips=0#tips-h"' in second.text
    assert "?tips=200#" not in second.text         # no "next"
    assert 'id="tip-101"' in second.text and 'id="tip-120"' in second.text
    both = first.text + second.text
    assert all(both.count(f"Report number {i:03d} of") == 1
               for i in range(120))
    # A number off a page's boundary is its page; nonsense the first.
    assert "101–120 / 120" in c.get(f"/case/{case}?tips=150").text
    for bad in ("-5", "x", "99999999999"):
        assert "1–100 / 120" in c.get(f"/case/{case}?tips={bad}").text


def test_queue_excerpt_from_the_worker(cenv):
    """Once indexed, a tip carries an excerpt the worker closed with a key
    derived from the private key: the queue shows it without opening the
    description (which a test can then spoil), and the database never
    holds it in clear."""
    word = "quorvalian" + secrets.token_hex(3)
    text = (f"The {word} page  posted\n\nthreats against a mosque " +
            "and more words " * 20)
    case = cenv.new_case(**helsinki_tip(text))
    wait_indexed(cenv, case)
    ex, desc = cenv.db.q("SELECT t.excerpt, t.sealed_description FROM tip t "
                         "JOIN case_join j ON j.tip_id = t.id "
                         "WHERE j.case_id = %s", (case,))[0]
    assert ex is not None
    assert word.encode() not in bytes(ex)
    assert len(bytes(ex)) < len(bytes(desc))
    c = cenv.client(cenv.accounts["helsinki.officer"])
    r = c.get("/?sort=age")
    row = r.text.split(f'data-case="{case}"')[1].split("</tr>")[0]
    # One line, cut at 140 characters with an ellipsis.
    assert f"The {word} page posted threats against a mosque and" in row
    assert row.rstrip().endswith("…</td>"), row
    # The queue reads the excerpt, not the description.
    cenv.db.q("UPDATE tip SET sealed_description = '\\x00'::bytea "
              "FROM case_join j WHERE j.tip_id = tip.id AND j.case_id = %s",
              (case,))
    try:
        r = c.get("/?sort=age")
        assert f"The {word} page posted" in r.text
        # Without an excerpt the description is opened: spoilt, none.
        cenv.db.q("UPDATE tip SET excerpt = NULL FROM case_join j "
                  "WHERE j.tip_id = tip.id AND j.case_id = %s", (case,))
        r = c.get("/?sort=age")
        assert r.status == 200
        assert f"The {word} page posted" not in r.text
    finally:
        cenv.db.q("UPDATE tip SET sealed_description = %s, excerpt = %s "
                  "FROM case_join j WHERE j.tip_id = tip.id "
                  "AND j.case_id = %s", (desc, ex, case))


def test_search_finds_own_department_only(cenv):
    word = "zorblaxian" + secrets.token_hex(3)
    case = cenv.new_case(**helsinki_tip(
        f"The poster called the {word}s vermin and told them to leave."))
    wait_indexed(cenv, case)
    hel = cenv.client(cenv.accounts["helsinki.officer"])
    r = hel.get("/search?q=" + word[:8].upper())     # a word's beginning
    assert r.status == 200, r.text[:1000]
    assert f'href="/case/{case}"' in r.text
    r = hel.get(f"/search?q={word}s+vermin")
    assert f'href="/case/{case}"' in r.text
    r = hel.get(f"/search?q={word}s+kittens")        # every word must match
    assert f'href="/case/{case}"' not in r.text
    lap = cenv.client(cenv.accounts["lappi.officer"])
    r = lap.get("/search?q=" + word)
    assert r.status == 200
    assert f'href="/case/{case}"' not in r.text, r.text[-3000:]
    assert "vermin" not in r.text
    # The query is in the audit log, sealed: never in clear.
    rows = cenv.db.q("SELECT sealed FROM audit_log WHERE action = 'search'")
    assert rows and all(r[0] is not None for r in rows)
    assert not cenv.db.q("SELECT 1 FROM audit_log WHERE detail::text "
                         "LIKE %s", (f"%{word[:8]}%",))
    # Neither the words nor the text are in the index in clear.
    assert not cenv.db.q("SELECT 1 FROM tip_search WHERE tokens::text "
                         "LIKE %s", (f"%{word}%",))
