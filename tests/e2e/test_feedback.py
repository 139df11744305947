"""Feedback to tipsters from the console, end to end with a real database,
console and worker: an officer fills a message in from a template,
previews it and sends it; the worker delivers it to each tip of the case
that asked for feedback, sealed to the tip's reply key, which the test
derives from the receipt code as the intake does; a tip that asked for
none gets nothing; tips that join later and tips a merge brings get it
too; a reply to one tip reaches that tip alone; a bad form keeps what was
typed; the message is in the case history and the audit log."""
import hashlib
import hmac
import html
import os
import re
import secrets
import signal
import time

from nacl.public import PrivateKey, SealedBox

from consolelib import (case_version, cenv, console_worker,  # noqa: F401
                        form_csrf)
from e2elib import ctl, messages
from tiplib import status_lookup
from worklib import submit_tip, wait_tip, wenv  # noqa: F401


def tip(text, url, feedback="receipt", lang="fi"):
    fields = dict(channel="both", municipality="091", description=text,
                  url=url, feedback=feedback, lang=lang)
    if feedback == "email":
        fields["email"] = "tipster@example.org"
    return list(fields.items())


def send_tip(cenv, text, url, **kw):
    code = submit_tip(cenv.wenv, tip(text, url, **kw))
    t = wait_tip(cenv.wenv, code, workers=[cenv.worker])
    t["code"] = code
    return t


def reply_box(cenv, code):
    """The reply key's secret half, as the intake derives it."""
    pepper = bytes.fromhex(
        (cenv.wenv.keys.dir / "receipt.pepper").read_text().strip())
    digits = code.replace("-", "").upper().encode()
    seed = hmac.new(pepper, b"reply:" + digits, hashlib.sha256).digest()
    return SealedBox(PrivateKey.from_seed(seed))


def delivered(cenv, t, want, timeout=30):
    """The texts delivered to tip t, opened with its code, once there are
    `want` of them."""
    deadline = time.monotonic() + timeout
    while True:
        rows = cenv.db.q(
            "SELECT d.sealed FROM tip_message d JOIN case_message m "
            "ON m.id = d.message_id WHERE d.tip_id = %s ORDER BY m.id",
            (t["tip_id"],))
        if len(rows) >= want or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    box = reply_box(cenv, t["code"])
    return [box.decrypt(bytes(r[0])).decode() for r in rows]


def wait_delivered(cenv, case_id, timeout=30):
    """Until the worker has caught up with the case."""
    deadline = time.monotonic() + timeout
    while True:
        gen, done = cenv.db.one(
            "SELECT deliver_gen, delivered_gen FROM cases WHERE id = %s",
            (case_id,))
        if done >= gen:
            return
        assert time.monotonic() < deadline, (gen, done)
        time.sleep(0.05)


def textarea(page, name):
    m = re.search(r'<textarea[^>]*name="%s"[^>]*>([^<]*)</textarea>' % name,
                  page)
    assert m, page[:3000]
    return html.unescape(m.group(1))


def selected(page, name):
    m = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % name, page,
                  re.S)
    assert m
    s = re.search(r'<option value="([^"]*)" selected>', m.group(1))
    return s.group(1) if s else ""


def post_feedback(c, case_id, **fields):
    page = c.get(f"/case/{case_id}").text
    fields.setdefault("csrf", form_csrf(page))
    return c.post(f"/case/{case_id}/feedback", fields)


def case_action(c, case_id, action, **fields):
    """POSTs a case form (merge, split) with the page's csrf and version."""
    page = c.get(f"/case/{case_id}").text
    fields.update(csrf=form_csrf(page), version=case_version(page))
    return c.post(f"/case/{case_id}/{action}", fields)


