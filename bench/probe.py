#!/usr/bin/python3
"""make bench, probe part: what `tls13_certificates: probe` adds to a TLS 1.3
handshake through the gateway, in the namespace lab of tests/e2e/lab.py.

One monitor, one rules file with two zones told apart by SNI, and the server
listening on two ports, so that the four cases run through one gateway,
interleaved handshake by handshake (drift on a busy machine hits all alike):

  - none:   port 8443, which setup-gateway does not queue: no monitor on the
            path (forwarding only);
  - off:    port 443, `x.off.lab.test`: a profile with the same certificate
            checks and `tls13_certificates: allow` (no probe);
  - cached: port 443, `c.probe.lab.test`: after the first, every answer
            comes from the probe cache, judged in the queue thread;
  - first:  port 443, `h<N>.probe.lab.test`, a new SNI every handshake:
            every one a cache miss, its server flight held until its probe
            answered.

A client in the client namespace does one full TLS 1.3 handshake after
another (Python's ssl on OpenSSL: connect() to handshake done), cycling
through the cases (the order rotates every round). The server is
tests/e2e/tls13_server.py (threads: the probe and the held client are
served at once). The reference for "first": the same client run from the
gateway namespace straight to the server, i.e. one handshake as the probe
makes it, interleaved in blocks between the client's rounds.

Prints Markdown (median, p99, differences); also writes it to
build/bench/probe.md. Needs root.
Usage: bench/probe.py [BIN_DIR] [HANDSHAKES_PER_CASE]   (default build/bin 600)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import lab as labmod  # noqa: E402
from benchlib import machine, publish, start_monitor  # noqa: E402

BIN = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 600
ROUNDS = 10
SERVER = ROOT / "tests" / "e2e" / "tls13_server.py"
PORT, BARE_PORT = 443, 8443
CASES = {
    "none": (BARE_PORT, "x.off.lab.test"),
    "off": (PORT, "x.off.lab.test"),
    "cached": (PORT, "c.probe.lab.test"),
    "first": (PORT, "hN.probe.lab.test"),
}

RULES = """version: 1
profiles:
  probed:
    action: reject
    certificate: {{ca_file: {ca}}}
    tls13_certificates: probe
  plain:
    action: reject
    certificate: {{ca_file: {ca}}}
    tls13_certificates: allow
zones:
  - {{name: probed, profile: probed, match: {{sni: ["*.probe.lab.test"]}}}}
  - {{name: plain, profile: plain}}
