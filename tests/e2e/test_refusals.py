"""POST /tip that is refused: the form comes back with what was typed,
a message where it belongs, the right status, and nothing stored.  Then
screenshots kept in memory across a refusal."""
import datetime
import re
import time

import pytest

from e2elib import Page, free_port, private_cluster, set_key
from tiplib import (FormState, assert_form_kept, code_is_valid, counts,
                    file_arg, receipt_code, sample, submit, submit_bg,
                    tip_fields, tip_row, unseal)

TYPED = ("Rasistinen kommentti bussissa – “pois täältä” ÅÄÖ åäö 😡\r\n"
         "Toinen rivi <b>ei tagi</b> & merkki")


def typed(**kw):
    """A full form as a tipster would have filled it in."""
    base = dict(description=TYPED, channel="both", platform="telegram",
                url="https://t.me/example/42", municipality="091",
                place="Kamppi, laituri 3", date="2024-05-01",
                motive=["ethnic", "disability"], feedback="email",
                email="someone@example.org", lang="fi")
    base.update(kw)
    return tip_fields(**base)


def refused(r, status, fields, pg, before, lang="fi"):
    """The common checks of a refusal: status, HTML form, typed values
    back, no receipt, nothing stored."""
    assert r.status == status, f"{r.status} (wanted {status}):\n{r.text[:3000]}"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers.get("cache-control") == "no-store"
    assert f'<html lang="{lang}" dir="ltr">' in r.text
    assert 'action="/tip"' in r.text, "the form is not shown again"
    assert 'id="receipt-code"' not in r.text
    assert Page(r.text).errors == []
    f = assert_form_kept(r.text, fields)
    assert counts(pg) == before, "something was stored"
    return f


def future(days=3):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


FIELD_CASES = {
    # name: (changes to the form, id of the message element)
    "bad-date": (dict(date="2024-02-30"), "date-error"),
    "bad-date-format": (dict(date="1.5.2024"), "date-error"),
    "future-date": (dict(date=future()), "date-error"),
    "bad-municipality": (dict(municipality="999"), "municipality-error"),
    "missing-description": (dict(description=" \r\n "), "description-error"),
    "missing-channel": (dict(channel=None), "channel-error"),
    "place-without-municipality": (dict(channel="place", municipality=""),
                                   "municipality-error"),
    "both-without-municipality": (dict(municipality=""),
                                  "municipality-error"),
    "email-without-address": (dict(email=""), "email-error"),
    "email-invalid": (dict(email="not an address"), "email-error"),
    # Addresses the worker would never send to are refused here, where the
    # tipster can still fix them (mail_addr_ok()).
    "email-non-ascii": (dict(email="pekka@äiti.fi"), "email-error"),
    "email-double-dot": (dict(email="pekka..k@example.fi"), "email-error"),
    "email-bad-label": (dict(email="pekka@-example.fi"), "email-error"),
    "bad-platform": (dict(platform="myspace"), "platform-error"),
    "bad-url": (dict(url="javascript:alert(1)"), "url-error"),
}


@pytest.mark.parametrize("case", FIELD_CASES, ids=list(FIELD_CASES))
def test_field_errors(intake, pg, case):
    changes, err_id = FIELD_CASES[case]
    fields = typed(**changes)
    before = counts(pg)
    r = submit(intake.url, fields)
    f = refused(r, 422, fields, pg, before)
    assert f.texts.get(err_id), f"no message {err_id} on the page"
    assert f'href="#' in r.text and 'id="errors"' in r.text
    # Only the field that is wrong gets a message.
    errs = [i for i, t in f.texts.items() if i.endswith("-error") and t]
    assert errs == [err_id], errs


