"""The notice of illegal content to a platform (EU Digital Services Act,
Article 16) and the platform's answer, end to end over TLS with a real
database, intake and worker.

Three tips with links and screenshots go through the intake and the
worker files them into one Helsinki case: two report one X post with two
different-looking links, the third a YouTube video and joins by the
first one's screenshot.  An officer closes the case (ethnic agitation and
menace, forwarded to the platform for removal) and reads its notice in
Finnish and in English, as a page and as text.  The test parses both and
checks the four things Article 16(2) asks for against what it sent and
what it computes itself: the Criminal Code's sections, every canonical
link (written out here by hand from the links submitted) and the SHA-256
of every screenshot (the database's and its own over the opened images),
the notifier of the test config and the statement of good faith; and
that no tip's text, receipt code or anything about a tipster is in it.
Then who may see it (another department: not found; the admin: refused
as on the case page), the audit log, and the platform's answer: recorded
on the case page, in the history and the audit log, and a wrong date
refused with what was typed kept.  case_notice_track() is also called as
tipline_console directly, for the checks the pages cannot reach.
"""
import datetime
import hashlib
import random
import re
import secrets
import shutil
import signal
import string
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import psycopg
import pytest

from consolelib import (NOTIFIER, Client, Console, case_version,  # noqa: F401
                        cenv, console_conf, console_worker, form_csrf)
from e2elib import free_port, make_tempdir
from tiplib import FormState, file_arg, png_encode, tip_fields, unseal
from worklib import submit_tip, wait_tip, wenv  # noqa: F401

HELSINKI = ZoneInfo("Europe/Helsinki")

GOOD_FAITH = {
    "fi": "Vahvistamme vilpittömässä mielessä, että tämän ilmoituksen "
          "tiedot ja väitteet ovat paikkansapitäviä ja täydellisiä.",
    "en": "We confirm in good faith that the information and allegations "
          "in this notice are accurate and complete.",
}
SECTIONS = {
    "fi": {"11:10": "Rikoslaki 11 luku 10 § (kiihottaminen kansanryhmää "
                    "vastaan)",
           "25:7": "Rikoslaki 25 luku 7 § (laiton uhkaus)"},
    "en": {"11:10": "Criminal Code of Finland, chapter 11, section 10 "
                    "(ethnic agitation)",
           "25:7": "Criminal Code of Finland, chapter 25, section 7 "
                   "(menace)"},
}
OUTCOME = {"fi": "lähetetty alustalle poistettavaksi",
           "en": "forwarded to the platform for removal"}
GROUNDS = {"fi": ["Etninen tai kansallinen alkuperä", "Uskonto tai vakaumus"],
           "en": ["Ethnic or national origin", "Religion or belief"]}
ANONYMOUS = {"fi": "nimettömästi", "en": "anonymously"}
LABELS = {"x": "X (Twitter)", "youtube": "YouTube"}


def words(n=12):
    """A text no other tip's is like (so that it joins no case by its
    words), of letters that are no hex digits."""
    return " ".join("".join(random.choice("ghijklmnopqrstuvwxyz")
                            for _ in range(9)) for _ in range(n)) + "."


def today():
    return datetime.datetime.now(HELSINKI).date()


