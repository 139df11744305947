#!/usr/bin/env bash
# Every C file is clang-format clean with the project's .clang-format.
cd "$(dirname "$0")/../.." || exit 1
bad=0
for f in $(git ls-files '*.c' '*.h'); do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=1; }
done
exit $bad
