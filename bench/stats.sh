#!/usr/bin/env bash
# Benchmark of the statistics at ten million tips over three years: the
# weekly and the yearly report in the console (server time at the client,
# p50/p99) and with tiplinectl, against the report's own statement run
# through psql; and what the rollup costs a tip as it comes in (the
# triggers' share of storing it, and the worker's fold).  Prints one
# table; see README.md here.
#   bench/stats.sh [N]   N requests per console measurement (default 50)
# TIPS (default 10000000) and DAYS (1096) size the data; BATCH (500000
# cases) the generator's transactions.  Needs no network; everything lives
# under one temporary directory, removed at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
nreq=${1:-50}
ntips=${TIPS:-10000000}
days=${DAYS:-1096}
batch=${BATCH:-500000}
. bench/lib.sh
bench_start sbench
load() { "$py" bench/console_load.py "$@"; }
bench_console
ctl=build-bench/server/tiplinectl
password='bench-Tl9!x-password'
secret=$(printf '%s\n' "$password" | $ctl -c "$conf" reviewer add national.analyst \
	--name "Bench Analyst" --role national --enrolled \
	--password-stdin | sed -n 's/^totp: //p')
[ -n "$secret" ]

stats_triggers() { # enable | disable
	psql -qc "ALTER TABLE case_join $1 TRIGGER stats_join;
	    ALTER TABLE cases $1 TRIGGER stats_case_ins;
	    ALTER TABLE cases $1 TRIGGER stats_case_upd;
	    ALTER TABLE platform_notice $1 TRIGGER stats_notice"
}
# Every trigger of the tables the generator fills, for the bulk load: the
# feedback's (0013) look for messages to deliver, of which there are
# none, and take their time over a batch of a million joins at once that
# the worker (64 tips a statement) never makes.
all_triggers() { # enable | disable
	psql -qc "ALTER TABLE case_join $1 TRIGGER USER;
	    ALTER TABLE cases $1 TRIGGER USER;
	    ALTER TABLE platform_notice $1 TRIGGER USER"
}
gen() { # cases seed -> ms taken
	local t0
	t0=$(ms)
	psql -q -1 -v ON_ERROR_STOP=1 -v cases="$1" -v days="$days" -v seed="$2" -f bench/stats_gen.sql >/dev/null
	echo $(($(ms) - t0))
}

# --- the rollup's cost per tip: the same 20,000 cases stored with the
# triggers off and on, and the fold of what the triggers wrote (the
# worker's ingest with and without them: bench/worker.sh) ---
cost_cases=20000
stats_triggers disable
off=$(gen $cost_cases 0.11)
n_off=$(psql -Atc "SELECT count(*) FROM tip")
psql -qc "TRUNCATE tip, cases, case_join, platform_notice CASCADE"
stats_triggers enable
on=$(gen $cost_cases 0.11)
n_on=$(psql -Atc "SELECT count(*) FROM tip")
deltas=$(psql -Atc "SELECT count(*) FROM stats_delta")
t0=$(ms)
while [ "$(psql -Atc "SELECT stats_fold(20000)")" -ge 20000 ]; do :; done
fold=$(($(ms) - t0))
psql -qc "TRUNCATE tip, cases, case_join, platform_notice, stats_day, stats_delta CASCADE"

# --- the data: TIPS tips over DAYS days, triggers off, then counted once
# by stats_backfill() and folded as the worker folds ---
all_triggers disable
t0=$(ms)
seed=1
while [ "$(psql -Atc "SELECT count(*) FROM tip")" -lt "$ntips" ]; do
	gen "$batch" "0.$seed" >/dev/null
	seed=$((seed + 1))
	echo "generated $(psql -Atc "SELECT count(*) FROM tip") tips" >&2
done
gen_s=$((($(ms) - t0) / 1000))
all_triggers enable
t0=$(ms)
psql -qc "SELECT stats_backfill()" >/dev/null
while [ "$(psql -Atc "SELECT stats_fold(200000)")" -ge 200000 ]; do :; done
backfill_s=$((($(ms) - t0) / 1000))
psql -qc "VACUUM ANALYZE"
psql -qc "CHECKPOINT"
tips=$(psql -Atc "SELECT count(*) FROM tip")
cases=$(psql -Atc "SELECT count(*) FROM cases")
rollup=$(psql -Atc "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('stats_day')) FROM stats_day")
dbsize=$(psql -Atc "SELECT pg_size_pretty(pg_database_size('tipline'))")

# The periods: the last whole ISO week and the last whole year.
week=$(date -d '7 days ago' +%G-W%V)
year=$(($(date +%Y) - 1))

