#!/usr/bin/env bash
# Nothing reads who a client is: no peer address lookups, no forwarded-for
# headers, no User-Agent or Referer reads, anywhere in the daemons.
cd "$(dirname "$0")/../.." || exit 1
pat='evhttp_connection_get_peer|evhttp_connection_get_addr|bufferevent_socket_get_conn_address|getpeername|inet_ntop|X-Forwarded-For|"User-Agent"|"Referer"'
if git grep -nE "$pat" -- 'lib/*.c' 'server/*.c' 'worker/*.c'; then
	echo "the daemons must not read who the client is"
	exit 1
fi
# One exception: lib/http.c's accept callback gets the address from the
# kernel and hashes it at once with a key that is replaced every hour
# (lib/client.c); only the hash is kept.  No other code hashes addresses.
calls=$(git grep -nE '^[^*]*[^_a-z]client_key\(' -- 'lib/*.c' 'server/*.c' 'worker/*.c' |
	grep -v '^lib/client\.c:')
if [ "$(printf '%s\n' "$calls" | grep -c .)" -ne 1 ] ||
	[ "${calls%%:*}" != lib/http.c ]; then
	printf '%s\n' "$calls"
	echo "only lib/http.c's accept callback may hash the client's address"
	exit 1
fi
exit 0
