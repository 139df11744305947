#!/usr/bin/env bash
# Benchmark of tipline-console at a million cases: the queue, a case of
# 500 tips and logins, each against the same statement run straight
# through psql, in one run (see README.md here).  Prints one table.
#   bench/console.sh [SECONDS]   (default 10 s per measurement, 3 runs)
# CASES, TIPS and HELSINKI_OPEN change the backlog (default 1000000,
# 3000000 and 150000); RUNS the number of runs (default 3, the median is
# reported).  Needs no network; everything lives under one temporary
# directory, removed at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${1:-10}
ncases=${CASES:-1000000}
ntips=${TIPS:-3000000}
hel_open=${HELSINKI_OPEN:-150000}
runs=${RUNS:-3}
. bench/lib.sh
bench_start cbench
lp=
trap '[ -z "$lp" ] || kill "$lp" 2>/dev/null || true; bench_cleanup' EXIT
load() { "$py" bench/console_load.py "$@"; }
# The shipped defaults, argon2id's 64 MiB and 2 passes included; only
# where things are differs.
bench_console
ctl=build-bench/server/tiplinectl

# --- accounts: one officer for the pages, and copies of it (same
# password hash and TOTP secret, each its own last code) to log in as
# in the login runs, each account once ---
password='bench-Tl9!x-password'
secret=$(printf '%s\n' "$password" | $ctl -c "$conf" reviewer add helsinki.officer \
	--name "Bench Officer" --role officer --department helsinki --enrolled \
	--password-stdin | sed -n 's/^totp: //p')
[ -n "$secret" ]
psql -qc "INSERT INTO reviewer (username, display_name, role, department_id,
    password_hash, totp_sealed, totp_enrolled)
    SELECT 'bench.' || g, 'Bench Officer ' || g, 'officer', 1,
        password_hash, totp_sealed, true
    FROM reviewer, generate_series(1, 5000) g
    WHERE username = 'helsinki.officer'"

# --- the backlog ---
"$py" bench/console_gen.py "$conf" "$work/seal.pub" "$ncases" "$ntips" "$hel_open"
t=$(date +%s)
psql -qc "VACUUM ANALYZE"
psql -qc "CHECKPOINT"
echo "vacuum analyze: $(($(date +%s) - t)) s; database $(psql -Atc "SELECT pg_size_pretty(pg_database_size('tipline'))")"

# The generator indexed the tips for search as the worker does.
[ "$(psql -Atc "SELECT count(*) FROM tip WHERE NOT indexed OR excerpt IS NULL")" = 0 ]
echo "search index: $(psql -Atc "SELECT count(*) || ' tips, ' || pg_size_pretty(pg_total_relation_size('tip_search')) FROM tip_search")"

