"""Fills a migrated Tipline database with a large, realistic backlog for
bench/console.sh: CASES cases and TIPS tips over the 13 departments,
Helsinki holding HELSINKI_OPEN open cases.

    /usr/bin/python3 bench/console_gen.py CONF SEAL_PUB [CASES TIPS HELSINKI_OPEN]

Run as the owner (PG* variables name the database).  Tip text is sealed
with the deployment's public key, as the intake seals it, so the console
opens it; sealing millions of boxes would take most of an hour, so a few
thousand distinct descriptions, links and places are sealed once and the
boxes are shared between tips.  Nothing of the schema is disabled: every
index, constraint and foreign key is there while the rows go in, but for
the search index's GIN index, made again after its 3,000,000 rows.

The tips are indexed for search as the worker indexes them: each
distinct text's tokens and excerpt come from build-bench/bench/index_gen
(INDEX_GEN), which runs lib/search.c and lib/seal.c with the keys of
CONF, and each tip gets the union of its texts' tokens and its
description's excerpt.  (Through the worker, three million tips would
take most of an hour: bench/README.md.)

Shape of the data (fixed seeds: every run makes the same backlog):
- tips per case heavy-tailed (a case gains priority with its tips): most
  cases hold one or two tips, a few hundred hold a hundred or more, and
  twenty hold 500 (six of them open in Helsinki);
- cases ordered by opening time, so ids grow with time as in a real
  database; tips stored in order of arrival, so the tips of a big case are
  spread over the table as they are in a real one;
- open cases opened over the last 60 days, new or in progress (some
  assigned to Helsinki officers), closed ones over the year before, with
  an outcome; district tips are about places in the department's
  municipalities, the national unit's about posts online;
- a screenshot on one tip in ten of the biggest cases and on a few others.
Prints one line of counts and the time taken.
"""
import os
import random
import subprocess
import sys
import time

import psycopg
from nacl.public import PublicKey, SealedBox

WORDS = ("viesti solvaus uhkaus kommentti ryhmä naapuri ihmiset kaupunki "
         "bussi koulu netti kuva video julkaisu maahanmuuttaja uskonto "
         "moskeija kirkko sateenkaari lippu seinä graffiti asema juna "
         "kauppa kassa työpaikka esimies somessa kirjoitti sanoi huusi "
         "uhkasi lyödä tappaa pois maasta kaikki nuo heidän meidän "
         "ystävä lapsi poika tyttö äiti isä koti ovi rappu piha puisto "
         "hei että ja mutta koska kun jos niin vaan ei ole oli on".split())
PLATFORMS = ["facebook", "instagram", "x", "tiktok", "youtube", "telegram",
             "discord", "reddit", "suomi24", "ylilauta", "vauva", "news",
             "other"]
MOTIVES = ["{ethnic}", "{religion}", "{orientation}", "{gender}",
           "{ethnic,religion}", "{skin,ethnic}", "{disability}", "{other}",
           "{unknown}"]
OUTCOMES = ["offence_reported", "preventive_contact", "platform_removal",
            "no_offence", "unidentified", "duplicate"]
NDESC, NURL, NPLACE = 4000, 2000, 500
# A 1x1 PNG: the screenshots' bytes are never read by the benchmark.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806"
                    "0000001f15c4890000000d49444154789c6360000002000001e2"
                    "21bc330000000049454e44ae426082")


def description(rnd):
    """3 to 600 words, most a few lines: as tipsters write."""
    r = rnd.random()
    n = (rnd.randint(3, 40) if r < .6 else rnd.randint(40, 150) if r < .9
         else rnd.randint(150, 300) if r < .99 else rnd.randint(300, 600))
    return " ".join(rnd.choice(WORDS) for _ in range(n)).capitalize() + "."


def link(rnd):
    site = rnd.choice(["x.com", "www.facebook.com", "www.tiktok.com",
                       "www.youtube.com"])
    return (f"https://{site}/u{rnd.randint(1, 10**6)}/status/"
            f"{rnd.randint(10**17, 10**18)}")


def place(rnd):
    street = f"{rnd.choice(WORDS).capitalize()}katu {rnd.randint(1, 80)}"
    spot = rnd.choice(["rappukäytävä", "pysäkki", "kauppakeskus", "puisto",
                       "koulun piha"])
    return f"{street}, {spot}"


