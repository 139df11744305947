"""The tip form in a real browser: Debian's Chromium, headless, driven by
playwright-core (tests/e2e/browser/submit.mjs), with JavaScript on and
off, at a phone's viewport (390x844).  Needs node, npm and
/usr/bin/chromium (the node_env fixture in conftest.py).

The full-page screenshots of the form and of the receipt page are left in
pytest's temporary directory (/tmp/pytest-of-*/pytest-current/) for a
person to look at."""
import json
import struct
import subprocess
from pathlib import Path

import pytest

from e2elib import BROWSER_DIR
from tiplib import code_is_valid, sample, tip_row, unseal


@pytest.fixture(scope="module")
def runs(node_env, intake, tmp_path_factory):
    """submit.mjs's findings by mode, each run once for the module."""
    done = {}

    def get(mode):
        if mode not in done:
            out_dir = tmp_path_factory.mktemp(f"browser-{mode}")
            p = subprocess.run(
                [node_env, "submit.mjs", intake.url, str(out_dir), mode,
                 str(sample("plain.png")), str(sample("exif_gps_thumb.jpg"))],
                cwd=BROWSER_DIR, capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, \
                f"submit.mjs {mode} failed:\n{p.stdout}{p.stderr}"
            done[mode] = json.loads(p.stdout.strip().splitlines()[-1])
        return done[mode]
    return get


def png_size(path):
    data = Path(path).read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("mode", ["js", "nojs"])
def test_browser_submits_and_looks_up(runs, keys_dir, pg, mode):
    out = runs(mode)
    assert (out["formStatus"], out["formLang"]) == (200, "fi"), out
    assert out["receiptStatus"] == 200, out
    assert out["receiptLang"] == "fi"
    assert code_is_valid(out["code"]), out["code"]
    assert "Kiitos, vihjeesi on vastaanotettu" in out["receiptText"]
    # The copy button appears only where the script runs.
    assert out["copyVisible"] is (mode == "js")
    assert out["statusFormLang"] == "fi"
    assert out["statusStatus"] == 200, out
    assert out["statusResult"] and "Vihjeesi on perillä" in \
        out["statusResult"], out
    # No resource of the pages fails.  Chromium asks for /favicon.ico by
    # itself (a 404 here, unseen by the page's events, logged as a console
    # error); that one is let through.
    assert out["failedRequests"] == [], out["failedRequests"]
    assert [e for e in out["consoleErrors"] if not e.startswith(
        "Failed to load resource: the server responded with a status of "
        "404")] == [], out["consoleErrors"]

    tip = tip_row(pg, keys_dir, out["code"])
    assert tip is not None
    assert (tip["lang"], tip["channel"], tip["platform"], tip["municipality"],
            str(tip["event_date"]), sorted(tip["motives"])) == \
        ("fi", "both", "facebook", "091", "2024-10-05", ["ethnic", "skin"])
    assert [a["mime"] for a in tip["attachments"]] == \
        ["image/png", "image/jpeg"]
    assert unseal(keys_dir, tip["sealed_description"]).decode().startswith(
        "Bussipysäkillä huudettiin")
    assert unseal(keys_dir, tip["sealed_place"]).decode() == \
        "Rautatientori, bussipysäkki"


def test_phone_screenshots_taken(runs):
    out = runs("js")
    for key in ("formShot", "receiptShot"):
        w, h = png_size(out[key])
        assert w >= 390 and h >= 844, (key, w, h)


@pytest.mark.parametrize("page", ["form", "receipt"])
def test_phone_no_sideways_scrolling(runs, page):
    lay = runs("js")[f"{page}Layout"]
    # (A phone's layout viewport widens to the content, so the measure is
    # the device width, 390.)
    assert lay["scrollWidth"] <= 390, lay


def test_phone_choice_labels_beside_their_controls(runs):
    """A radio or checkbox left alone on its line with its label below
    is hard to read and to tap."""
    assert runs("js")["formLayout"]["wrappedChoices"] == []


def test_phone_receipt_code_breaks_only_between_groups(runs):
    out = runs("js")
    breaks = out["receiptLayout"]["codeBreaks"]
    assert breaks is not None
    assert all(prev == "-" for _, prev in breaks), \
        f"{out['code']} wraps inside a group at {breaks}"
