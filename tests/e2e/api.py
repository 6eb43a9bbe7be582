#!/usr/bin/env python3
"""End-to-end: `rvisor host` with several Linux VMs driven through the
management API (docs/api.md): each VM reaches its shell over its console
socket; pause, resume, stop, delete, a guest kernel panic and a memory limit
each affect one VM only; bad requests get the right 4xx and a fault_message;
a short fuzz run leaves the server up; `rvisor vm`, `rvisor top --batch` and
/metrics are checked.
usage: api.py RVISOR KERNEL INITRD   (API_TEST_VMS=N: how many VMs, default 8)"""
import http.client
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

from guest import PROMPT, check

NVMS = int(os.environ.get("API_TEST_VMS", "8"))
BOOT_TIMEOUT = 240


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Api:
    def __init__(self, path):
        self.path = path

    def raw(self, method, url, body=None, headers=None):
        c = UnixHTTP(self.path)
        try:
            c.request(method, url, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, data, r
        finally:
            c.close()

    def req(self, method, url, obj=None):
        body = None if obj is None else (obj if isinstance(obj, (bytes, str)) else json.dumps(obj))
        st, data, _ = self.raw(method, url, body)
        try:
            j = json.loads(data) if data else None
        except ValueError:
            j = data.decode(errors="replace")
        return st, j


class Console:
    """A VM's console socket: the replay of what it printed so far, then live output."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = ""

    def expect(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out waiting for %r; tail: %r" % (pattern, self.buf[-500:]))
            self.s.settimeout(min(left, 1.0))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                raise EOFError("console closed; tail: %r" % self.buf[-500:])
            self.buf += d.decode(errors="replace").replace("\r", "")

    def send(self, text):
        self.s.sendall(text.encode())

    def echo(self, vid, timeout=60):
        # the shell prints ok-<id>; the echoed input shows ok-""<id>, which does not match
        self.send('echo ok-""%s\n' % vid)
        self.expect(r"ok-%s\n" % re.escape(vid), timeout)

    def close(self):
        self.s.close()


def fault(st, j, code, words):
    return st == code and isinstance(j, dict) and isinstance(j.get("fault_message"), str) and \
        all(w in j["fault_message"] for w in words)


def bad_requests(api, kernel):
    print("== bad requests")
    cases = [
        ("POST", "/vms", "{bad", 400, ["malformed JSON"]),
        ("POST", "/vms", "[1, 2]", 400, ["JSON object"]),
        ("POST", "/vms", {"nope": 1}, 400, ["unknown field 'nope'"]),
        ("POST", "/vms", {"machine-config": {"vcpu_count": "2"}}, 400, ["vcpu_count", "integer"]),
        ("POST", "/vms", {"machine-config": {"vcpu_count": 0}}, 400, ["vcpu_count", "out of range"]),
        ("POST", "/vms", {"machine-config": {"mem_size_mib": 1 << 40}}, 400, ["mem_size_mib", "out of range"]),
        ("POST", "/vms", {"machine-config": {"mem_size_mib": 65}}, 400, ["multiple of 2"]),
        ("POST", "/vms", {"machine-config": {"smt": True}}, 400, ["unknown field 'smt'"]),
        ("POST", "/vms", {"boot-source": {"initrd_path": "x"}}, 400, ["kernel_image_path", "required"]),
        ("POST", "/vms", {"boot-source": {"kernel_image_path": 5}}, 400, ["kernel_image_path", "string"]),
        ("POST", "/vms", {"drives": {"drive_id": "a"}}, 400, ["'drives' must be a list"]),
        ("POST", "/vms", {"drives": [{"drive_id": "a b", "path_on_host": "/x"}]}, 400, ["drive_id"]),
        ("POST", "/vms", {"network-interfaces": [{"iface_id": "n", "mode": "carrier-pigeon"}]}, 400, ["mode"]),
        ("POST", "/vms", {"network-interfaces": [{"iface_id": "n", "mode": "user", "guest_mac": "01:00:00:00:00:01"}]}, 400, ["guest_mac"]),
        ("POST", "/vms", {"vm_id": "../etc"}, 400, ["vm_id"]),
        ("GET", "/vms/nosuchvm", None, 404, ["no VM 'nosuchvm'"]),
        ("DELETE", "/vms/nosuchvm", None, 404, ["no VM"]),
        ("PUT", "/vms/nosuchvm/actions", {"action_type": "Pause"}, 404, ["no VM"]),
        ("GET", "/nothing-here", None, 404, ["no such resource"]),
        ("DELETE", "/vms", None, 405, ["not allowed"]),
        ("POST", "/metrics", "{}", 405, ["not allowed"]),
        ("GET", "/vms/x/actions", None, 405, ["not allowed"]),
    ]
    for method, url, body, code, words in cases:
        st, j = api.req(method, url, body)
        check("%s %s %s -> %d (%s)" % (method, url, str(body)[:50], code, (j or {}).get("fault_message") if isinstance(j, dict) else j),
              fault(st, j, code, words), "got %s %r" % (st, j))
    st, data, r = api.raw("POST", "/vms", b"{" + b" " * (200 * 1024) + b"}")
    j = json.loads(data)
    check("200 KiB body -> 413 (%s)" % j.get("fault_message"), fault(st, j, 413, ["larger than"]))
    st, data, r = api.raw("DELETE", "/vms")
    check("405 carries an Allow header (%s)" % r.getheader("Allow"), r.getheader("Allow") == "GET, POST")

    # state machine on a VM that never starts
    st, j = api.req("POST", "/vms", {"vm_id": "idle"})
    check("empty VM created (201, id idle)", st == 201 and j == {"id": "idle"}, "%s %r" % (st, j))
    st, j = api.req("POST", "/vms", {"vm_id": "idle"})
    check("duplicate vm_id -> 409", fault(st, j, 409, ["already exists"]), "%s %r" % (st, j))
    for action in ("Pause", "Resume", "Stop"):
        st, j = api.req("PUT", "/vms/idle/actions", {"action_type": action})
        check("%s on NotStarted -> 409" % action, fault(st, j, 409, ["NotStarted"]), "%s %r" % (st, j))
    st, j = api.req("PUT", "/vms/idle/actions", {"action_type": "Reboot"})
    check("unknown action -> 400", fault(st, j, 400, ["unknown action_type 'Reboot'"]), "%s %r" % (st, j))
    st, j = api.req("PUT", "/vms/idle/actions", {"action_type": "Pause", "now": True})
    check("unknown field in actions -> 400", fault(st, j, 400, ["unknown field 'now'"]), "%s %r" % (st, j))
    st, j = api.req("PUT", "/vms/idle/actions", {"action_type": "InstanceStart"})
    check("InstanceStart without a kernel -> 400", fault(st, j, 400, ["kernel_image_path"]), "%s %r" % (st, j))
    st, j = api.req("PUT", "/vms/idle/boot-source", {"kernel_image_path": "/nonexistent/kernel"})
    check("PUT boot-source -> 204", st == 204, "%s %r" % (st, j))
    st, j = api.req("PUT", "/vms/idle/actions", {"action_type": "InstanceStart"})
    check("InstanceStart with a missing kernel -> 400 naming it (%s)" % (j or {}).get("fault_message"),
          fault(st, j, 400, ["/nonexistent/kernel"]), "%s %r" % (st, j))
    st, j = api.req("GET", "/vms/idle")
    check("failed start leaves the VM NotStarted", st == 200 and j["state"] == "NotStarted", "%r" % j)
    st, j = api.req("PUT", "/vms/idle/machine-config", {"vcpu_count": 2, "mem_size_mib": 64, "bogus": 1})
    st2, j2 = api.req("GET", "/vms/idle")
    check("a rejected PUT changes nothing", st == 400 and j2["machine-config"]["vcpu_count"] == 1, "%r" % j2)
    st, j = api.req("PUT", "/vms/idle/drives/d0", {"drive_id": "d1", "path_on_host": "/x"})
    check("drive_id differing from the URL -> 400", fault(st, j, 400, ["differs"]), "%s %r" % (st, j))
    st, j = api.req("DELETE", "/vms/idle")
    check("DELETE NotStarted -> 204", st == 204, "%s %r" % (st, j))


CAP = 25


SWITCH = "api%d" % os.getpid()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FWD_PORT = free_port()  # vm7's user-mode NIC forwards it to its port 8080
NET_VMS = {"vm0": "10.77.0.1", "vm7": "10.77.0.7"}  # on one switch inside the host process


def vm_body(vid, kernel, initrd, mem=64, limit=0, cap=0):
    mc = {"vcpu_count": 1, "mem_size_mib": mem}
    if limit:
        mc["mem_limit_mib"] = limit
    if cap:
        mc["cap_percent"] = cap
    body = {"vm_id": vid, "machine-config": mc,
            "boot-source": {"kernel_image_path": kernel, "initrd_path": initrd,
                            "boot_args": "console=ttyS0"}}
    if vid in NET_VMS:
        body["network-interfaces"] = [{"iface_id": "eth0", "mode": "switch", "switch": SWITCH}]
    if vid == "vm7":
        body["network-interfaces"].append(
            {"iface_id": "eth1", "mode": "user",
             "hostfwd": [{"protocol": "tcp", "host_addr": "127.0.0.1", "host_port": FWD_PORT,
                          "guest_port": 8080}]})
    return body


def stats(api, vid):
    st, j = api.req("GET", "/vms/%s/stats" % vid)
    assert st == 200, (st, j)
    return j


def wait_state(api, vid, state, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st, j = api.req("GET", "/vms/%s" % vid)
        if st == 200 and j["state"] == state:
            return j
        time.sleep(0.2)
    return api.req("GET", "/vms/%s" % vid)[1]


def fuzz(api, seconds):
    print("== fuzz (%d s)" % seconds)
    rnd = random.Random(1234)
    templates = [
        ("POST", "/vms", json.dumps({"vm_id": "fz", "machine-config": {"vcpu_count": 1, "mem_size_mib": 8},
                                     "boot-source": {"kernel_image_path": "/nonexistent"}})),
        ("PUT", "/vms/fz/actions", '{"action_type": "InstanceStart"}'),
        ("PUT", "/vms/fz/machine-config", '{"vcpu_count": 2, "mem_size_mib": 16, "mem_limit_mib": 8}'),
        ("PUT", "/vms/fz/drives/d0", '{"drive_id": "d0", "path_on_host": "/nonexistent", "is_read_only": true}'),
        ("PATCH", "/vms/fz", '{"state": "Paused"}'),
        ("DELETE", "/vms/fz", ""),
        ("GET", "/vms/fz/stats", ""),
        ("GET", "/metrics", ""),
    ]
    methods = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO"]
    n = bad = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        method, url, body = rnd.choice(templates)
        b = bytearray(body.encode())
        for _ in range(rnd.randint(0, 4)):
            op = rnd.randint(0, 3)
            if op == 0 and b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            elif op == 1 and b:
                del b[rnd.randrange(len(b))]
            elif op == 2:
                b.insert(rnd.randint(0, len(b)), rnd.choice(b'{}[]":,0123456789-eE.nulltruefalse\\\x00\xff'))
            else:
                method = rnd.choice(methods)
        if rnd.random() < 0.2:
            url = url.replace("fz", rnd.choice(["fz", "", "..", "%00", "a" * 300, "fz/x/y/z"]))
        try:
            st, data, _ = api.raw(method, url, bytes(b) if b else None)
        except (http.client.HTTPException, OSError) as e:
            check("fuzz request %s %s" % (method, url), False, repr(e))
            break
        n += 1
        if st >= 500 or (st >= 400 and method != "HEAD" and b'"fault_message"' not in data):
            bad += 1
            if bad < 4:
                print("     unexpected reply %d %r to %s %s %r" % (st, data[:200], method, url, bytes(b)[:100]))
    check("fuzz: %d requests, %d replies not a 4xx with fault_message or a success" % (n, bad), n > 20 and bad == 0)
    api.req("DELETE", "/vms/fz")


def metrics_check(api):
    st, data, r = api.raw("GET", "/metrics")
    text = data.decode()
    check("/metrics 200 text/plain", st == 200 and r.getheader("Content-Type").startswith("text/plain"))
    types, bad = {}, []
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                        r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)?\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            if name in types or typ not in ("counter", "gauge"):
                bad.append(line)
            types[name] = typ
        elif line.startswith("# HELP ") or not line:
            continue
        else:
            m = sample.match(line)
            if not m or m.group(1) not in types:
                bad.append(line)
    check("/metrics parses as Prometheus text (%d lines, %d families)" % (len(text.splitlines()), len(types)),
          not bad and len(types) > 10, "\n".join(bad[:5]))
    return text


def config_test(rvisor, kernel, initrd, tmp):
    """--config FILE: the VMs it lists start with the host; a bad file stops the host with a message."""
    print("== --config")
    sock = os.path.join(tmp, "cfg.sock")
    cfg = os.path.join(tmp, "vms.json")
    with open(cfg, "w") as f:
        json.dump({"vms": [vm_body("c0", kernel, initrd), vm_body("c1", kernel, initrd)]}, f)
    host = subprocess.Popen([rvisor, "host", "--api-sock", sock, "--config", cfg],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.05)
        api = Api(sock)
        for vid in ("c0", "c1"):
            st, j = api.req("GET", "/vms/%s" % vid)
            ok = st == 200 and j["state"] == "Running"
            if ok:
                c = Console(j["console_socket"])
                try:
                    c.expect(re.escape(PROMPT), 120)
                    c.echo(vid)
                except (TimeoutError, EOFError) as e:
                    ok = False
                    j = str(e)
                c.close()
            check("--config: %s started and its shell answers" % vid, ok, "%s %r" % (st, j))
    finally:
        host.send_signal(signal.SIGTERM)
        out = host.communicate(timeout=60)[0].decode(errors="replace")
    check("--config host exits 0 on SIGTERM", host.returncode == 0, out[-2000:])
    with open(cfg, "w") as f:
        json.dump([{"vm_id": "c0", "machine-config": {"vcpu_count": 0}}], f)
    p = subprocess.run([rvisor, "host", "--api-sock", sock, "--config", cfg], capture_output=True,
                       text=True, timeout=60)
    check("bad --config: status 2 and the reason (%s)" % p.stderr.strip().splitlines()[-1:],
          p.returncode == 2 and "vcpu_count" in p.stderr and not os.path.exists(sock), p.stderr)


def main():
    rvisor, kernel, initrd = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="rvisor-api-")
    sock = os.path.join(tmp, "api.sock")
    log = open(os.path.join(tmp, "host.log"), "w+")
    host = subprocess.Popen([rvisor, "host", "--api-sock", sock], stdout=log, stderr=subprocess.STDOUT)
    api = Api(sock)
    consoles, paths = {}, {}
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.05)
        st, j = api.req("GET", "/")
        check("host answers on %s" % sock, st == 200 and j.get("service") == "rvisor", "%s %r" % (st, j))

        bad_requests(api, kernel)

        print("== %d Linux VMs" % NVMS)
        ids = ["vm%d" % i for i in range(NVMS)]
        t0 = time.monotonic()
        for i, vid in enumerate(ids):
            limit = 48 if i == 5 else 0
            mem = 96 if i == 5 else 64
            cap = CAP if i == 6 else 0
            if i % 2 == 0:
                st, j = api.req("POST", "/vms", vm_body(vid, kernel, initrd, mem, limit, cap))
                ok = st == 201 and j == {"id": vid}
            else:
                # Firecracker style: an empty VM, then its parts
                body = vm_body(vid, kernel, initrd, mem, limit, cap)
                st, j = api.req("POST", "/vms", {"vm_id": vid})
                st2, _ = api.req("PUT", "/vms/%s/machine-config" % vid, body["machine-config"])
                st3, _ = api.req("PUT", "/vms/%s/boot-source" % vid, body["boot-source"])
                ok = st == 201 and st2 == 204 and st3 == 204
                for n in body.get("network-interfaces", []):
                    st4, j4 = api.req("PUT", "/vms/%s/network-interfaces/%s" % (vid, n["iface_id"]), n)
                    ok = ok and st4 == 204
            check("create %s" % vid, ok, "%s %r" % (st, j))
            st, j = api.req("PUT", "/vms/%s/actions" % vid, {"action_type": "InstanceStart"})
            check("start %s" % vid, st == 204, "%s %r" % (st, j))
        st, j = api.req("PUT", "/vms/vm0/actions", {"action_type": "InstanceStart"})
        check("InstanceStart twice -> 409", fault(st, j, 409, ["Running"]), "%s %r" % (st, j))
        st, j = api.req("PUT", "/vms/vm0/machine-config", {"vcpu_count": 2})
        check("machine-config of a running VM -> 409", fault(st, j, 409, ["before start"]), "%s %r" % (st, j))
        for vid in ids:
            st, j = api.req("GET", "/vms/%s" % vid)
            consoles[vid] = Console(j["console_socket"])
            paths[vid] = j["console_socket"]
        for vid in ids:
            try:
                consoles[vid].expect(re.escape(PROMPT), BOOT_TIMEOUT - (time.monotonic() - t0))
                consoles[vid].echo(vid)
                check("%s: shell over its console socket answers (%.1f s)" % (vid, time.monotonic() - t0), True)
            except (TimeoutError, EOFError) as e:
                check("%s: shell over its console socket" % vid, False, str(e))
        check("%d VMs to their shells in %.1f s" % (NVMS, time.monotonic() - t0), True)
        st, j = api.req("GET", "/vms/vm0/console")
        check("GET console: replay holds the boot log and the echo",
              st == 200 and "Linux version" in j["output"] and "ok-vm0" in j["output"], str(j)[:300])

        # two VMs of this host process on one virtual switch
        if all(v in ids for v in NET_VMS):
            for v, ip in NET_VMS.items():
                consoles[v].send('ip addr add %s/24 dev eth0 && ip link set eth0 up && echo net-""up\n' % ip)
                consoles[v].expect(r"net-up\n", 60)
            (a, ipa), (b, ipb) = NET_VMS.items()
            consoles[a].send('ping -c 3 -W 5 %s >/dev/null && echo ping-""ok || echo ping-""bad\n' % ipb)
            try:
                m = consoles[a].expect(r"ping-(ok|bad)\n", 90)
                check("%s pings %s over switch %s inside one host process" % (a, b, SWITCH),
                      m.group(1) == "ok")
                # vm7's second NIC: user-mode networking with a port forward from the API
                consoles[b].send('ip addr add 10.0.2.15/24 dev eth1 && ip link set eth1 up && '
                                 'mkdir -p /tmp/www && echo fwd-$(hostname)-ok > /tmp/www/f && '
                                 'httpd -p 8080 -h /tmp/www && echo httpd-""up\n')
                consoles[b].expect(r"httpd-up\n", 60)
                body = b""
                for _ in range(20):
                    try:
                        c = http.client.HTTPConnection("127.0.0.1", FWD_PORT, timeout=10)
                        c.request("GET", "/f")
                        body = c.getresponse().read()
                        break
                    except OSError:
                        time.sleep(0.5)
                check("API hostfwd: the host reaches %s's httpd through 127.0.0.1:%d (%r)" % (b, FWD_PORT, body),
                      body.startswith(b"fwd-") and body.strip().endswith(b"-ok"))
                n = stats(api, a)["net"]
                check("%s stats: net frames counted (%r)" % (a, n),
                      n["tx_frames"] >= 3 and n["rx_frames"] >= 3 and n["tx_bytes"] > 0)
            except (TimeoutError, EOFError) as e:
                check("%s pings %s over the switch" % (a, b), False, str(e))

        # pause: no guest progress, no CPU; input waits
        v = "vm1"
        st, j = api.req("PATCH", "/vms/%s" % v, {"state": "Paused"})
        check("PATCH Paused -> 204", st == 204, "%s %r" % (st, j))
        s0, c0 = stats(api, v), api.req("GET", "/vms/%s/console" % v)[1]["bytes_total"]
        consoles[v].send('echo ok-""paused\n')
        time.sleep(2)
        s1, c1 = stats(api, v), api.req("GET", "/vms/%s/console" % v)[1]["bytes_total"]
        check("paused: state %s, instret %d -> %d, cpu %.3f -> %.3f s, console %d -> %d bytes" % (
              s1["state"], s0["instret"], s1["instret"], s0["cpu_time_ns"] / 1e9, s1["cpu_time_ns"] / 1e9, c0, c1),
              s1["state"] == "Paused" and s1["instret"] == s0["instret"] and
              s1["cpu_time_ns"] - s0["cpu_time_ns"] < 20e6 and c1 == c0 and s1["vcpus_running"] == 0)
        st, j = api.req("PATCH", "/vms/%s" % v, {"state": "Paused"})
        check("pause a Paused VM -> 409", fault(st, j, 409, ["Paused"]), "%s %r" % (st, j))
        st, j = api.req("PUT", "/vms/%s/actions" % v, {"action_type": "Resume"})
        check("Resume -> 204", st == 204, "%s %r" % (st, j))
        try:
            consoles[v].expect(r"ok-paused\n", 60)
            consoles[v].echo(v)
            check("resumed: the input typed while paused runs, the shell answers", True)
        except (TimeoutError, EOFError) as e:
            check("resumed VM answers", False, str(e))
        check("resumed: instret advances", stats(api, v)["instret"] > s1["instret"])

        # stop, delete, panic, memory limit: one VM each
        if NVMS > 2:
            st, j = api.req("PUT", "/vms/vm2/actions", {"action_type": "Stop"})
            j = wait_state(api, "vm2", "Ended")
            check("Stop: vm2 Ended, exit 0, '%s'" % j.get("end_reason"), st == 204 and j["state"] == "Ended" and
                  j["exit_status"] == 0 and "stopped" in j["end_reason"], "%r" % j)
            st, j = api.req("PUT", "/vms/vm2/actions", {"action_type": "Stop"})
            check("Stop an Ended VM -> 409", fault(st, j, 409, ["Ended"]), "%s %r" % (st, j))
        if NVMS > 3:
            st, j = api.req("DELETE", "/vms/vm3")
            st2, j2 = api.req("GET", "/vms/vm3")
            check("DELETE running vm3 -> 204, then 404", st == 204 and st2 == 404, "%s %s" % (st, st2))
            check("vm3's console socket is gone", not os.path.exists(paths["vm3"]))
        if NVMS > 4:
            consoles["vm4"].send("echo c > /proc/sysrq-trigger\n")
            j = wait_state(api, "vm4", "Ended")
            check("panic (sysrq c): vm4 Ended, exit 4, '%s'" % j.get("end_reason"),
                  j["state"] == "Ended" and j["exit_status"] == 4 and "panic" in j["end_reason"], "%r" % j)
        if NVMS > 5:
            r0 = stats(api, "vm5")["rss_bytes"]
            check("vm5 booted under its 48 MiB limit (%.1f MiB touched)" % (r0 / 2**20), r0 < 48 << 20)
            consoles["vm5"].send("head -c 60m /dev/zero > /big; echo wrote\n")
            j = wait_state(api, "vm5", "Ended", 90)
            check("memory limit: vm5 Ended, '%s'" % j.get("end_reason"),
                  j["state"] == "Ended" and "memory limit exceeded" in (j.get("end_reason") or ""), "%r" % j)

        alive = [v for v in ids if v not in ("vm2", "vm3", "vm4", "vm5")]
        for v in alive:
            try:
                consoles[v].echo(v)
                check("%s still answers" % v, True)
            except (TimeoutError, EOFError) as e:
                check("%s still answers" % v, False, str(e))

        if NVMS > 6:
            # the scheduler enforces the API's cap: vm6 (cap_percent) spins
            consoles["vm6"].send("while :; do :; done &\n")
            consoles["vm6"].echo("vm6")
            time.sleep(1)
            s0, t0 = stats(api, "vm6"), time.monotonic()
            time.sleep(4)
            s1, t1 = stats(api, "vm6"), time.monotonic()
            share = (s1["cpu_time_ns"] - s0["cpu_time_ns"]) / 1e9 / (t1 - t0) * 100
            check("cap_percent %d: a spinning vm6 used %.1f%% of a core (limit %d + 5)" % (CAP, share, CAP),
                  share <= CAP + 5, "%r" % s1)
            check("vm6 spins: it used CPU (%.1f%%) and was throttled (steal %.2f s)" % (
                  share, (s1["steal_time_ns"] - s0["steal_time_ns"]) / 1e9),
                  share > 1 and s1["steal_time_ns"] > s0["steal_time_ns"], "%r" % s1)
            consoles["vm6"].send("kill %1\n")

        print("== rvisor vm / top")
        out = subprocess.run([rvisor, "vm", "--api-sock", sock, "list"], capture_output=True, text=True)
        rows = {l.split()[0]: l.split()[1] for l in out.stdout.splitlines()[1:] if l.strip()}
        want = {v: "Running" for v in alive}
        want.update({v: "Ended" for v in ("vm2", "vm4", "vm5") if v in ids})
        check("vm list: %s" % rows, out.returncode == 0 and rows == want, out.stdout + out.stderr)
        out = subprocess.run([rvisor, "vm", "--api-sock", sock, "stats", "vm0"], capture_output=True, text=True)
        check("vm stats vm0", out.returncode == 0 and re.search(r"instructions\s+\d+", out.stdout) and "exits" in out.stdout,
              out.stdout + out.stderr)
        out = subprocess.run([rvisor, "vm", "--api-sock", sock, "pause", "nosuch"], capture_output=True, text=True)
        check("vm pause nosuch: status 1, '%s'" % out.stderr.strip(), out.returncode == 1 and "no VM 'nosuch'" in out.stderr)
        cfg = os.path.join(tmp, "c.json")
        with open(cfg, "w") as f:
            json.dump({"vm_id": "cli", "machine-config": {"vcpu_count": 1, "mem_size_mib": 32},
                       "boot-source": {"kernel_image_path": kernel}}, f)
        out = subprocess.run([rvisor, "vm", "--api-sock", sock, "create", cfg], capture_output=True, text=True)
        out2 = subprocess.run([rvisor, "vm", "--api-sock", sock, "delete", "cli"], capture_output=True, text=True)
        check("vm create FILE / delete", out.returncode == 0 and out.stdout.strip() == "cli" and out2.returncode == 0,
              out.stdout + out.stderr + out2.stderr)
        # vm0 busy for 4 s of wall time while top samples it
        # rvisor vm console: stdin to the guest, its output to stdout (no terminal: no raw mode)
        cp = subprocess.Popen([rvisor, "vm", "--api-sock", sock, "console", "vm1"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        cp.stdin.write(b'echo ok-""viacli\n')
        cp.stdin.flush()
        seen, deadline = b"", time.monotonic() + 60
        while b"ok-viacli\n" not in seen.replace(b"\r", b"") and time.monotonic() < deadline:
            r, _, _ = select.select([cp.stdout], [], [], 1)
            if r:
                d = os.read(cp.stdout.fileno(), 65536)
                if not d:
                    break
                seen += d
        cp.stdin.close()
        code = cp.wait(30)
        check("vm console vm1: replay, input and output through the CLI (exit %d)" % code,
              code == 0 and b"ok-viacli\n" in seen.replace(b"\r", b"") and b"Linux version" in seen, seen[-300:])
        consoles["vm0"].send('end=$(($(date +%s)+4)); while [ $(date +%s) -lt $end ]; do :; done; echo ok-""spin\n')
        out = subprocess.run([rvisor, "top", "--api-sock", sock, "--batch", "2", "--interval", "0.5"],
                             capture_output=True, text=True, timeout=60)
        frames = out.stdout.count("--- frame")
        m = re.search(r"^vm0\s+Running\s+\S+\s+([0-9.]+)\s+([0-9.]+)", out.stdout, re.M)
        check("top --batch 2: 2 frames, vm0 busy (CPU %s%%, %s MIPS)" % (m and m.group(1), m and m.group(2)),
              out.returncode == 0 and frames == 2 and m and float(m.group(1)) > 5 and float(m.group(2)) > 0,
              out.stdout + out.stderr)

        try:
            consoles["vm0"].expect(r"ok-spin\n", 120)
        except (TimeoutError, EOFError) as e:
            check("vm0 spinner ends", False, str(e))
        text = metrics_check(api)
        check("/metrics has per-VM samples",
              re.search(r'^rvisor_vm_instructions_total\{vm="vm0"\} [1-9]', text, re.M) and
              re.search(r'^rvisor_vm_exits_total\{vm="vm0",reason="sbi"\} [1-9]', text, re.M) and
              (NVMS < 8 or re.search(r'^rvisor_vm_net_tx_frames_total\{vm="vm0"\} [1-9]', text, re.M)) and
              (NVMS < 7 or re.search(r'^rvisor_vm_steal_nanoseconds_total\{vm="vm6"\} [1-9]', text, re.M)) and
              (NVMS < 3 or 'vm="vm2"' in text))

        fuzz(api, 10)
        st, j = api.req("GET", "/vms")
        extra = [v["id"] for v in j if v["id"] not in want]
        gone = [api.req("DELETE", "/vms/%s" % v)[0] for v in extra]
        check("the %d VMs the fuzz run created delete (204)" % len(extra), all(s == 204 for s in gone), str(gone))
        st, j = api.req("GET", "/vms")
        check("server up after the fuzz run (%d VMs listed)" % len(j), st == 200 and
              sorted(v["id"] for v in j) == sorted(want), "%r" % j)
        for v in alive:
            try:
                consoles[v].echo(v)
                check("%s answers after the fuzz run" % v, True)
            except (TimeoutError, EOFError) as e:
                check("%s answers after the fuzz run" % v, False, str(e))
    except Exception as e:  # noqa: BLE001 - report any failure as a test failure
        check("api session", False, repr(e))
    finally:
        for c in consoles.values():
            c.close()
        if host.poll() is None:
            host.send_signal(signal.SIGTERM)
            try:
                code = host.wait(60)
                check("SIGTERM: host stops every VM and exits 0 (got %d)" % code, code == 0)
            except subprocess.TimeoutExpired:
                host.kill()
                check("SIGTERM: host exits", False)
        else:
            check("host still running at the end", False, "exit %s" % host.returncode)
        check("sockets removed", not [f for f in os.listdir(tmp) if f.endswith("sock") or f.endswith("console")],
              str(os.listdir(tmp)))
        log.seek(0)
        text = log.read()
        bad = re.findall(r"(?m)^.*(ERROR: AddressSanitizer|runtime error|ThreadSanitizer).*$", text)
        check("host log free of sanitizer reports", not bad, text[-3000:])
    config_test(rvisor, kernel, initrd, tmp)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
