"""The client side of bench/console.sh: sessions, timed GETs over keep-alive
TLS connections, and logins, against a running tipline-console.  Times are
taken at the client, on loopback: each includes the client's own TLS and
parsing, so they are an upper bound of the server's time.

    console_load.py login URL USER PASSWORD SECRET
        logs in (TOTP from consolelib.totp_at) and prints the session
        cookie ("name=value")
    console_load.py follow URL COOKIE PATH PAGES
        follows the queue's "next" link PAGES times from PATH and prints the
        last page's path
    console_load.py get URL COOKIE PATH [--n N] [--secs S] [--conns C]
        [--expect TEXT] [--pid PID]
        GETs PATH over C keep-alive connections (one process each), N
        times each or for S seconds; prints JSON: n, p50, p99, max (ms),
        rate (per second), bytes (of one answer), and with --pid the CPU
        time process PID (the console) spent per request (cpu, ms): on a
        shared machine, what the console itself costs
    console_load.py logins URL PREFIX FIRST PASSWORD SECRET
        (--conns C | --rate R) --secs S
        logs in as PREFIX.FIRST, PREFIX.FIRST+1, ... (each account once:
        each TOTP code works once per account), C at a time or R a second
        (open loop: a login is started every 1/R s whether or not the
        earlier ones have finished); prints JSON: started, ok, failed,
        rate (completed per second), p50, p99 (ms)
"""
import argparse
import gc
import html
import http.client
import json
import multiprocessing
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from consolelib import totp_at  # noqa: E402

SESSION = "__Host-tipline_session"
LOGIN = "__Host-tipline_login"


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Conn:
    """One keep-alive connection; cookies of its own."""

    def __init__(self, url, cookie=None):
        u = urllib.parse.urlsplit(url)
        self.c = http.client.HTTPSConnection(u.hostname, u.port,
                                             context=tls(), timeout=120)
        self.cookies = {}
        if cookie:
            k, _, v = cookie.partition("=")
            self.cookies[k] = v

    def request(self, method, path, fields=None):
        h = {}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}"
                                    for k, v in self.cookies.items())
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() != "set-cookie":
                continue
            name, _, rest = v.partition("=")
            if "Max-Age=0" in v:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = rest.split(";", 1)[0]
        return r.status, r.getheader("Location"), data

    def close(self):
        self.c.close()


def login_once(url, user, password, secret, step=None):
    """(ok, seconds, status of the POST) of one login on a new
    connection, as a browser."""
    c = Conn(url)
    try:
        t = time.perf_counter()
        st, _, page = c.request("GET", "/login")
        m = re.search(rb'name="csrf" value="([0-9a-f]{64})"', page)
        if st != 200 or m is None:
            return False, time.perf_counter() - t, st
        code = totp_at(secret, step if step is not None
                       else int(time.time()) // 30)
        st, loc, _ = c.request("POST", "/login", {
            "username": user, "password": password, "totp": code,
            "csrf": m.group(1).decode()})
        ok = st == 303 and loc == "/" and SESSION in c.cookies
        return ok, time.perf_counter() - t, st
    finally:
        c.close()


def pct(xs, f):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * f))] if xs else float("nan")