def test_invalid_utf8_keeps_what_can_be_read(intake, pg, curl, workdir):
    """Bytes that are not UTF-8 in the description: what can be read comes
    back in the form, each bad byte shown as U+FFFD, and only the
    description says that something could not be read."""
    b = "utf8bound"
    fields = [(k, v) for k, v in typed() if k != "description"]
    body = b"".join(
        f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
        f'{v}\r\n'.encode() for k, v in fields)
    body += (f'--{b}\r\nContent-Disposition: form-data; '
             f'name="description"\r\n\r\n').encode()
    body += "Uhkaava viesti: ".encode() + b"\xff\xfe" + \
        " naapurit häädettävä".encode() + b"\xc3\r\n"
    body += f"--{b}--\r\n".encode()
    path = workdir / "utf8body"
    path.write_bytes(body)
    before = counts(pg)
    r = curl("-H", f"Content-Type: multipart/form-data; boundary={b}",
             "--data-binary", f"@{path}", f"{intake.url}/tip")
    kept = fields + [("description", "Uhkaava viesti: \ufffd\ufffd "
                                     "naapurit häädettävä\ufffd")]
    f = refused(r, 422, kept, pg, before)
    assert "\ufffd" in f.texts["description-error"]
    errs = [i for i, t in f.texts.items() if i.endswith("-error") and t]
    assert errs == ["description-error"], errs


def test_field_errors_in_english_with_urlencoded_body(intake, pg, curl):
    fields = typed(lang="en", date=future())
    before = counts(pg)
    args = []
    for k, v in fields:
        args += ["--data-urlencode", f"{k}={v}"]
    r = curl(*args, f"{intake.url}/tip")
    f = refused(r, 422, fields, pg, before, lang="en")
    assert "future" in f.texts["date-error"]


@pytest.mark.parametrize("name,fmt_ok", [
    ("pdf_renamed.png", "type"), ("bomb.png", "pixels"),
    ("truncated.png", "corrupt"), ("truncated.jpg", "corrupt")])
def test_refused_screenshot_is_named(intake, pg, name, fmt_ok):
    fields = typed(lang="en")
    before = counts(pg)
    shown_name = f"shot_{name}"
    r = submit(intake.url, fields, [file_arg("plain.png"),
                                    file_arg(name, filename=shown_name)])
    f = refused(r, 422, fields, pg, before, lang="en")
    msg = f.texts.get("screenshot-error-2", "")
    assert shown_name in msg, f"file not named: {msg!r}"
    reasons = {"type": "not a PNG, JPEG or WebP",
               "pixels": "too many pixels",
               "corrupt": "damaged or incomplete"}
    assert reasons[fmt_ok] in msg, msg
    assert "screenshot-error-1" not in f.texts, "the good file was refused"
    # The good one is kept for the next try, the bad one is not.
    assert f.checked("keep") == ["1"]
    assert "plain.png" in f.texts.get("keep-1", "") or \
        "plain.png" in r.text


def test_too_many_screenshots(intake, pg):
    fields = typed(lang="en")
    before = counts(pg)
    files = [file_arg("plain.png", filename=f"shot{i}.png") for i in range(6)]
    r = submit(intake.url, fields, files)
    f = refused(r, 422, fields, pg, before, lang="en")
    assert "too many pictures" in f.texts.get("screenshot-error", ""), \
        f.texts


def test_unreadable_body(intake, pg, curl):
    before = counts(pg)
    # A multipart body that ends before its closing boundary.
    body = ("--XyZ\r\nContent-Disposition: form-data; name=\"description\""
            "\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-da")
    r = curl("-H", "Content-Type: multipart/form-data; boundary=XyZ",
             "-H", "Accept-Language: sv", "--data-binary", body,
             f"{intake.url}/tip")
    assert r.status == 400, r.status
    assert 'action="/tip"' in r.text and '<html lang="sv" dir="ltr">' in r.text
    assert "kunde inte läsas" in r.text
    r = curl("-H", "Content-Type: multipart/form-data", "--data-binary",
             "x", f"{intake.url}/tip")
    assert r.status == 400
    r = curl("-H", "Content-Type: text/plain", "--data-binary",
             "description=x", f"{intake.url}/tip")
    assert r.status == 400
    assert counts(pg) == before


# ------------------------------------------------- daemons of their own

@pytest.fixture
def small_files(keys_dir, start_intake, workdir):
    """A daemon on the session database that takes files up to 64 KiB."""
    port = free_port()
    text, _ = set_key(keys_dir.abs_text(), "limits", "max_file_bytes", "64K")
    return start_intake(keys_dir.variant(workdir, port=port, text=text), port)


