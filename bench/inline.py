#!/usr/bin/python3
"""make bench, inline part: the namespace lab of tests/e2e/lab.py, the same
run measuring the gateway without and with secaudit-monitor (rules/demo.yaml
plus the lab's self-signed certificate allowed; setup-gateway's rules). The
gateway "without" is a stateful firewall (one conntrack rule), as gateways
are; iperf3 is also run with no netfilter rules at all:

  - iperf3 bulk throughput (the iperf3 port is queued too, so the monitor
    sees the flow, finds no TLS in it and bypasses it);
  - full TLS handshakes per second (openssl s_time -new, TLS 1.3 and 1.2,
    and TLS 1.2 from a server that issues no session tickets);
  - the handshake latency the monitor adds: a client doing one full TLS 1.3
    handshake after another, connect() to handshake done, median and p99,
    without the monitor, through a consumer that only answers (the queue's
    own cost for the same packets) and with the monitor, in alternating
    blocks so drift on a busy machine hits all alike;
  - the most handshakes per second the monitor can judge: handshakes judged
    per CPU-second of the monitor (utime + stime from /proc), times the
    machine's cores.

Prints a Markdown table with ratios; also writes it to build/bench/inline.md.
Needs root. Usage: bench/inline.py [BIN_DIR]   (default build/bin)
"""

import os
import re
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
DEMO_RULES = ROOT / "rules" / "demo.yaml"
IPERF_SECONDS = 5
STIME_SECONDS = 6
ROUNDS = 3
LATENCY_BLOCKS, LATENCY_PER_BLOCK = 10, 300

HANDSHAKE_TIMER = r"""
import socket, ssl, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
for _ in range(n):
    t0 = time.perf_counter()
    s = socket.create_connection((addr, 443))
    t = ctx.wrap_socket(s, server_hostname="good.lab.test")
    t1 = time.perf_counter()
    print(f"{(t1 - t0) * 1e6:.1f}")
    t.close()
"""


def iperf(lab):
    r = lab.run("cli", "iperf3", "-c", lab.SRV4, "-t", IPERF_SECONDS, "-J", timeout=60)
    import json
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9


def s_time(lab, version, port=443):
    r = lab.run("cli", "openssl", "s_time", "-connect", f"{lab.SRV4}:{port}", "-new",
                "-time", STIME_SECONDS, f"-{version}", timeout=60, check=False)
    # not "N connections in X.XXs": those are the client's CPU seconds
    m = re.search(r"(\d+) connections in (\d+) real seconds", r.stdout)
    if not m:
        raise RuntimeError(f"s_time printed no rate:\n{r.stdout}{r.stderr}")
    return int(m.group(1)) / float(m.group(2))


def latencies(lab, n):
    r = lab.run("cli", "/usr/bin/python3", "-c", HANDSHAKE_TIMER, lab.SRV4, n, timeout=300)
    return [float(x) for x in r.stdout.split()]


def cpu_seconds(pid):
    """(user, system) CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


class Monitor:
    def __init__(self, lab):
        self.lab = lab
        self.sock = os.path.join(lab.tmp, "bench-monitor.sock")
        self.err = open(os.path.join(lab.tmp, "bench-monitor.err"), "w+")
        self.proc = lab.spawn("gw", BIN / "secaudit-monitor", "--rules", lab.rules, "--queue", "0",
                              "--log", os.path.join(lab.tmp, "bench-alerts.json"),
                              "--stats-socket", self.sock, stderr=self.err)
        deadline = time.monotonic() + 10
        while "enforcing" not in Path(self.err.name).read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("secaudit-monitor did not start: " +
                                   Path(self.err.name).read_text())
            time.sleep(0.02)

    def stats(self):
        import json
        r = self.lab.run("gw", BIN / "secaudit", "stats", "--json", "--socket", self.sock)
        return json.loads(r.stdout)

    def stop(self):
        self.lab.stop(self.proc)


def build_probe(tmp):
    out = str(tmp / "nfq_probe")
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Icommon", "-Imonitor", "-Icli",
                    *labmod.PROBE_SOURCES,
                    *[f for f in labmod.PROBE_OPTIONAL if (ROOT / f).exists()],
                    "-lnetfilter_queue", "-o", out], cwd=ROOT, check=True)
    return out


def stateful(lab, on):
    """The baseline gateway: a stateful firewall (conntrack), as a gateway
    has; setup-gateway's rules go in front of it and leave it alone."""
    for tool in ("iptables", "ip6tables"):
        rule = ["FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"]
        present = lab.run("gw", tool, "-C", *rule, check=False).returncode == 0
        if on and not present:
            lab.run("gw", tool, "-A", *rule)
        elif not on and present:
            lab.run("gw", tool, "-D", *rule)


