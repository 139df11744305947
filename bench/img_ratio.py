#!/usr/bin/python3
"""Bytes per pixel of synthetic screenshots as phones, browsers and image
tools save them, nearly blank ones included, against decompression bombs:
the measurement behind lib/img.c's IMG_SPARSE_* rule.  Needs python3-pil.
No real content.  Usage: img_ratio.py [OUTDIR]"""
import io
import random
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = ImageFont.load_default()


def bars(d, w, h, dark):
    """Status bar (clock, icons) and navigation bar, as every phone
    screenshot has."""
    fg = (230, 230, 230) if dark else (30, 30, 30)
    d.text((40, 20), "12:34", fill=fg, font=FONT)
    for i in range(4):
        d.rectangle((w - 60 - 40 * i, 22, w - 40 - 40 * i, 42), fill=fg)
    d.rectangle((w // 2 - 90, h - 40, w // 2 + 90, h - 32), fill=fg)


def shot(w, h, kind, seed=1):
    rnd = random.Random(seed)
    dark = kind.endswith("dark")
    bg = (18, 18, 18) if dark else (255, 255, 255)
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    if kind == "empty":
        return im
    bars(d, w, h, dark)
    fg = (220, 220, 220) if dark else (20, 20, 20)
    if kind.startswith("blank"):
        # A page with one line on it: the least a real screenshot shows.
        d.text((48, 200), "Loading ...", fill=fg, font=FONT)
        return im
    # A chat: bubbles of text lines, every ~400 px for "sparse", densely
    # for "chat".
    step = 420 if kind.startswith("sparse") else 150
    y = 160
    while y < h - 200:
        lines = rnd.randint(1, 4)
        x0 = 40 if rnd.random() < 0.5 else w // 3
        d.rounded_rectangle((x0, y, x0 + w // 2, y + 30 + 26 * lines),
                            radius=18,
                            fill=(40, 60, 90) if dark else (225, 240, 255))
        for k in range(lines):
            words = " ".join("".join(rnd.choice("abcdefghijklmnoprstuvy")
                                     for _ in range(rnd.randint(2, 9)))
                             for _ in range(rnd.randint(3, 7)))
            d.text((x0 + 20, y + 15 + 26 * k), words, fill=fg, font=FONT)
        y += step + 26 * lines
    return im


def encodings(im):
    yield "png6 RGBA", "PNG", dict(compress_level=6), "RGBA"
    yield "png6 RGB", "PNG", dict(compress_level=6), "RGB"
    yield "png9 opt", "PNG", dict(optimize=True), "RGB"
    yield "png9 pal", "PNG", dict(optimize=True), "P"
    yield "jpeg q90", "JPEG", dict(quality=90), "RGB"
    yield "jpeg q75 opt", "JPEG", dict(quality=75, optimize=True), "RGB"
    yield "webp q75", "WEBP", dict(quality=75), "RGB"
    yield "webp lossless", "WEBP", dict(lossless=True, method=6), "RGB"


def main(outdir=None):
    sizes = [(1080, 2400), (1440, 3200), (1080, 20000)]
    kinds = ["empty", "blank", "blank-dark", "sparse", "sparse-dark",
             "chat"]
    print(f"{'picture':28} {'encoding':14} {'bytes':>9} {'px/byte':>8}")
    for w, h in sizes:
        for kind in kinds:
            im = shot(w, h, kind)
            for name, fmt, kw, mode in encodings(im):
                if fmt == "WEBP" and h > 16383:
                    continue
                src = im.convert(mode) if mode != "P" else \
                    im.quantize(colors=16)
                b = io.BytesIO()
                src.save(b, fmt, **kw)
                n = len(b.getvalue())
                print(f"{kind + f' {w}x{h}':28} {name:14} {n:9d} "
                      f"{w * h / n:8.0f}")
                if outdir:
                    ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[fmt]
                    tag = name.replace(" ", "_")
                    with open(f"{outdir}/{kind}_{w}x{h}_{tag}.{ext}",
                              "wb") as f:
                        f.write(b.getvalue())
    # The bomb that was sent: 6000 x 6666 zero pixels.
    for mode in ("L", "RGB", "1"):
        im = Image.new(mode, (6000, 6666), 0)
        b = io.BytesIO()
        im.save(b, "PNG", optimize=True)
        n = len(b.getvalue())
        print(f"{'bomb 6000x6666 ' + mode:28} {'png9':14} {n:9d} "
              f"{6000 * 6666 / n:8.0f}")
        if outdir:
            with open(f"{outdir}/bomb_{mode}.png", "wb") as f:
                f.write(b.getvalue())


if __name__ == "__main__":
    main(*sys.argv[1:])
