"""Logging in to the console and its sessions, as an attacker would try
them, over TLS with a real database: lockout, each TOTP code once, idle
and absolute expiry, resets and disables ending sessions at once, ending
other sessions and logging out, the session cookie, the first login's
enrolment (with its QR code read back by zbarimg), the security headers
of every answer, screenshots, the audit log's rows and chain, and no
credential in the console's log.

Every client is a TrackingClient, which remembers every cookie and form
token it was given, so that the last test can look for each one in the
log.  The module has a database of its own (consolelib.cenv).
"""
import hashlib
import re
import secrets
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from consolelib import (Client, case_version, cenv, console_worker, form_csrf,  # noqa: F401
                        route_table, totp_at, wait_for,
                        usable_steps)
from e2elib import ctl, make_tempdir
from tiplib import file_arg, tip_fields, unseal
from worklib import wenv  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
SESSION = "__Host-tipline_session"
LOGIN = "__Host-tipline_login"

SEEN = set()        # every cookie value and form token handed out


class TrackingClient(Client):
    def request(self, method, path, fields=None, headers=None,
                cookies=True):
        if fields:
            for k, v in (fields.items() if isinstance(fields, dict)
                         else fields):
                if k in ("csrf", "password", "totp") and v:
                    SEEN.add(str(v))
        r = super().request(method, path, fields=fields, headers=headers,
                            cookies=cookies)
        for sc in r.all("Set-Cookie"):
            v = sc.partition("=")[2].split(";", 1)[0]
            if v:
                SEEN.add(v)
        for m in re.finditer(r'name="csrf" value="([0-9a-f]{64})"', r.text):
            SEEN.add(m.group(1))
        return r


def client(cenv):
    return TrackingClient(cenv.console.url)


def peek_code(acct):
    """A code the console would accept now for acct, without marking its
    step used: (step, code)."""
    while True:
        for step in usable_steps():
            if step > acct.last_step:
                return step, totp_at(acct.secret, step)
        time.sleep(1)


def login(c, acct, code=None, password=None):
    csrf = c.csrf("/login")
    if code is None:
        code = acct.code()
    return c.post("/login", {"username": acct.username,
                             "password": password or acct.password,
                             "totp": code, "csrf": csrf})


def logged_in(cenv, acct):
    c = client(cenv)
    r = login(c, acct)
    assert r.status == 303 and r.header("Location") == "/", \
        (r.status, r.text[:500])
    return c


def problem(r):
    m = re.search(r'id="login-problem">([^<]*)<', r.text)
    assert m, r.text[:1500]
    return m.group(1)


def token_hash(c):
    return hashlib.sha256(bytes.fromhex(c.cookies[SESSION])).digest()


def session_rows(cenv, c):
    return cenv.db.q("SELECT stage FROM reviewer_session "
                     "WHERE token_hash = %s", (token_hash(c),))


def to_login(r):
    return r.status == 303 and r.header("Location") == "/login"


def duration_s(conf, key):
    """A [console] duration of the config ("30m", "12h", "2s")."""
    text = Path(conf).read_text()
    sec = text.split("[console]", 1)[1].split("\n[", 1)[0]
    m = re.search(rf"(?m)^{key}\s*=\s*(\d+)(ms|s|m|h|d)\s*$", sec)
    assert m, f"{key} not in [console] of {conf}"
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600,
                              "d": 86400}[m.group(2)]


def helsinki_tip(text, url=None):
    return tip_fields(channel="both", municipality="091", description=text,
                      url=url or
                      f"https://example.com/a/{secrets.token_hex(6)}")


# ------------------------------------------------------------------ lockout

