"""Follow-ups: a tipster adds text and screenshots on /status with the
receipt code, and officers read them on the case page.

Everything is real: tips and follow-ups through the intake as a browser
sends them (multipart), a worker that files tips in cases, the console
over TLS (consolelib's cenv, a database of this module's own).  Checked:
the follow-up's rows (text sealed to what was typed, screenshots
re-encoded without metadata, arrival truncated, the case marked, its
history and the audit log), the refusals (window closed, per-receipt
limit, a refused file, nothing to send) each keeping the text, the
worker filing a tip that got a follow-up before it, and the console
listing follow-ups under their tips with the new-information mark in the
queue and on the case until an officer opens the case."""
import datetime
import os
import re
import secrets
import signal
import time

import pytest

from consolelib import cenv, console_worker  # noqa: F401
from statuslib import (element_text, followup, set_state, textarea,
                       tip_id, unknown_code)
from test_submit import check_images
from tiplib import file_arg, status_lookup, tip_fields, unseal
from worklib import submit_tip, wait_tip, wenv  # noqa: F401


def helsinki_tip(text):
    """A tip about a place in Helsinki (091): routed to Helsinki police."""
    return tip_fields(channel="both", municipality="091", description=text,
                      url=f"https://example.com/f/{secrets.token_hex(6)}")


def new_tip(cenv, files=()):  # noqa: F811
    """A tip in a case of its own: (code, tip id, case id)."""
    code = submit_tip(cenv.wenv, helsinki_tip(
        f"Follow-up test {secrets.token_hex(8)}: hateful post."), files)
    t = wait_tip(cenv.wenv, code, workers=[cenv.worker])
    return code, t["tip_id"], t["case_id"]


def rows(db, tip):
    return db.q("SELECT id, received_at, sealed_text, nattachments "
                "FROM tip_followup WHERE tip_id = %s ORDER BY id", (tip,))


def attachments(db, followup_id):
    cur = db.conn.cursor()
    cur.execute("SELECT * FROM attachment WHERE followup_id = %s "
                "ORDER BY seq", (followup_id,))
    names = [d.name for d in cur.description]
    out = [dict(zip(names, r)) for r in cur.fetchall()]
    for a in out:
        for k in ("sha256", "sealed"):
            a[k] = bytes(a[k])
    return out


def received(r):
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    assert element_text(r.text, "followup-received") == \
        "Your addition was received."
    assert 'class="status-result"' in r.text
    return r.text


def test_followup_lands(cenv, tmp_path):  # noqa: F811
    db = cenv.db
    code, tip, case = new_tip(cenv, [file_arg("plain.png")])
    db.q("UPDATE cases SET new_info = false WHERE id = %s", (case,))
    text = "I found the same post elsewhere.\nHere is a picture of it."
    r = followup(cenv.wenv.url, code, text, [file_arg("exif_gps_thumb.jpg")])
    page = received(r)
    assert r.headers.get("cache-control") == "no-store"
    # The code stays usable: the form again with it, in no URL.
    assert f'name="code" value="{code}"' in page
    assert 'action="/status/followup#followup-h"' in page and textarea(page) == ""

    (fid, at, sealed, n), = rows(db, tip)
    assert n == 1
    assert unseal(cenv.wenv.keys, sealed).decode() == text
    assert (at.minute, at.second, at.microsecond) == (0, 0, 0), at
    shots = attachments(db, fid)
    # Numbered after the tip's own screenshot.
    assert [a["seq"] for a in shots] == [2]
    assert shots[0]["tip_id"] == tip
    check_images(cenv.wenv.keys, {"attachments": shots},
                 ["exif_gps_thumb.jpg"], tmp_path)
    assert db.one("SELECT nattachments FROM tip WHERE id = %s", (tip,)) == 1

    assert db.one("SELECT new_info FROM cases WHERE id = %s", (case,))
    # The history and the audit log get their rows from the worker once
    # the hour the follow-up came in is over: the audit row's stamp, and
    # the history row's place among the officers' own, would otherwise
    # keep the exact time.
    assert not [a for a in cenv.audit("followup") if a[3] == case]
    assert not db.q("SELECT 1 FROM case_event WHERE case_id = %s "
                    "AND kind = 'followup'", (case,))
    assert not db.one("SELECT audited FROM tip_followup WHERE id = %s",
                      (fid,))
    db.q("UPDATE tip_followup SET received_at = received_at - "
         "interval '1 hour' WHERE id = %s", (fid,))
    deadline = time.monotonic() + 60
    while not [a for a in cenv.audit("followup") if a[3] == case]:
        assert time.monotonic() < deadline, "follow-up never audited"
        time.sleep(0.1)
    audit = [a for a in cenv.audit("followup") if a[3] == case]
    assert len(audit) == 1, audit
    assert audit[0][1] is None and audit[0][4] == {"followup": fid,
                                                   "screenshots": 1}
    assert db.one("SELECT audited FROM tip_followup WHERE id = %s", (fid,))
    ev = db.q("SELECT kind, reviewer_id, reason, detail, at FROM case_event "
              "WHERE case_id = %s AND kind = 'followup'", (case,))
    assert len(ev) == 1, ev
    kind, who, reason, detail, ev_at = ev[0]
    assert (who, reason, detail) == (None, None,
                                     {"followup": fid, "screenshots": 1})
    assert ev_at == at - datetime.timedelta(hours=1)


