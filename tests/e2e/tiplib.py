"""Helpers of the tip submission tests: submitting with curl, reading the
pages that come back, receipt codes, the database rows, unsealing, and
exact checks of the sanitised images (chunk/marker structure, pixels,
metadata as exiftool sees it).

Decoders used, and why:
  PNG   decoded here (zlib + the five filters + Adam7, every colour type
        and bit depth): the sanitiser must keep PNG pixels exactly, so the
        test compares them exactly, with no third-party decoder between.
  JPEG  djpeg (libjpeg-turbo-progs).  It exits 2 on any warning (a
        truncated or damaged stream), so "decodes" is strict; pixels are
        compared with the original's (turned by its EXIF orientation)
        within a small mean error, since the sanitiser re-encodes at q90.
  WebP  dwebp (Debian's webp), to RGBA PAM: exact for lossless files,
        within a small mean error for lossy ones.
"""
import hashlib
import hmac
import json
import re
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from e2elib import ROOT, Response, _parse_head, curl

IMG_DIR = ROOT / "tests" / "data" / "img"

# The samples a tipster may send, by format, and the ones to be refused.
GOOD = {
    "png": ["chunks.png", "zip_appended.png", "plain.png"],
    "jpeg": ["exif_gps_thumb.jpg", "rotated6.jpg", "plain.jpg"],
    "webp": ["meta.webp", "plain.webp"],
}
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
EXT_FMT = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def sample(name):
    """The path of a sample image; fails (never skips) if it is missing."""
    p = IMG_DIR / name
    assert p.is_file(), f"sample image missing: {p}"
    return p


def fmt_of(name):
    return EXT_FMT[Path(name).suffix.lower()]


# ------------------------------------------------------------- submitting

def tip_fields(**kw):
    """A valid online tip as (name, value) pairs; keyword arguments replace
    or add fields (a list value repeats the field, None drops it)."""
    base = {
        "lang": "en",
        "description": "Hateful post about a group, see the screenshots.",
        "channel": "online",
        "platform": "facebook",
        "url": "https://example.com/posts/1234",
        "municipality": "",
        "place": "",
        "date": "",
        "motive": ["ethnic", "religion"],
        "feedback": "receipt",
        "email": "",
        "website": "",
    }
    base.update(kw)
    out = []
    for k, v in base.items():
        if v is None:
            continue
        for one in (v if isinstance(v, list) else [v]):
            out.append((k, one))
    return out


def multipart_args(fields, files=()):
    """curl arguments: text fields literally (--form-string), files as
    (path, filename, content type)."""
    args = []
    for k, v in fields:
        args += ["--form-string", f"{k}={v}"]
    for path, filename, ctype in files:
        assert ";" not in filename and '"' not in filename
        args += ["-F", f"screenshot=@{path};filename={filename};type={ctype}"]
    return args


def file_arg(name, filename=None, ctype=None):
    """A sample as a curl file tuple, sent under its own name by default."""
    p = sample(name) if isinstance(name, str) else Path(name)
    return (p, filename or p.name, ctype or MIME.get(
        EXT_FMT.get(p.suffix.lower(), ""), "application/octet-stream"))


def submit(url, fields, files=(), extra=(), max_time=30, check=True):
    return curl(*extra, *multipart_args(fields, files), f"{url}/tip",
                max_time=max_time, check=check)


class Background:
    """A curl started in the background; result() waits for it and
    returns an e2elib.Response (status 0 if no answer came)."""

    def __init__(self, args, out_dir, max_time):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.hdr, self.body = self.dir / "h", self.dir / "b"
        self.err = open(self.dir / "err", "wb")
        self.max_time = max_time
        self.proc = subprocess.Popen(
            ["curl", "-sS", "-k", "--max-time", str(max_time), "-D",
             str(self.hdr), "-o", str(self.body), *[str(a) for a in args]],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.err)

    def result(self):
        self.proc.wait(self.max_time + 20)
        self.err.close()
        raw = self.hdr.read_bytes().decode("latin-1") \
            if self.hdr.exists() else ""
        status, headers = _parse_head(raw)
        data = self.body.read_bytes() if self.body.exists() else b""
        return Response(self.proc.returncode, status, headers, data,
                        (self.dir / "err").read_text(errors="replace"))