def test_lockout_refuses_even_the_right_login_until_the_delay(cenv):
    db = cenv.db
    acct = cenv.add("lock.officer", "officer", "helsinki")
    c = client(cenv)
    wrong = login(c, acct, code=peek_code(acct)[1], password="wrong-Tl9!x")
    assert wrong.status == 403
    for _ in range(2):
        assert login(c, acct, code=peek_code(acct)[1],
                     password="wrong-Tl9!x").status == 403
    # The counter and the time are in the database (written after the
    # answer: polled).
    wait_for("failed_logins = 3", lambda: db.one(
        "SELECT failed_logins = 3 AND locked_until > now() FROM reviewer "
        "WHERE username = %s", (acct.username,)))

    # Slowed down: the right password and code are refused, with the same
    # words as a wrong password, and do not use the code up.
    step, code = peek_code(acct)
    r = login(c, acct, code=code)
    assert r.status == 403
    assert problem(r) == problem(wrong)
    assert SESSION not in c.cookies

    # Poll: the login works once the delay is over, and the account's
    # counter starts again.
    t0 = time.monotonic()
    tries = 0
    while True:
        step, code = peek_code(acct)
        r = login(c, acct, code=code)
        tries += 1
        if r.status == 303:
            acct.last_step = step
            break
        assert r.status == 403 and problem(r) == problem(wrong)
        assert time.monotonic() - t0 < 60, \
            f"still refused after {tries} tries in 60 s: " + str(db.q(
                "SELECT failed_logins, locked_until - now() FROM reviewer "
                "WHERE username = %s", (acct.username,)))
        time.sleep(0.3)
    assert r.header("Location") == "/"
    assert tries > 1, "the delay did not hold at all"
    assert db.one("SELECT failed_logins = 0 AND locked_until IS NULL "
                  "FROM reviewer WHERE username = %s", (acct.username,))

    # Slowed down again; `tiplinectl reviewer unlock` ends it at once.
    c2 = client(cenv)
    for _ in range(3):
        assert login(c2, acct, code=peek_code(acct)[1],
                     password="wrong-Tl9!x").status == 403
    wait_for("locked again", lambda: db.one(
        "SELECT locked_until > now() FROM reviewer WHERE username = %s",
        (acct.username,)))
    assert login(c2, acct, code=peek_code(acct)[1]).status == 403
    p = ctl(cenv.conf, "reviewer", "unlock", acct.username)
    assert p.returncode == 0, p.stderr
    assert db.one("SELECT failed_logins = 0 AND locked_until IS NULL "
                  "FROM reviewer WHERE username = %s", (acct.username,))
    r = login(c2, acct)
    assert r.status == 303 and r.header("Location") == "/", r.text[:500]


def test_each_code_works_once(cenv):
    acct = cenv.add("once.officer", "officer", "helsinki")
    step, code = peek_code(acct)
    a = client(cenv)
    r = login(a, acct, code=code)
    assert r.status == 303 and r.header("Location") == "/"
    acct.last_step = step
    assert cenv.db.one("SELECT totp_last_step FROM reviewer "
                       "WHERE username = %s", (acct.username,)) == step
    # The same code again, in another browser: refused.
    b = client(cenv)
    r = login(b, acct, code=code)
    assert r.status == 403 and SESSION not in b.cookies
    # So is the code of an earlier step, and no code at all.
    r = login(b, acct, code=totp_at(acct.secret, step - 1))
    assert r.status == 403 and SESSION not in b.cookies
    r = login(b, acct, code="")
    assert r.status == 403 and SESSION not in b.cookies
    # A later one works (once the three failures' delay is lifted).
    p = ctl(cenv.conf, "reviewer", "unlock", acct.username)
    assert p.returncode == 0, p.stderr
    r = login(b, acct)
    assert r.status == 303, r.text[:500]


# ----------------------------------------------------------------- sessions

