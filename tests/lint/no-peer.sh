#!/usr/bin/env bash
# Nothing reads who a client is: no peer address lookups, no forwarded-for
# headers, no User-Agent or Referer reads, anywhere in the daemons.
cd "$(dirname "$0")/../.." || exit 1
pat='evhttp_connection_get_peer|getpeername|inet_ntop|X-Forwarded-For|"User-Agent"|"Referer"'
if git grep -nE "$pat" -- 'lib/*.c' 'server/*.c' 'worker/*.c'; then
	echo "the daemons must not read who the client is"
	exit 1
fi
# One exception: web_client() in server/web.c reads the address of the
# connection and hashes it at once with a key that is replaced every hour
# (lib/client.c); only the hash leaves it, and the address is never kept.
# Exactly one call, inside web_client(), and nowhere else.
calls=$(git grep -nE 'evhttp_connection_get_addr|bufferevent_socket_get_conn_address' \
	-- 'lib/*.[ch]' 'server/*.[ch]' 'worker/*.[ch]')
inside=$(awk '/^web_client\(/ { f = 1 } f && /^}/ { f = 0 }
	f && /evhttp_connection_get_addr\(/ { print FILENAME ":" FNR }' \
	server/web.c)
if [ "$(printf '%s\n' "$calls" | grep -c .)" -ne 1 ] ||
	[ "${calls%%:*}" != server/web.c ] || [ -z "$inside" ] ||
	[ "$(printf '%s' "$calls" | cut -d: -f1-2)" != "$inside" ]; then
	printf '%s\n' "$calls"
	echo "only web_client() in server/web.c may read the client's address"
	exit 1
fi
exit 0