"""

# argv: address, handshakes per case, first N of hN, then "name port sni"...
TIMER = r"""
import socket, ssl, sys, time
addr, n, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cases = [a.split() for a in sys.argv[4:]]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
for i in range(n):
    for k in range(len(cases)):
        name, port, sni = cases[(i + k) % len(cases)]
        t0 = time.perf_counter()
        s = socket.create_connection((addr, int(port)))
        t = ctx.wrap_socket(s, server_hostname=sni.replace("N", str(start + i)))
        t1 = time.perf_counter()
        print(name, f"{(t1 - t0) * 1e6:.1f}")
        t.close()
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def pki(d):
    """A CA and a server certificate for *.lab.test and its subdomains."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
    openssl("req", "-x509", *ec, "-nodes", "-days", "2", "-subj", "/CN=bench-ca", "-keyout",
            "ca.key", "-out", "ca.pem", cwd=d)
    openssl("req", "-new", *ec, "-nodes", "-subj", "/CN=lab.test", "-keyout", "srv.key",
            "-out", "srv.csr", cwd=d)
    Path(d, "ext.cnf").write_text("subjectAltName=DNS:*.probe.lab.test,DNS:*.off.lab.test,"
                                  "DNS:lab.test\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "ext.cnf", "-out", "srv.pem",
            cwd=d)


def timed(lab, role, n, cases, start=0):
    """{case: [µs, ...]} of n handshakes per case, interleaved."""
    r = lab.run(role, "/usr/bin/python3", "-c", TIMER, lab.SRV4, n, start,
                *(f"{c} {CASES[c][0]} {CASES[c][1]}" for c in cases), timeout=1200)
    out = {c: [] for c in cases}
    for line in r.stdout.splitlines():
        name, us = line.split()
        out[name].append(float(us))
    return out


def pct(v, q):
    s = sorted(v)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    if os.geteuid() != 0:
        sys.exit("bench/probe.py: needs root (network namespaces, iptables, NFQUEUE)")
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-probe-"))
    os.chmod(tmp, 0o755)
    lab = labmod.Lab(tmp)
    why = lab.up()
    if why:
        sys.exit(f"bench/probe.py: {why}")
    lat = {c: [] for c in (*CASES, "gateway to server")}
    try:
        pki(tmp)
        rules = tmp / "rules.yaml"
        rules.write_text(RULES.format(ca=tmp / "ca.pem"))
        sock = tmp / "bench-probe.sock"
        conf = tmp / "monitor.yaml"
        # no rate limit gets in the way of a probe per handshake
        conf.write_text(f"version: 1\nrules: {rules}\nalert_log: {tmp}/alerts.json\n"
                        f"stats_socket: {sock}\nprobe: {{rate_global: 100000, "
                        f"rate_per_destination: 100000, cache_size: 100000}}\n")
        for port in (PORT, BARE_PORT):
            lab.spawn("srv", "/usr/bin/python3", SERVER, tmp / "srv.pem", tmp / "srv.key",
                      lab.SRV4, str(port), tmp / f"done-{port}.log")
            lab.wait_tcp_listen("srv", port)
        lab.run("gw", BIN / "secaudit", "setup-gateway", "--apply", "--ports", str(PORT))
        mon = start_monitor(lab, BIN / "secaudit-monitor", conf, tmp / "monitor.err", timeout=20)
        timed(lab, "cli", 5, ["none", "off", "cached"], start=1000000)   # warm, fills the cache
        per = max(1, N // ROUNDS)
        for r in range(ROUNDS):
            for c, v in timed(lab, "cli", per, list(CASES), start=r * per).items():
                lat[c] += v
            lat["gateway to server"] += timed(lab, "gw", per // 4 or 1, ["none"])["none"]
        st = json.loads(lab.run("gw", BIN / "secaudit", "stats", "--json", "--socket",
                                sock).stdout)["probe"]
        lab.stop(mon)
    finally:
        lab.down()

    med = {k: statistics.median(v) for k, v in lat.items()}
    p99 = {k: pct(v, 0.99) for k, v in lat.items()}
    rate = {k: 1e6 / statistics.mean(v) for k, v in lat.items()}
    rows = [
        f"TLS 1.3 handshakes through the gateway, {ROUNDS} rounds, each case "
        f"{len(lat['none'])} times interleaved handshake by handshake (µs, connect() to "
        f"handshake done):",
        "",
        "| case | median µs | p99 µs | handshakes/s (one client) | median − none | median − off |",
        "|---|---|---|---|---|---|",
    ]
    for k in CASES:
        rows.append(f"| {k} | {med[k]:.0f} | {p99[k]:.0f} | {rate[k]:.0f} | "
                    f"{med[k] - med['none']:+.0f} | {med[k] - med['off']:+.0f} |")
    g = "gateway to server"
    rows.append(f"| reference: one handshake gateway → server ({len(lat[g])}) | {med[g]:.0f} | "
                f"{p99[g]:.0f} | {rate[g]:.0f} | | |")
    rows.append("")
    rows.append(f"cached − none: {med['cached'] - med['none']:+.0f} µs median (aim < 60); "
                f"first − off − one gateway handshake: "
                f"{med['first'] - med['off'] - med[g]:+.0f} µs median (aim ≤ 5000); "
                f"handshakes/s cached/off {rate['cached'] / rate['off']:.2f}, "
                f"first/off {rate['first'] / rate['off']:.2f}, off/none "
                f"{rate['off'] / rate['none']:.2f}")
    rows.append(f"monitor's probe counters: {st['probes']} probes, {st['cache_hits']} cache hits, "
                f"{st['held_packets']} held packets, wait p50/p90/p99 ≤ "
                f"{st['latency_ms_p50']}/{st['latency_ms_p90']}/{st['latency_ms_p99']} ms")
    rows.append(machine())
    publish("probe", "\n".join(rows))


if __name__ == "__main__":
    main()