def test_idle_and_absolute_expiry(cenv):
    db = cenv.db
    idle = duration_s(cenv.conf, "session_idle")
    acct = cenv.add("idle.officer", "officer", "helsinki")
    c = logged_in(cenv, acct)
    h = token_hash(c)
    # Unused for a little less than the idle time: still good (and the
    # request marks it as used).
    db.q("UPDATE reviewer_session SET last_seen_at = now() - "
         "make_interval(secs => %s) WHERE token_hash = %s", (idle - 60, h))
    assert c.get("/").status == 200
    assert db.one("SELECT now() - last_seen_at < interval '1 minute' "
                  "FROM reviewer_session WHERE token_hash = %s", (h,))
    # A little more: the next request goes to /login, cookie cleared.
    db.q("UPDATE reviewer_session SET last_seen_at = now() - "
         "make_interval(secs => %s) WHERE token_hash = %s", (idle + 60, h))
    token = c.cookies[SESSION]
    r = c.get("/")
    assert to_login(r)
    assert any(v.startswith(SESSION + "=;") and "Max-Age=0" in v
               for v in r.all("Set-Cookie")), r.all("Set-Cookie")
    # Sending the token again does not bring it back.
    c.cookies[SESSION] = token
    assert to_login(c.get("/settings"))

    # The absolute lifetime: a busy session ends at expires_at.
    c = logged_in(cenv, acct)
    h = token_hash(c)
    assert c.get("/").status == 200
    db.q("UPDATE reviewer_session SET expires_at = now() - "
         "interval '1 second' WHERE token_hash = %s", (h,))
    assert to_login(c.get("/"))
    # ...and it was set from the configured lifetime at login.
    c = logged_in(cenv, acct)
    life = duration_s(cenv.conf, "session_lifetime")
    got = db.one("SELECT extract(epoch FROM expires_at - created_at) "
                 "FROM reviewer_session WHERE token_hash = %s",
                 (token_hash(c),))
    assert abs(float(got) - life) < 5, (got, life)


@pytest.mark.parametrize("how", ["reset-password", "disable", "reset-totp"])
def test_resets_and_disable_end_sessions_at_once(cenv, how):
    db = cenv.db
    acct = cenv.add(f"{how}.officer", "officer", "helsinki")
    c = logged_in(cenv, acct)
    other = logged_in(cenv, acct)
    assert c.get("/").status == 200 and other.get("/").status == 200
    token = c.cookies[SESSION]
    args = ["reviewer", how, acct.username]
    if how == "reset-password":
        args.append("--password-stdin")
    p = ctl(cenv.conf, *args, input="pw-brand-new-Tl9!x\n")
    assert p.returncode == 0, p.stderr
    for x in (c, other):
        assert to_login(x.get("/")), how
    c.cookies[SESSION] = token
    assert to_login(c.get("/case/1")), how
    assert db.q("SELECT 1 FROM reviewer_session s JOIN reviewer r ON "
                "r.id = s.reviewer_id WHERE r.username = %s",
                (acct.username,)) == []
    if how == "reset-password":
        # The old password no longer logs in; the new one does.
        r = login(client(cenv), acct, code=peek_code(acct)[1])
        assert r.status == 403
        acct.password = "pw-brand-new-Tl9!x"
        assert login(client(cenv), acct).status == 303
    elif how == "disable":
        r = login(client(cenv), acct, code=peek_code(acct)[1])
        assert r.status == 403
        p = ctl(cenv.conf, "reviewer", "enable", acct.username)
        assert p.returncode == 0, p.stderr
        assert login(client(cenv), acct).status == 303
    else:
        # A new secret, not yet enrolled: the old app's codes no longer
        # count; the password alone leads to enrolment.
        m = re.search(r"^totp: ([A-Z2-7]+)$", p.stdout, re.M)
        assert m, p.stdout
        r = login(client(cenv), acct, code="")
        assert r.status == 303 and r.header("Location") == "/enrol"
    ctl(cenv.conf, "reviewer", "unlock", acct.username)


def test_end_other_sessions_then_log_out(cenv):
    db = cenv.db
    acct = cenv.add("two.officer", "officer", "helsinki")
    a, b = logged_in(cenv, acct), logged_in(cenv, acct)
    colleague = logged_in(cenv, cenv.accounts["helsinki.second"])
    assert a.get("/").status == 200 and b.get("/").status == 200
    r = a.post("/sessions/end-others", {"csrf": a.csrf("/settings")})
    assert r.status == 303
    assert r.header("Location") == "/settings?done=ended"
    assert to_login(b.get("/"))
    assert a.get("/").status == 200
    assert colleague.get("/").status == 200      # nobody else's
    assert session_rows(cenv, a) == [("full",)]

    # Log out: the cookie is cleared and the row is gone; the token does
    # not work again.
    token = a.cookies[SESSION]
    h = token_hash(a)
    r = a.post("/logout", {"csrf": a.csrf("/settings")})
    assert to_login(r)
    cleared = [v for v in r.all("Set-Cookie") if v.startswith(SESSION + "=")]
    assert len(cleared) == 1 and cleared[0].startswith(SESSION + "=;") \
        and "Max-Age=0" in cleared[0], cleared
    assert SESSION not in a.cookies
    assert db.q("SELECT 1 FROM reviewer_session WHERE token_hash = %s",
                (h,)) == []
    a.cookies[SESSION] = token
    assert to_login(a.get("/"))
    assert colleague.get("/").status == 200


