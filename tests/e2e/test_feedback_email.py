"""The e-mail notice: a tipster who asked for feedback by e-mail gets one
message when the police reply, through a real SMTP server (aiosmtpd,
tests/e2e/maillib.py) with STARTTLS on its own certificate, which the
worker checks against [smtp] ca_file.  After it the address is deleted.
The server down: retries with backoff, then the worker gives up and
deletes the address.  A server without STARTTLS: nothing is sent.  No
log line ever holds the address.

Tips go through the real intake; a worker files them into cases.  The
officer's message is written with case_feedback() (as the console does)
and then delivered with deliver_pending()/deliver_store() the way the
worker's delivery step does, which makes the notice due and sends NOTIFY
job_ready 'email'.  Once the worker delivers by itself, deliver() below
only has to wait for it (it is harmless meanwhile: a pair delivered twice
is stored once).
"""
import re
import secrets
import subprocess
import time

import pytest
from nacl.public import PublicKey, SealedBox

import worklib
from consolelib import add_reviewer
from e2elib import free_port, make_tempdir, messages, set_key
from maillib import SmtpServer
from tiplib import tip_fields
from worklib import WORKER_BIN, submit_tip, wait_tip

start_worker = worklib.start_worker
wenv = worklib.wenv

STATUS_URL = "https://vihje.example.fi/status"
FROM = "noreply@vihje.example.fi"
SMTP_USER = "tipline"
SMTP_PASSWORD = "s3cret-" + secrets.token_hex(8)


# ------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def mdir():
    d = make_tempdir("tipline-mail-")
    yield d
    import shutil
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def smtp(mdir):
    """The mail server: STARTTLS required, then AUTH."""
    s = SmtpServer(mdir, tls=True, user=SMTP_USER, password=SMTP_PASSWORD)
    yield s
    s.stop()


def email_conf(wenv, mdir, name, port, ca_file=None, smtp_settings=None,
               feedback=None, metrics=None):
    """The module's config with [smtp] and [feedback] set: the server on
    PORT, short backoff."""
    pw = mdir / "smtp.password"
    if not pw.exists():
        pw.write_text(SMTP_PASSWORD + "\n")
        pw.chmod(0o600)
    text = wenv.conf.read_text()
    values = {"host": "127.0.0.1", "port": str(port), "from": FROM,
              "user": SMTP_USER, "password_file": str(pw),
              "starttls": "required", "timeout": "10s"}
    if ca_file is not None:
        values["ca_file"] = str(ca_file)
    values.update(smtp_settings or {})
    for k, v in values.items():
        text, _ = set_key(text, "smtp", k, v)
    fb = {"status_url": STATUS_URL, "email_backoff": "1s",
          "email_max_attempts": "8", **(feedback or {})}
    for k, v in fb.items():
        text, _ = set_key(text, "feedback", k, v)
    if metrics is not None:
        text, _ = set_key(text, "worker", "metrics", f"127.0.0.1:{metrics}")
        # The counters move at the arrival periods' boundaries only.
        text, _ = set_key(text, "privacy", "arrival_truncate", "1min")
    p = wenv.dir / name
    p.write_text(text)
    return p


# ------------------------------------------------------------- helpers

def new_address(tag):
    return f"tipster.{tag}.{secrets.token_hex(4)}@example.org"


def email_tip(wenv, lang, address, workers):
    """Sends a tip that asks for e-mail through the intake and waits for
    its case; returns (tip id, case id, description)."""
    words = " ".join(secrets.token_hex(3) for _ in range(12))
    description = f"Vihapuhetta {words}"
    code = submit_tip(wenv, tip_fields(
        lang=lang, description=description, feedback="email",
        email=address,
        url=f"https://example.com/posts/{secrets.randbelow(10**12)}"))
    t = wait_tip(wenv, code, workers=workers)
    return t["tip_id"], t["case_id"], description


_officers = {}


def officer(wenv, case_id):
    """An officer of the case's department (made once), by id."""
    dept = wenv.db.one("SELECT d.code FROM cases c JOIN department d "
                       "ON d.id = c.department_id WHERE c.id = %s",
                       (case_id,))
    key = (wenv.db.name, dept)
    if key not in _officers:
        name = f"{dept}.mail"
        add_reviewer(wenv.conf, name, "officer", dept)
        _officers[key] = wenv.db.one(
            "SELECT id FROM reviewer WHERE username = %s", (name,))
    return _officers[key]


def write_message(wenv, case_id, text, lang="fi"):
    """The officer's message on the case, sealed as the console seals it."""
    box = SealedBox(PublicKey(wenv.seal_pub()))
    return wenv.db.one(
        "SELECT case_feedback(%s, %s, NULL, %s, NULL, %s)",
        (officer(wenv, case_id), case_id, lang, box.encrypt(text.encode())))


