#!/usr/bin/python3
"""make bench, QUIC part.

Offline: QUIC Initials judged per second. A capture is made of N copies of
the real Chrome-to-Cloudflare QUIC handshake of the corpus
(suricata-verify/ja4-tls-quic: client Initial with its ClientHello, the
server's Initial with its ServerHello coalesced with Handshake packets, then
the rest of the connection's long header packets), each copy its own client
port and address, so every copy is a flow of its own: its Initial keys
derived, both Initials decrypted, both hellos parsed and judged. Timed, in
the same run: the libpcap read loop (floor), `secaudit read --eve --rules`
with a policy of hello checks (versions, suites, groups, SNI and JA4 lists,
ALPN: what applies to QUIC), and tshark, which decrypts QUIC Initials too,
printing the SNI of every QUIC ClientHello.

Inline (root): the handshake latency through the gateway with and without
the monitor, Debian's ngtcp2 example client (gtlsclient: one QUIC
handshake and one HTTP/3 GET of a small file, process start included) to
gtlsserver in the namespace lab, in alternating blocks.

Prints Markdown; also appends it to build/bench/quic.md.
Usage: bench/quic.py [BIN_DIR]   (default build/bin)
"""

import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin")
OUT = ROOT / "build" / "bench"
SOURCE = ROOT.parent / "shared" / "corpus" / "suricata-verify" / "ja4-tls-quic" / "input.pcap"
COPIES = 5000
RUNS = 3
LAT_BLOCKS, LAT_PER_BLOCK = 4, 25
POLICY = """version: 1
profiles:
  web:
    action: drop
    versions: {min: TLS1.2}
    cipher_suites: {forbid: [non_aead, no_forward_secrecy, export, null, anon, rc4, des, 3des]}
    sni: {deny: ["*.evil.example", tracker.example.net]}
    ja4: {deny: [t13d1516h2_8daaf6152771_e5627efa2ab1]}
    alpn: {allow: [h3, h2, http/1.1]}
zones:
  - {name: web, profile: web}
"""


def long_header_datagrams(path):
    """(ts, raw IPv6 packet) of the capture's UDP datagrams whose payload
    starts with a long header (Ethernet, IPv6 without extension headers)."""
    data = Path(path).read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "a little-endian pcap"
    off, out = 24, []
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(pkt) < 14 + 48 or pkt[12:14] != b"\x86\xdd" or pkt[14 + 6] != 17:
            continue
        ip = pkt[14:]
        if ip[48] & 0x80:
            out.append((sec + usec / 1e6, ip))
    return out


# ---- QUIC v1 Initial protection (RFC 9001 5), for re-keying the copies ----
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def hkdf_label(secret, label, length):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def initial_keys(dcid, server):
    import hmac
    import hashlib
    initial = hmac.new(SALT_V1, dcid, hashlib.sha256).digest()        # HKDF-Extract
    secret = hkdf_label(initial, b"server in" if server else b"client in", 32)
    return (hkdf_label(secret, b"quic key", 16), hkdf_label(secret, b"quic iv", 12),
            hkdf_label(secret, b"quic hp", 16))


def hp_mask(hp, sample):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    return enc.update(sample) + enc.finalize()


def varint(b, i):
    n = 1 << (b[i] >> 6)
    v = b[i] & 0x3f
    for k in range(1, n):
        v = v << 8 | b[i + k]
    return v, i + n


def packets(dgram):
    """(header fields, packet bytes) of each long header packet of a
    datagram: first, dcid, scid, offset of the packet number, total length."""
    i, out = 0, []
    while i < len(dgram) and dgram[i] & 0x80:
        p = i
        dl = dgram[p + 5]
        dcid = dgram[p + 6:p + 6 + dl]
        sl = dgram[p + 6 + dl]
        scid = dgram[p + 7 + dl:p + 7 + dl + sl]
        j = p + 7 + dl + sl
        kind = (dgram[p] >> 4) & 3
        if kind == 0:                                     # Initial: token
            tl, j = varint(dgram, j)
            j += tl
        length, j = varint(dgram, j)
        out.append((kind, dcid, scid, j - p, dgram[p:j + length]))
        i = j + length
    return out


def unprotect(pkt, pn_off, keys):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key, iv, hp = keys
    mask = hp_mask(hp, pkt[pn_off + 4:pn_off + 20])
    first = pkt[0] ^ (mask[0] & 0x0f)
    n = (first & 3) + 1
    pnb = bytes(pkt[pn_off + k] ^ mask[1 + k] for k in range(n))
    pn = int.from_bytes(pnb, "big")
    header = bytes([first]) + pkt[1:pn_off] + pnb
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    return header, pn, AESGCM(key).decrypt(nonce, pkt[pn_off + n:], header)


