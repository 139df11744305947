"""Accessibility of the public pages: axe-core (pinned in
tests/e2e/browser/package.json) checks each page in Debian's Chromium
(tests/e2e/browser/axe.mjs) against WCAG 2.1 levels A and AA, on a desktop
screen and at a phone's viewport (390x844).  Any violation fails, and so
does any result axe leaves for a person to review ("incomplete").

The pages: the form in each language, the form shown again with errors
(a blank description, e-mail feedback without an address, a screenshot
kept), the receipt after a real submission, /status empty, with a wrong
code and with the right one, and the not-found page.  The pages are
checked under their own Content-Security-Policy.  The full-page
screenshots are left in pytest's temporary directory
(/tmp/pytest-of-*/pytest-current/a11y-*/) for a person to look at."""
import json
import subprocess

import pytest

from e2elib import BROWSER_DIR
from tiplib import (ALPHABET, code_is_valid, receipt_code, sample, shown,
                    submit, tip_fields)

VIEWPORTS = {"desktop": [], "phone": ["--phone"]}

# name: (HTTP status that showed the page, steps that lead to it from the
# previous page).
PAGES = {
    "form-fi": (200, lambda u, c: [{"goto": f"{u}/fi"}]),
    "form-sv": (200, lambda u, c: [{"goto": f"{u}/sv"}]),
    "form-en": (200, lambda u, c: [{"goto": f"{u}/en"}]),
    # Spaces get past the browser's own check of a required field; the
    # server finds the description blank and no channel chosen.
    "form-errors": (422, lambda u, c: [
        {"goto": f"{u}/fi"},
        {"fill": "#description", "value": "   "},
        {"check": "#feedback-email"},
        {"files": "#screenshot", "paths": [str(sample("plain.png"))]},
        {"click": "button[type=submit]"},
        {"expect": "#errors"},
        {"expect": "#email-error"},
        {"expect": "#keep-1"},
    ]),
    "receipt": (200, lambda u, c: [
        {"goto": f"{u}/sv"},
        {"fill": "#description", "value": "Ett test av sidorna."},
        {"check": "#channel-online"},
        {"click": "button[type=submit]"},
        {"expect": "#receipt-code"},
        {"expect": "#copy-code:visible"},
    ]),
    "status": (200, lambda u, c: [
        {"click": "a[href^='/status']"},
        {"expect": "#code"},
    ]),
    "status-wrong-code": (422, lambda u, c: [
        {"fill": "#code", "value": typo(c)},
        {"click": "button[type=submit]"},
        {"expect": "#code-error"},
    ]),
    "status-right-code": (200, lambda u, c: [
        {"fill": "#code", "value": c},
        {"click": "button[type=submit]"},
        {"expect": ".status-result"},
    ]),
    "not-found": (404, lambda u, c: [{"goto": f"{u}/no-such-page"}]),
}

# A page spoiled on purpose: axe must see the field that lost its label,
# under the page's own Content-Security-Policy.
def control(url):
    return [{"goto": f"{url}/status?lang=en"},
            {"eval": "document.querySelector('label[for=code]').remove()"},
            {"audit": "control"}]


def typo(code):
    """code with one character changed: a wrong code, caught as a typo."""
    d = list(code.replace("-", ""))
    d[4] = ALPHABET[(ALPHABET.index(d[4]) + 7) % 32]
    return shown("".join(d))


@pytest.fixture(scope="module")
def code(intake):
    """A receipt code whose tip is stored, sent with curl."""
    r = submit(intake.url, tip_fields(lang="sv"))
    assert r.status == 200, r.text[:2000]
    c = receipt_code(r.text)
    assert code_is_valid(c)
    return c


@pytest.fixture(scope="module")
def audits(node_env, intake, code, tmp_path_factory):
    """axe.mjs's findings by viewport, each viewport run once for the
    module: {"audits": {name: audit}, "cspErrors": [...]}."""
    done = {}

    def get(viewport):
        if viewport not in done:
            shots = tmp_path_factory.mktemp(f"a11y-{viewport}")
            steps = []
            for name, (_, lead) in PAGES.items():
                steps += lead(intake.url, code) + [{"audit": name}]
            steps += control(intake.url)
            p = subprocess.run(
                [node_env, "axe.mjs", *VIEWPORTS[viewport], "--shots",
                 str(shots), *(json.dumps(s) for s in steps)],
                cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300)
            # 1: some page has a violation, as the control page must.
            assert p.returncode == 1, \
                f"axe.mjs exit {p.returncode}:\n{p.stdout}{p.stderr}"
            out = json.loads(p.stdout.strip().splitlines()[-1])
            done[viewport] = {"audits": {a["name"]: a for a in out["audits"]},
                              "cspErrors": out["cspErrors"]}
        return done[viewport]
    return get


def report(results):
    """One line for each rule, then the failing nodes' targets."""
    lines = []
    for v in results:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"]:
            lines.append(f"    {json.dumps(n['target'])}")
    return "\n".join(lines)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_passes_axe(audits, viewport, page):
    a = audits(viewport)["audits"][page]
    assert a["status"] == PAGES[page][0], (a["url"], a["status"])
    assert a["violations"] == [], \
        f"{page} at {viewport}, {a['url']}:\n{report(a['violations'])}"
    assert a["incomplete"] == [], \
        f"{page} at {viewport}, {a['url']}, to review:\n" \
        f"{report(a['incomplete'])}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_axe_catches_a_missing_label(audits, viewport):
    a = audits(viewport)["audits"]["control"]
    assert [(v["id"], [n["target"] for n in v["nodes"]])
            for v in a["violations"]] == [("label", [["#code"]])], \
        report(a["violations"])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_policy_refuses_nothing(audits, viewport):
    """Neither the pages nor the evaluated axe-core trip the pages'
    Content-Security-Policy."""
    assert audits(viewport)["cspErrors"] == []
