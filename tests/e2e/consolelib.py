"""Helpers and fixtures of the console tests (tests/e2e/test_console_*.py).

Each console test module gets the worker tests' world (wenv: its own
database, config and intake; console_worker: a worker that files tips into
cases) plus a running tipline-console on that config, and reviewer
accounts made with tiplinectl:

    cenv       module: .console (the daemon), .accounts[name] (Account),
               .wenv, .db, .new_case(fields) -> case id
    Client     an HTTPS client with its own cookie jar (no redirects
               followed), like one browser
    Account    username, password, TOTP secret; .code() gives a code for
               a step not used before (each code works once)
    browser_code(acct)
               a browser step that types acct's code when it gets to it

Binaries come from $TIPLINE_BUILD like the rest of the e2e suite.
"""
import base64
import hashlib
import hmac
import http.client
import re
import shutil
import signal
import ssl
import struct
import subprocess
import time
import urllib.parse

import pytest

from e2elib import BUILD, Daemon, ctl, free_port, make_tempdir, set_key
from tiplib import tip_fields
from worklib import (ingest, long_lease_conf, run_module_worker,  # noqa: F401
                     wenv)

CONSOLE_BIN = BUILD / "server" / "tipline-console"

# Cheap hashing and short delays for tests; the defaults are for people.
CONSOLE_SETTINGS = {
    "password_memory": "8M",
    "password_passes": "1",
    "lockout_after": "3",
    "lockout_delay": "2s",
    "lockout_max": "30s",
    "audit_head_every": "1s",
    "shutdown_grace": "10s",
}


# The police unit that notices to platforms come from (a made-up one).
NOTIFIER = {
    "name": "Poliisi, verkkovihan testiyksikkö",
    "email": "verkkoviha.testi@poliisi.example",
}


