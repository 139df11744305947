#!/usr/bin/env bash
# Runs a complete Tipline on this machine, all of it under ./var/:
# a private PostgreSQL, a self-signed certificate, fresh keys and the
# daemons.  Run it again and it reuses what exists.  As root, in a
# checkout the postgres user cannot enter (such as one in /root), the
# cluster's files are kept in /var/lib/tipline-pg/ and var/pg links
# there (see deploy/pg.sh).
#   deploy/demo.sh          build, set up and start; prints the URL
#   deploy/demo.sh stop     stop everything it started
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
env_file=$var/demo.env
cd "$top"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# SIGTERM, then up to 60 s for the jobs in flight to finish (the worker's
# shutdown_grace is 30 s), then SIGKILL: a killed worker's jobs come back
# to the next one when their lease runs out.
stop_pid() {
	local f=$1 pid deadline
	if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
		pid=$(cat "$f")
		kill -TERM "$pid"
		deadline=$((SECONDS + 60))
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "$f: process $pid still running after 60 s, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

if [ "${1:-}" = stop ]; then
	stop_pid "$var/run/intake.pid"
	stop_pid "$var/run/worker.pid"
	deploy/pg.sh stop "$var/pg"
	echo "stopped"
	exit 0
fi

deploy/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

mkdir -p "$var/conf" "$var/run" "$var/log"
chmod 700 "$var/conf"
# Ports are chosen once and kept, so a second run finds what the first
# one started.
if [ ! -f "$var/ports" ]; then
	echo "PGPORT=$(free_port) INTAKE_PORT=$(free_port) METRICS_PORT=$(free_port)" >"$var/ports"
fi
# shellcheck disable=SC1091
. "$var/ports"
if [ -z "${METRICS_PORT:-}" ]; then
	METRICS_PORT=$(free_port)
	echo "METRICS_PORT=$METRICS_PORT" >>"$var/ports"
fi
conf=$var/conf/tipline.ini

deploy/pg.sh start "$var/pg" "$PGPORT"
PGHOST=$(deploy/pg.sh host "$var/pg")
export PGHOST PGPORT PGUSER=postgres
if ! psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'tipline'" | grep -q 1; then
	createdb -O postgres tipline
fi

if [ ! -f "$conf" ]; then
	sed -e "s|^conninfo = .*|conninfo = host=$PGHOST port=$PGPORT dbname=tipline|" \
	    -e "s|^admin_user =.*|admin_user = postgres|" \
	    -e "s|^listen = 127.0.0.1:8443|listen = 127.0.0.1:$INTAKE_PORT|" \
	    -e "s|^metrics =.*|metrics = 127.0.0.1:$METRICS_PORT|" \
	    conf/tipline.ini >"$conf"
fi
if [ ! -f "$var/conf/intake.crt" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 825 -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$var/conf/intake.key" -out "$var/conf/intake.crt" 2>/dev/null
	chmod 600 "$var/conf/intake.key"
fi
build/server/tiplinectl -c "$conf" keygen >/dev/null
build/server/tiplinectl -c "$conf" migrate

start_daemon() { # name binary: in the background, unless running
	local name=$1 bin=$2
	if [ -f "$var/run/$name.pid" ] && kill -0 "$(cat "$var/run/$name.pid")" 2>/dev/null; then
		echo "tipline-$name is already running"
	else
		nohup "$bin" -c "$conf" >>"$var/log/$name.log" 2>&1 </dev/null &
		echo $! >"$var/run/$name.pid"
	fi
}
start_daemon intake build/server/tipline-intake
start_daemon worker build/worker/tipline-worker

url=https://127.0.0.1:$INTAKE_PORT/
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ] && kill -0 "$(cat "$var/run/intake.pid")" 2>/dev/null; do
	curl -fsk "${url}healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsk "${url}healthz" >/dev/null || {
	echo "tipline-intake did not come up; see $var/log/intake.log" >&2
	exit 1
}

cat >"$env_file" <<ENV
# Written by deploy/demo.sh; source it to reach the demo.
INTAKE_URL=$url
INTAKE_PORT=$INTAKE_PORT
METRICS_URL=http://127.0.0.1:$METRICS_PORT/metrics
PGHOST=$PGHOST
PGPORT=$PGPORT
PGDATABASE=tipline
PGUSER=postgres
TIPLINE_CONF=$conf
TIPLINE_PUBLIC_KEY=$var/conf/seal.pub
TIPLINE_SECRET_KEY=$var/conf/seal.key
TIPLINE_PEPPER=$var/conf/receipt.pepper
TIPLINE_DEDUP_KEY=$var/conf/dedup.key
ENV
echo "Tipline is running: $url"
echo "(self-signed certificate; settings in $env_file; stop with deploy/demo.sh stop)"
