#!/usr/bin/env python3
"""The benchmark suite: rvisor next to QEMU on the same guests.

Boots the default Linux guest under rvisor and under QEMU (qemu-system-riscv64
-M virt, OpenSBI, TCG) with the same kernel and the same initramfs, once per
workload and round, and runs each in-guest workload natively as well. The
runs being compared are interleaved (rvisor, QEMU, native; the next round in
the opposite order), so that a noisy, shared machine slows them alike.

Prints a table of medians and minimums with the speed ratios
rvisor/QEMU and guest/native, and writes build/bench/report.md,
build/bench/report.png (gnuplot) and build/bench/results.json; the console
of every guest run is kept in build/bench/logs/. A benchmark, not a test:
it asserts no timing. Its exit status is non-zero only when no comparison
could be made at all, or when a workload's checksum differs between runners
(one of them computed something else).

usage: bench/run.py [--rounds N] [--rvisor PATH] [--workloads a,b,...]
                    [--no-qemu] [--no-native] [--timeout S]
See bench/README.md for the workloads and how to read the ratios.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench")
WL_SRC = os.path.join(ROOT, "bench", "workloads")
WL_OUT = os.path.join(OUT, "workloads")

MEM = "512M"
INIT_MARK = b"rvisor-init: starting"
RESULT_RE = re.compile(rb"RESULT (\S+) (\d+) ([0-9a-f]+)")
FAIL_RE = re.compile(rb"BENCH-FAIL (\S+) (\S+)")
DISK_BYTES = 80 << 20  # blkio moves 64 MiB

# name: (results it prints, what it stresses). "boot" is timed by the host.
WORKLOADS = {
    "boot": (["boot"], "launch to the init's first line (stock initramfs)"),
    "intmix": (["intmix"], "integer: CRC, LZ77, quicksort, hash table"),
    "fpmix": (["fpmix"], "FP: n-body, matmul (double); Mandelbrot, FIR (float)"),
    "memtlb": (["memtlb"], "128 MiB working set: page-walk pointer chase, random RMW"),
    "pagefault": (["pagefault"], "mmap / first touch / mprotect / munmap, 8 MiB x 60"),
    "forkexec": (["forkexec"], "fork + exec + wait of a static binary, x 600"),
    "blkio": (["blk-write", "blk-read"], "virtio-blk: 64 MiB O_DIRECT write+fsync, read"),
}
# The geometric mean of the rvisor/QEMU speed covers these (not boot, not I/O).
CPU_BOUND = ["intmix", "fpmix", "memtlb", "pagefault", "forkexec"]
RUNNERS = ["rvisor", "qemu", "native"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build(args):
    """Workload binaries, the stock guest and the benchmark initramfs."""
    subprocess.run([os.path.join(ROOT, "scripts", "install-deps.sh")], check=True,
                   env=dict(os.environ, RVISOR_LINUX_DEPS="1", RVISOR_BENCH_DEPS="1"))
    log("bench: building the workloads (bench/workloads)")
    subprocess.run(["make", "-s", "-C", WL_SRC, "O=" + WL_OUT], check=True,
                   stdout=subprocess.DEVNULL)

    def guest(extra):
        out = subprocess.run([os.path.join(ROOT, "scripts", "build-guest.sh")] + extra,
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return env["KERNEL"], env["INITRD"]

    log("bench: building the guest (scripts/build-guest.sh)")
    kernel, stock = guest([])
    _, initrd = guest(["--add", os.path.join(WL_OUT, "guest") + ":/bench",
                       "--add", os.path.join(WL_SRC, "rc.local") + ":/etc/rvisor/rc.local"])
    return kernel, stock, initrd


def has_disk(rvisor):
    p = subprocess.run([rvisor, "run", "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return b"--disk" in p.stdout


def fresh_disk(path):
    with open(path, "wb") as f:
        f.truncate(DISK_BYTES)


def vm_cmd(runner, args, kernel, initrd, append, disk):
    if runner == "rvisor":
        cmd = [args.rvisor, "run", "--kernel", kernel, "--initrd", initrd, "--mem", MEM,
               "--cpus", "1", "--append", append]
        if disk:
            cmd += ["--disk", disk, "--stats"]  # --stats: exits per MB
    else:
        cmd = [args.qemu, "-M", "virt", "-bios", "default", "-nographic", "-m", MEM,
               "-smp", "1", "-kernel", kernel, "-initrd", initrd, "-append", append]
        if disk:
            cmd += ["-drive", "file=%s,format=raw,if=none,id=d0" % disk,
                    "-device", "virtio-blk-device,drive=d0"]
    return cmd


def run_vm(cmd, logpath, timeout):
    """Runs one VM to its end (or the timeout). Returns the host time of the
    init mark, the host time of each RESULT line, the console and a status."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf = b""
    t_init = None
    t_result = {}
    status = None
    try:
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                status = "timeout after %ds" % timeout
                break
            r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            data = os.read(p.stdout.fileno(), 65536)
            now = time.monotonic() - t0
            if not data:
                break
            buf += data
            if t_init is None and INIT_MARK in buf:
                t_init = now
            for m in RESULT_RE.finditer(buf):
                t_result.setdefault(m.group(1).decode(), now)
    finally:
        if status:
            p.kill()
        rc = p.wait()
        t_end = time.monotonic() - t0
    if status is None and rc != 0:
        status = "exit status %d" % rc
    with open(logpath, "wb") as f:
        f.write(b"$ " + " ".join(cmd).encode() + b"\n" + buf)
    return t_init, t_end, t_result, buf, status


