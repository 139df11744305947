#!/usr/bin/env bash
# Nothing reads who a client is: no peer address lookups, no forwarded-for
# headers, no User-Agent or Referer reads, anywhere in the daemons.
cd "$(dirname "$0")/../.." || exit 1
pat='evhttp_connection_get_peer|getpeername|inet_ntop|X-Forwarded-For|"User-Agent"|"Referer"|evhttp_connection_get_addr'
if git grep -nE "$pat" -- 'lib/*.c' 'server/*.c' 'worker/*.c'; then
	echo "the daemons must not read who the client is"
	exit 1
fi
exit 0
