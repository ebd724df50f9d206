"""Google QUIC client hellos written into pcaps, from the specifications'
layouts (there is no gQUIC capture in the shared corpus, and no Debian
package speaks gQUIC any more).

Layouts: Google's "QUIC Wire Layout Specification" (Q043's public header:
flags, 8-byte connection id, version, packet number, then the 12-byte
message authentication hash and the frames; STREAM frame 1fdooo ss with a
big-endian data length), "QUIC Crypto" (the CHLO: tag, entry count and
padding as little-endian uint16s, then (tag, end offset uint32 LE) pairs
and the values), Q044-Q046's long header (4-bit connection id lengths),
and Q050/T050/T051 whose Initials are protected as RFC 9001 5 protects
QUIC v1's, with the version's own salt (the values Chromium, tshark and
Suricata use). T051 carries a TLS 1.3 ClientHello in an IETF CRYPTO frame.

Run as a script: `gquic_gen.py DIR` writes every capture into DIR.
"""
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC

SALTS = {
    b"Q050": bytes.fromhex("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45"),
    b"T050": bytes.fromhex("7ff579e5acd072915580304c43a2367c60488310"),
    b"T051": bytes.fromhex("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d"),
}

CLIENT = ("198.18.1.2", 50443)
SERVER = ("198.18.2.2", 443)
UA = "Chrome/61.0.3163.100 Linux x86_64"