def parse_results(buf):
    res = {m.group(1).decode(): (int(m.group(2)) / 1e9, m.group(3).decode())
           for m in RESULT_RE.finditer(buf)}
    fails = [(m.group(1).decode(), m.group(2).decode()) for m in FAIL_RE.finditer(buf)]
    return res, fails


BLK_MB_MOVED = 128  # blkio writes 64 MiB and reads them back


def blk_exits(buf):
    """virtio-blk register accesses (notifications included: each a VM exit) from --stats."""
    return sum(int(m.group(1)) + int(m.group(2)) for m in re.finditer(
        rb"virtio-blk@\w+: register reads=(\d+) writes=(\d+)", buf))


def run_native(name, scale, timeout):
    exe = os.path.join(WL_OUT, "native", name)
    cmd = [exe, str(scale)]
    disk = None
    if name == "forkexec":
        cmd.append(os.path.join(WL_OUT, "native", "exitcode"))
    elif name == "blkio":
        disk = os.path.join(OUT, "native-disk.img")
        if os.path.exists(disk):
            os.unlink(disk)
        cmd.append(disk)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        status = None if p.returncode == 0 else "exit status %d" % p.returncode
        out = p.stdout
    except subprocess.TimeoutExpired as e:
        status, out = "timeout after %ds" % timeout, e.stdout or b""
    if disk and os.path.exists(disk):
        os.unlink(disk)
    return out, status


class Samples:
    """samples[result][runner] = list of seconds; checksums[result][runner] = set."""

    def __init__(self):
        self.t = {}
        self.sums = {}
        self.problems = []
        self.blk_exits_per_mb = []

    def add(self, result, runner, secs, checksum=None):
        self.t.setdefault(result, {}).setdefault(runner, []).append(secs)
        if checksum is not None:
            self.sums.setdefault(result, {}).setdefault(runner, set()).add(checksum)

    def get(self, result, runner):
        return self.t.get(result, {}).get(runner, [])

    def checksum_ok(self, result):
        allsums = set()
        for s in self.sums.get(result, {}).values():
            allsums |= s
        return len(allsums) <= 1


