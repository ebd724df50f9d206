#!/usr/bin/python3
"""Regenerates expected.txt, tshark's view of the TCP packets in corpus
captures, which tests/unit/test_decode.c compares the decoder against.

Run from the repository root:  /usr/bin/python3 tests/unit/data/decode/gen.py

Format, one line per case:
  capture <path relative to the corpus root> <number of TCP packets>
  tcp <frame number> <src ip> <dst ip> <sport> <dport> <tcp payload length> <tunnels>
The tcp lines follow their capture line. IP fragments are not reassembled
(the decoder does not either) and TCP inside ICMP errors does not count.
<tunnels> counts encapsulations: GRE, VXLAN, Geneve and IP directly in IP.
"""
import os
import subprocess
import sys

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "../../../../../shared/corpus")
CAPTURES = [
    "ja4/CVE-2018-6794.pcap", "ja4/badcurveball.pcap",
    "ja4/gre-erspan-vxlan.pcap", "ja4/gre-sample.pcap",
    "ja4/https-connect.pcap", "ja4/https3-301-get.pcap", "ja4/ipv6.pcapng",
    "ja4/macos_tcp_flags.pcap", "ja4/quic-tls-handshake.pcapng",
    "ja4/single-packets.pcap", "ja4/socks4-https.pcap",
    "ja4/tcpdump-geneve.pcap", "ja4/tls-alpn-h2.pcap",
    "ja4/tls-handshake.pcapng", "ja4/tls-non-ascii-alpn.pcapng",
    "ja4/tls-sni.pcapng", "ja4/tls12.pcap", "ja4/tls3.pcapng", "ja4/v6.pcap",
    "generated/a01_tls13_openssl_sni_alpn_h2.pcap",
    "generated/a26_tls12_resumption_ticket_sll2.pcap",
    "generated/a40_malformed_cipher_vector_length_lies.pcap",
    "generated/a43_tls13_ipv6_loopback_gnutls_server.pcap",
]
FIELDS = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.len"]


def rows(path):
    cmd = ["tshark", "-n", "-r", path,
           "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
           "-E", "occurrence=l", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        num, protos, s4, d4, s6, d6, sport, dport, plen = line.split("\t")
        layers = protos.split(":")
        below = layers[:layers.index("tcp")]
        ips = [p for p in below if p in ("ip", "ipv6")]
        src, dst = (s4, d4) if ips[-1] == "ip" else (s6, d6)
        tunnels = sum(below.count(t) for t in ("gre", "vxlan", "geneve"))
        tunnels += sum(1 for a, b in zip(below, below[1:])
                       if a in ("ip", "ipv6") and b in ("ip", "ipv6"))
        yield f"tcp {num} {src} {dst} {sport} {dport} {plen} {tunnels}"


def main():
    lines = []
    for cap in CAPTURES:
        found = list(rows(os.path.join(CORPUS, cap)))
        lines.append(f"capture {cap} {len(found)}")
        lines += found
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected.txt")
    with open(dest, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{dest}: {len(lines)} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