def submit_bg(url, fields, out_dir, files=(), extra=(), max_time=30):
    return Background([*extra, *multipart_args(fields, files), f"{url}/tip"],
                      out_dir, max_time)


def submit_urlencoded(url, fields, extra=(), max_time=30):
    args = []
    for k, v in fields:
        args += ["--data-urlencode", f"{k}={v}"]
    return curl(*extra, *args, f"{url}/tip", max_time=max_time)


def status_lookup(url, code, lang="en", extra=(), check=True):
    return curl(*extra, "--data-urlencode", f"code={code}",
                "--data-urlencode", f"lang={lang}", f"{url}/status",
                check=check)


# ----------------------------------------------------------- receipt codes

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{6}-[0-9A-HJKMNP-TV-Z]{6}-"
                     r"[0-9A-HJKMNP-TV-Z]{6}$")
RECEIPT_RE = re.compile(r'id="receipt-code"[^>]*>\s*([^<]*?)\s*<')


def check_digit(digits17):
    """Luhn mod 32 over ALPHABET, from the rightmost digit leftwards with
    factors 2, 1, 2, ... (written here from the algorithm, not the C)."""
    factor, total = 2, 0
    for ch in reversed(digits17):
        addend = factor * ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def code_is_valid(code):
    if not CODE_RE.match(code):
        return False
    d = code.replace("-", "")
    return check_digit(d[:17]) == d[17]


def shown(digits18):
    return f"{digits18[:6]}-{digits18[6:12]}-{digits18[12:]}"


def receipt_code(html):
    """The code on a receipt page; fails if the page has none."""
    m = RECEIPT_RE.search(html)
    assert m, "no id=receipt-code on the page:\n" + html[:3000]
    return m.group(1)


def receipt_hash(env, code):
    """HMAC-SHA256(pepper, canonical digits), as tip.receipt_hash."""
    pepper = bytes.fromhex((env.dir / "receipt.pepper").read_text().strip())
    return hmac.new(pepper, code.replace("-", "").encode(),
                    hashlib.sha256).digest()


# ---------------------------------------------------------------- database

def counts(pg):
    out = pg.psql("SELECT (SELECT count(*) FROM tip), "
                  "(SELECT count(*) FROM attachment), "
                  "(SELECT count(*) FROM job)")
    return tuple(int(x) for x in out.strip().split("\t"))


def tip_row(pg, env, code):
    """The tip of a receipt code as a dict (None if there is none), with
    its attachments (ordered by seq) and jobs."""
    h = receipt_hash(env, code)
    with pg.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT * FROM tip WHERE receipt_hash = %s", (h,))
        row = cur.fetchone()
        if row is None:
            return None
        tip = dict(zip([d.name for d in cur.description], row))
        cur.execute("SELECT * FROM attachment WHERE tip_id = %s ORDER BY seq",
                    (tip["id"],))
        names = [d.name for d in cur.description]
        tip["attachments"] = [dict(zip(names, r)) for r in cur.fetchall()]
        cur.execute("SELECT * FROM job WHERE tip_id = %s", (tip["id"],))
        names = [d.name for d in cur.description]
        tip["jobs"] = [dict(zip(names, r)) for r in cur.fetchall()]
    for a in tip["attachments"]:
        for k in ("sha256", "sealed"):
            a[k] = bytes(a[k])
    for k in ("sealed_description", "sealed_url", "sealed_place",
              "sealed_email"):
        if tip[k] is not None:
            tip[k] = bytes(tip[k])
    return tip


def unseal(env, box):
    from nacl.public import PrivateKey, SealedBox
    sk = bytes.fromhex((env.dir / "seal.key").read_text().strip())
    return SealedBox(PrivateKey(sk)).decrypt(bytes(box))


# ------------------------------------------------------------ form pages

