"""The console in a real browser: Debian's Chromium, headless, driven by
playwright-core (tests/e2e/browser/console.mjs) against a running
tipline-console.  An officer logs in with a TOTP code, enrols from the
QR code on the page (read back with zbarimg), triages a case with the
keyboard alone, moves, merges and splits cases with the mouse, and does
the same without JavaScript; screenshots stay blurred until revealed,
and each reveal is audited.  The database is checked after each."""
import json
import random
import re
import secrets
import subprocess
import time

from consolelib import (browser_code, cenv, console_worker,  # noqa: F401
                        wait_for)
from e2elib import BROWSER_DIR
from tiplib import file_arg, png_encode, tip_fields
from worklib import ingest, wenv  # noqa: F401


def drive(node, steps, *flags):
    """Runs console.mjs with steps; returns its findings."""
    p = subprocess.run(
        [node, "console.mjs", *flags, *(json.dumps(s) for s in steps)],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300)
    lines = p.stdout.strip().splitlines()
    out = json.loads(lines[-1]) if lines else {}
    assert p.returncode == 0, \
        f"console.mjs exit {p.returncode}: {out.get('error')}\n{p.stderr}" \
        f"\nvisits: {out.get('visits')}"
    # Nothing on the pages fails to load or trips the page's policy.
    # (Chromium asks for /favicon.ico by itself; that 404 is let through.)
    assert [f for f in out["failedRequests"] if f != "404 /favicon.ico"] \
        == [], out["failedRequests"]
    assert [e for e in out["consoleErrors"] if "404" not in e] == [], \
        out["consoleErrors"]
    assert out["pageErrors"] == [], out["pageErrors"]
    return out


def login(url, acct, code=True):
    """Steps that log acct in with the form, landing on the queue (or,
    with code=False, on whatever the password alone leads to)."""
    steps = [{"goto": f"{url}/login"},
             {"fill": "#username", "value": acct.username},
             {"fill": "#password", "value": acct.password}]
    if code:
        steps.append(browser_code(acct))
    steps.append({"click": "form.login button[type=submit]"})
    if code:
        steps.append({"url": r"/$"})
    return steps


def focused(selector):
    """JS: whether the focus is on selector."""
    return (f"document.activeElement !== null && "
            f"document.activeElement.matches({json.dumps(selector)})")


def tab_to(selector, key="Tab"):
    return {"press": key, "until": focused(selector)}


def helsinki_tip(text, url=None, **kw):
    """A tip about a place in Helsinki (091): routed to Helsinki police."""
    return dict(channel="both", municipality="091", description=text,
                url=url or f"https://example.com/p/{secrets.token_hex(6)}",
                **kw)


def new_case(cenv, text, files=(), **kw):
    t = ingest(cenv.wenv, tip_fields(**helsinki_tip(text, **kw)), files,
               workers=[cenv.worker])
    return t["case_id"]


def case(cenv, case_id):
    rows = cenv.db.q(
        "SELECT c.status, c.outcome, c.hate_confirmed, c.grounds, "
        "c.offences, r.username, d.code, c.ntips, c.merged_into "
        "FROM cases c JOIN department d ON d.id = c.department_id "
        "LEFT JOIN reviewer r ON r.id = c.assignee_id WHERE c.id = %s",
        (case_id,))
    assert len(rows) == 1, case_id
    keys = ("status", "outcome", "hate", "grounds", "offences", "assignee",
            "department", "ntips", "merged_into")
    return dict(zip(keys, rows[0]))


def events(cenv, case_id):
    return [k for (k,) in cenv.db.q(
        "SELECT kind FROM case_event WHERE case_id = %s ORDER BY id",
        (case_id,))]


