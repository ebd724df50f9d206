"""JA4 (client) on every TLS-over-TCP stream of ../shared/corpus/ja4, against
the reference values in each capture's .json (JA4.N: the N-th ClientHello
of the stream).

The QUIC captures' .json files list no streams (the reference output has
none for QUIC), so their answers come from elsewhere: tshark decrypts the
Initials itself and names the ClientHello's fields, the corpus's own JA4
(generated/tools/tlsparse.py) turns them into the `q` fingerprint, and
tshark gives the JA3. The suricata-verify case ja4-tls-quic holds FoxIO's
own answer for one of them (test_suricata_verify.py)."""
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, events_of, read_eve

sys.path.insert(0, os.path.join(CORPUS, "generated", "tools"))
import tlsparse  # noqa: E402  (the corpus's reference JA4)

# One reference value follows an older ALPN rule (see the corpus README):
# the current FoxIO definition prints the first and last hex digit of a
# non-alphanumeric ALPN: the first ALPN here is the two bytes 0xba 0xad
# (checked with tshark), so "bd" where the old rule printed "99".
CURRENT_RULE = {
    ("tls-non-ascii-alpn.pcapng", "t13d151699_8daaf6152771_e5627efa2ab1"):
        "t13d1516bd_8daaf6152771_e5627efa2ab1",
}

CASES = []
for path in sorted(glob.glob(os.path.join(CORPUS, "ja4", "*.json"))):
    capture = os.path.basename(path)[:-5]
    for stream in json.load(open(path)):
        expected = [stream[k] for k in sorted((k for k in stream if k.startswith("JA4.")),
                                              key=lambda k: int(k.split(".")[1]))]
        if expected:
            CASES.append((capture, stream, expected))


@pytest.mark.parametrize("capture,stream,expected", CASES,
                         ids=[f"{c}-{s['stream']}" for c, s, _ in CASES])
def test_ja4_matches_reference(capture, stream, expected):
    events = read_eve(os.path.join(CORPUS, "ja4", capture))
    expected = [CURRENT_RULE.get((capture, v), v) for v in expected]
    mine = [e for e in events_of(events, "tls")
            if e["src_ip"] == stream["src"] and e["src_port"] == int(stream["srcport"])]
    assert len(mine) == 1, f"{len(mine)} tls events for stream {stream['stream']}"
    hellos = mine[0]["secaudit"]["tls"]["client_hellos"]
    assert [h.get("ja4") for h in hellos] == expected
    assert mine[0]["tls"]["ja4"] == expected[0]


QUIC_CAPTURES = sorted([p for p in glob.glob(os.path.join(CORPUS, "ja4", "quic*.pcap*"))
                        if not p.endswith(".json")] +
                       [os.path.join(CORPUS, "suricata-verify", "ja4-tls-quic", "input.pcap")])
TSHARK_FIELDS = ["ip.src", "ipv6.src", "udp.srcport", "tls.handshake.version",
                 "tls.handshake.extensions.supported_version",
                 "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
                 "tls.handshake.extension.type", "tls.handshake.extensions_alpn_str",
                 "tls.handshake.sig_hash_alg", "tls.handshake.ja3"]


def tshark_quic_hellos(capture):
    """Per QUIC client (address, port): the ClientHello as tshark reads it,
    in the shape tlsparse.ja4 takes, and tshark's JA3 hash."""
    tshark = shutil.which("tshark") or "/usr/bin/tshark"
    if not os.path.exists(tshark):
        pytest.fail("tshark missing (scripts/install-deps.sh installs it)")
    cmd = [tshark, "-r", capture, "-Y", "quic && tls.handshake.type == 1", "-T", "fields",
           "-E", "aggregator=,"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    hellos = {}
    for line in out.splitlines():
        v = dict(zip(TSHARK_FIELDS, line.split("\t")))
        ints = lambda key: [int(x, 0) for x in v[key].split(",") if x]  # noqa: E731
        ch = {"legacy_version": int(v["tls.handshake.version"], 0),
              "supported_versions": ints("tls.handshake.extensions.supported_version"),
              "sni": v["tls.handshake.extensions_server_name"] or None,
              "ciphers": ints("tls.handshake.ciphersuite"),
              "extensions": [(t, b"") for t in ints("tls.handshake.extension.type")],
              "alpn": [a.encode() for a in v["tls.handshake.extensions_alpn_str"].split(",") if a],
              "sig_algs": ints("tls.handshake.sig_hash_alg")}
        key = (v["ip.src"] or v["ipv6.src"], int(v["udp.srcport"]))
        hellos.setdefault(key, (ch, v["tls.handshake.ja3"]))
    return hellos


@pytest.mark.parametrize("capture", QUIC_CAPTURES, ids=lambda p: os.path.relpath(p, CORPUS))
def test_quic_ja4_matches_tshark_and_reference(capture):
    hellos = tshark_quic_hellos(capture)
    assert hellos, "tshark found no QUIC ClientHello: the capture is not what it was"
    events = events_of(read_eve(capture), "quic")
    for (src, port), (ch, ja3) in hellos.items():
        mine = [e for e in events if e["src_ip"] == src and e["src_port"] == port]
        assert len(mine) == 1, f"{len(mine)} quic events for {src}:{port}"
        quic = mine[0]["quic"]
        assert quic["ja4"] == tlsparse.ja4(ch, "q")[0]
        assert quic["ja3"]["hash"] == ja3
        assert quic.get("sni") == ch["sni"]
        assert mine[0]["secaudit"]["tls"]["client_hellos"][0]["ja4_r"] == tlsparse.ja4(ch, "q")[1]
# Tunnels: the TLS inside is followed and the event names the destination
# the client asked the proxy for. FoxIO's reference lists both streams
# without a JA4: the SOCKS capture lost the client's ClientHello (tshark:
# "ACKed unseen segment"), so there is none to compute, only the server's
# side; the CONNECT stream's reference has JA4H only (HTTP), its ClientHello
# is in the capture and gives the JA4 below.
TUNNELS = [
    ("socks4-https.pcap", "10.0.0.1", 50606, "socks4a", "login.live.com", 443, None),
    ("https-connect.pcap", "10.11.12.13", 54723, "http", "ts01-b.cloudsink.net", 443,
     "t12i860500_e18388e7f3a3_a1e935682795"),
]


@pytest.mark.parametrize("capture,src,sport,proto,host,port,ja4", TUNNELS,
                         ids=[t[0] for t in TUNNELS])
def test_tunnel_followed(capture, src, sport, proto, host, port, ja4):
    ref = json.load(open(os.path.join(CORPUS, "ja4", capture + ".json")))
    assert [s.get("JA4.1") for s in ref if s["src"] == src] == [None]
    tls = [e for e in events_of(read_eve(os.path.join(CORPUS, "ja4", capture)), "tls")
           if e["src_ip"] == src and e["src_port"] == sport]
    assert len(tls) == 1
    assert tls[0]["secaudit"]["tunnel"] == {"protocol": proto, "dest_host": host,
                                            "dest_port": port}
    assert tls[0]["tls"].get("ja4") == ja4
    assert tls[0]["tls"]["version"] == "TLS 1.2"
    assert "CN=" in tls[0]["tls"]["subject"]
