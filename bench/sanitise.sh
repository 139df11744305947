#!/usr/bin/env bash
# Benchmark of the image sanitiser against mat2 (the tool an operator
# would otherwise run), on the same synthetic images in one run:
#   bench/sanitise.sh [RUNS] [--base REV]
# RUNS (default 20) img_sanitise() runs per image (bench/img_bench: median
# wall time and median CPU time); mat2 runs MAT2_RUNS (default 7) times per
# image as a command (`mat2 --inplace FILE`, what an operator types) and
# MAT2_RUNS times on MAT2_BATCH (default 10) copies in one invocation
# (startup shared; mat2 spreads the files over a process per core, so the
# batch is reported both as wall time and as CPU time per image).
# --base REV also builds REV (e.g. HEAD) in a scratch directory and times
# its img_bench on the same images, for a before/after table.
# Prints one table; ratios are mat2's time over ours (higher is better):
# CLI wall over our wall, batch CPU over our CPU.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=20
base=
while [ $# -gt 0 ]; do
	case $1 in
	--base) base=$2; shift 2 ;;
	*) runs=$1; shift ;;
	esac
done
mat2_runs=${MAT2_RUNS:-7}
batch=${MAT2_BATCH:-10}
work=$(mktemp -d /tmp/tipline-sanitise.XXXXXX)
trap 'rm -rf "$work"' EXIT

deploy/deps.sh
deploy/deps.sh test
for p in mat2; do
	dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null
bench=build-bench/bench/img_bench
if [ -n "$base" ]; then
	mkdir "$work/base"
	git archive "$base" | tar -x -C "$work/base"
	(cd "$work/base" && meson setup build --buildtype=release >/dev/null &&
		ninja -C build bench/img_bench >/dev/null)
	base_bench=$work/base/build/bench/img_bench
fi

# --- the images: synthetic only, no real content ---
img=$work/img
mkdir "$img"
python3 bench/make_png.py "$img/shot.png" 1
python3 bench/make_photo.py "$img/photo.png" 1080 2340 2
python3 bench/make_photo.py "$work/photo.ppm" 4000 3000 1
python3 - "$img/shot.png" "$work/shot.ppm" <<'PY'
# make_png.py writes one IDAT of unfiltered RGB rows: enough to undo here.
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
w, h = struct.unpack('>II', d[16:24])
off, idat = 8, b''
while off < len(d):
    n = struct.unpack('>I', d[off:off + 4])[0]
    if d[off + 4:off + 8] == b'IDAT':
        idat += d[off + 8:off + 8 + n]
    off += 12 + n
raw = zlib.decompress(idat)
stride = w * 3 + 1
assert all(raw[y * stride] == 0 for y in range(h))
with open(sys.argv[2], 'wb') as f:
    f.write(b'P6\n%d %d\n255\n' % (w, h))
    for y in range(h):
        f.write(raw[y * stride + 1:(y + 1) * stride])
PY
cjpeg -quality 90 -outfile "$img/shot.jpg" "$work/shot.ppm"
cjpeg -quality 90 -sample 2x2 -outfile "$img/photo.jpg" "$work/photo.ppm"
exiftool -q -Orientation#=6 -o "$img/photo_turned.jpg" "$img/photo.jpg"
cwebp -quiet -q 90 "$img/shot.png" -o "$img/shot.webp"
cwebp -quiet -lossless "$img/shot.png" -o "$img/shot_lossless.webp"
images=(shot.png photo.png shot.jpg photo.jpg photo_turned.jpg shot.webp shot_lossless.webp)
if command -v chromium >/dev/null; then
	# A chat page as a browser draws it: real font rendering, and the
	# filters a phone's PNG encoder picks (Skia's, as Android's).
	python3 - "$work/chat.html" <<'PY'
import random, sys
r = random.Random(3)
words = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do '
         'eiusmod tempor incididunt ut labore et dolore magna aliqua').split()
msgs = []
for i in range(40):
    t = ' '.join(r.choice(words) for _ in range(r.randint(3, 40)))
    side = 'me' if r.random() < 0.4 else 'them'
    msgs.append(f'<div class="m {side}"><b>user{r.randint(1, 9)}</b> {t} '
                f'<span class="t">{r.randint(10, 23)}:{r.randint(10, 59)}</span></div>')
