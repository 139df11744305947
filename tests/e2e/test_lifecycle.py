"""Signals, configuration checking, migrations and key generation."""
import re
import signal
import stat
import time
from pathlib import Path

import pytest

from e2elib import (BASE_CONF, INTAKE_BIN, ROOT, cert_fingerprint, ctl,
                    free_port, job_stopped, make_cert, put_line, run,
                    served_cert_pem, set_key)
from worklib import WORKER_BIN


def last_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(keys_dir, start_intake, workdir, curl, sig):
    port = free_port()
    it = start_intake(keys_dir.variant(workdir, port=port), port)
    rc = it.stop(sig)
    it.check_stopped_cleanly(rc)
    log = it.log()
    assert last_line(log).endswith("stopped"), log
    assert "stopping" in log
    # Idle, it exits at once, without waiting out the grace period.
    assert "grace period over" not in log, log
    r = curl(f"{it.url}/healthz", max_time=3, check=False)
    assert r.rc != 0 and r.status == 0, "still listening after exit"


def test_stop_resumes_only_a_stopped_daemon(keys_dir, start_intake, workdir):
    """stop() sends SIGCONT to a daemon a test stopped, and to no other:
    one that is exiting may be in the leak check of an ASan build, which
    a SIGCONT would hang (see Daemon.stop)."""
    port = free_port()
    it = start_intake(keys_dir.variant(workdir, port=port), port)
    sent = []
    send = it.proc.send_signal
    it.proc.send_signal = lambda sig: (sent.append(sig), send(sig))
    rc = it.stop()
    it.check_stopped_cleanly(rc)
    assert sent == [signal.SIGTERM], sent

    port = free_port()
    it = start_intake(keys_dir.variant(workdir, port=port), port,
                      name="stopped.log")
    it.proc.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while not job_stopped(it.pid):
        assert time.monotonic() < deadline, "SIGSTOP did not stop it"
        time.sleep(0.01)
    rc = it.stop()
    it.check_stopped_cleanly(rc)


def wait_log(it, text, timeout=10):
    deadline = time.monotonic() + timeout
    while text not in it.log():
        assert it.proc.poll() is None, it.log()
        assert time.monotonic() < deadline, f"no {text!r} in log:\n{it.log()}"
        time.sleep(0.05)


def test_sighup_reloads_certificate(keys_dir, start_intake, workdir, curl):
    cert, key = workdir / "own.crt", workdir / "own.key"
    make_cert(cert, key, cn="first")
    port = free_port()
    text, _ = set_key(keys_dir.abs_text(), "intake", "cert", str(cert))
    text, _ = set_key(text, "intake", "key", str(key))
    it = start_intake(keys_dir.variant(workdir, port=port, text=text), port)
    first = cert_fingerprint(served_cert_pem(port))
    assert first == cert_fingerprint(cert.read_text())

    make_cert(cert, key, cn="second")
    second = cert_fingerprint(cert.read_text())
    assert second != first
    it.proc.send_signal(signal.SIGHUP)
    wait_log(it, "certificate reloaded")
    assert it.proc.poll() is None
    assert curl(f"{it.url}/healthz").status == 200
    assert cert_fingerprint(served_cert_pem(port)) == second

    # A broken file is refused; the daemon keeps the certificate it has.
    cert.write_text("not a certificate\n")
    it.proc.send_signal(signal.SIGHUP)
    wait_log(it, "certificate not reloaded")
    assert it.proc.poll() is None
    assert curl(f"{it.url}/fi").status == 200
    assert cert_fingerprint(served_cert_pem(port)) == second


def test_check_only(keys_dir):
    p = run([INTAKE_BIN, "-n", "-c", keys_dir.conf], timeout=30)
    assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p.stderr
    p = ctl(keys_dir.conf, "check-config")
    assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p.stderr