def protect(header, pn_off, pn, plain, keys):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key, iv, hp = keys
    n = (header[0] & 3) + 1
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    pkt = bytearray(header + AESGCM(key).encrypt(nonce, plain, header))
    mask = hp_mask(hp, bytes(pkt[pn_off + 4:pn_off + 20]))
    pkt[0] ^= mask[0] & 0x0f
    for k in range(n):
        pkt[pn_off + k] ^= mask[1 + k]
    return bytes(pkt)


def make_capture(path, copies):
    """copies of the handshake, each its own client address and port and its
    own connection ids (so tshark, which tells QUIC connections apart by
    them, sees each copy as one): the Initials decrypted once and protected
    again under the keys of each copy's ids. Handshake packets keep their
    ciphertext (nobody here can read them) under the new ids. The UDP
    checksum is left as it was: the decoders here do not check it."""
    dgrams = long_header_datagrams(SOURCE)
    client = dgrams[0][1][8:24]
    first = packets(dgrams[0][1][48:])[0]
    odcid, cscid = first[1], first[2]
    sscid = next(p[2] for _, ip in dgrams if ip[8:24] != client for p in packets(ip[48:]))
    keys = {False: initial_keys(odcid, False), True: initial_keys(odcid, True)}
    plan = []                     # per datagram: (from server, [(kind, pn_off, parts)])
    for _, ip in dgrams:
        srv = ip[8:24] != client
        pk = []
        for kind, dcid, scid, pn_off, pkt in packets(ip[48:]):
            if kind == 0:
                header, pn, plain = unprotect(pkt, pn_off, keys[srv])
                pk.append((kind, dcid, scid, header, pn_off, pn, plain))
            else:
                pk.append((kind, dcid, scid, pkt, pn_off, None, None))
        plan.append((srv, ip[:48], pk))
    ids = {}

    def rename(cid, i):
        # the same id in every packet of a copy gets the same new id
        if not cid:
            return cid
        if cid not in ids:
            ids[cid] = len(ids) + 1
        return (struct.pack(">HI", ids[cid], i) + cid[6:])[:len(cid)]

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        t0 = 1700000000.0
        for i in range(copies):
            addr = client[:12] + struct.pack(">I", i)
            port = 20000 + i % 40000       # clear of the VXLAN and Geneve ports
            new_odcid = rename(odcid, i)
            ck = {False: initial_keys(new_odcid, False), True: initial_keys(new_odcid, True)}
            for k, (srv, iphdr, pk) in enumerate(plan):
                payload = b""
                for kind, dcid, scid, hdr, pn_off, pn, plain in pk:
                    nd, ns = rename(dcid, i), rename(scid, i)
                    assert len(nd) == len(dcid) and len(ns) == len(scid)
                    h = bytearray(hdr[:pn_off] if kind == 0 else hdr)
                    h[6:6 + len(dcid)] = nd
                    h[7 + len(dcid):7 + len(dcid) + len(scid)] = ns
                    if kind == 0:
                        payload += protect(bytes(h) + hdr[pn_off:], pn_off, pn, plain, ck[srv])
                    else:
                        payload += bytes(h)
                ip = bytearray(iphdr) + payload
                ip[4:6] = struct.pack(">H", len(ip) - 40)
                ip[44:46] = struct.pack(">H", len(ip) - 40)
                ip[8 if not srv else 24:24 if not srv else 40] = addr
                ip[40 if not srv else 42:42 if not srv else 44] = struct.pack(">H", port)
                t = t0 + i * 0.001 + k * 1e-5
                f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(ip), len(ip)))
                f.write(ip)
    return len(dgrams)


def timed(cmd, runs):
    """Median wall and CPU (user + system, from the child's rusage) seconds
    of runs runs, and the last run's output. CPU is the figure to read on a
    machine others share: wall time there measures the queue for the cores."""
    import resource
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {r.stderr.decode()[:500]}")
    return statistics.median(walls), statistics.median(cpus), r.stdout