def one_round(rnd, args, names, guest, disk_ok, samples, raw):
    kernel, stock, initrd = guest
    order = RUNNERS if rnd % 2 == 0 else RUNNERS[::-1]
    for name in names:
        results = WORKLOADS[name][0]
        for runner in order:
            if runner == "qemu" and args.no_qemu:
                continue
            if runner == "native" and (args.no_native or name == "boot"):
                continue
            if name == "blkio" and runner == "rvisor" and not disk_ok:
                continue
            tag = "%s r%d %-9s" % (runner, rnd + 1, name)
            if runner == "native":
                out, status = run_native(name, args.scale, args.timeout)
                res, fails = parse_results(out)
                host = {}
            else:
                disk = None
                if name == "blkio":
                    disk = os.path.join(OUT, "disk.img")
                    fresh_disk(disk)
                append = "console=ttyS0 rvisor.shell=0 bench=%s bench.scale=%d" % (
                    name, args.scale)
                cmd = vm_cmd(runner, args, kernel, stock if name == "boot" else initrd,
                             append, disk)
                logpath = os.path.join(OUT, "logs", "%s-%s-r%d.log" % (runner, name, rnd + 1))
                t_init, t_end, host, buf, status = run_vm(cmd, logpath, args.timeout)
                res, fails = parse_results(buf)
                if name == "boot" and t_init is not None:
                    res["boot"] = (t_init, None)
                if disk:
                    os.unlink(disk)
                if disk and runner == "rvisor" and not status:
                    n = blk_exits(buf)
                    if n:
                        samples.blk_exits_per_mb.append(n / BLK_MB_MOVED)
                raw.append({"round": rnd + 1, "runner": runner, "workload": name,
                            "init_s": t_init, "exit_s": t_end, "status": status})
            for r in results:
                if r in res:
                    secs, checksum = res[r]
                    samples.add(r, runner, secs, checksum)
                    # The guest's clock against the host's: the measured part
                    # cannot take longer than launch-to-result on the host.
                    if r in host and secs > host[r] + 0.05:
                        samples.problems.append(
                            "%s: %s: guest clock says %.3fs, host saw %.3fs since launch"
                            % (runner, r, secs, host[r]))
            if status or fails or any(r not in res for r in results):
                why = status or ", ".join("%s failed (%s)" % f for f in fails) or "no RESULT"
                samples.problems.append("round %d: %s %s: %s" % (rnd + 1, runner, name, why))
                log("bench: %s  FAILED: %s" % (tag, why))
            else:
                log("bench: %s  %s" % (tag, "  ".join("%s %.3fs" % (r, res[r][0])
                                                        for r in results)))


def speed(ref, x):
    """Speed of x relative to ref from their times (> 1: x is faster)."""
    return ref / x if ref and x else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def summarize(samples, names):
    rows = []
    for name in names:
        for r in WORKLOADS[name][0]:
            row = {"name": r, "workload": name}
            for runner in RUNNERS:
                v = samples.get(r, runner)
                row[runner] = (statistics.median(v), min(v), len(v)) if v else None
            rv, qm, nt = row["rvisor"], row["qemu"], row["native"]
            row["rv_qemu"] = (speed(qm[0], rv[0]), speed(qm[1], rv[1])) if rv and qm else None
            row["rv_native"] = speed(nt[0], rv[0]) if rv and nt else None
            row["qemu_native"] = speed(nt[0], qm[0]) if qm and nt else None
            row["checksum_ok"] = samples.checksum_ok(r)
            rows.append(row)
    return rows


def fmt_time(t):
    if not t:
        return "-"
    med, mn, _ = t
    return "%.1f / %.1f" % (med * 1e3, mn * 1e3)


def fmt_ratio(x, digits=2):
    return ("%." + str(digits) + "f") % x if x else "-"


HEAD = ["workload", "rvisor ms", "QEMU ms", "rvisor/QEMU", "rvisor/QEMU",
        "rvisor/native", "QEMU/native", "check"]
SUB = ["", "med / min", "med / min", "speed, med", "speed, min", "speed, med",
       "speed, med", "sum"]