class FormState(HTMLParser):
    """What a browser would show in the form's fields: textarea text,
    input values, checked radios/checkboxes, selected options; plus the
    text of every element with an id (error messages)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.textareas = {}
        self.inputs = []            # attrs dicts
        self.selected = {}          # select name -> [values]
        self.options = {}           # select name -> [values]
        self.texts = {}             # id -> text
        self._ta = None
        self._sel = None
        self._ids = []              # [(tag, id, depth)]
        self._depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "input":
            self.inputs.append(a)
            return
        if tag in ("br", "meta", "link", "img", "hr"):
            return
        self._depth += 1
        if "id" in a:
            self._ids.append([tag, a["id"], self._depth, ""])
        if tag == "textarea":
            self._ta = a.get("name")
            self.textareas[self._ta] = ""
        elif tag == "select":
            self._sel = a.get("name")
            self.selected.setdefault(self._sel, [])
        elif tag == "option" and self._sel is not None:
            self.options.setdefault(self._sel, []).append(a.get("value"))
            if "selected" in a:
                self.selected[self._sel].append(a.get("value"))

    def handle_endtag(self, tag):
        if tag in ("input", "br", "meta", "link", "img", "hr"):
            return
        while self._ids and self._ids[-1][2] == self._depth:
            t, i, _, text = self._ids.pop()
            self.texts[i] = " ".join(text.split())
        self._depth -= 1
        if tag == "textarea":
            self._ta = None
        elif tag == "select":
            self._sel = None

    def handle_data(self, data):
        if self._ta is not None:
            self.textareas[self._ta] += data
        for e in self._ids:
            e[3] += data

    def value(self, name):
        """The value of the text-like input NAME (first one)."""
        for a in self.inputs:
            if a.get("name") == name and a.get("type") not in (
                    "radio", "checkbox", "file"):
                return a.get("value", "")
        raise KeyError(name)

    def checked(self, name):
        return [a.get("value") for a in self.inputs
                if a.get("name") == name and "checked" in a]

    def has_input(self, name):
        return any(a.get("name") == name for a in self.inputs)


def assert_form_kept(html, fields):
    """Every typed value of FIELDS is back in the re-shown form."""
    f = FormState(html)
    want = {}
    for k, v in fields:
        want.setdefault(k, []).append(v)
    for k, vs in want.items():
        if k in ("website", "lang"):
            continue
        v = vs[0]
        if k == "description":
            # A browser drops one newline right after <textarea>.
            got = f.textareas.get("description")
            assert got is not None, "no description textarea"
            assert got.lstrip("\n") == v.replace("\r\n", "\n") or \
                got.lstrip("\n") == v, f"description not kept: {got!r}"
        elif k in ("channel", "feedback"):
            if v:
                assert f.checked(k) == [v], f"{k}: {f.checked(k)} != {v}"
        elif k == "motive":
            assert sorted(f.checked("motive")) == sorted(vs), \
                f"motives: {f.checked('motive')} != {vs}"
        elif k in ("platform", "municipality"):
            # A value not in the list cannot be shown as chosen.
            if v and v in f.options.get(k, []):
                assert f.selected.get(k) == [v], \
                    f"{k}: {f.selected.get(k)} != {v}"
            else:
                assert f.selected.get(k) == [], \
                    f"{k}: {f.selected.get(k)} selected for {v!r}"
        else:
            assert f.value(k) == v, f"{k}: {f.value(k)!r} != {v!r}"
    return f


# ------------------------------------------------------------- image checks

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_chunks(data):
    """[(type, body)] of a PNG; asserts the signature, every CRC, IEND
    last and nothing after it."""
    assert data[:8] == PNG_SIG, "not a PNG"
    pos, out = 8, []
    while True:
        assert pos + 8 <= len(data), "PNG ends inside a chunk header"
        n, = struct.unpack(">I", data[pos:pos + 4])
        typ = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(typ + body) == crc, f"bad CRC in {typ}"
        out.append((typ.decode("latin-1"), body))
        pos += 12 + n
        if typ == b"IEND":
            break
    return out, data[pos:]


def _unfilter(raw, width_bytes, bpp, rows):
    out = bytearray()
    prev = bytearray(width_bytes)
    pos = 0
    for _ in range(rows):
        ft = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + width_bytes])
        pos += 1 + width_bytes
        if ft == 1:
            for i in range(bpp, width_bytes):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            for i in range(width_bytes):
                line[i] = (line[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(width_bytes):
                a = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((a + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(width_bytes):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        else:
            assert ft == 0, f"bad PNG filter type {ft}"
        out += line
        prev = line
    return bytes(out), pos


def png_decode(data):
    """(width, height, RGBA bytes) of a PNG, 8 bits a channel: 16-bit
    samples scaled as libpng's png_set_scale_16, low bit depths and
    palettes expanded, tRNS applied, Adam7 undone."""
    chunks, _ = png_chunks(data)
    ihdr = chunks[0][1]
    assert chunks[0][0] == "IHDR"
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    plte = b"".join(b for t, b in chunks if t == "PLTE")
    trns = b"".join(b for t, b in chunks if t == "tRNS")
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == "IDAT"))
    chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    bits = depth * chans
    bpp = max(1, bits // 8)

    def samples(buf, width, rows):
        """Rows of unpacked integer samples."""
        out = []
        stride = (width * bits + 7) // 8
        for r in range(rows):
            line = buf[r * stride:(r + 1) * stride]
            if depth == 8:
                out.append(list(line[:width * chans]))
            elif depth == 16:
                out.append([(line[i] << 8) | line[i + 1]
                            for i in range(0, width * chans * 2, 2)])
            else:
                vals = []
                for byte in line:
                    for s in range(8 - depth, -1, -depth):
                        vals.append((byte >> s) & ((1 << depth) - 1))
                out.append(vals[:width * chans])
        return out

    grid = [[None] * w for _ in range(h)]
    passes = ([(0, 0, 1, 1)] if interlace == 0 else
              [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)])
    pos = 0
    for x0, y0, dx, dy in passes:
        pw = (w - x0 + dx - 1) // dx if w > x0 else 0
        ph = (h - y0 + dy - 1) // dy if h > y0 else 0
        if pw == 0 or ph == 0:
            continue
        stride = (pw * bits + 7) // 8
        buf, used = _unfilter(raw[pos:], stride, bpp, ph)
        pos += used
        for r, row in enumerate(samples(buf, pw, ph)):
            for c in range(pw):
                grid[y0 + r * dy][x0 + c * dx] = row[c * chans:(c + 1) * chans]

    def to8(v):
        if depth == 16:
            return (v * 255 + 32895) >> 16
        if depth < 8 and ctype != 3:
            return v * 255 // ((1 << depth) - 1)
        return v

    key = None
    if trns and ctype == 0:
        key = (struct.unpack(">H", trns[:2])[0],)
    elif trns and ctype == 2:
        key = struct.unpack(">HHH", trns[:6])
    out = bytearray()
    for row in grid:
        for s in row:
            if ctype == 3:
                i = s[0]
                r, g, b = plte[3 * i:3 * i + 3]
                a = trns[i] if i < len(trns) else 255
            elif ctype in (0, 4):
                r = g = b = to8(s[0])
                a = to8(s[1]) if ctype == 4 else (
                    0 if key is not None and tuple(s) == key else 255)
            else:
                r, g, b = (to8(x) for x in s[:3])
                a = to8(s[3]) if ctype == 6 else (
                    0 if key is not None and tuple(s) == key else 255)
            out += bytes((r, g, b, a))
    return w, h, bytes(out)


def jpeg_segments(data):
    """[(marker, payload)] of a JPEG up to SOS, then ('SOS+scan', ...);
    asserts SOI first, EOI last and nothing after it."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    pos, out = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF, f"JPEG: no marker at {pos}"
        while data[pos] == 0xFF:
            pos += 1
        m = data[pos]
        pos += 1
        if m == 0xD9:
            out.append((m, b""))
            break
        if 0xD0 <= m <= 0xD7 or m == 0x01:
            out.append((m, b""))
            continue
        n, = struct.unpack(">H", data[pos:pos + 2])
        payload = data[pos + 2:pos + n]
        pos += n
        out.append((m, payload))
        if m == 0xDA:
            # Entropy-coded data: skip to the next marker that is not a
            # stuffed 0xFF00 or a restart marker.
            while True:
                i = data.index(b"\xff", pos)
                nxt = data[i + 1]
                if nxt == 0 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    pos = i + 1 if nxt == 0xFF else i + 2
                    continue
                pos = i
                break
    return out, data[pos:]


