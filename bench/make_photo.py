#!/usr/bin/env python3
"""Writes a synthetic photo-like picture: smooth colour gradients that
change across the frame, sensor-like noise, and a few hard-edged shapes.
No real content.  Pure Python (no PIL, no numpy): each row is a lookup
table applied to one of a few noisy base rows, so 12 MP takes seconds.
Usage: make_photo.py OUT.{png,ppm} W H [SEED]"""
import math
import random
import struct
import sys
import zlib

NVAR = 64


def chunk(kind, data):
    c = struct.pack('>I', len(data)) + kind + data
    return c + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def rows(w, h, seed):
    rnd = random.Random(seed)
    # Base: a horizontal colour ramp with slow waves, plus noise; many
    # variants with the same ramp and their own noise, so that rows are
    # alike but their noise is not (a compressor finds no long matches).
    base = []
    for v in range(NVAR):
        b = bytearray(w * 3)
        for x in range(w):
            t = x / w
            for c in range(3):
                s = (0.5 + 0.35 * math.sin(2 * math.pi * (t * (1.3 + c * 0.4) + c * 0.3))
                     + 0.1 * math.sin(2 * math.pi * t * 7.1 + c))
                b[x * 3 + c] = max(0, min(255, int(s * 200 + 20 + rnd.gauss(0, 2.5))))
        base.append(bytes(b) * 2)
    # Shapes: another texture under another tone curve, hard edges.
    shapes = []
    for _ in range(14):
        inv = rnd.random() < 0.5
        g = rnd.uniform(0.4, 1.2)
        tab = bytes(max(0, min(255, int((255 - v if inv else v) * g)))
                    for v in range(256))
        shapes.append((rnd.randrange(w), rnd.randrange(h),
                       rnd.randrange(w // 12, w // 3),
                       rnd.randrange(h // 12, h // 3), tab))
    tables = {}
    for y in range(h):
        # Contrast and brightness drift down the frame: not separable.
        ty = y / h
        a = 0.55 + 0.45 * math.cos(2 * math.pi * ty * 0.8)
        k = (round(a * 32), round(math.sin(2 * math.pi * ty * 1.7) * 50))
        tab = tables.get(k)
        if tab is None:
            tab = bytes(max(0, min(255, int(v * k[0] / 32 + k[1] + 30)))
                        for v in range(256))
            tables[k] = tab
        # The ramp slides slowly sideways down the frame.
        off = int(w * (0.5 + 0.3 * math.sin(2 * math.pi * ty * 1.3))) * 3
        src = base[rnd.randrange(NVAR)]
        row = bytearray(src[off:off + w * 3].translate(tab))
        for (x0, y0, sw, sh, stab) in shapes:
            if y0 <= y < y0 + sh:
                x1 = min(w, x0 + sw)
                o2 = (off + 600) % (w * 3)
                row[x0 * 3:x1 * 3] = src[o2 + x0 * 3:o2 + x1 * 3].translate(stab)
        yield bytes(row)


def main(out, w, h, seed):
    rs = rows(w, h, seed)
    if out.endswith('.ppm'):
        with open(out, 'wb') as f:
            f.write(b'P6\n%d %d\n255\n' % (w, h))
            for r in rs:
                f.write(r)
        return
    z = zlib.compressobj(6)
    raw = bytearray()
    for r in rs:
        raw += z.compress(b'\x00' + r)
    raw += z.flush()
    png = b'\x89PNG\r\n\x1a\n'
    png += chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
    png += chunk(b'IDAT', bytes(raw)) + chunk(b'IEND', b'')
    with open(out, 'wb') as f:
        f.write(png)


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
         int(sys.argv[4]) if len(sys.argv) > 4 else 1)