def table_rows(rows):
    out = []
    for row in rows:
        rq = row["rv_qemu"] or (None, None)
        out.append([row["name"], fmt_time(row["rvisor"]), fmt_time(row["qemu"]),
                    fmt_ratio(rq[0]), fmt_ratio(rq[1]),
                    fmt_ratio(row["rv_native"], 4), fmt_ratio(row["qemu_native"], 4),
                    "ok" if row["checksum_ok"] else "DIFFERS"])
    return out


def geomeans(rows):
    cpu = [r for r in rows if r["workload"] in CPU_BOUND]
    return {
        "rv_qemu": geomean([r["rv_qemu"][0] for r in cpu if r["rv_qemu"]]),
        "rv_qemu_min": geomean([r["rv_qemu"][1] for r in cpu if r["rv_qemu"]]),
        "rv_native": geomean([r["rv_native"] for r in cpu]),
        "qemu_native": geomean([r["qemu_native"] for r in cpu]),
        "n": len([r for r in cpu if r["rv_qemu"]]),
    }


def print_table(rows, gm):
    cells = [HEAD, SUB] + table_rows(rows)
    w = [max(len(c[i]) for c in cells) for i in range(len(HEAD))]
    for i, c in enumerate(cells):
        print("  ".join(x.ljust(w[j]) if j == 0 else x.rjust(w[j]) for j, x in enumerate(c)))
        if i == 1:
            print("  ".join("-" * x for x in w))
    print()
    print("geometric mean over the CPU-bound workloads (%s):" % ", ".join(CPU_BOUND))
    print("  rvisor/QEMU speed %s (from minimums %s); fraction of native speed: "
          "rvisor %s, QEMU %s" % (fmt_ratio(gm["rv_qemu"], 3), fmt_ratio(gm["rv_qemu_min"], 3),
                                  fmt_ratio(gm["rv_native"], 4), fmt_ratio(gm["qemu_native"], 4)))
    print("speed ratios: above 1 the first-named runs faster; rvisor/native 0.05 means "
          "5% of native speed.")