def test_text_only_and_screenshots_only(cenv):  # noqa: F811
    db = cenv.db
    code, tip, _ = new_tip(cenv)
    received(followup(cenv.wenv.url, code, "Only words this time."))
    received(followup(cenv.wenv.url, code, "",
                      [file_arg("plain.webp"), file_arg("plain.jpg")]))
    (f1, _, s1, n1), (f2, _, s2, n2) = rows(db, tip)
    assert (n1, n2, s2) == (0, 2, None)
    assert unseal(cenv.wenv.keys, s1).decode() == "Only words this time."
    # The tip had none of its own: the follow-up's are 1 and 2.
    assert [a["seq"] for a in attachments(db, f2)] == [1, 2]
    assert attachments(db, f1) == []


def test_nothing_to_send_is_refused(cenv):  # noqa: F811
    code, tip, _ = new_tip(cenv)
    r = followup(cenv.wenv.url, code, "  \n ")
    assert r.status == 422, r.status
    assert element_text(r.text, "message-error") == \
        "Write something or attach a screenshot."
    assert rows(cenv.db, tip) == []


def test_refused_file_keeps_the_text(cenv):  # noqa: F811
    code, tip, _ = new_tip(cenv)
    text = "My text <kept> & safe\nsecond line"
    r = followup(cenv.wenv.url, code, text,
                 [file_arg("plain.png"),
                  file_arg("pdf_renamed.png", ctype="image/png")])
    assert r.status == 422, f"{r.status}\n{r.text[:2000]}"
    assert textarea(r.text) == text
    assert element_text(r.text, "screenshot-error-2").startswith(
        "This picture was not accepted: pdf_renamed.png")
    assert element_text(r.text, "followup-error").startswith(
        "Your addition was not sent.")
    assert rows(cenv.db, tip) == []
    # The good one is kept for the next try, and goes with it.
    m = re.search(r'name="kept" value="([0-9a-f]{32})"', r.text)
    assert m and 'id="keep-1"' in r.text
    received(followup(cenv.wenv.url, code, text,
                      fields=[("kept", m.group(1)), ("keep", "1")]))
    (_, _, _, n), = rows(cenv.db, tip)
    assert n == 1


def test_too_long_text_is_refused(cenv):  # noqa: F811
    code, tip, _ = new_tip(cenv)
    r = followup(cenv.wenv.url, code, "x" * 10001)
    assert r.status == 422
    assert element_text(r.text, "message-error") == "The text is too long."
    assert rows(cenv.db, tip) == []


