"""secaudit-monitor inline against certificates, client certificates,
fingerprints and awkward ClientHellos, in the namespace lab.

Real openssl servers present, over TLS 1.2, a self-signed certificate, one
from a CA the policy does not trust, one revoked by the CA's CRL and an
RSA-1024 one; a sensitive zone's server asks for a client certificate. Each
handshake must fail before the client has the server's complete flight (or,
for the sensitive zone, before the server has the client's), with the rule
that failed in the alert log and the blocked handshake's packets in an
evidence pcap. Denied JA3/JA4 fingerprints, a ClientHello larger than one
segment and one sent a few bytes at a time are judged like any other.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from lab import Capture, lab  # noqa: F401
from monitor_lab import (SECAUDIT, Monitor, alert_with, need_binaries, ossl, received,
                         s_client, stopped_before_certificate, was_reset)
from tls_hello import E2E

CASES = {  # port: (certificate, rule id in the alert)
    9001: ("selfsigned", "certificate.self_signed"),
    9002: ("untrusted", "certificate.untrusted"),
    9003: ("revoked", "certificate.revoked"),
    9004: ("rsa1024", "certificate.weak_key"),
}
GOOD, SENSITIVE = 443, 9005
SECLEVEL0 = "DEFAULT:@SECLEVEL=0"   # lets the peers use the RSA-1024 certificate

# Distinct clients whose fingerprints the policy denies (learnt in the lab).
JA3_CLIENT = ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
JA4_CLIENT = ("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
BIG_ALPN = ",".join(f"{i:02d}" + "x" * 200 for i in range(10))     # ~2 KB of ALPN
BIG_JA3_CLIENT = ("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-alpn", BIG_ALPN)


def _signed(d, name, ca, key_args, cn):
    ossl("req", "-new", *key_args, "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
         "-out", f"{name}.csr", cwd=d)
    ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "2", "-sha256", "-out", f"{name}.pem", cwd=d)


EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")


def make_pki(d):
    """ca (trusted by the policy), other-ca (not), clients-ca; server and
    client certificates; ca.crl revoking revoked.pem."""
    d = str(d)
    for ca in ("ca", "other-ca", "clients-ca"):
        ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", f"/CN={ca}",
             "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=d)
    _signed(d, "good", "ca", EC, "good.lab.test")
    _signed(d, "revoked", "ca", EC, "revoked.lab.test")
    _signed(d, "rsa1024", "ca", ("-newkey", "rsa:1024"), "rsa1024.lab.test")
    _signed(d, "untrusted", "other-ca", EC, "untrusted.lab.test")
    _signed(d, "client", "clients-ca", EC, "client.lab.test")
    ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", "/CN=selfsigned.lab.test",
         "-keyout", "selfsigned.key", "-out", "selfsigned.pem", cwd=d)
    db = Path(d, "crl.db")
    db.mkdir()
    (db / "index").write_text("")
    Path(d, "crl.cnf").write_text(f"[ca]\ndefault_ca=d\n[d]\ndatabase={db}/index\n"
                                  f"default_md=sha256\ndefault_crl_days=2\n")
    ossl("ca", "-config", "crl.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-revoke",
         "revoked.pem", cwd=d)
    ossl("ca", "-config", "crl.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-gencrl",
         "-out", "ca.crl", cwd=d)
    return d


def fingerprints(lab, pki):
    """JA3 and JA4 of the clients the policy denies: their ClientHellos
    captured in the gateway (no rules yet) and read by secaudit."""
    pcap = os.path.join(pki, "learn.pcap")
    dump = Capture(lab, "gw", "to-cli", pcap, ("tcp", "port", "443"))
    for args in (JA3_CLIENT, JA4_CLIENT, BIG_JA3_CLIENT):
        rc, out, _ = s_client(lab, *args, "-servername", "good.lab.test")
        assert "<<<" in out, out
    dump.stop("cli", lab.SRV4)
    r = subprocess.run([SECAUDIT, "read", "--eve", pcap], capture_output=True, text=True,
                       check=True)
    tls = [json.loads(x)["tls"] for x in r.stdout.splitlines() if '"event_type":"tls"' in x]
    assert len(tls) == 3, r.stdout
    return tls[0]["ja3"]["hash"], tls[1]["ja4"], tls[2]["ja3"]["hash"]


RULES = """version: 1
lists:
  bad-clients: {{type: ja3, file: bad-ja3.txt}}