def wait_audit(cenv, action, case_id, count, timeout=30):
    """The audit rows of action on case_id once there are count of them."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [a for a in cenv.audit(action) if a[3] == case_id]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


# ------------------------------------------------------------ logging in

def test_login_with_totp_lands_on_queue(cenv, node_env):
    acct = cenv.accounts["helsinki.officer"]
    url = cenv.console.url
    before = len(cenv.audit("login"))
    out = drive(node_env, login(url, acct) + [
        {"note": "h1", "js": "document.querySelector('h1').textContent"},
        {"note": "who", "js": "document.querySelector('.who').textContent"},
    ])
    assert out["visits"][-1] == {"url": f"{url}/", "status": 200}, \
        out["visits"]
    assert out["notes"]["who"].startswith("Helsinki Officer"), out["notes"]
    # The login's audit row is appended as the answer goes out.
    wait_for("the login's audit row",
             lambda: len(cenv.audit("login")) == before + 1)
    assert len(cenv.audit("login")) == before + 1


def test_enrolment_reads_the_qr_code(cenv, node_env):
    acct = cenv.add("helsinki.newcomer", "officer", "helsinki",
                    enrolled=False)
    url = cenv.console.url
    out = drive(node_env, login(url, acct, code=False) + [
        {"url": r"/enrol$"},
        {"expect": "img.qr", "state": "visible"},
        {"note": "loaded", "js": "document.querySelector('img.qr')"
                                 ".naturalWidth > 0"},
        {"qr": "img.qr", "as": "enrol"},
        {"totp": "enrol", "fill": "#totp"},
        {"click": "form[action='/enrol'] button[type=submit]"},
        {"url": r"/$"},
        {"expect": "form.filters"},
    ])
    assert out["notes"]["loaded"] is True
    uri = out["qr"]["enrol"]
    assert uri.startswith("otpauth://totp/"), uri
    assert re.search(r"[?&]secret=" + acct.secret + r"(&|$)", uri), \
        (uri, acct.secret)
    assert [v["url"] for v in out["visits"]][-1] == f"{url}/"
    assert cenv.db.q("SELECT totp_enrolled FROM reviewer WHERE username = "
                     "%s", (acct.username,)) == [(True,)]


# ------------------------------------------------------- keyboard triage

ROWS = "Array.from(document.querySelectorAll('tr[data-case]'))"
CURRENT = ("(() => { const c = document.querySelectorAll('tr.current'); "
           "const a = document.activeElement; return {current: Array.from("
           "c, r => r.dataset.case), focus: a && a.closest('tr[data-case]')"
           " ? a.closest('tr[data-case]').dataset.case : null}; })()")


def current_is(case_id):
    return (f"document.querySelector('tr.current') !== null && "
            f"document.querySelector('tr.current').dataset.case === "
            f"'{case_id}'")


def test_triage_with_the_keyboard(cenv, node_env):
    acct = cenv.accounts["helsinki.officer"]
    first = new_case(cenv, "Racist slurs written on a bus stop shelter.")
    second = new_case(cenv, "A video mocking a religious group.")
    url = cenv.console.url
    out = drive(node_env, login(url, acct) + [
        {"note": "rows", "js": f"{ROWS}.map(r => r.dataset.case)"},
        {"note": "start", "js": CURRENT},
        {"press": "j"}, {"note": "j1", "js": CURRENT},
        {"press": "j"}, {"note": "j2", "js": CURRENT},
        {"press": "k"}, {"note": "k1", "js": CURRENT},
        {"press": "k"}, {"note": "k2", "js": CURRENT},
        # The key list, shown and hidden.
        {"press": "?"}, {"expect": "#keys", "state": "visible"},
        {"note": "keys", "js": "document.getElementById('keys').innerText"},
        {"press": "?"}, {"expect": "#keys", "state": "hidden"},
        # To the first case, opened with Enter.
        {"press": "j", "until": current_is(first)},
        {"press": "Enter", "navigate": True},
        {"url": rf"/case/{first}$"},
        {"press": "a", "navigate": True},
        {"expect": "form[action$='/unassign']"},
        {"note": "assignee",
         "js": "document.getElementById('case-assignee').textContent"},
        {"press": "c"},
        {"note": "c", "js": "document.activeElement.id"},
        {"press": "ArrowDown"}, {"press": "ArrowDown"},
        {"note": "outcome",
         "js": "document.getElementById('close-outcome').value"},
        {"press": "Tab"},
        {"note": "tab", "js": "document.activeElement.id"},
        {"press": "ArrowUp"}, {"press": "ArrowUp"},
        {"note": "hate",
         "js": "document.querySelector('input[name=hate]:checked').id"},
        tab_to("#ground-ethnic"), {"press": "Space"},
        tab_to("#ground-religion"), {"press": "Space"},
        tab_to("#offence-agitation"), {"press": "Space"},
        tab_to("#form-close button[type=submit]"),
        {"press": "Enter", "navigate": True},
        {"url": rf"/case/{first}$"},
        {"expect": "#form-reopen"},
        {"note": "status",
         "js": "document.getElementById('case-status').textContent"},
        {"note": "shown_outcome",
         "js": "document.getElementById('case-outcome').textContent"},
        {"note": "history",
         "js": "document.getElementById('history').innerText"},
        # Back to the queue by the keyboard, to the second case with o.
        tab_to("header .brand a"),
        {"press": "Enter", "navigate": True},
        {"url": r"/$"},
        {"press": "j", "until": current_is(second)},
        {"press": "o", "navigate": True},
        {"url": rf"/case/{second}$"},
    ])
    n = out["notes"]
    rows = n["rows"]
    assert str(first) in rows and str(second) in rows and len(rows) >= 2
    assert n["start"] == {"current": [], "focus": None}
    assert n["j1"] == {"current": [rows[0]], "focus": rows[0]}, n
    assert n["j2"] == {"current": [rows[1]], "focus": rows[1]}, n
    assert n["k1"] == {"current": [rows[0]], "focus": rows[0]}, n
    # k stops at the top.
    assert n["k2"] == {"current": [rows[0]], "focus": rows[0]}, n
    for key in ("j", "o", "a", "c", "?"):
        assert re.search(rf"(^|\s){re.escape(key)}(\s|$)", n["keys"]), \
            n["keys"]
    assert n["assignee"] == "Helsinki Officer"
    assert n["c"] == "close-outcome"
    assert n["outcome"] == "preventive_contact"
    assert n["tab"] == "hate-unknown"
    assert n["hate"] == "hate-yes"
    row = case(cenv, first)
    assert (row["status"], row["outcome"], row["hate"], row["grounds"],
            row["offences"], row["assignee"]) == \
        ("closed", "preventive_contact", True, ["ethnic", "religion"],
         ["agitation"], acct.username), row
    assert events(cenv, first) == ["assign", "close"]
    assert n["shown_outcome"] == "preventive contact with the poster"
    assert re.search(r"took the case\n.*closed the case "
                     r"\(preventive contact with the poster\)$",
                     n["history"]), \
        n["history"]


# -------------------------------------------------------- with the mouse

HISTORY = "document.getElementById('history').innerText"


def test_move_merge_split_with_the_mouse(cenv, node_env):
    acct = cenv.accounts["helsinki.second"]
    url = cenv.console.url
    moved = new_case(cenv, "Threatening messages sent to a mosque.")
    a = new_case(cenv, "Hateful comments under a news article.")
    b = new_case(cenv, "The same hateful comments, reported again.")
    link = f"https://example.com/p/{secrets.token_hex(6)}"
    two = new_case(cenv, "A post calling for violence.", url=link)
    assert new_case(cenv, "That post again, still online.", url=link) == two
    assert case(cenv, two)["ntips"] == 2
    tip2 = cenv.db.q("SELECT tip_id FROM case_join WHERE case_id = %s "
                     "AND matched = 'link'", (two,))[0][0]
    split = f"form[action$='/split']:has(input[name=tip][value='{tip2}'])"
    out = drive(node_env, login(url, acct) + [
        {"goto": f"{url}/case/{moved}"},
        {"select": "#move-department", "value": "11"},
        {"fill": "#move-reason", "value": "Happened in Rovaniemi."},
        {"click": "#form-move button[type=submit]"},
        {"url": r"/\?done=moved$"},
        {"note": "queue_after_move", "js": f"{ROWS}.map(r => r.dataset.case)"},
        {"goto": f"{url}/case/{a}"},
        {"fill": "#merge-other", "value": str(b)},
        {"fill": "#merge-reason", "value": "Same comments."},
        {"click": "#form-merge button[type=submit]"},
        {"url": r"/case/\d+$"},
        {"note": "merged_url", "js": "location.pathname"},
        {"note": "merged_history", "js": HISTORY},
        {"goto": f"{url}/case/{two}"},
        {"note": "split_forms",
         "js": "document.querySelectorAll('form[action$=\"/split\"]').length"},
        {"fill": f"{split} input[name=reason]", "value": "A separate post."},
        {"click": f"{split} button[type=submit]"},
        {"url": rf"/case/{two}$"},
        {"note": "split_tips",
         "js": "document.querySelectorAll('.tip').length"},
        {"note": "split_history", "js": HISTORY},
    ])
    n = out["notes"]
    # Moved: gone from this department's queue, in Lapland's.
    assert case(cenv, moved)["department"] == "lappi"
    assert str(moved) not in n["queue_after_move"]
    assert events(cenv, moved) == ["move"]
    # Merged: one case holds both, the other points to it.
    into = a if case(cenv, a)["status"] != "merged" else b
    gone = b if into == a else a
    assert case(cenv, gone)["merged_into"] == into
    assert case(cenv, into)["ntips"] == 2
    assert n["merged_url"] == f"/case/{into}"
    assert "Same comments." in n["merged_history"], n["merged_history"]
    # Split: the second tip in a case of its own.
    assert n["split_forms"] == 2
    assert n["split_tips"] == 1
    assert case(cenv, two)["ntips"] == 1
    other = cenv.db.q("SELECT case_id FROM case_join WHERE tip_id = %s",
                      (tip2,))[0][0]
    assert other != two and case(cenv, other)["ntips"] == 1
    assert "A separate post." in n["split_history"], n["split_history"]

    # Lapland's officer sees the moved case and why it came.
    lap = drive(node_env, login(url, cenv.accounts["lappi.officer"]) + [
        {"note": "queue", "js": f"{ROWS}.map(r => r.dataset.case)"},
        {"goto": f"{url}/case/{moved}"},
        {"note": "history", "js": HISTORY},
    ])
    assert str(moved) in lap["notes"]["queue"]
    assert "Happened in Rovaniemi." in lap["notes"]["history"]


# ------------------------------------------------------------ screenshots

def screenshot(tmp_path, seed):
    """A PNG of coloured blocks of its own, so that no two tips share an
    image (and so a case)."""
    rnd = random.Random(seed)
    w, h, b = 480, 320, 16
    cells = [[(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
              for _ in range(w // b)] for _ in range(h // b)]
    p = tmp_path / f"shot-{seed}.png"
    p.write_bytes(png_encode(w, h, 2, 8, lambda x, y: cells[y // b][x // b]))
    return file_arg(p, "screenshot.png", "image/png")


IMG = "document.querySelector('a.reveal img')"
IMG_STATE = (f"(() => {{ const i = {IMG}; return {{blur: i.classList."
             "contains('blur'), filter: getComputedStyle(i).filter, src: "
             "new URL(i.src).pathname + new URL(i.src).search, alt: i.alt, "
             "label: document.querySelector('.reveal-label') !== null, "
             "loaded: i.complete && i.naturalWidth > 0}; })()")
LOADED = f"{IMG}.complete && {IMG}.naturalWidth > 0"


def shot_case(cenv, tmp_path, seed, text):
    case_id = new_case(cenv, text, files=[screenshot(tmp_path, seed)])
    (tip, seq), = cenv.db.q(
        "SELECT a.tip_id, a.seq FROM attachment a JOIN case_join j ON "
        "j.tip_id = a.tip_id WHERE j.case_id = %s", (case_id,))
    return case_id, f"/case/{case_id}/shot/{tip}/{seq}"


def test_screenshot_blurred_until_revealed(cenv, node_env, tmp_path):
    acct = cenv.accounts["helsinki.officer"]
    url = cenv.console.url
    case_id, shot = shot_case(cenv, tmp_path, 1, "A hateful meme, see "
                              "the screenshot.")
    out = drive(node_env, login(url, acct) + [
        {"goto": f"{url}/case/{case_id}"},
        {"until": LOADED},
        {"note": "before", "js": IMG_STATE},
        {"click": "a.reveal", "navigate": False},
        {"until": f"!{IMG}.classList.contains('blur') && {LOADED}"},
        {"note": "after", "js": IMG_STATE},
        {"note": "url", "js": "location.pathname + location.search"},
    ])
    before, after = out["notes"]["before"], out["notes"]["after"]
    assert before["blur"] and before["label"] and before["loaded"], before
    assert re.match(r"blur\(\d+px\)", before["filter"]), before
    assert before["src"] == shot, before
    assert before["alt"] == "Blurred screenshot"
    # Revealed in place, no page loaded, the revealing request audited.
    assert out["notes"]["url"] == f"/case/{case_id}"
    assert after["loaded"] and not after["blur"] and not after["label"], \
        after
    assert after["filter"] == "none", after
    assert after["src"] == f"{shot}?reveal=1", after
    assert after["alt"] == "The tip's screenshot"
    rows = wait_audit(cenv, "image_reveal", case_id, 1)
    assert len(rows) == 1, rows
    assert rows[0][1] == cenv.db.q("SELECT id FROM reviewer WHERE "
                                   "username = %s", (acct.username,))[0][0]


def test_without_javascript(cenv, node_env, tmp_path):
    """Revealing a screenshot, the key list and closing a case need no
    script."""
    acct = cenv.accounts["helsinki.second"]
    url = cenv.console.url
    case_id, shot = shot_case(cenv, tmp_path, 2, "Threats in a chat, "
                              "screenshot attached.")
    out = drive(node_env, login(url, acct) + [
        {"goto": f"{url}/case/{case_id}"},
        {"note": "before", "js": IMG_STATE},
        {"note": "keys_before", "js": "getComputedStyle(document."
                                      "getElementById('keys')).display"},
        {"click": ".keys-link", "navigate": False},
        {"expect": "#keys", "state": "visible"},
        {"note": "keys_url", "js": "location.hash"},
        {"click": "a.reveal"},
        {"url": rf"/case/{case_id}\?reveal=[^#]+#shot-"},
        {"expect": "a.reveal img:not(.blur)"},
        {"until": LOADED},
        {"note": "after", "js": IMG_STATE},
        {"select": "#close-outcome", "value": "platform_removal"},
        {"check": "#hate-yes"},
        {"check": "#ground-other"},
        {"fill": "#close-reason", "value": "Asked the platform to remove."},
        {"click": "#form-close button[type=submit]"},
        {"url": rf"/case/{case_id}$"},
        {"expect": "#form-reopen"},
        {"note": "history", "js": HISTORY},
    ], "--nojs")
    before, after = out["notes"]["before"], out["notes"]["after"]
    assert before["blur"] and before["label"], before
    assert re.match(r"blur\(\d+px\)", before["filter"]), before
    # The key list opens as the link's target (the script, when it runs,
    # shows it without following the link).
    assert out["notes"]["keys_before"] == "none"
    assert out["notes"]["keys_url"] == "#keys"
    assert after["loaded"] and not after["blur"] and not after["label"], \
        after
    assert after["filter"] == "none", after
    assert after["src"] == f"{shot}?reveal=1", after
    assert len(wait_audit(cenv, "image_reveal", case_id, 1)) == 1
    row = case(cenv, case_id)
    assert (row["status"], row["outcome"], row["hate"], row["grounds"],
            row["offences"]) == ("closed", "platform_removal", True,
                                 ["other"], []), row
    assert "Asked the platform to remove." in out["notes"]["history"]