def filler(name, n):
    """Deterministic bytes standing for a value this test does not read."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(name + bytes([i])).digest()
        i += 1
    return out[:n]


def tag_bytes(name):
    return name.encode().ljust(4, b"\0")


def value_of(name, version, sni, ua):
    if name == "SNI":
        return sni.encode()
    if name == "UAID":
        return ua.encode()
    if name == "VER":
        return version
    if name == "PDMD":
        return b"X509"
    if name in ("AEAD",):
        return b"AESG"
    if name == "KEXS":
        return b"C255"
    sizes = {"STK": 52, "CCS": 16, "NONC": 32, "SCID": 16, "PUBS": 35, "XLCT": 8,
             "NONP": 32, "CSCT": 0, "CCRT": 8}
    return filler(name.encode(), sizes.get(name, 4))


def chlo(tags, version, sni, size, ua=UA):
    """A CHLO with the tags in the order given, its PAD value sized so the
    message is `size` bytes (0: no padding beyond the tags' values)."""
    values = [value_of(t, version, sni, ua) if t != "PAD" else b"" for t in tags]
    head = 8 + 8 * len(tags)
    body = sum(len(v) for v in values)
    if "PAD" in tags and size:
        values[tags.index("PAD")] = b"\0" * max(0, size - head - body)
    out = b"CHLO" + struct.pack("<HH", len(tags), 0)
    end = 0
    for t, v in zip(tags, values):
        end += len(v)
        out += tag_bytes(t) + struct.pack("<I", end)
    return out + b"".join(values)


def stream_frame(data, stream_id=1, offset=0):
    """gQUIC STREAM: 1 f d ooo ss; a 1-byte stream id, a 2-byte offset when
    not 0 (ooo = 1), the data length (d) big-endian."""
    ooo = 1 if offset else 0
    out = bytes([0x80 | 0x20 | (ooo << 2)]) + bytes([stream_id])
    if offset:
        out += struct.pack(">H", offset)
    return out + struct.pack(">H", len(data)) + data


def q043_packet(payload_frames, cid, pn=1, version=b"Q043"):
    """Public flags 0x09: version, 8-byte connection id, 1-byte packet
    number; then the message authentication hash (not checked here)."""
    hdr = bytes([0x09]) + cid + version + bytes([pn])
    return hdr + filler(b"hash" + hdr, 12) + payload_frames


def q046_packet(payload_frames, cid, pn=1):
    """Long header 0xc3 (Initial, 4-byte packet number), Q046, DCIL/SCIL
    0x50 (8-byte destination id, no source id)."""
    hdr = bytes([0xc3]) + b"Q046" + bytes([0x50]) + cid + struct.pack(">I", pn)
    return hdr + filler(b"hash" + hdr, 12) + payload_frames


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack(">H", 0x4000 | v)
    return struct.pack(">I", 0x80000000 | v)


def hkdf_extract(salt, ikm):
    h = HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + b"\0"
    out, t, i = b"", b"", 1
    while len(out) < length:
        h = HMAC(secret, hashes.SHA256())
        h.update(t + info + bytes([i]))
        t = h.finalize()
        out += t
        i += 1
    return out[:length]


def protected_initial(version, dcid, plaintext, pn=0):
    """An Initial of `version` (RFC 9001 5: keys from the client's
    destination id and the version's salt, AES-128-GCM, AES-ECB header
    protection) carrying plaintext, padded to 1200 bytes."""
    secret = expand_label(hkdf_extract(SALTS[version], dcid), b"client in", 32)
    key = expand_label(secret, b"quic key", 16)
    iv = expand_label(secret, b"quic iv", 12)
    hp = expand_label(secret, b"quic hp", 16)
    pn_len = 4
    plaintext = plaintext + b"\0" * max(0, 1200 - 60 - len(plaintext))
    length = pn_len + len(plaintext) + 16
    hdr = (bytes([0xc0 | (pn_len - 1)]) + version + bytes([len(dcid)]) + dcid + b"\0" +
           varint(0) + struct.pack(">H", 0x4000 | length))
    pn_off = len(hdr)
    hdr += struct.pack(">I", pn)
    nonce = bytes(a ^ b for a, b in zip(iv, b"\0" * 4 + struct.pack(">Q", pn)))
    sealed = AESGCM(key).encrypt(nonce, plaintext, hdr)
    pkt = bytearray(hdr + sealed)
    sample = bytes(pkt[pn_off + 4:pn_off + 20])
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    pkt[0] ^= mask[0] & 0x0f
    for i in range(pn_len):
        pkt[pn_off + i] ^= mask[1 + i]
    return bytes(pkt)


def gquic_crypto_frame(data):
    """Q050's CRYPTO frame: type 0x08, offset and length as varints."""
    return b"\x08" + varint(0) + varint(len(data)) + data


def tls_client_hello(sni, alpn):
    def ext(t, body):
        return struct.pack(">HH", t, len(body)) + body
    name = sni.encode()
    sni_body = struct.pack(">HBH", len(name) + 3, 0, len(name)) + name
    proto = alpn.encode()
    alpn_body = struct.pack(">HB", len(proto) + 1, len(proto)) + proto
    exts = (ext(0, sni_body) + ext(10, bytes.fromhex("0002001d")) +
            ext(13, bytes.fromhex("000404030804")) + ext(16, alpn_body) +
            ext(43, bytes.fromhex("020304")) + ext(45, bytes.fromhex("0101")) +
            ext(51, struct.pack(">HHH", 36, 0x1d, 32) + filler(b"x25519", 32)) +
            ext(0xffa5, bytes.fromhex("0104800075300304800005dc")))
    body = (b"\x03\x03" + filler(b"random", 32) + b"\x00" + bytes.fromhex("0006130113021303") +
            b"\x01\x00" + struct.pack(">H", len(exts)) + exts)
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def write_pcap(path, datagrams):
    """datagrams: (from_client, payload) in order; Ethernet/IPv4/UDP with
    right checksums (the monitor checks them), a millisecond apart."""
    from scapy.all import IP, UDP, Ether, wrpcap  # slow import: only here
    pkts = []
    for i, (from_client, payload) in enumerate(datagrams):
        src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
        p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IP(src=src[0], dst=dst[0], ttl=64, id=i + 1) /
             UDP(sport=src[1], dport=dst[1]) / payload)
        p.time = 1700000000 + i / 1000
        pkts.append(p)
    wrpcap(path, pkts)


# Suricata's own CYU test cases (rust/src/quic/cyu.rs, after Salesforce's
# gQUIC fingerprinting write-up): tag lists and the hashes it expects.
CYU_Q043_INCHOATE = ["PAD", "SNI", "VER", "CCS", "PDMD", "ICSL", "MIDS", "CFCW", "SFCW"]
CYU_Q043_FULL = ["PAD", "SNI", "STK", "VER", "CCS", "NONC", "AEAD", "SCID", "PDMD", "ICSL",
                 "PUBS", "MIDS", "KEXS", "XLCT", "CFCW", "SFCW"]
CYU_Q046 = ["PAD", "SNI", "STK", "VER", "CCS", "NONC", "AEAD", "UAID", "SCID", "TCID", "PDMD",
            "SMHL", "ICSL", "NONP", "PUBS", "MIDS", "SCLS", "KEXS", "XLCT", "CSCT", "COPT",
            "CCRT", "IRTT", "CFCW", "SFCW"]
