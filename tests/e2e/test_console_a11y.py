"""Accessibility of the console's pages: axe-core (pinned in
tests/e2e/browser/package.json) checks each page in Debian's Chromium
(tests/e2e/browser/axe.mjs) against WCAG 2.1 levels A and AA, on a desktop
screen and at a phone's viewport (390x844), under the pages' own
Content-Security-Policy.  Any violation fails, and so does any result
axe leaves for a person to review ("incomplete"), and a page wider than
the phone.

The pages: /login, empty and with an error, /enrol, the queue with rows
and empty, a case with two tips, a blurred and a revealed screenshot, its
history, a note and the key list shown, a message to the tipsters in
preview, a form refused for its old
token, the login that keeps what was typed after a session ended,
/settings, a closed case with its platform's answer recorded and its
notice to the platform, the admin's home and the not-found page.  The full-page screenshots are left in pytest's
temporary directory (/tmp/pytest-of-*/pytest-current/console-a11y-*/)
for a person to look at."""
import datetime
import json
import random
import secrets
import subprocess
import zoneinfo

import pytest

from consolelib import browser_code, case_version, cenv, console_worker  # noqa: F401
from consolelib import form_csrf
from e2elib import BROWSER_DIR
from tiplib import file_arg, png_encode, tip_fields
from worklib import ingest, wenv  # noqa: F401

VIEWPORTS = {"desktop": [], "phone": ["--phone"]}
PHONE_WIDTH = 390

# Who reads the queue and the case at each viewport (each code works once,
# so one account a viewport saves waiting for the next step).
READER = {"desktop": "helsinki.officer", "phone": "helsinki.second"}


def login(url, acct, code=True):
    steps = [{"goto": f"{url}/login"},
             {"fill": "#username", "value": acct.username},
             {"fill": "#password", "value": acct.password}]
    if code:
        steps.append(browser_code(acct))
    steps.append({"click": "form.login button[type=submit]"})
    return steps


LOGOUT = [{"click": "form.logout button[type=submit]"},
          {"expect": "form.login"}]


