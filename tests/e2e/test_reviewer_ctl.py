"""tiplinectl reviewer: accounts of the console, made and changed by the
schema's owner.  Every command is checked in the database: the argon2id
hash, the sealed TOTP secret (opened with the secret key), sessions ended
and credentials_at moved on where credentials change."""
import base64
import re
import secrets
import shutil

import nacl.exceptions
import nacl.public
import nacl.pwhash
import pytest

from e2elib import ctl, make_tempdir, set_key

PW_RE = re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{5}){3}$")
TOTP_RE = re.compile(r"^[A-Z2-7]{32}$")


@pytest.fixture(scope="module")
def conf(keys_dir):
    """keys_dir's config with the cheapest argon2id libsodium allows."""
    d = make_tempdir("tipline-reviewer-")
    t = keys_dir.abs_text()
    t, _ = set_key(t, "console", "password_memory", "8K")
    t, _ = set_key(t, "console", "password_passes", "1")
    yield keys_dir.variant(d, text=t)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def db(pg, keys_dir):
    c = pg.connect(autocommit=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def secret_key(keys_dir):
    hexkey = (keys_dir.dir / "seal.key").read_text().strip()
    return nacl.public.PrivateKey(bytes.fromhex(hexkey))


def new_name(prefix="r"):
    return f"{prefix}.{secrets.token_hex(4)}"


def rv(conf, *args, input=None):
    return ctl(conf, "reviewer", *args, input=input)


def lines(p):
    return p.stdout.splitlines()


def add(conf, user, *args, input=None):
    p = rv(conf, "add", user, *args, input=input)
    assert p.returncode == 0, p.stderr
    return dict(line.split(": ", 1) for line in lines(p))


def row(db, user):
    return db.execute(
        "SELECT r.display_name, r.role, d.code, r.password_hash, "
        "r.totp_sealed, r.totp_enrolled, r.totp_last_step, r.disabled, "
        "r.failed_logins, r.locked_until, r.credentials_at "
        "FROM reviewer r LEFT JOIN department d ON d.id = r.department_id "
        "WHERE r.username = %s", (user,)).fetchone()


def opens_to(secret_key, sealed, b32):
    plain = nacl.public.SealedBox(secret_key).decrypt(bytes(sealed))
    assert len(plain) == 20
    return base64.b32encode(plain).decode() == b32


def verifies(hash, pw):
    try:
        return nacl.pwhash.argon2id.verify(hash.encode(), pw.encode())
    except nacl.exceptions.InvalidkeyError:
        return False


def add_session(db, user):
    db.execute(
        "INSERT INTO reviewer_session (token_hash, reviewer_id, stage, "
        "created_at, last_seen_at, expires_at) SELECT %s, id, 'full', "
        "now(), now(), now() + interval '1 hour' FROM reviewer "
        "WHERE username = %s", (secrets.token_bytes(32), user))


def sessions(db, user):
    return db.execute(
        "SELECT count(*) FROM reviewer_session s JOIN reviewer r "
        "ON r.id = s.reviewer_id WHERE r.username = %s",
        (user,)).fetchone()[0]


def test_add_officer(conf, db, secret_key):
    user = new_name("officer")
    p = rv(conf, "add", user, "--name", "Anna Öberg", "--role", "officer",
           "--department", "helsinki")
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert len(out) == 3
    assert out[0] == f"username: {user}"
    assert out[1].startswith("password: ")
    assert out[2].startswith("totp: ")
    pw = out[1][len("password: "):]
    totp = out[2][len("totp: "):]
    assert PW_RE.match(pw), pw
    assert TOTP_RE.match(totp), totp
    (name, role, dept, hash, sealed, enrolled, last_step, disabled, failed,
     locked, _) = row(db, user)
    assert (name, role, dept) == ("Anna Öberg", "officer", "helsinki")
    assert hash.startswith("$argon2id$v=19$m=8,t=1,")
    assert verifies(hash, pw)
    assert not verifies(hash, pw.lower())
    assert opens_to(secret_key, sealed, totp)
    assert (enrolled, last_step, disabled, failed, locked) == \
        (False, 0, False, 0, None)


def test_add_national_and_admin(conf, db):
    nat = new_name("national")
    add(conf, nat, "--name", "N", "--role", "national")
    assert row(db, nat)[1:3] == ("national", "national")
    nat2 = new_name("national")
    add(conf, nat2, "--name", "N", "--role", "national", "--department",
        "national")
    assert row(db, nat2)[1:3] == ("national", "national")
    adm = new_name("admin")
    out = add(conf, adm, "--name", "Admin", "--role", "admin")
    assert set(out) == {"username", "password", "totp"}
    assert row(db, adm)[1:3] == ("admin", None)


@pytest.mark.parametrize("args,msg", [
    (["--role", "officer"], "needs --department"),
    (["--role", "officer", "--department", "atlantis"], "no department"),
    (["--role", "national", "--department", "helsinki"], "national"),
    (["--role", "admin", "--department", "helsinki"], "no department"),
    (["--role", "chief", "--department", "helsinki"], "--role"),
    (["--role", "admin", "--name", ""], "--name"),
    (["--role", "admin", "--name", "two\nlines"], "--name"),
])
def test_add_refused(conf, db, args, msg):
    user = new_name("refused")
    p = rv(conf, "add", user, "--name", "X", *args)
    assert p.returncode == 2, p.stdout + p.stderr
    assert msg in p.stderr
    assert p.stdout == ""
    assert row(db, user) is None


@pytest.mark.parametrize("args", [
    ["add", "x.y", "--role", "admin"],
    ["add", "x.y", "--name", "X"],
    ["add", "x.y", "--name", "X", "--role", "admin", "--bogus"],
    ["add", "x.y", "--name"],
    ["add"],
    ["frobnicate", "x.y"],
    ["disable", "x.y", "extra"],
    ["list", "extra"],
    [],
])
def test_usage(conf, args):
    p = rv(conf, *args)
    assert p.returncode == 2
    assert "usage: tiplinectl" in p.stderr


@pytest.mark.parametrize("user", ["Upper", "a", "_under", ".dot", "with space",
                                  "x" * 65, "åsa"])
def test_bad_username(conf, user):
    p = rv(conf, "add", user, "--name", "X", "--role", "admin")
    assert p.returncode == 2
    assert "username" in p.stderr


def test_password_stdin_and_enrolled(conf, db):
    user = new_name("stdin")
    p = rv(conf, "add", user, "--name", "S", "--role", "officer",
           "--department", "lappi", "--password-stdin", "--enrolled",
           input="kolme kissaa katolla\n")
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert len(out) == 2
    assert out[0] == f"username: {user}"
    assert TOTP_RE.match(out[1][len("totp: "):])
    r = row(db, user)
    assert r[2] == "lappi"
    assert verifies(r[3], "kolme kissaa katolla")
    assert r[5] is True


@pytest.mark.parametrize("pw,msg", [
    ("lyhyt", "at least 8 characters"),
    ("Salasana123", "too common"),
    ("PASSWORD1", "too common"),
    ("x" * 129, "at most 128 characters"),
    ("tab\tin the middle", "cannot be used"),
    ("", "at least 8 characters"),
])
def test_policy_refusals(conf, db, pw, msg):
    user = new_name("policy")
    p = rv(conf, "add", user, "--name", "P", "--role", "admin",
           "--password-stdin", input=pw + "\n")
    assert p.returncode == 2
    assert msg in p.stderr
    assert p.stdout == ""
    assert row(db, user) is None


def test_duplicate(conf, db):
    user = new_name("dup")
    add(conf, user, "--name", "D", "--role", "admin")
    before = row(db, user)
    p = rv(conf, "add", user, "--name", "D2", "--role", "admin")
    assert p.returncode == 1
    assert "exists" in p.stderr
    assert row(db, user) == before


def test_disable_and_enable(conf, db):
    user, other = new_name("dis"), new_name("other")
    add(conf, user, "--name", "D", "--role", "admin")
    add(conf, other, "--name", "O", "--role", "admin")
    add_session(db, user)
    add_session(db, user)
    add_session(db, other)
    before = row(db, user)[10]
    p = rv(conf, "disable", user)
    assert p.returncode == 0, p.stderr
    r = row(db, user)
    assert r[7] is True
    assert r[10] > before
    assert sessions(db, user) == 0
    assert sessions(db, other) == 1
    assert row(db, other)[7] is False
    p = rv(conf, "enable", user)
    assert p.returncode == 0, p.stderr
    assert row(db, user)[7] is False


def test_reset_password(conf, db):
    user = new_name("resetpw")
    old = add(conf, user, "--name", "R", "--role", "admin")["password"]
    db.execute("UPDATE reviewer SET failed_logins = 3, locked_until = "
               "now() + interval '1 hour' WHERE username = %s", (user,))
    add_session(db, user)
    before = row(db, user)
    p = rv(conf, "reset-password", user)
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert len(out) == 1 and out[0].startswith("password: ")
    pw = out[0][len("password: "):]
    assert PW_RE.match(pw) and pw != old
    r = row(db, user)
    assert verifies(r[3], pw) and not verifies(r[3], old)
    assert (r[8], r[9]) == (0, None)
    assert r[10] > before[10]
    assert r[4] == before[4]  # the TOTP secret stays
    assert sessions(db, user) == 0

    p = rv(conf, "reset-password", user, "--password-stdin",
           input="uusi pitkä salasana\n")
    assert p.returncode == 0, p.stderr
    assert "password:" not in p.stdout
    assert verifies(row(db, user)[3], "uusi pitkä salasana")

    before = row(db, user)
    p = rv(conf, "reset-password", user, "--password-stdin",
           input="salasana1\n")
    assert p.returncode == 2 and "too common" in p.stderr
    assert row(db, user) == before


def test_reset_totp(conf, db, secret_key):
    user = new_name("resettotp")
    old = add(conf, user, "--name", "T", "--role", "officer",
              "--department", "oulu", "--enrolled")["totp"]
    db.execute("UPDATE reviewer SET totp_last_step = 12345 "
               "WHERE username = %s", (user,))
    add_session(db, user)
    before = row(db, user)
    assert before[5] is True
    p = rv(conf, "reset-totp", user)
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert len(out) == 1 and out[0].startswith("totp: ")
    totp = out[0][len("totp: "):]
    assert TOTP_RE.match(totp) and totp != old
    r = row(db, user)
    assert opens_to(secret_key, r[4], totp)
    assert (r[5], r[6]) == (False, 0)
    assert r[10] > before[10]
    assert r[3] == before[3]  # the password stays
    assert sessions(db, user) == 0


def test_unlock(conf, db):
    user = new_name("unlock")
    add(conf, user, "--name", "U", "--role", "admin")
    add_session(db, user)
    db.execute("UPDATE reviewer SET failed_logins = 7, locked_until = "
               "now() + interval '1 hour' WHERE username = %s", (user,))
    before = row(db, user)
    p = rv(conf, "unlock", user)
    assert p.returncode == 0, p.stderr
    r = row(db, user)
    assert (r[8], r[9]) == (0, None)
    # Unlocking is not a change of credentials.
    assert r[10] == before[10]
    assert sessions(db, user) == 1


def test_list(conf, db):
    a, b = new_name("lista"), new_name("listb")
    add(conf, a, "--name", "Åsa Öhman", "--role", "officer",
        "--department", "ita-suomi", "--enrolled")
    add(conf, b, "--name", "B", "--role", "admin")
    db.execute("UPDATE reviewer SET locked_until = "
               "'2999-01-02 03:04:05+00', disabled = true "
               "WHERE username = %s", (b,))
    p = rv(conf, "list")
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert out[0].split() == ["username", "name", "role", "department",
                              "enrolled", "disabled", "locked", "until"]
    by_user = {line.split()[0]: line for line in out[1:]}
    assert by_user[a].split() == [a, "Åsa", "Öhman", "officer", "ita-suomi",
                                  "yes", "no", "-"]
    assert by_user[b].split() == [b, "B", "admin", "-", "no", "yes",
                                  "2999-01-02", "03:04:05", "UTC"]
    # Columns line up in characters, whatever the bytes.
    col = out[0].index("role")
    assert by_user[a][col:].startswith("officer")
    assert by_user[b][col:].startswith("admin")


@pytest.mark.parametrize("cmd", ["disable", "enable", "unlock",
                                 "reset-password", "reset-totp"])
def test_unknown_user(conf, db, cmd):
    p = rv(conf, cmd, "nobody.here")
    assert p.returncode == 1
    assert "no reviewer nobody.here" in p.stderr
    assert p.stdout == ""
