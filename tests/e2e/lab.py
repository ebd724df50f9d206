"""The namespace lab of ../shared/LAB.md, as a pytest fixture.

    ns <p>cli  198.18.1.2 2001:db8:1::2 --veth-- gw 198.18.1.1 2001:db8:1::1
    ns <p>gw   forwarding on, the netfilter rules and the monitor live here
    ns <p>srv  198.18.2.2 2001:db8:2::2 --veth-- gw 198.18.2.1 2001:db8:2::1

Every namespace name starts with a per-run prefix (sa<pid>x<n>-). Traffic
stays inside these namespaces: nothing here ever addresses anything else.
Processes are started through Lab.spawn() and stopped by their pid; the
fixture's teardown stops what is left and deletes the namespaces, also when
the test fails. Without root, network namespaces, iptables or NFQUEUE, the
fixture skips with the reason (pytest -rs shows it) and says so on stderr.

Use:  from lab import lab  (the fixture) in a test module, then
      def test_x(lab): lab.run("cli", "curl", "-sk", f"https://{lab.SRV4}/")
"""

import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI4, GWC4, GWS4, SRV4 = "198.18.1.2", "198.18.1.1", "198.18.2.1", "198.18.2.2"
CLI6, GWC6, GWS6, SRV6 = "2001:db8:1::2", "2001:db8:1::1", "2001:db8:2::1", "2001:db8:2::2"

_counter = itertools.count()


def skip_loudly(reason):
    print(f"\nSKIP (lab): {reason}", file=sys.stderr)
    pytest.skip(reason)


def polled(fetch, done, timeout=10, every=0.05):
    """fetch()'s value once done(value) holds, or its last when timeout
    seconds have passed: callers assert on it, so a shortfall fails showing
    what there was."""
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if done(got) or time.monotonic() > deadline:
            return got
        time.sleep(every)


def whole_lines(path):
    """The lines of path that are complete (none while it does not exist):
    its writer may be amid the last one as it is read."""
    if not os.path.exists(path):
        return []
    text = Path(path).read_text()
    return text[:text.rfind("\n") + 1].splitlines()


def lab_missing():
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the namespace lab needs root"
    for tool in ("ip", "iptables", "ip6tables", "iptables-save", "ip6tables-save"):
        if not shutil.which(tool):
            return f"the namespace lab needs '{tool}'"
    if not os.path.exists("/proc/net/netfilter/nfnetlink_queue"):
        return "the kernel has no nfnetlink_queue (CONFIG_NETFILTER_NETLINK_QUEUE)"
    return None