def screenshot(tmp_path):
    rnd = random.Random(7)
    w, h, b = 600, 400, 20
    cells = [[(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
              for _ in range(w // b)] for _ in range(h // b)]
    p = tmp_path / "shot.png"
    p.write_bytes(png_encode(w, h, 2, 8, lambda x, y: cells[y // b][x // b]))
    return file_arg(p, "screenshot.png", "image/png")


@pytest.fixture(scope="module")
def world(cenv, tmp_path_factory):  # noqa: F811
    """A Helsinki case with two tips (with a screenshot and a long
    link), taken and with a note; another case in the queue; an officer
    of a department with no cases; an officer not yet enrolled."""
    link = "https://www.example.com/groups/" + "x" * 80 + "/posts/" + \
        secrets.token_hex(8) + "?comment_id=1234567890&reply=1"
    tip = dict(channel="both", municipality="091", platform="facebook",
               url=link, motive=["ethnic", "religion"],
               place="Rautatientori, bussipysäkki", date="2024-10-05")
    t = ingest(cenv.wenv, tip_fields(
        description="Kommentteja, joissa uhataan ryhmää väkivallalla.\n"
                    "Toinen rivi kuvauksessa.", **tip),
        [screenshot(tmp_path_factory.mktemp("img"))],
        workers=[cenv.worker])
    case_id = t["case_id"]
    t2 = ingest(cenv.wenv, tip_fields(
        description="Sama julkaisu, yhä näkyvissä.", **tip),
        workers=[cenv.worker])
    assert t2["case_id"] == case_id
    ingest(cenv.wenv, tip_fields(
        description="Toinen tapaus jonossa.", channel="both",
        municipality="091"), workers=[cenv.worker])
    c = cenv.client(cenv.accounts["helsinki.officer"])
    page = c.get(f"/case/{case_id}").text
    csrf = form_csrf(page)
    for action, fields in (("assign", {}),
                           ("note", {"note": "Soitettu ylläpitäjälle."}),
                           ("feedback", {"message": "Kiitos vihjeestä.",
                                         "lang": "fi", "tip": "",
                                         "template": "received",
                                         "do": "send"})):
        v = case_version(c.get(f"/case/{case_id}").text)
        r = c.post(f"/case/{case_id}/{action}",
                   {"csrf": csrf, "version": v, **fields})
        assert r.status == 303, (action, r.status, r.text[:1000])
    # A closed case with a notice to the platform sent and answered.
    closed = ingest(cenv.wenv, tip_fields(
        description="Uhkauksia kommenteissa, julkaisu on yhä esillä.",
        channel="both", municipality="091", platform="facebook",
        url="https://www.facebook.com/permalink.php?story_fbid=" +
            str(random.randrange(10**15)) + "&id=4"),
        workers=[cenv.worker])["case_id"]
    page = c.get(f"/case/{closed}").text
    r = c.post(f"/case/{closed}/close", {
        "csrf": csrf, "version": case_version(page),
        "outcome": "platform_removal", "hate": "yes", "ground": "ethnic",
        "offence": ["agitation", "menace"]})
    assert r.status == 303, r.text[:1000]
    day = datetime.datetime.now(
        zoneinfo.ZoneInfo("Europe/Helsinki")).date().isoformat()
    r = c.post(f"/case/{closed}/platform", {
        "csrf": csrf, "platform": "facebook", "sent_on": day,
        "acknowledged_on": day, "decision": "removed", "decided_on": day})
    assert r.status == 303, r.text[:1000]
    cenv.add("oulu.officer", "officer", "oulu")
    cenv.add("lappi.newcomer", "officer", "lappi", enrolled=False)
    return {"case": case_id, "closed": closed}


def pages(url, world, accounts, viewport):
    """[(name, expected status, steps leading to it)] in order."""
    reader = accounts[READER[viewport]]
    case = f"{url}/case/{world['case']}"
    return [
        ("login", 200, [{"goto": f"{url}/login"}]),
        ("login-error", 403, [
            {"fill": "#username", "value": "nobody.here"},
            {"fill": "#password", "value": "not-the-password"},
            {"fill": "#totp", "value": "123456"},
            {"click": "form.login button[type=submit]"},
            {"expect": "#login-problem"}]),
        ("enrol", 200, login(url, accounts["lappi.newcomer"], code=False) + [
            {"expect": "img.qr"}]),
        ("queue", 200, LOGOUT + login(url, reader) + [
            {"expect": "tr[data-case]"}]),
        ("case", 200, [{"goto": case}, {"expect": "img.blur"},
                       {"expect": "#history li"}, {"expect": ".notes li"}]),
        ("case-keys", 200, [{"press": "?"},
                            {"expect": "#keys:not([hidden])"}]),
        ("case-revealed", 200, [
            {"press": "Escape"},
            {"click": "a.reveal", "navigate": False},
            {"expect": "a.reveal img:not(.blur)"}]),
        # A message to the tipsters being written: the messages sent,
        # the form filled in from a template and the preview.
        ("case-feedback", 200, [
            {"goto": case},
            {"fill": "#feedback-message",
             "value": "Kiitos vihjeestäsi.\nTarvitsemme lisätietoa."},
            {"click": "#form-feedback button[value=preview]"},
            {"expect": "section.preview"}, {"expect": "li.case-message"}]),
        ("settings", 200, [{"goto": f"{url}/settings"}]),
        ("search", 200, [{"goto": f"{url}/search?q=station"},
                         {"expect": "h1"}]),
        ("case-closed", 200, [{"goto": f"{url}/case/{world['closed']}"},
                              {"expect": "#form-platform-facebook"}]),
        ("notice", 200, [{"goto": f"{url}/case/{world['closed']}/notice"},
                         {"expect": "#notice-d"}]),
        ("not-found", 404, [{"goto": f"{url}/no-such-page"}]),
        ("case-not-found", 404, [{"goto": f"{url}/case/999999"}]),
        # A note sent from a page whose form token is out of date: the
        # case again with the refusal and the note kept.
        ("case-refused", 403, [
            {"goto": case},
            {"eval": "document.querySelectorAll('input[name=csrf]')"
                     ".forEach(e => { e.value = '0'.repeat(64); })"},
            {"fill": "#note-text", "value": "Muistiinpano, joka ei mennyt."},
            {"click": "#form-note button[type=submit]"},
            {"expect": "#case-notice"}]),
        # ...and after the session ended: the login with the text to copy.
        ("login-kept", 403, [
            {"cookie": "__Host-tipline_session=" + "0" * 64,
             "url": f"{url}/"},
            {"click": "#form-note button[type=submit]"},
            {"expect": "section.kept textarea"}]),
        ("queue-empty", 200, login(url, accounts["oulu.officer"]) +
         [{"expect": "main .notice"}]),
        ("admin", 200, LOGOUT + login(url, accounts["the.admin"]) + [
            {"expect": "table.list"}]),
    ]


NAMES = ["login", "login-error", "enrol", "queue", "case", "case-keys",
         "case-revealed", "case-feedback", "settings", "search",
         "case-closed", "notice", "not-found",
         "case-not-found", "case-refused", "login-kept",
         "queue-empty", "admin"]


@pytest.fixture(scope="module")
def audits(node_env, cenv, world, tmp_path_factory):  # noqa: F811
    """axe.mjs's findings by viewport, each viewport run once for the
    module: {"audits": {name: audit}, "status": {name: expected},
    "cspErrors": [...]}."""
    done = {}

    def get(viewport):
        if viewport not in done:
            shots = tmp_path_factory.mktemp(f"console-a11y-{viewport}")
            steps, expected = [], {}
            for name, status, lead in pages(cenv.console.url, world,
                                            cenv.accounts, viewport):
                steps += lead + [{"audit": name}]
                expected[name] = status
            assert list(expected) == NAMES
            p = subprocess.run(
                [node_env, "axe.mjs", *VIEWPORTS[viewport], "--shots",
                 str(shots), *(json.dumps(s) for s in steps)],
                cwd=BROWSER_DIR, capture_output=True, text=True, timeout=600)
            lines = p.stdout.strip().splitlines()
            out = json.loads(lines[-1]) if lines else {}
            done[viewport] = {
                "audits": {a["name"]: a for a in out.get("audits", [])},
                "status": expected, "cspErrors": out.get("cspErrors"),
                # 1: some page has a violation, found by the tests below.
                "failed": None if p.returncode in (0, 1) else
                f"axe.mjs exit {p.returncode}:\n{p.stdout}{p.stderr}"}
        assert done[viewport]["failed"] is None, done[viewport]["failed"]
        return done[viewport]
    return get


def report(results):
    lines = []
    for v in results:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"]:
            lines.append(f"    {json.dumps(n['target'])}")
    return "\n".join(lines)


@pytest.mark.parametrize("page", NAMES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_passes_axe(audits, viewport, page):
    got = audits(viewport)
    a = got["audits"][page]
    assert a["status"] == got["status"][page], (a["url"], a["status"])
    assert a["violations"] == [], \
        f"{page} at {viewport}, {a['url']}:\n{report(a['violations'])}"
    assert a["incomplete"] == [], \
        f"{page} at {viewport}, {a['url']}, to review:\n" \
        f"{report(a['incomplete'])}"


@pytest.mark.parametrize("page", NAMES)
def test_phone_no_sideways_scrolling(audits, page):
    a = audits("phone")["audits"][page]
    assert a["width"] <= PHONE_WIDTH, (page, a["width"])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_policy_refuses_nothing(audits, viewport):
    assert audits(viewport)["cspErrors"] == []
