#!/usr/bin/env python3
"""Connections for bench/intake.sh to hold open against a daemon.

  hostile.py idle PORT N PATH   N TLS connections, each makes one kept-alive
                                GET PATH, then stays idle
  hostile.py loris PORT N       N slow-loris connections: half trickle a
                                request head a byte at a time over TLS,
                                half never start TLS; closed ones reopen

Connections come from 127.0.0.2 and up, 8 per address, so that a daemon's
per-client limit does not refuse them.  Prints "ready N" once N are open,
then holds them until it is killed (SIGTERM)."""
import select
import signal
import socket
import ssl
import sys
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def source(i):
    n = 2 + i // 8
    return f"127.0.{n // 250}.{n % 250 + 2}"


def connect(port, i, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source(i), 0))


def idle(port, n, path):
    socks = []
    for i in range(n):
        s = CTX.wrap_socket(connect(port, i))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  .encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit(f"connection {i} closed")
            data += chunk
        socks.append(s)
    print(f"ready {len(socks)}", flush=True)
    while True:
        time.sleep(3600)


def loris(port, n):
    socks = [None] * n

    def opened(i):
        try:
            raw = connect(port, i, timeout=5)
            if i % 2:
                return raw
            s = CTX.wrap_socket(raw)
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            return s
        except OSError:
            return None

    for i in range(n):
        socks[i] = opened(i)
    print(f"ready {sum(s is not None for s in socks)}", flush=True)
    while True:
        for i, s in enumerate(socks):
            try:
                if s is None:
                    raise OSError
                if i % 2 == 0:
                    s.send(b"X")
                else:
                    r, _, _ = select.select([s], [], [], 0)
                    if r and s.recv(1) == b"":
                        raise OSError
            except OSError:
                if s is not None:
                    s.close()
                socks[i] = opened(i)
        time.sleep(1)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode == "idle":
        idle(port, n, sys.argv[4])
    else:
        loris(port, n)


if __name__ == "__main__":
    main()