def test_session_cookie(cenv):
    db = cenv.db
    acct = cenv.add("cookie.officer", "officer", "helsinki")
    c = client(cenv)
    r = login(c, acct)
    assert r.status == 303
    sc = [v for v in r.all("Set-Cookie") if v.startswith(SESSION + "=")]
    assert len(sc) == 1, r.all("Set-Cookie")
    name, _, rest = sc[0].partition("=")
    value, *attrs = [x.strip() for x in rest.split(";")]
    assert name.startswith("__Host-")
    assert sorted(attrs) == sorted(["Secure", "HttpOnly", "SameSite=Strict",
                                    "Path=/"]), attrs
    assert re.fullmatch(r"[0-9a-f]{64}", value), value
    # The login form's cookie is cleared, and was as strict.
    lc = [v for v in r.all("Set-Cookie") if v.startswith(LOGIN + "=")]
    assert len(lc) == 1 and "Max-Age=0" in lc[0]
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in lc[0]

    # Only the token's SHA-256 is stored.
    token = bytes.fromhex(value)
    rows = db.q("SELECT s.token_hash FROM reviewer_session s JOIN reviewer "
                "r ON r.id = s.reviewer_id WHERE r.username = %s",
                (acct.username,))
    assert rows == [(hashlib.sha256(token).digest(),)]
    assert db.q("SELECT 1 FROM reviewer_session WHERE token_hash = %s "
                "OR position(%s IN token_hash) > 0",
                (token, token[:16])) == []

    # A new token at every login, even from a browser holding one; the
    # first stays good until it logs out.
    r = login(c, acct)
    assert r.status == 303
    second = c.cookies[SESSION]
    assert second != value
    first = client(cenv)
    first.cookies[SESSION] = value
    assert first.get("/").status == 200
    assert c.get("/").status == 200
    r = first.post("/logout", {"csrf": first.csrf("/settings")})
    assert to_login(r)
    first.cookies[SESSION] = value
    assert to_login(first.get("/"))
    assert c.get("/").status == 200


# --------------------------------------------------------------- enrolment

