"""POST /tip that succeeds: the receipt page, the rows stored, and what
the sealed columns hold when opened with seal.key (exact text; images
that are clean, well framed, of the same type and size, with the
original's pixels).

Metadata allowed in a clean image (anything else fails):
  PNG   IHDR, IDAT, IEND only; exiftool: PNG:ImageWidth/ImageHeight/
        BitDepth/ColorType/Compression/Filter/Interlace.
  JPEG  SOI, one 14-byte JFIF APP0 (no JFXX thumbnail), DQT, SOFn, DHT,
        DRI, SOS, RSTn, EOI; exiftool: the SOF tags (size, encoding
        process, bits, components, subsampling) and JFIF:JFIFVersion/
        ResolutionUnit/XResolution/YResolution.
  WebP  VP8 /VP8L, and VP8X+ALPH for lossy with alpha, with no ICC/EXIF/
        XMP/animation flag; exiftool: RIFF frame tags (VP8Version, sizes,
        scales, alpha tags, WebP_Flags without ICC/EXIF/XMP/Animation).
Plus exiftool's file-system and derived tags (System:*, File:FileType/
FileTypeExtension/MIMEType, Composite:ImageSize/Megapixels).
"""
import datetime
import hashlib
import itertools
import subprocess
from zoneinfo import ZoneInfo

import pytest

from tiplib import (GOOD, MIME, TRAILING_ZIP, check_exiftool,
                    check_structure, code_is_valid, counts, decode,
                    exif_orientation, exiftool, file_arg, fmt_of,
                    pixel_check, png_variants, receipt_code, sample, submit,
                    submit_urlencoded, tip_fields, tip_row, unseal,
                    webp_is_lossless)

TEXT = ("Hän kirjoitti: ”Ålänningar är …” – öljyä, säätöä ja ÅÄÖ åäö 🙈🔥👍🏽\r\n"
        "Toinen rivi: «citat» på svenska, ß, 中文, 😀.")


def expect_receipt(r, lang="en"):
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers.get("cache-control") == "no-store"
    assert f'<html lang="{lang}" dir="ltr">' in r.text
    code = receipt_code(r.text)
    assert code_is_valid(code), f"malformed receipt code {code!r}"
    return code


def check_tip_rows(tip, nfiles):
    assert tip is not None, "receipt shown but no tip with its hash"
    assert tip["nattachments"] == nfiles
    assert [a["seq"] for a in tip["attachments"]] == \
        list(range(1, nfiles + 1))
    assert [(j["kind"], j["state"]) for j in tip["jobs"]] == \
        [("ingest", "queued")]
    at = tip["received_at"]
    assert (at.minute, at.second, at.microsecond) == (0, 0, 0), at
    assert tip["status"] == "received"
    # Dedup keys are the worker's to compute: the intake stores none.
    assert "text_key" not in tip and "url_key" not in tip


def check_images(keys_dir, tip, names, tmp_path, origs=None):
    """Every attachment against the sample (or the bytes in ORIGS, by
    name) it came from."""
    clean = []
    for a, name in zip(tip["attachments"], names, strict=True):
        fmt = fmt_of(name)
        orig = origs[name] if origs else sample(name).read_bytes()
        assert a["mime"] == MIME[fmt], (name, a["mime"])
        data = unseal(keys_dir, a["sealed"])
        assert hashlib.sha256(data).digest() == a["sha256"], name
        assert isinstance(a["phash"], int)
        kinds = check_structure(fmt, data)
        assert TRAILING_ZIP not in data, f"{name}: ZIP bytes kept"
        dec = decode(fmt, data)
        assert (dec[0], dec[1]) == (a["width"], a["height"]), \
            f"{name}: stored size {a['width']}x{a['height']}, " \
            f"image is {dec[0]}x{dec[1]}"
        orientation = exif_orientation(orig) if fmt == "jpeg" else 1
        lossless = webp_is_lossless(orig) if fmt == "webp" else None
        if fmt == "webp":
            assert webp_is_lossless(data) == lossless, \
                f"{name}: lossless {lossless} became {not lossless}"
        pixel_check(fmt, orig, dec, orientation, lossless)
        p = tmp_path / f"{a['seq']}-clean-{name}"
        p.write_bytes(data)
        clean.append((p, fmt, name, kinds))
    tags = exiftool([p for p, *_ in clean])
    for p, fmt, name, kinds in clean:
        t = tags[str(p)]
        try:
            check_exiftool(fmt, t)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
    return clean


