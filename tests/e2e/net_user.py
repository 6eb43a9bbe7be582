#!/usr/bin/env python3
"""End-to-end: user-mode networking (--net user, libslirp) under Linux's
virtio-net driver. The guest gets 10.0.2.15 from the built-in DHCP server
(BusyBox udhcpc), fetches a file from an HTTP server on the host through
10.0.2.2 and checks its sha256; a host port forward
(hostfwd=tcp::HOSTPORT-:8080) reaches BusyBox httpd in the guest and the
host checks what it served. A forward on a busy host port is refused with a
clear message. Transfer rates are printed as notes (not checked).
usage: net_user.py RVISOR KERNEL INITRD"""
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

GUEST_PORT = 8080


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def test_busy_port(rvisor, kernel):
    print("== a hostfwd on a busy host port")
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = subprocess.run([rvisor, "run", "--kernel", kernel, "--net",
                            "user,hostfwd=tcp::%d-:22" % port],
                           capture_output=True, text=True, timeout=30)
        err = r.stdout + r.stderr
        check("rvisor refuses (status %d)" % r.returncode, r.returncode != 0, err)
        check("the message names the port", (":%d" % port) in err and "in use" in err, err)
    finally:
        s.close()


def test_user_net(rvisor, kernel, initrd, tmp):
    print("== DHCP, guest -> host HTTP, host -> guest port forward")
    payload = os.urandom(2 << 20)
    with open(os.path.join(tmp, "payload"), "wb") as f:
        f.write(payload)
    want = hashlib.sha256(payload).hexdigest()
    http_port = free_port()
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                            "--directory", tmp, str(http_port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = None
    try:
        check("host http server up", wait_listening(http_port))
        fwd_port = free_port()
        # rvisor.dhcp=1: the guest's init asks for a lease by itself (as `make run` does)
        g = Guest(rvisor, kernel, initrd, cpus=2, append="console=ttyS0 rvisor.dhcp=1",
                  extra=["--net", "user,hostfwd=tcp::%d-:%d" % (fwd_port, GUEST_PORT),
                         "--stats"])
        g.expect(re.escape(PROMPT), T)
        g.run("dmesg -n 1", T)

        st, out = g.run("for i in $(seq 60); do ip -4 addr show dev eth0 | grep -q 10.0.2.15 && "
                        "break; sleep 0.5; done; ip -4 addr show dev eth0 | grep -q 10.0.2.15", T)
        check("init's udhcpc (rvisor.dhcp=1) got a lease", st == 0, out)
        st, out = g.run("ip -4 addr show dev eth0; ip route; cat /etc/resolv.conf", T)
        check("eth0 is 10.0.2.15/24", "inet 10.0.2.15/24" in out, out)
        check("default route via 10.0.2.2",
              re.search(r"default via 10\.0\.2\.2 dev eth0", out) is not None, out)
        check("resolv.conf names 10.0.2.3", "nameserver 10.0.2.3" in out, out)

        t0 = time.monotonic()
        st, out = g.run("wget -q -O /tmp/payload http://10.0.2.2:%d/payload && "
                        "sha256sum /tmp/payload" % http_port, T)
        dt = time.monotonic() - t0
        check("wget from the host's HTTP server", st == 0, out)
        check("sha256 matches the host's file", sha_line(out) == want, out)
        print("note: guest fetched %d KiB in %.2f s (%.2f MB/s)"
              % (len(payload) >> 10, dt, len(payload) / dt / 1e6))

        host_fetches_guest_file(g, 1000000, GUEST_PORT,
                                "http://127.0.0.1:%d/served" % fwd_port, "through the forward", T)
        # slirp takes plain frames: the guest's 64 KiB TCP frames were cut here.
        poweroff_check_segmented(g, "slirp", T)
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
    tmp = tempfile.mkdtemp(prefix="rvisor-net-user-")
    try:
        test_busy_port(rvisor, kernel)
        test_user_net(rvisor, kernel, initrd, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
