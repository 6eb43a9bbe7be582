#!/usr/bin/env bash
# Guest MIPS of the benchmark kernels under rvisor, next to the same kernels
# run natively (and under QEMU TCG when available), interleaved over several
# rounds; prints min and median. A benchmark, not a test: it asserts nothing.
#   bench/mips.sh [path/to/rvisor] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
RVISOR=${1:-build/rvisor}
ROUNDS=${2:-3}
OUT=build/bench
make -s -C bench O="$(pwd)/$OUT" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_qemu=0
command -v qemu-system-riscv64 >/dev/null && have_qemu=1

for r in $(seq "$ROUNDS"); do
	"$OUT/bench-native" >>"$tmp/native"
	"$RVISOR" run --kernel "$OUT/bench.elf" >>"$tmp/rvisor"
	if [ $have_qemu = 1 ]; then
		timeout 600 qemu-system-riscv64 -M virt -bios default -nographic -m 256M \
			-kernel "$OUT/bench.elf" </dev/null >>"$tmp/qemu" 2>/dev/null || true
	fi
done

python3 - "$tmp" "$have_qemu" <<'PY'
import re, statistics, sys, os
d, have_qemu = sys.argv[1], sys.argv[2] == "1"
def parse(name, key):
    res = {}
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return res
    for line in open(p, errors="replace"):
        m = re.match(r"BENCH (\S+) (.*)", line.strip().replace("\r", ""))
        if m:
            kv = dict(x.split("=") for x in m.group(2).split())
            res.setdefault(m.group(1), []).append(kv)
    return res
nat, rv, qm = parse("native", "ns"), parse("rvisor", "ticks"), parse("qemu", "ticks")
print(f"{'kernel':8} {'instret':>11} {'rvisor MIPS':>18} {'native ms':>10} {'rvisor ms':>10} "
      f"{'native/rvisor':>13}" + (f" {'qemu ms':>9} {'rvisor/qemu':>11}" if have_qemu else ""))
print(f"{'':8} {'':>11} {'min / median':>18} {'median':>10} {'median':>10} {'speed':>13}" +
      (f" {'median':>9} {'speed':>11}" if have_qemu else ""))
for k in rv:
    ins = int(rv[k][0]["instret"])
    rv_s = [int(x["ticks"]) / 1e7 for x in rv[k]]
    nat_s = [int(x["ns"]) / 1e9 for x in nat.get(k, [])]
    mips = [ins / s / 1e6 for s in rv_s]
    line = (f"{k:8} {ins:11d} {min(mips):8.1f} / {statistics.median(mips):7.1f} "
            f"{statistics.median(nat_s)*1e3:10.1f} {statistics.median(rv_s)*1e3:10.1f} "
            f"{statistics.median(nat_s)/statistics.median(rv_s):13.3f}")
    sums = {x["sum"] for x in rv[k]} | {x["sum"] for x in nat.get(k, [])}
    if have_qemu and k in qm:
        q_s = [int(x["ticks"]) / 1e7 for x in qm[k]]
        line += f" {statistics.median(q_s)*1e3:9.1f} {statistics.median(q_s)/statistics.median(rv_s):11.3f}"
        sums |= {x["sum"] for x in qm[k]}
    if len(sums) != 1:
        line += "  (checksums differ: " + ",".join(sorted(sums)) + ")"
    print(line)
print("speed ratios > 1 mean rvisor is faster; native/rvisor is the fraction of native speed.")
PY