def test_message_reaches_the_tips_that_asked(cenv):
    url = f"https://example.com/fb/{secrets.token_hex(6)}"
    a = send_tip(cenv, "Uhkailua bussipysäkillä.", url)
    b = send_tip(cenv, "Samasta asiasta, en halua vastausta.", url,
                 feedback="none")
    s = send_tip(cenv, "Samma sak på svenska.", url, lang="sv")
    case_id = a["case_id"]
    assert b["case_id"] == case_id and s["case_id"] == case_id
    c = cenv.client(cenv.accounts["helsinki.officer"])

    # The form starts from the acknowledgement in the askers' main
    # language, with the department's name filled in.
    page = c.get(f"/case/{case_id}").text
    assert 'id="form-feedback"' in page
    askers = re.search(r'id="feedback-askers">([^<]*)<', page).group(1)
    assert "2" in askers, askers
    first = textarea(page, "message")
    assert first.startswith("Kiitos vihjeestäsi."), first
    assert "Helsingin poliisilaitos" in first, first
    assert selected(page, "lang") == "fi"

    # Fill in another template in Swedish, then preview it.
    r = post_feedback(c, case_id, template="offence_reported", lang="sv",
                      message="", tip="", do="fill")
    assert r.status == 200, r.text[:2000]
    text = textarea(r.text, "message")
    assert text.startswith("Tack för ditt tips. Polisen har registrerat"), \
        text
    assert selected(r.text, "template") == "offence_reported"
    assert selected(r.text, "lang") == "sv"
    text += "\nVi återkommer."
    r = post_feedback(c, case_id, template="offence_reported", lang="sv",
                      message=text, tip="", do="preview")
    assert r.status == 200
    assert 'lang="sv"' in r.text and "Meddelanden från polisen" in r.text
    assert html.escape("Vi återkommer.") in r.text
    assert textarea(r.text, "message") == text.replace("\r\n", "\n")
    assert not cenv.db.q("SELECT 1 FROM case_message WHERE case_id = %s",
                         (case_id,))

    r = post_feedback(c, case_id, template="offence_reported", lang="sv",
                      message=text, tip="", do="send")
    assert r.status == 303, r.text[:2000]
    assert r.header("Location") == f"/case/{case_id}#feedback-h"
    wait_delivered(cenv, case_id)
    assert delivered(cenv, a, 1) == [text]
    assert delivered(cenv, s, 1) == [text]
    assert delivered(cenv, b, 0, timeout=0) == []
    row = cenv.db.one("SELECT lang, template, tip_id FROM case_message "
                      "WHERE case_id = %s", (case_id,))
    assert row == ("sv", "offence_reported", None)

    # History, audit, and the page lists it with its deliveries.
    ev = cenv.db.q("SELECT detail FROM case_event WHERE case_id = %s "
                   "AND kind = 'feedback'", (case_id,))
    assert len(ev) == 1 and ev[0][0]["tips"] == 2, ev
    assert [x for x in cenv.audit("feedback") if x[3] == case_id]
    page = c.get(f"/case/{case_id}").text
    assert 'class="case-message"' in page
    assert html.escape("Vi återkommer.") in page

    # A tip that joins later gets what was written before it came.
    late = send_tip(cenv, "Myöhemmin tullut vihje samasta.", url)
    assert late["case_id"] == case_id
    assert delivered(cenv, late, 1) == [text]

    # One tip alone: a question back.
    q = "Voisitko kertoa, mihin aikaan tämä tapahtui?"
    r = post_feedback(c, case_id, template="question", lang="fi", message=q,
                      tip=str(a["tip_id"]), do="send")
    assert r.status == 303, r.text[:2000]
    wait_delivered(cenv, case_id)
    assert delivered(cenv, a, 2) == [text, q]
    assert delivered(cenv, late, 1, timeout=0) == [text]
    assert delivered(cenv, s, 1, timeout=0) == [text]


def test_tip_in_somali_answered_in_somali(cenv):
    """A tip from the Somali page: the officer is told the page's
    language, no translation is offered, the form starts from the Somali
    acknowledgement, and the tipster reads it on the Somali /status."""
    url = f"https://example.com/so/{secrets.token_hex(6)}"
    t = send_tip(cenv, "Qof ayaa boostada ku qoray hadal nacayb ah.", url,
                 lang="so")
    case_id = t["case_id"]
    c = cenv.client(cenv.accounts["helsinki.officer"])
    page = c.get(f"/case/{case_id}").text
    note = re.search(r'<p class="lang-note" id="lang-note-1">(.*?)</p>',
                     page, re.S)
    assert note, page[:3000]
    assert "<strong>somali</strong>" in note.group(1)
    assert "ei käännä vihjeitä" in note.group(1)
    assert '<p class="description" dir="auto">' in page
    assert selected(page, "lang") == "so"
    somali = messages("so")["feedback.template.received"]
    first = textarea(page, "message")
    # The department's name comes in English inside the Somali text.
    assert first == somali.replace(
        "{department}", "Helsinki Police Department"), first
    r = post_feedback(c, case_id, template="received", lang="so",
                      message=first, tip="", do="send")
    assert r.status == 303, r.text[:2000]
    wait_delivered(cenv, case_id)
    assert delivered(cenv, t, 1) == [first]
    r = status_lookup(cenv.wenv.url, t["code"], lang="so")
    assert r.status == 200
    assert '<html lang="so" dir="ltr">' in r.text
    assert '<div class="message-text" lang="so" dir="ltr">' in r.text
    assert html.escape(first.split("\n")[0]) in r.text
    assert "message-lang" not in r.text
    # A Finnish tip gets no note.
    f = send_tip(cenv, "Suomenkielinen vihje.", url + "fi")
    assert 'class="lang-note"' not in c.get(f"/case/{f['case_id']}").text


