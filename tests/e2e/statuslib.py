"""Helpers of the /status tests (test_status_feedback.py, test_followup.py):
the police's messages made as the database owner, cases and their states
set by hand, follow-ups sent as a browser sends the /status form, and the
parts of a /status page read back.

Messages are made as the worker delivers them: a case_message row (its own
sealed bytes do not matter here) and a tip_message row sealed with
crypto_box_seal to the tip's reply key, whose public half the intake
stored with the tip (tip.reply_pk).
"""
import html
import re
import secrets

from e2elib import curl
from tiplib import ALPHABET, check_digit, shown

NATIONAL = 12  # department id of the national unit (schema/0002)


def unknown_code():
    d = "".join(secrets.choice(ALPHABET) for _ in range(17))
    return shown(d + check_digit(d))


def tip_id(db, env, code):
    from tiplib import receipt_hash
    return db.one("SELECT id FROM tip WHERE receipt_hash = %s",
                  (receipt_hash(env, code),))


def case_of(db, tip):
    rows = db.q("SELECT case_id FROM case_join WHERE tip_id = %s", (tip,))
    return rows[0][0] if rows else None


def make_case(db, tip, department=NATIONAL):
    """Files the tip in a new case of its own, as ingest_batch() would;
    returns the case id."""
    case = db.one(
        "INSERT INTO cases (department_id, opened_at, last_tip_at, ntips, "
        "priority) VALUES (%s, now(), now(), 1, 1) RETURNING id",
        (department,))
    db.q("INSERT INTO case_join (tip_id, case_id, matched, joined_at) "
         "VALUES (%s, %s, 'new', now())", (tip, case))
    return case


def set_state(db, case, status, outcome=None, offences=(), closed_days=0):
    """The case's status as an officer's action leaves it; a closed case
    closed CLOSED_DAYS days ago."""
    if status == "closed":
        db.q("UPDATE cases SET status = 'closed', outcome = %s, "
             "offences = %s, decided_at = now(), "
             "closed_at = now() - make_interval(days => %s) WHERE id = %s",
             (outcome, list(offences), closed_days, case))
    else:
        db.q("UPDATE cases SET status = %s, outcome = NULL, offences = NULL,"
             " closed_at = NULL WHERE id = %s", (status, case))


def add_message(db, tip, text, at, lang="en"):
    """A message of the tip's case delivered to the tip, written at AT (a
    timestamptz literal) in lang; returns its case_message id."""
    from nacl.public import PublicKey, SealedBox
    case = case_of(db, tip)
    assert case is not None, "messages belong to a case"
    pk = db.one("SELECT reply_pk FROM tip WHERE id = %s", (tip,))
    assert pk is not None, "the tip asked for no feedback"
    mid = db.one(
        "INSERT INTO case_message (case_id, at, lang, sealed) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (case, at, lang, secrets.token_bytes(80)))
    db.q("INSERT INTO tip_message (tip_id, message_id, sealed) "
         "VALUES (%s, %s, %s)",
         (tip, mid, SealedBox(PublicKey(bytes(pk))).encrypt(text.encode())))
    return mid


# ---------------------------------------------------------------- pages

MESSAGE_RE = re.compile(
    r'<article class="feedback-message"[^>]*>(.*?)</article>', re.S)
TIME_RE = re.compile(r'<time datetime="([^"]*)" dir="ltr">([^<]*)</time>')
TEXT_RE = re.compile(
    r'<div class="message-text" lang="([a-z]+)" dir="(ltr|rtl)">\n?(.*?)'
    r'</div>', re.S)


def messages(page):
    """[(iso day, shown day, inner HTML of the text)] of the page's
    .feedback-message elements, in page order."""
    out = []
    for body in MESSAGE_RE.findall(page):
        m = TIME_RE.search(body)
        t = TEXT_RE.search(body)
        assert m and t, body
        out.append((m.group(1), m.group(2), t.group(3).strip()))
    return out


def plain(fragment):
    """The text of an HTML fragment, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def element_text(page, id_):
    m = re.search(rf'<(\w+)[^>]* id="{re.escape(id_)}"[^>]*>(.*?)</\1>',
                  page, re.S)
    return plain(m.group(2)) if m else None


def textarea(page, name="message"):
    """What a browser shows in the textarea NAME (it drops the newline
    right after the start tag)."""
    m = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>',
                  page, re.S)
    assert m, f"no textarea {name}"
    v = m.group(1)
    if v.startswith("\n"):
        v = v[1:]
    return html.unescape(v)


# ------------------------------------------------------------- follow-ups

def followup(url, code, message="", files=(), lang="en", extra=(),
             fields=()):
    """Sends the follow-up form as a browser would (multipart); files are
    tiplib.file_arg tuples."""
    args = ["--form-string", f"lang={lang}", "--form-string", f"code={code}",
            "--form-string", f"message={message}"]
    for k, v in fields:
        args += ["--form-string", f"{k}={v}"]
    for path, filename, ctype in files:
        args += ["-F", f"screenshot=@{path};filename={filename};type={ctype}"]
    return curl(*extra, *args, f"{url}/status/followup", max_time=60)