def test_rotated_sample_is_really_turned():
    """Guards the test itself: rotated6.jpg must carry orientation 6 and
    not be square, or the width/height swap below proves nothing."""
    orig = sample("rotated6.jpg").read_bytes()
    assert exif_orientation(orig) == 6
    w, h, _, _ = decode("jpeg", orig)
    assert w != h


def test_without_screenshots(intake, keys_dir, pg, curl):
    before = counts(pg)
    fields = tip_fields(description=TEXT, lang="fi")
    code = expect_receipt(submit(intake.url, fields), "fi")
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 0)
    assert counts(pg) == (before[0] + 1, before[1], before[2] + 1)
    # Line breaks are stored as LF, however the browser sent them.
    assert unseal(keys_dir, tip["sealed_description"]).decode() == \
        TEXT.replace("\r\n", "\n")
    assert unseal(keys_dir, tip["sealed_url"]).decode() == \
        "https://example.com/posts/1234"
    assert tip["sealed_place"] is None and tip["sealed_email"] is None
    assert (tip["lang"], tip["channel"], tip["platform"], tip["feedback"],
            tip["municipality"], tip["event_date"]) == \
        ("fi", "online", "facebook", "receipt", None, None)
    assert sorted(tip["motives"]) == ["ethnic", "religion"]


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_screenshots(intake, keys_dir, pg, tmp_path, fmt, n):
    names = list(itertools.islice(itertools.cycle(GOOD[fmt]), n))
    before = counts(pg)
    r = submit(intake.url, tip_fields(), [file_arg(x) for x in names])
    code = expect_receipt(r)
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, n)
    assert counts(pg) == (before[0] + 1, before[1] + n, before[2] + 1)
    check_images(keys_dir, tip, names, tmp_path)
    # The same file gives the same clean file and hash every time.
    by_name = {}
    for a, name in zip(tip["attachments"], names):
        by_name.setdefault(name, set()).add((a["sha256"], a["phash"]))
    assert all(len(v) == 1 for v in by_name.values()), by_name


def test_mixed_formats_and_rotation(intake, keys_dir, pg, tmp_path):
    names = ["rotated6.jpg", "chunks.png", "meta.webp", "exif_gps_thumb.jpg",
             "zip_appended.png"]
    code = expect_receipt(submit(intake.url, tip_fields(),
                                 [file_arg(x) for x in names]))
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 5)
    check_images(keys_dir, tip, names, tmp_path)
    w, h, _, _ = decode("jpeg", sample("rotated6.jpg").read_bytes())
    a = tip["attachments"][0]
    assert (a["width"], a["height"]) == (h, w), "rotated6.jpg not turned"


def test_place_tip_fields(intake, keys_dir, pg):
    place = "Kauppatorin kioski, Ålandsgatan 3 – “bussipysäkki” 🚏"
    fields = tip_fields(lang="sv", channel="both", platform="other",
                        municipality="478", place=place, date="2024-02-29",
                        motive=["skin", "orientation", "unknown"],
                        feedback="none", url="")
    code = expect_receipt(submit(intake.url, fields), "sv")
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 0)
    assert (tip["lang"], tip["channel"], tip["platform"], tip["feedback"],
            tip["municipality"], str(tip["event_date"])) == \
        ("sv", "both", "other", "none", "478", "2024-02-29")
    assert sorted(tip["motives"]) == ["orientation", "skin", "unknown"]
    assert unseal(keys_dir, tip["sealed_place"]).decode() == place
    assert tip["sealed_url"] is None


def test_urlencoded_without_files(intake, keys_dir, pg, curl):
    before = counts(pg)
    fields = tip_fields(description=TEXT, channel="place",
                        municipality="091", place="Rautatientori",
                        platform="", url="")
    code = expect_receipt(submit_urlencoded(intake.url, fields))
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 0)
    assert counts(pg) == (before[0] + 1, before[1], before[2] + 1)
    # Line breaks are stored as LF, however the browser sent them.
    assert unseal(keys_dir, tip["sealed_description"]).decode() == \
        TEXT.replace("\r\n", "\n")
    assert unseal(keys_dir, tip["sealed_place"]).decode() == "Rautatientori"
    assert (tip["channel"], tip["municipality"], tip["platform"]) == \
        ("place", "091", None)


@pytest.mark.parametrize("feedback", ["email", "receipt", "none"])
def test_email_only_when_asked(intake, keys_dir, pg, feedback):
    email = "tipster.test@example.fi"
    code = expect_receipt(submit(intake.url, tip_fields(
        feedback=feedback, email=email)))
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 0)
    assert tip["feedback"] == feedback
    if feedback == "email":
        assert unseal(keys_dir, tip["sealed_email"]).decode() == email
    else:
        assert tip["sealed_email"] is None, "e-mail stored though not asked"