def plan(ncases, ntips, helsinki_open, rnd):
    """(dept, status, ntips, opened hours ago, hours of tips, assigned) for
    each case, in order of opening."""
    # Departments 2-11 and 13 share what Helsinki (1) and the national
    # unit (12) leave, weighted roughly by population.
    others = {2: 5, 3: 9, 4: 8, 5: 6, 6: 7, 7: 9, 8: 9, 9: 9, 10: 7, 11: 3,
              13: 1}
    hel_closed = helsinki_open // 2
    nat_open, nat_closed = int(ncases * .12), int(ncases * .21)
    rest = ncases - helsinki_open - hel_closed - nat_open - nat_closed
    if rest < 0:
        raise SystemExit("too few cases for that many open in Helsinki")
    groups = [(1, True, helsinki_open), (1, False, hel_closed),
              (12, True, nat_open), (12, False, nat_closed)]
    wsum = sum(others.values())
    left = rest
    for i, (d, w) in enumerate(others.items()):
        n = left if i == len(others) - 1 else rest * w // wsum
        left -= n
        groups += [(d, True, n * 3 // 10), (d, False, n - n * 3 // 10)]
    cases = []
    for dept, open_, n in groups:
        for _ in range(n):
            if open_:
                ago = rnd.randint(0, 60 * 24)
                status = "new" if rnd.random() < .65 else "in_progress"
            else:
                ago = rnd.randint(31 * 24, 400 * 24)
                status = "closed"
            cases.append([dept, status, 1, ago, 0])
    # Tips per case: P(n >= k) = k^-1.4, at most 300 ...
    for c in cases:
        c[2] = min(300, int(rnd.random() ** (-1 / 1.4)))
    # ... and twenty of 500: six open in Helsinki, six open in the national
    # unit, eight closed elsewhere.
    def pick(k, cond):
        idx = [i for i, c in enumerate(cases) if cond(c)]
        return rnd.sample(idx, k)
    giants = (pick(6, lambda c: c[0] == 1 and c[1] != "closed")
              + pick(6, lambda c: c[0] == 12 and c[1] != "closed")
              + pick(8, lambda c: c[0] not in (1, 12) and c[1] == "closed"))
    for i in giants:
        cases[i][2] = 500
    gset = set(giants)
    # Exactly ntips tips: one more or one less on ordinary cases.
    diff = ntips - sum(c[2] for c in cases)
    while diff != 0:
        i = rnd.randrange(len(cases))
        if i in gset:
            continue
        if diff > 0 and cases[i][2] < 300:
            cases[i][2] += 1
            diff -= 1
        elif diff < 0 and cases[i][2] > 1:
            cases[i][2] -= 1
            diff += 1
    for c in cases:
        # Tips arrive over up to two weeks (a closed case's before it
        # closed, an open one's before now).
        if c[2] > 1:
            c[4] = min(c[3] if c[1] != "closed" else 30 * 24,
                       rnd.randint(1, 14 * 24))
    cases.sort(key=lambda c: -c[3])
    return cases


SQL_CASES = """
INSERT INTO cases (id, department_id, needs_routing, status, ntips, priority,
    opened_at, last_tip_at, closed_at, version, assignee_id, acknowledged_at,
    decided_at, outcome, hate_confirmed, grounds)
OVERRIDING SYSTEM VALUE
SELECT p.n, p.dept,
    p.dept = 12 AND p.status <> 'closed' AND p.n %% 50 = 0,
    p.status, p.ntips, p.ntips, o.at, o.last,
    CASE WHEN p.status = 'closed' THEN o.last + interval '1 day' END,
    CASE p.status WHEN 'new' THEN 1 ELSE 3 END,
    CASE WHEN p.status = 'in_progress' AND p.dept = 1
        THEN (SELECT ids[1 + p.n %% cardinality(ids)] FROM officers) END,
    CASE WHEN p.status <> 'new'
        THEN least(now(), o.at + interval '1 day') END,
    CASE WHEN p.status = 'closed' THEN o.last + interval '1 day' END,
    CASE WHEN p.status = 'closed' THEN (%(outcomes)s::text[])[1 + p.n %% 6]
    END,
    CASE WHEN p.status = 'closed' THEN p.n %% 3 <> 0 END,
    CASE WHEN p.status = 'closed' THEN '{ethnic}'::text[] END
FROM bench_plan p,
    LATERAL (SELECT date_trunc('hour', now()
        - make_interval(hours => p.ago)) AS at) o0,
    LATERAL (SELECT o0.at, o0.at + make_interval(hours => p.span) AS last) o
ORDER BY p.n
"""

# One row per tip, in order of arrival; h is a per-tip hash, ch one per
# case (a case is about one post or one place).
SQL_TIP_ROWS = """
SELECT md5(c.id || '.' || k)::uuid AS id, c.id AS case_id, k,
    c.department_id AS dept, c.status AS cstatus,
    date_trunc('hour', c.opened_at + (c.last_tip_at - c.opened_at)
        * ((k - 1)::float8 / greatest(c.ntips - 1, 1))) AS at,
    hashint8(c.id * 1000 + k)::bigint & 2147483647 AS h,
    hashint8(-c.id)::bigint & 2147483647 AS ch,
    c.ntips
FROM cases c, generate_series(1, c.ntips) k
"""

SQL_TIPS = """
INSERT INTO tip (id, receipt_hash, received_at, lang, channel, platform,
    municipality, motives, feedback, sealed_description, sealed_url,
    sealed_place, status, nattachments, excerpt, indexed)
SELECT s.id, sha256(uuid_send(s.id)), s.at,
    (ARRAY['fi', 'fi', 'fi', 'fi', 'sv', 'en'])[1 + s.h %% 6],
    s.channel,
    CASE WHEN s.channel <> 'place'
        THEN (%(platforms)s::text[])[1 + s.ch %% 13] END,
    CASE WHEN s.channel <> 'online' THEN
        (SELECT codes[1 + s.ch %% cardinality(codes)] FROM munis m
         WHERE m.dept = s.dept) END,
    (%(motives)s::text[])[1 + s.h %% 9]::text[],
    CASE WHEN s.h %% 5 < 2 THEN 'receipt' ELSE 'none' END,
    (SELECT box FROM bench_desc d WHERE d.n = s.h %% %(ndesc)s),
    CASE WHEN s.channel <> 'place'
        THEN (SELECT box FROM bench_url u WHERE u.n = s.ch %% %(nurl)s) END,
    CASE WHEN s.channel <> 'online'
        THEN (SELECT box FROM bench_place p
              WHERE p.n = s.ch %% %(nplace)s) END,
    CASE WHEN s.cstatus = 'closed' THEN 'closed' ELSE 'in_review' END,
    s.shots,
    (SELECT excerpt FROM bench_desc d WHERE d.n = s.h %% %(ndesc)s), true
FROM (SELECT r.*,
        CASE WHEN r.dept = 12 THEN 'online'
            WHEN r.ch %% 10 < 7 THEN 'place' ELSE 'both' END AS channel,
        CASE WHEN (r.ntips = 500 AND r.k %% 10 = 0) OR r.h %% 500 = 0
            THEN 1 ELSE 0 END AS shots
    FROM (""" + SQL_TIP_ROWS + """) r
    ORDER BY r.at, r.id) s
"""

SQL_JOINS = """
INSERT INTO case_join (tip_id, case_id, matched, distance, joined_at)
SELECT r.id, r.case_id,
    CASE WHEN r.k = 1 THEN 'new'
        WHEN r.dept = 12 THEN 'link'
        WHEN r.h % 3 = 0 THEN 'text_near' ELSE 'text' END,
    CASE WHEN r.k > 1 AND r.dept <> 12 AND r.h % 3 = 0
        THEN (r.h % 11)::smallint END,
    r.at
FROM (""" + SQL_TIP_ROWS + """) r
ORDER BY r.at, r.id
"""

SQL_SHOTS = """
INSERT INTO attachment (tip_id, seq, mime, width, height, sha256, phash,
    sealed, sealed_text)
SELECT t.id, 1, 'image/png', 1080, 2340, sha256(uuid_send(t.id)),
    hashint8(hashtext(t.id::text)) * 4294967296::bigint
        + hashtext(t.id::text), %(png)s,
    (SELECT box FROM bench_desc d
     WHERE d.n = (hashtext(t.id::text)::bigint & 2147483647) %% %(ndesc)s)
FROM tip t WHERE t.nattachments = 1
"""


# Each tip's tokens: its description's, link's, place's and screenshot
# text's (the same choices as SQL_TIPS and SQL_SHOTS make).
SQL_SEARCH = """
INSERT INTO tip_search (tip_id, tokens)
SELECT t.id, ARRAY(SELECT DISTINCT x FROM unnest(d.tokens
        || CASE WHEN t.sealed_url IS NOT NULL THEN u.tokens END
        || CASE WHEN t.sealed_place IS NOT NULL THEN p.tokens END
        || CASE WHEN t.nattachments = 1 THEN s.tokens END) x ORDER BY x)
FROM (""" + SQL_TIP_ROWS + """) r
JOIN tip t ON t.id = r.id
JOIN bench_desc d ON d.n = r.h %% %(ndesc)s
JOIN bench_url u ON u.n = r.ch %% %(nurl)s
JOIN bench_place p ON p.n = r.ch %% %(nplace)s
JOIN bench_desc s ON s.n =
    (hashtext(t.id::text)::bigint & 2147483647) %% %(ndesc)s
"""


def indexed(conf, texts):
    """(tokens, excerpt box) of each text, from index_gen."""
    exe = os.environ.get("INDEX_GEN", "build-bench/bench/index_gen")
    out = subprocess.run([exe, conf], check=True, capture_output=True,
                         input="".join(t.encode().hex() + "\n"
                                       for t in texts).encode()).stdout
    rows = [line.split("\t") for line in out.decode().splitlines()]
    assert len(rows) == len(texts)
    return [(tok, bytes.fromhex(ex)) for tok, ex in rows]


def main():
    conf, pub = sys.argv[1], sys.argv[2]
    ncases = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    ntips = int(sys.argv[4]) if len(sys.argv) > 4 else 3000000
    hel_open = int(sys.argv[5]) if len(sys.argv) > 5 else 150000
    t0 = time.monotonic()
    rnd = random.Random(20261124)
    box = SealedBox(PublicKey(bytes.fromhex(open(pub).read().strip())))
    texts = {"bench_desc": [description(rnd) for _ in range(NDESC)],
             "bench_url": [link(rnd) for _ in range(NURL)],
             "bench_place": [place(rnd) for _ in range(NPLACE)]}
    png = box.encrypt(PNG)
    cases = plan(ncases, ntips, hel_open, rnd)

    with psycopg.connect() as c, c.cursor() as cur:
        cur.execute("SET work_mem = '1GB'")
        cur.execute("SET jit = off")
        for name, plain in texts.items():
            cur.execute(f"CREATE TABLE {name} (n integer PRIMARY KEY, "
                        "box bytea NOT NULL, tokens integer[] NOT NULL, "
                        "excerpt bytea NOT NULL)")
            with cur.copy(f"COPY {name} FROM STDIN") as cp:
                for i, (t, (tok, ex)) in enumerate(
                        zip(plain, indexed(conf, plain))):
                    cp.write_row((i, box.encrypt(t.encode()), tok, ex))
        cur.execute("CREATE TABLE bench_plan (n bigint PRIMARY KEY, "
                    "dept smallint, status text, ntips integer, "
                    "ago integer, span integer)")
        with cur.copy("COPY bench_plan FROM STDIN") as cp:
            for i, (d, st, n, ago, span) in enumerate(cases, 1):
                cp.write_row((i, d, st, n, ago, span))
        # Assignees: the first twenty Helsinki officers.
        cur.execute("CREATE TEMP TABLE officers AS SELECT array_agg(id) ids "
                    "FROM (SELECT id FROM reviewer WHERE department_id = 1 "
                    "AND role = 'officer' ORDER BY id LIMIT 20) r")
        cur.execute("CREATE TEMP TABLE munis AS SELECT department_id dept, "
                    "array_agg(code ORDER BY code) codes FROM municipality "
                    "GROUP BY department_id")
        cur.execute(SQL_CASES, {"outcomes": OUTCOMES})
        cur.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                    "max(id)) FROM cases")
        t1 = time.monotonic()
        cur.execute(SQL_TIPS, {"platforms": PLATFORMS, "motives": MOTIVES,
                               "ndesc": NDESC, "nurl": NURL,
                               "nplace": NPLACE})
        t2 = time.monotonic()
        cur.execute(SQL_JOINS)
        cur.execute(SQL_SHOTS, {"png": png, "ndesc": NDESC})
        t3 = time.monotonic()
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("DROP INDEX tip_search_tokens_idx")
        cur.execute(SQL_SEARCH, {"ndesc": NDESC, "nurl": NURL,
                                 "nplace": NPLACE})
        cur.execute("CREATE INDEX tip_search_tokens_idx ON tip_search "
                    "USING gin (tokens)")
        t4 = time.monotonic()
        cur.execute("DROP TABLE bench_desc, bench_url, bench_place, "
                    "bench_plan")
        c.commit()
        cur.execute("SELECT (SELECT count(*) FROM cases), "
                    "(SELECT count(*) FROM tip), "
                    "(SELECT count(*) FROM case_join), "
                    "(SELECT count(*) FROM attachment), "
                    "(SELECT count(*) FROM cases WHERE department_id = 1 "
                    "AND status IN ('new', 'in_progress')), "
                    "(SELECT count(*) FROM cases WHERE ntips = 500)")
        n = cur.fetchone()
    print(f"generated {n[0]} cases, {n[1]} tips ({n[2]} joined, {n[3]} "
          f"screenshots), {n[4]} open in Helsinki, {n[5]} of 500 tips, in "
          f"{time.monotonic() - t0:.0f} s (cases {t1 - t0:.0f} s, tips "
          f"{t2 - t1:.0f} s, search index {t4 - t3:.0f} s)")


if __name__ == "__main__":
    main()