def offline():
    OUT.mkdir(parents=True, exist_ok=True)
    cap = OUT / "quic-bulk.pcap"
    per = make_capture(cap, COPIES)
    floor = OUT / "pcap_floor"
    if not floor.exists():
        subprocess.run(["cc", "-O2", "-o", floor, ROOT / "bench" / "pcap_floor.c", "-lpcap"],
                       check=True)
    rows = [f"QUIC offline: {COPIES} copies of a real Chrome QUIC handshake ({per} long header "
            f"datagrams each: 1 client Initial, 2 server Initials, Handshake packets), "
            f"{cap.stat().st_size / 1e6:.1f} MB; median of {RUNS} runs\n",
            "| command | wall s | CPU s | handshakes per CPU-second | Initials decrypted "
            "per CPU-second | CPU × floor |",
            "|---|---|---|---|---|---|"]
    w_floor, c_floor, _ = timed([floor, cap], RUNS)
    eve = OUT / "quic-bulk.eve"
    policy = OUT / "quic-policy.yaml"
    policy.write_text(POLICY)
    w_read, c_read, _ = timed([BIN / "secaudit", "read", "--eve", "--rules", policy, "-o", eve,
                               cap], RUNS)
    lines = eve.read_text().splitlines()
    quic = sum('"event_type":"quic"' in ln for ln in lines)
    assert quic == COPIES, f"{quic} quic events for {COPIES} connections"
    initials = 3 * COPIES      # the client's one and the server's two, per copy
    ref = []
    tshark = shutil.which("tshark") or "/usr/bin/tshark"
    if os.path.exists(tshark):
        w_ts, c_ts, out = timed([tshark, "-r", cap, "-Y", "quic && tls.handshake.type == 1",
                                 "-T", "fields", "-e", "tls.handshake.extensions_server_name"], 1)
        got = len(out.split())
        ref.append((f"`tshark` SNI of every QUIC ClientHello ({got} found)", w_ts, c_ts))
    for name, w, c in ([("libpcap read loop (floor)", w_floor, c_floor),
                        ("`secaudit read --eve --rules` (hello checks)", w_read, c_read)] + ref):
        rows.append(f"| {name} | {w:.3f} | {c:.3f} | {COPIES / c:,.0f} | {initials / c:,.0f} | "
                    f"{c / c_floor:.1f} |")
    if ref:
        rows.append(f"\nsecaudit uses {ref[0][2] / c_read:.1f}× less CPU than tshark on this "
                    f"capture (wall: {ref[0][1] / w_read:.1f}× less).")
    return "\n".join(rows)


def inline():
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import lab as labmod
    for b in ("gtlsclient", "gtlsserver"):
        if not shutil.which(b):
            return f"\nQUIC inline: SKIPPED ({b} missing: Debian ngtcp2-client/ngtcp2-server)"
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-quic-"))
    lab = labmod.Lab(tmp)
    why = lab.up()
    if why:
        return f"\nQUIC inline: SKIPPED ({why})"
    hosts = Path("/etc/netns", lab.ns("cli"))
    lat = {"without": [], "with": []}
    try:
        cert, key = labmod.make_cert(tmp, "quic", cn="good.lab.test")
        www = tmp / "www"
        www.mkdir()
        (www / "hello").write_text("hello\n")
        lab.spawn("srv", "gtlsserver", "-q", "-d", www, lab.SRV4, 443, key, cert)
        hosts.mkdir(parents=True, exist_ok=True)
        (hosts / "hosts").write_text(f"{lab.SRV4} good.lab.test\n")
        rules = tmp / "rules.yaml"
        rules.write_text("version: 1\nprofiles:\n  p:\n    action: drop\n"
                         "    versions: {min: TLS1.2}\n    sni: {deny: [blocked.lab.test]}\n"
                         "zones:\n  - {name: z, profile: p}\n")
        dl = tmp / "dl"
        dl.mkdir()
        for _ in range(LAT_BLOCKS):
            for mode in lat:
                on = mode == "with"
                lab.run("gw", BIN / "secaudit", "setup-gateway",
                        *(["--apply"] if on else ["--remove"]))
                mon = lab.spawn("gw", BIN / "secaudit-monitor", "--rules", rules, "--queue", "0",
                                "--log", tmp / "alerts.json") if on else None
                time.sleep(0.5 if on else 0)
                for _ in range(LAT_PER_BLOCK):
                    t0 = time.perf_counter()
                    lab.run("cli", "gtlsclient", "-q", "--exit-on-all-streams-close",
                            "--download", dl, "good.lab.test", 443,
                            "https://good.lab.test/hello", timeout=20)
                    lat[mode].append((time.perf_counter() - t0) * 1e3)
                    assert (dl / "hello").exists(), "the QUIC GET failed"
                    (dl / "hello").unlink()
                if mon:
                    lab.stop(mon)
    finally:
        lab.down()
        shutil.rmtree(hosts, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in lat.items()}
    p90 = {k: sorted(v)[int(0.9 * (len(v) - 1))] for k, v in lat.items()}
    return "\n".join([
        f"\nQUIC inline: gtlsclient -> gateway -> gtlsserver, one handshake and one HTTP/3 GET "
        f"per run (process start included), n={len(lat['with'])} each, alternating blocks\n",
        "| measure | without monitor | with monitor | added |", "|---|---|---|---|",
        f"| median ms | {med['without']:.1f} | {med['with']:.1f} | "
        f"{med['with'] - med['without']:+.1f} ms |",
        f"| p90 ms | {p90['without']:.1f} | {p90['with']:.1f} | "
        f"{p90['with'] - p90['without']:+.1f} ms |"])


def main():
    text = offline()
    if os.geteuid() == 0:
        text += "\n" + inline()
    else:
        text += "\nQUIC inline: SKIPPED (needs root: network namespaces, NFQUEUE)"
    text += (f"\nmachine: {os.cpu_count()} cores; "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
             f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n")
    print(text)
    with open(OUT / "quic.md", "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