profiles:
{profiles}
zones:
  - name: sensitive
    profile: sensitive
    match: {{ports: [{sensitive}]}}
  - name: lab
    profile: strict
"""

PROFILE = """  {name}:
    action: reject
    severity: 1
    versions: {{min: TLS1.2}}
    sni: {{deny: [blocked.lab.test], message: server name on the deny list}}
    ja3: {{deny_lists: [bad-clients], message: client fingerprint denied (JA3)}}
    ja4: {{deny: [{ja4}], message: client fingerprint denied (JA4)}}
    certificate:
      ca_file: ca.pem
      crl: [ca.crl]
      min_rsa_bits: 2048
      match_sni: false
      message: bad server certificate
    tls13_certificates: allow
"""

CLIENT_CERT = """    client_certificate:
      required: true
      ca_file: clients-ca.pem
      message: client certificate required
"""


@pytest.fixture
def gwc(lab, tmp_path):
    need_binaries()
    pki = make_pki(tmp_path)
    lab.pki = pki
    lab.spawn("srv", "openssl", "s_server", "-accept", GOOD, "-cert", f"{pki}/good.pem",
              "-key", f"{pki}/good.key", "-quiet", "-naccept", "100000", "-www")
    for port, (name, _) in CASES.items():
        lab.spawn("srv", "openssl", "s_server", "-accept", port, "-cert", f"{pki}/{name}.pem",
                  "-key", f"{pki}/{name}.key", "-no_tls1_3", "-cipher", SECLEVEL0, "-quiet",
                  "-naccept", "100000", "-www")
    lab.spawn("srv", "openssl", "s_server", "-accept", SENSITIVE, "-cert", f"{pki}/good.pem",
              "-key", f"{pki}/good.key", "-no_tls1_3", "-verify", "1", "-CAfile",
              f"{pki}/clients-ca.pem", "-quiet", "-naccept", "100000", "-www")
    for port in (GOOD, SENSITIVE, *CASES):
        lab.wait_tcp_listen("srv", port)
    ja3, ja4, big_ja3 = fingerprints(lab, pki)
    Path(pki, "bad-ja3.txt").write_text(f"# learnt in the lab\n{ja3}\n{big_ja3}  # big hello\n")
    strict = PROFILE.format(name="strict", ja4=ja4)
    sensitive = PROFILE.format(name="sensitive", ja4=ja4) + CLIENT_CERT
    rules = Path(pki, "rules.yaml")
    rules.write_text(RULES.format(profiles=strict + sensitive, sensitive=SENSITIVE))
    chk = subprocess.run([SECAUDIT, "rules", "check", rules], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    ports = ",".join(str(p) for p in (GOOD, SENSITIVE, *CASES))
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", ports)
    lab.evidence = os.path.join(lab.tmp, "evidence")
    lab.monitor = Monitor(lab, str(rules), "--evidence", lab.evidence)
    return lab


def assert_evidence(alert, *, min_packets=2):
    """The alert names a pcap holding the blocked handshake's packets: first
    the client's SYN, then the server's SYN+ACK (copies the gateway logged to
    the monitor, each once), then the queued packets."""
    path = alert["secaudit"].get("evidence")
    assert path and os.path.exists(path), alert["secaudit"]
    r = subprocess.run([SECAUDIT, "read", "--eve", path], capture_output=True, text=True,
                       check=True)
    tls = [json.loads(x) for x in r.stdout.splitlines() if '"event_type":"tls"' in x]
    assert len(tls) == 1, r.stdout
    assert tls[0]["src_port"] == alert["src_port"] and tls[0]["dest_port"] == alert["dest_port"]
    count = subprocess.run(["tcpdump", "-nr", path], capture_output=True, text=True)
    lines = count.stdout.splitlines()
    assert len(lines) >= min_packets, count.stdout
    client = f".{alert['src_port']} > "
    server = f".{alert['dest_port']} > "
    assert "Flags [S]," in lines[0] and client in lines[0], count.stdout
    assert "Flags [S.]," in lines[1] and server in lines[1], count.stdout
    assert sum("Flags [S" in x for x in lines) == 2, count.stdout


def rule_ids(alert):
    return [f["check"] for f in alert["secaudit"]["policy"]["failed"]]


def test_conforming_session_passes_the_strict_policy(gwc):
    rc, out, _ = s_client(gwc, "-CAfile", f"{gwc.pki}/ca.pem", "-servername", "good.lab.test",
                          port=GOOD)
    assert "Verify return code: 0 (ok)" in out, out
    assert "ServerHelloDone" in received(out) or "Finished" in out
    assert gwc.monitor.alerts() == []


@pytest.mark.parametrize("port", sorted(CASES))
def test_bad_server_certificate_stopped_before_the_flight_completes(gwc, port):
    name, rule = CASES[port]
    hits = stopped_before_certificate(gwc, "-tls1_2", "-cipher", SECLEVEL0, "-servername",
                                      f"{name}.lab.test", port=port)
    assert hits[0]["dest_port"] == port
    assert rule in rule_ids(hits[0]), hits[0]["secaudit"]["policy"]
    assert_evidence(hits[0], min_packets=4)        # SYN, SYN+ACK, hello, server flight


def test_sensitive_zone_without_client_certificate_is_stopped(gwc):
    rc, out, secs = s_client(gwc, "-tls1_2", "-servername", "good.lab.test", port=SENSITIVE)
    assert rc != 0 and rc != 124, out
    # the client had the server's flight and sent its own; the server never
    # got it, so the client never saw the server's Finished
    assert "CertificateRequest" in out or "Certificate Request" in out, out
    assert "ServerHelloDone" in received(out), out
    assert was_reset(out), out
    hits = alert_with(gwc.monitor, "client certificate required")
    assert len(hits) == 1, gwc.monitor.alerts()
    assert hits[0]["secaudit"]["policy"]["zone"] == "sensitive"
    assert "client_certificate.missing" in rule_ids(hits[0])
    assert_evidence(hits[0], min_packets=5)         # SYN, SYN+ACK, hello, both flights
    # with a certificate from the clients' CA the same zone lets it through
    rc, out, _ = s_client(gwc, "-tls1_2", "-servername", "good.lab.test", "-cert",
                          f"{gwc.pki}/client.pem", "-key", f"{gwc.pki}/client.key",
                          port=SENSITIVE)
    assert "Verify return code" in out and not was_reset(out), out
    assert len(alert_with(gwc.monitor, "client certificate required", timeout=0.3)) == 1


@pytest.mark.parametrize("case", ["ja3", "ja4"])
def test_denied_fingerprint_stopped_at_client_hello(gwc, case):
    args = JA3_CLIENT if case == "ja3" else JA4_CLIENT
    rc, out, _ = s_client(gwc, *args, "-servername", "good.lab.test", port=GOOD)
    assert rc != 0 and rc != 124, out
    assert received(out) == [], out
    assert was_reset(out), out
    assert gwc.monitor.stats()["rsts_sent"] >= 1, gwc.monitor.stats()
    hits = alert_with(gwc.monitor, f"client fingerprint denied ({case.upper()})")
    assert len(hits) == 1, gwc.monitor.alerts()
    assert f"{case}.denied" in rule_ids(hits[0])
    assert_evidence(hits[0], min_packets=3)        # the SYNs' copies and the ClientHello


def test_client_hello_over_several_segments_is_judged(gwc):
    # conforming: the whole hello reassembled, judged, passed
    rc, out, _ = s_client(gwc, "-alpn", BIG_ALPN, "-servername", "good.lab.test", port=GOOD)
    assert "ServerHello" in received(out) and not was_reset(out), out
    st = gwc.monitor.stats()
    assert st["verdicts"]["accept_flow"] >= 1, st
    # a denied fingerprint is only known once every segment is in
    rc, out, secs = s_client(gwc, *BIG_JA3_CLIENT, "-servername", "good.lab.test", port=GOOD)
    assert received(out) == [] and was_reset(out), out
    hits = alert_with(gwc.monitor, "client fingerprint denied (JA3)")
    assert len(hits) == 1, gwc.monitor.alerts()
    # ~2 KB of ALPN ids before the extensions that complete the JA3: the
    # fingerprint came from the reassembled hello, not its first segment
    assert hits[0]["tls"]["client_alpns"][0].startswith("00x")


# Python's TLS stack writes a real ClientHello into memory; the clients
# below send it their own way.
CLIENT_HELLO = f"import sys\nsys.path.insert(0, {E2E!r})\nfrom tls_hello import client_hello\n"

TINY_CLIENT = CLIENT_HELLO + r"""
import socket, sys, time
addr, sni = sys.argv[1], sys.argv[2]
hello = client_hello(sni)
s = socket.create_connection((addr, 443), timeout=3)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    for i in range(0, len(hello), 5):
        s.send(hello[i:i + 5])
        time.sleep(0.002)
    reply = s.recv(5)
    print("reply", reply.hex(), len(hello))
