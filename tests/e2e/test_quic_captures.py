"""`secaudit read` over real QUIC captures made here (quic_captures.py:
ngtcp2's gtlsclient and gtlsserver on a private loopback, a certificate the
test made), edited with scapy into the situations an observer must read
right: a client port that is also a tunnel's, a second ClientHello after a
Version Negotiation or a Retry, and fake Initials ahead of the real one.
The reference is always the same handshake read alone, in the same run.
"""
import json
import subprocess

import pytest

from lab import make_cert
from monitor_lab import SECAUDIT, SNI_DENY, need_binaries, rules_yaml
from quic_captures import PORT, QuicCaptures, from_client, need_quic_tools, with_client_port


@pytest.fixture(scope="module")
def caps(tmp_path_factory):
    need_binaries()
    need_quic_tools()
    tmp = tmp_path_factory.mktemp("quic")
    cert, key = make_cert(tmp, "quic", cn="quic.lab.test")
    qc = QuicCaptures(tmp, cert, key)
    qc.cert_pem = cert
    qc.plain = qc.make("plain")
    return qc


def read(pcap, *extra):
    proc = subprocess.run([str(SECAUDIT), "read", "--eve", *extra, pcap],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def quic_events(events):
    return [e for e in events if e["event_type"] == "quic"]


def one_quic(pcap, *extra):
    q = quic_events(read(pcap, *extra))
    assert len(q) == 1, f"{len(q)} quic events in {pcap}"
    return q[0]


@pytest.mark.parametrize("port", [4789, 4790, 6081])
def test_client_port_of_a_tunnel_is_plain_quic(caps, port):
    """A client whose ephemeral port is VXLAN's, VXLAN-GPE's or Geneve's:
    its Initials and the server's answers (that port as destination) are
    read as the QUIC they are, with the same facts as on any other port."""
    ref = one_quic(caps.plain.pcap)
    pkts = with_client_port(caps.packets_of(caps.plain.pcap), caps.plain.client_port, port)
    ev = one_quic(caps.write(f"port{port}", pkts))
    assert ev["src_port"] == port and ev["dest_port"] == PORT
    assert "pkt_src" not in ev or "encapsulation" not in ev["pkt_src"]
    for k in ("version", "sni", "ja4", "ja3", "ja3s"):
        assert ev["quic"].get(k) == ref["quic"].get(k), k
    assert ev["quic"]["ja3s"], "the server's Initial (to port %d) was not read" % port


def version_negotiation(client_initial, versions):
    """The server's Version Negotiation answer to a client's Initial (RFC
    9000 17.2.1): connection ids swapped, the versions it supports."""
    from scapy.all import Raw
    b = bytes(client_initial["UDP"].payload)
    dlen = b[5]
    dcid = b[6:6 + dlen]
    slen = b[6 + dlen]
    scid = b[7 + dlen:7 + dlen + slen]
    body = (bytes([0x80]) + b"\0\0\0\0" + bytes([len(scid)]) + scid + bytes([len(dcid)]) +
            dcid + b"".join(v.to_bytes(4, "big") for v in versions))
    vn = client_initial.copy()
    ip, udp = vn["IP"], vn["UDP"]
    ip.src, ip.dst = ip.dst, ip.src
    udp.sport, udp.dport = udp.dport, udp.sport
    udp.remove_payload()
    udp.add_payload(Raw(body))
    del ip.len, ip.chksum, udp.len, udp.chksum
    vn = vn.__class__(bytes(vn))
    vn.time = client_initial.time + 0.001
    return vn


def after(first, pkts, port):
    """pkts (another run) moved onto first's client port, and in time after
    first's last packet."""
    moved = with_client_port(pkts, pkts[0]["UDP"].sport, port)
    shift = first[-1].time + 0.01 - moved[0].time
    for p in moved:
        p.time += shift
    return moved


def test_second_hello_after_version_negotiation(caps):
    """The client offers draft-29 with one hello, the server answers with a
    Version Negotiation naming v1, the client starts again in v1 with
    another hello (new connection ids, same ports): the event is the v1
    connection's, its version, JA3 and JA4 those of the second hello."""
    ref = one_quic(caps.plain.pcap)
    first = caps.make("draft29", ["-v", "0xff00001d", "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM"])
    old = one_quic(first.pcap)
    assert old["quic"]["version"] == "ff00001d"
    assert old["quic"]["ja4"] != ref["quic"]["ja4"], "the two hellos must differ"
    initial = caps.packets_of(first.pcap)[0]
    pkts = [initial, version_negotiation(initial, [1])]
    pkts += after(pkts, caps.packets_of(caps.plain.pcap), first.client_port)
    ev = one_quic(caps.write("vn", pkts))
    assert ev["quic"]["version"] == "1"
    for k in ("ja4", "ja3", "ja3s", "sni"):
        assert ev["quic"].get(k) == ref["quic"].get(k), k


def test_hello_after_retry(caps):
    """A server that validates addresses answers the first Initial with a
    Retry; the client's next Initial goes to the Retry's connection id, and
    the server's Initial is keyed by it: both hellos are read."""
    retry = caps.make("retry", server_args=["-V"])
    ev = one_quic(retry.pcap)
    ref = one_quic(caps.plain.pcap)
    assert ev["quic"]["ja3s"]["hash"] == ref["quic"]["ja3s"]["hash"]
    assert ev["quic"]["ja4"] == ref["quic"]["ja4"]


def sha256_fingerprint(pem):
    out = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].lower()


