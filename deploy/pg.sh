#!/usr/bin/env bash
# A private PostgreSQL cluster in a directory, reachable only through a
# Unix socket in that directory.  Used by the demo and the tests.
#   deploy/pg.sh start DIR PORT   initdb if needed, then start
#   deploy/pg.sh stop DIR
# initdb refuses root, so as root the cluster runs as the postgres user.
set -euo pipefail

cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	as_pg=(runuser -u postgres --)
fi

case $cmd in
start)
	port=$3
	mkdir -p "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data" "$dir/run"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$dir" "$dir/data" "$dir/run"
		chmod 700 "$dir/data"
		"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres \
			--auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
		cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0700
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0
log_min_error_statement = panic
logging_collector = off
fsync = on
CONF
	fi
	if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 60 \
			-o "-p $port" -l "$dir/postgres.log" start >/dev/null
	fi
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ]; then
		"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	fi
	;;
*)
	echo "usage: $0 start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