def test_file_too_big(small_files, pg, workdir):
    big = workdir / "big.png"
    # Sample bytes padded past the limit: refused on size alone.
    big.write_bytes(sample("plain.png").read_bytes() + b"\0" * (65 << 10))
    fields = typed(lang="en")
    before = counts(pg)
    r = submit(small_files.url, fields, [file_arg(big, "huge_shot.png"),
                                         file_arg("plain.jpg")])
    f = refused(r, 413, fields, pg, before, lang="en")
    msg = f.texts.get("screenshot-error-1", "")
    assert "huge_shot.png" in msg and "too large" in msg, msg
    # The good one is kept for the next try.
    assert f.checked("keep") == ["1"] and f.has_input("kept")


def test_file_over_the_whole_body_limit(small_files, pg, workdir):
    """A body past the HTTP layer's limit ((files_per_tip + 1) *
    max_file_bytes + text + 64 KiB, 488 KiB here) is refused by libevent
    before any handler runs: a bare 413, nothing stored, the daemon fine.
    (libevent 2.1 reads a body whole before the handler sees it, so the
    form cannot come back here; the form's script warns before sending,
    and a single file up to twice max_file_bytes still gets the form.)"""
    big = workdir / "huge.png"
    big.write_bytes(sample("plain.png").read_bytes() + b"\0" * (600 << 10))
    fields = typed(lang="en")
    before = counts(pg)
    r = submit(small_files.url, fields, [file_arg(big, "huge_shot.png")],
               check=False)
    # libevent answers 413 and closes while curl may still be sending:
    # curl then sees the reset (55/56) before it reads the answer.
    assert r.status == 413 or (r.rc in (55, 56) and not r.status), r
    assert counts(pg) == before
    assert curl_status(f"{small_files.url}/healthz") == 200


def test_file_just_over_the_file_limit_keeps_the_form(small_files, pg,
                                                      workdir):
    """A file over max_file_bytes but within the body limit: the form
    comes back with the text and a message naming the file."""
    big = workdir / "big.png"
    big.write_bytes(sample("plain.png").read_bytes() + b"\0" * (100 << 10))
    fields = typed(lang="en")
    before = counts(pg)
    r = submit(small_files.url, fields, [file_arg(big, "big_shot.png")])
    refused(r, 413, fields, pg, before, lang="en")
    assert "big_shot.png" in r.text


def curl_status(url):
    import subprocess
    p = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                        url], capture_output=True, timeout=30)
    return int(p.stdout or 0)


@pytest.fixture
def private_db(keys_dir):
    """A cluster of this test's own, migrated, and a config for it."""
    with private_cluster(keys_dir, "refusals") as (pg, conf, port, _):
        yield pg, conf, port


def test_database_down(private_db, keys_dir, start_intake, curl):
    pg, conf, port = private_db
    it = start_intake(conf, port)
    fields = typed(lang="en")
    before = counts(pg)
    pg.stop()
    r = submit(it.url, fields, [file_arg("plain.png")], max_time=40)
    assert r.status == 503, f"{r.status}:\n{r.text[:2000]}"
    assert r.headers.get("retry-after", "").isdigit(), r.headers
    assert 'id="receipt-code"' not in r.text
    f = assert_form_kept(r.text, fields)
    assert "Nothing was stored" in f.texts.get("notice", ""), f.texts
    assert f.has_input("kept"), "the good screenshot was not kept"
    token = f.value("kept")
    # Lookups say the same: try again later.
    r = curl("--data-urlencode", "code=AAAAAA-AAAAAA-AAAAAW",
             f"{it.url}/status", max_time=40)
    assert r.status == 503 and r.headers.get("retry-after", "").isdigit()
    assert 'value="AAAAAA-AAAAAA-AAAAAW"' in r.text

    pg.start()
    assert counts(pg) == before, "stored while the database was down"
    # The daemon reconnects by itself; resubmitting with the kept picture
    # then works.
    deadline = 30
    t0 = time.monotonic()
    while curl(f"{it.url}/healthz", check=False).status != 200:
        assert time.monotonic() - t0 < deadline, "no reconnect"
        time.sleep(0.2)
    r = submit(it.url, fields + [("kept", token), ("keep", "1")])
    assert r.status == 200, f"{r.status}:\n{r.text[:2000]}"
    code = receipt_code(r.text)
    assert code_is_valid(code)
    tip = tip_row(pg, keys_dir, code)
    assert tip is not None and tip["nattachments"] == 1
    assert unseal(keys_dir, tip["sealed_description"]).decode() == \
        TYPED.replace("\r\n", "\n")
    assert counts(pg) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_busy(keys_dir, start_intake, workdir, pg, curl):
    """With max_uploads = 1 and one tip held in its INSERT (the tip table
    locked), the next tip is refused as busy, its form kept."""
    port = free_port()
    text, _ = set_key(keys_dir.abs_text(), "intake", "max_uploads", "1")
    it = start_intake(keys_dir.variant(workdir, port=port, text=text), port)
    fields = typed(lang="en")
    before = counts(pg)
    with pg.connect() as lock:
        lock.execute("LOCK TABLE tip IN ACCESS EXCLUSIVE MODE")
        first = submit_bg(it.url, tip_fields(), workdir / "first")
        deadline = time.monotonic() + 15
        while not waiting_on_lock(pg):
            assert first.proc.poll() is None, first.result().text[:2000]
            assert time.monotonic() < deadline, "first tip never waited"
            time.sleep(0.05)
        r = submit(it.url, fields)
        assert r.status == 503, f"{r.status}:\n{r.text[:2000]}"
        assert r.headers.get("retry-after", "").isdigit(), r.headers
        f = assert_form_kept(r.text, fields)
        assert "busy" in f.texts.get("notice", ""), f.texts
        lock.rollback()
    first = first.result()
    assert first.status == 200, first.text[:2000]
    assert counts(pg) == (before[0] + 1, before[1], before[2] + 1)


