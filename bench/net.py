#!/usr/bin/env python3
"""VM-to-VM TCP throughput: rvisor next to QEMU on the same kernel and initramfs.

Two guests, each in its own VMM process, on one network: rvisor's virtual
switch (--net switch=NAME), or QEMU's socket netdev (one guest listens on a
local TCP port, the other connects) with virtio-net-device on virtio-mmio.
Guest A sends MIB MiB read from a virtio disk (host random bytes) with
busybox nc to guest B, which writes them to its own virtio disk; the host
checks the sha256 of both images. Rounds alternate the order of the VMMs.
Prints MB/s (min and median per VMM and MTU), the rvisor/QEMU ratio of the
medians, and, for rvisor, the virtio-net VM exits per MB (notifications and
register accesses of both devices, from --stats).

usage: bench/net.py RVISOR KERNEL INITRD [--rounds N] [--mib M] [--mtu 1500,16000]
                    [--qemu PATH] [--no-qemu]
"""
import argparse
import hashlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from guest import PROMPT, Guest, GuestError  # noqa: E402


def spawn(cmd):
    """A Guest (console driver) around any VMM command line."""
    g = Guest.__new__(Guest)
    g.cmd = cmd
    g.t0 = time.monotonic()
    g.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    g.buf = g.log = ""
    g.seq = 0
    g.quiet = False
    return g


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def commands(runner, args, src, dst, tag):
    base_q = [args.qemu, "-M", "virt", "-bios", "default", "-nographic", "-m", "256M", "-smp", "2",
              "-kernel", args.kernel, "-initrd", args.initrd, "-append", "console=ttyS0",
              "-global", "virtio-mmio.force-legacy=false"]
    if runner == "rvisor":
        base = [args.rvisor, "run", "--kernel", args.kernel, "--initrd", args.initrd, "--cpus", "2",
                "--mem", "256M", "--append", "console=ttyS0", "--stats"]
        net = ["--net", "switch=bench-%d-%s" % (os.getpid(), tag)]
        return (base + net + ["--disk", src + ",ro"], base + net + ["--disk", dst])
    port = free_port()
    disk = lambda img, ro: ["-drive", "file=%s,if=none,format=raw,id=d0%s" % (img, ",readonly=on" if ro else ""),
                            "-device", "virtio-blk-device,drive=d0"]
    nic = lambda mode: ["-netdev", "socket,id=n0,%s=127.0.0.1:%d" % (mode, port),
                        "-device", "virtio-net-device,netdev=n0"]
    return (base_q + disk(src, True) + nic("listen"), base_q + disk(dst, False) + nic("connect"))


def sha256(path, size):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(size))
    return h.hexdigest()


def net_exits(log):
    """virtio-net register accesses + notifications (each a VM exit) from --stats."""
    n = 0
    for m in re.finditer(r"virtio-net@\w+: register reads=(\d+) writes=(\d+) notifies=(\d+)", log):
        n += int(m.group(1)) + int(m.group(2))  # notifies are register writes too
    return n


def one_run(runner, args, tmp, mtu, tag):
    src, dst = os.path.join(tmp, "src.img"), os.path.join(tmp, "dst.img")
    with open(dst, "wb") as f:
        f.truncate(args.mib << 20)
    ca, cb = commands(runner, args, src, dst, tag)
    a = spawn(ca)
    time.sleep(0.5)  # QEMU: the listening side first
    b = spawn(cb)
    try:
        for i, g in enumerate((a, b)):
            g.expect(re.escape(PROMPT), 300)
            g.run("dmesg -n 1; ip addr add 10.0.0.%d/24 dev eth0 && ip link set eth0 mtu %d up"
                  % (i + 1, mtu), 60)
        st, out = a.run("ping -c 2 -W 5 10.0.0.2", 60)
        if st:
            raise GuestError("ping failed: " + out)
        b.send("nc -l -p 5000 < /dev/null | dd of=/dev/vda bs=1M 2>/dev/null; sync; echo RECV-DONE\n")
        time.sleep(1)
        t0 = time.monotonic()
        st, out = a.run("dd if=/dev/vda bs=1M count=%d 2>/dev/null | nc -w 1 10.0.0.2 5000"
                        % args.mib, 900)
        b.expect("RECV-DONE", 300)
        secs = time.monotonic() - t0 - 1
        b.expect(re.escape(PROMPT), 60)
        for g in (a, b):
            g.send("poweroff\n")
            g.wait_exit(120)
        ok = sha256(src, args.mib << 20) == sha256(dst, args.mib << 20)
        exits = net_exits(a.log) + net_exits(b.log) if runner == "rvisor" else None
        return (args.mib * 1.048576 / secs) if ok else None, exits
    finally:
        a.kill()
        b.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rvisor")
    ap.add_argument("kernel")
    ap.add_argument("initrd")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mib", type=int, default=20)
    ap.add_argument("--mtu", default="1500,16000")
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--no-qemu", action="store_true")
    args = ap.parse_args()
    runners = ["rvisor"] + ([] if args.no_qemu or not shutil.which(args.qemu) else ["qemu"])
    if "qemu" not in runners and not args.no_qemu:
        print("note: %s not found: rvisor only" % args.qemu)
    mtus = [int(m) for m in args.mtu.split(",")]
    tmp = tempfile.mkdtemp(prefix="rvisor-bench-net-")
    os.environ["XDG_RUNTIME_DIR"] = tmp
    with open(os.path.join(tmp, "src.img"), "wb") as f:
        f.write(os.urandom(args.mib << 20))
    res = {(r, m): [] for r in runners for m in mtus}
    exits = {m: [] for m in mtus}
    try:
        for rnd in range(args.rounds):
            order = runners if rnd % 2 == 0 else runners[::-1]
            for mtu in mtus:
                for r in order:
                    mbs, ex = one_run(r, args, tmp, mtu, "%d-%d" % (rnd, mtu))
                    print("round %d %-6s MTU %5d: %s" % (rnd + 1, r, mtu,
                          "%.2f MB/s" % mbs if mbs else "FAILED (checksum)"), flush=True)
                    if mbs:
                        res[(r, mtu)].append(mbs)
                    if ex is not None and mbs:
                        exits[mtu].append(ex / (args.mib * 1.048576))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nVM-to-VM TCP, %d MiB, %d round(s), MB/s (median / min):" % (args.mib, args.rounds))
    print("| MTU | rvisor | QEMU | rvisor/QEMU (median) | rvisor net exits/MB |")
    print("| --- | --- | --- | --- | --- |")
    for m in mtus:
        cell = lambda v: "%.2f / %.2f" % (statistics.median(v), min(v)) if v else "-"
        rv, qm = res.get(("rvisor", m), []), res.get(("qemu", m), [])
        ratio = "%.2f" % (statistics.median(rv) / statistics.median(qm)) if rv and qm else "-"
        ex = "%.0f" % statistics.median(exits[m]) if exits[m] else "-"
        print("| %d | %s | %s | %s | %s |" % (m, cell(rv), cell(qm), ratio, ex))
    return 0


if __name__ == "__main__":
    sys.exit(main())
