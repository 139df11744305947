#!/usr/bin/env bash
# Benchmark of the tip intake, with its ceilings measured in the same run
# on the same machine (see README.md here).  Prints one table.
#   bench/intake.sh [SECONDS]   (default 15 s per measurement)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${1:-15}
conns=${CONNS:-16}
work=$(mktemp -d /tmp/tipline-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
	deploy/pg.sh stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT

deploy/deps.sh
deploy/deps.sh test
for p in wrk nginx mat2 postgresql-contrib; do
	dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgport=$(port) intake_port=$(port) nginx_port=$(port)

# --- database, keys, certificate, daemon ---
deploy/pg.sh start "$work/pg" "$pgport"
export PGHOST=$work/pg/run PGPORT=$pgport PGUSER=postgres
createdb tipline
conf=$work/tipline.ini
sed -e "s|^conninfo = .*|conninfo = host=$PGHOST port=$PGPORT dbname=tipline|" \
    -e "s|^admin_user =.*|admin_user = postgres|" \
    -e "s|^listen = 127.0.0.1:8443|listen = 127.0.0.1:$intake_port|" \
    -e "s|^pool_size = .*|pool_size = 16|" \
    -e "s|^max_uploads = .*|max_uploads = 256|" \
    -e "s|^tip_client_burst = .*|tip_client_burst = 1000000|" \
    -e "s|^tip_client_rate = .*|tip_client_rate = 1000000/s|" \
    -e "s|^tip_burst = .*|tip_burst = 1000000|" \
    -e "s|^tip_rate = .*|tip_rate = 1000000/s|" \
    -e "s|^level = .*|level = warn|" \
    -e "s|^keepalive_timeout = .*|keepalive_timeout = 300s|" conf/tipline.ini >"$conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -keyout "$work/intake.key" -out "$work/intake.crt" 2>/dev/null
build-bench/server/tiplinectl -c "$conf" keygen >/dev/null
build-bench/server/tiplinectl -c "$conf" migrate >/dev/null
build-bench/server/tipline-intake -c "$conf" 2>"$work/intake.log" &
pids+=($!)
for _ in $(seq 100); do
	curl -fsk "https://127.0.0.1:$intake_port/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done

# --- the request bodies: a tip with one 300 KB PNG, and without ---
python3 bench/make_png.py "$work/shot.png" 1
python3 - "$work" <<'PY'
import sys, os
w = sys.argv[1]
b = 'tiplinebenchboundary'
text = ('Viesti, jossa uhataan ja solvataan ihmisiä heidän alkuperänsä vuoksi. ' * 24)[:1800]
def field(n, v):
    return (f'--{b}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n').encode()
common = b''.join(field(n, v) for n, v in [
    ('description', text), ('channel', 'online'), ('platform', 'x'),
    ('url', 'https://x.com/exampleuser/status/1234567890123456789'),
    ('motive', 'ethnic'), ('feedback', 'receipt'), ('lang', 'fi')])
img = open(os.path.join(w, 'shot.png'), 'rb').read()
with_img = common + (f'--{b}\r\nContent-Disposition: form-data; name="screenshot"; filename="s.png"\r\nContent-Type: image/png\r\n\r\n').encode() + img + f'\r\n--{b}--\r\n'.encode()
open(os.path.join(w, 'body_img'), 'wb').write(with_img)
open(os.path.join(w, 'body_text'), 'wb').write(common + f'--{b}--\r\n'.encode())
PY
for kind in img text; do
	cat >"$work/post_$kind.lua" <<LUA
local f = io.open("$work/body_$kind", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=tiplinebenchboundary"
LUA
done

rate() { # wrk output -> requests/s
	awk '/Requests\/sec/ {print $2}'
}
non2xx() {
	awk '/Non-2xx/ {print $NF}'
}

# --- nginx over TLS accepting the same POST ---
cat >"$work/nginx.conf" <<NGX
daemon on;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 300s;
    client_body_temp_path $work/nginx_body;
    client_max_body_size 60m;
    client_body_buffer_size 1m;
    server {
        listen 127.0.0.1:$nginx_port ssl;
        ssl_certificate $work/intake.crt;
        ssl_certificate_key $work/intake.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 200 "ok\n"; }
    }
}
NGX
nginx -c "$work/nginx.conf"

