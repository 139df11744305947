#!/usr/bin/env bash
# Benchmark of the worker: ingest throughput with 1 and 2 workers, and
# near-duplicate lookup by multi-index hashing against a full scan, in one
# run (see README.md here).
#   bench/worker.sh [TIPS] [HASHES]   (default 100000 tips, 1000000 hashes)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ntips=${1:-100000}
nhashes=${2:-1000000}
. bench/lib.sh
bench_start wbench

# --- queue the tips: sealed like the intake seals them ---
/usr/bin/python3 - "$work" "$ntips" <<'PY'
import os, random, sys
from nacl.public import PublicKey, SealedBox
import psycopg
w, n = sys.argv[1], int(sys.argv[2])
pk = PublicKey(bytes.fromhex(open(os.path.join(w, 'seal.pub')).read().strip()))
box = SealedBox(pk)
rnd = random.Random(1)
words = ('viesti solvaus uhkaus kommentti ryhmä naapuri ihmiset kaupunki '
         'bussi koulu netti kuva video julkaisu').split()
# 2,000 distinct posts: about 50 tips each, as when a post goes viral.
posts = [box.encrypt(f'https://x.com/u/status/{10**18 + i}'.encode())
         for i in range(2000)]
munis = ['091', '049', '092', '837', '853', '564', '478']
descs = [box.encrypt(' '.join(rnd.choice(words) for _ in range(rnd.randint(3, 30))).encode())
         for _ in range(500)]
with psycopg.connect() as c, c.cursor() as cur:
    with cur.copy("COPY tip (receipt_hash, received_at, lang, channel, platform, "
                  "municipality, motives, feedback, sealed_description, "
                  "sealed_url, nattachments) FROM STDIN") as cp:
        for i in range(n):
            if rnd.random() < 0.8:
                where = ('online', 'x', None, rnd.choice(posts))
            else:  # one in five about a place: no link, text and routing
                where = ('place', None, rnd.choice(munis), None)
            cp.write_row((os.urandom(32), '2026-11-24 12:00+00', 'fi',
                          where[0], where[1], where[2], '{ethnic}',
                          'receipt', rnd.choice(descs), where[3], 0))
    cur.execute("INSERT INTO job (kind, tip_id, run_after, created_at) "
                "SELECT 'ingest', id, now(), now() FROM tip")
    c.commit()
PY
psql -qc "VACUUM ANALYZE" >/dev/null
psql -qAtc "CREATE TABLE bench_pristine AS SELECT id FROM job" >/dev/null

run_workers() { # n -> tips per second
	local n=$1 i t0 t1 left
	psql -qAtc "DELETE FROM case_join; DELETE FROM exact_key; DELETE FROM near_key; DELETE FROM cases; UPDATE job SET state = 'queued', attempts = 0, locked_until = NULL, run_after = now()" >/dev/null
	psql -qc "VACUUM ANALYZE" >/dev/null
	t0=$(date +%s.%N)
	for i in $(seq "$n"); do
		build-bench/worker/tipline-worker -c "$conf" 2>>"$work/worker.log" &
		pids+=($!)
	done
	while :; do
		left=$(psql -qAtc "SELECT count(*) FROM job WHERE state <> 'done'")
		[ "$left" -eq 0 ] && break
		sleep 0.2
	done
	t1=$(date +%s.%N)
	for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
	pids=()
	python3 -c "print('%.0f' % ($ntips / ($t1 - $t0)))"
}
median3() { # n -> "median (a b c)" of three runs
	local a b c
	a=$(run_workers "$1")
	b=$(run_workers "$1")
	c=$(run_workers "$1")
	python3 -c "import sys; v = sorted(map(int, sys.argv[1:])); print(v[1], '(runs: %s)' % ' '.join(sys.argv[1:]))" "$a" "$b" "$c"
}
one=$(median3 1)
two=$(median3 2)
# The statistics' share of ingest: one worker again with their triggers
# off (the fold, on the sweep, is not waited for: bench/stats.sh times it).
stats_triggers() {
	psql -qc "ALTER TABLE case_join $1 TRIGGER stats_join;
	    ALTER TABLE cases $1 TRIGGER stats_case_ins;
	    ALTER TABLE cases $1 TRIGGER stats_case_upd" >/dev/null
}
stats_triggers DISABLE
nostats=$(median3 1)
stats_triggers ENABLE
cases=$(psql -qAtc "SELECT count(*) FROM cases")
joined=$(psql -qAtc "SELECT count(*) FROM case_join")