def picture(path, seed):
    """A PNG of coloured squares, different for each seed."""
    rnd = random.Random(seed)
    w, h, b = 240, 160, 16
    cells = [[(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
              for _ in range(w // b)] for _ in range(h // b)]
    path.write_bytes(png_encode(w, h, 2, 8,
                                lambda x, y: cells[y // b][x // b]))
    return file_arg(path, f"shot{seed}.png", "image/png")


class Notice(HTMLParser):
    """The notice page as a test reads it: the text of each element with
    an id, the offences' sections, and each platform's links and hashes
    (from the data- attributes and from the text shown)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.sections = []          # data-section of each offence
        self.services = {}          # platform -> {"links", "shots"}
        self.shown = {}             # platform -> [text of each item]
        self.elements = []          # data-element, in order
        self.lang = None
        self._service = None
        self._item = None
        self.feed(html)
        self.close()
        self.texts = FormState(html).texts

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "notice":
            self.lang = a.get("lang")
        if "data-element" in a:
            self.elements.append(a["data-element"])
        if "data-section" in a:
            self.sections.append(a["data-section"])
        if "data-platform" in a:
            self._service = a["data-platform"]
            self.services[self._service] = {"links": [], "shots": []}
            self.shown[self._service] = []
        if tag == "li" and self._service is not None:
            if "data-url" in a:
                self.services[self._service]["links"].append(a["data-url"])
            if "data-sha256" in a:
                self.services[self._service]["shots"].append(
                    a["data-sha256"])
            self._item = ""

    def handle_endtag(self, tag):
        if tag == "li" and self._item is not None:
            self.shown[self._service].append(self._item.strip())
            self._item = None
        if tag == "section" and self._service is not None:
            self._service = None

    def handle_data(self, data):
        if self._item is not None:
            self._item += data


def text_sections(text):
    """The text notice split at its headings: the lines "a) ..." or
    "(a) ..." underlined with dashes.  {"head": ..., "a": ..., ...}."""
    out, cur = {"head": []}, "head"
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^\(?([a-d])\) ", line)
        if m and i + 1 < len(lines) and re.fullmatch(r"-+", lines[i + 1]):
            cur = m.group(1)
            out[cur] = []
            continue
        if re.fullmatch(r"-+", line) and cur != "head" and not out[cur]:
            continue
        out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def world(cenv, tmp_path_factory):  # noqa: F811
    """The case of three tips, closed by its officer; what was sent."""
    d = tmp_path_factory.mktemp("notice-img")
    s1, s2, s3 = (picture(d / f"s{i}.png", 100 + i) for i in (1, 2, 3))
    status = "".join(random.choice(string.digits[1:]) for _ in range(18))
    video = "".join(random.choice(string.ascii_letters + string.digits + "_-")
                    for _ in range(11))
    texts = [words() for _ in range(3)]
    base = dict(channel="both", municipality="091", motive=["ethnic"])
    sent = [
        (tip_fields(description=texts[0], platform="x",
                    url=f"https://twitter.com/Someone/status/{status}"
                        "?s=20&t=abcdef", **base), [s1]),
        (tip_fields(description=texts[1], platform="x",
                    url=f"http://mobile.x.com/other_name/status/{status}/"
                        "photo/1", **base), [s2]),
        (tip_fields(description=texts[2], platform="youtube",
                    url=f"https://youtu.be/{video}?si=Q1w2e3r4&t=42",
                    **base), [s1, s3]),
    ]
    codes, tips = [], []
    for fields, files in sent:
        code = submit_tip(cenv.wenv, fields, files)
        codes.append(code)
        tips.append(wait_tip(cenv.wenv, code, timeout=60,
                             workers=[cenv.worker]))
    assert len({t["case_id"] for t in tips}) == 1, tips
    case = tips[0]["case_id"]
    assert [t["matched"] for t in tips] == ["new", "link", "image"], tips

    acct = cenv.accounts["helsinki.officer"]
    c = cenv.client(acct)
    page = c.get(f"/case/{case}")
    assert page.status == 200
    assert 'id="notice-link"' not in page.text     # open: no notice yet
    r = c.post(f"/case/{case}/close", {
        "csrf": form_csrf(page.text), "version": case_version(page.text),
        "outcome": "platform_removal", "hate": "yes",
        "ground": ["ethnic", "religion"], "offence": ["agitation", "menace"],
        "reason": "Threats and agitation in public posts."})
    assert r.status == 303, r.text[:2000]
    return {
        "case": case, "client": c, "csrf": form_csrf(page.text),
        "codes": codes, "texts": texts, "tips": [t["tip_id"] for t in tips],
        "links": {"x": [f"https://x.com/i/status/{status}"],
                  "youtube": [f"https://youtube.com/watch?v={video}"]},
    }


def shots_by_platform(cenv, case):  # noqa: F811
    """{platform: {hex}} from the database, and the same computed here
    over the opened images."""
    rows = cenv.db.q(
        "SELECT t.platform, encode(a.sha256, 'hex'), a.sealed "
        "FROM case_join j JOIN tip t ON t.id = j.tip_id "
        "JOIN attachment a ON a.tip_id = t.id WHERE j.case_id = %s",
        (case,))
    stored, computed = {}, {}
    for platform, hexdigest, sealed in rows:
        stored.setdefault(platform, set()).add(hexdigest)
        computed.setdefault(platform, set()).add(
            hashlib.sha256(unseal(cenv.wenv.keys, sealed)).hexdigest())
    return stored, computed


def check_no_tip_content(world, body):
    for text in world["texts"]:
        for w in text.rstrip(".").split():
            assert w not in body
    for code in world["codes"]:
        assert code not in body
        assert code.replace("-", "") not in body
    for t in world["tips"]:
        assert str(t) not in body
    assert "Threats and agitation in public posts." not in body  # reason


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_notice_page(cenv, world, lang):
    c, case = world["client"], world["case"]
    page = c.get(f"/case/{case}")
    assert f'href="/case/{case}/notice"' in page.text
    assert 'id="notice-link"' in page.text
    path = f"/case/{case}/notice" + ("" if lang == "fi" else "?lang=en")
    r = c.get(path)
    assert r.status == 200, r.text[:2000]
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "no-store"
    n = Notice(r.text)
    assert n.lang == lang
    assert n.elements == ["a", "b", "c", "d"]
    assert n.texts["notice-case"] == f"#{case}"
    assert n.texts["notice-date"] == today().isoformat()
    # (a) the Criminal Code's sections, the grounds and the outcome.
    assert sorted(n.sections) == ["11:10", "25:7"]
    for text in SECTIONS[lang].values():
        assert text in n.texts["notice-offences"]
    for g in GROUNDS[lang]:
        assert g in n.texts["notice-grounds"]
    assert OUTCOME[lang] in n.texts["notice-outcome"]
    assert "notice-incomplete" not in n.texts
    # (b) every canonical link and every screenshot's hash, by platform.
    stored, computed = shots_by_platform(cenv, case)
    assert stored == computed
    assert set(n.services) == {"x", "youtube"}
    for p, want in world["links"].items():
        assert n.services[p]["links"] == want
        assert set(n.services[p]["shots"]) == stored[p]
        assert len(n.services[p]["shots"]) == len(stored[p])
        assert LABELS[p] in n.texts[f"notice-service-{p}"]
        assert n.shown[p] == want + [f"SHA-256 {h}"
                                     for h in n.services[p]["shots"]]
    # The same picture in both platforms' parts.
    assert stored["x"] & stored["youtube"]
    # (c) the unit of the config, and why it is the notifier.
    assert n.texts["notice-notifier-name"] == NOTIFIER["name"]
    assert n.texts["notice-notifier-email"] == NOTIFIER["email"]
    assert ANONYMOUS[lang] in n.texts["notice-notifier-police"]
    # (d) good faith.
    assert n.texts["notice-good-faith"] == GOOD_FAITH[lang]
    check_no_tip_content(world, r.text)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_notice_text(cenv, world, lang):
    c, case = world["client"], world["case"]
    r = c.get(f"/case/{case}/notice.txt?lang={lang}")
    assert r.status == 200, r.text[:2000]
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    assert r.header("Content-Language") == lang
    assert "<" not in r.text and "&amp;" not in r.text
    s = text_sections(r.text)
    assert list(s) == ["head", "a", "b", "c", "d"]
    assert f"#{case}\n" in s["head"]
    assert today().isoformat() in s["head"]
    lines = s["a"].split("\n")
    for text in SECTIONS[lang].values():
        assert f"- {text}" in lines
    assert all(g in s["a"] for g in GROUNDS[lang])
    assert OUTCOME[lang] in s["a"]
    stored, _ = shots_by_platform(cenv, case)
    got_links = re.findall(r"^- (https://\S+)$", s["b"], re.M)
    assert got_links == world["links"]["x"] + world["links"]["youtube"]
    got_shots = re.findall(r"^- SHA-256 ([0-9a-f]{64})$", s["b"], re.M)
    assert sorted(got_shots) == sorted(list(stored["x"]) +
                                       list(stored["youtube"]))
    assert f"{LABELS['x']}:" in s["b"] and f"{LABELS['youtube']}:" in s["b"]
    assert NOTIFIER["name"] in s["c"] and NOTIFIER["email"] in s["c"]
    assert ANONYMOUS[lang] in s["c"]
    assert GOOD_FAITH[lang] in s["d"]
    check_no_tip_content(world, r.text)


def test_one_platform_only(cenv, world):
    c, case = world["client"], world["case"]
    r = c.get(f"/case/{case}/notice?lang=en&platform=youtube")
    assert r.status == 200
    n = Notice(r.text)
    assert set(n.services) == {"youtube"}
    assert n.texts["notice-service"] == "YouTube"
    assert world["links"]["x"][0] not in r.text
    r = c.get(f"/case/{case}/notice.txt?platform=x")
    assert world["links"]["x"][0] in r.text
    assert world["links"]["youtube"][0] not in r.text
    for bad in ("?lang=de", "?platform=myspace", "?lang="):
        assert c.get(f"/case/{case}/notice{bad}").status == 400, bad


def test_views_are_audited(cenv, world):
    c, case = world["client"], world["case"]
    officer = cenv.db.one("SELECT id FROM reviewer WHERE username = %s",
                          ("helsinki.officer",))
    before = {a[0] for a in cenv.audit("notice_view")}
    c.get(f"/case/{case}/notice?lang=en")
    c.get(f"/case/{case}/notice.txt")
    new = [a for a in cenv.audit("notice_view") if a[0] not in before]
    assert [(a[1], a[3], a[4]) for a in new] == [
        (officer, case, {"lang": "en", "format": "html", "platform": None}),
        (officer, case, {"lang": "fi", "format": "text", "platform": None})]


def test_others_cannot_see_it(cenv, world):
    case = world["case"]
    lap = cenv.client(cenv.accounts["lappi.officer"])
    for path in (f"/case/{case}/notice", f"/case/{case}/notice.txt",
                 f"/case/{case}/notice?lang=en", "/case/987654321/notice"):
        r = lap.get(path)
        assert r.status == 404, path
        assert world["links"]["x"][0] not in r.text
        assert NOTIFIER["email"] not in r.text
    lap_id = cenv.db.one("SELECT id FROM reviewer WHERE username = %s",
                         ("lappi.officer",))
    refused = [a for a in cenv.audit("notice_view_refused")
               if a[1] == lap_id]
    assert len(refused) == 4
    assert not [a for a in cenv.audit("notice_view") if a[1] == lap_id]
    # The admin reads no cases: refused by role, as the case page is.
    adm = cenv.client(cenv.accounts["the.admin"])
    for path in (f"/case/{case}/notice", f"/case/{case}/notice.txt"):
        r = adm.get(path)
        assert r.status == 403, path
        assert world["links"]["x"][0] not in r.text
    nobody = cenv.client()
    r = nobody.get(f"/case/{case}/notice")
    assert r.status == 303 and r.header("Location") == "/login"


def test_open_case_has_no_link_but_a_notice(cenv, world):
    """Decided: the case page offers the notice once the case is closed
    (an outcome, platform_removal included, comes only with closing);
    the route answers for an open case too, and the page says that
    nothing says yet why the content is illegal."""
    c = world["client"]
    code = submit_tip(cenv.wenv, tip_fields(
        description=words(),
        channel="both", municipality="091", platform="tiktok",
        url=f"https://www.tiktok.com/@someone/video/{random.randrange(10**18)}"
            "?is_from_webapp=1"))
    case = wait_tip(cenv.wenv, code, timeout=60,
                    workers=[cenv.worker])["case_id"]
    page = c.get(f"/case/{case}")
    assert page.status == 200
    assert 'id="notice-link"' not in page.text
    assert 'id="platform"' not in page.text
    r = c.get(f"/case/{case}/notice?lang=en")
    assert r.status == 200
    n = Notice(r.text)
    assert "notice-incomplete" in n.texts
    assert n.texts["notice-offences-none"] == \
        "No provisions of the Criminal Code have been recorded."
    assert n.texts["notice-outcome"] == \
        "The police are still handling the case."
    assert list(n.services) == ["tiktok"]


def form_of(html, platform):
    """The values of the platform's form on a case page."""
    m = re.search(rf'<form [^>]*id="form-platform-{platform}">(.*?)</form>',
                  html, re.S)
    assert m, f"no form for {platform}"
    f = FormState(m.group(1))
    return {k: f.value(k) for k in ("sent_on", "acknowledged_on",
                                    "decided_on")} | {
        "decision": (f.selected.get("decision") or [""])[0],
        "platform": f.value("platform")}


def test_platform_answer(cenv, world):
    c, case = world["client"], world["case"]
    t = today()
    sent, ack, decided = (str(t - datetime.timedelta(days=d))
                          for d in (0, 0, 0))
    page = c.get(f"/case/{case}")
    assert form_of(page.text, "x") == {
        "sent_on": "", "acknowledged_on": "", "decided_on": "",
        "decision": "", "platform": "x"}
    before = cenv.db.one("SELECT count(*) FROM case_event WHERE case_id = %s",
                         (case,))
    fields = {"csrf": world["csrf"], "platform": "x", "sent_on": sent,
              "acknowledged_on": ack, "decision": "removed",
              "decided_on": decided}
    r = c.post(f"/case/{case}/platform", fields)
    assert r.status == 303, r.text[:2000]
    assert r.header("Location") == f"/case/{case}"
    row = cenv.db.q("SELECT platform, sent_on, acknowledged_on, decision, "
                    "decided_on, r.username FROM platform_notice n "
                    "JOIN reviewer r ON r.id = n.updated_by "
                    "WHERE case_id = %s", (case,))
    assert row == [("x", t, t, "removed", t, "helsinki.officer")]
    page = c.get(f"/case/{case}").text
    assert form_of(page, "x") == {
        "sent_on": sent, "acknowledged_on": ack, "decided_on": decided,
        "decision": "removed", "platform": "x"}
    tracking = FormState(page).texts["tracking-x"]
    assert f"Ilmoitus lähetetty {sent}" in tracking
    assert f"poisti sisällön {decided} (0 pv)" in tracking
    assert "Helsinki Officer" in tracking
    assert form_of(page, "youtube")["sent_on"] == ""
    ev = cenv.db.q("SELECT kind, detail FROM case_event WHERE case_id = %s "
                   "ORDER BY id", (case,))
    assert len(ev) == before + 1
    assert ev[-1] == ("notice", {"platform": "x", "sent_on": sent,
                                 "acknowledged_on": ack,
                                 "decision": "removed",
                                 "decided_on": decided})
    audit = cenv.audit("notice_track")
    assert audit[-1][3] == case and audit[-1][4] == ev[-1][1]
    assert "kirjasi alustan vastauksen (X (Twitter))" in page
    # The same again: nothing new in the history.
    r = c.post(f"/case/{case}/platform", fields)
    assert r.status == 303
    assert cenv.db.one("SELECT count(*) FROM case_event WHERE case_id = %s",
                       (case,)) == before + 1


@pytest.mark.parametrize("bad", [
    # decided before the notice was sent
    {"sent_on": 0, "acknowledged_on": 0, "decision": "removed",
     "decided_on": 1},
    # acknowledged before it was sent
    {"sent_on": 0, "acknowledged_on": 1},
    # a day in the future
    {"sent_on": -1},
    # a decision without its day, and a day without its decision
    {"sent_on": 0, "decision": "refused"},
    {"sent_on": 0, "decided_on": 0},
    # no day of sending
    {"acknowledged_on": 0},
    # not a day at all, a decision of no kind
    {"sent_on": "2024-02-30"},
    {"sent_on": 0, "decision": "ignored", "decided_on": 0},
])
def test_platform_answer_refused(cenv, world, bad):
    c, case = world["client"], world["case"]
    t = today()
    fields = {"csrf": world["csrf"], "platform": "youtube", "sent_on": "",
              "acknowledged_on": "", "decision": "", "decided_on": ""}
    for k, v in bad.items():
        fields[k] = str(t - datetime.timedelta(days=v)) \
            if isinstance(v, int) else v
    before = cenv.db.q("SELECT * FROM platform_notice WHERE case_id = %s "
                       "ORDER BY platform", (case,))
    events = cenv.db.one("SELECT count(*) FROM case_event")
    r = c.post(f"/case/{case}/platform", fields)
    assert r.status == 422, r.text[:2000]
    f = FormState(r.text)
    assert f.texts["case-notice"].startswith("Päivämäärät eivät käy")
    kept = form_of(r.text, "youtube")
    for k in ("sent_on", "acknowledged_on", "decided_on"):
        assert kept[k] == fields[k], (k, kept)
    if fields["decision"] in ("removed", "restricted", "refused"):
        assert kept["decision"] == fields["decision"]
    assert cenv.db.q("SELECT * FROM platform_notice WHERE case_id = %s "
                     "ORDER BY platform", (case,)) == before
    assert cenv.db.one("SELECT count(*) FROM case_event") == events


def test_refused_answer_keeps_the_record(cenv, world):
    """Refused for a platform with a notice recorded: the form has what
    was typed, the words above it what is recorded."""
    c, case = world["client"], world["case"]
    t = today()
    fields = {"csrf": world["csrf"], "platform": "x", "sent_on": str(t),
              "acknowledged_on": "", "decision": "restricted",
              "decided_on": str(t - datetime.timedelta(days=1))}
    r = c.post(f"/case/{case}/platform", fields)
    assert r.status == 422
    assert form_of(r.text, "x") == {k: v for k, v in fields.items()
                                    if k != "csrf"}
    tracking = FormState(r.text).texts["tracking-x"]
    assert f"poisti sisällön {t}" in tracking, tracking
    assert cenv.db.one("SELECT decision FROM platform_notice "
                       "WHERE case_id = %s AND platform = 'x'",
                       (case,)) == "removed"


def test_refused_token_keeps_the_answer(cenv, world):
    c, case = world["client"], world["case"]
    d = str(today())
    r = c.post(f"/case/{case}/platform", {
        "csrf": "0" * 64, "platform": "youtube", "sent_on": d,
        "acknowledged_on": "", "decision": "", "decided_on": ""})
    assert r.status == 403
    assert form_of(r.text, "youtube")["sent_on"] == d
    assert not cenv.db.q("SELECT 1 FROM platform_notice WHERE case_id = %s "
                         "AND platform = 'youtube'", (case,))


def test_other_department_cannot_record(cenv, world):
    case = world["case"]
    lap = cenv.client(cenv.accounts["lappi.officer"])
    csrf = form_csrf(lap.get("/settings").text)
    r = lap.post(f"/case/{case}/platform", {
        "csrf": csrf, "platform": "youtube", "sent_on": str(today())})
    assert r.status == 404
    assert not cenv.db.q("SELECT 1 FROM platform_notice WHERE case_id = %s "
                         "AND platform = 'youtube'", (case,))


# ------------------------------------------------- the function in SQL

@pytest.fixture(scope="module")
def console_db(cenv):  # noqa: F811
    c = cenv.db.connect(user="tipline_console", autocommit=True)
    yield c
    c.close()


def track(conn, *args):
    return conn.execute("SELECT case_notice_track(%s, %s, %s, %s, %s, %s, "
                        "%s)", args).fetchone()[0]


def test_track_in_sql(cenv, world, console_db):
    db, case = cenv.db, world["case"]
    ids = dict(db.q("SELECT username, id FROM reviewer"))
    t = today()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        console_db.execute("INSERT INTO platform_notice (case_id, platform, "
                           "sent_on) VALUES (%s, 'reddit', %s)", (case, t))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        console_db.execute("UPDATE platform_notice SET decision = NULL")
    for who in ("lappi.officer", "national.officer", "the.admin"):
        with pytest.raises(psycopg.Error) as e:
            track(console_db, ids[who], case, "reddit", t, None, None, None)
        assert e.value.sqlstate == "TL403", who
    with pytest.raises(psycopg.Error) as e:
        track(console_db, ids["helsinki.second"], case, "myspace", t, None,
              None, None)
    assert e.value.sqlstate == "TL422"
    opened = db.one("SELECT (opened_at AT TIME ZONE 'Europe/Helsinki')::date "
                    "FROM cases WHERE id = %s", (case,))
    with pytest.raises(psycopg.Error) as e:
        track(console_db, ids["helsinki.second"], case, "reddit",
              opened - datetime.timedelta(days=1), None, None, None)
    assert e.value.sqlstate == "TL422"
    assert track(console_db, ids["helsinki.second"], case, "reddit", t, None,
                 None, None) is True
    assert track(console_db, ids["helsinki.second"], case, "reddit", t, None,
                 None, None) is False
    assert track(console_db, ids["helsinki.second"], case, "reddit", t, t,
                 "restricted", t) is True
    detail = db.q("SELECT detail FROM case_event WHERE case_id = %s "
                  "AND kind = 'notice' ORDER BY id DESC LIMIT 1",
                  (case,))[0][0]
    assert detail["previous"] == {"sent_on": str(t), "acknowledged_on": None,
                                  "decision": None, "decided_on": None}
    # The statistics' index answers time to decision per platform alone.
    db.q("ANALYZE platform_notice")
    with db.conn.transaction():
        db.q("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in db.q(
            "EXPLAIN SELECT platform, avg(decided_on - sent_on) "
            "FROM platform_notice WHERE decided_on >= %s "
            "AND decided_on < %s GROUP BY platform",
            (t - datetime.timedelta(days=7), t + datetime.timedelta(days=1))))
    assert "platform_notice_decided_idx" in plan, plan
    db.q("DELETE FROM platform_notice WHERE case_id = %s "
         "AND platform = 'reddit'", (case,))


def test_notices_follow_a_merge(cenv, console_db):
    """A merged case's notices go with its tips to the case that took
    them, but not over one of the survivor's own."""
    db = cenv.db
    ids = dict(db.q("SELECT username, id FROM reviewer"))
    me = ids["helsinki.second"]
    t = today()
    cases = []
    for i in range(2):
        code = submit_tip(cenv.wenv, tip_fields(
            description=words(),
            channel="both", municipality="091", platform="reddit",
            url=f"https://reddit.com/r/x/comments/{secrets.token_hex(4)}"))
        cases.append(wait_tip(cenv.wenv, code, timeout=60,
                              workers=[cenv.worker])["case_id"])
    a, b = sorted(cases)
    track(console_db, me, a, "reddit", t, None, None, None)
    track(console_db, me, a, "telegram", t, None, None, None)
    track(console_db, me, b, "reddit", t, t, None, None)
    va, vb = (db.one("SELECT version FROM cases WHERE id = %s", (x,))
              for x in (a, b))
    console_db.execute("SELECT case_merge(%s, %s, %s, %s, %s, %s)",
                       (me, a, va, b, vb, "Same post."))
    assert db.q("SELECT case_id, platform, acknowledged_on FROM "
                "platform_notice WHERE case_id IN (%s, %s) ORDER BY 1, 2",
                (a, b)) == [(a, "reddit", None), (b, "reddit", t),
                            (b, "telegram", None)]
    with pytest.raises(psycopg.Error) as e:
        track(console_db, me, a, "x", t, None, None, None)
    assert e.value.sqlstate == "TL422"


# --------------------------------------------- no notifier configured

def test_unconfigured_notifier(cenv, world):
    """A console without the unit's address starts, and says that it
    makes no notice, showing none."""
    port = free_port()
    conf = console_conf(cenv.wenv, port, name="unset.ini",
                        notifier={"email": ""})
    logdir = make_tempdir("tipline-clog-")
    con = Console(conf, port, logdir / "console.log")
    try:
        con.wait_healthy()
        c = Client(con.url)
        r = c.login(cenv.accounts["helsinki.second"])
        assert r.status == 303, r.text[:1000]
        case = world["case"]
        r = c.get(f"/case/{case}/notice")
        assert r.status == 503
        f = FormState(r.text)
        assert "notice-unconfigured" in f.texts
        assert "[notifier]" in f.texts["notice-unconfigured"]
        assert 'id="notice"' not in r.text
        assert world["links"]["x"][0] not in r.text
        r = c.get(f"/case/{case}/notice.txt")
        assert r.status == 503
        assert world["links"]["x"][0] not in r.text
        assert c.get(f"/case/{case}").status == 200
        assert con.stop() == 0
    finally:
        if con.proc.poll() is None:
            con.stop(signal.SIGKILL)
        shutil.rmtree(logdir, ignore_errors=True)