# (section, line to put, key it replaces, words the message must have)
BAD = {
    "size-unit": ("limits", "max_file_bytes = 1T", "max_file_bytes",
                  ["[limits] max_file_bytes:"]),
    "size-range": ("limits", "max_file_bytes = 100G", "max_file_bytes",
                   ["[limits] max_file_bytes:", "allowed"]),
    "unknown-key": ("intake", "lisen = x", None,
                    ["[intake] lisen:", "unknown key"]),
    "unknown-section": ("intak", "listen = 127.0.0.1:1", None,
                        ["[intak] listen:", "unknown section"]),
    "bad-port": ("intake", "listen = 127.0.0.1:99999", "listen",
                 ["[intake] listen:", "port"]),
    "no-port": ("intake", "listen = 127.0.0.1", "listen",
                ["[intake] listen:"]),
    "no-equals": ("log", "level info", "level", ["syntax error"]),
    "not-a-number": ("database", "pool_size = four", "pool_size",
                     ["[database] pool_size:"]),
    "duration-range": ("intake", "timeout = 10ms", "timeout",
                       ["[intake] timeout:", "1000"]),
    "log-level": ("log", "level = loud", "level", ["[log] level:"]),
    "empty-path": ("keys", "dedup =", "dedup", ["[keys] dedup:"]),
}


def bad_conf(keys_dir, workdir, case):
    section, line, replaces, words = BAD[case]
    text, lineno = put_line(keys_dir.abs_text(), section, line, replaces)
    conf = workdir / "tipline.ini"
    conf.write_text(text)
    assert text.split("\n")[lineno - 1] == line
    return conf, lineno, words


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("prog", ["intake", "ctl"])
def test_bad_config(keys_dir, workdir, case, prog):
    conf, lineno, words = bad_conf(keys_dir, workdir, case)
    if prog == "intake":
        p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    else:
        p = ctl(conf, "check-config")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "configuration OK" not in p.stdout
    assert f"{conf}:{lineno}: " in p.stderr
    for w in words:
        assert w in p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr


def test_bad_config_stops_the_daemon(keys_dir, workdir):
    """Without -n too: exit 2 before listening."""
    conf, lineno, _ = bad_conf(keys_dir, workdir, "bad-port")
    p = run([INTAKE_BIN, "-c", conf], timeout=30)
    assert p.returncode == 2
    assert f"{conf}:{lineno}: [intake] listen:" in p.stderr


def test_missing_config_file(workdir):
    conf = workdir / "nosuch.ini"
    for p in (run([INTAKE_BIN, "-n", "-c", conf], timeout=30),
              ctl(conf, "check-config")):
        assert p.returncode == 2
        assert str(conf) in p.stderr
        assert "No such file" in p.stderr


@pytest.mark.parametrize("section,key", [
    ("keys", "public"), ("keys", "pepper"),
    ("intake", "cert"), ("intake", "key")])
def test_missing_file_named(keys_dir, workdir, section, key):
    missing = workdir / "gone" / f"{key}.file"
    text, _ = set_key(keys_dir.abs_text(), section, key, str(missing))
    conf = workdir / "tipline.ini"
    conf.write_text(text)
    p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "configuration OK" not in p.stdout
    assert str(missing) in p.stderr
    assert str(conf) in p.stderr


