"""The enrolment QR code scans: totp_qr_svg() output (printed by
build/tests/qr_svg) is rendered by Debian's headless Chromium, as the
console's page would be, and read back by zbarimg (zbar-tools).  A
missing chromium or zbarimg fails the test (deploy/deps.sh test installs
both)."""
import base64
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from e2elib import BUILD, make_tempdir, run

CHROMIUM = "/usr/bin/chromium"
QR_SVG = BUILD / "tests" / "qr_svg"


@pytest.fixture(scope="module")
def tools():
    assert Path(CHROMIUM).is_file(), \
        f"{CHROMIUM} is missing: deploy/deps.sh test installs chromium"
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: deploy/deps.sh test installs " \
        "zbar-tools"
    assert QR_SVG.exists(), f"{QR_SVG} is missing: build first"
    d = make_tempdir("tipline-qr-")
    yield zbarimg, d
    shutil.rmtree(d, ignore_errors=True)


def render_and_scan(tools, text, name):
    zbarimg, d = tools
    p = run([QR_SVG, text])
    assert p.returncode == 0, p.stderr
    svg = p.stdout.strip()
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    page = d / f"{name}.html"
    page.write_text(
        "<!doctype html><html><head><style>"
        "html,body{margin:0;background:#fff}svg{width:600px;height:600px}"
        f"</style></head><body>{svg}</body></html>")
    # The page is deterministic, so a QR code that does not scan fails every
    # attempt; a loaded machine can make headless Chromium capture before
    # the SVG is painted, which a second capture does not repeat.
    for attempt in range(3):
        png = d / f"{name}-{attempt}.png"
        p = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", f"--user-data-dir={d / 'profile'}",
             "--virtual-time-budget=5000", "--window-size=600,600",
             f"--screenshot={png}", page.as_uri()],
            capture_output=True, text=True, timeout=120)
        assert p.returncode == 0 and png.exists(), p.stderr
        p = subprocess.run([zbarimg, "--quiet", "--raw", png],
                           capture_output=True, timeout=60)
        if p.returncode == 0:
            break
    assert p.returncode == 0, f"zbarimg read nothing: {p.stderr!r}"
    return p.stdout.decode("utf-8").rstrip("\n")


def test_enrolment_uri_scans(tools):
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    uri = (f"otpauth://totp/Tipline:anna.k?secret={secret}&issuer=Tipline"
           "&algorithm=SHA1&digits=6&period=30")
    assert render_and_scan(tools, uri, "uri") == uri


def test_larger_version_scans(tools):
    # About 300 bytes: version 10 or so, 57+ modules a side.
    text = "otpauth://totp/Tipline:" + "x" * 260 + "?secret=ABC"
    assert render_and_scan(tools, text, "long") == text
