#!/usr/bin/env python3
"""End-to-end: copy-on-write overlays (docs/overlay-format.md). Two VMs (two
rvisor processes) boot at the same time from one read-only ext4 base image,
each with its own overlay; each writes its own files and sees only its own;
the base is unchanged; one VM boots again from its overlay and finds its
files; a SIGKILL right after a guest `sync` loses nothing synced; a second
VM on a busy overlay, and an overlay over a changed base, are refused.
usage: overlay.py RVISOR KERNEL INITRD"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from guest import GuestError, check
from virtio import Boot, checksums, sha256


def flatten(base, ovl, out):
    """The guest's disk from base and overlay, per docs/overlay-format.md."""
    shutil.copyfile(base, out)
    with open(ovl, "rb") as f:
        h = f.read(4096)
        magic, version, bits, size, table_off, entries, data_off = struct.unpack_from(
            "<8sIIQQQQ", h)
        check("overlay header: magic and version", magic == b"RVISOROV" and version == 1)
        cs = 1 << bits
        f.seek(table_off)
        table = struct.unpack("<%dQ" % entries, f.read(entries * 8))
        with open(out, "r+b") as o:
            for i, e in enumerate(table):
                n = min(cs, size - i * cs)
                if e == 0:
                    continue
                if e == 1:
                    data = bytes(n)
                else:
                    f.seek(e)
                    data = f.read(n)
                o.seek(i * cs)
                o.write(data)


def write_files(b, name, size):
    b.run("mount -t ext4 /dev/vda /mnt")
    out = b.run("cat /mnt/base.txt")
    check("%s: base file visible through the overlay" % name, out.strip() == "from the base", out)
    b.run("head -c %d /dev/urandom > /mnt/%s.bin && echo %s > /mnt/%s.txt" % (size, name, name, name))
    sums = checksums(b.run("sha256sum /mnt/%s.bin /mnt/%s.txt" % (name, name)))
    b.run("sync")
    return sums


def only_own(b, name, other):
    out = b.run("ls /mnt | cat")
    check("%s: sees its own files, not %s's (%s)" % (name, other, " ".join(out.split())),
          "%s.txt" % name in out.split() and "%s.txt" % other not in out.split(), out)


def main():
    rvisor, kernel, initrd = args = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="rvisor-overlay.")
    try:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        with open(os.path.join(src, "base.txt"), "w") as f:
            f.write("from the base\n")
        base = os.path.join(tmp, "base.img")
        with open(base, "wb") as f:
            f.truncate(64 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-d", src, base], check=True)
        base_sum = sha256(base)
        ova, ovb = os.path.join(tmp, "a.ovl"), os.path.join(tmp, "b.ovl")

        print("== two VMs, one base, two overlays")
        a = Boot(args, ["--disk", base + ",overlay=" + ova])
        try:
            b = Boot(args, ["--disk", base + ",overlay=" + ovb])
            try:
                sums_a = write_files(a, "a", 3000000)
                sums_b = write_files(b, "b", 2000000)
                only_own(a, "a", "b")
                only_own(b, "b", "a")
                # A third VM on a's overlay while a runs: refused.
                p = subprocess.run([rvisor, "run", "--kernel", kernel, "--disk",
                                    base + ",overlay=" + ova], capture_output=True, text=True,
                                   stdin=subprocess.DEVNULL)
                check("second VM on a busy overlay refused (%d: %s)" % (p.returncode, p.stderr.strip()),
                      p.returncode == 2 and "in use by another VM" in p.stderr)
                # Nor may anyone write the base while overlays use it.
                p = subprocess.run([rvisor, "run", "--kernel", kernel, "--disk", base],
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL)
                check("read-write use of the base refused while overlays use it",
                      p.returncode == 2 and "in use" in p.stderr, p.stderr)
                for g in (a, b):
                    g.run("umount /mnt")
                    g.poweroff()
            finally:
                b.g.kill()
        finally:
            a.g.kill()
        check("base image unchanged (sha256)", sha256(base) == base_sum)
        check("overlays are sparse and small (%d, %d KiB allocated)"
              % (os.stat(ova).st_blocks // 2, os.stat(ovb).st_blocks // 2),
              os.stat(ova).st_blocks * 512 < 16 << 20)

        print("== a boots again from its overlay")
        a = Boot(args, ["--disk", base + ",overlay=" + ova])
        try:
            a.run("mount -t ext4 /dev/vda /mnt")
            got = checksums(a.run("sha256sum /mnt/a.bin /mnt/a.txt", None))
            check("a's files intact after a reboot", len(got) == 2 and got == sums_a,
                  "%r != %r" % (got, sums_a))
            only_own(a, "a", "b")
            a.run("umount /mnt")
            a.poweroff()
        finally:
            a.g.kill()

        print("== SIGKILL right after a guest sync")
        b = Boot(args, ["--disk", base + ",overlay=" + ovb])
        try:
            b.run("mount -t ext4 /dev/vda /mnt")
            b.run("head -c 2000000 /dev/urandom > /mnt/synced && echo data > /mnt/synced2")
            want = checksums(b.run("sha256sum /mnt/synced /mnt/synced2"))
            b.run("sync")
            b.g.p.kill()
            b.g.p.wait()
            check("VMM killed after sync (status %d)" % b.g.p.returncode, b.g.p.returncode == -9)
        finally:
            b.g.kill()
        b = Boot(args, ["--disk", base + ",overlay=" + ovb])
        try:
            b.run("mount -t ext4 /dev/vda /mnt")
            got = checksums(b.run("sha256sum /mnt/synced /mnt/synced2 /mnt/b.bin /mnt/b.txt", None))
            check("synced files intact after the kill", got == want + sums_b,
                  "%r != %r" % (got, want + sums_b))
            b.run("umount /mnt")
            b.poweroff()
        finally:
            b.g.kill()
        # Read the overlay as docs/overlay-format.md describes it, independently of rvisor.
        flat = os.path.join(tmp, "flat.img")
        flatten(base, ovb, flat)
        fsck = subprocess.run(["e2fsck", "-fn", flat], capture_output=True, text=True)
        check("host e2fsck of base + overlay (read per the format doc): clean",
              fsck.returncode == 0, fsck.stdout[-1000:])
        check("base image still unchanged (sha256)", sha256(base) == base_sum)

        print("== a changed base is refused")
        os.utime(base, (1000, 1000))
        p = subprocess.run([rvisor, "run", "--kernel", kernel, "--disk", base + ",overlay=" + ova],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        check("overlay over a changed base refused (%d: %s)" % (p.returncode, p.stderr.strip()),
              p.returncode == 2 and "changed since overlay" in p.stderr)
    except GuestError as e:
        check("guest session", False, str(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