def scan_svg(svg, d):
    """The text of a QR code drawn as SVG: rendered by Chromium, read by
    zbarimg (as tests/e2e/test_qr.py does)."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing"
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing (zbar-tools)"
    page = d / "qr.html"
    page.write_text(
        "<!doctype html><html><head><style>"
        "html,body{margin:0;background:#fff}svg{width:600px;height:600px}"
        f"</style></head><body>{svg}</body></html>")
    png = d / "qr.png"
    p = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--hide-scrollbars", f"--user-data-dir={d / 'profile'}",
         "--window-size=600,600", f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and png.exists(), p.stderr
    p = subprocess.run([zbarimg, "--quiet", "--raw", str(png)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, f"zbarimg read nothing: {p.stderr!r}"
    return p.stdout.decode("utf-8").rstrip("\n")


def test_first_login_enrols_the_app(cenv):
    db = cenv.db
    acct = cenv.add("fresh.officer", "officer", "helsinki", enrolled=False)
    case = cenv.new_tip(helsinki_tip("enrolment must not see this"))[
        "case_id"]
    c = client(cenv)
    r = login(c, acct, code="")
    assert r.status == 303 and r.header("Location") == "/enrol"
    assert session_rows(cenv, c) == [("enrol",)]

    # Only /enrol, its picture and /logout; everything else sends the
    # session to /enrol.
    page = c.get("/enrol")
    assert page.status == 200
    csrf = form_csrf(page.text)
    qr = c.get("/enrol/qr.svg")
    assert qr.status == 200
    assert qr.header("Content-Type") == "image/svg+xml"
    for path in ("/", "/settings", f"/case/{case}",
                 f"/case/{case}/shot/{secrets.token_hex(4)}/1"):
        r = c.get(path)
        assert r.status == 303 and r.header("Location") == "/enrol", path
        assert "enrolment must not see" not in r.text
    for path, fields in (("/settings", {"reveal": "1"}),
                         ("/sessions/end-others", {}),
                         (f"/case/{case}/assign", {"version": "1"})):
        r = c.post(path, {"csrf": csrf, **fields})
        assert r.status == 303 and r.header("Location") == "/enrol", path
    assert db.q("SELECT assignee_id FROM cases WHERE id = %s",
                (case,)) == [(None,)]

    # The QR code holds the otpauth URI of the secret tiplinectl printed,
    # and the page shows the same secret to type.
    d = make_tempdir("tipline-enrol-")
    try:
        uri = scan_svg(qr.text, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    u = urllib.parse.urlsplit(uri)
    assert u.scheme == "otpauth" and u.netloc == "totp", uri
    q = urllib.parse.parse_qs(u.query)
    assert q["secret"] == [acct.secret], uri
    assert urllib.parse.unquote(u.path).endswith(acct.username)
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text)
    assert shown and shown.group(1).replace(" ", "") == acct.secret

    # A wrong code is refused, and changes nothing.
    step, code = peek_code(acct)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    r = c.post("/enrol", {"csrf": csrf, "totp": wrong})
    assert r.status == 422
    assert db.one("SELECT totp_enrolled FROM reviewer WHERE username = %s",
                  (acct.username,)) is False
    assert session_rows(cenv, c) == [("enrol",)]

    # The right one enrols, and the session becomes a full one.
    r = c.post("/enrol", {"csrf": csrf, "totp": code})
    assert r.status == 303 and r.header("Location") == "/", r.text[:500]
    acct.last_step = step
    assert db.one("SELECT totp_enrolled FROM reviewer WHERE username = %s",
                  (acct.username,)) is True
    assert session_rows(cenv, c) == [("full",)]
    assert c.get("/").status == 200
    assert c.get(f"/case/{case}").status == 200
    assert c.get("/enrol").header("Location") == "/"
    # The code used to enrol does not log in; a later one does.
    r = login(client(cenv), acct, code=code)
    assert r.status == 403
    r = login(client(cenv), acct)
    assert r.status == 303 and r.header("Location") == "/"
    ctl(cenv.conf, "reviewer", "unlock", acct.username)


def test_enrolment_session_can_log_out(cenv):
    acct = cenv.add("leaving.officer", "officer", "helsinki",
                    enrolled=False)
    c = client(cenv)
    assert login(c, acct, code="").header("Location") == "/enrol"
    h = token_hash(c)
    r = c.post("/logout", {"csrf": form_csrf(c.get("/enrol").text)})
    assert to_login(r)
    assert cenv.db.q("SELECT 1 FROM reviewer_session WHERE token_hash = %s",
                     (h,)) == []


# ------------------------------------------------------------------ headers

def csp_directives(value):
    out = {}
    for d in value.split(";"):
        parts = d.split()
        if parts:
            out[parts[0]] = parts[1:]
    return out


@pytest.fixture(scope="module")
def shot(cenv):
    """A Helsinki case with a screenshot: (case id, tip id, seq, bytes,
    mime)."""
    t = cenv.new_tip(helsinki_tip("a tip with a screenshot"),
                     files=[file_arg("plain.png")])
    seq, sealed, mime = cenv.db.one(
        "SELECT seq, sealed, mime FROM attachment WHERE tip_id = %s",
        (t["tip_id"],))
    return t["case_id"], t["tip_id"], seq, unseal(cenv.wenv.keys, sealed), \
        mime


def test_headers_on_every_answer(cenv, shot):
    case, tip, seq, _, _ = shot
    officer = logged_in(cenv, cenv.accounts["helsinki.officer"])
    admin = logged_in(cenv, cenv.accounts["the.admin"])
    enrolling = client(cenv)
    acct = cenv.add("headers.officer", "officer", "helsinki",
                    enrolled=False)
    assert login(enrolling, acct, code="").status == 303
    anon = client(cenv)
    csrf = officer.csrf("/settings")
    page = officer.get(f"/case/{case}").text
    version = case_version(page)
    # (client, method, path, fields, expected status), at least one for
    # every route of the table and each kind of refusal.
    reqs = {
        "GET /login": [(anon, "GET", "/login", None, 200)],
        "POST /login": [
            (anon, "POST", "/login", {"username": "x"}, 403),
            (client(cenv), "POST", "/login", "login-ok", 303)],
        "GET /enrol": [(enrolling, "GET", "/enrol", None, 200),
                       (officer, "GET", "/enrol", None, 303)],
        "GET /enrol/qr.svg": [(enrolling, "GET", "/enrol/qr.svg", None,
                               200)],
        "POST /enrol": [(enrolling, "POST", "/enrol", "enrol-wrong", 422)],
        "POST /logout": [(officer, "POST", "/logout", {}, 403)],
        "GET /": [(officer, "GET", "/", None, 200),
                  (admin, "GET", "/", None, 200),
                  (anon, "GET", "/", None, 303)],
        "GET /settings": [(officer, "GET", "/settings?done=saved", None,
                           200)],
        "POST /settings": [(officer, "POST", "/settings",
                            {"csrf": csrf, "reveal": "0"}, 303)],
        "POST /sessions/end-others": [
            (officer, "POST", "/sessions/end-others", {"csrf": "0" * 64},
             403)],
        "GET /search": [(officer, "GET", "/search?q=graffiti", None, 200),
                        (officer, "GET", "/search?q=%2C", None, 422),
                        (admin, "GET", "/search?q=graffiti", None, 403)],
        "GET /case/*": [(officer, "GET", f"/case/{case}", None, 200),
                        (officer, "GET", "/case/987654321", None, 404),
                        (admin, "GET", f"/case/{case}", None, 403)],
        "GET /case/*/shot/*/*": [
            (officer, "GET", f"/case/{case}/shot/{tip}/{seq}", None, 200),
            (officer, "GET", f"/case/{case}/shot/{tip}/{seq}?reveal=1",
             None, 200),
            (officer, "GET", f"/case/{case}/shot/{tip}/99", None, 404)],
        "GET /case/*/notice": [
            (officer, "GET", f"/case/{case}/notice?lang=en", None, 200),
            (officer, "GET", f"/case/{case}/notice?lang=xx", None, 400),
            (admin, "GET", f"/case/{case}/notice", None, 403)],
        "GET /case/*/notice.txt": [
            (officer, "GET", f"/case/{case}/notice.txt", None, 200),
            (officer, "GET", "/case/987654321/notice.txt", None, 404)],
        "POST /case/*/*": [
            (officer, "POST", f"/case/{case}/reopen",
             {"csrf": csrf, "version": version, "reason": ""}, 422),
            (officer, "POST", f"/case/{case}/note", {"note": "x"}, 403)],
        "GET /stats": [(officer, "GET", "/stats", None, 200),
                       (officer, "GET", "/stats?period=2026-W99", None, 400),
                       (admin, "GET", "/stats", None, 403)],
        "GET /stats.csv": [(officer, "GET", "/stats.csv", None, 200)],
        "GET /stats.json": [(officer, "GET", "/stats.json?period=2026",
                             None, 200)],
        "GET /stats/bars.svg": [(officer, "GET", "/stats/bars.svg", None,
                                 200)],
        "GET /stats/line.svg": [(officer, "GET",
                                 "/stats/line.svg?period=2026-11", None,
                                 200)],
        "GET /static/": [(anon, "GET", "/static/console.css", None, 200),
                         (anon, "GET", "/static/nosuch.css", None, 404)],
        "GET /healthz": [(anon, "GET", "/healthz", None, 200)],
        "no route": [(anon, "GET", "/no/such/page", None, 404),
                     (anon, "DELETE", "/login", None, 405),
                     (officer, "PUT", "/settings", None, 405),
                     (anon, "GET", "/%00", None, 400)],
    }
    missing = set(route_table()) - set(reqs)
    assert not missing, f"routes without a request here: {missing}"
    errors = []
    for route, rs in reqs.items():
        for c, method, path, fields, status in rs:
            if fields == "login-ok":
                fields = {"username": cenv.accounts["helsinki.second"]
                          .username,
                          "password": cenv.accounts["helsinki.second"]
                          .password,
                          "totp": cenv.accounts["helsinki.second"].code(),
                          "csrf": c.csrf("/login")}
            elif fields == "enrol-wrong":
                fields = {"csrf": form_csrf(c.get("/enrol").text),
                          "totp": "000000"}
            r = c.request(method, path, fields=fields)
            where = f"{route}: {method} {path} -> {r.status}"
            if r.status != status:
                errors.append(f"{where}, expected {status}")
            h = {}
            for k, v in r.headers:
                h.setdefault(k.lower(), []).append(v)
            for name in ("content-security-policy",
                         "strict-transport-security",
                         "x-content-type-options", "referrer-policy",
                         "cache-control", "content-type"):
                if len(h.get(name, [])) != 1:
                    errors.append(f"{where}: {name}: {h.get(name)}")
            if errors and errors[-1].startswith(where + ":"):
                continue
            csp = h["content-security-policy"][0]
            d = csp_directives(csp)
            if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp or \
                    d.get("frame-ancestors") != ["'none'"] or \
                    d.get("default-src") != ["'none'"]:
                errors.append(f"{where}: CSP {csp}")
            sts = h["strict-transport-security"][0]
            m = re.search(r"max-age=(\d+)", sts)
            if not m or int(m.group(1)) < 31536000:
                errors.append(f"{where}: HSTS {sts}")
            if h["x-content-type-options"] != ["nosniff"]:
                errors.append(f"{where}: nosniff")
            if h["referrer-policy"] != ["no-referrer"]:
                errors.append(f"{where}: Referrer-Policy")
            cc = [x.strip() for x in h["cache-control"][0].split(",")]
            if not path.startswith("/static/") or r.status != 200:
                if "no-store" not in cc:
                    errors.append(f"{where}: Cache-Control {cc}")
            if "server" in h:
                errors.append(f"{where}: Server header")
    assert not errors, "\n".join(errors)


# -------------------------------------------------------------- screenshots

def test_screenshot_served_only_to_its_department(cenv, shot):
    db = cenv.db
    case, tip, seq, data, mime = shot
    url = f"/case/{case}/shot/{tip}/{seq}"
    officer = logged_in(cenv, cenv.accounts["helsinki.officer"])
    me = db.one("SELECT id FROM reviewer WHERE username = %s",
                ("helsinki.officer",))

    def reveals():
        return db.q("SELECT reviewer_id, case_id, detail FROM audit_log "
                    "WHERE action = 'image_reveal' ORDER BY id")

    before = reveals()
    r = officer.get(url)
    assert r.status == 200
    assert r.body == data
    assert mime == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n")
    assert r.header("Content-Type") == mime
    assert r.header("Content-Disposition") == "inline"
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert "no-store" in r.header("Cache-Control")
    # Blurred (no reveal) is not a reveal; revealed is.
    r = officer.get(url + "?reveal=1")
    assert r.status == 200 and r.body == data
    rows = wait_for("an image_reveal row",
                    lambda: reveals()[len(before):])
    assert len(rows) == 1, rows
    assert rows[0][0] == me and rows[0][1] == case
    assert rows[0][2] == {"tip": str(tip), "seq": seq}

    # Another department, an admin, no session: never the bytes.  A
    # refused reveal is no reveal in the audit log.
    lap = logged_in(cenv, cenv.accounts["lappi.officer"])
    admin = logged_in(cenv, cenv.accounts["the.admin"])
    n = len(reveals())
    for c, status in ((lap, 404), (admin, 403), (client(cenv), 303)):
        for q in ("", "?reveal=1"):
            r = c.get(url + q)
            assert r.status == status, (c, q, r.status)
            assert data not in r.body
    r = officer.get(f"/case/{case}/shot/{tip}/{seq + 1}?reveal=1")
    assert r.status == 404
    # One more real reveal: once its row is in, the refused ones (sent
    # before it) would be too.
    assert officer.get(url + "?reveal=1").status == 200
    rows = wait_for("the last reveal", lambda: reveals()[n:])
    assert [(x[0], x[1]) for x in rows] == [(me, case)], rows


# ---------------------------------------------------------------- audit log

def test_audit_rows_name_reviewer_and_case(cenv):
    db = cenv.db
    acct = cenv.add("audited.officer", "officer", "helsinki")
    me = db.one("SELECT id FROM reviewer WHERE username = %s",
                (acct.username,))
    start = db.one("SELECT coalesce(max(id), 0) FROM audit_log")
    case = cenv.new_tip(helsinki_tip("an audited case"))["case_id"]

    c = client(cenv)
    assert login(c, acct, code=peek_code(acct)[1],
                 password="wrong-Tl9!x").status == 403
    r = c.post("/login", {"username": "nobody.at.all", "password": "pw",
                          "totp": "123456", "csrf": c.csrf("/login")})
    assert r.status == 403
    ctl(cenv.conf, "reviewer", "unlock", acct.username)
    r = login(c, acct)
    assert r.status == 303
    page = c.get(f"/case/{case}")
    assert page.status == 200
    csrf = form_csrf(page.text)
    assert c.post(f"/case/{case}/note", {"csrf": csrf, "version": "1",
                                         "note": "audited note"}
                  ).status == 303
    v = case_version(c.get(f"/case/{case}").text)
    assert c.post(f"/case/{case}/assign", {"csrf": csrf, "version": v}
                  ).status == 303
    v = case_version(c.get(f"/case/{case}").text)
    assert c.post(f"/case/{case}/close",
                  {"csrf": csrf, "version": v, "outcome": "no_offence",
                   "reason": "Nothing."}).status == 303
    assert to_login(c.post("/logout", {"csrf": csrf}))

    want = [("login_failed", me, None), ("login_failed", None, None),
            ("login", me, None), ("case_view", me, case),
            ("note", me, case), ("assign", me, case), ("close", me, case),
            ("logout", me, None)]

    def rows():
        got = db.q("SELECT action, reviewer_id, case_id FROM audit_log "
                   "WHERE id > %s ORDER BY id", (start,))
        return got if all(w in got for w in want) else None
    got = wait_for("the audit rows", rows)
    # The failed login of an unknown name is the only row without one.
    assert [r for r in got if r[1] is None] == [("login_failed", None,
                                                  None)], got


def test_searches_are_audited(cenv):
    if "GET /search" not in route_table():
        pytest.skip("no /search route yet")
    acct = cenv.add("searching.officer", "officer", "helsinki")
    me = cenv.db.one("SELECT id FROM reviewer WHERE username = %s",
                     (acct.username,))
    start = cenv.db.one("SELECT coalesce(max(id), 0) FROM audit_log")
    c = logged_in(cenv, acct)
    assert c.get("/search?q=graffiti").status == 200
    wait_for("a search row", lambda: cenv.db.q(
        "SELECT 1 FROM audit_log WHERE id > %s AND action = 'search' "
        "AND reviewer_id = %s", (start, me)))


def heads_cover(cenv):
    """Until the head file names the chain's last row."""
    last = cenv.db.one("SELECT coalesce(max(id), 0) FROM audit_log")
    f = cenv.wenv.dir / "audit.head"
    return f.exists() and re.search(rf"(?m)^audit-head {last} ",
                                    f.read_text())


