"""Rate limits per client: one address that floods the intake with tips
or /status lookups is refused (429, Retry-After, the form or page again
with what was typed) while another address goes on as if nothing
happened; and the daemon's own bucket still stops a crowd of addresses.
Clients are told apart by the source address of their connection
(127.0.0.2, 127.0.0.3, ...), which the daemon only hashes."""
from e2elib import free_port, set_key
from statuslib import followup, unknown_code
from tiplib import (counts, multipart_args, receipt_code, status_lookup,
                    tip_fields, tip_row)

from e2elib import curl

FLOODER = "127.0.0.2"
TIPSTER = "127.0.0.3"


def limits_conf(keys_dir, workdir, port, **limits):
    """The session's config on PORT with generous limits, and LIMITS
    ({key: value} in [intake]) over them."""
    t = keys_dir.abs_text()
    t, _ = set_key(t, "intake", "listen", f"127.0.0.1:{port}")
    for kind in ("tip", "status", "followup"):
        for key in (f"{kind}_client", kind):
            t, _ = set_key(t, "intake", f"{key}_burst", "100000")
            t, _ = set_key(t, "intake", f"{key}_rate", "100000/s")
    for key, value in limits.items():
        t, _ = set_key(t, "intake", key, value)
    return keys_dir.variant(workdir, text=t)


def send_tip(url, source, fields):
    return curl("--interface", source, *multipart_args(fields),
                f"{url}/tip", max_time=30)


def lookup(url, source, code):
    return status_lookup(url, code, extra=("--interface", source))


def test_tip_flood_from_one_address(keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(limits_conf(keys_dir, workdir, port,
                                  tip_client_burst="3",
                                  tip_client_rate="1/h"), port)
    before = counts(keys_dir.pg)[0]
    for i in range(3):
        r = send_tip(it.url, FLOODER,
                     tip_fields(description=f"Flood tip number {i}."))
        assert r.status == 200, r.text[:2000]
        receipt_code(r.text)
    typed = "The flood goes on, and this text must come back."
    for _ in range(12):
        r = send_tip(it.url, FLOODER, tip_fields(description=typed))
        assert r.status == 429, r.text[:2000]
        assert int(r.headers["retry-after"]) > 0
        assert "id=\"receipt-code\"" not in r.text
        # The form again, with what was typed and how long to wait.
        assert typed in r.text
        assert "You have sent many tips in a short time." in r.text
        assert " min, then send the form again." in r.text
    assert counts(keys_dir.pg)[0] == before + 3

    # Another address is a client of its own.
    r = send_tip(it.url, TIPSTER,
                 tip_fields(description="A tip from somebody else."))
    assert r.status == 200, r.text[:2000]
    code = receipt_code(r.text)
    assert tip_row(keys_dir.pg, keys_dir, code) is not None
    assert counts(keys_dir.pg)[0] == before + 4

    # Finnish too: the refusal speaks the form's language.
    r = send_tip(it.url, FLOODER, tip_fields(lang="fi", description=typed))
    assert r.status == 429
    assert "Olet lähettänyt lyhyessä ajassa monta vihjettä." in r.text


def test_status_drained_by_one_address(keys_dir, start_intake, workdir):
    port = free_port()
    it = start_intake(limits_conf(keys_dir, workdir, port,
                                  status_client_burst="4",
                                  status_client_rate="1/h"), port)
    r = send_tip(it.url, TIPSTER,
                 tip_fields(description="A tip whose code is looked up."))
    assert r.status == 200, r.text[:2000]
    code = receipt_code(r.text)

    statuses = [lookup(it.url, FLOODER, unknown_code()).status
                for _ in range(20)]
    assert statuses[:4] == [404] * 4
    assert statuses[4:] == [429] * 16
    # The tipster's own lookups are theirs, in between the flood's too.
    for _ in range(4):
        r = lookup(it.url, TIPSTER, code)
        assert r.status == 200, r.text[:2000]
        assert code in r.text
        r = lookup(it.url, FLOODER, unknown_code())
        assert r.status == 429
        assert int(r.headers["retry-after"]) > 0
        assert "Too many checks right now." in r.text
    # And their bucket runs out like anyone's.
    r = lookup(it.url, TIPSTER, code)
    assert r.status == 429


def test_followups_per_client(keys_dir, start_intake, workdir):
    """Follow-ups have buckets of their own: the limit is checked before
    anything about the code, so a tip without a case does here."""
    port = free_port()
    it = start_intake(limits_conf(keys_dir, workdir, port,
                                  followup_client_burst="2",
                                  followup_client_rate="1/h"), port)
    r = send_tip(it.url, TIPSTER,
                 tip_fields(description="A tip that gets follow-ups."))
    assert r.status == 200, r.text[:2000]
    code = receipt_code(r.text)
    typed = "One more thing I remembered."
    for _ in range(2):
        r = followup(it.url, code, typed, extra=("--interface", FLOODER))
        assert r.status != 429, r.text[:2000]
    for _ in range(5):
        r = followup(it.url, code, typed, extra=("--interface", FLOODER))
        assert r.status == 429, r.text[:2000]
        assert int(r.headers["retry-after"]) > 0
        assert typed in r.text
    r = followup(it.url, code, typed, extra=("--interface", TIPSTER))
    assert r.status != 429, r.text[:2000]
    # Lookups are counted apart from follow-ups.
    assert lookup(it.url, FLOODER, code).status == 200


def test_global_bucket_stops_many_addresses(keys_dir, start_intake,
                                            workdir):
    port = free_port()
    it = start_intake(limits_conf(keys_dir, workdir, port,
                                  tip_client_burst="2",
                                  tip_client_rate="1/h",
                                  tip_burst="4", tip_rate="1/h",
                                  status_client_burst="2",
                                  status_client_rate="1/h",
                                  status_burst="5", status_rate="1/h"),
                      port)
    sources = [f"127.0.0.{n}" for n in range(10, 20)]
    before = counts(keys_dir.pg)[0]
    tips = [send_tip(it.url, s, tip_fields(description=f"Tip from {s}."))
            for s in sources]
    assert [r.status for r in tips] == [200] * 4 + [429] * 6
    assert counts(keys_dir.pg)[0] == before + 4
    looks = [lookup(it.url, s, unknown_code()).status for s in sources]
    assert looks == [404] * 5 + [429] * 5
