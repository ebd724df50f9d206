"""A refused flow stays refused inline, in the namespace lab: nothing the
server sends after the refusal point reaches the client.

A TLS 1.2 server (openssl s_server) whose RSA 2048 certificate the policy
refuses (min_rsa_bits: 3072) sends its flight in many small segments in one
burst (the client advertises a small MSS, the server's route a large
initial window, its link no segmentation offload), so that the segments
after the one completing the Certificate are already in the monitor's
queue when that one is judged. tcpdump on both ends records what the
server sent and what the client received: every byte the client got lies
before the end of the server's Certificate, and the monitor dropped the
queued segments as repeats of the refusal (verdicts.drop_repeated), with
one alert per session.

Before the fix the refused flow was forgotten at once and the queued
segments started a new mid-stream flow, which was accepted: they reached
the client.
"""
import os
import subprocess

import pytest

from lab import Capture, lab  # noqa: F401
from monitor_lab import SECAUDIT, Monitor, alert_with, need_binaries, s_client

PORT = 443
ROUNDS = 6

RULES = """version: 1
profiles:
  p:
    action: {action}
    certificate:
      trust: none
      min_rsa_bits: 3072
      message: weak server key
zones:
  - name: lab
    profile: p
"""


def server_segments(pkts, srv):
    """Per client port: the server's ISN and its data segments as (offset in
    its byte stream, bytes)."""
    from scapy.all import IP, TCP
    conns = {}
    for p in pkts:
        if IP not in p or TCP not in p or p[IP].src != srv or p[TCP].sport != PORT:
            continue
        t = p[TCP]
        c = conns.setdefault(t.dport, {"isn": None, "segs": []})
        if t.flags & 0x02:                       # SYN+ACK
            c["isn"] = t.seq
        data = bytes(t.payload)
        if data and c["isn"] is not None:
            c["segs"].append(((t.seq - c["isn"] - 1) & 0xffffffff, data))
    return conns


def certificate_end(segs):
    """Where the server's Certificate message ends in its byte stream
    (RFC 5246 6.2.1 records, 7.4 handshake messages, across records)."""
    stream = bytearray()
    for off, data in sorted(segs):
        if off <= len(stream):
            stream[off:off + len(data)] = data
    hs, where, pos = bytearray(), [], 0
    while pos + 5 <= len(stream):
        typ, n = stream[pos], int.from_bytes(stream[pos + 3:pos + 5], "big")
        if typ == 22:
            hs += stream[pos + 5:pos + 5 + n]
            where += range(pos + 5, pos + 5 + n)
        pos += 5 + n
    at = 0
    while at + 4 <= len(hs):
        typ, n = hs[at], int.from_bytes(hs[at + 1:at + 4], "big")
        if typ == 11 and at + 4 + n <= len(where):
            return where[at + 4 + n - 1] + 1
        at += 4 + n
    raise AssertionError(f"no whole Certificate in the server's {len(stream)} bytes")


@pytest.fixture
def refusing(lab, tmp_path, request):
    need_binaries()
    action = request.param
    cert, key = tmp_path / "rsa.crt", tmp_path / "rsa.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=refused.lab.test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    # Many small segments in one burst: small MSS advertised by the client,
    # a large initial window and no segmentation offload at the server.
    lab.run("cli", "ip", "route", "replace", "default", "via", lab.GWC4, "dev", "eth0",
            "advmss", "100")
    lab.run("srv", "ip", "route", "replace", "default", "via", lab.GWS4, "dev", "eth0",
            "initcwnd", "100")
    lab.run("srv", "ip", "link", "set", "dev", "eth0", "gso_max_segs", "1")
    lab.spawn("srv", "openssl", "s_server", "-accept", f"{lab.SRV4}:{PORT}", "-tls1_2",
              "-cert", cert, "-key", key, "-quiet", "-naccept", "100000", "-www")
    lab.wait_tcp_listen("srv", PORT)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(action=action))
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", str(PORT))
    lab.monitor = Monitor(lab, str(rules))
    lab.action = action
    return lab


@pytest.mark.parametrize("refusing", ["reject", "drop"], indirect=True)
def test_nothing_after_the_refusal_reaches_the_client(refusing):
    from scapy.all import rdpcap
    lab = refusing
    mon = lab.monitor
    dumps = {role: Capture(lab, role, "eth0", os.path.join(lab.tmp, f"{role}.pcap"),
                           ("tcp", "port", str(PORT))) for role in ("cli", "srv")}
    rounds = 0
    # Each round is one refused session; the queued segments are dropped
    # as repeats (normally in the first round: the burst is queued before
    # the monitor judges its Certificate's last segment).
    while rounds < ROUNDS:
        rounds += 1
        rc, out, _ = s_client(lab, "-tls1_2", "-servername", "refused.lab.test", port=PORT,
                              timeout=3)
        assert rc != 0, out
        assert len(alert_with(mon, "weak server key", n=rounds)) == rounds, mon.alerts()
        if mon.stats()["verdicts"].get("drop_repeated", 0):
            break
    sent = server_segments(rdpcap(dumps["srv"].stop("srv", lab.GWS4)), lab.SRV4)
    got = server_segments(rdpcap(dumps["cli"].stop("cli", lab.GWC4)), lab.SRV4)
    assert len(sent) == rounds, sent.keys()
    for cport, conn in sent.items():
        end = certificate_end(conn["segs"])
        after = [off for off, data in conn["segs"] if off >= end]
        assert after, f"port {cport}: the server sent nothing after its Certificate"
        received = got.get(cport, {"segs": []})["segs"]
        assert received, f"port {cport}: not even the ServerHello reached the client"
        late = sorted((off, len(d)) for off, d in received if off + len(d) > end)
        assert not late, (f"port {cport}: bytes at or past the Certificate's end ({end}) "
                          f"reached the client: {late}")
    alerts = mon.alerts()
    assert len(alerts) == rounds, alerts
    assert all(a["alert"]["action"] == "blocked" for a in alerts), alerts
    st = mon.stats()
    assert st["verdicts"]["drop_repeated"] >= 1, (
        f"in {rounds} rounds no segment was queued behind the refused one: "
        f"the test did not exercise the case ({st['verdicts']})")
    refusals = st["verdicts"]["drop_flow"]
    assert refusals == rounds, f"each refusal counted once: {st['verdicts']}"
    if lab.action == "reject":
        assert st["verdicts"]["reject"] == rounds, st["verdicts"]
