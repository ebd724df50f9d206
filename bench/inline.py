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
    handshake after another, connect() to handshake done, median, p90 and
    p99 over LATENCY_BLOCKS blocks of LATENCY_PER_BLOCK handshakes for each
    of three gateways, the blocks rotating through them (without, no-op,
    with) so drift on a busy machine hits all alike: without the monitor,
    through a consumer that only answers the same 2 packets per handshake
    (tests/e2e/nfq_probe.c: the queue's own cost, the floor) and with the
    monitor; the monitor's own share is its figure minus the no-op's, and
    the time its packets spent in user space (the queue's residence
    histogram, from receive to the verdict's send) is read from both;
  - the most handshakes per second the monitor can judge: handshakes judged
    per CPU-second of the monitor (utime + stime from /proc), times the
    machine's cores.

Prints a Markdown table with ratios; also writes it to build/bench/inline.md.
Needs root. About 5 minutes (--latency-only: 2).
Usage: bench/inline.py [BIN_DIR] [--latency-only] [--queue-cpu LIST]
  BIN_DIR         default build/bin
  --latency-only  the latency blocks alone (no iperf3, no s_time)
  --queue-cpu     the monitor's queue thread pinned (secaudit-monitor's flag)
"""

import argparse
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

ARGS = argparse.ArgumentParser(description="inline benchmark (namespace lab)")
ARGS.add_argument("bin", nargs="?", default=str(ROOT / "build" / "bin"))
ARGS.add_argument("--latency-only", action="store_true")
ARGS.add_argument("--queue-cpu", default=None)
OPTS = ARGS.parse_args()
BIN = Path(OPTS.bin)
DEMO_RULES = ROOT / "rules" / "demo.yaml"
IPERF_SECONDS = 5
STIME_SECONDS = 6
ROUNDS = 3
LATENCY_BLOCKS, LATENCY_PER_BLOCK = 11, 200   # 2,200 handshakes per gateway

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
        pin = ["--queue-cpu", OPTS.queue_cpu] if OPTS.queue_cpu else []
        self.proc = lab.spawn("gw", BIN / "secaudit-monitor", "--rules", lab.rules, "--queue", "0",
                              "--log", os.path.join(lab.tmp, "bench-alerts.json"),
                              "--stats-socket", self.sock, *pin, stderr=self.err)
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
    """tests/e2e/nfq_probe.c, built as the e2e tests build it."""
    class Dirs:              # the part of pytest's tmp_path_factory build_tool uses
        @staticmethod
        def mktemp(name):
            d = tmp / name
            d.mkdir()
            return d
    return labmod.build_tool(Dirs, "nfq_probe")


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


def residence(nfq):
    """p50 and p99 in µs of the residence histogram of an nfq stats object
    (user space: from receive to the verdict's send), by its buckets' upper
    bounds; None when the consumer has none."""
    h = nfq.get("residence_us")
    if not h:
        return None
    total = sum(n for _, n in h)
    out = []
    for p in (50, 99):
        want, seen = total * p / 100, 0
        for bound, n in h:
            seen += n
            if seen >= want:
                out.append(bound)
                break
    return out


def add_hist(acc, nfq):
    for bound, n in nfq.get("residence_us", []):
        acc[bound] = acc.get(bound, 0) + n


def throughput(lab):
    """iperf3 and s_time, ROUNDS alternated rounds without and with the
    monitor; the medians, and the monitor's CPU and packets summed."""
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
                res["packets"] = res.get("packets", 0) + mon.stats()["packets"]
                mon.stop()
    gateway(lab, False)
    return {k: statistics.median(v) if isinstance(v, list) else v for k, v in res.items()}


def latency_blocks(lab, probe):
    """LATENCY_BLOCKS rotations through the three gateways, LATENCY_PER_BLOCK
    handshakes each time; the handshake times per gateway, and for the two
    consumers their CPU seconds and residence histograms."""
    lat = {"without": [], "noop": [], "with": []}
    cpu = {"noop": [0.0, 0.0], "with": [0.0, 0.0]}
    hist = {"noop": {}, "with": {}}
    packets = {"noop": 0, "with": 0}
    for _ in range(LATENCY_BLOCKS):
        for mode in lat:
            gateway(lab, mode != "without")
            if mode == "with":
                mon = Monitor(lab)
            elif mode == "noop":
                mon = labmod.Probe(lab, probe, "--mode", "bypass-after:1")
            c0 = cpu_seconds(mon.proc.pid) if mode != "without" else None
            lat[mode] += latencies(lab, LATENCY_PER_BLOCK)
            if mode == "without":
                continue
            c1 = cpu_seconds(mon.proc.pid)
            cpu[mode][0] += c1[0] - c0[0]
            cpu[mode][1] += c1[1] - c0[1]
            st = mon.stats()
            nfq = st["queues"][0]["nfq"] if mode == "with" else st["nfq"]
            add_hist(hist[mode], nfq)
            packets[mode] += nfq["packets"]
            if mode == "with":
                mon.stop()
            else:
                mon.kill()
    gateway(lab, False)
    return lat, cpu, hist, packets


def latency_rows(lat, cpu, hist, packets):
    n = {k: len(v) for k, v in lat.items()}
    q = {k: (statistics.median(v), pct(v, 90), pct(v, 99)) for k, v in lat.items()}
    rows = [f"| TLS 1.3 handshake, connect to done, µs ({LATENCY_BLOCKS} rotations of "
            f"{LATENCY_PER_BLOCK}) | n | median | p90 | p99 | added median | added p99 |",
            "|---|---|---|---|---|---|---|"]
    names = {"without": "without (stateful firewall)", "noop": "no-op queue consumer (floor)",
             "with": "secaudit-monitor"}
    for k in lat:
        add = (f"{q[k][0] - q['without'][0]:+.0f} µs | {q[k][2] - q['without'][2]:+.0f} µs"
               if k != "without" else " | ")
        rows.append(f"| {names[k]} | {n[k]} | {q[k][0]:.0f} | {q[k][1]:.0f} | {q[k][2]:.0f} | "
                    f"{add} |")
    rows.append(f"| monitor's own share (with − no-op) | | {q['with'][0] - q['noop'][0]:+.0f} | "
                f"{q['with'][1] - q['noop'][1]:+.0f} | {q['with'][2] - q['noop'][2]:+.0f} | | |")
    rows.append("")
    for k in ("noop", "with"):
        hs = n[k] or 1
        r = residence({"residence_us": sorted(hist[k].items())})
        stay = f"; residence in user space p50 ≤ {r[0]} µs, p99 ≤ {r[1]} µs" if r else ""
        rows.append(f"- {names[k]}: {packets[k] / hs:.2f} packets per handshake, CPU per "
                    f"handshake user {cpu[k][0] / hs * 1e6:.1f} µs, system "
                    f"{cpu[k][1] / hs * 1e6:.1f} µs{stay}")
    aim = q["with"][0] - q["without"][0] < 60 and q["with"][2] - q["without"][2] < 200
    floor = q["noop"][0] - q["without"][0] >= 60 or q["noop"][2] - q["without"][2] >= 200
    rows.append(f"- aims (added median < 60 µs, p99 < 200 µs): "
                f"{'met' if aim else 'not met'}; the floor (no-op consumer) "
                f"{'is' if floor else 'is not'} above them on this run")
    return rows


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
        if not OPTS.latency_only:
            lab.spawn("srv", "iperf3", "-s")
            lab.wait_tcp_listen("srv", 5201)
        lab.run("cli", "ping", "-c", "1", "-W", "2", lab.SRV4, check=False)
        res = None if OPTS.latency_only else throughput(lab)
        stateful(lab, False)
        lat = latency_blocks(lab, build_probe(tmp))
    finally:
        lab.down()

    if res:
        cores = os.cpu_count() or 1
        hs = res["handshakes"]
        per_core = hs / res["user"] if res["user"] > 0 else float("inf")
        rows.append(f"| measure (median of {ROUNDS} rounds) | without monitor | with monitor | "
                    f"ratio |")
        rows.append("|---|---|---|---|")
        rows.append(f"| iperf3 Gbit/s ({IPERF_SECONDS} s) | {res['without', 'iperf']:.2f} | "
                    f"{res['with', 'iperf']:.2f} | "
                    f"{res['with', 'iperf'] / res['without', 'iperf']:.2f} |")
        rows.append(f"| iperf3 Gbit/s, gateway with no netfilter rules at all | "
                    f"{res['bare', 'iperf']:.2f} | | "
                    f"{res['with', 'iperf'] / res['bare', 'iperf']:.2f} "
                    f"(conntrack's own cost included) |")
        for v, name in (("tls1_3", "TLS 1.3"), ("tls1_2", "TLS 1.2"),
                        ("tls1_2 no ticket", "TLS 1.2, server sends no ticket")):
            rows.append(f"| {name} handshakes/s (s_time -new, {STIME_SECONDS} s) | "
                        f"{res['without', v]:.0f} | {res['with', v]:.0f} | "
                        f"{res['with', v] / res['without', v]:.2f} |")
        rows.append(f"| monitor user CPU per handshake (its own code) | | "
                    f"{res['user'] / hs * 1e6:.1f} µs | {per_core:,.0f} handshakes/s per core, "
                    f"~{per_core * cores:,.0f} on {cores} cores |")
        rows.append(f"| monitor system CPU per handshake (netlink, and the forwarding the "
                    f"kernel does on the verdict) | | {res['system'] / hs * 1e6:.1f} µs | |")
        rows.append("")
        rows.append(f"Queued during the s_time runs: {res['packets']} packets for {hs:.0f} "
                    f"handshakes ({res['packets'] / hs:.2f} per handshake, TLS 1.3 and 1.2 "
                    f"mixed).")
        rows.append("")
    rows += latency_rows(*lat)
    load = Path("/proc/loadavg").read_text().split()[:3]
    rows.append(f"- machine: {os.cpu_count()} cores, load {' '.join(load)} at the end; "
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
                + (f"; monitor --queue-cpu {OPTS.queue_cpu}" if OPTS.queue_cpu else ""))
    table = "\n".join(rows) + "\n"
    print(table)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "inline.md").write_text(table)


if __name__ == "__main__":
    main()