def waiting_on_lock(pg):
    out = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                  "wait_event_type = 'Lock' AND query LIKE '%tip_submit%'")
    return int(out) > 0


# ------------------------------------------------ kept screenshots

def refused_with_kept(intake, pg, fields, names):
    before = counts(pg)
    r = submit(intake.url, fields, [file_arg(n, f"mine_{n}") for n in names])
    f = refused(r, 422, fields, pg, before, lang="en")
    token = f.value("kept")
    assert re.fullmatch(r"[0-9a-f]{32}", token), token
    assert f.checked("keep") == [str(i + 1) for i in range(len(names))]
    for i, n in enumerate(names):
        assert f"mine_{n}" in f.texts.get(f"keep-{i + 1}", "") or \
            f"mine_{n}" in r.text
    return token


def resubmit(intake, pg, keys_dir, fields, token, keep, files=()):
    before = counts(pg)
    extra = [("kept", token)] + [("keep", k) for k in keep]
    r = submit(intake.url, fields + extra, files)
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    code = receipt_code(r.text)
    tip = tip_row(pg, keys_dir, code)
    n = tip["nattachments"]
    assert len(tip["attachments"]) == n
    assert counts(pg) == (before[0] + 1, before[1] + n, before[2] + 1)
    return tip


def test_kept_screenshots_both(intake, pg, keys_dir):
    names = ["plain.png", "plain.jpg"]
    bad = tip_fields(date="2024-13-01")
    token = refused_with_kept(intake, pg, bad, names)
    good = tip_fields(date="2024-12-01")
    tip = resubmit(intake, pg, keys_dir, good, token, ["1", "2"])
    assert [a["mime"] for a in tip["attachments"]] == \
        ["image/png", "image/jpeg"]
    for a in tip["attachments"]:
        data = unseal(keys_dir, a["sealed"])
        assert data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
    # The token is spent: the same one again keeps nothing.
    r = submit(intake.url, good + [("kept", token), ("keep", "1")])
    assert r.status == 200
    assert tip_row(pg, keys_dir, receipt_code(r.text))["nattachments"] == 0


def test_kept_screenshots_only_the_second(intake, pg, keys_dir):
    names = ["plain.png", "plain.jpg"]
    token = refused_with_kept(intake, pg, tip_fields(date=future()), names)
    tip = resubmit(intake, pg, keys_dir, tip_fields(), token, ["2"])
    assert [a["mime"] for a in tip["attachments"]] == ["image/jpeg"]
    assert tip["attachments"][0]["seq"] == 1


def test_kept_and_new_screenshots_together(intake, pg, keys_dir):
    token = refused_with_kept(intake, pg, tip_fields(date="x"),
                              ["plain.webp"])
    tip = resubmit(intake, pg, keys_dir, tip_fields(), token, ["1"],
                   [file_arg("plain.png")])
    assert sorted(a["mime"] for a in tip["attachments"]) == \
        ["image/png", "image/webp"]