def test_keylog_opens_the_handshake_packets(caps):
    """With the client's key log, the server's Handshake packets are opened:
    the quic event shows the server's certificate (the test's own, by its
    SHA-256 fingerprint), says it came from the key log, and counts the
    Handshake packets opened; without it, the certificate stays hidden."""
    ev = one_quic(caps.plain.pcap, "--keylog", caps.plain.keys)
    sec = ev["secaudit"]
    chain = sec["tls"]["server_chain"]
    assert len(chain) == 1
    assert chain[0]["sha256"] == sha256_fingerprint(caps.cert_pem)
    assert chain[0]["subject"] == "CN=quic.lab.test"
    assert sec["certificate"]["source"] == "keylog"
    assert sec["tls"]["keylog"] == "decrypted"
    assert sec["quic"]["server"]["handshake_decrypted"] >= 1
    assert sec["quic"]["client"]["handshake_decrypted"] >= 1
    msgs = sec["tls"]["messages"]
    for m in ("server:EncryptedExtensions", "server:Certificate",
              "server:CertificateVerify", "server:Finished", "client:Finished"):
        assert m in msgs, (m, msgs)
    plain = one_quic(caps.plain.pcap)["secaudit"]
    assert "server_chain" not in plain["tls"] and "certificate" not in plain


def test_keylog_of_another_connection_fails_loudly(caps):
    """A key log without this connection's secrets leaves it hidden; one
    whose secrets do not open its packets says so (keylog: failed)."""
    other = caps.make("other")
    ev = one_quic(caps.plain.pcap, "--keylog", other.keys)
    assert "server_chain" not in ev["secaudit"]["tls"]
    # the plain connection's client random with the other one's secrets
    random = open(caps.plain.keys).read().split()[1]
    lines = [" ".join([line.split()[0], random, line.split()[2]])
             for line in open(other.keys).read().splitlines() if line.strip()]
    wrong = caps.write_text("wrong.keys", "\n".join(lines) + "\n")
    ev = one_quic(caps.plain.pcap, "--keylog", wrong)
    assert ev["secaudit"]["tls"]["keylog"] == "failed"
    assert "server_chain" not in ev["secaudit"]["tls"]


RULES = """version: 1
profiles:
  web:
    action: drop
    certificate:
      ca_file: %s
      check_validity: true
      match_sni: false
      allow_self_signed: true
      message: bad server certificate
    tls13_certificates: %s
zones:
  - name: all
    profile: web
"""


def failed(alert):
    return [f["check"] for f in alert["secaudit"]["policy"]["failed"]]


def alert_of(events):
    alerts = [e for e in events if e["event_type"] == "alert"]
    return alerts[0] if alerts else None


@pytest.mark.parametrize("trusted", [True, False])
def test_rules_check_the_certificate_over_quic(caps, trusted, tmp_path):
    """--rules with the key log: the certificate checks run on the QUIC
    handshake's certificate as on TLS's: trusted by the CA file naming it,
    untrusted (blocked, with the check named) by another CA."""
    other_ca, _ = make_cert(tmp_path, "otherca", cn="other-ca.lab.test")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES % (caps.cert_pem if trusted else other_ca, "allow"))
    events = read(caps.plain.pcap, "--keylog", caps.plain.keys, "--rules", str(rules))
    alert = alert_of(events)
    if trusted:
        assert alert is None, alert
    else:
        assert alert and alert["alert"]["action"] == "blocked"
        assert "certificate.untrusted" in failed(alert)
        assert alert["event_type"] == "alert" and "quic" in alert
    # without the key log the certificate is not seen: tls13_certificates decides
    rules.write_text(RULES % (other_ca, "drop"))
    alert = alert_of(read(caps.plain.pcap, "--rules", str(rules)))
    assert alert and failed(alert) == ["certificate.tls13_hidden"], failed(alert)


# ---- fake Initials (issue 17): what the server discards never decides ----

EVASION_RULES = rules_yaml({"web": SNI_DENY}, [("all", "web", None)])