def test_audit_chain_verifies(cenv):
    """After everything above (keep it after them in this file)."""
    assert cenv.db.one("SELECT count(*) FROM audit_log") > 10
    wait_for("the head file", lambda: heads_cover(cenv))
    p = ctl(cenv.conf, "audit", "verify", "--head",
            cenv.wenv.dir / "audit.head")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "audit chain OK" in p.stdout


def test_no_credential_in_the_log(cenv):
    """Last: every password, code, token and cookie value used by this
    module's tests is absent from the console's log."""
    log = cenv.console.log()
    assert "logged in" in log          # it is the right log
    secrets_ = set(SEEN)
    now = int(time.time()) // 30
    for a in cenv.accounts.values():
        secrets_.add(a.password)
        secrets_.add(a.secret)
        # Every code of the last 20 minutes: all this module used.
        for step in range(now - 40, max(now, a.last_step) + 2):
            secrets_.add(totp_at(a.secret, step))
    secrets_.add("pw-brand-new-Tl9!x")
    found = []
    for s in secrets_:
        if re.fullmatch(r"\d{6}", s):
            if re.search(rf"(?<![\d.:]){s}(?![\d])", log):
                found.append(s)
        elif len(s) >= 6 and s in log:
            found.append(s)
    assert len(secrets_) > 50
    assert not found, f"in the console's log: {found}"
