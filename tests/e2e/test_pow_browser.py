"""The proof of work in a real browser (Debian's Chromium through
playwright-core, tests/e2e/browser/pow.mjs): with JavaScript on, the form
page fetches a challenge, solves it in a worker and puts it into the
hidden field pow, and the tip goes in on the proof-of-work bucket after
the address's plain bucket (tip_client_burst=1) is empty; with
JavaScript off the form is sent as ever.  axe-core finds nothing on the
form with the script running."""
import hashlib
import json
import subprocess

from e2elib import BROWSER_DIR, free_port, set_key
from tiplib import code_is_valid, tip_row


def conf(keys_dir, workdir, port):
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    for key, value in (("tip_client_burst", "1"),
                       ("tip_client_rate", "1/h"),
                       ("tip_pow_client_burst", "5"),
                       ("tip_pow_client_rate", "1/h"),
                       ("tip_burst", "1000"), ("tip_rate", "100/s"),
                       ("pow_bits", "10")):
        t, _ = set_key(t, "intake", key, value)
    return keys_dir.variant(workdir, text=t)


def send(node, url, mode):
    p = subprocess.run([node, "pow.mjs", url, mode], cwd=BROWSER_DIR,
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, f"pow.mjs {mode}:\n{p.stdout}{p.stderr}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_browser_pow(node_env, keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(conf(keys_dir, workdir, port), port)

    # Without JavaScript: the form goes as before, on the plain bucket,
    # and the next one finds it empty.
    out = send(node_env, it.url, "nojs")
    assert (out["formStatus"], out["status"]) == (200, 200), out
    assert out["pow"] == "" and code_is_valid(out["code"]), out
    out = send(node_env, it.url, "nojs")
    assert out["status"] == 429 and out["code"] is None, out

    # With it: a solution in the field, and the tip goes in all the same.
    out = send(node_env, it.url, "js")
    assert out["status"] == 200, out
    # Chromium's own /favicon.ico (a 404 the page's events do not see)
    # is the only console error let through, as in test_browser.py.
    assert out["failedRequests"] == [], out
    assert [e for e in out["consoleErrors"] if not e.startswith(
        "Failed to load resource: the server responded with a status of "
        "404")] == [], out
    challenge, nonce = out["pow"].split(":")
    bits = int(challenge.split(".")[1])
    assert bits >= 10, out
    h = hashlib.sha256(f"{challenge}{nonce}".encode()).digest()
    assert int.from_bytes(h, "big") >> (256 - bits) == 0, out
    assert code_is_valid(out["code"]), out
    assert tip_row(keys_dir.pg, keys_dir, out["code"]) is not None


def test_form_with_pow_axe(node_env, intake):
    wait = (
        "new Promise((ok, fail) => {"
        " const f = document.querySelector('input[name=pow]');"
        " const end = Date.now() + 60000;"
        " (function poll() {"
        "  if (f.value) ok();"
        "  else if (Date.now() > end) fail(new Error('no proof of work'));"
        "  else setTimeout(poll, 100);"
        " })();"
        "})")
    steps = [{"goto": f"{intake.url}/en"}, {"eval": wait},
             {"audit": "form with proof of work"}]
    p = subprocess.run([node_env, "axe.mjs", *(json.dumps(s) for s in steps)],
                       cwd=BROWSER_DIR, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, f"axe.mjs exit {p.returncode}:\n" \
        f"{p.stdout}{p.stderr}"
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["cspErrors"] == [], out["cspErrors"]
    (audit,) = out["audits"]
    assert audit["status"] == 200
    assert audit["violations"] == [] and audit["incomplete"] == [], audit