def test_feedback_defaults_to_receipt(intake, keys_dir, pg):
    code = expect_receipt(submit(intake.url, tip_fields(feedback=None)))
    assert tip_row(pg, keys_dir, code)["feedback"] == "receipt"


def test_every_tip_arrival_is_truncated_to_the_hour(intake, pg):
    """Over every tip this module stored (runs after the others)."""
    out = pg.psql("SELECT count(*), count(*) FILTER (WHERE received_at <> "
                  "date_trunc('hour', received_at)) FROM tip")
    total, bad = (int(x) for x in out.split())
    assert total > 0 and bad == 0, (total, bad)
    out = pg.psql("SELECT count(*) FROM tip t WHERE nattachments <> "
                  "(SELECT count(*) FROM attachment a WHERE a.tip_id = t.id)"
                  " OR (SELECT count(*) FROM job j WHERE j.tip_id = t.id "
                  "AND kind = 'ingest') <> 1")
    assert out.strip() == "0"


def test_png_of_every_colour_type_keeps_its_pixels(intake, keys_dir, pg,
                                                   tmp_path):
    """Generated PNGs (in tmp): grey 1/4/8/16 bits, RGB 8/16, palette 4/8
    with and without tRNS, grey+alpha, RGBA 8/16 with Adam7, ancillary
    chunks: each comes out as the same pixels (16-bit scaled to 8 as
    libpng's png_set_scale_16) with no chunk but IHDR, IDAT, IEND."""
    variants = {f"{k}.png": v for k, v in png_variants().items()}
    names = sorted(variants)
    for i in range(0, len(names), 5):
        part = names[i:i + 5]
        files = []
        for n in part:
            p = tmp_path / n
            p.write_bytes(variants[n])
            files.append(file_arg(p))
        code = expect_receipt(submit(intake.url, tip_fields(), files))
        tip = tip_row(pg, keys_dir, code)
        check_tip_rows(tip, len(part))
        check_images(keys_dir, tip, part, tmp_path, variants)


def test_lossless_webp_keeps_its_pixels(intake, keys_dir, pg, tmp_path):
    """Lossless WebPs made in tmp with cwebp -lossless -exact (from
    plain.png, and from an RGBA PNG with transparent pixels) stay lossless
    with exactly the same RGBA."""
    src = tmp_path / "rgba.png"
    src.write_bytes(png_variants()["rgba8-adam7"])
    origs = {}
    for name, png in (("plain-lossless.webp", sample("plain.png")),
                      ("rgba-lossless.webp", src)):
        out = tmp_path / name
        p = subprocess.run(["cwebp", "-quiet", "-lossless", "-exact",
                            str(png), "-o", str(out)], capture_output=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        origs[name] = out.read_bytes()
        assert webp_is_lossless(origs[name])
    names = sorted(origs)
    code = expect_receipt(submit(intake.url, tip_fields(), [
        file_arg(tmp_path / n) for n in names]))
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 2)
    check_images(keys_dir, tip, names, tmp_path, origs)


def test_description_at_the_browser_limit_with_line_breaks(intake, keys_dir,
                                                         pg):
    """The textarea's maxlength (max_description_chars, 10000) counts a
    line break as one character, as browsers do; they send it as CRLF.
    So 10000 characters with line breaks, as a browser lets them be
    typed, must be accepted and kept (line breaks stored as LF)."""
    text = ("ä" * 999 + "\r\n") * 10
    assert len(text.replace("\r\n", "\n")) == 10000
    code = expect_receipt(submit(intake.url, tip_fields(description=text)))
    tip = tip_row(pg, keys_dir, code)
    assert unseal(keys_dir, tip["sealed_description"]).decode() == \
        text.replace("\r\n", "\n")


def test_description_over_the_limit(intake, pg):
    before = counts(pg)
    r = submit(intake.url, tip_fields(description="ö" * 10001))
    assert r.status == 422
    assert "too long" in r.text
    assert counts(pg) == before


def test_date_today_in_finland_is_accepted(intake, keys_dir, pg):
    """Not in the future: today, by Finland's calendar, is fine (the
    date picker's max is the same day)."""
    today = datetime.datetime.now(ZoneInfo("Europe/Helsinki")).date()
    code = expect_receipt(submit(intake.url, tip_fields(
        date=today.isoformat())))
    assert tip_row(pg, keys_dir, code)["event_date"] == today
    r = submit(intake.url, tip_fields(date=(
        today + datetime.timedelta(days=1)).isoformat()))
    assert r.status == 422 and "future" in r.text