except (ConnectionResetError, BrokenPipeError) as e:
    print("reset", len(hello))
except socket.timeout:
    print("timeout", len(hello))
"""


def denied_name_alerts(mon, sni):
    """The deny list's alerts: waited for when sni is on it (its line comes
    after the reset the client saw), a short grace for a wrong one when not."""
    return alert_with(mon, "server name on the deny list",
                      timeout=10 if sni.startswith("blocked") else 0.5)


@pytest.mark.parametrize("sni,expect", [("good.lab.test", "reply 16"),
                                        ("blocked.lab.test", "reset")])
def test_client_hello_in_tiny_segments_is_judged(gwc, sni, expect):
    r = gwc.run("cli", "/usr/bin/python3", "-c", TINY_CLIENT, gwc.SRV4, sni, check=False)
    assert r.stdout.startswith(expect), r.stdout + r.stderr
    hello_len = int(r.stdout.split()[-1])
    assert hello_len > 200          # so it did go out in dozens of segments
    blocked = denied_name_alerts(gwc.monitor, sni)
    assert len(blocked) == (1 if sni.startswith("blocked") else 0), gwc.monitor.alerts()


# A client that sends its ClientHello's second segment before its first, over
# a raw socket (the kernel's TCP never reorders). Without the SYN's anchor
# the monitor would start the stream at the second segment, take the flow
# for "not TLS" and let the hello through unjudged.
REORDERING_CLIENT = CLIENT_HELLO + r"""
import random, select, socket, struct, sys, time
src, dst, sni = sys.argv[1], sys.argv[2], sys.argv[3]
sport, dport = random.randint(20000, 60000), 443

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp(seq, ack, flags, data=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data

def recv_from_server(raw, timeout):
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([raw], [], [], max(0, end - time.time()))
        if not r:
            break
        pkt = raw.recv(65535)
        ihl = (pkt[0] & 15) * 4
        sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", pkt[ihl:ihl + 14])
        if sp == dport and dp == sport:
            return seq, flags, pkt[ihl + (off >> 4) * 4:]
    return None

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
isn = random.randint(0, 2**32 - 1)
raw.sendto(tcp(isn, 0, 0x02), (dst, 0))
got = recv_from_server(raw, 3)
assert got and got[1] & 0x12 == 0x12, "no SYN+ACK"
srv = (got[0] + 1) & 0xffffffff
raw.sendto(tcp(isn + 1, srv, 0x10), (dst, 0))

hello = client_hello(sni)
k = 100
raw.sendto(tcp(isn + 1 + k, srv, 0x18, hello[k:]), (dst, 0))     # second part first
time.sleep(0.05)
raw.sendto(tcp(isn + 1, srv, 0x18, hello[:k]), (dst, 0))
while True:
    got = recv_from_server(raw, 2)
    if got is None:
        print("nothing")
        break
    if got[1] & 0x04:
        print("reset")
        break
    if got[2]:
        print("reply", got[2][:6].hex())
        break
"""


@pytest.mark.parametrize("sni,expect", [("good.lab.test", "reply 16"),
                                        ("blocked.lab.test", "reset")])
def test_client_hello_sent_out_of_order_is_judged(gwc, sni, expect):
    # the client's kernel knows nothing of the raw connection: keep it from
    # resetting it
    gwc.run("cli", "iptables", "-A", "OUTPUT", "-p", "tcp", "--tcp-flags", "RST", "RST",
            "-d", gwc.SRV4, "-j", "DROP")
    r = gwc.run("cli", "/usr/bin/python3", "-c", REORDERING_CLIENT, gwc.CLI4, gwc.SRV4, sni,
                check=False)
    assert r.stdout.startswith(expect), r.stdout + r.stderr
    blocked = denied_name_alerts(gwc.monitor, sni)
    assert len(blocked) == (1 if sni.startswith("blocked") else 0), gwc.monitor.alerts()
    st = gwc.monitor.stats()
    assert st["syn_log"]["anchored"] >= 1, st
