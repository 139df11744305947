"""The intake's database role reads reference data and nothing more."""
import psycopg
import pytest
from psycopg import errors


@pytest.fixture
def conn(keys_dir, pg):
    c = pg.connect(user="tipline_intake", autocommit=True)
    yield c
    c.close()


def test_role_is_who_we_think(conn):
    row = conn.execute("SELECT current_user, r.rolsuper, r.rolcreaterole, "
                       "r.rolcreatedb FROM pg_roles r "
                       "WHERE r.rolname = current_user").fetchone()
    assert row == ("tipline_intake", False, False, False)


def test_can_read_reference_data(conn):
    assert conn.execute("SELECT count(*) FROM municipality").fetchone() == \
        (308,)
    n = conn.execute("SELECT count(*) FROM department").fetchone()[0]
    assert n >= 13
    row = conn.execute(
        "SELECT m.name_sv, d.code FROM municipality m "
        "JOIN department d ON d.id = m.department_id "
        "WHERE m.code = '091'").fetchone()
    assert row == ("Helsingfors", "helsinki")


@pytest.mark.parametrize("sql", [
    "INSERT INTO municipality (code, name_fi, name_sv, department_id) "
    "VALUES ('999', 'x', 'x', 1)",
    "UPDATE municipality SET name_fi = 'x' WHERE code = '091'",
    "DELETE FROM municipality WHERE code = '091'",
    "TRUNCATE municipality",
    "INSERT INTO department (id, code, kind, name_fi, name_sv, name_en) "
    "VALUES (99, 'x', 'district', 'x', 'x', 'x')",
    "UPDATE department SET name_fi = 'x'",
    "DELETE FROM department WHERE code = 'national'",
    "TRUNCATE department CASCADE",
    "CREATE TABLE public.intruder (x int)",
    "CREATE TABLE intruder (x int)",
    "CREATE VIEW public.intruder AS SELECT 1",
    "CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql "
    "AS 'SELECT 1'",
    "SELECT * FROM schema_version",
    "ALTER TABLE municipality ADD COLUMN x int",
    "DROP TABLE municipality",
    "CREATE SCHEMA intruder",
])
def test_denied(conn, sql):
    with pytest.raises(errors.InsufficientPrivilege) as e:
        conn.execute(sql)
    assert "permission denied" in str(e.value) or \
        "must be owner" in str(e.value)


def test_data_unchanged(keys_dir, pg):
    """What the role tried above left no trace."""
    assert pg.psql("SELECT count(*) FROM municipality").strip() == "308"
    assert pg.psql("SELECT name_fi FROM municipality "
                   "WHERE code = '091'").strip() == "Helsinki"
    assert pg.psql("SELECT count(*) FROM pg_class "
                   "WHERE relname = 'intruder'").strip() == "0"


def test_connects_over_the_socket_only(keys_dir, pg):
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=pg.port, user="tipline_intake",
                        dbname="tipline", connect_timeout=3)


def test_runs_the_one_tip_submit_and_public_does_not(conn):
    """One tip_submit(), the one without dedup keys: the intake may run
    it, PUBLIC (which may run a new function until told otherwise) not."""
    rows = conn.execute(
        "SELECT p.pronargs, has_function_privilege(p.oid, 'EXECUTE'), "
        "EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, "
        "acldefault('f', p.proowner))) a WHERE a.grantee = 0) "
        "FROM pg_proc p WHERE p.proname = 'tip_submit'").fetchall()
    assert rows == [(24, True, False)]
