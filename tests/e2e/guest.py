"""Drive a Linux guest's serial console from a test: boot, wait for the
shell prompt, run commands and collect their output and status."""
import hashlib
import os
import re
import select
import subprocess
import time
import urllib.request

PROMPT = "rvisor# "


class GuestError(Exception):
    pass


class Guest:
    def __init__(self, rvisor, kernel, initrd, cpus=1, mem="256M", append="console=ttyS0",
                 extra=()):
        self.cmd = [rvisor, "run", "--kernel", kernel, "--initrd", initrd, "--cpus", str(cpus),
                    "--mem", mem, "--append", append, *extra]
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.buf = ""
        self.log = ""
        self.seq = 0
        self.quiet = False

    def _read(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.p.stdout.fileno(), 65536)
        if not data:
            raise GuestError("rvisor exited (status %s); output:\n%s" % (self.p.wait(), self.log[-3000:]))
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.buf += text
        self.log += text
        return True

    def expect(self, pattern, timeout=60):
        """Wait until pattern (a regex) appears; returns the match, consumes up to it."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError("timed out waiting for %r; output:\n%s" % (pattern, self.log[-3000:]))
            self._read(min(left, 1.0))

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def run(self, command, timeout=60):
        """Run a shell command; returns (status, output). Call after the prompt appeared."""
        if not self.quiet:
            # No echo: the line editor's redraws of long lines would mix into the output.
            self.quiet = True
            self.send("stty -echo\n")
            self.expect(re.escape(PROMPT), timeout)
        self.seq += 1
        tag = "__rv%d__" % self.seq
        # The marker is printed by the shell, not echoed: split it so the echo never matches.
        self.send("%s; echo %s\"\"$?%s\n" % (command, tag[:4], tag[4:]))
        m = self.expect(r"(?s)^(.*?)%s(\d+)%s\n" % (re.escape(tag[:4]), re.escape(tag[4:])), timeout)
        out = m.group(1)
        self.expect(re.escape(PROMPT), timeout)
        return int(m.group(2)), out

    def wait_exit(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < deadline:
            try:
                self._read(0.2)
            except GuestError:
                break
        if self.p.poll() is None:
            self.p.kill()
            raise GuestError("guest did not exit; output:\n" + self.log[-3000:])
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


class Checks:
    """Counts checks, prints one line each and the closing 'N passed, M failed'."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s %s" % (what, detail))

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


check = Checks()


def sha_line(out):
    """The digest of the first `sha256sum` line in out, or None."""
    m = re.search(r"^([0-9a-f]{64})  ", out, re.M)
    return m.group(1) if m else None


def host_fetches_guest_file(g, size, guest_port, url, what, timeout):
    """The guest's httpd serves `size` random bytes on guest_port; the host
    GETs url and checks length and sha256 (net_user.py, net_tap.py)."""
    st, out = g.run("mkdir -p /tmp/www && head -c %d /dev/urandom > /tmp/www/served "
                    "&& sha256sum /tmp/www/served && httpd -p %d -h /tmp/www" % (size, guest_port),
                    timeout)
    served = sha_line(out)
    check("guest httpd started", st == 0 and served is not None, out)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            got = r.read()
    except OSError as e:
        got = b""
        print("  host fetch failed: %s" % e)
    dt = time.monotonic() - t0
    check("host got %d bytes %s" % (len(got), what), len(got) == size)
    check("sha256 matches the guest's file", hashlib.sha256(got).hexdigest() == served)
    if got:
        print("note: host fetched %d KiB from the guest in %.2f s (%.2f MB/s)"
              % (len(got) >> 10, dt, len(got) / dt / 1e6))


def poweroff_check_segmented(g, backend, timeout):
    """Power off (exit status 0), then check from --stats that the device cut
    the guest's TSO frames for a backend that takes plain frames."""
    g.send("poweroff\n")
    code = g.wait_exit(timeout)
    check("poweroff: exit status %d" % code, code == 0, g.log[-2000:])
    m = re.search(r"  net .*; tx .* gso=(\d+) segmented=(\d+) errors=(\d+)", g.log)
    check("TSO frames segmented for %s (%s)" % (backend, str(m.groups() if m else None)),
          m is not None and int(m.group(1)) > 0 and int(m.group(2)) > int(m.group(1)) and
          int(m.group(3)) == 0, g.log[-2000:])
