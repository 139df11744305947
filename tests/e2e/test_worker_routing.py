"""Routing: a new case goes to the police department of the tip's
municipality (Åland's to Åland's police), an online-only tip to the
national unit, and a place tip without a known municipality to the
national unit flagged for a person to route.

Checked in SQL for every municipality (route_case()) and end to end for
a sample: tips through the intake, cases opened by a real worker.
"""
import pytest

from e2elib import read_tsv
from tiplib import tip_fields
import worklib
from worklib import case_row, ingest, insert_tips, wait_jobs_done

# Fixtures (see worklib).
module_worker = worklib.module_worker
wenv = worklib.wenv

TSV = read_tsv()
DEPT = {r["code"]: r["department_code"] for r in TSV}

_n = [0]


def place_tip(channel, municipality):
    _n[0] += 1
    return tip_fields(description=f"routing test tip {_n[0]}",
                      channel=channel, municipality=municipality,
                      platform="facebook" if channel == "both" else "",
                      url="", motive=["ethnic"])


def route(wenv, channel, muni):
    row = wenv.db.q("SELECT d.code, r.needs_routing FROM route_case(%s, %s) "
                    "r JOIN department d ON d.id = r.department_id",
                    (channel, muni))
    assert len(row) == 1
    return row[0]


@pytest.mark.parametrize("channel,muni,dept", [
    ("place", "092", "ita-uusimaa"),     # Vantaa
    ("place", "049", "lansi-uusimaa"),   # Espoo
    ("place", "478", "aland"),           # Maarianhamina
    ("place", "698", "lappi"),           # Rovaniemi
    ("online", "", "national"),
    ("both", "091", "helsinki"),
    ("both", "478", "aland"),
    ("both", "698", "lappi"),
])
def test_route(wenv, module_worker, channel, muni, dept):
    t = ingest(wenv, place_tip(channel, muni), workers=[module_worker])
    assert t["matched"] == "new"
    c = case_row(wenv.db, t["case_id"])
    assert (c["department"], c["needs_routing"]) == (dept, False), c


def test_online_with_a_municipality(wenv, module_worker):
    """An online-only tip goes to the national unit even when the tipster
    also chose a municipality (the form shows the list whatever the
    channel): the post is the offence, and the unit forwards what is
    local.  The municipality is kept on the tip."""
    t = ingest(wenv, place_tip("online", "092"), workers=[module_worker])
    assert wenv.db.one("SELECT municipality FROM tip WHERE id = %s",
                       (t["tip_id"],)) == "092"
    c = case_row(wenv.db, t["case_id"])
    assert (c["department"], c["needs_routing"]) == ("national", False), c


def test_every_municipality_in_sql(wenv):
    assert len(DEPT) == 308
    for channel in ("place", "both"):
        rows = wenv.db.q(
            "SELECT m.code, d.code, r.needs_routing, "
            "(SELECT count(*) FROM route_case(%s, m.code)) "
            "FROM municipality m, route_case(%s, m.code) r "
            "JOIN department d ON d.id = r.department_id ORDER BY m.code",
            (channel, channel))
        got = {code: dept for code, dept, _, _ in rows}
        assert got == DEPT
        assert all(n == 1 for *_, n in rows)
        assert not any(flag for _, _, flag, _ in rows)


def test_no_municipality_in_sql(wenv):
    assert route(wenv, "place", None) == ("national", True)
    assert route(wenv, "both", None) == ("national", True)
    assert route(wenv, "online", None) == ("national", False)
    # A code that is not a municipality (cannot come through the form).
    assert route(wenv, "place", "999") == ("national", True)


def sample_municipalities():
    """About 20 municipalities: one of each department, then every 16th
    of the list."""
    out = []
    for dept in sorted(set(DEPT.values())):
        out.append(min(c for c, d in DEPT.items() if d == dept))
    for code in sorted(DEPT)[::16]:
        if code not in out:
            out.append(code)
    return out


def test_sample_through_the_intake(wenv, module_worker):
    codes = sample_municipalities()
    assert len(codes) >= 20
    assert len({DEPT[c] for c in codes}) == 12
    for i, code in enumerate(codes):
        channel = "place" if i % 2 else "both"
        t = ingest(wenv, place_tip(channel, code), workers=[module_worker])
        c = case_row(wenv.db, t["case_id"])
        assert (c["department"], c["needs_routing"]) == \
            (DEPT[code], False), (code, channel, c)
        muni = wenv.db.one("SELECT municipality FROM tip WHERE id = %s",
                           (t["tip_id"],))
        assert muni == code


def test_place_without_municipality_is_flagged(wenv, module_worker):
    # The form refuses this (municipality required), so store it
    # directly and let the worker route it.
    h, = insert_tips(wenv, [{"description": "routing test no muni",
                             "channel": "place", "platform": None}])
    tip_id = wenv.db.one("SELECT id FROM tip WHERE receipt_hash = %s", (h,))
    wait_jobs_done(wenv.db, timeout=20, workers=[module_worker])
    case_id = wenv.db.one("SELECT case_id FROM case_join WHERE tip_id = %s",
                          (tip_id,))
    c = case_row(wenv.db, case_id)
    assert (c["department"], c["needs_routing"]) == ("national", True)