def deliver(wenv, texts, timeout=60):
    """Until the worker's delivery step (worker/job_deliver.c) has sealed
    each message to each tip's reply key and stored it with
    deliver_store(), which makes the e-mail notices due."""
    deadline = time.monotonic() + timeout
    while wenv.db.q("SELECT 1 FROM deliver_pending(1)"):
        assert time.monotonic() < deadline, "messages not delivered"
        time.sleep(0.05)
    for mid in texts:
        assert wenv.db.q("SELECT 1 FROM tip_message WHERE message_id = %s",
                         (mid,)), mid


def reply(wenv, case_id, text, lang="fi"):
    mid = write_message(wenv, case_id, text, lang)
    deliver(wenv, {mid: text})


def tip_email_row(wenv, tip):
    r = wenv.db.q("SELECT sealed_email IS NULL, feedback_sent_at IS NOT NULL, "
                  "email_due_at, email_attempts, email_failed "
                  "FROM tip WHERE id = %s", (tip,))
    assert len(r) == 1
    return dict(zip(("deleted", "sent", "due", "attempts", "failed"), r[0]))


def wait_row(wenv, tip, cond, timeout=60, what="", workers=()):
    deadline = time.monotonic() + timeout
    while True:
        row = tip_email_row(wenv, tip)
        if cond(row):
            return row
        if time.monotonic() > deadline:
            logs = "\n".join(w.log()[-3000:] for w in workers)
            raise AssertionError(f"{what}: {row} after {timeout} s\n{logs}")
        time.sleep(0.05)


def metric(port, name):
    p = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/metrics"],
                       capture_output=True, text=True, timeout=10)
    m = re.search(rf"(?m)^{re.escape(name)} (\d+)$", p.stdout)
    assert m, f"no {name} in:\n{p.stdout}"
    return int(m.group(1))


def counted(port, name, want, timeout=90):
    """Until the metric reaches WANT: counters move at the boundaries of
    the arrival periods only ([privacy] arrival_truncate, a minute
    here)."""
    deadline = time.monotonic() + timeout
    while metric(port, name) != want:
        assert time.monotonic() < deadline, f"{name} not {want}"
        time.sleep(0.2)


def assert_not_logged(address, *logs):
    local, domain = address.split("@")
    for log in logs:
        assert address not in log, "the address is in a log"
        assert local not in log, "the address's local part is in a log"


def parts(msg):
    """The text/plain and text/html parts of a multipart/alternative."""
    assert msg.get_content_type() == "multipart/alternative"
    got = {p.get_content_type(): p for p in msg.iter_parts()}
    assert set(got) == {"text/plain", "text/html"}, list(got)
    for p in got.values():
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] in ("base64",
                                                  "quoted-printable")
    return tuple(got[t].get_content().replace("\r\n", "\n")
                 for t in ("text/plain", "text/html"))


# --------------------------------------------------------------- tests

def test_notice_in_the_tips_language(wenv, mdir, smtp, start_worker):
    mport = free_port()
    conf = email_conf(wenv, mdir, "email.ini", smtp.port,
                      ca_file=smtp.ca_file, metrics=mport)
    w = start_worker(conf, name="email.log")
    assert w.log().count("e-mail notices through smtp://127.0.0.1:") == 1
    sent = {}
    # Russian: Cyrillic in the subject's encoded words and the body.
    for lang in ("fi", "sv", "ru"):
        address = new_address(lang)
        tip, case_id, description = email_tip(wenv, lang, address, [w])
        secret = f"Poliisin vastaus {secrets.token_hex(6)}"
        n = len(smtp.messages())
        reply(wenv, case_id, secret)
        got = smtp.wait(n + 1, what=f"for the {lang} tip")
        row = wait_row(wenv, tip, lambda r: r["deleted"], workers=[w],
                       what="address not deleted after sending")
        assert row["sent"] and row["due"] is None and not row["failed"]
        sent[lang] = (address, description, secret)

        m = got[n]
        assert m.rcpt_tos == [address] and m.mail_from == FROM
        assert m.tls, "sent without STARTTLS"
        assert m.login == SMTP_USER
        assert m.ehlo == FROM.split("@")[1]
        msg = m.parsed()
        t = messages(lang)
        assert msg["Subject"] == t["email.subject"]
        assert msg["From"] == FROM and msg["To"] == address
        for h in ("Date", "Message-ID", "MIME-Version"):
            assert msg[h], f"no {h} header"
        assert msg["Content-Language"] == lang
        # The subject is sent encoded (RFC 2047), never as raw UTF-8.
        head = m.data.split(b"\r\n\r\n", 1)[0]
        assert all(b < 0x80 for b in head), "raw 8-bit header"
        text, html = parts(msg)
        for k in ("email.news", "email.how", "email.private",
                  "email.once", "email.ignore"):
            assert t[k] in text, k
        # The link opens the status page in the tip's language.
        url = f"{STATUS_URL}?lang={lang}"
        assert f"\n{url}\n" in text
        assert f'<a dir="ltr" href="{url}">' in html
        assert f'<html lang="{lang}" dir="ltr">' in html
        assert t["email.news"] in html
        # Nothing of the case or the tip, and no pictures or tracking.
        for body in (text, html, m.data.decode("ascii")):
            assert secret not in body and description not in body
            assert description.split()[1] not in body
        assert "<img" not in html and "src=" not in html
        assert set(re.findall(r"https?://[^\s\"<]+", text + html)) == \
            {url}

    # One message each, and no more once their addresses are gone.
    assert sorted(x.rcpt_tos[0] for x in smtp.messages()) == \
        sorted(a for a, _, _ in sent.values())
    counted(mport, "tipline_email_sent_total", 3)
    assert metric(mport, "tipline_email_failed_total") == 0
    # This worker delivered the three replies, one to each tip.
    assert metric(mport, "tipline_messages_delivered_total") == 3
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    for address, _, _ in sent.values():
        assert_not_logged(address, w.log(), wenv.intake.log())
    assert "e-mail notice sent" in w.log()


