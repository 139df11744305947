"""deploy/demo.sh runs the intake, the worker and the console as their
own unprivileged users, and the intake's user cannot read the private
sealing key, the dedup key or the search key.  Needs root (the demo makes
the users); the demo's var/ is a directory of the test's own."""
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from e2elib import ROOT, make_tempdir

DEMO = ROOT / "deploy" / "demo.sh"
DAEMONS = ("intake", "worker", "console")

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the demo makes users as root")


def demo(var, *args, timeout=600):
    env = dict(os.environ, TIPLINE_DEMO_VAR=str(var))
    p = subprocess.run(["bash", str(DEMO), *args], capture_output=True,
                       text=True, timeout=timeout, env=env, cwd=ROOT)
    assert p.returncode == 0, f"demo.sh {args}: {p.returncode}\n" + \
        p.stdout + p.stderr
    return p.stdout


def uids(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return {int(x) for x in line.split()[1:]}
    raise AssertionError(f"no Uid in /proc/{pid}/status")


def check_users(var):
    """Each daemon runs, as tipline-NAME, all four of its uids."""
    seen = set()
    for name in DAEMONS:
        pid = int((var / "run" / f"{name}.pid").read_text())
        assert os.path.exists(f"/proc/{pid}"), f"tipline-{name} not running"
        want = pwd.getpwnam(f"tipline-{name}")
        assert want.pw_uid != 0
        assert want.pw_shell.endswith("nologin"), want
        assert uids(pid) == {want.pw_uid}, (name, uids(pid), want)
        seen.add(want.pw_uid)
    assert len(seen) == len(DAEMONS)


def read_as(user, path):
    """(exit status, stderr) of reading a byte of PATH as USER."""
    p = subprocess.run(["runuser", "-u", user, "--", "head", "-c1",
                        str(path)], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stderr


def can_read(user, path):
    rc, err = read_as(user, path)
    assert rc == 0, f"{user} cannot read {path}: {err}"


def cannot_read(user, path):
    assert path.exists(), path
    rc, err = read_as(user, path)
    assert rc != 0 and "Permission denied" in err, \
        f"{user} reads {path}: {rc} {err}"


def check_keys(conf, share):
    """Who reads which key: the originals in CONF only root, each
    daemon its copies in SHARE/NAME."""
    for user in ("tipline-intake", "tipline-worker", "tipline-console"):
        for f in ("seal.key", "dedup.key", "search.key", "receipt.pepper",
                  "intake.key", "console.key", "tipline.ini"):
            cannot_read(user, conf / f)
    # The intake: none of the keys it has no use for.
    for f in ("worker/seal.key", "console/seal.key", "worker/dedup.key",
              "worker/search.key", "console/search.key",
              "console/console.key", "worker/worker.ini"):
        cannot_read("tipline-intake", share / f)
    for f in ("intake/intake.key", "intake/receipt.pepper",
              "intake/intake.ini", "seal.pub", "intake.crt"):
        can_read("tipline-intake", share / f)
    # The worker: the sealing, dedup and search keys.
    for f in ("worker/seal.key", "worker/dedup.key", "worker/search.key",
              "worker/worker.ini", "seal.pub"):
        can_read("tipline-worker", share / f)
    for f in ("intake/receipt.pepper", "console/console.key"):
        cannot_read("tipline-worker", share / f)
    # The console: the sealing and search keys, not the dedup key.
    for f in ("console/seal.key", "console/search.key",
              "console/console.key", "console/console.ini"):
        can_read("tipline-console", share / f)
    for f in ("worker/dedup.key", "intake/receipt.pepper",
              "intake/intake.key"):
        cannot_read("tipline-console", share / f)


def run_demo(var, share):
    try:
        demo(var)
        check_users(var)
        check_keys(var / "conf", share)
        # Again while running, then again after a stop: the users and
        # files exist already.
        assert "already running" in demo(var)
        check_users(var)
        demo(var, "stop")
        for name in DAEMONS:
            assert not (var / "run" / f"{name}.pid").exists()
        demo(var)
        check_users(var)
    finally:
        pids = [int(p.read_text()) for p in (var / "run").glob("*.pid")]
        demo(var, "stop")
        for pid in pids:
            assert not os.path.exists(f"/proc/{pid}"), f"{pid} still runs"


def test_demo_daemons_run_as_their_users():
    var = make_tempdir("tipline-demo-")
    try:
        run_demo(var, var / "conf")
    finally:
        shutil.rmtree(var, ignore_errors=True)


def test_demo_in_a_directory_the_users_cannot_enter():
    """As in a checkout in /root: the daemons' files are copied to
    /var/lib/tipline-demo/HASH, and the cluster's kept outside too."""
    top = make_tempdir("tipline-demo-")
    top.chmod(0o700)
    var = top / "var"
    share = Path("/var/lib/tipline-demo") / \
        hashlib.sha256(str(var).encode()).hexdigest()[:16]
    try:
        run_demo(var, share)
        assert (share / "var").read_text() == f"{var}\n"
    finally:
        pg = var / "pg"
        if pg.is_symlink():
            shutil.rmtree(pg.resolve(), ignore_errors=True)
        shutil.rmtree(share, ignore_errors=True)
        shutil.rmtree(top, ignore_errors=True)
