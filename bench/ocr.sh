#!/usr/bin/env bash
# Benchmark of OCR per screenshot before and after reading Cyrillic and
# Arabic script (lib/ocr.c), in one run on the test images of
# tests/data/ocr/ (see README.md here):
#   bench/ocr.sh [ROUNDS]   (default 5 timed rounds an image, after one
#                            warm-up round)
# build-bench/bench/ocr_bench times three modes on each image: "before",
# the old single pass of the Latin model written against Tesseract's C
# API; "after", ocr_image() with the hint of the image's script; and
# "after, Latin hint", ocr_image() with OCR_LATIN.  Prints one table of
# medians (ms) and the share of the text read in the image's own script,
# and the Latin screenshots' total before and after.  Needs no network
# once the packages are in; no database.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rounds=${1:-5}
work=$(mktemp -d /tmp/tipline-ocr.XXXXXX)
trap 'rm -rf "$work"' EXIT

deploy/deps.sh
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench bench/ocr_bench >/dev/null

images=()
for i in latin:post_fi_a.png latin:post_fi_b.webp latin:post_fi_other.png \
	latin:post_sv.jpg latin:feed.png \
	cyrillic:post_ru_a.png cyrillic:post_ru_b.png cyrillic:post_ru_other.png \
	arabic:post_ar_a.png arabic:post_ar_b.png arabic:post_ar_other.png \
	arabic:post_fa_a.png none:blank.png; do
	images+=("${i%%:*}:tests/data/ocr/${i#*:}")
done
load=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s)
build-bench/bench/ocr_bench -n "$rounds" "${images[@]}" >"$work/out"
took=$(($(date +%s) - t0))

echo
echo "tipline OCR benchmark: $(date -u +%F), $(nproc) cores, OpenMP off (as the worker)," \
	"median of $rounds rounds after 1 warm-up, load average $load at the start, ${took} s"
/usr/bin/python3 - "$work/out" <<'PY'
import os, sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])
        if not l.startswith('#')]
print()
print('| image | script | Latin model conf | before ms | after ms (right hint) '
      '| after ms (Latin hint) | after/before | after (Latin hint)/before '
      '| script share: before / after / after (Latin hint) |')
print('|---|---|---|---|---|---|---|---|---|')
for f, script, conf, b, a, al, sb, sa, sal, n in rows:
    b, a, al = float(b), float(a), float(al)
    print(f'| {os.path.basename(f)} | {script} | {conf} | {b:.0f} | {a:.0f} '
          f'| {al:.0f} | {a / b:.2f} | {al / b:.2f} | {sb} / {sa} / {sal} |')
lat = [r for r in rows if r[1] == 'latin']
sb = sum(float(r[3]) for r in lat)
sa = sum(float(r[4]) for r in lat)
sal = sum(float(r[5]) for r in lat)
print()
print(f'Latin screenshots ({len(lat)}), total of medians: before {sb:.0f} ms, '
      f'after {sa:.0f} ms ({sa / sb:.3f}x), the same call again as '
      f'"Latin hint" {sal:.0f} ms ({sal / sb:.3f}x)')
PY