def write_markdown(path, rows, gm, meta, problems, notes):
    L = ["# rvisor vs QEMU: benchmark suite", ""]
    L.append("Generated by `bench/run.py` on %s: %d round(s), interleaved; "
             "every guest 1 vCPU, %s RAM." % (meta["date"], meta["rounds"], MEM))
    L.append("")
    L.append("| | |")
    L.append("| --- | --- |")
    for k in ["host", "cpu", "load", "rvisor", "qemu", "kernel", "initrd"]:
        L.append("| %s | `%s` |" % (k, meta[k]))
    L.append("")
    L.append("Times are the in-guest `clock_gettime(CLOCK_MONOTONIC)` around the measured "
             "part (boot: host time from launch to `rvisor-init: starting`), in ms, "
             "median / minimum. Speed ratios divide times the other way round: above 1 "
             "the first-named is faster. rvisor/native is the fraction of native speed "
             "reached in the guest.")
    L.append("")
    L.append("| " + " | ".join(h if not s else "%s (%s)" % (h, s)
                                for h, s in zip(HEAD, SUB)) + " |")
    L.append("|" + "|".join([" --- "] + [" ---: "] * (len(HEAD) - 1)) + "|")
    for c in table_rows(rows):
        L.append("| " + " | ".join(c) + " |")
    L.append("")
    L.append("**Geometric mean over the CPU-bound workloads** (%s): rvisor/QEMU speed "
             "**%s** (from minimums %s); fraction of native speed: rvisor %s, QEMU %s." % (
                 ", ".join(CPU_BOUND), fmt_ratio(gm["rv_qemu"], 3),
                 fmt_ratio(gm["rv_qemu_min"], 3), fmt_ratio(gm["rv_native"], 4),
                 fmt_ratio(gm["qemu_native"], 4)))
    L.append("")
    L.append("| workload | what it stresses |")
    L.append("| --- | --- |")
    for name, (_, what) in WORKLOADS.items():
        L.append("| %s | %s |" % (name, what))
    if os.path.exists(os.path.join(OUT, "report.png")):
        L += ["", "![speed ratios](report.png)"]
    if notes or problems:
        L += ["", "## Notes", ""] + ["- " + n for n in notes + problems]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def write_chart(path, rows, gm):
    """Two panels: rvisor/QEMU speed per workload (log scale, 1 = parity), and
    the fraction of native speed reached by each VMM. Returns a note when no
    chart could be drawn."""
    if os.path.exists(path):
        os.unlink(path)
    if not shutil.which("gnuplot"):
        return "gnuplot not found: no chart (scripts/install-deps.sh with RVISOR_BENCH_DEPS=1)"
    has_rq = any(r["rv_qemu"] for r in rows)
    has_nat = any(r["rv_native"] or r["qemu_native"] for r in rows)
    if not has_rq and not has_nat:
        return "no ratios to draw: no chart"
    dat = os.path.join(OUT, "report.dat")
    with open(dat, "w") as f:
        f.write("# name rv_qemu_med rv_qemu_min rv_native qemu_native\n")
        for r in rows:
            rq = r["rv_qemu"] or (None, None)
            f.write("%s %s %s %s %s\n" % (r["name"], *("%.6g" % x if x else "NaN" for x in (
                rq[0], rq[1], r["rv_native"], r["qemu_native"]))))
    title = "rvisor / QEMU speed (median; above 1: rvisor faster)"
    if gm["rv_qemu"]:
        title += ", CPU-bound geomean %.2f" % gm["rv_qemu"]
    script = """
set terminal pngcairo size 1000,%d font "sans,10"
set output '%s'
set multiplot layout %d,1
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set format y "%%g"
""" % (380 * (has_rq + has_nat), path, has_rq + has_nat)
    if has_rq:
        script += """
set logscale y 2
set yrange [*<0.5:2<*]
set title "{title}"
set ylabel "speed ratio"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
plot '{dat}' using 2:xtic(1) title "median" lc rgb "#3b7dd8", \\
     '' using 3 title "min" lc rgb "#9cc3f0", \\
     '' using ($0-0.15):2:(sprintf("%.2f",$2)) with labels offset 0,0.7 notitle
unset arrow 1
""".format(title=title, dat=dat)
    if has_nat:
        script += """
set logscale y 10
set autoscale y
set title "fraction of native speed reached in the guest (median)"
set ylabel "guest / native speed"
plot {series}
""".format(series=", ".join(
            "'%s' using %d:xtic(1) title \"%s\" lc rgb \"%s\"" % (dat, col, who, rgb)
            for col, who, key, rgb in ((4, "rvisor", "rv_native", "#3b7dd8"),
                                       (5, "QEMU", "qemu_native", "#e07b39"))
            if any(r[key] for r in rows)))
    script += "unset multiplot\n"
    p = subprocess.run(["gnuplot"], input=script, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if p.returncode != 0 or not os.path.exists(path):
        return "gnuplot failed: " + (p.stdout.strip().splitlines() or ["?"])[-1].strip()
    return None


def rel(path):
    """A path relative to the repository when it is inside it."""
    r = os.path.relpath(path, ROOT)
    return path if r.startswith("..") else r


def host_meta(args, guest, rounds):
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    qv = "-"
    if not args.no_qemu:
        qv = subprocess.run([args.qemu, "--version"], stdout=subprocess.PIPE,
                            text=True).stdout.splitlines()[0]
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "rounds": rounds,
        "host": "%s, %d CPUs, %s" % (platform.node(), os.cpu_count(), platform.release()),
        "cpu": cpu,
        "load": "%.2f %.2f %.2f at start" % os.getloadavg(),
        "rvisor": "%s (%s)" % (rel(args.rvisor), rev.strip() or "?"),
        "qemu": qv,
        "kernel": guest[0],
        "initrd": guest[2],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rvisor", default=os.path.join(ROOT, "build", "rvisor"))
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated subset of: " + ", ".join(WORKLOADS))
    ap.add_argument("--scale", type=int, default=1, help="work per workload (default 1)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-native", action="store_true")
    args = ap.parse_args()
    args.rvisor = os.path.abspath(args.rvisor)
    names = [n for n in args.workloads.split(",") if n]
    for n in names:
        if n not in WORKLOADS:
            ap.error("unknown workload %r (known: %s)" % (n, ", ".join(WORKLOADS)))
    if not os.access(args.rvisor, os.X_OK):
        ap.error("%s not found: build it first (make all)" % args.rvisor)
    if not args.no_qemu and not shutil.which(args.qemu):
        ap.error("%s not found (qemu-system-misc; or pass --no-qemu)" % args.qemu)

    os.makedirs(os.path.join(OUT, "logs"), exist_ok=True)
    guest = build(args)
    notes = []
    disk_ok = has_disk(args.rvisor)
    if "blkio" in names and not disk_ok:
        note = ("blkio: skipped for rvisor: `%s run --help` lists no --disk option "
                "(virtio-blk not built in); QEMU and native still run it" % rel(args.rvisor))
        notes.append(note)
        print("NOTE: " + note, flush=True)

    meta = host_meta(args, guest, args.rounds)
    samples, raw = Samples(), []
    t0 = time.monotonic()
    for rnd in range(args.rounds):
        log("bench: round %d of %d" % (rnd + 1, args.rounds))
        one_round(rnd, args, names, guest, disk_ok, samples, raw)
    meta["load"] += ", %.2f %.2f %.2f at end" % os.getloadavg()
    notes.append("suite ran %.0f s; load average %s" % (time.monotonic() - t0, meta["load"]))

    rows = summarize(samples, names)
    gm = geomeans(rows)
    print()
    print("rvisor vs QEMU (TCG, -M virt, OpenSBI) vs native, %d round(s), 1 vCPU, %s; "
          "times in ms" % (args.rounds, MEM))
    print()
    print_table(rows, gm)
    bad = [r["name"] for r in rows if not r["checksum_ok"]]
    for r in bad:
        samples.problems.append("%s: checksums differ between runs: %s" % (r, {
            k: sorted(v) for k, v in samples.sums[r].items()}))
    chart_note = write_chart(os.path.join(OUT, "report.png"), rows, gm)
    if chart_note:
        notes.append(chart_note)
    write_markdown(os.path.join(OUT, "report.md"), rows, gm, meta, samples.problems, notes)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"meta": meta, "samples": samples.t, "runs": raw,
                   "checksums": {k: {r: sorted(s) for r, s in v.items()}
                                 for k, v in samples.sums.items()},
                   "problems": samples.problems, "notes": notes}, f, indent=1)
    for row in rows:
        if row["workload"] == "blkio":
            rates = ["%s %.0f MB/s (median; best %.0f)" % (runner, 64 * 1.048576 / row[runner][0],
                                                       64 * 1.048576 / row[runner][1])
                     for runner in RUNNERS if row[runner]]
            notes.append("%s, 64 MiB sequential O_DIRECT: %s" % (row["name"], ", ".join(rates)))
    if samples.blk_exits_per_mb:
        e = sorted(samples.blk_exits_per_mb)
        line = ("rvisor virtio-blk VM exits per MB moved (register accesses and "
                "notifications, from --stats): min %.1f, median %.1f over %d run(s)"
                % (e[0], statistics.median(e), len(e)))
        notes.append(line)
    if samples.problems or notes:
        print()
        for p in notes + samples.problems:
            print("note: " + p)
    print()
    print("report: %s" % os.path.relpath(os.path.join(OUT, "report.md"), os.getcwd()))
    if not chart_note:
        print("chart:  %s" % os.path.relpath(os.path.join(OUT, "report.png"), os.getcwd()))
    if bad:
        return 1
    return 0 if any(r["rv_qemu"] or r["rv_native"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