def test_window_closed(cenv):  # noqa: F811
    code, tip, case = new_tip(cenv)
    set_state(cenv.db, case, "closed", "no_offence", closed_days=15)
    r = followup(cenv.wenv.url, code, "Too late?")
    assert r.status == 409, r.status
    assert element_text(r.text, "followup-closed") == (
        "Additions can no longer be sent: the case was closed more than "
        "14 days ago.")
    assert 'action="/status/followup#followup-h"' not in r.text
    assert rows(cenv.db, tip) == []
    # Closed 13 days ago: still open to follow-ups.
    set_state(cenv.db, case, "closed", "no_offence", closed_days=13)
    received(followup(cenv.wenv.url, code, "Still in time."))


def test_per_receipt_limit(cenv):  # noqa: F811
    code, tip, _ = new_tip(cenv)
    other, other_tip, _ = new_tip(cenv)
    for i in range(5):
        received(followup(cenv.wenv.url, code, f"Addition {i}"))
    text = "The sixth one\nwith two lines"
    r = followup(cenv.wenv.url, code, text)
    assert r.status == 429, r.status
    assert r.headers.get("retry-after", "").isdigit()
    assert element_text(r.text, "followup-error").startswith(
        "You have already sent as many additions as possible in 24 hours.")
    assert textarea(r.text) == text
    assert len(rows(cenv.db, tip)) == 5
    # Another receipt is not held back.
    received(followup(cenv.wenv.url, other, "Mine is fine."))
    assert len(rows(cenv.db, other_tip)) == 1
    # Follow-ups of more than 24 hours ago do not count.
    cenv.db.q("UPDATE tip_followup SET received_at = received_at - "
              "interval '25 hours' WHERE tip_id = %s", (tip,))
    received(followup(cenv.wenv.url, code, text))


def test_unknown_and_bad_codes(cenv):  # noqa: F811
    r = followup(cenv.wenv.url, unknown_code(), "Hello")
    assert r.status == 404
    assert "No tip was found" in r.text
    assert 'action="/status/followup#followup-h"' not in r.text
    r = followup(cenv.wenv.url, "not a code", "Hello")
    assert r.status == 422


def test_get_goes_back_to_status(cenv, curl):  # noqa: F811
    r = curl(f"{cenv.wenv.url}/status/followup")
    assert r.status == 303 and r.headers["location"] == "/status"


def test_followup_before_the_worker_files_the_tip(cenv):  # noqa: F811
    """The worker reads the tip's own screenshots only: one added by a
    follow-up before the tip was filed does not upset its ingest."""
    w = cenv.worker
    os.kill(w.pid, signal.SIGSTOP)
    try:
        code = submit_tip(cenv.wenv, helsinki_tip(
            f"Before filing {secrets.token_hex(8)}"), [file_arg("plain.png")])
        received(followup(cenv.wenv.url, code, "Quick addition",
                          [file_arg("rotated6.jpg")]))
    finally:
        os.kill(w.pid, signal.SIGCONT)
    t = wait_tip(cenv.wenv, code, workers=[w])
    assert t["attempts"] == 1 and t["last_error"] is None, t
    # Without a case then, so nothing marked; the follow-up is there.
    (fid, _, _, n), = rows(cenv.db, t["tip_id"])
    assert n == 1
    assert cenv.db.one("SELECT count(*) FROM case_event WHERE kind = "
                       "'followup' AND (detail->>'followup')::bigint = %s",
                       (fid,)) == 0


# ---------------------------------------------------------------- console

