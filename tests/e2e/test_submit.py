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
import hashlib
import itertools

import pytest

from tiplib import (GOOD, MIME, TRAILING_ZIP, check_exiftool,
                    check_structure, code_is_valid, counts, decode,
                    exif_orientation, file_arg, fmt_of, pixel_check,
                    receipt_code, sample, submit, submit_urlencoded,
                    tip_fields, tip_row, unseal, webp_is_lossless, exiftool)

TEXT = ("Hän kirjoitti: ”Ålänningar är …” – öljyä, säätöä ja ÅÄÖ åäö 🙈🔥👍🏽\r\n"
        "Toinen rivi: «citat» på svenska, ß, 中文, 😀.")


def expect_receipt(r, lang="en"):
    assert r.status == 200, f"{r.status}:\n{r.text[:3000]}"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<html lang="{lang}">' in r.text
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
    assert len(tip["text_key"]) == 32


def check_images(keys_dir, tip, names, tmp_path):
    """Every attachment against the sample it came from."""
    clean = []
    for a, name in zip(tip["attachments"], names, strict=True):
        fmt = fmt_of(name)
        orig = sample(name).read_bytes()
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
    assert unseal(keys_dir, tip["sealed_description"]).decode() == TEXT
    assert unseal(keys_dir, tip["sealed_url"]).decode() == \
        "https://example.com/posts/1234"
    assert len(tip["url_key"]) == 32
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
    assert tip["sealed_url"] is None and tip["url_key"] is None


def test_urlencoded_without_files(intake, keys_dir, pg, curl):
    before = counts(pg)
    fields = tip_fields(description=TEXT, channel="place",
                        municipality="091", place="Rautatientori",
                        platform="", url="")
    code = expect_receipt(submit_urlencoded(intake.url, fields))
    tip = tip_row(pg, keys_dir, code)
    check_tip_rows(tip, 0)
    assert counts(pg) == (before[0] + 1, before[1], before[2] + 1)
    assert unseal(keys_dir, tip["sealed_description"]).decode() == TEXT
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
