"""Screenshots refused for their pixels, from their headers, before any
is decoded: a decompression bomb (6000 x 6666 zero pixels in 39 KB, under
the per-image pixel limit) and a tip whose screenshots each pass but
together exceed [limits] max_pixels_per_tip.  Each refusal re-shows the
form with everything typed and the file's own message, and stores
nothing."""
import re
import struct
import zlib

import pytest

from e2elib import Page, free_port, set_key
from tiplib import (assert_form_kept, counts, file_arg, receipt_code,
                    submit, tip_fields, tip_row)

DESCRIPTION = ("Kuvakaappaus ketjusta – “pois täältä” ÅÄÖ 😡\r\n"
               "Second line <b>no tag</b> & sign")

# lib/messages.tsv, English.
SPARSE = "its file is almost empty"
TIP_PIXELS = "makes the tip too large"

# Each sample is 270 x 480 = 129,600 pixels: two fit, three do not.
BUDGET = 300000


def typed(**kw):
    base = dict(description=DESCRIPTION, channel="online",
                platform="telegram", url="https://t.me/example/42",
                motive=["ethnic", "religion"], feedback="receipt",
                lang="en")
    base.update(kw)
    return tip_fields(**base)


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def zero_png(w, h):
    """W x H zero pixels of 8-bit grey at zlib's best level, as the bomb
    that was sent: deflate packs about 1030 zero bytes into one."""
    z = zlib.compressobj(9)
    row = b"\0" * (w + 1)  # filter byte and pixels
    idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def refused(r, fields, pg, before):
    """The form again, status 422, what was typed, nothing stored."""
    assert r.status == 422, f"{r.status}:\n{r.text[:3000]}"
    assert 'action="/tip"' in r.text, "the form is not shown again"
    assert 'id="receipt-code"' not in r.text
    assert Page(r.text).errors == []
    f = assert_form_kept(r.text, fields)
    assert "Second line" in f.textareas.get("description", "")
    assert counts(pg) == before, "something was stored"
    return f


def file_errors(f):
    return {k: v for k, v in f.texts.items()
            if k.startswith("screenshot-error") and v}


def test_decompression_bomb(intake, pg, workdir):
    """The 6000 x 6666 bomb is under max_pixels (40 million) and was
    accepted before; now its size gives it away."""
    bomb = workdir / "bomb.png"
    bomb.write_bytes(zero_png(6000, 6666))
    assert bomb.stat().st_size < 40 << 10
    fields = typed()
    before = counts(pg)
    r = submit(intake.url, fields, [file_arg("plain.png"),
                                    file_arg(bomb, "blank_shot.png")])
    f = refused(r, fields, pg, before)
    errs = file_errors(f)
    assert list(errs) == ["screenshot-error-2"], errs
    msg = errs["screenshot-error-2"]
    assert "blank_shot.png" in msg and SPARSE in msg, msg
    # The good one is kept for the next try, the bomb is not.
    assert f.checked("keep") == ["1"]


@pytest.fixture
def tight(keys_dir, start_intake, workdir):
    """A daemon on the session database whose tips take BUDGET pixels."""
    port = free_port()
    text, _ = set_key(keys_dir.abs_text(), "limits", "max_pixels_per_tip",
                      str(BUDGET))
    return start_intake(keys_dir.variant(workdir, port=port, text=text), port)


def test_tip_over_its_pixel_budget(tight, pg, keys_dir):
    names = ["plain.png", "plain.jpg", "plain.webp"]
    fields = typed()
    before = counts(pg)
    r = submit(tight.url, fields, [file_arg(n, f"shot_{n}") for n in names])
    f = refused(r, fields, pg, before)
    errs = file_errors(f)
    assert list(errs) == ["screenshot-error-3"], errs
    msg = errs["screenshot-error-3"]
    assert "shot_plain.webp" in msg and TIP_PIXELS in msg, msg
    # The two that fit are kept; with them alone the tip goes in.
    assert f.checked("keep") == ["1", "2"]
    token = f.value("kept")
    assert re.fullmatch(r"[0-9a-f]{32}", token), token
    extra = [("kept", token), ("keep", "1"), ("keep", "2")]
    # Kept screenshots count too: the third again is still one too many.
    r = submit(tight.url, fields + extra, [file_arg("plain.webp")])
    f = refused(r, fields, pg, before)
    assert TIP_PIXELS in file_errors(f).get("screenshot-error-3", "")
    extra = [("kept", f.value("kept")), ("keep", "1"), ("keep", "2")]
    r = submit(tight.url, fields + extra)
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    tip = tip_row(pg, keys_dir, receipt_code(r.text))
    assert tip["nattachments"] == 2


def test_each_alone_fits(tight, pg, keys_dir):
    """Not a per-image limit: a tip of one screenshot goes in."""
    r = submit(tight.url, typed(), [file_arg("plain.webp")])
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    assert tip_row(pg, keys_dir, receipt_code(r.text))["nattachments"] == 1