def riff_chunks(data):
    """[(fourcc, body)] of a WebP; asserts the RIFF size covers exactly
    the file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "not a WebP"
    size, = struct.unpack("<I", data[4:8])
    assert size + 8 == len(data), \
        f"RIFF size {size + 8} but file has {len(data)} bytes"
    pos, out = 12, []
    while pos < len(data):
        fourcc = data[pos:pos + 4].decode("latin-1")
        n, = struct.unpack("<I", data[pos + 4:pos + 8])
        out.append((fourcc, data[pos + 8:pos + 8 + n]))
        pos += 8 + n + (n & 1)
    assert pos == len(data)
    return out


def structure(fmt, data):
    """The kinds of chunk/marker/segment in DATA, asserting the file is
    well framed and ends where its format says it ends."""
    if fmt == "png":
        chunks, tail = png_chunks(data)
        assert tail == b"", f"{len(tail)} bytes after IEND"
        return [t for t, _ in chunks]
    if fmt == "jpeg":
        segs, tail = jpeg_segments(data)
        assert tail == b"", f"{len(tail)} bytes after EOI"
        return [f"{m:02X}" for m, _ in segs]
    return [c for c, _ in riff_chunks(data)]


# What a sanitised file may contain, chunk by chunk: nothing but pixels
# and what is needed to decode them.
ALLOWED_STRUCTURE = {
    "png": {"IHDR", "IDAT", "IEND"},
    # SOI implied; APP0 (JFIF only), DQT, SOF0/1/2, DHT, DRI, SOS, RSTn, EOI
    "jpeg": {"E0", "DB", "C0", "C1", "C2", "C4", "DD", "DA", "D9"} |
            {f"D{i}" for i in range(8)},
    "webp": {"VP8 ", "VP8L", "VP8X", "ALPH"},
}


def check_structure(fmt, data):
    kinds = structure(fmt, data)
    bad = [k for k in kinds if k not in ALLOWED_STRUCTURE[fmt]]
    assert not bad, f"{fmt}: chunks/markers beyond pixels: {bad} in {kinds}"
    if fmt == "jpeg":
        segs, _ = jpeg_segments(data)
        app0 = [p for m, p in segs if m == 0xE0]
        assert len(app0) <= 1 and all(p[:5] == b"JFIF\0" and len(p) == 14
                                      for p in app0), \
            "APP0 is not one minimal JFIF header (a JFXX thumbnail?)"
    if fmt == "webp":
        for c, body in riff_chunks(data):
            if c == "VP8X":
                flags = body[0]
                # ICC 0x20, EXIF 0x08, XMP 0x04, animation 0x02: none.
                assert flags & 0x2E == 0, f"VP8X flags {flags:#x}"
    return kinds


def _run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True,
                          timeout=60, **kw)


def djpeg(data):
    """(w, h, channels, bytes) decoded by djpeg; fails on any warning."""
    p = _run(["djpeg", "-pnm"], input=data)
    assert p.returncode == 0, \
        f"djpeg exit {p.returncode}: {p.stderr.decode(errors='replace')}"
    return parse_pnm(p.stdout)


def dwebp(data):
    """(w, h, 4, RGBA bytes) decoded by dwebp."""
    with tempfile.TemporaryDirectory(prefix="tipline-webp-") as d:
        src, dst = Path(d, "in.webp"), Path(d, "out.pam")
        src.write_bytes(data)
        p = _run(["dwebp", "-quiet", "-pam", src, "-o", dst])
        assert p.returncode == 0, \
            f"dwebp exit {p.returncode}: {p.stderr.decode(errors='replace')}"
        return parse_pnm(dst.read_bytes())


def parse_pnm(b):
    if b[:2] == b"P7":
        head, _, rest = b.partition(b"ENDHDR\n")
        f = dict(l.split(None, 1) for l in head.decode().splitlines()[1:]
                 if " " in l)
        w, h, ch = int(f["WIDTH"]), int(f["HEIGHT"]), int(f["DEPTH"])
        return w, h, ch, rest[:w * h * ch]
    m = re.match(rb"(P[56])\s+(\d+)\s+(\d+)\s+(\d+)\s", b)
    assert m, "not a PNM"
    ch = 3 if m.group(1) == b"P6" else 1
    w, h = int(m.group(2)), int(m.group(3))
    return w, h, ch, b[m.end():m.end() + w * h * ch]


def decode(fmt, data):
    """(w, h, channels, pixels) by the decoders described above."""
    if fmt == "png":
        w, h, px = png_decode(data)
        return w, h, 4, px
    if fmt == "jpeg":
        return djpeg(data)
    return dwebp(data)


def orient(w, h, ch, px, orientation):
    """Pixels turned the way an EXIF orientation tells a viewer to show
    them (only 1, 3, 6 and 8 are needed by the samples)."""
    if orientation in (1, None):
        return w, h, px
    src = memoryview(px)
    out = bytearray(len(px))
    if orientation == 3:
        for y in range(h):
            for x in range(w):
                s = (y * w + x) * ch
                d = ((h - 1 - y) * w + (w - 1 - x)) * ch
                out[d:d + ch] = src[s:s + ch]
        return w, h, bytes(out)
    assert orientation in (6, 8), f"orientation {orientation} not handled"
    # 6: turn 90 degrees clockwise; 8: counter-clockwise.  New size h x w.
    for y in range(h):
        for x in range(w):
            s = (y * w + x) * ch
            if orientation == 6:
                nx, ny = h - 1 - y, x
            else:
                nx, ny = y, w - 1 - x
            d = (ny * h + nx) * ch
            out[d:d + ch] = src[s:s + ch]
    return h, w, bytes(out)


def mean_abs_diff(a, b, step=7):
    """Mean absolute difference of two equal-length pixel buffers, over
    every STEP-th byte (enough to tell a turned or garbled picture)."""
    assert len(a) == len(b)
    n = 0
    total = 0
    for i in range(0, len(a), step):
        total += abs(a[i] - b[i])
        n += 1
    return total / max(n, 1)


def exif_ifd0(data):
    """The byte order ("<" or ">") of a JPEG's EXIF and its 12-byte IFD0
    entries; (">", []) if it has no EXIF."""
    segs, _ = jpeg_segments(data)
    for m, p in segs:
        if m == 0xE1 and p[:6] == b"Exif\0\0":
            t = p[6:]
            e = "<" if t[:2] == b"II" else ">"
            off, = struct.unpack(e + "I", t[4:8])
            n, = struct.unpack(e + "H", t[off:off + 2])
            return e, [t[off + 2 + 12 * i:off + 14 + 12 * i]
                       for i in range(n)]
    return ">", []


def exif_ifd0_entry(data, tag):
    """The 12 raw bytes of an IFD0 entry of a JPEG's EXIF, or None."""
    e, entries = exif_ifd0(data)
    for ent in entries:
        if struct.unpack(e + "H", ent[:2])[0] == tag:
            return ent
    return None


