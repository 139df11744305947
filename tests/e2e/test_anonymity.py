"""Nothing that could identify a tipster is kept anywhere: not the
address, the User-Agent, the Referer, a cookie, forwarding headers, the
screenshots' file names, or what their metadata said (camera, GPS,
thumbnail).  A private cluster and daemon get tips and lookups from
127.0.0.2 with all of these set; then the database (pg_dump, and every
byte of the cluster's directory after a CHECKPOINT), the PostgreSQL log,
the daemon's log, every file in the test's directories (the cluster's,
the config's, the session's keys), and every unsealed screenshot and
description are searched for them.  The only files the daemon holds
open for writing must be its log."""
import base64
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from e2elib import private_cluster, start_intake as _start_intake
from tiplib import (exif_gps_raw, exif_ifd0_entry, file_arg, receipt_code,
                    sample, status_lookup, submit, tip_fields, unseal)

UA = "Tipster-UA-7f3a9c"
REFERER = "https://referer-4c1d.example/secret-page?u=tipster"
COOKIE = "sessionid=cookie-value-5b8e1d"
XFF = "198.51.100.203"
SECRET_NAME = "IMG_secret_name"

CLIENT = ["--interface", "127.0.0.2", "-A", UA, "-e", REFERER,
          "-H", f"Cookie: {COOKIE}", "-H", f"X-Forwarded-For: {XFF}",
          "-H", f"Forwarded: for={XFF}", "-H", "Accept-Language: sv"]


@pytest.fixture(scope="module")
def world(keys_dir):
    with private_cluster(keys_dir, "anon") as (pg, conf, port, d):
        text = conf.read_text().replace("level = info", "level = debug")
        conf.write_text(text)
        it = _start_intake(conf, port, d / "intake.log")
        try:
            yield pg, d, it
        finally:
            it.stop()


def metadata_needles():
    """What the metadata of the GPS sample says, as bytes to look for:
    its EXIF GPS latitude/longitude as stored (RATIONALs) and as decimal
    text, the camera make (its raw IFD entry when the name is too short
    to search for alone), other telling strings of EXIF/XMP/comment, the
    XMP coordinates, and bytes of the embedded thumbnail."""
    src = sample("exif_gps_thumb.jpg")
    data = src.read_bytes()
    p = subprocess.run(["exiftool", "-j", "-n", "-a", "-b", str(src)],
                       capture_output=True, text=True, timeout=30)
    info = json.loads(p.stdout)[0]
    found = {}
    raw = exif_gps_raw(data)
    assert raw, "exif_gps_thumb.jpg has no GPS coordinates in its EXIF"
    for k, v in raw.items():
        found[f"GPS {k} rationals"] = v
    for k in ("GPSLatitude", "GPSLongitude"):
        if isinstance(info.get(k), (int, float)):
            found[f"{k} decimal"] = f"{abs(float(info[k])):.4f}".encode()
    make = str(info.get("Make", "")).strip()
    assert make, "exif_gps_thumb.jpg has no camera make"
    if len(make) >= 5:
        found["Make"] = make.encode()
    else:
        entry = exif_ifd0_entry(data, 0x010F)
        assert entry and make.encode() in entry, entry
        found["Make (EXIF entry)"] = entry
    for k in ("Model", "Software", "Comment", "GPSProcessingMethod",
              "CreatorTool", "Artist", "Author", "UserComment"):
        v = str(info.get(k, "")).strip()
        if len(v) >= 6:
            found[k] = v.encode()
    # XMP coordinates as written ("52,22.1N").
    for m in re.finditer(rb'GPS(?:Latitude|Longitude)="([^"]{4,})"', data):
        found[f"XMP {m.group(0)[:12].decode()}"] = m.group(1)
    thumb = str(info.get("ThumbnailImage", ""))
    assert thumb.startswith("base64:"), "exif_gps_thumb.jpg has no thumbnail"
    tb = base64.b64decode(thumb[7:])
    # 24 bytes from the middle of the thumbnail's entropy-coded data (its
    # tables are the standard ones every JPEG has).
    sos = tb.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(tb[sos + 2:sos + 4], "big")
    end = tb.rindex(b"\xff\xd9")
    assert end - start >= 48, "thumbnail scan too short to search for"
    mid = (start + end) // 2
    found["thumbnail bytes"] = tb[mid - 12:mid + 12]
    return found


def needles():
    n = {"address": b"127.0.0.2", "User-Agent": UA.encode(),
         "Referer": b"referer-4c1d", "cookie": b"cookie-value-5b8e1d",
         "forwarded address": XFF.encode(), "file name": SECRET_NAME.encode()}
    n.update(metadata_needles())
    return n


