#!/usr/bin/python3
"""Writes the seeds of tests/fuzz/fuzz_decode.c: a few header-only packets
(TCP SYNs, no payload) from corpus captures, one per link type and tunnel.

Run from the repository root:  /usr/bin/python3 tests/unit/data/decode/make_seeds.py
Each seed is one byte selecting the link type (its index in links[] of
fuzz_decode.c) followed by the packet.
"""
import os
import struct
import subprocess
import tempfile

CORPUS = "../shared/corpus/"
OUT = "tests/fuzz/seeds/fuzz_decode"
LINK_INDEX = {1: 0, 113: 1, 276: 2, 0: 6}   # pcap link type -> links[] index
SEEDS = {
    "gre-ipv4": ("ja4/gre-sample.pcap", "tcp.flags.syn==1"),
    "gre-erspan2-vxlan": ("ja4/gre-erspan-vxlan.pcap", "tcp.flags.syn==1"),
    "geneve": ("ja4/tcpdump-geneve.pcap", "tcp.flags.syn==1"),
    "null-ipv6": ("ja4/ipv6.pcapng", "tcp.flags.syn==1"),
    "eth-ipv6": ("ja4/v6.pcap", "tcp.flags.syn==1"),
    "sll2-ipv4": ("generated/a26_tls12_resumption_ticket_sll2.pcap", "tcp.flags.syn==1"),
    "eth-ipv4": ("generated/a01_tls13_openssl_sni_alpn_h2.pcap", "tcp.flags.syn==1"),
}


def first_packet(capture, filt):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "p.pcap")
        subprocess.run(["tshark", "-r", CORPUS + capture, "-Y", filt,
                        "-F", "pcap", "-w", out], check=True, capture_output=True)
        raw = open(out, "rb").read()
    magic, = struct.unpack("<I", raw[:4])
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    link, = struct.unpack(end + "I", raw[20:24])
    caplen, = struct.unpack(end + "I", raw[24 + 8:24 + 12])
    return link, raw[24 + 16:24 + 16 + caplen]


def ipv4(proto, body, opts=b""):
    ihl = 5 + len(opts) // 4
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(body), 1,
                       0x4000, 64, proto, 0, bytes([198, 18, 1, 2]),
                       bytes([198, 18, 2, 2])) + opts + body


def ipv6(nh, body):
    return struct.pack(">IHBB16s16s", 0x60000000, len(body), nh, 64,
                       b"\x20\x01" + b"\0" * 13 + b"\1",
                       b"\x20\x01" + b"\0" * 13 + b"\2") + body


TCP = struct.pack(">HHIIBBHHH", 40000, 443, 1, 0, 0x60, 0x02, 65535, 0, 0) + \
    bytes([2, 4, 5, 0xb4])
ETH = b"\xaa" * 6 + b"\xbb" * 6

# Hand-built: (links[] index, packet) for layers the corpus lacks.
BUILT = {
    "raw-ipv4-options": (3, ipv4(6, TCP, bytes([1, 7, 7, 4, 0, 0, 0, 0]))),
    "ipv6-exthdrs": (5, ipv6(0, bytes([44, 0, 0, 0, 0, 0, 0, 0]) +
                               bytes([6, 0, 0, 0, 0, 0, 0, 1]) + TCP)),
    "qinq-mpls-ipv4": (0, ETH + b"\x88\xa8\x00\x0a\x81\x00\x00\x0b\x88\x47" +
                        struct.pack(">II", 0x00010040, 0x00020140) + ipv4(6, TCP)),
    "pppoe-ipv6": (0, ETH + b"\x88\x64" +
                   struct.pack(">BBHHH", 0x11, 0, 1, 2 + 40 + len(TCP), 0x57) +
                   ipv6(6, TCP)),
    "erspan3-sub": (4, ipv4(47, struct.pack(">HHIIIIII", 0x1000, 0x22eb, 1,
                                           0x20000001, 0, 0x00000001, 0, 0) +
                           ETH + b"\x08\x00" + ipv4(6, TCP))),
    "pptp-ppp": (10, ipv4(47, struct.pack(">HHII", 0x3001, 0x880b, 0x00300001, 1) +
                          b"\xff\x03\x00\x21" + ipv4(6, TCP))),
    "loop-ipv4": (7, struct.pack(">I", 2) + ipv4(4, ipv4(6, TCP))),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (capture, filt) in SEEDS.items():
        link, pkt = first_packet(capture, filt)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([LINK_INDEX[link]]) + pkt)
    for name, (index, pkt) in BUILT.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([index]) + pkt)


if __name__ == "__main__":
    main()