def test_dedup_key_is_the_workers_alone(keys_dir, workdir):
    """The intake never reads the dedup key, so it starts without one;
    the worker, which computes every dedup key, does not."""
    missing = workdir / "gone" / "dedup.file"
    text, _ = set_key(keys_dir.abs_text(), "keys", "dedup", str(missing))
    conf = workdir / "tipline.ini"
    conf.write_text(text)
    p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p.stderr
    p = ctl(conf, "check-config")
    assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p.stderr
    p = run([WORKER_BIN, "-n", "-c", conf], timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert str(missing) in p.stderr and str(conf) in p.stderr


def test_secret_key_readable_by_others(keys_dir, workdir):
    pepper = workdir / "receipt.pepper"
    pepper.write_bytes((keys_dir.dir / "receipt.pepper").read_bytes())
    pepper.chmod(0o644)
    text, _ = set_key(keys_dir.abs_text(), "keys", "pepper", str(pepper))
    conf = workdir / "tipline.ini"
    conf.write_text(text)
    p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    assert p.returncode == 2
    assert str(pepper) in p.stderr and "readable by others" in p.stderr
    pepper.chmod(0o600)
    p = run([INTAKE_BIN, "-n", "-c", conf], timeout=30)
    assert p.returncode == 0, p.stderr


def built_in_migrations():
    """The schema files tiplinectl embeds (server/meson.build)."""
    text = (ROOT / "server" / "meson.build").read_text()
    block = re.search(r"custom_target\('ctl_migrations'.*?input : files\("
                      r"(.*?)\)", text, re.S)
    assert block, "no ctl_migrations in server/meson.build"
    names = [Path(n).name for n in re.findall(r"'([^']+\.sql)'",
                                              block.group(1))]
    assert names and all((ROOT / "schema" / n).exists() for n in names)
    return names


def test_migrate_is_idempotent(keys_dir, pg):
    files = built_in_migrations()
    p = ctl(keys_dir.conf, "migrate")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("schema is up to date")
    # Versions are the files' numbers, which may skip one.
    versions = [int(n.split("_")[0]) for n in files]
    assert versions == sorted(set(versions))
    assert f"(version {versions[-1]})" in p.stdout
    rows = pg.psql("SELECT version, name FROM schema_version "
                   "ORDER BY version").splitlines()
    assert rows == [f"{v}\t{n}" for v, n in zip(versions, files)]
    assert pg.psql("SELECT count(*) FROM municipality").strip() == "308"


def test_migrate_fresh_database(keys_dir, pg, workdir):
    pg.createdb("tipline_fresh")
    try:
        conf = keys_dir.variant(
            workdir, conninfo=pg.conninfo.replace("dbname=tipline",
                                                  "dbname=tipline_fresh"))
        p = ctl(conf, "migrate")
        assert p.returncode == 0, p.stderr
        applied = [l for l in p.stdout.splitlines()
                   if l.startswith("applied ")]
        assert len(applied) >= 2
        p = ctl(conf, "migrate")
        assert p.returncode == 0 and "schema is up to date" in p.stdout
        n = pg.psql("SELECT count(*) FROM schema_version",
                    dbname="tipline_fresh").strip()
        assert n == str(len(applied))
    finally:
        pg.psql("DROP DATABASE tipline_fresh", dbname="postgres")


def test_migrate_without_database(keys_dir, workdir):
    conf = keys_dir.variant(workdir,
                            conninfo=f"host={workdir} port=1 dbname=x")
    p = ctl(conf, "migrate")
    assert p.returncode == 1
    assert "cannot connect" in p.stderr


SECRET = ("seal.key", "receipt.pepper", "dedup.key")


def test_keygen_files(keys_dir):
    before = {}
    for name in SECRET + ("seal.pub",):
        f = keys_dir.dir / name
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode == (0o644 if name == "seal.pub" else 0o600), (name,
                                                                  oct(mode))
        before[name] = f.read_bytes()
        assert len(before[name].strip()) == 64
    p = ctl(keys_dir.conf, "keygen")
    assert p.returncode == 0, p.stderr
    assert "all keys exist" in p.stdout
    for name, data in before.items():
        assert (keys_dir.dir / name).read_bytes() == data


def test_keygen_fresh_dir(workdir):
    conf = workdir / "tipline.ini"
    conf.write_text(BASE_CONF.read_text())
    p = ctl(conf, "keygen")
    assert p.returncode == 0, p.stderr
    for name in SECRET + ("seal.pub",):
        assert str(workdir / name) in p.stdout
    keys = {n: (workdir / n).read_bytes() for n in SECRET}
    assert len(set(keys.values())) == 3
    for n in SECRET:
        assert stat.S_IMODE((workdir / n).stat().st_mode) == 0o600
    # Half a pair is not completed silently.
    (workdir / "seal.key").unlink()
    p = ctl(conf, "keygen")
    assert p.returncode == 1
    assert "only one of" in p.stderr
    assert not (workdir / "seal.key").exists()
