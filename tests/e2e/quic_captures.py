"""Real QUIC captures made on the spot: Debian's ngtcp2 example server and
client (gtlsserver, gtlsclient: GnuTLS) talk over the loopback of a private
network namespace (its own name prefix, nothing leaves it) while tcpdump
writes what passes, and the client writes its TLS key log (SSLKEYLOGFILE).
The certificate is made by the caller (lab.make_cert). Captures are then
edited with scapy (ports rewritten, datagrams put together, packets
forged), so each test gets real Initials in the situation it needs.

Use:  cap = QuicCaptures(tmp_path, cert, key)
      c = cap.make("plain")                 # c.pcap, c.keys, c.client_port
      pkts = cap.packets(c)                 # scapy packets, for editing
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from lab import lab_missing, skip_loudly

PORT = 4433
HOST = "127.0.0.1"
MARKER = b"secaudit-capture-end"
SEND_MARKER = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
               f"s.sendto({MARKER!r}, ('{HOST}', {PORT + 1})); s.close()")


def need_quic_tools():
    why = lab_missing()
    if why:
        skip_loudly(why)
    for b in ("gtlsclient", "gtlsserver", "tcpdump"):
        if not shutil.which(b):
            skip_loudly(f"{b} missing (scripts/install-deps.sh installs ngtcp2-client, "
                        "ngtcp2-server and tcpdump)")
    try:
        import scapy.all  # noqa: F401
    except ImportError:
        skip_loudly("python3-scapy missing (scripts/install-deps.sh installs it)")


@dataclass
class Capture:
    pcap: str
    keys: str
    client_port: int


def _wait(pred, what, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class QuicCaptures:
    def __init__(self, tmp, cert, key):
        self.tmp = str(tmp)
        self.cert, self.key = cert, key
        self.www = os.path.join(self.tmp, "www")
        os.makedirs(self.www, exist_ok=True)
        with open(os.path.join(self.www, "hello"), "w") as f:
            f.write("hello over QUIC\n")
        self.n = 0

    def make(self, name, client_args=(), server_args=(), host=None):
        """One client run against a fresh server; returns its Capture. host:
        a name the client connects to (its SNI), resolved to the loopback
        in the namespace (ip netns exec reads /etc/netns/<ns>/hosts)."""
        self.n += 1
        ns = f"sa{os.getpid()}q{self.n}-cap"
        pcap = os.path.join(self.tmp, f"{name}.pcap")
        raw = os.path.join(self.tmp, f"{name}.raw.pcap")
        keys = os.path.join(self.tmp, f"{name}.keys")
        log = open(os.path.join(self.tmp, f"{name}.log"), "w")
        ex = ["ip", "netns", "exec", ns]
        procs = []
        etc = os.path.join("/etc/netns", ns)
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            subprocess.run(ex + ["ip", "link", "set", "lo", "up"], check=True)
            if host:
                os.makedirs(etc, exist_ok=True)
                with open(os.path.join(etc, "hosts"), "w") as f:
                    f.write(f"{HOST} {host}\n")
            dump_err = os.path.join(self.tmp, f"{name}.tcpdump")
            dump = subprocess.Popen(ex + ["tcpdump", "-i", "lo", "-Z", "root", "-U",
                                          "--immediate-mode", "-w", raw, "udp", "portrange",
                                          f"{PORT}-{PORT + 1}"],
                                    stdout=subprocess.DEVNULL, stderr=open(dump_err, "w"))
            procs.append(dump)
            _wait(lambda: "listening on" in open(dump_err).read(), "tcpdump to listen")
            srv = subprocess.Popen(ex + ["gtlsserver", "--no-quic-dump", "--no-http-dump", "-q",
                                         *server_args, "-d", self.www, HOST, str(PORT),
                                         self.key, self.cert], stdout=log, stderr=log)
            procs.append(srv)
            _wait(lambda: f":{PORT}" in subprocess.run(
                ex + ["ss", "-Hlun"], capture_output=True, text=True).stdout,
                "gtlsserver to bind")
            env = dict(os.environ, SSLKEYLOGFILE=keys)
            cli = subprocess.run(ex + ["gtlsclient", "-q", "--exit-on-all-streams-close",
                                       "--timeout=10s", *client_args, host or HOST,
                                       str(PORT), f"https://{host or HOST}:{PORT}/hello"],
                                 stdout=log, stderr=log, env=env, timeout=60)
            assert cli.returncode == 0, f"gtlsclient failed: see {log.name}"
            # tcpdump writes packets in order: once the end marker is in the
            # file, so is everything the client and server sent before it.
            subprocess.run(ex + [sys.executable, "-c", SEND_MARKER], check=True)
            _wait(lambda: MARKER in open(raw, "rb").read(), "tcpdump to write the capture")
        finally:
            for p in reversed(procs):
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            subprocess.run(["ip", "netns", "del", ns])
            shutil.rmtree(etc, ignore_errors=True)
            log.close()
        pkts = [p for p in self.packets_of(raw) if MARKER not in bytes(p)]
        assert pkts, f"tcpdump wrote nothing to {raw}"
        self.write(name, pkts)
        return Capture(pcap, keys, pkts[0]["UDP"].sport)

    @staticmethod
    def packets_of(pcap):
        from scapy.all import rdpcap
        return list(rdpcap(pcap))

    def write(self, name, pkts):
        """Writes edited packets (checksums and lengths recomputed unless
        the packet says otherwise) to a new capture; returns its path."""
        from scapy.all import wrpcap
        path = os.path.join(self.tmp, f"{name}.pcap")
        wrpcap(path, pkts)
        return path

    def write_text(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def with_client_port(pkts, old, new):
    """The packets with the client's port `old` replaced by `new` in both
    directions, UDP checksums recomputed."""
    out = []
    for p in pkts:
        p = p.copy()
        udp = p["UDP"]
        if udp.sport == old:
            udp.sport = new
        if udp.dport == old:
            udp.dport = new
        del udp.chksum
        out.append(p.__class__(bytes(p)))
    return out


def from_client(p):
    return p["UDP"].dport == PORT