# --- tiplinectl: wall time of the whole command, median of 5 ---
ctl_time() { # args -> median ms
	local i t0 ts=()
	for i in 1 2 3 4 5; do
		t0=$(ms)
		$ctl -c "$conf" stats "$@" --format json >/dev/null
		ts+=($(($(ms) - t0)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p
}
ctl_week=$(ctl_time --week "$week")
ctl_year=$(ctl_time --year "$year")
ctl_year_dept=$(ctl_time --year "$year" --department helsinki)

# --- the ceiling: the report's statement through psql, prepared, with
# the same parameters, timed at the client (\timing) ---
ceiling() { # first end first end first end dept -> {"p50", "p99"}
	{
		echo '\timing on'
		echo "PREPARE q AS $(build-bench/bench/stmt_sql console_stats);"
		for _ in $(seq 3); do echo "EXECUTE q($1);"; done
		echo '\echo measure'
		for _ in $(seq 20); do echo "EXECUTE q($1);"; done
	} >"$work/ceiling.sql"
	psql -X -q -U tipline_console -o /dev/null -f "$work/ceiling.sql" |
		awk '/^measure/ {on = 1; next} on && /^Time:/ {print $2}' |
		"$py" -c 'import json, sys
v = sorted(float(x) for x in sys.stdin)
p = lambda f: v[min(len(v) - 1, int(len(v) * f))]
print(json.dumps({"n": len(v), "p50": round(p(.5), 2), "p99": round(p(.99), 2)}))'
}
wk_first=$(date -d "$(date -d '7 days ago' +%F) -$(($(date -d '7 days ago' +%u) - 1)) days" +%F)
wk_end=$(date -d "$wk_first +7 days" +%F)
args_week="'$wk_first', '$wk_end', '$(date -d "$wk_first -7 days" +%F)', '$wk_first', '$(date -d "$wk_first -364 days" +%F)', '$(date -d "$wk_end -364 days" +%F)', NULL"
args_year="'$year-01-01', '$((year + 1))-01-01', '$((year - 1))-01-01', '$year-01-01', '$((year - 1))-01-01', '$year-01-01', NULL"
ceil_week=$(ceiling "$args_week")
ceil_year=$(ceiling "$args_year")

# --- the console ---
bench_console_run
cookie=$(load login "$url" national.analyst "$password" "$secret")
get() { load get "$url" "$cookie" "$1" --n "$nreq" --pid "$cpid" --expect "$2"; }
page_week=$(get "/stats?period=$week" 'id="s-odihr"')
page_year=$(get "/stats?period=$year" 'id="s-odihr"')
json_year=$(get "/stats.json?period=$year" '"sections"')
svg_year=$(get "/stats/bars.svg?period=$year" '<svg')

echo
echo "tipline statistics benchmark: $(date -u +%F), $(nproc) cores, $tips tips, $cases cases over $days days; database $dbsize; rollup $rollup"
echo "generated in ${gen_s} s with the triggers off; stats_backfill() and the fold: ${backfill_s} s"
"$py" - "$page_week" "$page_year" "$json_year" "$svg_year" "$ceil_week" "$ceil_year" <<PY
import json, sys
pw, py_, jy, sy, cw, cy = (json.loads(a) for a in sys.argv[1:])
print(f"{'measurement (ms)':48} {'p50':>8} {'p99':>8} {'cpu':>7}")
def line(label, r):
    cpu = f"{r['cpu']:7.2f}" if "cpu" in r else f"{'':7}"
    print(f"{label:48} {r['p50']:8.2f} {r['p99']:8.2f} {cpu}")
line("console /stats, week $week", pw)
line("  ceiling: the report's statement through psql", cw)
line("console /stats, year $year", py_)
line("console /stats.json, year $year", jy)
line("console /stats/bars.svg, year $year", sy)
line("  ceiling: the report's statement through psql", cy)
print(f"targets: weekly < 200 ms: {'yes' if pw['p99'] < 200 else 'NO'}; "
      f"yearly < 1000 ms: {'yes' if py_['p99'] < 1000 else 'NO'}")
PY
echo "tiplinectl stats (wall, median of 5): week ${ctl_week} ms, year ${ctl_year} ms, year of one department ${ctl_year_dept} ms"
"$py" - "$off" "$on" "$n_off" "$n_on" "$deltas" "$fold" <<'PY'
import sys
off, on, n_off, n_on, deltas, fold = (int(a) for a in sys.argv[1:])
print(f"the rollup's cost per tip: storing {n_on} tips with their cases took "
      f"{on} ms with the triggers, {off} ms without "
      f"({(on - off) * 1000 / n_on:.0f} µs a tip, "
      f"{(on - off) * 100 / off:.0f} %); they wrote {deltas} deltas "
      f"({deltas / n_on:.1f} a tip), folded in {fold} ms "
      f"({fold * 1000 / n_on:.0f} µs a tip)")
PY
echo "cpu: the console's CPU time per request (ms)"
