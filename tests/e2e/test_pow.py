"""The proof of work of POST /tip: GET /pow hands out a challenge, which
Python solves here with hashlib as the form's script does in a browser
(SHA-256 of the challenge and the nonce's digits, with the asked number
of leading zero bits).  With tip_client_burst=1 an address's second tip
is refused without a solution and taken with a fresh one, from a bucket
of its own; a solution used once, or changed, counts as none.  The cost
grows as the daemon's tip bucket empties, and pow = no turns it off."""
import hashlib
import json

from e2elib import curl, free_port, set_key
from tiplib import counts, multipart_args, receipt_code, tip_fields

SOURCE = "127.0.0.2"
OTHERS = [f"127.0.1.{i}" for i in range(1, 9)]


def conf(keys_dir, workdir, port, **keys):
    """The session's config on PORT with generous limits, and KEYS over
    them ([intake])."""
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    for key in ("tip_client", "tip", "tip_pow_client"):
        t, _ = set_key(t, "intake", f"{key}_burst", "100000")
        t, _ = set_key(t, "intake", f"{key}_rate", "100000/s")
    t, _ = set_key(t, "intake", "pow_bits", "8")
    for key, value in keys.items():
        t, _ = set_key(t, "intake", key, value)
    d = workdir / f"conf-{port}"
    d.mkdir()
    return keys_dir.variant(d, text=t)


def challenge(url):
    r = curl(f"{url}/pow")
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    c = json.loads(r.text)
    assert 600 <= c["expires_in"] <= 1200, c
    return c


def solve(c):
    """challenge:nonce for the challenge c of GET /pow."""
    want = c["bits"]
    n = 0
    while True:
        h = hashlib.sha256(f"{c['challenge']}{n}".encode()).digest()
        if int.from_bytes(h, "big") >> (256 - want) == 0:
            return f"{c['challenge']}:{n}"
        n += 1


def send(url, pow=None, source=SOURCE, text="A tip about a hateful post."):
    fields = tip_fields(description=text)
    if pow is not None:
        fields.append(("pow", pow))
    return curl("--interface", source, *multipart_args(fields),
                f"{url}/tip", max_time=30)


def test_second_tip_needs_fresh_work(keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(conf(keys_dir, workdir, port, tip_client_burst="1",
                           tip_client_rate="1/h",
                           tip_pow_client_burst="2",
                           tip_pow_client_rate="1/h"), port)
    before = counts(keys_dir.pg)[0]
    r = send(it.url)
    assert r.status == 200, r.text[:2000]
    receipt_code(r.text)

    # The plain bucket is empty.
    typed = "Sent again without any work done."
    r = send(it.url, text=typed)
    assert r.status == 429, r.text[:2000]
    assert typed in r.text and 'name="pow" value=""' in r.text
    assert "/static/pow.js?v=" in r.text
    r = send(it.url, pow="")
    assert r.status == 429

    # A fresh solution is taken, once.
    sol = solve(challenge(it.url))
    r = send(it.url, pow=sol)
    assert r.status == 200, r.text[:2000]
    receipt_code(r.text)
    for _ in range(2):
        r = send(it.url, pow=sol, text=typed)
        assert r.status == 429, r.text[:2000]
        assert int(r.headers["retry-after"]) > 0
        assert typed in r.text

    # A solution of a changed challenge, or a changed nonce, is none.
    c = challenge(it.url)
    forged = dict(c, challenge=c["challenge"][:-1] + (
        "0" if c["challenge"][-1] != "0" else "1"))
    assert send(it.url, pow=solve(forged)).status == 429
    good = solve(c)
    assert send(it.url, pow=good + "0").status == 429
    assert send(it.url, pow="garbage:1").status == 429
    assert send(it.url, pow=":" * 5000).status == 429

    # The untouched one is still good: the refusals took nothing.
    r = send(it.url, pow=good)
    assert r.status == 200, r.text[:2000]
    receipt_code(r.text)
    # The bucket of tips with work (2) is empty now, fresh work or not.
    r = send(it.url, pow=solve(challenge(it.url)))
    assert r.status == 429, r.text[:2000]
    assert counts(keys_dir.pg)[0] == before + 3


def test_cost_follows_load(keys_dir, start_intake, workdir):
    """One more bit for each quarter of the daemon's tip bucket in use;
    and the daemon's bucket counts tips with work too."""
    port = free_port()
    it = start_intake(conf(keys_dir, workdir, port, tip_burst="8",
                           tip_rate="1/h", pow_bits="6"), port)
    assert challenge(it.url)["bits"] == 6
    for i in range(2):
        assert send(it.url, source=OTHERS[i]).status == 200
    assert challenge(it.url)["bits"] == 7
    for i in range(2, 4):
        c = challenge(it.url)
        assert send(it.url, source=OTHERS[i],
                    pow=solve(c)).status == 200
    assert challenge(it.url)["bits"] == 8
    for i in range(4, 8):
        assert send(it.url, source=OTHERS[i]).status == 200
    c = challenge(it.url)
    assert c["bits"] == 10
    # The daemon's bucket is empty: work does not get past it.
    r = send(it.url, source=SOURCE, pow=solve(c))
    assert r.status == 429, r.text[:2000]


def test_off(keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(conf(keys_dir, workdir, port, pow="no",
                           tip_client_burst="1",
                           tip_client_rate="1/h"), port)
    r = curl(f"{it.url}/pow")
    assert r.status == 404
    # The form has neither the field nor the script; it works as ever,
    # and a solution made elsewhere is ignored.
    page = curl(f"{it.url}/en").text
    assert 'name="pow"' not in page and "pow.js" not in page
    assert send(it.url).status == 200
    on_port = free_port()
    on = start_intake(conf(keys_dir, workdir, on_port), on_port)
    sol = solve(challenge(on.url))
    r = send(it.url, pow=sol)
    assert r.status == 429, r.text[:2000]


def test_intakes_agree(keys_dir, start_intake, workdir):
    """Two intakes with the same pepper take each other's challenges."""
    ports = [free_port(), free_port()]
    a, b = [start_intake(conf(keys_dir, workdir, p, tip_client_burst="1",
                              tip_client_rate="1/h"), p) for p in ports]
    assert send(b.url).status == 200
    assert send(b.url).status == 429
    r = send(b.url, pow=solve(challenge(a.url)))
    assert r.status == 200, r.text[:2000]