# --- the console ---
bench_console_run
cookie=$(load login "$url" helsinki.officer "$password" "$secret")
me=$(psql -Atc "SELECT id FROM reviewer WHERE username = 'helsinki.officer'")
big=$(psql -Atc "SELECT min(id) FROM cases WHERE department_id = 1
    AND status IN ('new', 'in_progress') AND ntips = 500")
[ -n "$big" ]
# A page deep in each keyset: the 101st, reached by the "next" links.
deep_pri=$(load follow "$url" "$cookie" "/?sort=priority" 100)
deep_age=$(load follow "$url" "$cookie" "/?sort=age" 100)

# --- the ceiling: the console's own statements through psql, prepared,
# with the same parameters, timed at the client (\timing) ---
declare -A args
args[pri_first]="1, '', 2147483647, 9223372036854775807, '', '', '', '', $me"
args[age_first]="1, '', 0, 0, '', '', '', '', $me"
keyset() { # "/?sort=x&after=K1.K2" -> "K1, K2"
	sed -E 's/.*after=([-0-9]+)\.([0-9]+).*/\1, \2/' <<<"$1"
}
args[pri_deep]="1, '', $(keyset "$deep_pri"), '', '', '', '', $me"
args[age_deep]="1, '', $(keyset "$deep_age"), '', '', '', '', $me"
args[case_tips]="$big, 1, 0"
# The session check every page makes first: the cookie's token hashed,
# and the shipped session_idle (30m) in seconds.
token_hash=$("$py" -c 'import hashlib, sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "${cookie#*=}")
args[session]="'\\x$token_hash', 1800"
declare -A stmt=([pri_first]=console_queue_priority [pri_deep]=console_queue_priority
	[age_first]=console_queue_age [age_deep]=console_queue_age
	[case_tips]=console_case_tips [session]=console_session)
for k in "${!stmt[@]}"; do
	{
		echo '\timing on'
		echo "PREPARE q AS $(build-bench/bench/stmt_sql "${stmt[$k]}");"
		for _ in $(seq 10); do echo "EXECUTE q(${args[$k]});"; done
		echo '\echo measure'
		for _ in $(seq 200); do echo "EXECUTE q(${args[$k]});"; done
	} >"$work/ceiling_$k.sql"
done
ceiling() { # name -> {"n":, "p50":, "p99":}
	psql -X -q -U tipline_console -o /dev/null -f "$work/ceiling_$1.sql" |
		awk '/^measure/ {on = 1; next} on && /^Time:/ {print $2}' |
		"$py" -c 'import json, sys
v = sorted(float(x) for x in sys.stdin)
p = lambda f: v[min(len(v) - 1, int(len(v) * f))]
print(json.dumps({"n": len(v), "p50": round(p(.5), 2), "p99": round(p(.99), 2)}))'
}

# --- search over Helsinki's cases: a word in half the descriptions
# (console_gen.py's "koulu"), two such words, and a name nobody wrote
# (the GIN index finds nothing); one after the other on the same
# connections, so that a cached plan for one would show in the others ---
search() {
	rec search_common "$(load get "$url" "$cookie" "/search?q=koulu" --secs "$secs" --pid "$cpid" --expect 'href="/case/')"
	rec search_two "$(load get "$url" "$cookie" "/search?q=koulu+uhkasi" --secs "$secs" --pid "$cpid" --expect 'href="/case/')"
	rec search_rare "$(load get "$url" "$cookie" "/search?q=Virtanen" --secs "$secs" --pid "$cpid")"
}

# One argon2id hash with the configured parameters, in CPU time (the same
# libsodium): a login's cost, and with [console] threads its ceiling.
argon=$("$py" - "$conf" <<'PY'
import configparser, re, sys, time
from nacl import pwhash
c = configparser.ConfigParser(inline_comment_prefixes=(";",))
c.read(sys.argv[1])
m = c["console"]["password_memory"]
mem = int(m[:-1]) << {"K": 10, "M": 20, "G": 30}[m[-1]] if m[-1] in "KMG" else int(m)
ops = int(c["console"]["password_passes"])
ts = []
for _ in range(5):
    t = time.process_time()
    pwhash.argon2id.str(b"bench-password", opslimit=ops, memlimit=mem)
    ts.append((time.process_time() - t) * 1000)
print(f"{sorted(ts)[2]:.0f} ms CPU ({m}, {ops} passes, median of 5)")
PY
)

results=$work/results
: >"$results"
rec() { # name json: one measurement, kept and shown
	echo "$1 $2" | tee -a "$results" >&2
}
started() { "$py" -c 'import json, sys; print(json.loads(sys.argv[1])["started"])' "$1"; }
account=1
for run in $(seq "$runs"); do
	echo "run $run of $runs" >&2
	# A page behind the session check alone: what every page costs.
	rec page_settings "$(load get "$url" "$cookie" /settings --secs "$secs" --pid "$cpid")"
	rec ceiling_session "$(ceiling session)"
	for k in pri_first pri_deep age_first age_deep; do
		case $k in
		pri_first) path="/?sort=priority" ;;
		age_first) path="/?sort=age" ;;
		pri_deep) path=$deep_pri ;;
		age_deep) path=$deep_age ;;
		esac
		rec "queue_$k" "$(load get "$url" "$cookie" "$path" --secs "$secs" --pid "$cpid" --expect 'rel="next"')"
		rec "ceiling_$k" "$(ceiling "$k")"
	done
	# Its first page of 100 tips, their text opened: "koulu" is one of
	# console_gen.py's words.
	rec case_500 "$(load get "$url" "$cookie" "/case/$big" --secs "$secs" --pid "$cpid" --expect 'koulu')"
	rec ceiling_case_tips "$(ceiling case_tips)"
	# Logins as fast as they go: four browsers at once, each logging in
	# again as soon as it is in.
	out=$(load logins "$url" bench "$account" "$password" "$secret" --conns 4 --secs "$secs")
	rec login_max "$out"
	account=$((account + $(started "$out")))
	# The queue while logins are offered at 20 a second.
	load logins "$url" bench "$account" "$password" "$secret" --rate 20 --secs "$secs" >"$work/logins20" &
	lp=$!
	rec queue_under_logins "$(load get "$url" "$cookie" "/?sort=priority" --secs "$secs")"
	wait "$lp"
	lp=
	out=$(cat "$work/logins20")
	rec login_20 "$out"
	account=$((account + $(started "$out")))
	search
