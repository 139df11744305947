"""Dedup: tips sent through the real intake over TLS, ingested by a real
tipline-worker, end in the case their link, screenshot or text matches
(case_join.matched says which key), and only there.

The tips of this module are in a database of their own (worklib.wenv);
each test uses links, images and texts no other test uses.  Tips are
ingested one at a time (submit, then wait for the job), so the order of
case_join.matched is known.
"""
import hashlib
import hmac
import subprocess

import pytest

from e2elib import ROOT
from tiplib import png_decode, sample, tip_fields
import worklib
from worklib import (case_row, check_one_case_per_tip, dedup_key, hamming,
                     ingest, normalise, signed64, simhash)

TEXT_THRESHOLD = 11  # conf/tipline.ini [dedup] text_threshold
IMAGE_THRESHOLD = 7  # [dedup] image_threshold

# Fixtures (see worklib).
module_worker = worklib.module_worker
wenv = worklib.wenv


def short(n):
    """A description too short (< 8 words) to be a text key."""
    return f"dedup test tip {n}"


_n = [0]


def fields(**kw):
    _n[0] += 1
    kw.setdefault("description", short(_n[0]))
    return tip_fields(**kw)


def link_tip(url, platform="x", **kw):
    return fields(url=url, platform=platform, **kw)


def matched(tips):
    return [t["matched"] for t in tips]


# ------------------------------------------------------------------ links

def test_x_links_of_one_post(wenv, module_worker):
    sid = "1234567890123456789"
    links = [f"https://x.com/u/status/{sid}?s=20",
             f"https://mobile.twitter.com/u/status/{sid}",
             f"twitter.com/u/status/{sid}#m"]
    tips = []
    for i, link in enumerate(links):
        tips.append(ingest(wenv, link_tip(link), workers=[module_worker]))
        c = case_row(wenv.db, tips[0]["case_id"])
        # The case's size and priority grow with each tip.
        assert (c["ntips"], c["priority"]) == (i + 1, i + 1), c
    assert matched(tips) == ["new", "link", "link"]
    assert len({t["case_id"] for t in tips}) == 1
    assert [t["distance"] for t in tips] == [None, None, None]
    c = case_row(wenv.db, tips[0]["case_id"])
    assert c["department"] == "national" and not c["needs_routing"]
    assert c["status"] == "new"

    other = ingest(wenv, link_tip(
        f"https://x.com/u/status/{sid[:-1]}0?s=20"), workers=[module_worker])
    assert other["matched"] == "new"
    assert other["case_id"] != tips[0]["case_id"]
    assert case_row(wenv.db, tips[0]["case_id"])["ntips"] == 3


def test_youtube_links_of_one_video(wenv, module_worker):
    vid = "Qx7_kP-3zA9"
    links = [f"https://www.youtube.com/watch?v={vid}&t=42s",
             f"https://youtu.be/{vid}?si=AbCdEf",
             f"https://youtube.com/shorts/{vid}",
             f"https://www.youtube.com/embed/{vid}"]
    tips = [ingest(wenv, link_tip(l, "youtube"), workers=[module_worker])
            for l in links]
    assert matched(tips) == ["new", "link", "link", "link"]
    assert len({t["case_id"] for t in tips}) == 1
    assert case_row(wenv.db, tips[0]["case_id"])["ntips"] == 4


def test_different_posts_never_merge(wenv, module_worker):
    links = [
        ("x", "https://x.com/u/status/1234567890123456700"),
        ("x", "https://x.com/u/status/123456789012345670"),
        ("x", "https://x.com/u/status/1234567890123456701"),
        ("youtube", "https://youtu.be/Qx7_kP-3zA8"),
        # Video ids are case-sensitive.
        ("youtube", "https://youtu.be/qx7_kP-3zA9"),
        ("youtube", "https://youtube.com/@somechannel"),
        ("facebook", "https://www.facebook.com/someone/posts/10150000000001"),
        ("facebook", "https://www.facebook.com/someone/posts/10150000000002"),
        ("instagram", "https://www.instagram.com/p/CxYzAbC1234/"),
        ("instagram", "https://www.instagram.com/p/CxYzAbc1234/"),
        ("reddit", "https://www.reddit.com/r/sub/comments/abc123/slug/"),
        ("reddit", "https://www.reddit.com/r/sub/comments/abc124/slug/"),
        ("telegram", "https://t.me/somechannel/101"),
        ("telegram", "https://t.me/somechannel/102"),
        ("tiktok", "https://www.tiktok.com/@user/video/7300000000000000001"),
        ("other", "https://example.org/news/item?id=5"),
        ("other", "https://example.org/news/item?id=6"),
    ]
    tips = [ingest(wenv, link_tip(l, p), workers=[module_worker])
            for p, l in links]
    assert matched(tips) == ["new"] * len(links)
    assert len({t["case_id"] for t in tips}) == len(links)


