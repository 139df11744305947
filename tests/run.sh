#!/usr/bin/env bash
# Runs every test of Tipline on a fresh Debian 12 machine: installs what is
# missing, builds three ways (plain; AddressSanitizer + UndefinedBehavior-
# Sanitizer; clang + libFuzzer), then runs the lint checks, the unit tests
# and fuzz-corpus replays, the fuzzers for a short budget, and the end-to-end
# tests against real daemons with both the plain and the sanitizer build.
# Ends with one line: "N passed, N failed".
#   FUZZ_SECONDS=15  time per fuzzer
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fuzz_seconds=${FUZZ_SECONDS:-15}
passed=0
failed=0
failures=()

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); failures+=("$1"); echo "FAILED: $1"; }
step() { echo; echo "== $*"; }

step "dependencies"
deploy/deps.sh test || { echo "0 passed, 1 failed"; exit 1; }

build() { # dir, meson options...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -40 "$dir.ninja.log"; return 1; }
}

step "build"
builds=()
if build build; then ok; builds+=(build); else bad "build"; fi
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	ok; builds+=(build-asan)
else
	bad "build-asan"
fi
if CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false; then ok; else bad "build-fuzz"; fi

step "lint"
for t in tests/lint/*.sh; do
	if bash "$t"; then ok; else bad "lint $(basename "$t")"; fi
done

step "unit"
for b in "${builds[@]}"; do
	for exe in "$b"/tests/test_*; do
		{ [ -f "$exe" ] && [ -x "$exe" ]; } || continue
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$exe" 2>&1)
		rc=$?
		n_ok=$(grep -c '^ok ' <<<"$out")
		n_bad=$(grep -c '^not ok ' <<<"$out")
		passed=$((passed + n_ok))
		if [ "$n_bad" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$n_ok" -eq 0 ]; then
			echo "$out"
			bad "$b $(basename "$exe") ($n_bad failed, exit $rc)"
		fi
	done
	for exe in "$b"/tests/fuzz/replay_*; do
		{ [ -f "$exe" ] && [ -x "$exe" ]; } || continue
		h=${exe##*/replay_}
		if "$exe" "tests/fuzz/corpus/$h" >/dev/null; then ok; else bad "$b replay $h"; fi
	done
done

step "fuzz (${fuzz_seconds}s each)"
for exe in build-fuzz/tests/fuzz/fuzz_*; do
	{ [ -f "$exe" ] && [ -x "$exe" ]; } || continue
	h=${exe##*/fuzz_}
	work=$(mktemp -d)
	cp -r "tests/fuzz/corpus/$h/." "$work/"
	mkdir -p build-fuzz/artifacts
	if "$exe" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/artifacts/$h-" "$work" \
		>"build-fuzz/fuzz_$h.log" 2>&1; then
		ok
	else
		tail -30 "build-fuzz/fuzz_$h.log"
		bad "fuzz $h (inputs in build-fuzz/artifacts)"
	fi
	rm -rf "$work"
done

step "end to end"
for b in "${builds[@]}"; do
	xml=$b/e2e.xml
	rm -f "$xml"
	TIPLINE_BUILD=$top/$b /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		--junitxml="$xml" tests/e2e
	if [ -f "$xml" ]; then
		read -r t f e s < <(/usr/bin/python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
suites = [r] if r.tag == 'testsuite' else list(r)
tot = lambda k: sum(int(x.get(k, 0)) for x in suites)
print(tot('tests'), tot('failures'), tot('errors'), tot('skipped'))
PY
)
		passed=$((passed + t - f - e - s))
		if [ $((f + e)) -gt 0 ]; then
			failed=$((failed + f + e - 1))
			bad "$b e2e: $((f + e)) failed"
		fi
		[ "$t" -gt 0 ] || bad "$b e2e ran no test"
	else
		bad "$b e2e did not run"
	fi
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
