#!/usr/bin/python3
"""make bench, probe part: what `tls13_certificates: probe` adds to a TLS 1.3
handshake through the gateway, in the namespace lab of tests/e2e/lab.py.

One monitor, one rules file with two zones told apart by SNI, so that the
three cases run against the same monitor in alternating blocks (drift on a
busy machine hits all alike):

  - off:    `*.off.lab.test`, a profile with the same certificate checks and
            `tls13_certificates: allow` (no probe);
  - first:  `h<N>.probe.lab.test`, a new SNI every handshake: every one is a
            cache miss, its server flight held until its probe answered;
  - cached: `c.probe.lab.test`: after the first, every answer is cached.

A client in the client namespace does one full TLS 1.3 handshake after
another (Python's ssl on OpenSSL: connect() to handshake done); the server
is tests/e2e/tls13_server.py (threads: the probe and the held client are
served at once). The reference for "first": the same client loop run from
the gateway namespace straight to the server, i.e. one handshake to the
server as the probe does it. Handshakes per second are those of the
sequential client (1 / mean latency).

Prints Markdown; also writes it to build/bench/probe.md.
Needs root. Usage: bench/probe.py [BIN_DIR]   (default build/bin)
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import lab as labmod  # noqa: E402

BIN = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin")
SERVER = ROOT / "tests" / "e2e" / "tls13_server.py"
BLOCKS, PER_BLOCK = 6, 60
PORT = 443

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

TIMER = r"""
import socket, ssl, sys, time
addr, port, n, pattern = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
start = int(sys.argv[5])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
for i in range(n):
    t0 = time.perf_counter()
    s = socket.create_connection((addr, port))
    t = ctx.wrap_socket(s, server_hostname=pattern.replace("N", str(start + i)))
    t1 = time.perf_counter()
    print(f"{(t1 - t0) * 1e6:.1f}")
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


def timed(lab, role, n, pattern, start=0):
    r = lab.run(role, "/usr/bin/python3", "-c", TIMER, lab.SRV4, PORT, n, pattern, start,
                timeout=600)
    return [float(x) for x in r.stdout.split()]


def main():
    if os.geteuid() != 0:
        sys.exit("bench/probe.py: needs root (network namespaces, iptables, NFQUEUE)")
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-probe-"))
    os.chmod(tmp, 0o755)
    lab = labmod.Lab(tmp)
    why = lab.up()
    if why:
        sys.exit(f"bench/probe.py: {why}")
    lat = {"off": [], "first": [], "cached": [], "gateway to server": []}
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
        lab.spawn("srv", "/usr/bin/python3", SERVER, tmp / "srv.pem", tmp / "srv.key", lab.SRV4,
                  str(PORT), tmp / "done.log")
        lab.wait_tcp_listen("srv", PORT)
        lab.run("gw", BIN / "secaudit", "setup-gateway", "--apply", "--ports", str(PORT))
        err = open(tmp / "monitor.err", "w+")
        mon = lab.spawn("gw", BIN / "secaudit-monitor", "--config", conf, stderr=err)
        deadline = time.monotonic() + 10
        while "enforcing" not in Path(err.name).read_text():
            if mon.poll() is not None or time.monotonic() > deadline:
                sys.exit("bench/probe.py: the monitor did not start: " +
                         Path(err.name).read_text())
            time.sleep(0.02)
        timed(lab, "cli", 5, "warm.off.lab.test")
        timed(lab, "cli", 1, "c.probe.lab.test")          # fills the cache
        first = 0
        for _ in range(BLOCKS):
            lat["off"] += timed(lab, "cli", PER_BLOCK, "x.off.lab.test")
            lat["first"] += timed(lab, "cli", PER_BLOCK, "hN.probe.lab.test", first)
            first += PER_BLOCK
            lat["cached"] += timed(lab, "cli", PER_BLOCK, "c.probe.lab.test")
            lat["gateway to server"] += timed(lab, "gw", PER_BLOCK, "x.off.lab.test")
        import json
        st = json.loads(lab.run("gw", BIN / "secaudit", "stats", "--json", "--socket",
                                sock).stdout)["probe"]
        lab.stop(mon)
    finally:
        lab.down()

    med = {k: statistics.median(v) for k, v in lat.items()}
    p90 = {k: sorted(v)[int(0.9 * (len(v) - 1))] for k, v in lat.items()}
    rate = {k: 1e6 / statistics.mean(v) for k, v in lat.items()}
    rows = [
        f"TLS 1.3 handshakes through the gateway, {BLOCKS} alternating blocks of {PER_BLOCK} "
        f"(µs, connect() to handshake done):",
        "",
        "| case | median µs | p90 µs | handshakes/s (one client) | added to off, median |",
        "|---|---|---|---|---|",
    ]
    for k in ("off", "cached", "first"):
        rows.append(f"| {k} | {med[k]:.0f} | {p90[k]:.0f} | {rate[k]:.0f} | "
                    f"{med[k] - med['off']:+.0f} µs |")
    rows.append(f"| reference: one handshake gateway → server | {med['gateway to server']:.0f} | "
                f"{p90['gateway to server']:.0f} | {rate['gateway to server']:.0f} | |")
    rows.append("")
    rows.append(f"first − off − one gateway handshake: "
                f"{med['first'] - med['off'] - med['gateway to server']:+.0f} µs (median); "
                f"handshakes/s cached/off {rate['cached'] / rate['off']:.2f}, "
                f"first/off {rate['first'] / rate['off']:.2f}; monitor's probe counters: "
                f"{st['probes']} probes, {st['cache_hits']} cache hits, "
                f"{st['held_packets']} held packets, wait p50/p90/p99 ≤ "
                f"{st['latency_ms_p50']}/{st['latency_ms_p90']}/{st['latency_ms_p99']} ms")
    rows.append(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
                f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    text = "\n".join(rows)
    print(text)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "probe.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