@pytest.fixture(scope="module")
def named(caps):
    """A handshake to an allowed name and one to a denied name, both real."""
    return (caps.make("allowed", host="allowed.lab.test"),
            caps.make("blocked", host="blocked.lab.test"))


def fake_of(initial, how):
    """A copy of a real client Initial made so that the server discards it."""
    p = initial.copy()
    if how == "badsum":
        p["UDP"].chksum = (p["UDP"].chksum + 1) & 0xffff or 1
    elif how == "ttl":
        p["IP"].ttl = 1
        del p["IP"].chksum
    elif how == "corrupt":
        raw = bytearray(bytes(p["UDP"].payload))
        raw[200] ^= 0x40          # inside the protected payload: AEAD fails
        from scapy.all import Raw
        p["UDP"].remove_payload()
        p["UDP"].add_payload(Raw(bytes(raw)))
        del p["UDP"].chksum
    return p.__class__(bytes(p))


def evasion_capture(caps, named, how, fake_first=True):
    """The denied name's real handshake with the allowed name's first
    Initial made into a fake (how) on the same ports, before it."""
    allowed, blocked = named
    real = with_client_port(caps.packets_of(blocked.pcap), blocked.client_port, 50123)
    fake = with_client_port(caps.packets_of(allowed.pcap), allowed.client_port, 50123)[0]
    for p in real:
        p["IP"].ttl = 64
        del p["IP"].chksum
    real = [p.__class__(bytes(p)) for p in real]
    fake = fake_of(fake, how)
    fake.time = real[0].time - 0.001
    pkts = [fake] + real if fake_first else real[:1] + [fake] + real[1:]
    if not fake_first:
        fake.time = real[0].time + 0.0001
    return caps.write(f"fake-{how}-{int(fake_first)}", pkts)


def judged(pcap, tmp_path, *extra):
    rules = tmp_path / "evasion.yaml"
    rules.write_text(EVASION_RULES)
    events = read(pcap, "--rules", str(rules), *extra)
    alerts = [e for e in events if e["event_type"] == "alert"]
    anomalies = {e["anomaly"]["event"] for e in events if e["event_type"] == "anomaly"}
    return one_of(quic_events(events)), alerts, anomalies


def one_of(evs):
    assert len(evs) == 1, evs
    return evs[0]


@pytest.mark.parametrize("checksums", ["auto", "verify"])
@pytest.mark.parametrize("how", ["badsum", "ttl", "corrupt", "other_dcid"])
def test_fake_initial_does_not_decide(caps, named, how, checksums, tmp_path):
    """A fake Initial naming an allowed host ahead of the real one naming a
    denied host: a bad UDP checksum, a TTL that runs out after the gateway,
    a packet that does not authenticate, or a whole valid Initial to
    another connection id. The real one is judged, and blocked."""
    pcap = evasion_capture(caps, named, how)
    ev, alerts, anomalies = judged(pcap, tmp_path, "--checksums", checksums)
    assert ev["quic"]["sni"] == "blocked.lab.test"
    assert [a["alert"]["action"] for a in alerts] == ["blocked"], alerts
    assert "sni.denied" in " ".join(f["check"] for f in
                                   alerts[0]["secaudit"]["policy"]["failed"])
    if how == "badsum" and checksums == "verify":
        assert "stream.evasion.bad_checksum" in anomalies, anomalies
    if how == "corrupt":
        assert "quic.failed_decrypt" in anomalies, anomalies


def test_a_later_different_hello_is_judged_too(caps, named, tmp_path):
    """The real hello first, then another authenticated one that disagrees
    (which one the server kept cannot be known here): both are judged, the
    disagreement is an anomaly, and the denied name blocks."""
    pcap = evasion_capture(caps, named, "other_dcid", fake_first=False)
    ev, alerts, anomalies = judged(pcap, tmp_path)
    assert [a["alert"]["action"] for a in alerts] == ["blocked"], alerts
    assert "quic.crypto_overlap_different_data" in anomalies, anomalies


def test_no_false_positive_on_retransmission(caps, named, tmp_path):
    """The allowed handshake with its first Initial sent twice (a plain
    retransmission) is allowed, with no evasion anomaly."""
    allowed, _ = named
    pkts = caps.packets_of(allowed.pcap)
    dup = pkts[0].copy()
    dup.time = pkts[0].time + 0.0005
    pcap = caps.write("retransmitted", pkts[:1] + [dup] + pkts[1:])
    ev, alerts, anomalies = judged(pcap, tmp_path)
    assert ev["quic"]["sni"] == "allowed.lab.test"
    assert alerts == []
    assert not [a for a in anomalies if "evasion" in a or "overlap" in a], anomalies