def gateway(lab, on):
    args = ["--apply", "--ports", "443,4443,5201"] if on else ["--remove"]
    lab.run("gw", BIN / "secaudit", "setup-gateway", *args)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    if os.geteuid() != 0:
        sys.exit("bench/inline.py: needs root (network namespaces, iptables, NFQUEUE)")
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-"))
    lab = labmod.Lab(tmp)
    why = lab.up()
    if why:
        sys.exit(f"bench/inline.py: {why}")
    rows = []
    try:
        # the demo policy, accepting the lab's self-signed certificate
        cert, key = labmod.make_cert(tmp, cn="good.lab.test")
        text = DEMO_RULES.read_text()
        assert "      match_sni: false\n" in text
        lab.rules = tmp / "bench-rules.yaml"
        lab.rules.write_text(text.replace("      match_sni: false\n",
                                          "      match_sni: false\n      allow_self_signed: true\n"))
        labmod.start_tls_server(lab, cert, key)
        # the same server without session tickets: a TLS 1.2 session is then
        # decided at its ServerHelloDone (no NewSessionTicket to wait for)
        labmod.start_tls_server(lab, cert, key, port=4443, extra=("-no_ticket",))
        lab.spawn("srv", "iperf3", "-s")
        lab.wait_tcp_listen("srv", 5201)
        lab.run("cli", "ping", "-c", "1", "-W", "2", lab.SRV4, check=False)

        # alternating rounds, so drift on a busy machine hits both alike
        res = {}
        for _ in range(ROUNDS):
            stateful(lab, False)
            res.setdefault(("bare", "iperf"), []).append(iperf(lab))
            stateful(lab, True)
            for on in (False, True):
                gateway(lab, on)
                mon = Monitor(lab) if on else None
                key_ = "with" if on else "without"
                res.setdefault((key_, "iperf"), []).append(iperf(lab))
                cpu0 = cpu_seconds(mon.proc.pid) if mon else (0, 0)
                for v, port in (("tls1_3", 443), ("tls1_2", 443), ("tls1_2 no ticket", 4443)):
                    rate = s_time(lab, v.split()[0], port)
                    res.setdefault((key_, v), []).append(rate)
                    if mon:
                        res["handshakes"] = res.get("handshakes", 0) + rate * STIME_SECONDS
                if mon:
                    cpu1 = cpu_seconds(mon.proc.pid)
                    res["user"] = res.get("user", 0) + cpu1[0] - cpu0[0]
                    res["system"] = res.get("system", 0) + cpu1[1] - cpu0[1]
                    st = mon.stats()
                    res["packets"] = res.get("packets", 0) + st["packets"]
                    mon.stop()
        gateway(lab, False)
        res = {k: statistics.median(v) if isinstance(v, list) else v for k, v in res.items()}

        stateful(lab, False)
        # the same 2 packets per handshake through a consumer that does
        # nothing but answer (tests/e2e/nfq_probe.c): the queue's own cost
        probe = build_probe(tmp)
        lat = {"without": [], "noop": [], "with": []}
        for _ in range(LATENCY_BLOCKS):
            for mode in lat:
                gateway(lab, mode != "without")
                if mode == "with":
                    mon = Monitor(lab)
                elif mode == "noop":
                    mon = labmod.Probe(lab, probe, "--mode", "bypass-after:1")
                lat[mode] += latencies(lab, LATENCY_PER_BLOCK)
                if mode == "with":
                    mon.stop()
                elif mode == "noop":
                    mon.kill()
        gateway(lab, False)
    finally:
        lab.down()

    cores = os.cpu_count() or 1
    hs = res["handshakes"]
    per_core = hs / res["user"] if res["user"] > 0 else float("inf")
    med = {k: statistics.median(v) for k, v in lat.items()}
    p99 = {k: pct(v, 99) for k, v in lat.items()}
    rows.append(f"| measure (median of {ROUNDS} rounds) | without monitor | with monitor | "
                f"ratio / added |")
    rows.append("|---|---|---|---|")
    rows.append(f"| iperf3 Gbit/s ({IPERF_SECONDS} s) | {res['without', 'iperf']:.2f} | "
                f"{res['with', 'iperf']:.2f} | {res['with', 'iperf'] / res['without', 'iperf']:.2f} |")
    rows.append(f"| iperf3 Gbit/s, gateway with no netfilter rules at all | "
                f"{res['bare', 'iperf']:.2f} | | {res['with', 'iperf'] / res['bare', 'iperf']:.2f} "
                f"(conntrack's own cost included) |")
    for v, name in (("tls1_3", "TLS 1.3"), ("tls1_2", "TLS 1.2"),
                    ("tls1_2 no ticket", "TLS 1.2, server sends no ticket")):
        rows.append(f"| {name} handshakes/s (s_time -new, {STIME_SECONDS} s) | "
                    f"{res['without', v]:.0f} | {res['with', v]:.0f} | "
                    f"{res['with', v] / res['without', v]:.2f} |")
    rows.append(f"| TLS 1.3 handshake, median µs (n={len(lat['with'])}) | {med['without']:.0f} | "
                f"{med['with']:.0f} | {med['with'] - med['without']:+.0f} µs |")
    rows.append(f"| TLS 1.3 handshake, p99 µs | {p99['without']:.0f} | {p99['with']:.0f} | "
                f"{p99['with'] - p99['without']:+.0f} µs |")
    rows.append(f"| the same through a no-op queue consumer (median / p99 µs) | | "
                f"{med['noop']:.0f} / {p99['noop']:.0f} | "
                f"{med['noop'] - med['without']:+.0f} / {p99['noop'] - p99['without']:+.0f} µs: "
                f"the queue's own round trips |")
    rows.append(f"| monitor user CPU per handshake (its own code) | | {res['user'] / hs * 1e6:.1f} µs | "
                f"{per_core:,.0f} handshakes/s per core, ~{per_core * cores:,.0f} on {cores} cores |")
    rows.append(f"| monitor system CPU per handshake (netlink, and the forwarding the "
                f"kernel does on the verdict) | | {res['system'] / hs * 1e6:.1f} µs | |")
    note = (f"\nQueued during the s_time runs: {res['packets']} packets for {hs:.0f} handshakes "
            f"({res['packets'] / hs:.2f} per handshake, TLS 1.3 and 1.2 mixed).\n")
    table = "\n".join(rows) + "\n" + note
    print(table)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "inline.md").write_text(table)


if __name__ == "__main__":
    main()
