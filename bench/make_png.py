#!/usr/bin/env python3
"""Writes a synthetic phone screenshot as PNG: 1080x2340 RGB, a white page
with dark "text" lines, a coloured header bar and a few noisy "photo"
tiles, tuned to about the size of a real text-heavy screenshot (~300 KB).
No real content.  Usage: make_png.py OUT [SEED]"""
import random
import struct
import sys
import zlib

W, H = 1080, 2340


def chunk(kind, data):
    c = struct.pack('>I', len(data)) + kind + data
    return c + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def main(out, seed=1):
    rnd = random.Random(seed)
    rows = []
    line_y = {}
    y = 220
    while y < H - 100:
        # a line of "words": runs of dark pixels with gaps
        x, words = 48, []
        while x < W - 120:
            w = rnd.randint(30, 160)
            words.append((x, min(x + w, W - 48)))
            x += w + rnd.randint(14, 26)
        for dy in range(26):
            line_y[y + dy] = words
        y += rnd.choice([44, 44, 44, 90])
    tiles = [(rnd.randint(60, 600), rnd.randint(400, 2000)) for _ in range(12)]
    for yy in range(H):
        row = bytearray(b'\xff' * (W * 3))
        if yy < 160:
            row[:] = bytes((24, 70, 140)) * W
        words = line_y.get(yy)
        if words:
            for (a, b) in words:
                for xx in range(a, b):
                    # glyph-like texture: not a solid bar
                    if (xx * 7 + yy * 3) % 11 > 3:
                        row[xx * 3:xx * 3 + 3] = b'\x20\x20\x28'
        for (tx, ty) in tiles:
            if ty <= yy < ty + 90:
                for xx in range(tx, tx + 160):
                    v = rnd.randint(60, 200)
                    row[xx * 3:xx * 3 + 3] = bytes((v, v // 2, 255 - v))
        rows.append(b'\x00' + bytes(row))
    raw = zlib.compress(b''.join(rows), 9)
    png = b'\x89PNG\r\n\x1a\n'
    png += chunk(b'IHDR', struct.pack('>IIBBBBB', W, H, 8, 2, 0, 0, 0))
    png += chunk(b'IDAT', raw) + chunk(b'IEND', b'')
    with open(out, 'wb') as f:
        f.write(png)


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