def exif_orientation(data):
    """IFD0 Orientation of a JPEG's EXIF, 1 if none."""
    e, _ = exif_ifd0(data)
    ent = exif_ifd0_entry(data, 0x0112)
    return 1 if ent is None else struct.unpack(e + "H", ent[8:10])[0]


def exif_gps_raw(data):
    """The raw bytes of GPSLatitude and GPSLongitude (3 RATIONALs each) in
    a JPEG's EXIF, as they would appear if copied; {} if none."""
    segs, _ = jpeg_segments(data)
    for m, p in segs:
        if m != 0xE1 or p[:6] != b"Exif\0\0":
            continue
        t = p[6:]
        e = "<" if t[:2] == b"II" else ">"

        def entries(off):
            n, = struct.unpack(e + "H", t[off:off + 2])
            for i in range(n):
                ent = t[off + 2 + 12 * i:off + 14 + 12 * i]
                tag, typ, cnt = struct.unpack(e + "HHI", ent[:8])
                yield tag, typ, cnt, ent[8:12]

        ifd0, = struct.unpack(e + "I", t[4:8])
        gps = [struct.unpack(e + "I", v)[0] for tag, _, _, v in entries(ifd0)
               if tag == 0x8825]
        out = {}
        for tag, typ, cnt, v in entries(gps[0]) if gps else []:
            if tag in (2, 4) and typ == 5 and cnt == 3:
                o, = struct.unpack(e + "I", v)
                out["lat" if tag == 2 else "lon"] = t[o:o + 24]
        return out
    return {}