declare -A r
held() { # mode port n [path] -> runs bench/hostile.py until "ready"
	python3 bench/hostile.py "$@" >"$work/held.out" &
	held_pid=$!
	for _ in $(seq 600); do
		grep -q '^ready' "$work/held.out" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "bench/hostile.py $1 did not get ready" >&2
	return 1
}
rss_kib() { # pids -> their VmRSS summed, KiB
	local sum=0 p
	for p in "$@"; do
		sum=$((sum + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
	done
	echo "$sum"
}
# --- 1,000 idle kept-alive TLS connections, before any tip: RSS of the
# freshly started intake and nginx, so that neither counts memory kept
# from the uploads measured below ---
ngx_pids=("$(cat "$work/nginx.pid")" $(pgrep -P "$(cat "$work/nginx.pid")"))
r[rss_intake_0]=$(rss_kib "${pids[0]}")
r[rss_nginx_0]=$(rss_kib "${ngx_pids[@]}")
held idle "$intake_port" 1000 /healthz
r[rss_intake]=$(rss_kib "${pids[0]}")
kill "$held_pid"; wait "$held_pid" 2>/dev/null || true
held idle "$nginx_port" 1000 /
r[rss_nginx]=$(rss_kib "${ngx_pids[@]}")
kill "$held_pid"; wait "$held_pid" 2>/dev/null || true

for kind in text img; do
	out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post_$kind.lua" "https://127.0.0.1:$intake_port/tip")
	r[intake_$kind]=$(rate <<<"$out")
	bad=$(non2xx <<<"$out")
	[ -z "$bad" ] || echo "warning: intake $kind: $bad non-2xx answers" >&2
	out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post_$kind.lua" "https://127.0.0.1:$nginx_port/tip")
	r[nginx_$kind]=$(rate <<<"$out")
done

# --- the same tips while 400 slow-loris connections come and go ---
held loris "$intake_port" 400
out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post_text.lua" "https://127.0.0.1:$intake_port/tip")
r[intake_loris]=$(rate <<<"$out")
bad=$(non2xx <<<"$out")
[ -z "$bad" ] || echo "warning: intake under slow-loris: $bad non-2xx answers" >&2
kill "$held_pid"; wait "$held_pid" 2>/dev/null || true
# Unloaded again, so that the ratio compares with both sides of it.
out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post_text.lua" "https://127.0.0.1:$intake_port/tip")
r[intake_text2]=$(rate <<<"$out")

stored=$(psql -d tipline -Atc "SELECT count(*) FROM tip")

# --- pgbench: the same statement, with the same sizes, straight in ---
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
pids=()
python3 - "$work" <<'PY'
import os, sys
w = sys.argv[1]
desc = os.urandom(1848).hex()   # a sealed 1800-byte description
img = os.urandom(310000).hex()  # a sealed 300 KB screenshot
head = ("SELECT tip_submit(decode(md5(random()::text) || md5(random()::text), 'hex'), "
        "3600, 'fi', 'online', 'x', NULL, NULL, '{ethnic}', 'receipt', "
        f"'\\x{desc}'::bytea, '\\x{desc[:200]}'::bytea, NULL, NULL, "
        "decode(md5('k') || md5('k'), 'hex'), ")
open(os.path.join(w, 'pg_text.sql'), 'w').write(
    head + "'{}', '{}', '{}', '{}', '{}', NULL, NULL, NULL, NULL, NULL);\n")
open(os.path.join(w, 'pg_img.sql'), 'w').write(
    head + "'{image/png}', '{1080}', '{2340}', "
    "ARRAY[decode(md5(random()::text) || md5(random()::text), 'hex')], "
    f"'{{42}}', '\\x{img}'::bytea, NULL, NULL, NULL, NULL);\n")
PY
for kind in text img; do
	out=$(pgbench -n -M prepared -c "$conns" -j 2 -T "$secs" -f "$work/pg_$kind.sql" tipline 2>&1)
	r[pg_$kind]=$(awk '/^tps/ {print $3; exit}' <<<"$out")
done

# --- screenshot sanitising: ours against mat2, same images ---
cp tests/data/img/plain.jpg "$work/photo.jpg" 2>/dev/null || true
san=$(build-bench/bench/img_bench "$work/shot.png" 20)
mat2_ms=$(python3 - "$work/shot.png" <<'PY'
import shutil, subprocess, sys, time, os, tempfile
src = sys.argv[1]
runs = []
for i in range(5):
    d = tempfile.mkdtemp()
    f = os.path.join(d, 'shot.png')
    shutil.copy(src, f)
    t = time.monotonic()
    subprocess.run(['mat2', '--inplace', f], check=True, capture_output=True)
    runs.append((time.monotonic() - t) * 1000)
    shutil.rmtree(d)
runs.sort()
print('%.1f' % runs[len(runs) // 2])
PY
)

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo
echo "tipline intake benchmark: $(date -u +%F), $(nproc) cores, $conns connections, ${secs}s each"
printf '%-44s %12s\n' "measurement" "per second"
printf '%-44s %12s\n' "intake, tip without image" "${r[intake_text]}"
printf '%-44s %12s\n' "intake, tip with one 300 KB PNG" "${r[intake_img]}"
printf '%-44s %12s\n' "nginx TLS, same POST without image" "${r[nginx_text]}"
printf '%-44s %12s\n' "nginx TLS, same POST with image" "${r[nginx_img]}"
printf '%-44s %12s\n' "pgbench tip_submit() without image" "${r[pg_text]}"
printf '%-44s %12s\n' "pgbench tip_submit() with 300 KB bytea (hex)" "${r[pg_img]}"
printf '%-44s %12s\n' "intake, tip without image, 400 slow-loris" "${r[intake_loris]}"
printf '%-44s %12s\n' "intake, tip without image, again" "${r[intake_text2]}"
echo
echo "ratios: intake/pgbench without image $(ratio "${r[intake_text]}" "${r[pg_text]}"), with image $(ratio "${r[intake_img]}" "${r[pg_img]}")"
echo "        intake/nginx without image $(ratio "${r[intake_text]}" "${r[nginx_text]}"), with image $(ratio "${r[intake_img]}" "${r[nginx_img]}")"
echo "        under slow-loris/unloaded (before and after) $(ratio "${r[intake_loris]}" "((${r[intake_text]} + ${r[intake_text2]}) / 2)") (target >= 0.80)"
echo "RSS, KiB: intake ${r[rss_intake_0]} -> ${r[rss_intake]} with 1000 idle TLS connections, nginx ${r[rss_nginx_0]} -> ${r[rss_nginx]}"
echo "        intake/nginx with 1000 idle: $(ratio "${r[rss_intake]}" "${r[rss_nginx]}") (target <= 2), growth $(ratio "$((r[rss_intake] - r[rss_intake_0]))" "$((r[rss_nginx] - r[rss_nginx_0]))")"
echo "sanitise 1080x2340 PNG: $san; mat2 median ${mat2_ms} ms"
echo "tips stored during the intake runs: $stored"
