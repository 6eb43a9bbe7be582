#!/usr/bin/env python3
"""End-to-end: two Linux guests, each in its own rvisor process, on one
virtual switch (--net switch=NAME). Checks the MAC addresses (a default one
and a configured one), ping both ways, then moves data over TCP with
busybox nc: the sender reads a host file of random bytes from a read-only
virtio disk, the receiver writes what it gets to its own virtio disk, and
the host compares the two sha256 sums. Done at MTU 1500 (one receive buffer
per frame) and at MTU 16000 (mergeable receive buffers), NET_E2E_MB
(default 100) MiB at the larger MTU. The MB/s and the switch counters are
printed as notes, not checked. The switch lives in a private
XDG_RUNTIME_DIR; the test also checks that the ports' sockets are gone
after both VMs ended.
usage: net.py RVISOR KERNEL INITRD"""
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time

from guest import PROMPT, Guest, GuestError, check

MAC_B = "52:54:00:12:34:02"


def net_stats(log):
    """The virtio-net counters of a --stats report: {"rx_gso": N, "tx_errors": N, ...}."""
    for l in log.splitlines():
        m = re.match(r"  net .*: rx (.*); tx (.*)$", l)
        if m:
            st = {}
            for side, part in (("rx", m.group(1)), ("tx", m.group(2))):
                for k, v in re.findall(r"(\w+)=(\d+)", part):
                    st["%s_%s" % (side, k)] = int(v)
            return st
    return {}


def sha256(path, size):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = size
        while left:
            b = f.read(min(left, 1 << 20))
            if not b:
                break
            h.update(b)
            left -= len(b)
    return h.hexdigest()


def boot(args, extra):
    rvisor, kernel, initrd = args
    g = Guest(rvisor, kernel, initrd, cpus=2, mem="256M", extra=extra)
    g.expect(re.escape(PROMPT), 180)
    g.run("dmesg -n 1")
    return g


def run(g, command, timeout=120):
    st, out = g.run(command, timeout)
    if st != 0:
        raise GuestError("'%s' exited %d:\n%s" % (command, st, out))
    return out


def transfer(a, b, mib, mtu, src, dst):
    """A sends its disk's first mib MiB to B's disk over TCP at the given MTU."""
    for g in (a, b):
        run(g, "ip link set eth0 mtu %d" % mtu)
    count = mib  # 1 MiB blocks
    b.send("nc -l -p 5000 < /dev/null | dd of=/dev/vda bs=1M 2>/dev/null; sync; echo RECV-DONE\n")
    time.sleep(1)
    t0 = time.monotonic()
    # -w 1: nc ends 1 s after its input did (the receiver then sees the end of the stream);
    # until the receiver listens (a slow guest), the connection is refused: try again
    run(a, "(i=0; until dd if=/dev/vda bs=1M count=%d 2>/dev/null | nc -w 1 10.0.0.2 5000; do "
        "i=$((i+1)); [ $i -lt 60 ] || exit 1; sleep 0.5; done)" % count, 600)
    b.expect(r"RECV-DONE", 120)
    b.expect(re.escape(PROMPT), 30)
    secs = time.monotonic() - t0
    same = sha256(src, mib << 20) == sha256(dst, mib << 20)
    check("%d MiB over TCP at MTU %d: sha256 matches" % (mib, mtu), same)
    print("note: %d MiB at MTU %d in %.1f s: %.2f MB/s" % (mib, mtu, secs, mib * 1.048576 / secs))
    # the next transfer writes over the same disk: clear it on the host side too
    return same


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    args = sys.argv[1:4]
    mib = int(os.environ.get("NET_E2E_MB", "100"))
    tmp = tempfile.mkdtemp(prefix="rvisor-net-e2e-")
    os.environ["XDG_RUNTIME_DIR"] = tmp
    name = "e2e-%d" % os.getpid()
    swdir = os.path.join(tmp, "rvisor-switch", name)
    src = os.path.join(tmp, "src.img")
    dst = os.path.join(tmp, "dst.img")
    with open(src, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    with open(dst, "wb") as f:
        f.truncate(mib << 20)
    a = b = None
    try:
        print("== two VMs (two rvisor processes) on switch %s" % name)
        a = boot(args, ["--net", "switch=" + name, "--disk", src + ",ro", "--stats"])
        b = boot(args, ["--net", "switch=%s,mac=%s" % (name, MAC_B), "--disk", dst, "--stats"])
        mac_a = run(a, "cat /sys/class/net/eth0/address").split()[-1]
        mac_b = run(b, "cat /sys/class/net/eth0/address").split()[-1]
        check("configured MAC %s (%s)" % (MAC_B, mac_b), mac_b == MAC_B)
        check("default MAC is locally administered unicast and differs (%s)" % mac_a,
              re.match(r"52:54:[0-9a-f]{2}(:[0-9a-f]{2}){3}$", mac_a) is not None and
              mac_a != mac_b)
        check("two ports in the switch directory", len(os.listdir(swdir)) == 2,
              str(os.listdir(swdir)))
        for i, g in enumerate((a, b)):
            run(g, "ip addr add 10.0.0.%d/24 dev eth0 && ip link set eth0 up" % (i + 1))
        out = run(a, "ping -c 3 -W 5 10.0.0.2")
        check("ping A -> B", " 0% packet loss" in out, out)
        out = run(b, "ping -c 3 -W 5 10.0.0.1")
        check("ping B -> A", " 0% packet loss" in out, out)
        transfer(a, b, min(4, mib), 1500, src, dst)
        transfer(a, b, mib, 16000, src, dst)
        for g, what in ((a, "A"), (b, "B")):
            g.send("poweroff\n")
            code = g.wait_exit(60)
            check("VM %s: poweroff, exit status %d" % (what, code), code == 0, g.log[-2000:])
            for l in g.log.splitlines():
                if re.match(r"  (net|backend)", l) or l.startswith("virtio-net"):
                    print("note: %s %s" % (what, l.strip()))
        # Offloads: A's guest sent TCP segments of up to 64 KiB (HOST_TSO4), the
        # switch carried them whole, and B's guest took them whole (GUEST_TSO4).
        sa, sb = net_stats(a.log), net_stats(b.log)
        check("A sent GSO frames (%s)" % sa.get("tx_gso"), sa.get("tx_gso", 0) > 0)
        check("B received them whole (%s)" % sb.get("rx_gso"), sb.get("rx_gso", 0) > 0)
        check("no malformed offload requests or metadata",
              sa.get("tx_errors") == 0 and sb.get("tx_errors") == 0 and
              sa.get("rx_bad_offload") == 0 and sb.get("rx_bad_offload") == 0, str((sa, sb)))
        check("ports removed when the VMs ended", os.listdir(swdir) == [], str(os.listdir(swdir)))
    except GuestError as e:
        check("network e2e", False, str(e))
    finally:
        for g in (a, b):
            if g:
                g.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
