#!/usr/bin/env python3
"""Boot time: launch to the init's first line ("rvisor-init: starting"),
rvisor next to QEMU (TCG, -M virt, OpenSBI) on the same kernel and initramfs,
interleaved over several rounds; prints min and median and the ratio.
A benchmark, not a test. usage: boot.py RVISOR KERNEL INITRD [ROUNDS] [CPUS]"""
import os
import select
import statistics
import subprocess
import sys
import time

MARK = b"rvisor-init: starting"


def time_to_init(cmd, timeout=120):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = b""
    try:
        while time.monotonic() - t0 < timeout:
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    return None
                buf += data
                if MARK in buf:
                    return time.monotonic() - t0
        return None
    finally:
        p.kill()
        p.wait()


def main():
    rvisor, kernel, initrd = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    cpus = sys.argv[5] if len(sys.argv) > 5 else "1"
    append = "console=ttyS0"
    runs = {
        "rvisor": [rvisor, "run", "--kernel", kernel, "--initrd", initrd, "--cpus", cpus,
                   "--mem", "256M", "--append", append],
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-bios", "default", "-nographic",
                 "-smp", cpus, "-m", "256M", "-kernel", kernel, "-initrd", initrd,
                 "-append", append],
    }
    times = {k: [] for k in runs}
    for _ in range(rounds):
        for k, cmd in runs.items():
            t = time_to_init(cmd)
            if t is not None:
                times[k].append(t)
    print("boot to init's first line, %s vCPU(s), %d rounds (seconds)" % (cpus, rounds))
    print("%-8s %8s %8s" % ("", "min", "median"))
    for k, v in times.items():
        if v:
            print("%-8s %8.3f %8.3f" % (k, min(v), statistics.median(v)))
        else:
            print("%-8s  did not reach init" % k)
    if times["rvisor"] and times["qemu"]:
        print("rvisor/qemu time ratio: min %.2f, median %.2f (below 1: rvisor boots faster)" % (
            min(times["rvisor"]) / min(times["qemu"]),
            statistics.median(times["rvisor"]) / statistics.median(times["qemu"])))


if __name__ == "__main__":
    main()