def cmd_login(a):
    c = Conn(a.url)
    st, _, page = c.request("GET", "/login")
    csrf = re.search(rb'name="csrf" value="([0-9a-f]{64})"', page)
    st, loc, _ = c.request("POST", "/login", {
        "username": a.user, "password": a.password,
        "totp": totp_at(a.secret, int(time.time()) // 30),
        "csrf": csrf.group(1).decode()})
    if st != 303 or loc != "/" or SESSION not in c.cookies:
        sys.exit(f"login as {a.user} failed: {st} {loc}")
    print(f"{SESSION}={c.cookies[SESSION]}")


def cmd_follow(a):
    c = Conn(a.url, a.cookie)
    path = a.path
    for i in range(a.pages):
        st, _, page = c.request("GET", path)
        m = re.search(rb'<a[^>]*href="(/\?[^"]*after=[^"]*)"[^>]*rel="next"'
                      rb'|rel="next"[^>]*href="(/\?[^"]*after=[^"]*)"', page)
        if st != 200 or m is None:
            sys.exit(f"page {i + 1} ({path}): {st}, no next link")
        path = html.unescape((m.group(1) or m.group(2)).decode())
    print(path)


def get_worker(args):
    q = args[-1]
    try:
        timed_gets(*args)
    except Exception as e:  # the parent waits for one answer each
        q.put({"error": f"GET {args[2]}: {e!r}"})


def timed_gets(url, cookie, path, n, secs, expect, q):
    c = Conn(url, cookie)
    lat, size = [], 0
    # Warm: the connection, the statement's plan, the caches.
    for _ in range(5):
        st, _, body = c.request("GET", path)
        if st != 200 or (expect and expect.encode() not in body):
            q.put({"error": f"GET {path}: {st}, {len(body)} bytes"})
            return
        size = len(body)
    gc.disable()
    end = time.perf_counter() + secs if secs else None
    i = 0
    t0 = time.perf_counter()
    while (end is None and i < n) or (end is not None
                                      and time.perf_counter() < end):
        t = time.perf_counter()
        st, _, body = c.request("GET", path)
        lat.append(time.perf_counter() - t)
        if st != 200:
            q.put({"error": f"GET {path}: {st}"})
            return
        i += 1
    q.put({"lat": lat, "secs": time.perf_counter() - t0, "bytes": size})
    c.close()


def cpu_ms(pid):
    """User and system time of a process so far, in milliseconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf(
        "SC_CLK_TCK")


def cmd_get(a):
    q = multiprocessing.Queue()
    cpu0 = cpu_ms(a.pid) if a.pid else 0
    ps = [multiprocessing.Process(target=get_worker, args=(
        (a.url, a.cookie, a.path, a.n, a.secs, a.expect, q),))
        for _ in range(a.conns)]
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    # Measured over the warm-up too (the processes' first five requests
    # each): a little more than the timed requests' own.
    cpu = (cpu_ms(a.pid) - cpu0) if a.pid else None
    for r in res:
        if "error" in r:
            sys.exit(r["error"])
    lat = [x * 1000 for r in res for x in r["lat"]]
    secs = max(r["secs"] for r in res)
    out = {"n": len(lat), "p50": round(pct(lat, .5), 2),
           "p99": round(pct(lat, .99), 2), "max": round(max(lat), 2),
           "rate": round(len(lat) / secs, 1), "bytes": res[0]["bytes"]}
    if cpu is not None:
        out["cpu"] = round(cpu / (len(lat) + 5 * a.conns), 2)
    print(json.dumps(out))


def cmd_logins(a):
    lock = threading.Lock()
    nxt = [a.first]
    ok, failed, lat = [0], [0], []
    why = {}                    # status of each failed login: count

    def one():
        with lock:
            k = nxt[0]
            nxt[0] += 1
        good, secs, st = login_once(a.url, f"{a.prefix}.{k}", a.password,
                                    a.secret)
        with lock:
            if good:
                ok[0] += 1
                lat.append(secs * 1000)
            else:
                failed[0] += 1
                why[str(st)] = why.get(str(st), 0) + 1

    t0 = time.perf_counter()
    end = t0 + a.secs
    threads = []
    if a.conns:
        def loop():
            while time.perf_counter() < end:
                one()
        threads = [threading.Thread(target=loop) for _ in range(a.conns)]
        for t in threads:
            t.start()
    else:
        i = 0
        while True:
            at = t0 + i / a.rate
            if at >= end:
                break
            time.sleep(max(0, at - time.perf_counter()))
            t = threading.Thread(target=one)
            t.start()
            threads.append(t)
            i += 1
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    print(json.dumps({"started": nxt[0] - a.first, "ok": ok[0],
                      "failed": failed[0], "why": why,
                      "rate": round(ok[0] / secs, 2),
                      "p50": round(pct(lat, .5), 1),
                      "p99": round(pct(lat, .99), 1)}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("login")
    for k in ("url", "user", "password", "secret"):
        s.add_argument(k)
    s = sub.add_parser("follow")
    for k in ("url", "cookie", "path"):
        s.add_argument(k)
    s.add_argument("pages", type=int)
    s = sub.add_parser("get")
    for k in ("url", "cookie", "path"):
        s.add_argument(k)
    s.add_argument("--n", type=int, default=300)
    s.add_argument("--secs", type=float, default=0)
    s.add_argument("--conns", type=int, default=1)
    s.add_argument("--expect", default="")
    s.add_argument("--pid", type=int, default=0)
    s = sub.add_parser("logins")
    for k in ("url", "prefix"):
        s.add_argument(k)
    s.add_argument("first", type=int)
    s.add_argument("password")
    s.add_argument("secret")
    s.add_argument("--conns", type=int, default=0)
    s.add_argument("--rate", type=float, default=0)
    s.add_argument("--secs", type=float, required=True)
    a = p.parse_args()
    {"login": cmd_login, "follow": cmd_follow, "get": cmd_get,
     "logins": cmd_logins}[a.cmd](a)


if __name__ == "__main__":
    main()