open(sys.argv[1], 'w').write(
    '<!doctype html><html><head><style>'
    'body{margin:0;font-family:sans-serif;font-size:38px;background:#fff}'
    '.bar{background:linear-gradient(#1a4a8a,#2a6aba);color:#fff;padding:40px}'
    '.m{margin:18px 30px;padding:22px;border-radius:30px;max-width:80%;line-height:1.3}'
    '.me{background:#dcf8c6;margin-left:auto}.them{background:#f0f0f0}'
    '.t{color:#888;font-size:26px}'
    '.av{width:200px;height:200px;border-radius:100px;display:inline-block;'
    'background:radial-gradient(circle at 30% 30%,#fc6,#a33,#224)}'
    '</style></head><body><div class="bar">Group chat</div>'
    '<div class="m them"><span class="av"></span> photo</div>' + ''.join(msgs) +
    '</body></html>')
PY
	if timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1080,2340 --screenshot="$img/chat.png" \
		"file://$work/chat.html" >/dev/null 2>&1 && [ -s "$img/chat.png" ]; then
		images=(shot.png chat.png "${images[@]:1}")
	fi
fi

# --- mat2: median wall and CPU time (ms) per image ---
mat2_time() { # FILE COPIES -> "wall cpu" per image, medians of MAT2_RUNS
	python3 - "$1" "$2" "$mat2_runs" <<'PY'
import os, resource, shutil, subprocess, sys, tempfile, time
src, copies, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
walls, cpus = [], []
for _ in range(runs):
    d = tempfile.mkdtemp()
    files = []
    for i in range(copies):
        f = os.path.join(d, '%d_%s' % (i, os.path.basename(src)))
        shutil.copy(src, f)
        files.append(f)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(['mat2', '--inplace'] + files, check=True,
                   capture_output=True)
    walls.append((time.monotonic() - t) * 1000 / copies)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
                * 1000 / copies)
    shutil.rmtree(d)
walls.sort()
cpus.sort()
print('%.1f %.1f' % (walls[len(walls) // 2], cpus[len(cpus) // 2]))
PY
}

ours() { # BENCH FILE -> "wall cpu bytes"
	"$1" "$2" "$runs" | sed -E 's/^median ([0-9.]+) ms \(min [0-9.]+ ms, cpu ([0-9.]+) ms\), [0-9x]+, out ([0-9]+) bytes$/\1 \2 \3/;
		s/^median ([0-9.]+) ms \(min [0-9.]+ ms\), [0-9x]+, out ([0-9]+) bytes$/\1 - \2/'
}

ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print('-' if '-' in (a, b) else '%.1f' % (float(a) / float(b)))" "$1" "$2"; }

echo
echo "image sanitiser against mat2 $(mat2 --version 2>/dev/null | head -1 | awk '{print $2}'): $(date -u +%F), $(nproc) cores, $runs runs (mat2 $mat2_runs, batch of $batch)"
if [ -n "$base" ]; then
	printf '%-20s %8s | %-22s | %-22s | %-17s %6s | %-17s %6s\n' image "in KB" \
		"before ms (cpu) KB" "after ms (cpu) KB" "mat2 CLI ms" ratio "batch/img ms (cpu)" ratio
else
	printf '%-20s %8s | %-22s | %-17s %6s | %-17s %6s\n' image "in KB" \
		"ours ms (cpu) KB" "mat2 CLI ms" ratio "batch/img ms (cpu)" ratio
fi
for f in "${images[@]}"; do
	p=$img/$f
	read -r w c b <<<"$(ours "$bench" "$p")"
	mine=$(printf '%.1f (%s) %d' "$w" "$c" $((b / 1024)))
	if [ -n "$base" ]; then
		read -r bw bc bb <<<"$(ours "$base_bench" "$p")"
		before=$(printf '%.1f (%s) %d' "$bw" "$bc" $((bb / 1024)))
	fi
	case $f in
	*.webp) mw=- mc=- bw_=- bc_=- ;; # mat2 0.13 has no WebP support
	*)
		read -r mw mc <<<"$(mat2_time "$p" 1)"
		read -r bw_ bc_ <<<"$(mat2_time "$p" "$batch")"
		;;
	esac
	if [ -n "$base" ]; then
		printf '%-20s %8d | %-22s | %-22s | %-17s %6s | %-17s %6s\n' "$f" \
			$(($(stat -c %s "$p") / 1024)) "$before" "$mine" \
			"$mw" "$(ratio "$mw" "$w")" "$bw_ ($bc_)" "$(ratio "$bc_" "$c")"
	else
		printf '%-20s %8d | %-22s | %-17s %6s | %-17s %6s\n' "$f" \
			$(($(stat -c %s "$p") / 1024)) "$mine" \
			"$mw" "$(ratio "$mw" "$w")" "$bw_ ($bc_)" "$(ratio "$bc_" "$c")"
	fi
done
