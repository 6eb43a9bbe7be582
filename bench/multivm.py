#!/usr/bin/env python3
"""Many VMs on one host: `rvisor host` (one process, VMs created through the
API) next to QEMU (one process per VM), interleaved, in the same run.
  1. boot rate: N Linux VMs started at once, until every one's shell answers
  2. host memory per idle VM beyond the guest RAM it touched
  3. aggregate guest MIPS with 1, 2, 4, ... bare-metal MIPS guests (bench/guest.c)
A benchmark, not a test: it asserts nothing.
usage: multivm.py RVISOR KERNEL INITRD BENCH_ELF [--vms N] [--rounds R] [--max-par K]"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from api import Api, Console  # noqa: E402

PROMPT = "rvisor# "


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def ram_mapping_rss_kib(pid, mem_mib):
    """Rss of the QEMU process's guest RAM mapping (the anonymous mapping of the RAM's size)."""
    best, size = 0, None
    for line in open("/proc/%d/smaps" % pid):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            size = None
        elif line.startswith("Size:"):
            size = int(line.split()[1])
        elif line.startswith("Rss:") and size is not None and abs(size - mem_mib * 1024) <= 4096:
            best = max(best, int(line.split()[1]))
    return best


class RvisorHost:
    def __init__(self, rvisor):
        self.tmp = tempfile.mkdtemp(prefix="rvisor-multi-")
        self.sock = os.path.join(self.tmp, "api.sock")
        self.p = subprocess.Popen([rvisor, "host", "--api-sock", self.sock],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists(self.sock):
            time.sleep(0.02)
        self.api = Api(self.sock)

    def create(self, vid, kernel, initrd=None, mem=64):
        body = {"vm_id": vid, "machine-config": {"vcpu_count": 1, "mem_size_mib": mem},
                "boot-source": {"kernel_image_path": kernel, "boot_args": "console=ttyS0"}}
        if initrd:
            body["boot-source"]["initrd_path"] = initrd
        st, j = self.api.req("POST", "/vms", body)
        assert st == 201, j
        st, j = self.api.req("PUT", "/vms/%s/actions" % vid, {"action_type": "InstanceStart"})
        assert st == 204, j

    def close(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(120)
        shutil.rmtree(self.tmp, ignore_errors=True)


def qemu_cmd(kernel, initrd, mem):
    cmd = ["qemu-system-riscv64", "-M", "virt", "-bios", "default", "-nographic", "-m", "%dM" % mem,
           "-smp", "1", "-kernel", kernel]
    if initrd:
        cmd += ["-initrd", initrd, "-append", "console=ttyS0"]
    return cmd


def boot_rvisor(rvisor, kernel, initrd, n, mem):
    h = RvisorHost(rvisor)
    try:
        t0 = time.monotonic()
        for i in range(n):
            h.create("vm%d" % i, kernel, initrd, mem)
        cons = []
        for i in range(n):
            st, j = h.api.req("GET", "/vms/vm%d" % i)
            cons.append(Console(j["console_socket"]))
        for i, c in enumerate(cons):
            c.expect(re.escape(PROMPT), 600)
            c.send('echo ok-""%d\n' % i)
            c.expect("ok-%d\n" % i, 120)
        t = time.monotonic() - t0
        time.sleep(3)  # settle: idle guests
        touched = sum(h.api.req("GET", "/vms/vm%d/stats" % i)[1]["rss_bytes"] for i in range(n)) / 1024
        total = rss_kib(h.p.pid)
        for c in cons:
            c.close()
        return t, (total - touched) / n, touched / n
    finally:
        h.close()


def boot_qemu(kernel, initrd, n, mem):
    ps = [subprocess.Popen(qemu_cmd(kernel, initrd, mem), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT) for _ in range(n)]
    try:
        t0 = time.monotonic()
        for i, p in enumerate(ps):
            buf = b""
            while PROMPT.encode() not in buf:
                d = os.read(p.stdout.fileno(), 65536)
                if not d:
                    raise RuntimeError("qemu exited: %r" % buf[-500:])
                buf += d
            p.stdin.write(b'echo ok-""%d\n' % i)
            p.stdin.flush()
            while b"ok-%d\n" % i not in buf.replace(b"\r", b""):
                buf += os.read(p.stdout.fileno(), 65536)
        t = time.monotonic() - t0
        time.sleep(3)
        over = [rss_kib(p.pid) - ram_mapping_rss_kib(p.pid, mem) for p in ps]
        touched = [ram_mapping_rss_kib(p.pid, mem) for p in ps]
        return t, sum(over) / n, sum(touched) / n
    finally:
        for p in ps:
            p.kill()
            p.wait()


def mips_rvisor(rvisor, elf, k):
    """k MIPS guests at once: (guest instructions in all, wall seconds until every one ended)."""
    h = RvisorHost(rvisor)
    try:
        t0 = time.monotonic()
        for i in range(k):
            h.create("b%d" % i, elf, None, 16)
        left = set(range(k))
        while left and time.monotonic() - t0 < 600:
            # GET /vms once per 0.1 s: the polling itself must not take CPU from the guests
            st, j = h.api.req("GET", "/vms")
            left = {i for i in left if any(v["id"] == "b%d" % i and v["state"] != "Ended" for v in j)}
            time.sleep(0.1)
        t = time.monotonic() - t0
        ins = [h.api.req("GET", "/vms/b%d/stats" % i)[1]["instret"] for i in range(k)]
        return sum(ins), t, ins[0]
    finally:
        h.close()


def mips_qemu(elf, k):
    """k QEMU processes of the same guest: wall seconds until every one exited."""
    t0 = time.monotonic()
    ps = [subprocess.Popen(qemu_cmd(elf, None, 64), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) for _ in range(k)]
    for p in ps:
        p.wait(600)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rvisor")
    ap.add_argument("kernel")
    ap.add_argument("initrd")
    ap.add_argument("elf")
    ap.add_argument("--vms", type=int, default=8)
    ap.add_argument("--mem", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--max-par", type=int, default=max(4, 2 * (os.cpu_count() or 1)))
    a = ap.parse_args()
    have_qemu = shutil.which("qemu-system-riscv64") is not None
    print("host: %d CPUs; %d Linux VMs of %d MiB, 1 vCPU; %d round(s)%s" % (
        os.cpu_count(), a.vms, a.mem, a.rounds, "" if have_qemu else "; no QEMU: rvisor only"))

    boot = {"rvisor": [], "qemu": []}
    for r in range(a.rounds):
        boot["rvisor"].append(boot_rvisor(a.rvisor, a.kernel, a.initrd, a.vms, a.mem))
        if have_qemu:
            boot["qemu"].append(boot_qemu(a.kernel, a.initrd, a.vms, a.mem))
    print("\n%-8s %22s %26s %24s" % ("", "VMs booted/s", "overhead MiB/idle VM", "guest RAM touched MiB"))
    print("%-8s %22s %26s %24s" % ("", "min / median", "min / median", "median"))
    for who, res in boot.items():
        if not res:
            continue
        rates = [a.vms / t for t, _, _ in res]
        over = [o / 1024 for _, o, _ in res]
        print("%-8s %10.2f / %9.2f %12.2f / %11.2f %24.1f" % (
            who, min(rates), statistics.median(rates), min(over), statistics.median(over),
            statistics.median([x / 1024 for _, _, x in res])))
    if boot["qemu"]:
        rr = statistics.median([a.vms / t for t, _, _ in boot["rvisor"]])
        qr = statistics.median([a.vms / t for t, _, _ in boot["qemu"]])
        ro = statistics.median([o for _, o, _ in boot["rvisor"]])
        qo = statistics.median([o for _, o, _ in boot["qemu"]])
        print("rvisor/qemu: boot rate x%.2f, memory overhead per VM x%.2f (lower is leaner)" % (rr / qr, ro / qo))

    print("\naggregate guest MIPS: k copies of bench/guest.c at once, all their instructions over the")
    print("wall time until the last one ended (QEMU: the same instruction count, one process per VM)")
    print("%4s %18s %18s %12s %15s" % ("VMs", "rvisor min / med", "qemu min / med", "rvisor/qemu", "rvisor scaling"))
    base = None
    k = 1
    while k <= a.max_par:
        rv, qm = [], []
        for _ in range(a.rounds):
            total, t, per_vm = mips_rvisor(a.rvisor, a.elf, k)
            rv.append(total / t / 1e6)
            if have_qemu:
                qm.append(k * per_vm / mips_qemu(a.elf, k) / 1e6)
        rvm = statistics.median(rv)
        base = base or rvm
        print("%4d %8.1f / %7.1f %18s %12s %14.2fx" % (
            k, min(rv), rvm, "%8.1f / %7.1f" % (min(qm), statistics.median(qm)) if qm else "-",
            "%.3f" % (rvm / statistics.median(qm)) if qm else "-", rvm / base))
        k *= 2
    print("QEMU TCG translates guest code to host code; rvisor interprets it. Boot and memory are\n"
          "measured with N VMs at once; rvisor's per-VM overhead includes its process share / N.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