# ----------------------------------------------------------------- images

def write_ppm(path, w, h, rgb):
    path.write_bytes(b"P6\n%d %d\n255\n" % (w, h) + rgb)


def rgba_to_rgb(px):
    out = bytearray(len(px) // 4 * 3)
    out[0::3] = px[0::4]
    out[1::3] = px[1::4]
    out[2::3] = px[2::4]
    return bytes(out)


def resize_bilinear(w, h, rgb, nw, nh):
    """A plain bilinear resize of RGB bytes (what an app does when it
    shrinks a screenshot for upload)."""
    out = bytearray(nw * nh * 3)
    sx, sy = w / nw, h / nh
    for y in range(nh):
        fy = max(0.0, (y + 0.5) * sy - 0.5)
        y0 = min(int(fy), h - 1)
        y1 = min(y0 + 1, h - 1)
        dy = fy - y0
        for x in range(nw):
            fx = max(0.0, (x + 0.5) * sx - 0.5)
            x0 = min(int(fx), w - 1)
            x1 = min(x0 + 1, w - 1)
            dx = fx - x0
            o = (y * nw + x) * 3
            a, b = (y0 * w + x0) * 3, (y0 * w + x1) * 3
            c, d = (y1 * w + x0) * 3, (y1 * w + x1) * 3
            for k in range(3):
                top = rgb[a + k] * (1 - dx) + rgb[b + k] * dx
                bot = rgb[c + k] * (1 - dx) + rgb[d + k] * dx
                out[o + k] = int(top * (1 - dy) + bot * dy + 0.5)
    return bytes(out)


def jpeg_variant(png_path, out, scale=0.8, quality=70, crop_top=0.0):
    """PNG_PATH with CROP_TOP of its height cut off the top (a status
    bar), resized to SCALE and encoded as JPEG at QUALITY (cjpeg)."""
    w, h, px = png_decode(png_path.read_bytes())
    rgb = rgba_to_rgb(px)
    cut = int(h * crop_top)
    rgb, h = rgb[cut * w * 3:], h - cut
    nw, nh = round(w * scale), round(h * scale)
    ppm = out.with_suffix(".ppm")
    write_ppm(ppm, nw, nh, resize_bilinear(w, h, rgb, nw, nh))
    p = subprocess.run(["cjpeg", "-quality", str(quality), "-outfile",
                        str(out), str(ppm)], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return nw, nh


def make_screenshot(out, seed):
    p = subprocess.run(["/usr/bin/python3", str(ROOT / "bench" /
                                                "make_png.py"),
                        str(out), str(seed)], capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr


def phash_of(db, tip_id):
    rows = db.q("SELECT phash FROM attachment WHERE tip_id = %s", (tip_id,))
    assert len(rows) == 1
    return rows[0][0]


def test_screenshots(wenv, module_worker, tmp_path, request):
    plain = sample("plain.png")
    jpg = tmp_path / "plain-80-q70.jpg"
    nw, nh = jpeg_variant(plain, jpg)
    assert (nw, nh) == (216, 384)
    cropped = tmp_path / "plain-crop3-80-q70.jpg"
    jpeg_variant(plain, cropped, crop_top=0.03)
    shot1, shot2 = tmp_path / "shot1.png", tmp_path / "shot2.png"
    make_screenshot(shot1, 1)
    make_screenshot(shot2, 2)

    def send(path, ctype):
        f = fields(platform="facebook", url="")
        return ingest(wenv, f, [(path, path.name, ctype)],
                      workers=[module_worker])

    a = send(plain, "image/png")
    b = send(plain, "image/png")
    c = send(jpg, "image/jpeg")
    c2 = send(cropped, "image/jpeg")
    d = send(shot1, "image/png")
    e = send(shot2, "image/png")
    ph = {k: phash_of(wenv.db, t["tip_id"]) for k, t in
          dict(plain=a, jpeg=c, cropped=c2, shot1=d, shot2=e).items()}
    dist = {
        "plain~jpeg80q70": hamming(ph["plain"], ph["jpeg"]),
        "plain~crop3+jpeg80q70": hamming(ph["plain"], ph["cropped"]),
        "shot1~shot2": hamming(ph["shot1"], ph["shot2"]),
        "plain~shot1": hamming(ph["plain"], ph["shot1"]),
        "plain~shot2": hamming(ph["plain"], ph["shot2"]),
    }
    print(f"\npHash distances: {dist}")
    request.node.user_properties.append(("phash", dist))

    assert (a["matched"], b["matched"]) == ("new", "image")
    assert b["case_id"] == a["case_id"]
    assert c["matched"] == "image_near", (c, dist)
    assert c["case_id"] == a["case_id"]
    assert c["distance"] == dist["plain~jpeg80q70"] <= IMAGE_THRESHOLD
    # Cut and shrunk: a few bits off, still the same picture.
    assert (c2["matched"], c2["case_id"]) == ("image_near", a["case_id"])
    assert 0 < c2["distance"] == dist["plain~crop3+jpeg80q70"] <= \
        IMAGE_THRESHOLD
    assert d["matched"] == "new" and e["matched"] == "new", dist
    assert len({a["case_id"], d["case_id"], e["case_id"]}) == 3
    assert case_row(wenv.db, a["case_id"])["ntips"] == 4
    # The images' keys are stored with their case, each once: a and b
    # are one image, c re-encodes it (pHash distance 0 here).
    n = wenv.db.one("SELECT count(*) FROM near_key WHERE kind = 'image' "
                    "AND case_id = %s", (a["case_id"],))
    assert n == len({ph["plain"], ph["jpeg"], ph["cropped"]})
    n = wenv.db.one("SELECT count(*) FROM exact_key WHERE kind = 'image' "
                    "AND case_id = %s", (a["case_id"],))
    assert n == 3


# ------------------------------------------------------------------- text

LONG = ("The people in the video keep shouting that all of them should go "
        "back where they came from, and the comments under the post call "
        "for violence against the whole group while nobody in the thread "
        "says anything about it")


def text_tip(text):
    return fields(description=text, url="", platform="facebook")


def test_same_long_text(wenv, module_worker):
    assert len(normalise(LONG).split()) == 40
    variants = [LONG,
                LONG.upper(),
                "  " + LONG.replace(",", "!!").replace(" the ", "  THE\n")
                + "...",
                "«" + LONG.replace(" ", " — ") + "»"]
    tips = [ingest(wenv, text_tip(v), workers=[module_worker])
            for v in variants]
    assert matched(tips) == ["new", "text", "text", "text"]
    assert len({t["case_id"] for t in tips}) == 1

    # The worker's keys are the ones the text should have: HMAC of the
    # normalised text, and its SimHash (computed here independently).
    key = dedup_key(wenv)
    norm = normalise(LONG).encode()
    rows = wenv.db.q("SELECT key FROM exact_key WHERE kind = 'text' AND "
                     "tip_id = %s", (tips[0]["tip_id"],))
    assert [bytes(r[0]) for r in rows] == \
        [hmac.new(key, norm, hashlib.sha256).digest()]
    hashes = {r[0] for r in wenv.db.q(
        "SELECT hash FROM near_key WHERE kind = 'text' AND case_id = %s",
        (tips[0]["case_id"],))}
    assert hashes == {signed64(simhash(norm.decode(), key))}


def test_short_texts_do_not_match(wenv, module_worker):
    text = "Racist comment under the news article!"   # 6 words
    tips = [ingest(wenv, text_tip(text), workers=[module_worker])
            for _ in range(2)]
    assert matched(tips) == ["new", "new"]
    assert tips[0]["case_id"] != tips[1]["case_id"]
    ids = [t["tip_id"] for t in tips]
    n = wenv.db.one("SELECT (SELECT count(*) FROM exact_key WHERE tip_id "
                    "= ANY (%s)) + (SELECT count(*) FROM near_key WHERE "
                    "tip_id = ANY (%s))", (ids, ids))
    assert n == 0, "a short text got text keys"
    # Seven words: still too short; eight: long enough.
    seven = "they wrote slurs on the bus stop"
    eight = "they wrote slurs on the bus stop again"
    s = [ingest(wenv, text_tip(seven), workers=[module_worker])
         for _ in range(2)]
    e = [ingest(wenv, text_tip(eight), workers=[module_worker])
         for _ in range(2)]
    assert matched(s) == ["new", "new"]
    assert matched(e) == ["new", "text"]


BASE = ("A man in a red jacket shouted insults at two women wearing "
        "headscarves at the tram stop near the station, then followed "
        "them onto the tram where he kept threatening them until "
        "passengers stepped in and the driver called police")


def one_word_variants(text):
    """Texts with one word replaced, for every position and a dozen
    replacement words."""
    words = text.split(" ")
    out = []
    for i in range(len(words)):
        for r in ("yelled", "blue", "three", "bus", "old", "men", "wore",
                  "later", "quietly", "someone", "kiosk", "again"):
            if words[i].lower() != r:
                out.append(" ".join(words[:i] + [r] + words[i + 1:]))
    return out


def test_near_identical_text(wenv, module_worker, request):
    key = dedup_key(wenv)
    nbase = normalise(BASE)
    assert len(nbase.split()) == 40
    h0 = simhash(nbase, key)
    # Every one-word change of the text, under this session's key.
    ds = sorted((hamming(h0, simhash(normalise(v), key)), v)
                for v in one_word_variants(BASE))
    dlist = [d for d, _ in ds]
    within = sum(1 for d in dlist if d <= TEXT_THRESHOLD)
    summary = (f"one word changed out of 40: SimHash distance min "
               f"{dlist[0]}, median {dlist[len(dlist) // 2]}, max "
               f"{dlist[-1]}, mean {sum(dlist) / len(dlist):.1f}; "
               f"{within}/{len(dlist)} within text_threshold "
               f"{TEXT_THRESHOLD}")
    print("\n" + summary)
    request.node.user_properties.append(("simhash", summary))

    first = ingest(wenv, text_tip(BASE), workers=[module_worker])
    assert first["matched"] == "new"
    stored = wenv.db.one("SELECT hash FROM near_key WHERE tip_id = %s",
                         (first["tip_id"],))
    assert stored == signed64(h0), "the worker's SimHash differs"

    # A change within the threshold joins the case as text_near, with
    # its distance (the exact key cannot match: the text differs).
    d_near, near = ds[0]
    if d_near > TEXT_THRESHOLD:
        # Unlucky key: change the last word (one shingle) until a change
        # is within the threshold.
        for k in range(5000):
            near = BASE.rsplit(" ", 1)[0] + f" w{k}"
            d_near = hamming(h0, simhash(normalise(near), key))
            if d_near <= TEXT_THRESHOLD:
                break
    assert d_near <= TEXT_THRESHOLD, \
        f"no one-word change within the threshold to test with: {summary}"
    t = ingest(wenv, text_tip(near), workers=[module_worker])
    assert (t["matched"], t["case_id"], t["distance"]) == \
        ("text_near", first["case_id"], d_near)

    # A typical change (the median distance): the worker's decision
    # agrees with the threshold, and with the default it is the same case.
    hashes = [h & 0xFFFFFFFFFFFFFFFF for h, in wenv.db.q(
        "SELECT hash FROM near_key WHERE case_id = %s",
        (first["case_id"],))]
    d_typ, typical = ds[len(ds) // 2]
    d_case = min(hamming(h, simhash(normalise(typical), key))
                 for h in hashes)
    t = ingest(wenv, text_tip(typical), workers=[module_worker])
    if d_case <= TEXT_THRESHOLD:
        assert (t["matched"], t["case_id"]) == ("text_near",
                                                first["case_id"])
    else:
        assert t["matched"] == "new" and t["case_id"] != first["case_id"]
        pytest.fail(f"[dedup] text_threshold {TEXT_THRESHOLD} is too tight "
                    f"for a typical one-word change: {summary}")


def test_strongest_key_wins(wenv, module_worker):
    """A tip whose link matches one case and text another joins the
    link's case (image, link, image_near, text, text_near: strongest
    first)."""
    url = "https://x.com/u/status/3333333333333333333"
    text = ("Same long story told again about the shop owner who was "
            "threatened and called names by a group of young men")
    by_link = ingest(wenv, link_tip(url), workers=[module_worker])
    by_text = ingest(wenv, text_tip(text), workers=[module_worker])
    assert by_link["case_id"] != by_text["case_id"]
    both = ingest(wenv, fields(description=text, url=url, platform="x"),
                  workers=[module_worker])
    assert (both["matched"], both["case_id"]) == ("link", by_link["case_id"])
    # Its keys now lead to the link's case too.
    text_only = ingest(wenv, text_tip(text), workers=[module_worker])
    assert text_only["matched"] == "text"
    assert text_only["case_id"] in (by_link["case_id"], by_text["case_id"])


# ----------------------------------------------------------- merge window

def test_window_and_closed_cases(wenv, module_worker):
    url = "https://x.com/someone/status/1111111111111111111"
    a = ingest(wenv, link_tip(url), workers=[module_worker])
    b = ingest(wenv, link_tip(url), workers=[module_worker])
    assert (a["matched"], b["matched"]) == ("new", "link")
    assert a["case_id"] == b["case_id"]

    # Past the 30-day window: not joined.
    wenv.db.q("UPDATE cases SET last_tip_at = now() - interval '40 days' "
              "WHERE id = %s", (a["case_id"],))
    c = ingest(wenv, link_tip(url), workers=[module_worker])
    assert c["matched"] == "new" and c["case_id"] != a["case_id"]
    assert case_row(wenv.db, a["case_id"])["ntips"] == 2

    # Just inside the window: joined.
    wenv.db.q("UPDATE cases SET last_tip_at = now() - interval '29 days' "
              "WHERE id = %s", (c["case_id"],))
    d = ingest(wenv, link_tip(url), workers=[module_worker])
    assert (d["matched"], d["case_id"]) == ("link", c["case_id"])

    # Closed: not joined either.
    wenv.db.q("UPDATE cases SET status = 'closed', closed_at = now() "
              "WHERE id = %s", (c["case_id"],))
    e = ingest(wenv, link_tip(url), workers=[module_worker])
    assert e["matched"] == "new"
    assert e["case_id"] not in (a["case_id"], c["case_id"])
    f = ingest(wenv, link_tip(url), workers=[module_worker])
    assert (f["matched"], f["case_id"]) == ("link", e["case_id"])

    # The same holds for text and image keys: a closed case takes none.
    text = BASE.replace("red", "green").replace("tram", "metro")
    g = ingest(wenv, text_tip(text), workers=[module_worker])
    wenv.db.q("UPDATE cases SET status = 'closed', closed_at = now() "
              "WHERE id = %s", (g["case_id"],))
    h = ingest(wenv, text_tip(text), workers=[module_worker])
    assert h["matched"] == "new" and h["case_id"] != g["case_id"]


def test_priority_grows_with_tips(wenv, module_worker):
    url = "https://www.facebook.com/groups/123/posts/2222222222/"
    first = None
    for i in range(1, 6):
        t = ingest(wenv, link_tip(url, "facebook"), workers=[module_worker])
        first = first or t
        assert t["case_id"] == first["case_id"]
        c = case_row(wenv.db, t["case_id"])
        assert (c["ntips"], c["priority"]) == (i, i)
    # A bigger case comes first in its department's queue.
    top = wenv.db.one(
        "SELECT id FROM cases WHERE department_id = (SELECT department_id "
        "FROM cases WHERE id = %s) AND status IN ('new', 'in_progress') "
        "ORDER BY priority DESC, id LIMIT 1", (first["case_id"],))
    assert top == first["case_id"]


def test_every_tip_in_one_case(wenv, module_worker):
    n = check_one_case_per_tip(wenv.db)
    # One worker did every job, and logged each done exactly once.
    jobs = sorted(r[0] for r in wenv.db.q("SELECT id FROM job"))
    assert len(jobs) == n
    assert sorted(module_worker.done_jobs()) == jobs
