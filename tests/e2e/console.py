#!/usr/bin/env python3
"""End-to-end: virtio-console. rvisor runs on a pseudo-terminal (as on a
user's terminal) with --console; Linux boots with console=HVC (the virtio-console's hvc)
and its shell runs there. Commands typed on the terminal reach it and their output
comes back; the guest sees the terminal's size (VIRTIO_CONSOLE_F_SIZE) and
a resize (SIGWINCH -> configuration change); a long input line and a large
output go through intact; Ctrl-A x still quits. Then on pipes (no
terminal, so no size): the console works too.
The default guest kernel has CONFIG_HVC_RISCV_SBI, whose SBI console takes
hvc0: the virtio-console is the next one, hvc1.
usage: console.py RVISOR KERNEL INITRD"""
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

from guest import PROMPT, Guest, GuestError, check

HVC = "hvc1"


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyGuest(Guest):
    """A Guest whose rvisor has a pseudo-terminal as stdin, stdout and controlling terminal."""

    def __init__(self, rvisor, kernel, initrd, rows, cols, extra=()):
        self.master, slave = os.openpty()
        set_size(slave, rows, cols)
        self.cmd = [rvisor, "run", "--kernel", kernel, "--initrd", initrd, "--cpus", "2",
                    "--mem", "256M", "--append", "console=" + HVC, *extra]

        def ctty():  # a session of its own with the pty as its terminal: it gets SIGWINCH
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.p = subprocess.Popen(self.cmd, stdin=slave, stdout=slave, stderr=slave,
                                  preexec_fn=ctty)
        os.close(slave)
        self.t0 = time.monotonic()
        self.buf = self.log = ""
        self.seq = 0
        self.quiet = False

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every slave end closed, rvisor exited
            data = b""
        if not data:
            raise GuestError("rvisor exited (status %s); output:\n%s" % (self.p.wait(), self.log[-3000:]))
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.buf += text
        self.log += text
        return True

    def send(self, text):
        os.write(self.master, text.encode())


def run(g, command, timeout=300):
    st, out = g.run(command, timeout)
    if st != 0:
        raise GuestError("'%s' exited %d:\n%s" % (command, st, out))
    return out


def test_tty(args):
    print("== --console on a terminal, console=%s" % HVC)
    g = PtyGuest(*args, rows=37, cols=111, extra=["--console", "--stats"])
    try:
        g.expect(re.escape(PROMPT), 300)  # slow under TSan on a busy host
        # The first input makes the device announce the size (Linux's hvc ignores it
        # before a tty is open): the shell redraws its line. Let that settle first.
        g.send("\n")
        g.expect(re.escape(PROMPT), 30)
        time.sleep(1)
        out = run(g, "cat /sys/class/tty/console/active; tty")
        check("kernel console and the shell on %s (%s)" % (HVC, " ".join(out.split()[-2:])),
              out.split()[-2:] == [HVC, "/dev/" + HVC], out)
        out = run(g, "stty size")
        check("guest sees the terminal size 37x111 (%s)" % out.strip(), out.split() == ["37", "111"], out)
        set_size(g.master, 50, 132)
        got = ""
        for _ in range(20):
            got = run(g, "stty size").strip()
            if got == "50 132":
                break
            time.sleep(0.3)
        check("a resize reaches the guest (%s)" % got, got == "50 132")
        line = "".join("%03d" % i for i in range(200))  # 600 characters of input
        out = run(g, "echo %s | wc -c" % line)
        check("a 600-character input line arrives intact (%s)" % out.strip(), out.strip() == "601", out)
        out = run(g, "seq 1 5000")
        nums = [l for l in out.splitlines() if l.strip()]
        check("5000 lines of output arrive in order", nums == [str(i) for i in range(1, 5001)],
              "%d lines" % len(nums))
        out = run(g, "cat /proc/interrupts | grep -c virtio")
        check("guest has the virtio interrupt", int(out.split()[-1]) >= 1, out)
        g.send("\x01x")  # Ctrl-A x: quit
        code = g.wait_exit(30)
        check("Ctrl-A x quits (status %d)" % code, code == 0 and "terminated (Ctrl-A x)" in g.log,
              g.log[-500:])
        m = re.search(r"console: tx chains=(\d+) bytes=(\d+) rx chains=(\d+) bytes=(\d+) "
                      r"dropped=\d+ resizes=(\d+)", g.log)
        check("device counters: output, input and one resize (%s)" % (m.group(0) if m else "none"),
              m and int(m.group(2)) > 10000 and int(m.group(4)) > 600 and int(m.group(5)) == 1,
              g.log[-800:])
    finally:
        g.kill()
        os.close(g.master)


def test_pipes(args):
    print("== --console on pipes (no terminal: no size)")
    g = Guest(*args, cpus=1, append="console=" + HVC, extra=["--console"])
    try:
        g.expect(re.escape(PROMPT), 300)  # slow under TSan on a busy host
        out = run(g, "tty; echo in-$((6*7))")
        check("shell on %s over pipes (%s)" % (HVC, " ".join(out.split())),
              out.split() == ["/dev/" + HVC, "in-42"], out)
        g.send("poweroff\n")
        code = g.wait_exit(60)
        check("poweroff: exit status %d" % code, code == 0, g.log[-1000:])
    finally:
        g.kill()


def main():
    args = sys.argv[1:4]
    for t in (test_tty, test_pipes):
        try:
            t(args)
        except GuestError as e:
            check("guest session", False, str(e))
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
