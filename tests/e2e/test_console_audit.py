"""The console's audit log against someone with the database's superuser:
the chain the console wrote verifies with the heads it wrote to
[console] audit_head_file; the table refuses UPDATE even to its owner; an
UPDATE of one row made past the triggers, or the whole chain hashed again
after it, makes `tiplinectl audit verify --head` fail.

This module tampers with its own database (consolelib.cenv gives each
module one), so no other test sees a broken chain.
"""
import re
import secrets
import time

import psycopg
import pytest

from consolelib import cenv, console_worker, form_csrf  # noqa: F401
from e2elib import ctl
from tiplib import tip_fields
from worklib import wenv  # noqa: F401


def head_file(cenv):
    return cenv.wenv.dir / "audit.head"


def wait_heads(cenv, timeout=30):
    """Until the head file names the chain's last row."""
    deadline = time.monotonic() + timeout
    while True:
        last = cenv.db.one("SELECT coalesce(max(id), 0) FROM audit_log")
        f = head_file(cenv)
        if f.exists() and re.search(rf"(?m)^audit-head {last} ",
                                    f.read_text()):
            return last
        assert time.monotonic() < deadline, \
            f"row {last} not in {f} within {timeout} s"
        time.sleep(0.1)


def verify(cenv, *args):
    p = ctl(cenv.conf, "audit", "verify", *args)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p.returncode, p.stdout + p.stderr


def tamper(cenv, *sqls):
    """As the superuser, past the append-only triggers."""
    with cenv.db.connect() as c:
        c.execute("SET session_replication_role = replica")
        for sql in sqls:
            c.execute(sql)


@pytest.fixture(scope="module")
def chain(cenv):
    """Some of everything in the log: logins, a failed one, a case view, a
    note, an action, a logout.  Returns the id of the last row."""
    acct = cenv.accounts["helsinki.officer"]
    case = cenv.new_tip(tip_fields(
        channel="both", municipality="091", description="an audited tip",
        url="https://example.com/" + secrets.token_hex(6)))["case_id"]
    c = cenv.client()
    r = c.post("/login", {"username": acct.username, "password": "nope",
                          "totp": "123456", "csrf": c.csrf("/login")})
    assert r.status == 403
    c = cenv.client(acct)
    page = c.get(f"/case/{case}")
    assert page.status == 200
    csrf = form_csrf(page.text)
    assert c.post(f"/case/{case}/note", {"csrf": csrf, "version": "1",
                                         "note": "audited"}).status == 303
    assert c.post(f"/case/{case}/start", {"csrf": csrf,
                                          "version": "1"}).status == 303
    assert c.post("/logout", {"csrf": csrf}).status == 303
    want = {"login", "login_failed", "case_view", "note", "start",
            "logout"}
    deadline = time.monotonic() + 30
    while True:         # the console appends after it answers
        actions = {a for (a,) in cenv.db.q("SELECT action FROM audit_log")}
        if want <= actions:
            break
        assert time.monotonic() < deadline, actions
        time.sleep(0.1)
    return wait_heads(cenv)


def test_chain_verifies_with_the_console_heads(cenv, chain):
    rc, out = verify(cenv, "--head", head_file(cenv))
    assert rc == 0, out
    assert "audit chain OK" in out


def test_the_table_refuses_updates_even_to_its_owner(cenv, chain):
    with cenv.db.connect() as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("UPDATE audit_log SET detail = '{}' WHERE id = 2")
    with cenv.db.connect() as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("DELETE FROM audit_log WHERE id = 2")
    with cenv.db.connect(user="tipline_console") as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("UPDATE audit_log SET detail = '{}' WHERE id = 2")
    assert verify(cenv, "--head", head_file(cenv))[0] == 0


def test_one_row_updated_fails_verify(cenv, chain):
    row = cenv.db.one("SELECT id, detail FROM audit_log "
                      "WHERE action = 'login_failed' ORDER BY id LIMIT 1")
    rid, detail = row
    tamper(cenv, f"UPDATE audit_log SET detail = '{{\"why\": \"x\"}}' "
                 f"WHERE id = {rid}")
    rc, out = verify(cenv, "--head", head_file(cenv))
    assert rc == 1, out
    assert f"row {rid}" in out, out
    rc, out = verify(cenv)
    assert rc == 1, out
    # Put back as it was: the chain verifies again, so it was that row.
    with cenv.db.connect() as c:
        c.execute("SET session_replication_role = replica")
        c.execute("UPDATE audit_log SET detail = %s WHERE id = %s",
                  (psycopg.types.json.Jsonb(detail), rid))
    assert verify(cenv, "--head", head_file(cenv))[0] == 0


def test_a_chain_hashed_again_contradicts_the_heads(cenv, chain):
    """Edit a row and hash every row after it again, as someone who has
    read 0007 would: the chain is consistent in itself, but not with the
    heads the console wrote out of the database."""
    wait_heads(cenv)
    rid = cenv.db.one("SELECT min(id) FROM audit_log "
                      "WHERE action = 'case_view'")
    tamper(cenv, f"""
        DO $$
        DECLARE
            r audit_log;
            prev bytea;
        BEGIN
            PERFORM 1 FROM audit_head FOR UPDATE;
            UPDATE audit_log SET case_id = case_id + 1 WHERE id = {rid};
            SELECT hash INTO prev FROM audit_log WHERE id = {rid} - 1;
            FOR r IN SELECT * FROM audit_log WHERE id >= {rid}
                ORDER BY id LOOP
                prev := sha256(prev || audit_encode(r.id, r.at,
                    r.reviewer_id, r.action, r.case_id, r.detail,
                    r.sealed));
                UPDATE audit_log SET prev_hash = (SELECT hash FROM
                    audit_log WHERE id = r.id - 1), hash = prev
                    WHERE id = r.id;
            END LOOP;
            UPDATE audit_head SET hash = prev;
        END
        $$""")
    rc, out = verify(cenv)
    assert rc == 0, "the rewrite was not consistent: " + out
    rc, out = verify(cenv, "--head", head_file(cenv))
    assert rc == 1, out
    assert "head" in out, out