SURICATA_CYU = {
    "43,PAD-SNI-VER-CCS-PDMD-ICSL-MIDS-CFCW-SFCW": "e030dea1f2eea44ac7db5fe4de792acd",
    "43,PAD-SNI-STK-VER-CCS-NONC-AEAD-SCID-PDMD-ICSL-PUBS-MIDS-KEXS-XLCT-CFCW-SFCW":
        "d8b208b236d176c89407500dbefb04c2",
    "46,PAD-SNI-STK-VER-CCS-NONC-AEAD-UAID-SCID-TCID-PDMD-SMHL-ICSL-NONP-PUBS-MIDS-SCLS-"
    "KEXS-XLCT-CSCT-COPT-CCRT-IRTT-CFCW-SFCW": "a46560d4548108cf99308319b3b85346",
}
CYU_Q043_UA = ["PAD", "SNI", "STK", "VER", "CCS", "NONC", "AEAD", "UAID", "SCID", "PDMD", "ICSL",
               "PUBS", "MIDS", "KEXS", "XLCT", "CFCW", "SFCW"]


def captures():
    """name -> (datagrams, what the monitor must report)."""
    cid = bytes.fromhex("8a3b5c7d9e0f1021")
    inchoate = chlo(CYU_Q043_INCHOATE, b"Q043", "www.example.org", 1300)
    full = chlo(CYU_Q043_FULL, b"Q043", "www.example.org", 1300)
    out = {
        "gquic-q043.pcap": (
            [(True, q043_packet(stream_frame(inchoate), cid, 1)),
             (False, bytes([0x00, 0x01]) + filler(b"rej", 600)),
             (True, q043_packet(stream_frame(full, offset=len(inchoate)), cid, 2))],
            {"version": "Q043", "sni": "www.example.org", "ua": None,
             "cyu": ["43," + "-".join(CYU_Q043_INCHOATE), "43," + "-".join(CYU_Q043_FULL)]}),
        "gquic-q043-ua.pcap": (
            [(True, q043_packet(stream_frame(chlo(CYU_Q043_UA, b"Q043", "mail.example.com",
                                                  1300)), cid))],
            {"version": "Q043", "sni": "mail.example.com", "ua": UA,
             "cyu": ["43," + "-".join(CYU_Q043_UA)]}),
        "gquic-q046.pcap": (
            [(True, q046_packet(stream_frame(chlo(CYU_Q046, b"Q046", "video.example.net", 1300)),
                                cid))],
            {"version": "Q046", "sni": "video.example.net", "ua": UA,
             "cyu": ["46," + "-".join(CYU_Q046)]}),
        "gquic-q050.pcap": (
            [(True, protected_initial(b"Q050", cid, gquic_crypto_frame(
                chlo(CYU_Q043_UA, b"Q050", "maps.example.com", 0))))],
            {"version": "51303530", "sni": "maps.example.com", "ua": UA, "cyu": []}),
        "gquic-t051.pcap": (
            [(True, protected_initial(b"T051", cid, b"\x08" + varint(0) + varint(
                len(tls_client_hello("docs.example.org", "h3-T051"))) +
                tls_client_hello("docs.example.org", "h3-T051")))],
            {"version": "54303531", "sni": "docs.example.org", "ua": None, "cyu": []}),
        "gquic-t050.pcap": (
            [(True, protected_initial(b"T050", cid, b"\x08" + varint(0) + varint(
                len(tls_client_hello("news.example.org", "h3-T050"))) +
                tls_client_hello("news.example.org", "h3-T050")))],
            {"version": "54303530", "sni": "news.example.org", "ua": None, "cyu": []}),
    }
    return out


def bad_captures():
    """Malformed CHLOs: name -> (datagrams, the anomaly event expected)."""
    cid = bytes.fromhex("0102030405060708")
    good = chlo(CYU_Q043_INCHOATE, b"Q043", "bad.example.org", 600)
    # the second entry's end offset points past the values
    past = bytearray(good)
    struct.pack_into("<I", past, 8 + 8 + 4, 0xfffffff0)
    # the STREAM frame's data length runs past the packet
    short = q043_packet(stream_frame(good), cid)[:-100]
    # a Q050 Initial one byte of which was changed: it does not authenticate
    corrupt = bytearray(protected_initial(b"Q050", cid, gquic_crypto_frame(good)))
    corrupt[100] ^= 1
    return {
        "gquic-bad-offset.pcap": ([(True, q043_packet(stream_frame(bytes(past)), cid))],
                                  "quic.invalid_frame"),
        "gquic-bad-length.pcap": ([(True, short)], "quic.invalid_frame"),
        "gquic-bad-q050.pcap": ([(True, bytes(corrupt))], "quic.failed_decrypt"),
    }


def write_all(directory):
    for name, (dgrams, _) in {**captures(), **bad_captures()}.items():
        write_pcap(os.path.join(directory, name), dgrams)


if __name__ == "__main__":
    write_all(sys.argv[1])