def test_merge_brings_messages_to_the_tips(cenv):
    c = cenv.client(cenv.accounts["helsinki.officer"])
    x = send_tip(cenv, "Ensimmäinen tapaus.",
                 f"https://example.com/m1/{secrets.token_hex(6)}")
    y = send_tip(cenv, "Toinen tapaus samasta asiasta.",
                 f"https://example.com/m2/{secrets.token_hex(6)}")
    assert x["case_id"] != y["case_id"]
    r = post_feedback(c, x["case_id"], template="received", lang="fi",
                      message="Ensimmäinen viesti.", tip="", do="send")
    assert r.status == 303
    assert delivered(cenv, x, 1) == ["Ensimmäinen viesti."]
    # Merge: y's tip now asks in the merged case.
    r = case_action(c, x["case_id"], "merge", other=str(y["case_id"]),
                    reason="sama asia")
    assert r.status == 303, r.text[:2000]
    into = int(r.header("Location").split("/")[-1])
    # The message written before the merge reaches the other case's tip
    # by itself (the smaller id is merged away; ids are in no order
    # within an hour, 0019_timing.sql).
    assert into == max(x["case_id"], y["case_id"])
    assert delivered(cenv, y, 1) == ["Ensimmäinen viesti."]
    r = post_feedback(c, into, template="received", lang="fi",
                      message="Yhdistetyn tapauksen viesti.", tip="",
                      do="send")
    assert r.status == 303
    wait_delivered(cenv, into)
    got_y = delivered(cenv, y, 2)
    assert "Yhdistetyn tapauksen viesti." in got_y, got_y
    assert "Ensimmäinen viesti." in got_y, got_y
    assert delivered(cenv, x, 2) == ["Ensimmäinen viesti.",
                                     "Yhdistetyn tapauksen viesti."]


def test_bad_form_keeps_what_was_typed(cenv):
    t = send_tip(cenv, "Vihje lomaketta varten.",
                 f"https://example.com/bad/{secrets.token_hex(6)}")
    c = cenv.client(cenv.accounts["helsinki.officer"])
    for fields in (dict(message="", lang="fi"),
                   dict(message="Kirjoitettu viesti.", lang="xx"),
                   dict(message="Kirjoitettu viesti.", lang="fi",
                        tip="not-a-uuid"),
                   dict(message="x" * 4001, lang="fi")):
        r = post_feedback(c, t["case_id"], template="received", do="send",
                          **{"tip": "", **fields})
        assert r.status == 422, (fields, r.status)
        assert 'id="case-notice"' in r.text
        if fields["message"] == "Kirjoitettu viesti.":
            assert textarea(r.text, "message") == "Kirjoitettu viesti."
    # A tip that asked for nothing cannot be written to alone.
    n = send_tip(cenv, "Ei vastausta.",
                 f"https://example.com/none/{secrets.token_hex(6)}",
                 feedback="none")
    r = post_feedback(c, n["case_id"], template="question", lang="fi",
                      message="Kysymys.", tip=str(n["tip_id"]), do="send")
    assert r.status == 422
    assert not cenv.db.q("SELECT 1 FROM case_message WHERE case_id IN "
                         "(%s, %s)", (t["case_id"], n["case_id"]))


def test_other_department_cannot_write(cenv):
    t = send_tip(cenv, "Toisen laitoksen tapaus.",
                 f"https://example.com/dep/{secrets.token_hex(6)}")
    c = cenv.client(cenv.accounts["lappi.officer"])
    csrf = form_csrf(c.get("/").text)
    r = c.post(f"/case/{t['case_id']}/feedback",
               {"csrf": csrf, "message": "Ei pitäisi mennä.", "lang": "fi",
                "template": "", "tip": "", "do": "send"})
    assert r.status == 404
    r = c.post(f"/case/{t['case_id']}/feedback",
               {"csrf": csrf, "message": "", "lang": "fi",
                "template": "received", "tip": "", "do": "fill"})
    assert r.status == 404
    assert not cenv.db.q("SELECT 1 FROM case_message WHERE case_id = %s",
                         (t["case_id"],))