# --- near-duplicate lookup at NHASHES stored hashes ---
/usr/bin/python3 - "$nhashes" <<'PY' >"$work/lookup"
import random, statistics, sys, time
import psycopg
n = int(sys.argv[1])
rnd = random.Random(2)
with psycopg.connect() as c, c.cursor() as cur:
    cur.execute("SELECT id FROM cases ORDER BY id LIMIT 1")
    case = cur.fetchone()[0]
    cur.execute("SELECT id FROM tip LIMIT 1")
    tip = cur.fetchone()[0]
    # 64 uniform bits from two draws: one random() has only 52, and its
    # low bits would be zero (one chunk value shared by most hashes).
    cur.execute("""
        INSERT INTO near_key (kind, hash, c0, c1, c2, c3, case_id, tip_id)
        SELECT 'image', h, mih_chunk(h, 0), mih_chunk(h, 1), mih_chunk(h, 2),
            mih_chunk(h, 3), %s, %s
        FROM (SELECT (floor(random() * 4294967296)::bigint << 32)
            | floor(random() * 4294967296)::bigint AS h
            FROM generate_series(1, %s)) s""", (case, tip, n))
    c.commit()
# Measured settled, as on a running system: vacuumed and analysed (not
# while autovacuum works through a million fresh rows), the table and its
# indexes in memory.
with psycopg.connect(autocommit=True) as c:
    c.execute("VACUUM ANALYZE near_key")
    c.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    c.execute("SELECT pg_prewarm(r) FROM unnest(ARRAY['near_key', "
              "'near_key_c0_idx', 'near_key_c1_idx', 'near_key_c2_idx', "
              "'near_key_c3_idx', 'cases', 'cases_pkey']::regclass[]) r")
with psycopg.connect() as c, c.cursor() as cur:
    cur.execute("SELECT hash FROM near_key WHERE kind = 'image' "
                "ORDER BY random() LIMIT 500")
    stored = [r[0] for r in cur.fetchall()]
    def flip(h, k):
        for b in rnd.sample(range(64), k):
            h ^= 1 << b
        return h - (1 << 64) if h >= 1 << 63 else h
    # Half the queries are near a stored hash, half are not.
    qs = [flip(h & ((1 << 64) - 1), rnd.randint(0, 7)) for h in stored] + \
         [rnd.getrandbits(64) - (1 << 63) for _ in range(500)]
    def timed(sql, q):
        t = time.perf_counter()
        cur.execute(sql, (q,))
        r = cur.fetchall()
        return (time.perf_counter() - t) * 1000, r
    mih = "SELECT * FROM near_case('image', %s::bigint, 7, '-infinity')"
    scan = ("SELECT nk.case_id, bit_count((nk.hash # h)::bit(64)) AS d "
            "FROM near_key nk, (SELECT %s::bigint AS h) q "
            "WHERE nk.kind = 'image' AND bit_count((nk.hash # h)::bit(64)) <= 7 "
            "ORDER BY d LIMIT 1")
    for q in qs[:20]:
        timed(mih, q)  # warm the cache
    mt, found = [], 0
    for q in qs:
        ms, r = timed(mih, q)
        mt.append(ms)
        found += len(r) > 0
    st, sfound = [], 0
    for q in qs[::50]:
        ms, r = timed(scan, q)
        st.append(ms)
    for q in qs[::50]:
        _, a = timed(mih, q)
        _, b = timed(scan, q)
        assert bool(a) == bool(b), q  # same answer
    mt.sort(); st.sort()
    p = lambda xs, f: xs[min(len(xs) - 1, int(len(xs) * f))]
    print(f"mih_p50={p(mt, .5):.3f} mih_p99={p(mt, .99):.3f} scan_p50={p(st, .5):.1f} "
          f"scan_p99={p(st, .99):.1f} found={found}/{len(qs)}")
PY
read -r lookup <"$work/lookup"
echo
echo "tipline worker benchmark: $(date -u +%F), $(nproc) cores, $ntips tips, $nhashes hashes"
echo "ingest, 1 worker:  $one tips/s"
echo "ingest, 2 workers: $two tips/s   ($cases cases, $joined tips joined)"
echo "ingest, 1 worker, statistics' triggers off: $nostats tips/s"
echo "near-duplicate lookup (ms): $lookup"