def route_table():
    """The console's routes as `tipline-console -r` prints them:
    {"METHOD PATH": "flags"}."""
    p = subprocess.run([str(CONSOLE_BIN), "-r"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    routes = {}
    for line in p.stdout.splitlines():
        method, path, *flags = line.split()
        routes[f"{method} {path}"] = " ".join(flags)
    assert routes, "tipline-console -r printed no routes"
    return routes


def usable_steps():
    """The steps whose codes the console will still take in 20 s: the
    previous step's only early in the current one (it expires when the
    next begins; a loaded machine can take seconds to log in)."""
    t = time.time()
    now = int(t) // 30
    early = t - now * 30 < 10
    return [now - 1, now, now + 1] if early else [now, now + 1]


def wait_for(what, fn, timeout=30):
    """Polls fn until it returns a true value; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def totp_at(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    n = struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff
    return f"{n % 1000000:06d}"


class Account:
    def __init__(self, username, password, secret, role, department):
        self.username = username
        self.password = password
        self.secret = secret
        self.role = role
        self.department = department
        self.last_step = 0
        # Called when every usable step is spent: lets the console take
        # them again (CEnv.add sets it), so that a module's dozens of logins
        # need not wait for the next step.  The tests of replay protection
        # (test_console_auth.py) pick their steps themselves.
        self.unspend = None

    def code(self):
        """A code the console accepts now and has not seen: a step within
        one of now that is later than the last one used (waits for the
        next step if all are used, or has them unspent).  See
        usable_steps()."""
        while True:
            for step in usable_steps():
                if step > self.last_step:
                    self.last_step = step
                    return totp_at(self.secret, step)
            if self.unspend is not None:
                self.unspend()
                self.last_step = 0
                continue
            time.sleep(1)


def browser_code(acct):
    """A step for the browser scripts (console.mjs, axe.mjs) that types
    acct's code into #totp when the browser gets there, computed then: a
    code computed now could expire while the steps before it run, which
    on a busy machine take minutes.  The account's spent step is reset
    first, since the browser's code may be of the step acct last used;
    so a browser run logs each account in once at most."""
    acct.unspend()
    acct.last_step = 0
    return {"fill": "#totp", "totp": "", "secret": acct.secret}


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Client:
    """One browser: a cookie jar over HTTPS, redirects not followed."""

    def __init__(self, url):
        self.url = url
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.cookies = {}
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def request(self, method, path, fields=None, headers=None,
                cookies=True):
        h = dict(headers or {})
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies and self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}"
                                    for k, v in self.cookies.items())
        c = http.client.HTTPSConnection(self.host, self.port,
                                        context=self.ctx, timeout=30)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for sc in resp.all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw):
        return self.request("POST", path, fields=fields, **kw)

    def csrf(self, path):
        """The csrf field of the page at path."""
        r = self.get(path)
        assert r.status == 200, (path, r.status, r.text[:500])
        return form_csrf(r.text)

    def login(self, acct, code=None):
        """Logs in (password and TOTP); returns the final response."""
        csrf = self.csrf("/login")
        return self.post("/login", {
            "username": acct.username, "password": acct.password,
            "totp": acct.code() if code is None else code, "csrf": csrf})


def form_csrf(html):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert m, "no csrf field:\n" + html[:2000]
    return m.group(1)


def case_version(html):
    m = re.search(r'name="version" value="(\d+)"', html)
    assert m, "no version field:\n" + html[:3000]
    return m.group(1)


class Console(Daemon):
    def __init__(self, conf, port, log_path):
        super().__init__(CONSOLE_BIN, conf, log_path)
        self.port = port
        self.url = f"https://127.0.0.1:{port}"

    def wait_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        c = Client(self.url)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"tipline-console exited with {self.proc.returncode}:"
                    "\n" + self.log())
            try:
                if c.get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"tipline-console not healthy in {timeout} s:"
                             "\n" + self.log())


def console_conf(wenv, port, settings=None, name="console.ini",
                 notifier=None):
    text = wenv.conf.read_text()
    for k, v in {**NOTIFIER, **(notifier or {})}.items():
        text, _ = set_key(text, "notifier", k, v)
    text, _ = set_key(text, "console", "listen", f"127.0.0.1:{port}")
    text, _ = set_key(text, "console", "cert",
                      str(wenv.keys.dir / "intake.crt"))
    text, _ = set_key(text, "console", "key",
                      str(wenv.keys.dir / "intake.key"))
    text, _ = set_key(text, "console", "audit_head_file",
                      str(wenv.dir / "audit.head"))
    for k, v in {**CONSOLE_SETTINGS, **(settings or {})}.items():
        text, _ = set_key(text, "console", k, v)
    p = wenv.dir / name
    p.write_text(text)
    return p


def add_reviewer(conf, username, role, department=None, enrolled=True,
                 password=None):
    password = password or f"pw-{username}-Tl9!x"
    args = ["reviewer", "add", username, "--name",
            username.replace(".", " ").title(), "--role", role,
            "--password-stdin"]
    if department:
        args += ["--department", department]
    if enrolled:
        args.append("--enrolled")
    p = ctl(conf, *args, input=password + "\n")
    assert p.returncode == 0, p.stderr
    m = re.search(r"^totp: ([A-Z2-7]+)$", p.stdout, re.M)
    assert m, p.stdout
    return Account(username, password, m.group(1), role, department)


class CEnv:
    def __init__(self, wenv, worker, console, conf):
        self.wenv = wenv
        self.db = wenv.db
        self.worker = worker
        self.console = console
        self.conf = conf
        self.accounts = {}

    def add(self, username, role, department=None, **kw):
        a = add_reviewer(self.conf, username, role, department, **kw)
        a.unspend = lambda: self.db.q(
            "UPDATE reviewer SET totp_last_step = 0 WHERE username = %s",
            (username,))
        self.accounts[username] = a
        return a

    def new_case(self, **fields):
        """Sends a tip through the intake and waits for its case."""
        t = ingest(self.wenv, tip_fields(**fields), workers=[self.worker])
        return t["case_id"]

    def new_tip(self, fields, files=()):
        """Sends a tip (tip_fields pairs) with screenshots (tiplib.file_arg
        tuples); returns worklib.tip_by_code() once it is in a case."""
        return ingest(self.wenv, fields, files=files, workers=[self.worker])

    def client(self, acct=None):
        c = Client(self.console.url)
        if acct is not None:
            r = c.login(acct)
            assert r.status == 303 and r.header("Location") == "/", \
                (r.status, r.header("Location"), r.text[:1000])
        return c

    def audit(self, action=None):
        sql = ("SELECT a.id, a.reviewer_id, a.action, a.case_id, "
               "a.detail FROM audit_log a")
        if action:
            return self.db.q(sql + " WHERE a.action = %s ORDER BY a.id",
                             (action,))
        return self.db.q(sql + " ORDER BY a.id")


@pytest.fixture(scope="module")
def console_worker(wenv):  # noqa: F811
    """The module's worker.  Its lease is long: these tests are not about
    leases, and under a sanitizer on a busy machine reading one
    screenshot can take longer than the worker tests' three seconds."""
    yield from run_module_worker(long_lease_conf(wenv))


@pytest.fixture(scope="module")
def cenv(wenv, console_worker):  # noqa: F811
    if not CONSOLE_BIN.exists():
        pytest.fail(f"{CONSOLE_BIN} is missing: build first")
    port = free_port()
    conf = console_conf(wenv, port)
    logdir = make_tempdir("tipline-clog-")
    c = Console(conf, port, logdir / "console.log")
    try:
        c.wait_healthy()
        env = CEnv(wenv, console_worker, c, conf)
        env.add("helsinki.officer", "officer", "helsinki")
        env.add("helsinki.second", "officer", "helsinki")
        env.add("lappi.officer", "officer", "lappi")
        env.add("national.officer", "national")
        env.add("the.admin", "admin")
        yield env
        rc = c.stop()
        assert rc == 0, f"tipline-console exited {rc}:\n{c.log()[-3000:]}"
        assert "ERROR: AddressSanitizer" not in c.log(), c.log()
        assert "runtime error:" not in c.log(), c.log()
    finally:
        if c.proc.poll() is None:
            c.stop(signal.SIGKILL)
        shutil.rmtree(logdir, ignore_errors=True)