def exiftool(paths):
    """{path: {"Group:Tag": value}} from exiftool -j -a -u -G1."""
    p = _run(["exiftool", "-j", "-a", "-u", "-G1", *paths])
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return {d["SourceFile"]: d for d in json.loads(p.stdout)}


# Tags exiftool may report on a clean file: the file system's, the
# format's frame (size, depth, colour type, compression, the JFIF header)
# and ones it derives from those.  Anything else (EXIF, GPS, XMP, IPTC,
# ICC, a thumbnail, a comment, a text chunk, a warning about trailing
# data) fails the test.
ALLOWED_TAGS = {
    "any": {"SourceFile", "ExifTool:ExifToolVersion"} | {
        f"System:{t}" for t in ("FileName", "Directory", "FileSize",
                                "FileModifyDate", "FileAccessDate",
                                "FileInodeChangeDate", "FilePermissions")} |
        {f"File:{t}" for t in ("FileType", "FileTypeExtension", "MIMEType")} |
        {"Composite:ImageSize", "Composite:Megapixels"},
    "png": {f"PNG:{t}" for t in ("ImageWidth", "ImageHeight", "BitDepth",
                                 "ColorType", "Compression", "Filter",
                                 "Interlace")},
    "jpeg": {f"File:{t}" for t in ("ImageWidth", "ImageHeight",
                                   "EncodingProcess", "BitsPerSample",
                                   "ColorComponents", "YCbCrSubSampling")} |
            {f"JFIF:{t}" for t in ("JFIFVersion", "ResolutionUnit",
                                   "XResolution", "YResolution")},
    "webp": {f"RIFF:{t}" for t in ("VP8Version", "ImageWidth", "ImageHeight",
                                   "HorizontalScale", "VerticalScale",
                                   "AlphaIsUsed", "WebP_Flags",
                                   "ImageSize", "AlphaPreprocessing",
                                   "AlphaFiltering", "AlphaCompression")},
}


