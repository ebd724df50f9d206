"""Evasion resistance in the namespace lab: the bytes the gateway judges are
the bytes the server receives (issue 17).

    ns cli 198.18.0.2 -- crtr -- 198.18.1.1 gw 198.18.2.1 -- rtr -- srv 198.18.3.2
                                 (monitor)

A packet sent with TTL 3 passes the gateway and dies at the router behind
it: the fake the monitor sees and the receiver never does, from the client
(dies at rtr) as from the server (dies at crtr). The server
(evasion_server.py, OpenSSL through Python's ssl) writes down the hash of
every ClientHello its TLS stack read: the oracle. Each technique is run
first with nothing queued (the baseline, in the same test) and then through
the monitor; a technique that gets the non-conforming ClientHello to the
server without the monitor must never do so with it -- for a denied name,
a denied JA4 and a version floor. The server's direction the same way: a
fake flight (evasion_fake_server.py) presenting a trusted certificate
before an untrusted one, and the reverse, with the client's TLS stack
saying which certificate it received. Then no false positives: duplicated and
retransmitted segments, and 200 handshakes over a lossy, reordering link.
"""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab import Lab, REPO, build_tool, lab_missing, make_cert, skip_loudly
from monitor_lab import SECAUDIT, Monitor, need_binaries

HERE = os.path.dirname(os.path.abspath(__file__))
SRV = "198.18.3.2"
ALLOWED, BLOCKED = "allowed.lab.test", "blocked.lab.test"

# every trick: the five of the issue first, then more of the tools'
TECHNIQUES = ["ttl", "badsum", "badack", "md5", "ttl_disorder",
              "badseq", "noack", "ts", "fin_ts", "fin_ts_mid", "syn_data", "rst_ttl", "rst_badseq", "split_fake",
              "disorder_fake", "fake_after_real_part", "frag", "frag_fake", "plain"]

RULES = """version: 1
profiles:
  strict:
    action: reject
    severity: 1
    versions: {{ min: TLS1.2, max: TLS1.3 }}
    sni: {{ deny: [{blocked}] }}
    ja4: {{ deny: [{ja4}] }}
    tls13_certificates: allow
{evasion}
zones:
  - name: lab
    profile: strict
"""