done
rss=$(awk '/^VmRSS|^VmHWM/ {printf "%s %s %s  ", $1, $2, $3}' "/proc/$cpid/status")
if [ -s "$work/console.log" ]; then
	echo "console log (warnings):" >&2
	tail -20 "$work/console.log" >&2
fi

echo
echo "tipline console benchmark: $(date -u +%F), $(nproc) cores, $ncases cases, $ntips tips, ${secs}s per measurement, median of $runs runs"
"$py" - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, _, js = line.partition(" ")
    if js.strip():
        rows.setdefault(name, []).append(json.loads(js))
med = lambda name, k: statistics.median(r[k] for r in rows[name])
print(f"{'measurement (ms at the client)':46} {'p50':>8} {'p99':>8} "
      f"{'n/run':>6} {'cpu':>6}")
def line(label, name):
    if name in rows:
        cpu = (f"{med(name, 'cpu'):6.2f}" if "cpu" in rows[name][0]
               else f"{'':6}")
        print(f"{label:46} {med(name, 'p50'):8.2f} {med(name, 'p99'):8.2f} "
              f"{int(med(name, 'n')):6d} {cpu}")
line("a page behind the session check (/settings)", "page_settings")
line("  ceiling: the session check through psql", "ceiling_session")
for k, label in (("pri_first", "queue by priority, first page"),
                 ("pri_deep", "queue by priority, page 101"),
                 ("age_first", "queue by age, first page"),
                 ("age_deep", "queue by age, page 101")):
    line(label, "queue_" + k)
    line("  ceiling: the statement through psql", "ceiling_" + k)
line("case of 500 tips, its first 100", "case_500")
line("  ceiling: its tips' statement through psql", "ceiling_case_tips")
line("queue, first page, while 20 logins/s offered", "queue_under_logins")
line("search: a word in half the tips", "search_common")
line("search: two such words", "search_two")
line("search: a name in no tip", "search_rare")
print()
for k in ("pri_first", "pri_deep", "age_first", "age_deep"):
    q, c = "queue_" + k, "ceiling_" + k
    print(f"console/ceiling {k:10} p50 {med(q, 'p50') / med(c, 'p50'):5.2f}  "
          f"p99 {med(q, 'p99') / med(c, 'p99'):5.2f}")
def answered(runs):
    """The statuses of the failed logins, as text for the line."""
    why = {}
    for r in runs:
        for st, n in r.get("why", {}).items():
            why[st] = why.get(st, 0) + n
    return "".join(f", {n} answered {st}" for st, n in sorted(why.items()))


for name, label in (("login_max", "logins, 4 at a time"),
                    ("login_20", "logins offered at 20/s")):
    print(f"{label}: {med(name, 'rate'):.1f}/s completed, "
          f"latency p50 {med(name, 'p50'):.0f} ms, p99 {med(name, 'p99'):.0f} ms "
          f"(failed: {sum(r['failed'] for r in rows[name])}"
          f"{answered(rows[name])})")
print(f"page sizes: queue {rows['queue_pri_first'][0]['bytes']} bytes, "
      f"case of 500 tips {rows['case_500'][0]['bytes']} bytes")
PY
echo "cpu: the console's CPU time per request (ms)"
echo "argon2id hash: $argon"
echo "console memory after the runs: $rss"
