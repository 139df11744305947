#!/usr/bin/env bash
# A private PostgreSQL cluster in a directory, reachable only through a
# Unix socket in that directory.  Used by the demo, the tests and the
# benchmarks.
#   deploy/pg.sh start DIR PORT [GROUP]
#                                 initdb if needed, then start; with
#                                 GROUP (as root), its members may reach
#                                 the socket too, others not
#   deploy/pg.sh stop DIR
#   deploy/pg.sh host DIR         prints the socket directory (PGHOST)
# initdb refuses root, so as root the cluster runs as the postgres user,
# which must be able to enter DIR.  When it cannot (a checkout in /root,
# mode 700), the cluster's files go to /var/lib/tipline-pg/HASH, owned
# by postgres and named after a hash of DIR's absolute path so that two
# checkouts never share one, and DIR becomes a symbolic link to it.  No
# permissions change outside DIR.
set -euo pipefail

usage() {
	echo "usage: $0 start DIR PORT [GROUP] | stop DIR | host DIR" >&2
	exit 2
}

cmd=${1:-} dir=${2:-}
[ -n "$dir" ] || usage
case $dir in
/*) ;;
*) dir=$PWD/$dir ;;
esac
dir=${dir%/}
# The postgres user may not be able to enter the caller's directory.
cd /
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	as_pg=(runuser -u postgres --)
fi
outside=/var/lib/tipline-pg

# Sets real to the directory that holds the cluster's files: DIR, or
# where its link points.  With "make", links DIR to a directory outside
# if the postgres user cannot enter DIR's parent.
cluster_dir() {
	local parent abs
	real=$dir
	if [ -L "$dir" ]; then
		real=$(readlink -f -- "$dir")
		return
	fi
	if [ "${1:-}" != make ] || [ ${#as_pg[@]} -eq 0 ]; then
		return
	fi
	mkdir -p -- "$(dirname -- "$dir")"
	parent=$(cd -- "$(dirname -- "$dir")" && pwd -P)
	if "${as_pg[@]}" test -x "$parent"; then
		return
	fi
	abs=$parent/$(basename -- "$dir")
	if [ -e "$dir" ]; then
		if [ -e "$dir/data/PG_VERSION" ]; then
			echo "$0: the postgres user cannot enter $dir" >&2
			exit 1
		fi
		# What an initdb refused here left behind.
		rm -f -- "$dir/initdb.log"
		rmdir -- "$dir/data" "$dir/run" 2>/dev/null || true
		rmdir -- "$dir" || {
			echo "$0: the postgres user cannot enter $dir" >&2
			exit 1
		}
	fi
	real=$outside/$(printf '%s' "$abs" | sha256sum | cut -c 1-16)
	install -d -m 755 "$outside"
	install -d -o postgres -g postgres -m 700 "$real"
	printf '%s\n' "$abs" >"$real/checkout"
	ln -s -- "$real" "$dir"
	echo "the postgres user cannot enter $(dirname -- "$dir"): the cluster is in $real"
}

case $cmd in
start)
	port=${3:-}
	[ -n "$port" ] || usage
	cluster_dir make
	mkdir -p "$real"
	if [ ! -f "$real/data/PG_VERSION" ]; then
		mkdir -p "$real/data" "$real/run"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$real" "$real/data" "$real/run"
		chmod 700 "$real/data"
		"${as_pg[@]}" "$bin/initdb" -D "$real/data" -U postgres \
			--auth=trust -E UTF8 --locale=C.UTF-8 >"$real/initdb.log"
		cat >>"$real/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$real/run'
unix_socket_permissions = 0700
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0
log_min_error_statement = panic
logging_collector = off
fsync = on
CONF
	fi
	opts="-p $port"
	group=${4:-}
	if [ -n "$group" ]; then
		# The socket is open to all (0777), its directories only to the
		# group: connecting needs both.  The server need not be in the
		# group, as it would to give the socket itself to it.
		chgrp -- "$group" "$real" "$real/run"
		chmod 750 "$real" "$real/run"
		opts="$opts -c unix_socket_permissions=0777"
		# A server started without the group is restarted with it.
		sock=$real/run/.s.PGSQL.$port
		if [ -S "$sock" ] && [ "$(stat -c %a "$sock")" != 777 ]; then
			"${as_pg[@]}" "$bin/pg_ctl" -D "$real/data" -m fast -w \
				stop >/dev/null
		fi
	fi
	if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$real/data" status >/dev/null 2>&1; then
		"${as_pg[@]}" "$bin/pg_ctl" -D "$real/data" -w -t 60 \
			-o "$opts" -l "$real/postgres.log" start >/dev/null
	fi
	;;
stop)
	cluster_dir
	if [ -f "$real/data/PG_VERSION" ]; then
		"${as_pg[@]}" "$bin/pg_ctl" -D "$real/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	fi
	;;
host)
	cluster_dir
	echo "$real/run"
	;;
*)
	usage
	;;
esac