def test_content_when_configured(wenv, mdir, smtp, start_worker):
    conf = email_conf(wenv, mdir, "content.ini", smtp.port,
                      ca_file=smtp.ca_file,
                      feedback={"email_content": "yes"})
    w = start_worker(conf, name="content.log")
    address = new_address("content")
    tip, case_id, description = email_tip(wenv, "en", address, [w])
    n = len(smtp.messages())
    first = f"An older message {secrets.token_hex(4)}"
    reply(wenv, case_id, first)
    got = smtp.wait(n + 1)
    # Only the newest message of the tip: the first one here.
    text, html = parts(got[n].parsed())
    t = messages("en")
    assert first in text and first in html
    # The officer wrote in Finnish to an English tip: the quote says so.
    assert '<blockquote lang="fi" dir="ltr">' in html
    assert t["email.message"] in text and t["email.code"] in text
    assert t["email.private"] not in text
    assert description not in text and description not in html
    wait_row(wenv, tip, lambda r: r["deleted"] and r["sent"], workers=[w],
             what="address not deleted")
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    assert_not_logged(address, w.log())


def test_newest_message_escaped(wenv, mdir, smtp, start_worker):
    """Two messages before the notice: the newest goes, HTML-escaped, its
    lines kept."""
    conf = email_conf(wenv, mdir, "content2.ini", smtp.port,
                      ca_file=smtp.ca_file,
                      feedback={"email_content": "yes"})
    w = start_worker(conf, name="content2.log")
    address = new_address("newest")
    tip, case_id, _ = email_tip(wenv, "sv", address, [w])
    old = f"Gammalt {secrets.token_hex(4)}"
    new = f"Tack för tipset & <svar> {secrets.token_hex(4)}\nRad två"
    n = len(smtp.messages())
    # Both in one transaction, the old one first: the worker delivers as
    # soon as a message commits, and the notice takes the newest it sees.
    box = SealedBox(PublicKey(wenv.seal_pub()))
    who = officer(wenv, case_id)
    m1, m2 = wenv.db.q(
        "WITH a AS (SELECT case_feedback(%s, %s, NULL, 'sv', NULL, %s) "
        "AS id), b AS (SELECT case_feedback(%s, %s, NULL, 'sv', NULL, %s) "
        "AS id FROM a) SELECT a.id, b.id FROM a, b",
        (who, case_id, box.encrypt(old.encode()),
         who, case_id, box.encrypt(new.encode())))[0]
    assert m1 < m2
    deliver(wenv, {m1: old, m2: new})
    got = smtp.wait(n + 1)
    text, html = parts(got[n].parsed())
    assert new in text and old not in text and old not in html
    assert "Tack för tipset &amp; &lt;svar&gt; " in html
    assert "<br>\nRad två" in html
    wait_row(wenv, tip, lambda r: r["deleted"] and r["sent"], workers=[w],
             what="address not deleted")
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    assert_not_logged(address, w.log())


def test_stop_waits_for_the_message_under_way(wenv, mdir, start_worker):
    """SIGTERM while the server takes its time: the message goes, its
    outcome is stored, and then the worker exits."""
    slow = SmtpServer(mdir, tls=True, user=SMTP_USER, password=SMTP_PASSWORD,
                      delay=2)
    try:
        conf = email_conf(wenv, mdir, "slow.ini", slow.port,
                          ca_file=slow.ca_file)
        w = start_worker(conf, name="slow.log")
        address = new_address("slow")
        tip, case_id, _ = email_tip(wenv, "fi", address, [w])
        reply(wenv, case_id, "Hitaasti perille")
        assert slow.receiving.wait(60), w.log()
        rc = w.stop()
        w.check_stopped_cleanly(rc)
        assert [m.rcpt_tos for m in slow.messages()] == [[address]]
        row = tip_email_row(wenv, tip)
        assert row["deleted"] and row["sent"] and row["due"] is None
        assert_not_logged(address, w.log())
    finally:
        slow.stop()


