#!/usr/bin/env python3
"""End-to-end: a guest on a tap device (--net tap=IF) under Linux's
virtio-net driver. The test makes a tap on the host and addresses its host
side (10.214.N.1/24), the guest takes 10.214.N.2; the guest pings the host,
fetches a file from an HTTP server on the host's tap address and the host
fetches one from BusyBox httpd in the guest, both checked by sha256.
Needs CAP_NET_ADMIN and /dev/net/tun: prints SKIP with the reason otherwise.
usage: net_tap.py RVISOR KERNEL INITRD"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from guest import (PROMPT, Guest, GuestError, check, host_fetches_guest_file,
                   poweroff_check_segmented, sha_line)

# Seconds any one step may take: only a failing run waits that long, and the
# sanitizer builds (make sanitize, make tsan) run the guest many times slower.
T = 600


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def wait_listening(addr, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((addr, port), 1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def run_guest(rvisor, kernel, initrd, tap, host_ip, guest_ip, tmp):
    payload = os.urandom(4 << 20)
    with open(os.path.join(tmp, "payload"), "wb") as f:
        f.write(payload)
    want = hashlib.sha256(payload).hexdigest()
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", host_ip,
                            "--directory", tmp, "8000"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = None
    try:
        check("host http server up on %s" % host_ip, wait_listening(host_ip, 8000))
        g = Guest(rvisor, kernel, initrd, cpus=2, extra=["--net", "tap=" + tap, "--stats"])
        g.expect(re.escape(PROMPT), T)
        g.run("dmesg -n 1", T)
        st, out = g.run("ip addr add %s/24 dev eth0 && ip link set eth0 up" % guest_ip, T)
        check("guest eth0 up as %s" % guest_ip, st == 0, out)

        st, out = g.run("ping -c 3 -W 5 %s" % host_ip, T)
        check("guest pings the host", st == 0 and "3 packets received" in out, out)

        t0 = time.monotonic()
        st, out = g.run("wget -q -O /tmp/payload http://%s:8000/payload && "
                        "sha256sum /tmp/payload" % host_ip, T)
        dt = time.monotonic() - t0
        check("guest fetched from the host", st == 0, out)
        check("sha256 matches the host's file", sha_line(out) == want, out)
        print("note: guest fetched %d KiB in %.2f s (%.2f MB/s)"
              % (len(payload) >> 10, dt, len(payload) / dt / 1e6))

        host_fetches_guest_file(g, 2000000, 8080, "http://%s:8080/served" % guest_ip,
                                "from the guest", T)
        # The tap takes plain frames: the guest's 64 KiB TCP frames were cut here.
        poweroff_check_segmented(g, "the tap", T)
    except GuestError as e:
        check("guest session", False, str(e))
    finally:
        if g:
            g.kill()
        srv.terminate()
        srv.wait()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    rvisor, kernel, initrd = sys.argv[1:]
    print("== tap: ping and TCP between host and guest")
    if not os.path.exists("/dev/net/tun"):
        print("SKIP: no /dev/net/tun on this host")
        return 0
    if not shutil.which("ip"):
        print("SKIP: no ip(8) (iproute2) to set up the host side")
        return 0
    tap = "rvtap%d" % (os.getpid() % 100000)
    net = 100 + os.getpid() % 100
    host_ip, guest_ip = "10.214.%d.1" % net, "10.214.%d.2" % net
    r = sh("ip", "tuntap", "add", tap, "mode", "tap")
    if r.returncode:
        print("SKIP: cannot create a tap here: %s" % r.stderr.strip())
        return 0
    tmp = tempfile.mkdtemp(prefix="rvisor-net-tap-")
    try:
        for cmd in (("ip", "addr", "add", host_ip + "/24", "dev", tap),
                    ("ip", "link", "set", tap, "up")):
            r = sh(*cmd)
            check(" ".join(cmd), r.returncode == 0, r.stderr)
        run_guest(rvisor, kernel, initrd, tap, host_ip, guest_ip, tmp)
    finally:
        sh("ip", "tuntap", "del", tap, "mode", "tap")
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
