"""Fixtures of the end-to-end tests.

    pg         session: a throwaway PostgreSQL cluster (deploy/pg.sh) with
               the database tipline
    keys_dir   session: config, self-signed ECDSA certificate, keys
               (tiplinectl keygen) and the migrated schema
    intake     module: a running tipline-intake on keys_dir's config
    start_intake  function: starts more daemons (conf, port); stops them
    workdir    function: a temporary directory, removed afterwards
    curl       the curl helper (e2elib.curl)
    node_env   session: the path of node, with tests/e2e/browser's
               node_modules as its package-lock.json pins them

Binaries come from $TIPLINE_BUILD (default: build/ at the top).
"""
import os
import shutil
import subprocess

import pytest

os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")

import e2elib  # noqa: E402
from e2elib import (BROWSER_DIR, CHROMIUM, CTL_BIN,  # noqa: E402
                    INTAKE_BIN, Env, Intake, ctl, free_port, make_cert,
                    make_tempdir, new_cluster, node_modules_stale,
                    render_conf, start_intake as _start_intake)


def pytest_configure(config):
    for b in (INTAKE_BIN, CTL_BIN):
        if not b.exists():
            raise pytest.UsageError(
                f"{b} is missing: build first (ninja -C {e2elib.BUILD})")


def pytest_report_header(config):
    return [f"tipline build: {e2elib.BUILD}",
            f"ASAN_OPTIONS={os.environ.get('ASAN_OPTIONS')}"]


@pytest.fixture(scope="session")
def pg():
    cluster = new_cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def keys_dir(pg):
    d = make_tempdir("tipline-conf-")
    env = Env(d, pg, free_port())
    env.conf.write_text(render_conf(pg.conninfo, f"127.0.0.1:{env.port}"))
    make_cert(env.cert, env.key)
    p = ctl(env.conf, "keygen")
    assert p.returncode == 0, p.stderr
    p = ctl(env.conf, "migrate")
    assert p.returncode == 0, p.stderr
    yield env
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def workdir():
    d = make_tempdir("tipline-work-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _stop_all(started):
    errors = []
    for it in started:
        rc = it.stop()
        try:
            it.check_stopped_cleanly(rc)
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture(scope="module")
def intake(keys_dir):
    logdir = make_tempdir("tipline-log-")
    it = _start_intake(keys_dir.conf, keys_dir.port, logdir / "intake.log")
    yield it
    try:
        _stop_all([it])
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


@pytest.fixture
def start_intake(workdir):
    """Starts tipline-intake -c CONF expecting it on PORT; every daemon
    still running at the end gets SIGTERM and must exit 0 without
    sanitizer reports."""
    started = []

    def start(conf, port, wait=True, name=None):
        log = workdir / (name or f"intake-{len(started)}.log")
        if wait:
            it = _start_intake(conf, port, log)
        else:
            it = Intake(conf, port, log)
        started.append(it)
        return it

    yield start
    _stop_all([it for it in started if it.proc.returncode is None])


@pytest.fixture(scope="session")
def curl():
    return e2elib.curl


@pytest.fixture(scope="session")
def node_env():
    """Node for the browser tests (tests/e2e/browser/*.mjs, which drive
    Debian's Chromium).  node, npm and chromium come from deploy/deps.sh
    test; a missing one fails the test.  node_modules is made with
    `npm ci` from the committed package-lock.json when it lacks a
    package or has another version of one."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are needed for the browser tests"
    assert CHROMIUM.is_file(), \
        f"{CHROMIUM} is missing: deploy/deps.sh test installs chromium"
    if node_modules_stale():
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"],
                           cwd=BROWSER_DIR, capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, f"npm ci failed:\n{p.stdout}{p.stderr}"
        assert not node_modules_stale(), node_modules_stale()
    return node
