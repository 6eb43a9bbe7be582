#!/usr/bin/env bash
# The guest suite under QEMU + OpenSBI (the oracle) and under rvisor, side by
# side. A test that passes in QEMU and fails here points at rvisor; one that
# fails in QEMU points at the test (or at a known QEMU deviation it NOTEs).
#   tests/oracle.sh [path/to/rvisor]
set -u
cd "$(dirname "$0")/.."
RVISOR=${1:-build/rvisor}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tests/guest/run.sh --runner qemu >"$tmp/qemu" 2>&1
q=$?
tests/guest/run.sh --runner rvisor --rvisor "$RVISOR" >"$tmp/rvisor" 2>&1
r=$?

printf '%-14s %-7s %-7s\n' test qemu rvisor
for elf in build/guest/*.elf; do
	t=$(basename "$elf" .elf)
	qs=$(grep -Eo "^(PASS|FAIL) $t\b" "$tmp/qemu" | head -1 | cut -d' ' -f1)
	rs=$(grep -Eo "^(PASS|FAIL) $t\b" "$tmp/rvisor" | head -1 | cut -d' ' -f1)
	flag=""
	[ "${qs:-?}" = PASS ] && [ "${rs:-?}" != PASS ] && flag="  <- rvisor differs from the oracle"
	printf '%-14s %-7s %-7s%s\n' "$t" "${qs:-?}" "${rs:-?}" "$flag"
done
echo "QEMU notes (known deviations of QEMU 7.2 / OpenSBI 1.1 from the spec):"
grep -h "NOTE" "$tmp/qemu" | sort -u | sed 's/^/  /'
[ $q -eq 0 ] && [ $r -eq 0 ]
