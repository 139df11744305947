"""Security headers, caching and TLS of the public listener."""
import shutil
import signal
import subprocess
import time

import pytest

from e2elib import (cert_fingerprint, free_port, make_cert, make_tempdir,
                    served_cert_pem)

PATHS = ["/fi", "/healthz", "/static/tipline.css", "/no/such/page",
         "/static/nosuch.css"]


def csp_directives(value):
    out = {}
    for d in value.split(";"):
        parts = d.split()
        if parts:
            out[parts[0]] = parts[1:]
    return out


@pytest.mark.parametrize("path", PATHS)
def test_security_headers(intake, curl, path):
    r = curl(f"{intake.url}{path}")
    h = r.headers
    assert r.status in (200, 404), r.status
    for name in ("content-security-policy", "strict-transport-security",
                 "x-content-type-options", "referrer-policy",
                 "x-frame-options", "content-type", "cache-control"):
        assert len(h.all(name)) == 1, (name, h.pairs)
    csp = csp_directives(h["content-security-policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in h["content-security-policy"]
    sts = h["strict-transport-security"]
    assert int(sts.split("max-age=")[1].split(";")[0]) >= 31536000
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert "set-cookie" not in h
    assert "server" not in h


@pytest.mark.parametrize("args", [
    ["-X", "DELETE"],
    ["-X", "PUT", "-d", "x"],
    ["-X", "OPTIONS"],
], ids=["delete", "put", "options"])
def test_security_headers_on_refusals(intake, curl, args):
    """Methods the tip line does not serve get our 405 with every header."""
    r = curl(*args, f"{intake.url}/fi")
    assert r.status == 405, r.status
    h = r.headers
    assert "default-src 'none'" in h.get("content-security-policy", ""), \
        h.pairs
    assert "strict-transport-security" in h
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("x-frame-options") == "DENY"
    assert h.get("cache-control") == "no-store"
    assert "GET" in h.get("allow", "")
    assert "set-cookie" not in h


@pytest.mark.parametrize("args,path,status", [
    (["-H", "X-Big: " + "a" * 20000], "/fi", 431),
    (["-X", "POST", "-H", "Content-Length: 999999999999"], "/tip", 413),
], ids=["head-too-large", "body-too-large"])
def test_oversized_requests_refused(intake, curl, args, path, status):
    """The HTTP layer refuses these itself, before any handler runs, and
    its answers carry the same security headers as every page."""
    r = curl(*args, f"{intake.url}{path}")
    assert r.status == status, r.status
    h = r.headers
    assert "default-src 'none'" in h.get("content-security-policy", ""), \
        h.pairs
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("connection") == "close"
    assert "set-cookie" not in h
    assert curl(f"{intake.url}/healthz").status == 200


@pytest.mark.parametrize("path", ["/fi", "/", "/healthz", "/no/such/page"])
def test_pages_are_not_cached(intake, curl, path):
    r = curl(f"{intake.url}{path}")
    assert r.headers["cache-control"] == "no-store"


def test_no_cookies_after_post(intake, curl):
    r = curl("-X", "POST", "-F", "description=x", f"{intake.url}/tip")
    assert r.status == 422
    assert "set-cookie" not in r.headers


def test_static_is_cacheable_with_etag(intake, curl):
    url = f"{intake.url}/static/tipline.css"
    r = curl(url)
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/css")
    assert b"{" in r.body
    cc = r.headers["cache-control"]
    assert "no-store" not in cc
    assert int(cc.split("max-age=")[1].split(",")[0]) > 0
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    # The page links to the same version.
    page = curl(f"{intake.url}/fi").text
    assert f"/static/tipline.css?v={etag.strip(chr(34))}" in page

    r2 = curl("-H", f"If-None-Match: {etag}", url)
    assert r2.status == 304
    assert r2.body == b""
    assert r2.headers["etag"] == etag
    assert "default-src 'none'" in r2.headers["content-security-policy"]

    r3 = curl("-H", 'If-None-Match: "0000000000000000"', url)
    assert r3.status == 200 and r3.body == r.body


def tls_get(url, *args):
    p = subprocess.run(["curl", "-sk", "--max-time", "10", "-o",
                        "/dev/null", "-w", "%{http_code}", *args, url],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


@pytest.fixture(scope="module")
def tls11_server(workdir_module):
    """openssl s_server that does accept TLS 1.1: shows that the client
    settings used below can speak TLS 1.1 at all."""
    d = workdir_module
    make_cert(d / "c.crt", d / "c.key")
    port = free_port()
    p = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
         str(d / "c.crt"), "-key", str(d / "c.key"), "-cipher",
         "DEFAULT@SECLEVEL=0", "-www", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while tls_get(f"https://127.0.0.1:{port}/")[1] != "200":
            assert p.poll() is None, f"s_server exited with {p.returncode}"
            assert time.monotonic() < deadline, "s_server not up in 60 s"
            time.sleep(0.05)
        yield port
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(60)


@pytest.fixture(scope="module")
def workdir_module():
    d = make_tempdir("tipline-tls-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


# The client's own policy (Debian: MinProtocol TLSv1.2, SECLEVEL 2) refuses
# TLS 1.1 on its own; SECLEVEL=0 lifts that, so a failure is the server's.
TLS11 = ["--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0"]


def test_tls11_refused(intake, tls11_server):
    rc, code = tls_get(f"https://127.0.0.1:{tls11_server}/", *TLS11)
    assert (rc, code) == (0, "200"), "control: client cannot do TLS 1.1"
    rc, code = tls_get(f"{intake.url}/healthz", *TLS11)
    assert rc != 0 and code == "000"
    rc, code = tls_get(f"{intake.url}/healthz", "--tlsv1.1", "--tls-max",
                       "1.1")
    assert rc != 0 and code == "000"


@pytest.mark.parametrize("args", [["--tlsv1.2", "--tls-max", "1.2"],
                                  ["--tlsv1.3"]])
def test_tls12_and_13_accepted(intake, args):
    assert tls_get(f"{intake.url}/healthz", *args) == (0, "200")


@pytest.mark.parametrize("cipher,ok", [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", True),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", True),
    ("ECDHE-ECDSA-AES128-SHA", False),
    ("ECDHE-ECDSA-AES256-SHA384", False),
])
def test_tls12_only_aead_ciphers(intake, cipher, ok):
    rc, _ = tls_get(f"{intake.url}/healthz", "--tlsv1.2", "--tls-max", "1.2",
                    "--ciphers", f"{cipher}:@SECLEVEL=0")
    assert (rc == 0) == ok, rc


def test_certificate_is_the_configured_ecdsa_p256(intake, keys_dir):
    pem = served_cert_pem(intake.port)
    assert cert_fingerprint(pem) == cert_fingerprint(keys_dir.cert.read_text())
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem,
                          capture_output=True, text=True,
                          timeout=20).stdout
    assert "id-ecPublicKey" in text
    assert "prime256v1" in text
