"""The whole loop in a real browser (Debian's Chromium, driven by
playwright-core through tests/e2e/browser/console.mjs), with a real
intake, console, worker and database: an officer writes a question to the
tipster from a template, previews it and sends it; the tipster opens
/status with the receipt code, reads it and adds a follow-up with a
screenshot carrying EXIF and GPS metadata; the officer sees "new
information" in the queue and on the case, and the screenshot as the
intake re-encoded it, without its metadata."""
import json
import secrets
import time

from consolelib import cenv, console_worker  # noqa: F401
from test_console_browser import drive, login
from test_followup import attachments, rows
from test_submit import check_images
from tiplib import sample
from worklib import submit_tip, wait_tip, wenv  # noqa: F401

QUESTION = "Mihin aikaan näit julkaisun? Oliko se vielä näkyvissä?"
ADDITION = "Näin sen eilen illalla, ja se on yhä näkyvissä."


def test_officer_asks_tipster_answers_with_a_screenshot(cenv, node_env,
                                                         tmp_path):
    url = f"https://example.com/loop/{secrets.token_hex(6)}"
    code = submit_tip(cenv.wenv, [
        ("lang", "fi"), ("channel", "both"), ("municipality", "091"),
        ("platform", "facebook"), ("url", url), ("motive", "ethnic"),
        ("description", "Ryhmässä kehotetaan hyökkäämään ulkomaalaisia "
                        "vastaan."), ("feedback", "receipt")])
    t = wait_tip(cenv.wenv, code, workers=[cenv.worker])
    case, tip = t["case_id"], t["tip_id"]
    console = cenv.console.url
    intake = cenv.wenv.url.rstrip("/")

    # The officer: a question from its template, previewed, sent.
    drive(node_env, login(console, cenv.accounts["helsinki.officer"]) + [
        {"goto": f"{console}/case/{case}"},
        {"select": "#feedback-template", "value": "question"},
        {"click": "#form-feedback button[value=fill]"},
        {"until": "document.querySelector('#feedback-message').value"
                  ".startsWith('Kiitos vihjeestäsi.')"},
        {"fill": "#feedback-message", "value": QUESTION},
        {"click": "#form-feedback button[value=preview]"},
        {"expect": "section.preview"},
        {"click": "#form-feedback button[value=send]"},
        {"expect": "li.case-message"}])
    deadline = time.monotonic() + 60
    while not cenv.db.q("SELECT 1 FROM tip_message WHERE tip_id = %s",
                        (tip,)):
        assert time.monotonic() < deadline, "the message was not delivered"
        time.sleep(0.05)

    # The tipster: reads it with the code, adds to the tip.
    out = drive(node_env, [
        {"goto": f"{intake}/status?lang=fi"},
        {"fill": "#code", "value": code},
        {"click": "main form button[type=submit]"},
        {"expect": ".feedback-message"},
        {"note": "messages",
         "js": "[...document.querySelectorAll('.feedback-message')]"
               ".map(e => e.textContent)"},
        {"fill": "#message", "value": ADDITION},
        {"upload": "#screenshot",
         "files": [str(sample("exif_gps_thumb.jpg"))]},
        {"click": "section.followup form button[type=submit]"},
        {"expect": "#followup-received"}])
    msgs = out["notes"]["messages"]
    assert len(msgs) == 1 and QUESTION in msgs[0], msgs
    (fid, _, _, n), = rows(cenv.db, tip)
    assert n == 1
    shots = attachments(cenv.db, fid)
    check_images(cenv.wenv.keys, {"attachments": shots},
                 ["exif_gps_thumb.jpg"], tmp_path)
    assert cenv.db.one("SELECT new_info FROM cases WHERE id = %s", (case,))

    # Another officer of the department: the queue says there is new
    # information, the case shows the addition and its screenshot.
    out = drive(node_env, login(console, cenv.accounts["helsinki.second"]) +
                [{"expect": f"tr[data-case='{case}'] .new-info"},
                 {"goto": f"{console}/case/{case}"},
                 {"expect": "#case-new-info"},
                 {"expect": f"#followup-{fid}"},
                 {"note": "addition",
                  "js": f"document.querySelector('#followup-{fid}')"
                        ".textContent"},
                 {"click": f"#followup-{fid} a.reveal", "navigate": False},
                 {"until": f"(() => {{ const i = document.querySelector("
                           f"'#followup-{fid} a.reveal img:not(.blur)'); "
                           f"return i !== null && i.complete && "
                           f"i.naturalWidth > 0; }})()"},
                 {"note": "size",
                  "js": f"(() => {{ const i = document.querySelector("
                        f"'#followup-{fid} a.reveal img:not(.blur)'); "
                        f"return [i.naturalWidth, i.naturalHeight]; }})()"}])
    assert ADDITION in out["notes"]["addition"], out["notes"]
    assert out["notes"]["size"] == [shots[0]["width"], shots[0]["height"]], \
        json.dumps(out["notes"])
    # Seen: the marker is gone for the next officer.
    assert not cenv.db.one("SELECT new_info FROM cases WHERE id = %s",
                           (case,))