def check_exiftool(fmt, tags):
    allowed = ALLOWED_TAGS["any"] | ALLOWED_TAGS[fmt]
    extra = {k: v for k, v in tags.items() if k not in allowed}
    assert not extra, f"{fmt}: exiftool finds more than the basics: {extra}"
    flags = str(tags.get("RIFF:WebP_Flags", ""))
    for word in ("ICC", "EXIF", "XMP", "Animation"):
        assert word not in flags, f"WebP flags {flags}"


TRAILING_ZIP = b"PK\x03\x04"


def pixel_check(fmt, orig_fmt_data, clean_dec, orientation=1, lossless=None):
    """Compares the clean file's pixels with the original's."""
    ow, oh, och, opx = decode(fmt, orig_fmt_data)
    cw, ch_, cch, cpx = clean_dec
    ow, oh, opx = orient(ow, oh, och, opx, orientation)
    assert (cw, ch_) == (ow, oh), \
        f"size {cw}x{ch_}, original shows as {ow}x{oh}"
    if fmt == "png":
        assert cpx == opx, "PNG pixels differ from the original's"
        return 0.0
    assert cch == och, f"channels {cch} vs {och}"
    if fmt == "webp" and lossless:
        assert cpx == opx, "lossless WebP pixels differ from the original's"
        return 0.0
    d = mean_abs_diff(cpx, opx)
    assert d < 4.0, f"{fmt}: mean pixel difference {d:.2f} (turned wrong?)"
    return d