class RouterLab(Lab):
    """cli -- crtr -- gw -- rtr -- srv, IPv4 only: a router on each side of
    the gateway, so a fake from either end passes the gateway and dies one
    hop past it (TTL 3 from the client or the server)."""

    LINKS = (  # (namespace, its device, address, peer namespace, peer's device, address)
        ("cli", "eth0", "198.18.0.2", "crtr", "to-cli", "198.18.0.1"),
        ("crtr", "to-gw", "198.18.1.2", "gw", "to-cli", "198.18.1.1"),
        ("gw", "to-rtr", "198.18.2.1", "rtr", "eth0", "198.18.2.2"),
        ("rtr", "to-srv", "198.18.3.1", "srv", "eth0", SRV))
    ROUTES = (("cli", "default", "198.18.0.1"), ("crtr", "default", "198.18.1.1"),
              ("gw", "198.18.3.0/24", "198.18.2.2"), ("gw", "198.18.0.0/24", "198.18.1.2"),
              ("rtr", "default", "198.18.2.1"), ("srv", "default", "198.18.3.1"))

    def up(self):
        self._sweep()
        for role in ("cli", "crtr", "gw", "rtr", "srv"):
            self._ip("netns", "add", self.ns(role))
            self.created.append(self.ns(role))
            self._ip("-n", self.ns(role), "link", "set", "lo", "up")
        for a, adev, aaddr, b, bdev, baddr in self.LINKS:
            self._ip("-n", self.ns(a), "link", "add", adev, "type", "veth", "peer", "name", bdev,
                     "netns", self.ns(b))
            for ns, dev, addr in ((a, adev, aaddr), (b, bdev, baddr)):
                self._ip("-n", self.ns(ns), "addr", "add", f"{addr}/24", "dev", dev)
                self._ip("-n", self.ns(ns), "link", "set", dev, "up")
        for role in ("crtr", "gw", "rtr"):
            self.run(role, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for ns, dst, via in self.ROUTES:
            self._ip("-n", self.ns(ns), "route", "add", dst, "via", via)
        return None


@pytest.fixture
def rlab(tmp_path):
    why = lab_missing()
    if why:
        skip_loudly(why)
    try:
        import scapy  # noqa: F401  (python3-scapy, scripts/install-deps.sh)
    except ImportError:
        skip_loudly("python3-scapy is not installed (scripts/install-deps.sh)")
    need_binaries()
    lb = RouterLab(tmp_path)
    try:
        try:
            lb.up()
        except (RuntimeError, OSError, AssertionError) as e:
            skip_loudly(f"cannot build the router lab: {e}")
        cert, key = make_cert(tmp_path, cn="lab.test")
        lb.srvlog = os.path.join(str(tmp_path), "server.log")
        open(lb.srvlog, "w").close()
        lb.spawn("srv", sys.executable, os.path.join(HERE, "evasion_server.py"), cert, key,
                 SRV, "443", lb.srvlog)
        lb.wait_tcp_listen("srv", 443)
        # the client kernel's own RSTs for the raw connections stay home
        lb.run("cli", "iptables", "-A", "OUTPUT", "-p", "tcp", "--tcp-flags", "RST", "RST",
               "--dport", "443", "-j", "DROP")
        yield lb
    finally:
        lb.down()


def server_hashes(lab):
    return {ln.split()[1] for ln in open(lab.srvlog).read().splitlines() if ln.startswith("hello ")}


def attempts(lab, pairs):
    """Runs each (kind, technique) once, in one client process; returns
    {(kind, technique): (the real hello reached the server, the fake did,
    a TLS record came back)}."""
    r = lab.run("cli", sys.executable, os.path.join(HERE, "evasion_client.py"), SRV,
                *[f"{k}:{t}" for k, t in pairs], timeout=120)
    outs = [json.loads(ln) for ln in r.stdout.strip().splitlines()]
    assert len(outs) == len(pairs) and not [o for o in outs if "error" in o], r.stdout + r.stderr
    # a hello the server answered is in its record already (written as it was
    # read); one it did not may still be being read: its chance to show
    time.sleep(0.3)
    got = server_hashes(lab)
    return {(o["kind"], o["tech"]): (o["real"] in got, o["fake"] in got, o["server_answered"])
            for o in outs}


def ja4_of_kind(tmp_path):
    """The JA4 of the client's 'ja4' hello, by `secaudit read` on a capture."""
    sys.path.insert(0, HERE)
    from evasion_client import client_hello
    from scapy.all import IP, TCP, wrpcap
    hello = client_hello(ALLOWED, "ja4")
    a, b = "198.18.1.2", SRV
    pkts = [IP(src=a, dst=b) / TCP(sport=40000, dport=443, flags="S", seq=1),
            IP(src=b, dst=a) / TCP(sport=443, dport=40000, flags="SA", seq=100, ack=2),
            IP(src=a, dst=b) / TCP(sport=40000, dport=443, flags="PA", seq=2, ack=101) / hello]
    cap = os.path.join(str(tmp_path), "ja4.pcap")
    wrpcap(cap, pkts)
    r = subprocess.run([str(SECAUDIT), "read", "--eve", cap], capture_output=True, text=True,
                       check=True)
    for line in r.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event_type") == "tls" and ev["tls"].get("ja4"):
            return ev["tls"]["ja4"]
    raise AssertionError(f"no JA4 for the 'ja4' hello: {r.stdout}")


def print_table(title, rows, *columns):
    """The measured table (markdown, on stderr: pytest -s shows it), one
    row per (kind, technique), a column per (heading, {row: bool})."""
    out = [f"\n{title}:", "| kind | technique | " + " | ".join(h for h, _ in columns) + " |",
           "|---|---|" + "---|" * len(columns)]
    for k, t in rows:
        out.append(f"| {k} | {t} | " +
                   " | ".join("yes" if col[(k, t)] else "no" for _, col in columns) + " |")
    print("\n".join(out), file=sys.stderr)


def start_monitor(lab, tmp_path, evasion=""):
    rules = os.path.join(str(tmp_path), f"rules{time.monotonic_ns()}.yaml")
    with open(rules, "w") as f:
        f.write(RULES.format(blocked=BLOCKED, ja4=ja4_of_kind(tmp_path), evasion=evasion))
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", "443")
    return Monitor(lab, rules)


def test_no_technique_gets_a_nonconforming_hello_past_the_monitor(rlab, tmp_path):
    kinds = {"sni": TECHNIQUES, "ja4": ["ttl", "badsum", "badack", "md5", "plain"],
             "version": ["ttl", "badsum", "badack", "md5", "plain"]}
    pairs = [(k, t) for k, ts in kinds.items() for t in ts]
    baseline = {kt: r[0] for kt, r in attempts(rlab, pairs).items()}
    evading = sorted(kt for kt, through in baseline.items() if through)
    # the lab must show the hole: the fakes die before the server and the
    # real hellos get there when nothing is queued
    for must in ("ttl", "badsum", "badack", "md5", "ttl_disorder", "plain"):
        assert ("sni", must) in evading, (must, baseline)
    mon = start_monitor(rlab, tmp_path)
    got = attempts(rlab, pairs)
    through = {kt: r[0] for kt, r in got.items()}
    print_table("the real (non-conforming) ClientHello reached the server", pairs,
                ("without the monitor", baseline), ("through the monitor", through),
                ("the fake did, through the monitor", {kt: r[1] for kt, r in got.items()}))
    leaked = sorted(kt for kt, r in through.items() if r)
    assert not leaked, f"non-conforming hellos reached the server: {leaked}\n{mon.events()}"
    anomalies = {e["anomaly"]["event"] for e in mon.events("anomaly")}
    for name in ("bad_checksum", "bad_ack", "unnegotiated_option", "insertion_by_ttl"):
        assert f"stream.evasion.{name}" in anomalies, anomalies
    st = mon.stats()
    ev = st["evasion"]
    assert ev["bad_checksum"] >= 1 and ev["bad_ack"] >= 1 and ev["unnegotiated_option"] >= 1
    assert ev["dropped"] >= 3 and ev["insertion_by_ttl"] >= 1, ev
    # the plain hellos at least are judged and blocked, with an alert each
    assert st["blocked"] >= 3, st


def test_evasion_drop_mode_blocks_the_flow_with_an_alert(rlab, tmp_path):
    mon = start_monitor(rlab, tmp_path, evasion="    evasion: drop")
    for kt, (real, fake, _) in attempts(rlab, [("allowed", "badsum"),
                                               ("allowed", "md5")]).items():
        assert not real and not fake, json.dumps([kt, mon.events(), mon.stats()])
    sigs = mon.alerts_where(lambda a: a["alert"]["action"] == "blocked" and
                            "evasion" in a["alert"]["signature"], n=2)
    assert len(sigs) == 2, mon.alerts()
    observed = json.dumps([a["secaudit"] for a in sigs])
    assert "stream.evasion.bad_checksum" in observed and "unnegotiated_option" in observed


def test_retransmissions_and_duplicates_still_complete(rlab, tmp_path):
    start_monitor(rlab, tmp_path)
    pairs = [("allowed", t) for t in ("dup", "retrans", "disorder", "plain")]
    for kt, (real, _, answered) in attempts(rlab, pairs).items():
        assert real and answered, kt


LOSSY_CLIENTS = r"""
import socket, ssl, sys
from concurrent.futures import ThreadPoolExecutor
dst, n = sys.argv[1], int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def one(i):
    # one connection each, no retry: TCP's own retransmissions must do
    try:
        with socket.create_connection((dst, 443), timeout=30) as s:
            with ctx.wrap_socket(s, server_hostname="allowed.lab.test") as t:
                return t.recv(3) == b"ok\n"
    except OSError as e:
        print("failed:", i, e, file=sys.stderr)
    return False
with ThreadPoolExecutor(16) as ex:
    print(sum(ex.map(one, range(n))))
"""


@pytest.fixture(scope="session")
def reorder_bin(tmp_path_factory):
    return build_tool(tmp_path_factory, "nfq_reorder")


class Reorderer:
    """nfq_reorder on the client's router: every 5th TCP packet crossing
    crtr arrives after the one behind it, every 7th twice (this kernel
    has no sch_netem for `tc netem reorder`)."""

    def __init__(self, lab, binary):
        self.lab = lab
        lab.run("crtr", "iptables", "-A", "FORWARD", "-p", "tcp", "-j", "NFQUEUE",
                "--queue-num", "0", "--queue-bypass")
        self.proc = lab.spawn("crtr", binary, "--hold-every", "5", "--dup-every", "7",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        assert line == "ready", f"nfq_reorder did not start: {line!r}"

    def stop(self):
        """Stops it; returns its counters."""
        self.lab.stop(self.proc)
        return json.loads(self.proc.stdout.read().decode().strip().splitlines()[-1])


def test_fakes_with_reordering_on_the_link_stay_held(rlab, tmp_path, reorder_bin):
    """The fakes again, over a link that reorders and duplicates segments:
    whatever order the fake and the real copies reach the gateway in, the
    non-conforming hello never reaches the server."""
    link = Reorderer(rlab, reorder_bin)
    pairs = [("sni", t) for t in TECHNIQUES]
    baseline = {kt: r[0] for kt, r in attempts(rlab, pairs).items()}
    assert baseline[("sni", "ttl_disorder")] and baseline[("sni", "split_fake")], baseline
    mon = start_monitor(rlab, tmp_path)
    through = {kt: r[0] for kt, r in attempts(rlab, pairs).items()}
    print_table("over a reordering, duplicating link: the real ClientHello reached the server",
                pairs, ("without the monitor", baseline), ("through the monitor", through))
    leaked = sorted(kt for kt, r in through.items() if r)
    st = link.stop()
    assert st["after_next"] >= 10 and st["duplicated"] >= 10, st
    assert not leaked, f"non-conforming hellos reached the server: {leaked}\n{mon.events()}"


def test_200_handshakes_over_a_lossy_reordering_link(rlab, tmp_path, reorder_bin):
    """5% of the packets each way lost (iptables' statistic match in the
    client), every 5th packet crossing the client's router held behind
    the next one and every 7th sent twice (nfq_reorder: the kernel has no
    sch_netem): every allowed handshake completes, none is blocked."""
    mon = start_monitor(rlab, tmp_path)
    link = Reorderer(rlab, reorder_bin)
    for chain in ("INPUT", "OUTPUT"):
        rlab.run("cli", "iptables", "-I", chain, "-p", "tcp", "-m", "statistic", "--mode",
                 "random", "--probability", "0.05", "-j", "DROP")
    t0 = time.monotonic()
    out = rlab.run("cli", sys.executable, "-c", LOSSY_CLIENTS, SRV, "200", timeout=150)
    secs = time.monotonic() - t0
    st = link.stop()
    assert out.stdout.strip() == "200", out.stdout + out.stderr
    assert secs < 120, secs
    # the link really reordered and duplicated, many times over
    assert st["after_next"] >= 200 and st["duplicated"] >= 200, st
    assert not [a for a in mon.alerts() if a["alert"]["action"] == "blocked"], mon.alerts()
    print(f"\n200 handshakes, 5% loss, reordered {st['after_next']}, duplicated "
          f"{st['duplicated']} packets: {secs:.1f}s", file=sys.stderr)


CERT_CLIENT = r"""
import json, socket, ssl, sys
dst, named = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
ders = {n: ssl.PEM_cert_to_DER_cert(open(p).read()) for n, p in named.items()}
got = []
def on_message(conn, direction, version, content_type, msg_type, data):
    # a Certificate handshake message its TLS stack read (RFC 5246 7.4.2)
    if direction == "read" and int(content_type) == 22 and data[:1] == b"\x0b":
        got.extend(n for n, der in ders.items() if der in bytes(data))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE       # the gateway's policy, not the client, judges
ctx._msg_callback = on_message
out = {"completed": False, "received": got}
try:
    with socket.create_connection((dst, 443), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="lab.test") as t:
            out["completed"] = t.recv(3) == b"ok\n"
            out["peer"] = [n for n, der in ders.items() if der == t.getpeercert(True)]
except (OSError, ssl.SSLError) as e:
    out["error"] = str(e)
print(json.dumps(out))
"""

CERT_RULES = """version: 1
profiles:
  strict:
    action: reject
    severity: 1
    certificate: {{ ca_file: {ca}, match_sni: false, message: bad server certificate }}
zones:
  - name: lab
    profile: strict
"""


def two_pkis(d):
    """ca.pem, trusted by the policy: trusted.pem; other-ca.pem, not:
    untrusted.pem (EC keys, so a whole flight fits one segment)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for ca in ("ca", "other-ca"):
        subprocess.run(["openssl", "req", "-x509", *ec, "-days", "2", "-subj", f"/CN={ca}",
                        "-keyout", f"{ca}.key", "-out", f"{ca}.pem"], cwd=d, check=True,
                       capture_output=True)
    for name, ca in (("trusted", "ca"), ("untrusted", "other-ca")):
        subprocess.run(["openssl", "req", "-new", *ec, "-subj", f"/CN={name}.lab.test",
                        "-keyout", f"{name}.key", "-out", f"{name}.csr"], cwd=d, check=True,
                       capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem",
                        "-CAkey", f"{ca}.key", "-CAcreateserial", "-days", "2", "-out",
                        f"{name}.pem"], cwd=d, check=True, capture_output=True)
    return {n: (os.path.join(d, f"{n}.pem"), os.path.join(d, f"{n}.key"))
            for n in ("trusted", "untrusted")}


def fake_flight_handshake(lab, pki, real, fake, tech):
    """The fake server presenting `real`, after a fake flight presenting
    `fake` (tech: how the fake is kept from the client); one handshake;
    returns what the client reported."""
    p = lab.spawn("srv", sys.executable, os.path.join(HERE, "evasion_fake_server.py"),
                  *pki[real], *pki[fake], SRV, "443", tech, stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline().strip() == b"ready"
        r = lab.run("cli", sys.executable, "-c", CERT_CLIENT, SRV,
                    *[f"{n}={c}" for n, (c, _) in pki.items()], timeout=30)
        return json.loads(r.stdout)
    finally:
        lab.stop(p)


@pytest.mark.parametrize("tech", ["ttl", "badsum", "badack"])
def test_server_side_fake_flight_never_decides(rlab, tmp_path, tech):
    """Both directions (issue 17): a server (or a man in the middle beside
    it) sends a fake flight the client's TCP never takes in, then its real
    one. An untrusted real certificate behind a trusted fake is blocked; a
    trusted real one behind an untrusted fake is not. The client's TLS
    stack says which certificate it received."""
    rlab.stop(rlab.procs[0])          # the evasion server: the fake one takes port 443
    pki = two_pkis(str(tmp_path))
    # without the monitor: the fake never reaches the client
    for real, fake in (("untrusted", "trusted"), ("trusted", "untrusted")):
        got = fake_flight_handshake(rlab, pki, real, fake, tech)
        assert got["completed"] and got["received"] == [real], (real, got)
    rules = os.path.join(str(tmp_path), "certs.yaml")
    with open(rules, "w") as f:
        f.write(CERT_RULES.format(ca=os.path.join(str(tmp_path), "ca.pem")))
    rlab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", "443")
    mon = Monitor(rlab, rules)
    got = fake_flight_handshake(rlab, pki, "untrusted", "trusted", tech)
    assert not got["completed"] and "untrusted" not in got["received"], got
    blocked = [a for a in mon.alerts() if a["alert"]["action"] == "blocked"]
    assert len(blocked) == 1 and blocked[0]["alert"]["signature"] == "bad server certificate", \
        mon.events()
    got = fake_flight_handshake(rlab, pki, "trusted", "untrusted", tech)
    assert got["completed"] and got["received"] == ["trusted"], got
    assert len([a for a in mon.alerts() if a["alert"]["action"] == "blocked"]) == 1, \
        mon.alerts()
    print(f"\nserver-side fake flight ({tech}): the client completed with the untrusted "
          f"certificate behind a trusted fake: without the monitor yes, through it no; "
          f"with the trusted one behind an untrusted fake: yes and yes", file=sys.stderr)
    name = {"ttl": "insertion_by_ttl", "badsum": "bad_checksum", "badack": "bad_ack"}[tech]
    assert f"stream.evasion.{name}" in {e["anomaly"]["event"] for e in mon.events("anomaly")}

