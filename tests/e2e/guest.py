"""Drive a Linux guest's serial console from a test: boot, wait for the
shell prompt, run commands and collect their output and status."""
import os
import re
import select
import subprocess
import time

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