def test_server_down_gives_up(wenv, mdir, start_worker):
    mport = free_port()
    conf = email_conf(wenv, mdir, "down.ini", free_port(),
                      feedback={"email_max_attempts": "3"}, metrics=mport)
    w = start_worker(conf, name="down.log")
    address = new_address("down")
    tip, case_id, _ = email_tip(wenv, "fi", address, [w])
    reply(wenv, case_id, "Ei koskaan perillä")
    wait_row(wenv, tip, lambda r: r["attempts"] >= 1, workers=[w],
             what="no try")
    t1 = time.monotonic()
    row = wait_row(wenv, tip, lambda r: r["failed"], workers=[w],
                   what="not given up")
    # Tries 2 and 3 waited 1 s and 2 s after the ones before.
    assert time.monotonic() - t1 >= 2.5
    assert row == {"deleted": True, "sent": False, "due": None,
                   "attempts": 3, "failed": True}
    counted(mport, "tipline_email_failed_total", 1)
    assert metric(mport, "tipline_email_retries_total") == 2
    assert metric(mport, "tipline_email_sent_total") == 0
    rc = w.stop()
    w.check_stopped_cleanly(rc)
    log = w.log()
    assert len(re.findall(r"e-mail notice failed: Couldn't connect to "
                          r"server", log)) == 3, log
    assert "given up after 3 tries" in log
    assert_not_logged(address, log)


def test_no_starttls_nothing_sent(wenv, mdir, start_worker):
    plain = SmtpServer(mdir, tls=False)
    try:
        conf = email_conf(wenv, mdir, "plain.ini", plain.port)
        w = start_worker(conf, name="plain.log")
        address = new_address("plain")
        tip, case_id, _ = email_tip(wenv, "en", address, [w])
        reply(wenv, case_id, "Not over plain text")
        row = wait_row(wenv, tip, lambda r: r["attempts"] >= 2, workers=[w],
                       what="not retried")
        assert not row["deleted"] and not row["sent"] and not row["failed"]
        assert row["due"] is not None
        assert plain.messages() == []
        rc = w.stop()
        w.check_stopped_cleanly(rc)
        log = w.log()
        assert "e-mail notice failed: Requested SSL level failed" in log, log
        assert_not_logged(address, log)
    finally:
        plain.stop()
        # No notice left due for the next test's worker.
        wenv.db.q("UPDATE tip SET email_due_at = NULL, sealed_email = NULL "
                  "WHERE email_due_at IS NOT NULL")


def test_off_without_host(wenv, start_worker):
    w = start_worker(wenv.conf, name="off.log")
    assert w.log().count("e-mail notices are off") == 1


@pytest.mark.parametrize("smtp_settings,feedback,want", [
    ({"from": ""}, {}, "[smtp] from: needed when [smtp] host is set"),
    ({}, {"status_url": ""},
     "[feedback] status_url: needed when [smtp] host is set"),
    ({"starttls": "maybe"}, {}, "[smtp] starttls: invalid"),
    ({"from": "a b@example.org"}, {}, "[smtp] from: invalid"),
    ({"host": "mail/x"}, {}, "[smtp] host: invalid"),
    ({}, {"status_url": "ftp://x"}, "[feedback] status_url: invalid"),
    ({}, {"email_max_attempts": "0"},
     "[feedback] email_max_attempts: too small"),
    ({"password_file": "/nonexistent/pw"}, {},
     "[smtp] password_file: /nonexistent/pw"),
])
def test_config_errors(wenv, mdir, smtp_settings, feedback, want):
    conf = email_conf(wenv, mdir, "bad.ini", 25,
                      smtp_settings=smtp_settings, feedback=feedback)
    p = subprocess.run([str(WORKER_BIN), "-n", "-c", str(conf)],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 2, p.stdout + p.stderr
    assert want in p.stdout + p.stderr
    if "invalid" in want or "too small" in want:
        assert re.search(rf"bad.ini:\d+: {re.escape(want)}",
                         p.stdout + p.stderr), p.stderr


def test_password_file_private(wenv, mdir):
    pw = mdir / "open.password"
    pw.write_text("x\n")
    pw.chmod(0o644)
    conf = email_conf(wenv, mdir, "bad.ini", 25,
                      smtp_settings={"password_file": str(pw)})
    p = subprocess.run([str(WORKER_BIN), "-n", "-c", str(conf)],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 2
    assert "readable by others" in p.stderr + p.stdout