class Lab:
    CLI4, GWC4, GWS4, SRV4 = CLI4, GWC4, GWS4, SRV4
    CLI6, GWC6, GWS6, SRV6 = CLI6, GWC6, GWS6, SRV6

    def __init__(self, tmpdir):
        self.prefix = f"sa{os.getpid()}x{next(_counter)}-"
        self.tmp = str(tmpdir)
        self.procs = []
        self.created = []
        self.etc = []

    def ns(self, role):
        """Full namespace name of role cli, gw or srv."""
        return self.prefix + role

    # -- commands -----------------------------------------------------
    def argv(self, role, args):
        return ["ip", "netns", "exec", self.ns(role)] + [str(a) for a in args]

    def run(self, role, *args, check=True, timeout=30, input=None):
        """Runs a command in a namespace; returns CompletedProcess (text)."""
        r = subprocess.run(self.argv(role, args), capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"in {role}: {' '.join(map(str, args))} -> "
                                 f"{r.returncode}\n{r.stdout}{r.stderr}")
        return r

    def sh(self, role, script, check=True, timeout=30):
        return self.run(role, "sh", "-c", script, check=check, timeout=timeout)

    def spawn(self, role, *args, stdout=None, stderr=None, cwd=None, stdin=None):
        """Starts a process in a namespace (ip netns exec execs the program,
        so the pid is the program's); returns the Popen, stopped at teardown."""
        p = subprocess.Popen(self.argv(role, args), cwd=cwd,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else subprocess.DEVNULL,
                             stderr=stderr if stderr is not None else subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5):
        """Stops one process this lab started, by its pid."""
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        return p.returncode

    def wait_tcp_listen(self, role, port, timeout=10):
        """Waits until something in `role` listens on TCP `port`."""
        self._wait_bound(role, "-Hltn", f"TCP {port}", port, timeout)

    def wait_udp_listen(self, role, port, timeout=10):
        """Waits until something in `role` has bound UDP `port`."""
        self._wait_bound(role, "-Hlun", f"UDP {port}", port, timeout)

    def _wait_bound(self, role, ss_flags, what, port, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.run(role, "ss", ss_flags, f"sport = :{port}", check=False)
            if r.stdout.strip():
                return
            time.sleep(0.05)
        raise AssertionError(f"nothing listens on {role} {what} after {timeout}s")

    def hosts(self, role, text):
        """The /etc/hosts that programs in role see (ip netns exec mounts
        /etc/netns/<namespace>/hosts over it); removed at teardown."""
        d = os.path.join("/etc/netns", self.ns(role))
        os.makedirs(d, exist_ok=True)
        self.etc.append(d)
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write(text)

    # -- netfilter helpers ----------------------------------------------
    def ruleset(self):
        """iptables-save + ip6tables-save of the gateway, without the
        comment lines (they carry dates) and with counters zeroed."""
        out = []
        for tool in ("iptables-save", "ip6tables-save"):
            text = self.run("gw", tool).stdout
            for line in text.splitlines():
                if line.startswith("#"):
                    continue
                if line.startswith(":") and "[" in line:
                    line = line[:line.index("[")] + "[0:0]"
                out.append(f"{tool}: {line}")
        return "\n".join(out)

    def queue_stats(self, queue=0):
        """The kernel's counters of one queue in the gateway, or None when
        the queue is not bound. Keys as in nfnetlink_queue's proc file."""
        r = self.run("gw", "cat", "/proc/net/netfilter/nfnetlink_queue")
        for line in r.stdout.splitlines():
            f = line.split()
            if f and int(f[0]) == queue:
                keys = ("queue", "portid", "queue_total", "copy_mode", "copy_range",
                        "queue_dropped", "user_dropped", "id_sequence")
                return dict(zip(keys, map(int, f[:8])))
        return None

    # -- life cycle -------------------------------------------------------
    def _sweep(self):
        """Deletes leftovers carrying this lab's own prefix (never others)."""
        r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(self.prefix):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)

    def _ip(self, *args):
        r = subprocess.run(["ip"] + [str(a) for a in args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"ip {' '.join(map(str, args))}: {r.stderr.strip()}")

    def up(self):
        self._sweep()
        for role in ("cli", "gw", "srv"):
            self._ip("netns", "add", self.ns(role))
            self.created.append(self.ns(role))
            self._ip("-n", self.ns(role), "link", "set", "lo", "up")
            # No duplicate address detection, link-local addresses
            # included: a tentative one holds back neighbour discovery, and
            # the first IPv6 SYN is then lost and resent a second later.
            for conf in ("all", "default"):
                self.run(role, "sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0")
        gw, cli, srv = self.ns("gw"), self.ns("cli"), self.ns("srv")
        self._ip("-n", gw, "link", "add", "to-cli", "type", "veth", "peer", "name", "eth0", "netns", cli)
        self._ip("-n", gw, "link", "add", "to-srv", "type", "veth", "peer", "name", "eth0", "netns", srv)
        self.run("gw", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.run("gw", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        for ns, dev, a4, a6 in ((gw, "to-cli", GWC4, GWC6), (gw, "to-srv", GWS4, GWS6),
                                (cli, "eth0", CLI4, CLI6), (srv, "eth0", SRV4, SRV6)):
            self._ip("-n", ns, "addr", "add", f"{a4}/24", "dev", dev)
            self._ip("-n", ns, "-6", "addr", "add", f"{a6}/64", "dev", dev, "nodad")
            self._ip("-n", ns, "link", "set", dev, "up")
        for ns, v4, v6 in ((cli, GWC4, GWC6), (srv, GWS4, GWS6)):
            self._ip("-n", ns, "route", "add", "default", "via", v4)
            self._ip("-n", ns, "-6", "route", "add", "default", "via", v6)
        # NFQUEUE through iptables must work (nft's queue statement is not
        # built into every kernel; iptables' target is). Tried in a
        # throw-away namespace, so the gateway starts with no tables at all.
        chk = self.ns("chk")
        self._ip("netns", "add", chk)
        try:
            r = subprocess.run(["ip", "netns", "exec", chk, "sh", "-c",
                                "iptables -N SAPROBE && iptables -A SAPROBE -j NFQUEUE "
                                "--queue-num 0 --queue-bypass"],
                               capture_output=True, text=True)
        finally:
            subprocess.run(["ip", "netns", "del", chk], capture_output=True)
        if r.returncode != 0:
            return f"iptables' NFQUEUE target does not work here: {r.stderr.strip()}"
        return None

    def down(self):
        for p in self.procs:
            try:
                self.stop(p, timeout=3)
            except Exception:  # teardown goes on whatever happens
                pass
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.created = []
        for d in self.etc:
            shutil.rmtree(d, ignore_errors=True)
        self.etc = []


@contextlib.contextmanager
def built(lb, what="the namespace lab"):
    """lb (a Lab, or anything with up() -> reason or None, and down()) built,
    or a loud skip with the reason (no root, namespaces, iptables or NFQUEUE
    here: lab_missing; or up() failed); torn down however the block ends."""
    why = lab_missing()
    if why:
        skip_loudly(why)
    try:
        try:
            why = lb.up()
        except (RuntimeError, OSError) as e:
            why = f"cannot build {what}: {e}"
        if why:
            skip_loudly(why)
        yield lb
    finally:
        lb.down()


@pytest.fixture
def lab(tmp_path):
    """A fresh cli/gw/srv lab per test; skips (loudly) where it cannot run."""
    with built(Lab(tmp_path)) as lb:
        yield lb


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_cert(tmpdir, name="server", cn="lab.test"):
    """A throw-away self-signed EC certificate; returns (cert, key) paths."""
    cert = os.path.join(str(tmpdir), f"{name}.crt")
    key = os.path.join(str(tmpdir), f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def issue_cert(tmpdir, ca, ca_key, name="server", cn="lab.test"):
    """An EC certificate for cn (also its SAN) issued by ca (make_cert's
    pair), as servers a policy trusts present; returns (cert, key) paths."""
    base = os.path.join(str(tmpdir), name)
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={cn}",
                    "-addext", f"subjectAltName=DNS:{cn}", "-keyout", f"{base}.key",
                    "-out", f"{base}.csr"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", f"{base}.csr", "-CA", ca, "-CAkey", ca_key,
                    "-copy_extensions", "copy", "-set_serial",
                    str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
                    "-out", f"{base}.crt"], check=True, capture_output=True)
    return f"{base}.crt", f"{base}.key"


def build_tool(tmp_path_factory, name):
    """tests/e2e/<name>.c, with the project's warning flags, linked with the
    library `make` built; returns the binary's path (skips loudly where it
    cannot be built: no lab, no compiler, no library)."""
    why = lab_missing()     # session fixtures come first: skip before building
    if why:
        skip_loudly(why)
    if not shutil.which("cc"):
        skip_loudly(f"no C compiler to build {name}")
    lib = os.path.join(REPO, os.environ.get("BUILD", "build"), "lib", "libsecaudit.a")
    if not os.path.exists(lib):
        skip_loudly(f"{lib} is not built (run make)")
    pkgs = re.search(r"(?m)^PKGS\s*:=\s*(.*)$", open(os.path.join(REPO, "Makefile")).read())
    libs = subprocess.run(["pkg-config", "--libs", *pkgs.group(1).split()], capture_output=True,
                          text=True, check=True).stdout.split()
    out = str(tmp_path_factory.mktemp(name) / name)
    cmd = (["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-g", "-Wall", "-Wextra", "-Wshadow",
            "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wno-unused-parameter", "-Werror",
            "-Icommon", "-Imonitor", "-Icli", f"tests/e2e/{name}.c", lib] + libs +
           ["-lpthread", "-o", out])
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, f"building {name} failed:\n{r.stderr}"
    return out


@pytest.fixture(scope="session")
def probe_bin(tmp_path_factory):
    """tests/e2e/nfq_probe.c built (the subcommands it runs, setup-gateway
    and stats, reach into the monitor's configuration reader and more)."""
    return build_tool(tmp_path_factory, "nfq_probe")


class Probe:
    """nfq_probe running in the gateway; stats over its socket."""

    def __init__(self, lab, binary, *args):
        self.lab, self.binary = lab, binary
        self.sock = os.path.join(lab.tmp, f"probe{next(_counter)}.sock")
        self.proc = lab.spawn("gw", binary, "run", "--stats", self.sock, *args,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if line != "ready":
            err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
            raise AssertionError(f"nfq_probe did not start: {line!r} {err}")

    def stats(self):
        import json
        r = self.lab.run("gw", self.binary, "stats", "--json", "--socket", self.sock)
        return json.loads(r.stdout)

    def kill(self, sig=signal.SIGKILL):
        return self.lab.stop(self.proc, sig=sig)


class Capture:
    """tcpdump of one interface of a namespace (role), into path.

    Stopping it must not lose the last packets: tcpdump hands them to its
    writer late under load, and SIGTERM drops what is not written yet (a
    session's last segments were sometimes missing). So the capture ends
    with a marker datagram sent across the interface and is stopped only
    once the file holds it: every packet before it is written by then."""

    MARK = b"secaudit-capture-end"
    MARK_PORT = 9

    def __init__(self, lab, role, iface, path, bpf=()):
        self.lab, self.path = lab, path
        filt = ["(", *bpf, ")", "or", "udp", "port", str(self.MARK_PORT)] if bpf else []
        self.proc = lab.spawn(role, "tcpdump", "-i", iface, "-Z", "root", "--immediate-mode",
                              "-U", "-s", "0", "-w", path, *filt, stderr=subprocess.PIPE)
        line = self.proc.stderr.readline().decode()
        assert "listening on" in line, f"tcpdump in {role}: {line}"

    def stop(self, sender, to, timeout=30):
        """Sends the marker from namespace sender to address to (again each
        round: a datagram may be lost), then stops tcpdump; the file's name."""
        mark = (f"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                f".sendto({self.MARK!r}, ({to!r}, {self.MARK_PORT}))")
        deadline = time.monotonic() + timeout
        while True:
            self.lab.run(sender, "/usr/bin/python3", "-c", mark)
            if os.path.exists(self.path) and self.MARK in Path(self.path).read_bytes():
                break
            assert time.monotonic() < deadline, "tcpdump did not record the end marker"
            time.sleep(0.1)
        self.lab.stop(self.proc)
        return self.path


def start_tls_server(lab, cert, key, port=443, www_dir=None, extra=(), naccept=100000):
    """openssl s_server in srv (IPv4 and IPv6); -WWW serves files of
    www_dir, else -www answers with a status page. It exits after naccept
    connections."""
    args = ["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key,
            "-quiet", "-naccept", str(naccept)] + list(extra)
    args.append("-WWW" if www_dir else "-www")
    p = lab.spawn("srv", *args, cwd=www_dir)
    lab.wait_tcp_listen("srv", port)
    return p


def s_client(lab, addr, port=443, timeout=5, extra=()):
    """One TLS handshake from cli; returns (completed, output)."""
    host = f"[{addr}]" if ":" in addr else addr
    r = lab.run("cli", "timeout", str(timeout), "openssl", "s_client", "-connect",
                f"{host}:{port}", "-brief", *extra, check=False, timeout=timeout + 5,
                input="")
    out = r.stdout + r.stderr
    return (r.returncode == 0 and "CONNECTION ESTABLISHED" in out), out
