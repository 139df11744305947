"""The tip line in ten languages, end to end: Debian's Chromium with
JavaScript off at a phone's viewport (tests/e2e/browser/languages.mjs)
sends tips in Arabic and Somali and reads /status in Persian; right-to-left
pages mirror (measured from element positions); every language's letters
have glyphs; axe-core finds nothing on the form, receipt and status pages
in any language; screenshots of one Russian and one Arabic post taken on
two phones land in one case through the text the worker reads in them.

Each language's form, and the receipt and status pages, are screenshotted
at the phone's width into pytest's temporary directory
(/tmp/pytest-of-*/pytest-current/languages-*/) for a person to look at."""
import json
import subprocess
from pathlib import Path

import pytest

from e2elib import BROWSER_DIR, LANGS, RTL, ROOT, SANITIZED, messages
from statuslib import add_message, make_case, tip_id
from tiplib import code_is_valid, tip_fields, unseal
from worklib import (long_lease_conf, run_module_worker, submit_tip,  # noqa: F401
                     wait_tip, wenv)

OCR_DATA = ROOT / "tests" / "data" / "ocr"

# Layout, fonts and axe-core look at what Chromium draws, which a
# sanitizer build serves byte for byte alike (test_form.py fetches every
# language's form from both builds); they run in the plain build only,
# which keeps the suite's time.  Sending, reading and OCR run in both.
browser_only = pytest.mark.skipif(
    SANITIZED, reason="layout and axe: checked in the plain build")


