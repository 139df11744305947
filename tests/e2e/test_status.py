"""/status: looking a tip up by its receipt code."""
import secrets
import subprocess
import time

import pytest

from e2elib import free_port
from tiplib import (ALPHABET, check_digit, code_is_valid, counts,
                    receipt_code, shown, status_lookup, submit, tip_fields,
                    tip_row)


@pytest.fixture(scope="module")
def code(intake):
    r = submit(intake.url, tip_fields(lang="sv"))
    assert r.status == 200, r.text[:2000]
    c = receipt_code(r.text)
    assert code_is_valid(c)
    return c


def found(r):
    assert r.status == 200, f"{r.status}:\n{r.text[:2000]}"
    assert 'class="status-result"' in r.text
    return r


def variants(code):
    d = code.replace("-", "")
    ilo = d.replace("1", "I", 1).replace("0", "O", 1)
    if ilo == d:
        # No 1 or 0 in this code: type a lower-case l where a 1 would be.
        ilo = None
    return {
        "exact": code,
        "lower": code.lower(),
        "no-dashes": d,
        "spaces": f"  {d[:6]} {d[6:12]}  {d[12:]} ",
        "lower-no-dashes-tabs": "\t" + d.lower() + "\r\n",
        "i-l-o": ilo,
    }


@pytest.mark.parametrize("how", ["exact", "lower", "no-dashes", "spaces",
                                 "lower-no-dashes-tabs"])
def test_found(intake, code, how):
    r = found(status_lookup(intake.url, variants(code)[how]))
    assert '<html lang="en" dir="ltr">' in r.text
    assert "Received, waiting to be handled" in r.text


def test_i_l_o_typed_for_1_1_0(intake, keys_dir, pg, curl):
    """Submits until a code has a 1 and a 0 (nearly every code has), then
    types I for the first 1, l for another 1 if any, O for the first 0."""
    for _ in range(20):
        r = submit(intake.url, tip_fields())
        c = receipt_code(r.text)
        d = c.replace("-", "")
        if "1" in d and "0" in d:
            break
    else:
        pytest.fail("no code with both 1 and 0 in 20 tries")
    typed = d.replace("1", "I", 1).replace("0", "O", 1)
    typed = typed.replace("1", "l", 1)
    assert typed != d
    found(status_lookup(intake.url, typed))


def test_found_in_the_asked_language(intake, code):
    r = found(status_lookup(intake.url, code, lang="fi"))
    assert '<html lang="fi" dir="ltr">' in r.text
    assert "Vastaanotettu, odottaa käsittelyä" in r.text
    # The arrival is shown by the hour.
    assert "klo" in r.text and ".00–" in r.text


def change_one(code, i):
    d = list(code.replace("-", ""))
    d[i] = ALPHABET[(ALPHABET.index(d[i]) + 7) % 32]
    return shown("".join(d))


@pytest.mark.parametrize("i", [0, 5, 11, 17])
def test_one_character_changed_is_a_typo(intake, code, i):
    r = status_lookup(intake.url, change_one(code, i))
    assert r.status == 422, r.status
    assert "typo" in r.text
    assert 'class="status-result"' not in r.text


def test_swapped_neighbours_are_a_typo(intake, code):
    d = code.replace("-", "")
    for i in range(17):
        if d[i] != d[i + 1] and {d[i], d[i + 1]} != {"0", "Z"}:
            break
    s = d[:i] + d[i + 1] + d[i] + d[i + 2:]
    r = status_lookup(intake.url, s)
    assert r.status == 422 and "typo" in r.text


@pytest.mark.parametrize("how", ["short", "long", "empty", "garbage"])
def test_wrong_length_or_characters(intake, code, how):
    d = code.replace("-", "")
    typed = {"short": d[:17], "long": d + "0", "empty": "",
             "garbage": "hello, world!"}[how]
    r = status_lookup(intake.url, typed)
    assert r.status == 422, r.status
    assert 'class="status-result"' not in r.text
    if how in ("short", "long"):
        assert "18 characters" in r.text


def unknown_code():
    d = "".join(secrets.choice(ALPHABET) for _ in range(17))
    return shown(d + check_digit(d))


def test_unknown_valid_code_is_not_found(intake, code):
    c = unknown_code()
    assert c != code and code_is_valid(c)
    r = status_lookup(intake.url, c)
    assert r.status == 404, r.status
    assert "No tip was found" in r.text
    assert 'class="status-result"' not in r.text
    # What was typed is shown back to fix it.
    assert f'value="{c}"' in r.text


def test_get_does_not_look_up(intake, code, curl):
    for url in (f"{intake.url}/status?code={code}",
                f"{intake.url}/status?lang=en&code={code}"):
        r = curl(url)
        assert r.status == 200
        assert 'class="status-result"' not in r.text
        assert code not in r.text
        assert 'method="post" action="/status"' in r.text


def test_honeypot_receipt_is_not_a_tip(intake, keys_dir, pg):
    before = counts(pg)
    r = submit(intake.url, tip_fields(website="http://spam.example/"),
               [("/dev/null", "x.png", "image/png")])
    assert r.status == 200
    c = receipt_code(r.text)
    assert code_is_valid(c), c
    assert counts(pg) == before
    assert tip_row(pg, keys_dir, c) is None
    # Same look as a real receipt: the same elements and links.
    real = submit(intake.url, tip_fields())
    strip = lambda h: h.replace(receipt_code(h), "CODE")  # noqa: E731
    assert strip(r.text) == strip(real.text)
    r = status_lookup(intake.url, c)
    assert r.status == 404


def test_rate_limit(keys_dir, start_intake, workdir):
    """A daemon of its own: 60 lookups, 30 at once (curl --parallel); the
    shared bucket (50, 20/s) lets 50 and what refilled meanwhile through,
    the rest get 429 with Retry-After; a second later lookups work again."""
    port = free_port()
    it = start_intake(keys_dir.variant(workdir, port=port), port)
    c = unknown_code()
    args = []
    for i in range(60):
        if i:
            args.append("--next")
        args += ["-sk", "-o", "/dev/null", "-w",
                 "%{http_code} %header{retry-after}\\n",
                 "--data-urlencode", f"code={c}", f"{it.url}/status"]
    t = time.monotonic()
    p = subprocess.run(["curl", "-s", "--parallel", "--parallel-immediate",
                        "--parallel-max", "30", *args], capture_output=True,
                       text=True, timeout=60)
    took = time.monotonic() - t
    answers = [l.split() for l in p.stdout.splitlines()]
    codes = [int(a[0]) for a in answers]
    assert len(codes) == 60, p.stderr
    assert set(codes) <= {404, 429}, codes
    assert codes.count(404) >= 50, codes
    assert 429 in codes, f"no 429 in 60 lookups in {took:.2f} s: {codes}"
    assert codes.count(404) <= 50 + 20 * took + 1, (took, codes)
    assert all(a[1:] and a[1].isdigit() for a in answers if a[0] == "429"), \
        answers
    time.sleep(1.0)
    r = status_lookup(it.url, c)
    assert r.status == 404
