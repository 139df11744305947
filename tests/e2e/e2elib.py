"""Helpers of the end-to-end tests: processes, PostgreSQL clusters,
configuration files, curl, HTML parsing and the browser tests'
node_modules.  Fixtures are in conftest.py.

The binaries come from $TIPLINE_BUILD (default: the build directory at the
top of the repository), so an ASan build runs the same suite.
"""
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TIPLINE_BUILD") or ROOT / "build")


def _sanitized():
    """Whether BUILD was made with a sanitizer (meson's b_sanitize)."""
    try:
        opts = json.loads((BUILD / "meson-info" /
                           "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return False
    return any(o["name"] == "b_sanitize" and o["value"] != "none"
               for o in opts)


# AddressSanitizer and UBSan make every step of the daemons slower, in
# proportion to the work: tests that compare times allow for it.
SANITIZED = _sanitized()
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
INTAKE_BIN = BUILD / "server" / "tipline-intake"
CTL_BIN = BUILD / "server" / "tiplinectl"
PG_SH = ROOT / "deploy" / "pg.sh"
BASE_CONF = ROOT / "conf" / "tipline.ini"
MUNI_TSV = ROOT / "tests" / "data" / "municipality_departments.tsv"
BROWSER_DIR = ROOT / "tests" / "e2e" / "browser"
CHROMIUM = Path("/usr/bin/chromium")

SANITIZER_RE = re.compile(
    r"ERROR: (?:Address|Leak|Memory|Thread|Undefined)Sanitizer|runtime error:")


def sanitizer_lines(text):
    return [l for l in text.splitlines() if SANITIZER_RE.search(l)]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tempdir(prefix):
    """A fresh directory under /tmp that the postgres user can enter."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(0o755)
    return d


def run(cmd, timeout=60, check_sanitizers=True, **kw):
    """Runs a command, text output captured; fails the test on sanitizer
    reports in its stderr."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check_sanitizers:
        bad = sanitizer_lines(p.stderr)
        assert not bad, f"{cmd}: sanitizer report:\n{p.stderr}"
    return p


def ctl(conf, *args, **kw):
    return run([CTL_BIN, "-c", conf, *args], **kw)


# ---------------------------------------------------------------- curl

class Headers(dict):
    """Response headers by lower-case name; repeated headers are joined
    with ", " here and kept apart in .all(name)."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs
        for k, v in pairs:
            self[k] = self[k] + ", " + v if k in self else v

    def all(self, name):
        return [v for k, v in self.pairs if k == name.lower()]


class Response:
    def __init__(self, rc, status, headers, body, stderr):
        self.rc = rc
        self.status = status
        self.headers = headers
        self.body = body
        self.stderr = stderr

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"<Response rc={self.rc} status={self.status}>"


def _parse_head(raw):
    """The last header block of curl -D output (skips 1xx answers)."""
    blocks = [b for b in re.split(r"\r?\n\r?\n", raw) if b.strip()]
    if not blocks:
        return 0, Headers([])
    lines = blocks[-1].splitlines()
    m = re.match(r"HTTP/\S+ (\d{3})", lines[0])
    status = int(m.group(1)) if m else 0
    pairs = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            pairs.append((k.strip().lower(), v.strip()))
    return status, Headers(pairs)


def curl(*args, max_time=10, check=True):
    """Runs `curl -sk --max-time N ARGS...`.  With check, a transport
    failure (no HTTP answer) fails the test."""
    with tempfile.TemporaryDirectory(prefix="tipline-curl-") as d:
        hdr, body = Path(d, "h"), Path(d, "b")
        p = subprocess.run(
            ["curl", "-sS", "-k", "--max-time", str(max_time),
             "-D", str(hdr), "-o", str(body), *[str(a) for a in args]],
            capture_output=True, timeout=max_time + 20)
        raw = hdr.read_bytes().decode("latin-1") if hdr.exists() else ""
        data = body.read_bytes() if body.exists() else b""
    status, headers = _parse_head(raw)
    r = Response(p.returncode, status, headers, data,
                 p.stderr.decode("utf-8", "replace"))
    if check:
        assert p.returncode == 0, f"curl {args} failed: {r.stderr}"
    return r


# ------------------------------------------------------------ postgres

class PgCluster:
    """A private cluster made by deploy/pg.sh, reachable through the Unix
    socket in DIR/run."""

    def __init__(self, dir, port):
        self.dir = Path(dir)
        self.port = port
        self.host = str(self.dir / "run")

    @property
    def conninfo(self):
        return f"host={self.host} port={self.port} dbname=tipline"

    def start(self):
        p = run(["bash", PG_SH, "start", self.dir, self.port], timeout=120)
        assert p.returncode == 0, f"pg.sh start: {p.stdout}{p.stderr}"

    def stop(self):
        run(["bash", PG_SH, "stop", self.dir], timeout=120)

    def createdb(self, name="tipline"):
        p = run(["createdb", "-h", self.host, "-p", self.port, "-U",
                 "postgres", name])
        assert p.returncode == 0, p.stderr

    def psql(self, sql, user="postgres", dbname="tipline"):
        """Runs SQL with psql; returns its unaligned, tuples-only output
        (fields separated by tabs)."""
        p = run(["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                 "-h", self.host, "-p", self.port, "-U", user, "-d", dbname,
                 "-c", sql])
        assert p.returncode == 0, p.stderr
        return p.stdout

    def connect(self, user="postgres", dbname="tipline", **kw):
        import psycopg
        return psycopg.connect(host=self.host, port=self.port, user=user,
                               dbname=dbname, connect_timeout=10, **kw)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def new_cluster(prefix="tipline-pg-"):
    pg = PgCluster(make_tempdir(prefix), free_port())
    try:
        pg.start()
        pg.createdb()
    except BaseException:
        pg.destroy()
        raise
    return pg


@contextlib.contextmanager
def private_cluster(keys_dir, name):
    """A PostgreSQL cluster of the caller's own, migrated, and a config for
    it in a directory of its own; yields (pg, conf, port, dir)."""
    pg = new_cluster(f"tipline-pg-{name}-")
    d = make_tempdir(f"tipline-{name}-")
    try:
        port = free_port()
        conf = keys_dir.variant(d, port=port, conninfo=pg.conninfo)
        p = ctl(conf, "migrate")
        assert p.returncode == 0, p.stderr
        yield pg, conf, port, d
    finally:
        pg.destroy()
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------- config

def set_key(text, section, key, value):
    """Sets KEY in [SECTION] (replacing its line, or adding one after the
    section header); returns the new text and the line number (1-based)."""
    return put_line(text, section, f"{key} = {value}", key)


def put_line(text, section, line, replaces=None):
    """Puts LINE into [SECTION]: instead of the key REPLACES if given and
    present, else right after the header.  Returns (text, line number)."""
    lines = text.split("\n")
    cur = None
    header = None
    for i, l in enumerate(lines):
        s = l.strip()
        if s.startswith("[") and s.endswith("]"):
            cur = s[1:-1].strip()
            if cur == section:
                header = i
            continue
        if cur == section and replaces is not None and \
                re.match(rf"{re.escape(replaces)}\s*=", s):
            lines[i] = line
            return "\n".join(lines), i + 1
    if header is None:
        lines += [f"[{section}]", line]
        return "\n".join(lines), len(lines)
    lines.insert(header + 1, line)
    return "\n".join(lines), header + 2


def render_conf(conninfo, listen, base=None):
    """conf/tipline.ini with the test's database and listener, the way
    deploy/demo.sh writes it."""
    text = (base or BASE_CONF.read_text())
    text, n = re.subn(r"(?m)^conninfo = .*$", f"conninfo = {conninfo}", text)
    assert n == 1
    text, n = re.subn(r"(?m)^admin_user =.*$", "admin_user = postgres", text)
    assert n == 1
    text, _ = set_key(text, "intake", "listen", listen)
    # Every test client comes from 127.0.0.1: lift the limits per client
    # and on tips (test_client_limits.py sets its own).
    for key in ("tip_client", "status_client", "followup_client", "tip"):
        text, _ = set_key(text, "intake", f"{key}_burst", "100000")
        text, _ = set_key(text, "intake", f"{key}_rate", "100000/s")
    return text


class Env:
    """The session's configuration directory: config, certificate, keys."""

    def __init__(self, dir, pg, port):
        self.dir = Path(dir)
        self.pg = pg
        self.port = port
        self.conf = self.dir / "tipline.ini"
        self.cert = self.dir / "intake.crt"
        self.key = self.dir / "intake.key"

    @property
    def text(self):
        return self.conf.read_text()

    def abs_text(self):
        """The config with every file path made absolute, so that a copy
        elsewhere uses this directory's certificate and keys."""
        t = self.text
        for sec, k, f in (("intake", "cert", "intake.crt"),
                          ("intake", "key", "intake.key"),
                          ("keys", "dedup", "dedup.key"),
                          ("keys", "pepper", "receipt.pepper"),
                          ("keys", "public", "seal.pub"),
                          ("keys", "search", "search.key"),
                          ("keys", "secret", "seal.key")):
            t, _ = set_key(t, sec, k, str(self.dir / f))
        return t

    def variant(self, dir, port=None, conninfo=None, text=None):
        """Writes DIR/tipline.ini: this config with absolute paths, and
        optionally another listen port or database."""
        t = text if text is not None else self.abs_text()
        if port is not None:
            t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
        if conninfo is not None:
            t, _ = set_key(t, "database", "conninfo", conninfo)
        p = Path(dir) / "tipline.ini"
        p.write_text(t)
        return p


def make_cert(cert, key, cn="localhost"):
    p = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
             f"/CN={cn}", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", key, "-out", cert])
    assert p.returncode == 0, p.stderr
    os.chmod(key, 0o600)


def served_cert_pem(port, extra=()):
    """The PEM of the certificate a TLS server on 127.0.0.1:PORT sends."""
    p = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{port}", *extra],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=20)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                  p.stdout, re.S)
    assert m, f"no certificate from s_client:\n{p.stdout}{p.stderr}"
    return m.group(0) + "\n"


def cert_fingerprint(pem):
    p = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                        "-sha256"], input=pem, capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def node_modules_stale(d=BROWSER_DIR):
    """The packages of d's package-lock.json that node_modules lacks or
    has in another version."""
    lock = json.loads((d / "package-lock.json").read_text())
    stale = []
    for where, pkg in lock["packages"].items():
        if not where.startswith("node_modules/"):
            continue
        try:
            have = json.loads((d / where / "package.json").read_text())
        except (OSError, ValueError):
            have = {}
        if have.get("version") != pkg.get("version"):
            stale.append(where[len("node_modules/"):])
    return stale


# --------------------------------------------------------------- daemons

def job_stopped(pid):
    """Whether process PID is stopped by a signal (SIGSTOP and the like;
    not a stop under ptrace)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].startswith("T")


class Daemon:
    """One of our daemons, run with CONF, its output in LOG_PATH."""
    # Seconds a stop may take: exiting under ASan checks for leaks, which
    # on a busy machine can take seconds.  Waiting polls, so a quick exit
    # is not held up.
    STOP_TIMEOUT = 60

    def __init__(self, binary, conf, log_path):
        self.conf = Path(conf)
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary), "-c", str(conf)], stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """Signals the daemon and waits for it to exit, up to TIMEOUT
        seconds (STOP_TIMEOUT unless given); returns the exit status (None
        if it had to be killed)."""
        rc = self.proc.poll()
        if rc is None:
            # SIGCONT only to a daemon stopped by a test, and before SIG.
            # Never to one that may be exiting: under ASan, the leak check
            # at exit stops each thread with ptrace (PTRACE_ATTACH, which
            # sends SIGSTOP) and waits for it to stop; a SIGCONT sent then
            # discards that SIGSTOP, and the check waits forever, the
            # daemon spinning after "stopped".
            if job_stopped(self.proc.pid):
                self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout or self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        self._log.close()
        return rc


# --------------------------------------------------------------- intake

class Intake(Daemon):
    def __init__(self, conf, port, log_path):
        super().__init__(INTAKE_BIN, conf, log_path)
        self.port = port
        self.url = f"https://127.0.0.1:{port}"

    def wait_healthy(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"tipline-intake exited with {self.proc.returncode}:\n"
                    + self.log())
            r = curl(f"{self.url}/healthz", max_time=2, check=False)
            if r.status == 200:
                return
            time.sleep(0.1)
        raise AssertionError("tipline-intake not healthy in "
                             f"{timeout} s:\n" + self.log())

    def check_stopped_cleanly(self, rc):
        log = self.log()
        assert rc == 0, f"tipline-intake exit status {rc}:\n{log}"
        assert not sanitizer_lines(log), f"sanitizer report:\n{log}"


def start_intake(conf, port, log_path, timeout=20):
    it = Intake(conf, port, log_path)
    try:
        it.wait_healthy(timeout)
    except BaseException:
        it.stop(signal.SIGKILL)
        raise
    return it


# ----------------------------------------------------------------- html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Parses a page strictly: every non-void element must be closed, in
    order.  Keeps every element with its attributes and the text of
    labels and options."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.elements = []        # (tag, attrs dict)
        self.labels = {}          # for -> text
        self.selects = {}         # select id -> [(value, text)]
        self._label = None
        self._select = None
        self._option = None
        self.feed(html)
        self.close()
        for tag, line in self.stack:
            self.errors.append(f"<{tag}> from line {line} not closed")

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append((tag, a))
        if tag in VOID:
            return
        self.stack.append((tag, self.getpos()[0]))
        if tag == "label":
            self._label = [a.get("for"), ""]
        elif tag == "select":
            self._select = a.get("id")
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), ""]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID:
            self.errors.append(f"line {line}: end tag of void <{tag}>")
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1][0] if self.stack else None
            self.errors.append(f"line {line}: </{tag}> closes <{top}>")
            return
        self.stack.pop()
        if tag == "label" and self._label is not None:
            self.labels[self._label[0]] = self._label[1].strip()
            self._label = None
        elif tag == "option" and self._option is not None:
            self.selects[self._select].append(
                (self._option[0], self._option[1]))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._label is not None:
            self._label[1] += data
        if self._option is not None:
            self._option[1] += data

    def find(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and
                all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


# ------------------------------------------------------- reference data

# The public pages' languages, in the order of enum lang (lib/i18n.h);
# the console speaks the first three.
LANGS = ("fi", "sv", "en", "ar", "fa", "so", "ru", "uk", "et", "se")
STAFF_LANGS = LANGS[:3]
RTL = ("ar", "fa")


def messages(lang):
    """The public pages' texts in lang, by id: lib/messages.tsv for
    Finnish, Swedish and English, lib/lang/LANG.tsv for the others."""
    if lang in STAFF_LANGS:
        path, col = ROOT / "lib" / "messages.tsv", 1 + LANGS.index(lang)
    else:
        path, col = ROOT / "lib" / "lang" / f"{lang}.tsv", 1
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            out[parts[0]] = parts[col]
    return out


def read_tsv():
    """tests/data/municipality_departments.tsv as a list of dicts."""
    lines = MUNI_TSV.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l]


def alpha_key(name):
    """Finnish and Swedish alphabetical order: å, ä, ö after z (as do æ and
    ø), ü as y and é as e; case does not matter."""
    after = {"å": 1, "ä": 2, "æ": 2, "ö": 3, "ø": 3}
    out = []
    for ch in name.lower():
        if ch in after:
            out.append((ord("z") + after[ch]) * 4)
        elif ch == "ü":
            out.append(ord("y") * 4 + 1)
        elif ch == "é":
            out.append(ord("e") * 4 + 1)
        else:
            out.append(ord(ch) * 4)
    return out