def test_console_lists_followups_and_marks_new_information(cenv):  # noqa
    db = cenv.db
    acct = cenv.accounts["helsinki.officer"]
    code, tip, case = new_tip(cenv, [file_arg("plain.png")])
    c = cenv.client(acct)
    assert c.get(f"/case/{case}").status == 200  # seen: no mark
    assert not db.one("SELECT new_info FROM cases WHERE id = %s", (case,))
    received(followup(cenv.wenv.url, code, "First <addition>\nline two",
                      [file_arg("plain.jpg")]))
    received(followup(cenv.wenv.url, code, "Second addition"))

    # The queue marks the case, for every officer of the department.
    row = re.search(rf'<tr data-case="{case}">.*?</tr>',
                    cenv.client(cenv.accounts["helsinki.second"]).get(
                        "/").text, re.S)
    assert row and 'class="tag new-info"' in row.group(0)
    # Another department's officer neither sees nor clears it.
    assert cenv.client(cenv.accounts["lappi.officer"]).get(
        f"/case/{case}").status == 404
    assert db.one("SELECT new_info FROM cases WHERE id = %s", (case,))

    r = c.get(f"/case/{case}")
    assert r.status == 200, r.text[:2000]
    page = r.text
    assert 'id="case-new-info"' in page
    (f1, at1, _, _), (f2, _, _, _) = rows(db, tip)
    sec1 = re.search(rf'<section class="followup" id="followup-{f1}".*?'
                     r'</section>', page, re.S).group(0)
    assert "First &lt;addition&gt;\nline two" in sec1
    assert f1 < f2 and page.index(f'id="followup-{f1}"') < \
        page.index(f'id="followup-{f2}"')
    # Its screenshot through the screenshot route, blurred until revealed;
    # the tip's own (seq 1) stays with the tip.
    assert f'/case/{case}/shot/{tip}/2"' in sec1 and 'class="blur"' in sec1
    assert f'/case/{case}/shot/{tip}/1' not in sec1
    assert page.count(f'/case/{case}/shot/{tip}/1"') == 1
    shot = c.get(f"/case/{case}/shot/{tip}/2?reveal=1")
    assert shot.status == 200 and shot.header("Content-Type") == "image/jpeg"
    sealed = db.one("SELECT sealed FROM attachment WHERE tip_id = %s "
                    "AND seq = 2", (tip,))
    assert shot.body == unseal(cenv.wenv.keys, sealed)
    r = c.get(f"/case/{case}?reveal={tip}.2")
    assert f'<img src="/case/{case}/shot/{tip}/2?reveal=1"' in r.text
    # Once their hour is over, the history says a follow-up came, not
    # what (the console speaks Finnish unless told otherwise).
    db.q("UPDATE tip_followup SET received_at = received_at - "
         "interval '1 hour' WHERE tip_id = %s", (tip,))
    deadline = time.monotonic() + 60
    while db.one("SELECT count(*) FROM case_event WHERE case_id = %s AND "
                 "kind = 'followup'", (case,)) < 2:
        assert time.monotonic() < deadline, "follow-ups never in history"
        time.sleep(0.1)
    n = db.one("SELECT count(*) FROM case_event WHERE case_id = %s AND "
               "kind = 'followup'", (case,))
    r = c.get(f"/case/{case}?reveal={tip}.2")
    # (Other tests' tips may share the case and have follow-ups of their
    # own, from hours their tests moved back.)
    assert n >= 2 and r.text.count("vihjeen antaja lisäsi tietoa") == n, \
        (n, r.text.count("vihjeen antaja lisäsi tietoa"))

    # Opened by an officer of the department: cleared.
    assert not db.one("SELECT new_info FROM cases WHERE id = %s", (case,))
    assert 'id="case-new-info"' not in c.get(f"/case/{case}").text
    row = re.search(rf'<tr data-case="{case}">.*?</tr>', c.get("/").text,
                    re.S)
    assert row and "new-info" not in row.group(0)


def test_purge_takes_followups_with_the_tip(cenv):  # noqa: F811
    db = cenv.db
    code, tip, case = new_tip(cenv)
    received(followup(cenv.wenv.url, code, "To be purged",
                      [file_arg("plain.png")]))
    set_state(db, case, "closed", "no_offence", closed_days=400)
    with db.connect() as conn:
        conn.execute("SET ROLE tipline_worker")
        while conn.execute("SELECT purge_batch(%s, 86400, 500)",
                           (365 * 86400,)).fetchone()[0]:
            pass
        conn.commit()
    assert db.one("SELECT count(*) FROM tip WHERE id = %s", (tip,)) == 0
    assert db.one("SELECT count(*) FROM tip_followup WHERE tip_id = %s",
                  (tip,)) == 0
    assert db.one("SELECT count(*) FROM attachment WHERE tip_id = %s",
                  (tip,)) == 0
