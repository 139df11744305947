"""The statistics in the console (server/console_stats.c): the national
unit sees every department and may pick one, an officer sees their own
only, an admin none; the page, its CSV and JSON carry exactly the numbers
of `tiplinectl stats` (one model, lib/stats_report.c); the charts are SVG
that parses as XML, shows in Chromium and hides what the tables hide; and
axe-core finds no WCAG 2.1 A/AA violation on the page at a desktop's and a
phone's width.

The data set is statslib's, written into the console module's database;
the module's running worker folds it into the rollup.
"""
import csv
import io
import json
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from consolelib import (browser_code, cenv, console_worker,  # noqa: F401
                        wait_for)
from e2elib import BROWSER_DIR, ctl
from statslib import build, check_report, expected
from worklib import wenv  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"
SHOTS_DIR = "/tmp/tipline-stats-shots"


@pytest.fixture(scope="module")
def ds(cenv):  # noqa: F811
    data = build(cenv.db)
    deadline = time.monotonic() + 120
    while cenv.db.one("SELECT count(*) FROM stats_delta") != 0:
        assert time.monotonic() < deadline, "the worker never folded"
        time.sleep(0.2)
    return data


def ctl_json(cenv, *args):  # noqa: F811
    p = ctl(cenv.conf, "stats", "--lang", "fi", "--format", "json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def get(c, path, status=200):
    r = c.get(path)
    assert r.status == status, (path, r.status, r.text[:1000])
    return r


def test_national_sees_every_department(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["national.officer"])
    page = get(c, "/stats?period=2026-W47").text
    assert "<h1>Tilastot 2026-W47" in page
    assert 'src="/stats/bars.svg?period=2026-W47"' in page
    model = json.loads(get(c, "/stats.json?period=2026-W47").text)
    assert model == ctl_json(cenv, "--week", "2026-W47")
    check_report(model, expected(ds, "2026-W47"))
    rows = [r["key"] for r in model["sections"][0]["rows"]]
    assert len(rows) == 13 and "helsinki" in rows and "aland" in rows
    # Every section of the model is on the page, with its numbers.
    for s in model["sections"]:
        assert f'id="s-{s["id"]}"' in page, s["id"]
    for h in model["headline"]:
        assert f'<th scope="row">{h["label"]}</th><td class="num">' \
            f'{h["n_text"]}</td>' in page


def test_national_picks_a_department(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["national.officer"])
    model = json.loads(get(
        c, "/stats.json?period=2026-11&department=helsinki").text)
    assert model == ctl_json(cenv, "--month", "2026-11", "--department",
                             "helsinki")
    assert [r["key"] for r in model["sections"][0]["rows"]] == ["helsinki"]
    page = get(c, "/stats?period=2026-11&department=helsinki").text
    assert '<option value="helsinki" selected>' in page
    assert 'href="/stats.csv?period=2026-11&amp;department=helsinki"' \
        in page
    get(c, "/stats?period=2026-W47&department=atlantis", 404)
    get(c, "/stats?period=2026-W47&department=%3Cb%3E", 404)


def test_officer_sees_their_own(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["lappi.officer"])
    mine = ctl_json(cenv, "--week", "2026-W47", "--department", "lappi")
    for path in ("/stats.json?period=2026-W47",
                 "/stats.json?period=2026-W47&department=helsinki"):
        model = json.loads(get(c, path).text)
        assert model == mine, path
    # Lapland's three place tips: a week with too few to show.
    secs = {s["id"]: s for s in mine["sections"]}
    assert secs["tips_channel"]["rows"][0]["total"]["n"] is None
    page = get(c, "/stats?period=2026-W47").text
    assert 'id="pick-department"' not in page


def test_admin_sees_none(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["the.admin"])
    for path in ("/stats", "/stats.csv", "/stats.json", "/stats/bars.svg"):
        r = c.get(path + "?period=2026-W47")
        assert r.status in (403, 404), (path, r.status)
        assert "tips_motive" not in r.text


def test_downloads(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["national.officer"])
    r = get(c, "/stats.csv?period=2026-W53")
    assert r.header("Content-Type") == "text/csv; charset=utf-8"
    assert r.header("Content-Disposition") == \
        'attachment; filename="tipline-2026-W53.csv"'
    assert r.header("Cache-Control") == "no-store"
    p = ctl(cenv.conf, "stats", "--lang", "fi", "--format", "csv",
            "--week", "2026-W53")
    # (ctl's output is read as text: universal newlines.)
    assert "\r\n" in r.text and r.text.replace("\r\n", "\n") == p.stdout
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "period" and len(rows) > 100
    r = get(c, "/stats.json?period=2026&department=helsinki")
    assert r.header("Content-Disposition") == \
        'attachment; filename="tipline-2026-helsinki.json"'
    # Each download is in the audit log, with what was taken (appended
    # as the answer is made: waited for).
    me = cenv.db.one("SELECT id FROM reviewer "
                     "WHERE username = 'national.officer'")
    for want in ({"period": "2026", "department": "helsinki",
                  "format": "json"},
                 {"period": "2026-W53", "department": "all",
                  "format": "csv"}):
        wait_for(f"the audit row of {want}", lambda want=want: [
            r for r in cenv.audit("stats_download")
            if r[4] == want and r[1] == me])


def test_bad_period(cenv, ds):  # noqa: F811
    c = cenv.client(cenv.accounts["national.officer"])
    for q in ("2026-W54", "26-W1", "2026-13", "x", "2026-W47<b>"):
        r = c.get(f"/stats?period={q}")
        assert r.status == 400, q
        assert "2026-W47" in r.text  # says what a period looks like
    # Without one: the current week.
    assert "<h1>Tilastot 20" in get(c, "/stats").text


def test_charts_are_svg_and_hide_what_the_tables_hide(cenv, ds):  # noqa
    c = cenv.client(cenv.accounts["national.officer"])
    r = get(c, "/stats/bars.svg?period=2026-W47")
    assert r.header("Content-Type") == "image/svg+xml"
    root = ET.fromstring(r.text)
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == \
        "Vihjeet viikoittain ilmoittajan kertoman motiivin mukaan"
    assert root.find(SVG + "desc").text
    bars = root.findall(SVG + "rect")
    assert len(bars) > 12
    # The week's table on the page: twelve weeks, 2026-W36 to W47.
    page = get(c, "/stats?period=2026-W47").text
    weeks = re.findall(r'<tr><th scope="row">(2026-W\d\d)</th>', page)
    assert weeks[:12] == [f"2026-W{w}" for w in range(36, 48)]
    # Each week as its own report shows its motives' totals: the same
    # cells hidden, so neither view gives away what the other hides.
    table = page.split('id="trend-motives"', 1)[1].split("</table>", 1)[0]
    for week in ("2026-W46", "2026-W47"):
        got = re.search(r'<tr><th scope="row">' + week + r'</th>(.*?)</tr>',
                        table).group(1)
        got = re.findall(r'<td class="num">([^<]*)</td>', got)
        rep = ctl_json(cenv, "--week", week)
        mot = next(x for x in rep["sections"] if x["id"] == "tips_motive")
        want = [x["text"] for x in mot["totals"]["cells"]] + \
            [mot["totals"]["total"]["text"]]
        assert got == want, (week, got, want)
    assert ".." in table
    # Lapland alone: its W47 tips are three, so the bar is left out and
    # the whole chart has no bars but the legend's.
    lc = cenv.client(cenv.accounts["lappi.officer"])
    root = ET.fromstring(get(lc, "/stats/bars.svg?period=2026-W47").text)
    legend = 10
    assert len(root.findall(SVG + "rect")) == legend
    r = get(c, "/stats/line.svg?period=2026-W47")
    root = ET.fromstring(r.text)
    assert root.find(SVG + "title").text.startswith("Käsittelyaika")
    assert root.findall(SVG + "circle")


def axe(node_env, viewport, steps, shots):
    flags = ["--phone"] if viewport == "phone" else []
    p = subprocess.run(
        [node_env, "axe.mjs", *flags, "--shots", shots,
         *(json.dumps(s) for s in steps)],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=600)
    lines = p.stdout.strip().splitlines()
    out = json.loads(lines[-1]) if lines else {}
    assert p.returncode == 0, f"axe.mjs exit {p.returncode}:\n" \
        f"{p.stdout[-3000:]}{p.stderr[-3000:]}"
    return out


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_page_passes_axe_and_shows_its_charts(cenv, ds, node_env,  # noqa
                                              viewport):
    """axe-core on the page as the national unit sees it (every
    department) and one department's; the charts' images have loaded
    (Chromium drew them) and the page does not scroll sideways on a
    phone.  Screenshots are left in SHOTS_DIR/VIEWPORT/."""
    acct = cenv.accounts["national.officer"]
    url = cenv.console.url
    shots = f"{SHOTS_DIR}/{viewport}"
    subprocess.run(["mkdir", "-p", shots], check=True)
    loaded = ("Array.from(document.querySelectorAll('figure.chart img'))"
              ".every(i => i.complete && i.naturalWidth > 0)")
    out = axe(node_env, viewport, [
        {"goto": f"{url}/login"},
        {"fill": "#username", "value": acct.username},
        {"fill": "#password", "value": acct.password},
        browser_code(acct),
        {"click": "form.login button[type=submit]"},
        {"expect": "tr[data-case], main .notice"},
        {"goto": f"{url}/stats?period=2026-W47"},
        {"expect": "#s-odihr"},
        {"eval": f"if (!({loaded})) throw new Error('charts not drawn')"},
        {"audit": "stats"},
        {"goto": f"{url}/stats?period=2026-11&department=lappi"},
        {"expect": "#headline"},
        {"audit": "stats-lappi"},
    ], shots)
    assert out["cspErrors"] == []
    for a in out["audits"]:
        assert a["status"] == 200, a
        assert a["violations"] == [], json.dumps(a["violations"], indent=1)
        if viewport == "phone":
            assert a["width"] <= 390, a
