# What the database benchmarks share (sourced by bench/worker.sh,
# bench/console.sh and bench/stats.sh, from the top of the checkout):
#
#   bench_start NAME    installs what is missing, makes the release build in
#                       build-bench/, a work directory under /tmp removed at
#                       exit (with every pid in pids), and a private
#                       PostgreSQL sized as a deployment's (2 GB of buffers,
#                       8 GB of WAL between checkpoints) holding the database
#                       tipline, with PG* exported for psql; sets work,
#                       pgport and conf (the shipped tipline.ini pointed at
#                       it, logging warnings only, keys made, migrated)
#   bench_console       puts the console's listener on a free port (cport,
#                       url) with a self-signed certificate
#   bench_console_run   starts tipline-console on $conf and waits until it
#                       answers; sets cpid (its log: $work/console.log)
#   port                a free port on 127.0.0.1
#   ms                  a monotonic clock in milliseconds
# Callers add their own listeners to $conf.
py=/usr/bin/python3
pids=()

port() {
	"$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ms() {
	"$py" -c 'import time; print(time.monotonic_ns() // 1000000)'
}

bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	deploy/pg.sh stop "$work/pg"
	rm -rf "$work"
}

bench_start() {
	work=$(mktemp -d "/tmp/tipline-$1.XXXXXX")
	chmod 755 "$work"
	trap bench_cleanup EXIT
	deploy/deps.sh test
	[ -f build-bench/build.ninja ] ||
		meson setup build-bench --buildtype=release >/dev/null
	ninja -C build-bench >/dev/null
	pgport=$(port)
	deploy/pg.sh start "$work/pg" "$pgport"
	export PGHOST=$work/pg/run PGPORT=$pgport PGUSER=postgres PGDATABASE=tipline
	psql -qd postgres -c "ALTER SYSTEM SET shared_buffers = '2GB'"
	psql -qd postgres -c "ALTER SYSTEM SET max_wal_size = '8GB'"
	deploy/pg.sh stop "$work/pg"
	deploy/pg.sh start "$work/pg" "$pgport"
	createdb tipline
	conf=$work/tipline.ini
	sed -e "s|^conninfo = .*|conninfo = host=$PGHOST port=$PGPORT dbname=tipline|" \
	    -e "s|^admin_user =.*|admin_user = postgres|" \
	    -e "s|^level = .*|level = warn|" conf/tipline.ini >"$conf"
	build-bench/server/tiplinectl -c "$conf" keygen >/dev/null
	build-bench/server/tiplinectl -c "$conf" migrate >/dev/null
}

bench_console() {
	cport=$(port)
	url=https://127.0.0.1:$cport
	sed -i "s|^listen = 127.0.0.1:8444|listen = 127.0.0.1:$cport|" "$conf"
	grep -q "^listen = 127.0.0.1:$cport" "$conf"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj /CN=localhost -keyout "$work/console.key" \
		-out "$work/console.crt" 2>/dev/null
}

bench_console_run() {
	build-bench/server/tipline-console -c "$conf" 2>"$work/console.log" &
	cpid=$!
	pids+=("$cpid")
	for _ in $(seq 300); do
		curl -fsk "$url/healthz" >/dev/null 2>&1 && break
		kill -0 "$cpid" 2>/dev/null || { cat "$work/console.log" >&2; exit 1; }
		sleep 0.1
	done
}
