"""Reference data: every municipality, its department, and the form's
municipality list in each language."""
import pytest

from e2elib import Page, alpha_key, read_tsv

TSV = read_tsv()


def db_rows(pg):
    out = pg.psql("SELECT m.code, m.name_fi, m.name_sv, d.code "
                  "FROM municipality m JOIN department d "
                  "ON d.id = m.department_id ORDER BY m.code")
    return [tuple(l.split("\t")) for l in out.splitlines()]


def test_table_matches_reference_data(keys_dir, pg):
    want = sorted((r["code"], r["name_fi"], r["name_sv"],
                   r["department_code"]) for r in TSV)
    got = db_rows(pg)
    assert len(want) == 308
    missing = set(want) - set(got)
    extra = set(got) - set(want)
    assert not missing and not extra, (sorted(missing), sorted(extra))
    assert got == want


def test_department_counts(keys_dir, pg):
    out = pg.psql("SELECT d.code, d.kind, count(m.code) FROM department d "
                  "LEFT JOIN municipality m ON m.department_id = d.id "
                  "GROUP BY d.code, d.kind")
    counts = {}
    kinds = {}
    for line in out.splitlines():
        code, kind, n = line.split("\t")
        counts[code] = int(n)
        kinds[code] = kind
    assert counts["aland"] == 16 and kinds["aland"] == "aland"
    assert [c for c, k in kinds.items() if k == "national"] == ["national"]
    assert counts["national"] == 0
    assert sum(counts.values()) == 308
    # Every district department has municipalities.
    assert all(counts[c] > 0 for c, k in kinds.items() if k == "district")


def test_every_municipality_has_exactly_one_department(keys_dir, pg):
    out = pg.psql("""
        SELECT a.attnotnull, c.contype, c.confrelid::regclass
        FROM pg_attribute a
        LEFT JOIN pg_constraint c ON c.conrelid = a.attrelid
             AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum]
        WHERE a.attrelid = 'municipality'::regclass
          AND a.attname = 'department_id'""")
    assert out.split() == ["t", "f", "department"]
    assert pg.psql("SELECT count(*) FROM municipality m LEFT JOIN "
                   "department d ON d.id = m.department_id "
                   "WHERE d.id IS NULL").strip() == "0"
    assert pg.psql("SELECT count(*), count(DISTINCT code) "
                   "FROM municipality").split() == ["308", "308"]


@pytest.mark.parametrize("code,name,dept", [
    ("092", "Vantaa", "ita-uusimaa"),
    ("049", "Espoo", "lansi-uusimaa"),
    ("478", "Maarianhamina", "aland"),
    ("698", "Rovaniemi", "lappi"),
    ("091", "Helsinki", "helsinki"),
])
def test_spot_checks(keys_dir, pg, code, name, dept):
    rows = [r for r in db_rows(pg) if r[0] == code]
    assert len(rows) == 1
    assert rows[0][1] == name
    assert rows[0][3] == dept


def form_options(intake, curl, lang):
    r = curl(f"{intake.url}/{lang}")
    assert r.status == 200
    page = Page(r.text)
    opts = page.selects["municipality"]
    assert opts[0][0] == "", "first option is the empty choice"
    return opts[1:]


@pytest.mark.parametrize("lang,col", [("fi", "name_fi"), ("sv", "name_sv")])
def test_form_lists_every_municipality(intake, curl, lang, col):
    opts = form_options(intake, curl, lang)
    assert len(opts) == 308
    assert dict(opts) == {r["code"]: r[col] for r in TSV}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_form_order_is_alphabetical(intake, curl, lang):
    names = [n for _, n in form_options(intake, curl, lang)]
    assert names == sorted(names, key=alpha_key)


def test_swedish_order_puts_aao_after_z(intake, curl):
    names = [n for _, n in form_options(intake, curl, "sv")]
    pos = {n: i for i, n in enumerate(names)}
    # Å, Ä and Ö come after Z, in that order.
    assert pos["Åbo"] > pos["Vörå"] > pos["Vanda"]
    assert pos["Åbo"] < pos["Äänekoski"] < pos["Östermark"]
    assert names[-1].startswith("Ö")


def test_english_names(intake, curl):
    opts = dict(form_options(intake, curl, "en"))
    assert len(opts) == 308
    # Åland: the Swedish name; elsewhere Finnish, Swedish beside it.
    assert opts["478"] == "Mariehamn"
    assert opts["091"] == "Helsinki (Helsingfors)"
    assert opts["698"] == "Rovaniemi"