def webp_is_lossless(data):
    return any(c == "VP8L" for c, _ in riff_chunks(data))


# ------------------------------------------------------------ PNG variants

def _chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + \
        struct.pack(">I", zlib.crc32(t + b))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
         (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_encode(w, h, ctype, depth, pixel, plte=b"", trns=b"",
               interlace=False, extra=()):
    """A PNG whose sample values at (x, y) are pixel(x, y) (a tuple, one
    value per channel), written with filter 0 (and Adam7 if asked), for
    making inputs of every colour type and depth in a test's tmp dir."""
    chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]

    def row_bytes(xs, y):
        if depth >= 8:
            out = bytearray()
            for x in xs:
                for v in pixel(x, y):
                    out += v.to_bytes(depth // 8, "big")
            return bytes(out)
        bits = []
        for x in xs:
            bits += list(pixel(x, y))
        out = bytearray()
        per = 8 // depth
        for i in range(0, len(bits), per):
            byte = 0
            grp = bits[i:i + per] + [0] * (per - len(bits[i:i + per]))
            for v in grp:
                byte = (byte << depth) | v
            out.append(byte)
        return bytes(out)

    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, w, dx))
        if not xs:
            continue
        for y in range(y0, h, dy):
            raw += b"\0" + row_bytes(xs, y)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0,
                       1 if interlace else 0)
    body = _chunk(b"IHDR", ihdr)
    if plte:
        body += _chunk(b"PLTE", plte)
    if trns:
        body += _chunk(b"tRNS", trns)
    for t, b in extra:
        body += _chunk(t, b)
    body += _chunk(b"IDAT", zlib.compress(bytes(raw)))
    return PNG_SIG + body + _chunk(b"IEND", b"")


def png_variants():
    """{name: bytes}: PNGs of every colour type, several depths, with
    tRNS, Adam7 and ancillary chunks that must go."""
    w, h = 37, 23
    gray = lambda x, y: ((x * 7 + y * 3) % 256,)  # noqa: E731
    rgb = lambda x, y: ((x * 7) % 256, (y * 11) % 256,  # noqa: E731
                        (x * y) % 256)
    plte = bytes(v for i in range(16) for v in (i * 16, 255 - i * 16,
                                                (i * 37) % 256))
    anc = [(b"tEXt", b"Comment\0secret"), (b"gAMA", struct.pack(">I", 45455)),
           (b"pHYs", struct.pack(">IIB", 2835, 2835, 1))]
    return {
        "gray8": png_encode(w, h, 0, 8, gray),
        "gray1": png_encode(w, h, 0, 1, lambda x, y: ((x + y) % 2,)),
        "gray4-trns": png_encode(w, h, 0, 4, lambda x, y: ((x + y) % 16,),
                                 trns=struct.pack(">H", 5)),
        "gray16": png_encode(w, h, 0, 16, lambda x, y: (
            (x * 1777 + y * 313) % 65536,)),
        "rgb8-trns-anc": png_encode(w, h, 2, 8, rgb,
                                    trns=struct.pack(">HHH", 0, 0, 0),
                                    extra=anc),
        "rgb16": png_encode(w, h, 2, 16, lambda x, y: (
            (x * 1777) % 65536, (y * 2999) % 65536, (x * y * 31) % 65536)),
        "pal4-trns": png_encode(w, h, 3, 4, lambda x, y: ((x + 2 * y) % 16,),
                                plte=plte, trns=bytes(range(0, 256, 32))),
        "pal8": png_encode(w, h, 3, 8, lambda x, y: ((x * y) % 16,),
                           plte=plte),
        "graya8": png_encode(w, h, 4, 8, lambda x, y: (
            (x * 5) % 256, (y * 9) % 256)),
        "rgba8-adam7": png_encode(w, h, 6, 8, lambda x, y: rgb(x, y) + (
            (x * 13 + y) % 256,), interlace=True),
        "rgba16-adam7": png_encode(w, h, 6, 16, lambda x, y: (
            (x * 1777) % 65536, (y * 2999) % 65536, 4242,
            (x * 999 + y) % 65536), interlace=True),
    }