def test_department_wording_from_tiplinectl(cenv):
    conf = str(cenv.conf)
    text = "Hei!\nKiitos ilmoituksesta {department}lle.\n"
    p = ctl(conf, "templates", "set", "helsinki", "received", "fi", "-",
            input=text)
    assert p.returncode == 0, p.stderr
    p = ctl(conf, "templates", "show", "helsinki", "received", "fi")
    assert p.returncode == 0 and p.stdout == text, p.stdout
    p = ctl(conf, "templates", "list", "helsinki")
    assert p.returncode == 0
    own = [ln.split() for ln in p.stdout.splitlines()
           if "department's own" in ln]
    assert [x[:3] for x in own] == [["helsinki", "received", "fi"]], own
    # Refused: unknown template, language, department; empty text.
    for args, inp in ((("set", "helsinki", "nope", "fi", "-"), "x"),
                      (("set", "helsinki", "received", "de", "-"), "x"),
                      (("set", "nowhere", "received", "fi", "-"), "x"),
                      (("set", "helsinki", "received", "fi", "-"), "\n")):
        p = ctl(conf, "templates", *args, input=inp)
        assert p.returncode != 0, args
    try:
        t = send_tip(cenv, "Sanamuototesti.",
                     f"https://example.com/w/{secrets.token_hex(6)}")
        c = cenv.client(cenv.accounts["helsinki.officer"])
        page = c.get(f"/case/{t['case_id']}").text
        assert textarea(page, "message") == \
            "Hei!\nKiitos ilmoituksesta Helsingin poliisilaitoslle."
        # Swedish is still the built-in one.
        r = post_feedback(c, t["case_id"], template="received", lang="sv",
                          message="", tip="", do="fill")
        assert textarea(r.text, "message").startswith("Tack för ditt tips.")
        assert [x for x in cenv.audit("template_set")
                if x[4] == {"department": "helsinki",
                            "template": "received", "lang": "fi"}]
    finally:
        p = ctl(conf, "templates", "reset", "helsinki", "received", "fi")
        assert p.returncode == 0, p.stderr
    p = ctl(conf, "templates", "show", "helsinki", "received", "fi")
    assert p.stdout.startswith("Kiitos vihjeestäsi.")


def test_split_waits_for_a_message_on_its_way(cenv):
    """A tip split off its case while a message of the case has not
    reached it yet would never get it: the split is refused as a conflict
    until the worker has delivered, then goes through."""
    url = f"https://example.com/split/{secrets.token_hex(6)}"
    a = send_tip(cenv, "Ensimmäinen samasta.", url)
    b = send_tip(cenv, "Toinen samasta, erotetaan.", url)
    case_id = a["case_id"]
    assert b["case_id"] == case_id
    c = cenv.client(cenv.accounts["helsinki.officer"])
    w = cenv.worker
    os.kill(w.pid, signal.SIGSTOP)
    try:
        r = post_feedback(c, case_id, template="received", lang="fi",
                          message="Viesti ennen erottamista.", tip="",
                          do="send")
        assert r.status == 303
        r = case_action(c, case_id, "split", tip=str(b["tip_id"]),
                        reason="eri asia")
        assert r.status == 409, (r.status, r.text[:1000])
    finally:
        os.kill(w.pid, signal.SIGCONT)
    assert delivered(cenv, b, 1) == ["Viesti ennen erottamista."]
    r = case_action(c, case_id, "split", tip=str(b["tip_id"]),
                    reason="eri asia")
    assert r.status == 303, (r.status, r.text[:1000])


def test_no_message_to_a_merged_case(cenv):
    c = cenv.client(cenv.accounts["helsinki.officer"])
    x = send_tip(cenv, "Yhdistettävä.",
                 f"https://example.com/mx/{secrets.token_hex(6)}")
    y = send_tip(cenv, "Toinen.",
                 f"https://example.com/my/{secrets.token_hex(6)}")
    r = case_action(c, x["case_id"], "merge", other=str(y["case_id"]),
                    reason="sama")
    assert r.status == 303
    merged = min(x["case_id"], y["case_id"])
    r = post_feedback(c, merged, template="received", lang="fi",
                      message="Ei perille.", tip="", do="send")
    assert r.status == 422, r.status
    assert not cenv.db.q("SELECT 1 FROM case_message WHERE case_id = %s",
                         (merged,))
