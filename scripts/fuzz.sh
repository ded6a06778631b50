#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for the given time each (default 5s).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-5s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -lE '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go 2>/dev/null || true); do
		for fn in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
			echo "fuzz $pkg $fn ($t)"
			go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "$pkg" >/tmp/wardops-fuzz.log 2>&1 || { cat /tmp/wardops-fuzz.log; exit 1; }
		done
	done
done
echo "fuzz: all targets passed"