def run_js(node_env, script, *args, timeout=300):
    p = subprocess.run([node_env, script, *args], cwd=BROWSER_DIR,
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode in (0, 1), \
        f"{script} exit {p.returncode}:\n{p.stdout}{p.stderr}"
    return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("languages")


@pytest.fixture(scope="module")
def forms(node_env, wenv, shots):  # noqa: F811
    _, out = run_js(node_env, "languages.mjs", wenv.url, str(shots),
                    json.dumps({"forms": list(LANGS)}))
    assert out["failedRequests"] == [], out["failedRequests"]
    return out["forms"]


@browser_only
@pytest.mark.parametrize("lang", LANGS)
def test_form_reads_in_its_direction(forms, lang):
    f = forms[lang]
    rtl = lang in RTL
    assert f["status"] == 200
    assert (f["lang"], f["dir"]) == (lang, "rtl" if rtl else "ltr")
    assert f["bodyDirection"] == f["dir"]
    # The main column starts at the right edge on a right-to-left page:
    # the label, the legend and the button sit against the start of the
    # content box (within a fieldset's border and padding, 17 px), away
    # from its end; each radio button is on the start side of its label.
    for part in ("label", "submit", "legend"):
        e = f[part]
        start, end = (e["fromRight"], e["fromLeft"]) if rtl else \
            (e["fromLeft"], e["fromRight"])
        assert 0 <= start <= 24, (part, e)
        # (A label may wrap to fill the column; the button never does.)
        assert part == "label" or end > 40, (part, e)
    assert f["choice"] == ("control-right" if rtl else "control-left")
    # Nothing scrolls sideways on the phone.
    assert f["scrollWidth"] <= 390, f


@browser_only
@pytest.mark.parametrize("lang", LANGS)
def test_letters_have_glyphs(forms, lang):
    assert forms[lang]["missingGlyphs"] == [], \
        f"{lang}: no font draws {forms[lang]['missingGlyphs']}"


@browser_only
def test_form_screenshots_taken(forms):
    for lang in LANGS:
        data = Path(forms[lang]["shot"]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000, lang


@pytest.mark.parametrize("lang,description", [
    ("ar", "نشر شخص في قناة تيليغرام رسالة تهين جيراننا بسبب أصلهم."),
    ("so", "Qof ayaa kanaalka Telegram ku qoray fariin lagu caayayo "
           "deriskayaga asalkooda dartiis."),
])
def test_tip_sent_without_javascript(node_env, wenv, shots,  # noqa: F811
                                     lang, description):
    url = "https://t.me/esimerkki/123"
    _, out = run_js(node_env, "languages.mjs", wenv.url, str(shots),
                    json.dumps({"submit": lang, "description": description,
                                "url": url}))
    t = messages(lang)
    r = out["receipt"]
    assert out["receiptStatus"] == 200, out
    assert (r["lang"], r["dir"]) == (lang, "rtl" if lang in RTL else "ltr")
    assert code_is_valid(r["code"]), r
    # The code reads left to right inside right-to-left text, and fits.
    assert r["codeDirection"] == "ltr" and r["codeFits"], r
    assert r["scrollWidth"] <= 390, r
    assert (out["statusFormLang"], out["statusStatus"],
            out["statusLang"]) == (lang, 200, lang), out
    assert out["statusResult"], out
    assert t["status.found"] in out["statusResult"], out["statusResult"]
    assert t["status.state.received"] in out["statusResult"]
    assert out["failedRequests"] == [], out["failedRequests"]

    row = wenv.db.q("SELECT lang, channel, platform, sealed_description "
                    "FROM tip WHERE id = %s",
                    (tip_id(wenv.db, wenv.keys, r["code"]),))
    assert len(row) == 1, r["code"]
    assert row[0][:3] == (lang, "online", "telegram")
    assert unseal(wenv.keys, row[0][3]).decode() == description


def test_status_read_in_persian(node_env, wenv, shots):  # noqa: F811
    """A reply in Persian and one in English, read on the Persian page:
    the Persian one right to left, the English one marked as English, and
    the days left to right."""
    code = submit_tip(wenv, tip_fields(lang="fa", feedback="receipt"))
    tip = tip_id(wenv.db, wenv.keys, code)
    # Filed here by hand: its ingest job is not the worker's to run.
    wenv.db.q("DELETE FROM job WHERE tip_id = %s", (tip,))
    make_case(wenv.db, tip)
    fa_text = "گزارش شما را دریافت کردیم و در حال بررسی آن هستیم."
    add_message(wenv.db, tip, fa_text, "2026-01-05 09:30+02", lang="fa")
    add_message(wenv.db, tip, "We read your tip.", "2026-01-06 09:30+02")
    _, out = run_js(node_env, "languages.mjs", wenv.url, str(shots),
                    json.dumps({"status": "fa", "code": code}))
    s = out["status"]
    t = messages("fa")
    assert out["statusStatus"] == 200, out
    assert (s["lang"], s["dir"]) == ("fa", "rtl")
    assert t["status.found"] in s["result"]
    assert t["status.state.received"] in s["result"]
    fa, en = s["messages"]
    assert (fa["text"], fa["lang"], fa["direction"]) == (fa_text, "fa", "rtl")
    assert (en["text"], en["lang"], en["direction"]) == \
        ("We read your tip.", "en", "ltr")
    assert (fa["day"], fa["timeDirection"]) == ("2026-01-05", "ltr")
    assert s["scrollWidth"] <= 390
    assert Path(out["statusShot"]).stat().st_size > 10000


# ------------------------------------------------------------------- axe

def pages_in(url, lang):
    """axe.mjs steps: the form, a receipt and the status page in lang."""
    t = messages(lang)
    return [
        {"goto": f"{url}/{lang}"},
        {"audit": f"form-{lang}"},
        {"fill": "#description", "value": t["form.what.legend"] * 3},
        {"check": "#channel-online"},
        {"check": "#feedback-receipt"},
        {"click": "button[type=submit]"},
        {"expect": "#receipt-code"},
        {"audit": f"receipt-{lang}"},
        # The code carried to the status page as a person would copy it.
        {"eval": "sessionStorage.code = "
                 "document.querySelector('#receipt-code').textContent"},
        {"click": "a[href^='/status']"},
        {"expect": "#code"},
        {"audit": f"status-form-{lang}"},
        {"eval": "document.querySelector('#code').value = "
                 "sessionStorage.code"},
        {"click": "button[type=submit]"},
        {"expect": ".status-result"},
        {"audit": f"status-{lang}"},
    ]


@pytest.fixture(scope="module")
def axe(node_env, wenv, tmp_path_factory):  # noqa: F811
    d = tmp_path_factory.mktemp("languages-axe")
    steps = []
    for lang in LANGS:
        steps += pages_in(wenv.url, lang)
    p = subprocess.run(
        [node_env, "axe.mjs", "--phone", "--shots", str(d),
         *(json.dumps(s) for s in steps)],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=600)
    assert p.returncode in (0, 1), \
        f"axe.mjs exit {p.returncode}:\n{p.stdout}{p.stderr}"
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out.get("error") is None, out["error"]
    return {a["name"]: a for a in out["audits"]}, out["cspErrors"]


@browser_only
@pytest.mark.parametrize("page", ["form", "receipt", "status-form",
                                  "status"])
@pytest.mark.parametrize("lang", LANGS)
def test_axe_in_every_language(axe, lang, page):
    audits, csp = axe
    a = audits[f"{page}-{lang}"]
    assert a["status"] == 200, a["url"]
    assert a["violations"] == [], \
        f"{page}-{lang}: " + json.dumps(a["violations"], indent=1)[:4000]
    assert a["incomplete"] == [], \
        f"{page}-{lang} to review: " + \
        json.dumps(a["incomplete"], indent=1)[:4000]
    assert csp == []


# ------------------------------------------------------ screenshot text

@pytest.fixture(scope="module")
def worker(wenv):  # noqa: F811
    """The module's worker, with a long lease: a Russian screenshot sent
    from a Finnish page is read three times (Latin, script detection,
    Cyrillic), which under a sanitizer on a busy machine takes longer
    than the worker tests' short lease."""
    yield from run_module_worker(long_lease_conf(wenv))


@pytest.mark.parametrize("script,a,b,other", [
    ("cyrillic", "post_ru_a.png", "post_ru_b.png", "post_ru_other.png"),
    ("arabic", "post_ar_a.png", "post_ar_b.png", "post_ar_other.png"),
])
def test_shots_of_one_post_meet_through_their_text(wenv, worker, script,  # noqa: F811
                                                  a, b, other):
    """One post shot on two phones (other width, font and wrapping) and
    sent from a Finnish page and from the post's own language's page; a
    third tip shows another post in the same script."""
    own = "ru" if script == "cyrillic" else "ar"

    def send(name, lang, n):
        f = tip_fields(lang=lang, platform="telegram", url="",
                       description=f"Kuvakaappaus {n}: katso liite.",
                       motive=["ethnic"])
        code = submit_tip(wenv, f, [(OCR_DATA / name, name, "image/png")])
        return wait_tip(wenv, code, timeout=180, workers=[worker])

    first = send(a, "fi", 1)
    second = send(b, own, 2)
    third = send(other, own, 3)
    assert first["matched"] == "new", first
    assert second["matched"] in ("screenshot_text", "image_near"), second
    assert second["case_id"] == first["case_id"], (first, second)
    assert third["matched"] == "new", third
    assert third["case_id"] != first["case_id"]
    # The text read is kept, sealed, for the officer: in the post's script.
    n = wenv.db.one("SELECT count(*) FROM attachment WHERE tip_id = %s "
                    "AND sealed_text IS NOT NULL", (first["tip_id"],))
    assert n == 1