def scan(blobs, what):
    hits = []
    for where, data in blobs:
        for name, needle in what.items():
            if needle in data:
                hits.append(f"{name} ({needle[:40]!r}) in {where}")
    return hits


def files_under(*dirs):
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                p = Path(root, n)
                if p.is_file() and not p.is_symlink():
                    yield p


def written_files(pid):
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
        except OSError:
            continue
        flags = int(info.split("flags:")[1].split()[0], 8)
        if flags & 3 and target.startswith("/") and \
                not target.startswith(("/dev/", "/proc/")):
            out.append(target)
    return out


def test_nothing_identifying_is_kept(world, keys_dir):
    pg, d, it = world
    url = it.url
    codes = []
    # Tips with screenshots under telling names, one each way.
    files = [file_arg("exif_gps_thumb.jpg", f"{SECRET_NAME}.jpg"),
             file_arg("meta.webp", f"{SECRET_NAME}_2.webp"),
             file_arg("chunks.png", f"{SECRET_NAME}_3.png")]
    r = submit(url, tip_fields(), files, extra=CLIENT)
    assert r.status == 200, r.text[:2000]
    codes.append(receipt_code(r.text))
    # A refusal whose screenshot is kept in memory, then the resubmission.
    r = submit(url, tip_fields(date="2024-99-99"),
               [file_arg("exif_gps_thumb.jpg", f"{SECRET_NAME}_4.jpg")],
               extra=CLIENT)
    assert r.status == 422
    token = r.text.split('name="kept" value="')[1][:32]
    r = submit(url, tip_fields() + [("kept", token), ("keep", "1")],
               extra=CLIENT)
    assert r.status == 200, r.text[:2000]
    codes.append(receipt_code(r.text))
    # A refused file, the honeypot, and a urlencoded tip.
    r = submit(url, tip_fields(), [file_arg("pdf_renamed.png",
                                            f"{SECRET_NAME}_5.png")],
               extra=CLIENT)
    assert r.status == 422
    r = submit(url, tip_fields(website="x"), files, extra=CLIENT)
    assert r.status == 200
    # Lookups: found, not found, typo, GET.
    for c in codes:
        assert status_lookup(url, c, extra=CLIENT).status == 200
    assert status_lookup(url, "AAAAAA-AAAAAA-AAAAA0",
                         extra=CLIENT).status in (404, 422)
    assert status_lookup(url, "nonsense", extra=CLIENT).status == 422
    from e2elib import curl
    assert curl(*CLIENT, f"{url}/status", f"{url}/fi").status == 200

    # Files the daemon holds open for writing: its log, nothing else.
    assert set(written_files(it.proc.pid)) <= {str(it.log_path)}

    pg.psql("CHECKPOINT")
    dump = subprocess.run(["pg_dump", "-h", pg.host, "-p", str(pg.port),
                           "-U", "postgres", "tipline"], capture_output=True,
                          timeout=60)
    assert dump.returncode == 0, dump.stderr
    inserts = subprocess.run(["pg_dump", "-h", pg.host, "-p", str(pg.port),
                              "-U", "postgres", "--data-only", "--inserts",
                              "tipline"], capture_output=True, timeout=60)
    assert inserts.returncode == 0, inserts.stderr
    assert b"INSERT INTO public.tip" in inserts.stdout
    blobs = [("pg_dump", dump.stdout), ("pg_dump --inserts", inserts.stdout)]

    # Every stored screenshot, opened.
    with pg.connect() as conn:
        rows = conn.execute("SELECT sealed FROM attachment").fetchall()
        texts = conn.execute(
            "SELECT sealed_description, sealed_url FROM tip").fetchall()
    assert len(rows) == 4, len(rows)
    for i, (box,) in enumerate(rows):
        blobs.append((f"unsealed attachment {i}", unseal(keys_dir, box)))
    for desc, link in texts:
        blobs.append(("unsealed description", unseal(keys_dir, desc)))

    it.stop()
    assert it.log().strip(), "the daemon wrote no log at all"
    paths = set(files_under(pg.dir, d, keys_dir.dir))
    assert pg.dir / "postgres.log" in paths
    assert it.log_path in paths
    for p in sorted(paths):
        try:
            blobs.append((str(p), p.read_bytes()))
        except OSError:
            pass
    hits = scan(blobs, needles())
    assert not hits, "\n".join(hits)


def test_the_needles_would_be_found(world, keys_dir):
    """The search itself works: every needle is in the original sample
    or in what the client sent, so a leak could not go unseen."""
    orig = sample("exif_gps_thumb.jpg").read_bytes()
    meta = {k: v for k, v in metadata_needles().items()
            if "decimal" not in k}
    assert len(scan([("sample", orig)], meta)) == len(meta), meta
    assert any(k.startswith("Make") for k in meta)
    assert "thumbnail bytes" in meta and "GPS lat rationals" in meta
