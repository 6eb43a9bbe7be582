#!/usr/bin/env python3
"""End-to-end: Linux's own virtio drivers against rvisor's virtio-blk and
virtio-rng. An ext4 image made on the host is mounted in the guest, written
and checked again after a poweroff, and after the VMM was SIGKILLed right
after a guest `sync`; a read-only disk refuses writes and stays unchanged;
fstrim gives space back to the host; several disks come up in command-line
order; /dev/hwrng gives random bytes. Sequential dd throughput and the
notifications per MB are printed as notes (not checked).
usage: virtio.py RVISOR KERNEL INITRD"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from guest import PROMPT, Guest, GuestError, check

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Boot:
    """A guest with the given extra rvisor arguments, up to its shell prompt."""

    def __init__(self, args, extra):
        rvisor, kernel, initrd = args
        self.g = Guest(rvisor, kernel, initrd, cpus=2, extra=extra)
        self.g.expect(re.escape(PROMPT), 120)
        # kernel messages stay in dmesg instead of mixing into command output
        self.run("dmesg -n 1")

    def run(self, command, want_status=0, timeout=600):
        st, out = self.g.run(command, timeout)
        if want_status is not None and st != want_status:
            raise GuestError("'%s' exited %d, not %d:\n%s" % (command, st, want_status, out))
        return out

    def poweroff(self):
        self.g.send("poweroff\n")
        code = self.g.wait_exit(60)
        # a sanitizer report or a leak would change it
        check("poweroff: exit status %d" % code, code == 0, self.g.log[-2000:])
        return code


def checksums(out):
    """sha256sum lines only: kernel messages may share the console."""
    return [l for l in out.splitlines() if re.match(r"[0-9a-f]{64}  ", l)]


def dmesg_virtio_problems(b):
    out = b.run("dmesg -r")
    return [l for l in out.splitlines()
            if re.match(r"<[0-4]>", l) and re.search(r"virtio|vd[a-z]|EXT4|blk|random", l)]


def test_persistence(args, tmp):
    print("== ext4 on virtio-blk: write, poweroff, check")
    img = os.path.join(tmp, "fs.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    b = Boot(args, ["--disk", img, "--stats"])
    try:
        out = b.run("cat /sys/block/vda/size /sys/block/vda/serial")
        check("vda: 131072 sectors, serial 'fs.img' (%s)" % " ".join(out.split()),
              out.split() == ["131072", "fs.img"], out)
        b.run("mount -t ext4 /dev/vda /mnt")
        b.run("mkdir /mnt/d && head -c 3000000 /dev/urandom > /mnt/d/big && "
              "for i in $(seq 1 40); do echo file $i > /mnt/d/small$i; done && "
              "dd if=/dev/urandom of=/mnt/d/direct bs=64k count=16 oflag=direct 2>/dev/null")
        sums = checksums(b.run("(cd /mnt && sha256sum d/* > SUMS && cat SUMS)"))
        check("files written (%d checksums)" % len(sums), len(sums) == 42)
        b.run("sync && umount /mnt")
        check("dmesg: no virtio or ext4 warnings", not dmesg_virtio_problems(b))
        b.poweroff()
        # the guest's syncs reached the disk as VIRTIO_BLK_T_FLUSH (fdatasync on the host)
        m = re.search(r"disk .*fs\.img: requests=(\d+) .* flushes=(\d+)", b.g.log)
        check("guest flushes reached the device (%s)" % (m.group(2) if m else "no --stats"),
              m and int(m.group(2)) > 0, b.g.log[-600:])
    finally:
        b.g.kill()
    fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    check("host e2fsck: file system clean", fsck.returncode == 0, fsck.stdout[-1000:])

    b = Boot(args, ["--disk", img])
    try:
        b.run("mount -t ext4 /dev/vda /mnt")
        out = b.run("(cd /mnt && sha256sum -c SUMS) | grep -c ': OK$'", None).split()[-1:]
        out = out[0] if out else ""
        check("after a reboot all 42 files check out (%s OK)" % out.strip(), out.strip() == "42", out)
        again = checksums(b.run("cat /mnt/SUMS"))
        check("checksums file unchanged", again == sums)
        b.run("umount /mnt")
        b.poweroff()
    finally:
        b.g.kill()
    return img


def test_sigkill(args, img):
    print("== SIGKILL right after a guest sync")
    b = Boot(args, ["--disk", img])
    try:
        b.run("mount -t ext4 /dev/vda /mnt")
        b.run("head -c 2000000 /dev/urandom > /mnt/synced && echo data > /mnt/synced2")
        want = checksums(b.run("sha256sum /mnt/synced /mnt/synced2"))
        b.run("sync")
        b.g.p.kill()  # SIGKILL: no chance to flush anything of its own
        b.g.p.wait()
        check("VMM killed after sync (status %d)" % b.g.p.returncode, b.g.p.returncode == -9)
    finally:
        b.g.kill()
    b = Boot(args, ["--disk", img])
    try:
        b.run("mount -t ext4 /dev/vda /mnt")  # replays the journal
        got = checksums(b.run("sha256sum /mnt/synced /mnt/synced2", None))
        check("synced files intact on the next boot", len(want) == 2 and got == want,
              "%r != %r" % (got, want))
        b.run("umount /mnt")
        b.poweroff()
    finally:
        b.g.kill()
    fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    check("host e2fsck after the kill and a clean unmount", fsck.returncode == 0,
          fsck.stdout[-1000:])


def test_read_only(args, img):
    print("== read-only disk")
    before = sha256(img)
    b = Boot(args, ["--disk", img + ",ro"])
    try:
        out = b.run("cat /sys/block/vda/ro")
        check("guest sees vda read-only", out.strip() == "1", out)
        b.run("mount -t ext4 -o ro,noload /dev/vda /mnt")
        out = b.run("(cd /mnt && sha256sum -c SUMS) | grep -c ': OK$'", None).split()[-1:]
        out = out[0] if out else ""
        check("files readable (%s OK)" % out.strip(), out.strip() == "42", out)
        st, _ = b.g.run("touch /mnt/new")
        check("file creation refused", st != 0)
        st, _ = b.g.run("mount -o remount,rw /mnt")
        check("remount read-write refused", st != 0)
        b.run("umount /mnt")
        st, _ = b.g.run("dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct 2>&1")
        check("raw write refused", st != 0)
        b.poweroff()
    finally:
        b.g.kill()
    check("image unchanged on the host", sha256(img) == before)


def test_discard(args, tmp):
    print("== discard gives space back, two disks in order")
    img = os.path.join(tmp, "trim.img")
    raw = os.path.join(tmp, "second.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    with open(raw, "wb") as f:
        f.truncate(8 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    b = Boot(args, ["--disk", img, "--disk", raw])
    try:
        # the serial attribute has no newline of its own
        out = b.run("for f in vda/serial vdb/serial vdb/size; do cat /sys/block/$f; echo; done")
        check("vda, vdb in command-line order (%s)" % " ".join(out.split()),
              out.split() == ["trim.img", "second.img", "16384"], out)
        b.run("mount -t ext4 /dev/vda /mnt")
        b.run("head -c 16000000 /dev/zero > /mnt/f && sync")
        full = os.stat(img).st_blocks * 512
        b.run("rm /mnt/f && sync && fstrim /mnt")
        b.run("sync")
        trimmed = os.stat(img).st_blocks * 512
        check("fstrim frees host space (%.1f -> %.1f MB allocated)" % (full / 1e6, trimmed / 1e6),
              full - trimmed > 12e6)
        b.run("umount /mnt")
        b.poweroff()
    finally:
        b.g.kill()


def test_rng(args):
    print("== virtio-rng")
    b = Boot(args, ["--rng"])
    try:
        out = b.run("cat /sys/class/misc/hw_random/rng_current")
        check("hwrng is virtio (%s)" % out.strip(), out.strip().startswith("virtio_rng"), out)
        a = b.run("head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \\n'").strip()
        c = b.run("head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \\n'").strip()
        check("64 random bytes from /dev/hwrng", len(a) == 128 and len(set(a)) > 8, a)
        check("two reads differ", a != c)
        b.poweroff()
    finally:
        b.g.kill()


def bench(args, tmp):
    print("== throughput (notes, not checked)")
    raw = os.path.join(tmp, "bench.img")
    with open(raw, "wb") as f:
        f.truncate(72 << 20)
    b = Boot(args, ["--disk", raw, "--stats"])
    try:
        for what, cmd in (("write", "dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct"),
                          ("read", "dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct")):
            t0 = time.monotonic()
            b.run(cmd + " 2>/dev/null")
            dt = time.monotonic() - t0
            print("     note: sequential %s, 64 MB, O_DIRECT, bs=1M: %.2f s, %.0f MB/s"
                  % (what, dt, 64 / dt))
        b.poweroff()
        m = re.search(r"virtio-blk@\w+: .*notifies=(\d+) irqs=(\d+)", b.g.log)
        if m:
            print("     note: %s notifications (VM exits) and %s interrupts for 128 MB: "
                  "%.2f and %.2f per MB" % (m.group(1), m.group(2), int(m.group(1)) / 128,
                                            int(m.group(2)) / 128))
    finally:
        b.g.kill()


def main():
    args = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="rvisor-virtio.")
    try:
        for test in (lambda: test_read_only(args, test_persistence(args, tmp)),
                     lambda: test_discard(args, tmp), lambda: test_rng(args),
                     lambda: bench(args, tmp)):
            try:
                test()
            except GuestError as e:
                check("guest session", False, str(e))
        img = os.path.join(tmp, "fs.img")
        if os.path.exists(img):
            try:
                test_sigkill(args, img)
            except GuestError as e:
                check("guest session", False, str(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
