#!/usr/bin/python3
"""make bench, central part: what secaudit-server's gateway events cost.

  1. Alerts per second the server stores from two gateways at once: two
     shipping clients, each with its own gateway certificate, speak the
     channel as the monitor's sender does (HELLO kind eve, packages of
     BATCH EVE alert lines, up to WINDOW packages in flight, ACKs after the
     commit), SQLite store, on loopback. The lines are the engine's own
     (secaudit read --rules over a corpus capture), one flow id each. The
     figure is rows committed (counted in the store afterwards) over the
     wall time from the first HELLO to the last ACK. Run twice, alternated:
     without the web view, and with it (--web) while a client fetches
     /api/blocks and / over and over (the view's own thread and read-only
     store handle: the channel should not notice).
  2. The monitor's handshake rate with central shipping on against off: the
     namespace lab of tests/e2e/lab.py, secaudit-monitor on the gateway,
     openssl s_time -new TLS 1.3 for STIME_SECONDS, ROUNDS rounds of three
     monitors alternated (so drift on a busy machine hits all alike):
       alerts  no central:, the default local log (alerts only);
       off     no central:, log_sessions: true: the same local log as on
               (a tls event per handshake), so on/off is what shipping
               itself costs;
       on      central: shipping alert and tls events to a secaudit-server
               in the gateway's namespace.
     The aim's figure is on/off of the handshake rate (the median of the
     rounds' ratios, with the pooled ratio and the spread; aim at least
     0.98); on/alerts is what a user turning central: on pays in all (the
     tls events written as well). Beside the rates, what the ratio
     includes: the CPU share (of one core) of the monitor, of the server
     and of the whole machine in each mode, and the CPU per handshake of
     the monitor's queue threads, its shipping threads (central-ship,
     central-send) and the server. The server runs on the same cores as
     the client, the TLS server and the monitor here, so on a machine whose
     cores are all busy the rate ratio is about the ratio of the machine's
     CPU per handshake, the server's included: that figure is printed too.

Needs root for part 2 (network namespaces, NFQUEUE). Prints a Markdown
table, also written to build/bench/central.md.
Usage: bench/central.py [BIN_DIR] [--ref REF_BIN_DIR]   (default build/bin)
  --ref: part 1 also runs REF_BIN_DIR's secaudit-server (a build before a
  change), alternated with BIN_DIR's, and prints the two rows-per-CPU-second
  figures and their ratio.
Environment: CENTRAL_ROUNDS (16), CENTRAL_LINES (20000 a gateway).
"""

import json
import os
import re
import socket
import sqlite3
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import audit_helpers as h  # noqa: E402
import lab as labmod  # noqa: E402
from benchlib import alternate, cpu_seconds, machine, publish, start_monitor  # noqa: E402

ARGS = sys.argv[1:]
REF = None
if "--ref" in ARGS:
    i = ARGS.index("--ref")
    REF = Path(ARGS[i + 1])
    del ARGS[i:i + 2]
BIN = Path(ARGS[0] if ARGS else ROOT / "build" / "bin")
CAPTURE = ROOT.parent / "shared" / "corpus" / "generated" / "a15_tls12_expired_cert.pcap"
DEMO_RULES = ROOT / "rules" / "demo.yaml"
LINES_PER_GATEWAY = int(os.environ.get("CENTRAL_LINES", 20000))
BATCH, WINDOW = 100, 64
STIME_SECONDS, ROUNDS = 5, int(os.environ.get("CENTRAL_ROUNDS", 16))
STORE_ROUNDS = 2
MODES = ("alerts", "off", "on")


def frame(ftype, payload):
    return b"SA" + bytes([1, ftype]) + struct.pack(">I", len(payload)) + payload


def engine_alert():
    r = subprocess.run([str(BIN / "secaudit"), "read", "--eve", "--rules",
                        str(ROOT / "rules" / "default.yaml"), str(CAPTURE)],
                       capture_output=True, text=True, check=True)
    return next(e for e in map(json.loads, r.stdout.splitlines())
                if e["event_type"] == "alert")


class Shipper(threading.Thread):
    """One gateway's stream: packages sent as the window allows, ACKs read
    between them on the same thread."""

    def __init__(self, port, ca, cert, lines, stream):
        super().__init__()
        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        self.t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 30),
                                 server_hostname="localhost")
        self.packages = [lines[i:i + BATCH] for i in range(0, len(lines), BATCH)]
        self.stream = stream
        self.acked = 0
        self.error = None

    def read_acks(self):
        """Reads what the server sent so far (blocking for at least one
        chunk): ACK frames move self.acked."""
        d = self.t.recv(1 << 16)
        if not d:
            raise RuntimeError("server closed")
        self.buf += d
        while len(self.buf) >= 8 and len(self.buf) >= 8 + struct.unpack(">I", self.buf[4:8])[0]:
            n = struct.unpack(">I", self.buf[4:8])[0]
            ftype, payload, self.buf = self.buf[3], self.buf[8:8 + n], self.buf[8 + n:]
            if ftype == 4:
                self.acked = struct.unpack(">Q", payload)[0]
            elif ftype != 2:
                raise RuntimeError(f"frame {ftype}: {payload!r}")

    def run(self):
        # One thread sends and reads: an SSL object must not be used by two
        # threads at once (a reader thread beside the sender corrupted the
        # TLS stream now and then, and the server closed it).
        self.start_t = time.perf_counter()
        self.buf = b""
        try:
            self.t.sendall(frame(1, struct.pack(">QQQH", self.stream, 1, len(self.packages), 2)
                                 + b"gw" + bytes([2, 2])))
            for seq, pkg in enumerate(self.packages, 1):
                while seq - self.acked > WINDOW:
                    self.read_acks()
                body = b"".join(struct.pack(">I", len(x)) + x for x in pkg)
                self.t.sendall(frame(3, struct.pack(">QBII", seq, 0, len(pkg), len(body)) + body))
            while self.acked < len(self.packages):
                self.read_acks()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            self.error = e
        self.end_t = time.perf_counter()
        self.t.close()


class WebReader(threading.Thread):
    """Fetches pages of the web view until told to stop (bounded)."""

    def __init__(self, port, ca, cert):
        super().__init__()
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        self.port = port
        self.stop = threading.Event()
        self.pages = 0

    def run(self):
        paths = ["/api/blocks", "/"]
        while not self.stop.is_set() and self.pages < 100000:
            with socket.create_connection(("127.0.0.1", self.port), 30) as s, \
                    self.ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(f"GET {paths[self.pages % 2]} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
                while t.recv(1 << 16):
                    pass
            self.pages += 1


def store_rate(tmp, web, server_bin=None):
    """(rows stored, wall seconds, the server's CPU seconds (all its
    threads), web pages served meanwhile). server_bin: the secaudit-server
    to run (default BIN's)."""
    tmp.mkdir(parents=True)
    ca = h.CA(tmp / "ca", "Bench CA")
    server_cert = ca.issue("server")
    gws = [ca.issue(f"gw-{n}") for n in "ab"]
    port, web_port = h.free_port(), h.free_port()
    db = tmp / "central.db"
    err = open(tmp / "server.log", "w")
    srv = subprocess.Popen([str(server_bin or BIN / "secaudit-server"), "--listen",
                            f"127.0.0.1:{port}",
                            "--cert", str(server_cert[0]), "--key", str(server_cert[1]),
                            "--ca", str(ca.cert), "--store", f"sqlite:{db}",
                            "--user", "root"] + (["--web", str(web_port)] if web else []),
                           stdout=err, stderr=err)
    reader = None
    try:
        h.wait_port(port)
        base = engine_alert()
        lines = [json.dumps(dict(base, flow_id=i + 1)).encode()
                 for i in range(LINES_PER_GATEWAY)]
        ships = [Shipper(port, ca.cert, gw, lines, stream=100 + n) for n, gw in enumerate(gws)]
        if web:
            h.wait_port(web_port)
            reader = WebReader(web_port, ca.cert, gws[0])
            reader.start()
        for s in ships:
            s.start()
        for s in ships:
            s.join()
            if s.error:
                raise RuntimeError(f"shipper: {s.error}")
        wall = max(s.end_t for s in ships) - min(s.start_t for s in ships)
        cpu = cpu_seconds(srv.pid)
        c = sqlite3.connect(db)
        stored = c.execute("SELECT count(*) FROM gateway_events").fetchone()[0]
        per_gw = c.execute("SELECT count(DISTINCT gateway) FROM gateway_events").fetchone()[0]
        c.close()
    finally:
        if reader:
            reader.stop.set()
            reader.join(60)
        srv.terminate()
        srv.wait(30)
    expected = 2 * LINES_PER_GATEWAY
    if stored != expected or per_gw != 2:
        raise RuntimeError(f"stored {stored} rows of {per_gw} gateways, expected {expected} of 2")
    return stored, wall, cpu, reader.pages if reader else 0


def s_time(lab):
    r = lab.run("cli", "openssl", "s_time", "-connect", f"{lab.SRV4}:443", "-new",
                "-time", STIME_SECONDS, "-tls1_3", timeout=60, check=False)
    m = re.search(r"(\d+) connections in (\d+) real seconds", r.stdout)
    if not m:
        raise RuntimeError(f"s_time printed no rate:\n{r.stdout}{r.stderr}")
    return int(m.group(1)), float(m.group(2))


def thread_cpu(pid, names):
    """CPU seconds of the threads of pid whose name starts with one of
    names."""
    total = 0
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (t / "comm").read_text().strip().startswith(names):
                f = (t / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
        except FileNotFoundError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """CPU seconds the whole machine spent busy so far (all cores: user,
    nice, system, irq, softirq, steal)."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


SHIP_THREADS = ("central-ship", "central-send")


def shipping_ratio(tmp):
    """{mode: [round dicts: handshakes n, seconds secs, CPU seconds of the
    monitor mon, its queue threads queue, its shipping threads ship, the
    server srv and the whole machine busy]} and the tls events the server
    stored."""
    lab = labmod.Lab(tmp / "lab")
    (tmp / "lab").mkdir()
    os.chmod(tmp / "lab", 0o755)
    why = lab.up()
    if why:
        raise RuntimeError(why)
    try:
        cert, key = labmod.make_cert(lab.tmp, cn="good.lab.test")
        text = DEMO_RULES.read_text()
        rules = Path(lab.tmp) / "bench-rules.yaml"
        rules.write_text(text.replace("      match_sni: false\n",
                                      "      match_sni: false\n      allow_self_signed: true\n"))
        # ROUNDS x 3 monitors x STIME_SECONDS of s_time -new: 16 rounds at
        # ~550 handshakes/s were 132,000 connections, past s_server's
        # default 100,000 (it exited: "connection refused" mid-run)
        labmod.start_tls_server(lab, cert, key,
                                naccept=ROUNDS * len(MODES) * STIME_SECONDS * 20000)
        lab.run("gw", BIN / "secaudit", "setup-gateway", "--apply", "--ports", "443")
        ca = h.CA(tmp / "pki", "Bench Central CA")
        scert = ca.issue("central")
        gcert = ca.issue("gw-bench")
        port = 7444
        db = tmp / "shipped.db"
        srv_log = open(tmp / "central-server.log", "w")
        srv = lab.spawn("gw", BIN / "secaudit-server", "--listen", f"127.0.0.1:{port}",
                        "--cert", scert[0], "--key", scert[1], "--ca", ca.cert,
                        "--store", f"sqlite:{db}", "--user", "root", stderr=srv_log)
        lab.wait_tcp_listen("gw", port)
        log = str(Path(lab.tmp) / "alerts.json")
        sock = str(Path(lab.tmp) / "monitor.sock")
        base = {"version": 1, "rules": str(rules), "alert_log": log, "stats_socket": sock,
                "nfqueue": {"queues": "0"}}
        conf = {"alerts": base, "off": dict(base, log_sessions=True), "on": dict(base, central={
            "server": f"127.0.0.1:{port}", "server_name": "localhost",
            "cert": str(gcert[0]), "key": str(gcert[1]), "ca": str(ca.cert),
            "spool": str(Path(lab.tmp) / "spool"), "heartbeat": "1s"})}
        paths = {}
        for k, v in conf.items():
            paths[k] = Path(lab.tmp) / f"monitor-{k}.yaml"
            paths[k].write_text(json.dumps(v))

        def snapshot(mon):
            return {"mon": cpu_seconds(mon.pid), "queue": thread_cpu(mon.pid, ("sa-queue-",)),
                    "ship": thread_cpu(mon.pid, SHIP_THREADS), "srv": cpu_seconds(srv.pid),
                    "busy": machine_busy()}

        def measure(mode, _round):
            mon = start_monitor(lab, BIN / "secaudit-monitor", paths[mode],
                                Path(lab.tmp) / f"monitor-{mode}.err")
            before = snapshot(mon)
            n, secs = s_time(lab)
            after = snapshot(mon)
            lab.stop(mon)
            return dict({k: after[k] - before[k] for k in after}, n=n, secs=secs)

        runs = alternate(ROUNDS, MODES, measure)
        c = sqlite3.connect(db)
        shipped = c.execute("SELECT count(*) FROM gateway_events WHERE event_type='tls'") \
            .fetchone()[0]
        c.close()
        lab.stop(srv)
    finally:
        lab.down()
    return runs, shipped


def spread(v):
    """min-max and the interquartile range of a list, as text."""
    q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return f"{min(v):.2f}-{max(v):.2f}, quartiles {q[0]:.2f}-{q[2]:.2f}"


def shipping_rows(runs, shipped):
    rate = {m: [r["n"] / r["secs"] for r in rs] for m, rs in runs.items()}
    total = {m: {k: sum(r[k] for r in rs) for k in rs[0]} for m, rs in runs.items()}
    hs = {m: total[m]["n"] for m in runs}
    us = {m: {k: total[m][k] / hs[m] * 1e6 for k in ("mon", "queue", "ship", "srv", "busy")}
          for m in runs}
    share = {m: {k: total[m][k] / total[m]["secs"] * 100 for k in ("mon", "srv", "busy")}
             for m in runs}
    on_off = [b / a for a, b in zip(rate["off"], rate["on"])]
    on_alerts = [b / a for a, b in zip(rate["alerts"], rate["on"])]
    pooled = (hs["on"] / total["on"]["secs"]) / (hs["off"] / total["off"]["secs"])
    med = {m: statistics.median(v) for m, v in rate.items()}
    cores = os.cpu_count()
    return [
        f"| TLS 1.3 handshakes/s through the monitor, central shipping on (s_time -new "
        f"{STIME_SECONDS} s, median of {ROUNDS} rounds alternated with off and alerts) "
        f"| {med['on']:.0f} | off (the same local log, no shipping): {med['off']:.0f}; "
        f"**on/off {statistics.median(on_off):.3f}** (median of the rounds' ratios; "
        f"pooled {pooled:.3f}; spread {spread(on_off)}; aim >= 0.98); "
        f"{shipped} tls events stored by the server |",
        f"| the same against a monitor writing alerts only (alerts: no central:, no "
        f"tls events) | {med['on']:.0f} | alerts: {med['alerts']:.0f}; on/alerts "
        f"{statistics.median(on_alerts):.3f} (spread {spread(on_alerts)}): shipping plus "
        f"writing a tls event per handshake |",
        f"| what the rate ratio includes: CPU share of one core during the rounds, "
        f"on / off / alerts | monitor {share['on']['mon']:.0f}% / {share['off']['mon']:.0f}% / "
        f"{share['alerts']['mon']:.0f}% | secaudit-server {share['on']['srv']:.0f}% / "
        f"{share['off']['srv']:.0f}% / {share['alerts']['srv']:.0f}%; the whole machine "
        f"{share['on']['busy']:.0f}% / {share['off']['busy']:.0f}% / "
        f"{share['alerts']['busy']:.0f}% of {cores * 100}% ({cores} cores; client, TLS "
        f"server, monitor, secaudit-server and anything else running) |",
        f"| the monitor's CPU per handshake (user + system, all threads), central "
        f"shipping on | {us['on']['mon']:.0f} µs | off: {us['off']['mon']:.0f} µs (off/on "
        f"{us['off']['mon'] / us['on']['mon']:.3f}); alerts: {us['alerts']['mon']:.0f} µs; "
        f"its queue threads: on {us['on']['queue']:.0f} µs, off {us['off']['queue']:.0f} µs; "
        f"its shipping threads (central-ship, central-send): {us['on']['ship']:.1f} µs |",
        f"| the machine's CPU per handshake (all processes), on | {us['on']['busy']:.0f} µs "
        f"| off: {us['off']['busy']:.0f} µs: with every core busy the rate ratio can be at "
        f"most about off/on = {us['off']['busy'] / us['on']['busy']:.3f}; of the difference, "
        f"secaudit-server storing the tls events takes {us['on']['srv']:.1f} µs per handshake "
        f"(off: {us['off']['srv']:.1f}) |",
    ]


def main():
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-central-"))
    os.chmod(tmp, 0o755)
    rows = ["| measure | figure | reference in the same run |", "|---|---|---|"]
    runs = alternate(STORE_ROUNDS, (False, True),
                     lambda web, i: store_rate(tmp / f"store-{i}-{web}", web))
    if REF:
        ref = alternate(STORE_ROUNDS, ("this", "ref"), lambda which, i: store_rate(
            tmp / f"store-{which}-{i}", False,
            REF / "secaudit-server" if which == "ref" else None))
        ref_cpu = {w: statistics.median(n / cpu for n, _, cpu, _ in r) for w, r in ref.items()}
    rate = {web: [n / wall for n, wall, _, _ in r] for web, r in runs.items()}
    per_cpu = {web: [n / cpu for n, _, cpu, _ in r] for web, r in runs.items()}
    pages = sum(p for _, _, _, p in runs[True])
    stored = runs[False][0][0]
    off, on = statistics.median(rate[False]), statistics.median(rate[True])
    rows.append(f"| gateway alerts stored per second, two gateways at once (SQLite, "
                f"{stored} rows a run, packages of {BATCH}, window {WINDOW}; median of "
                f"{STORE_ROUNDS}) | {off:,.0f}/s | each run's rows counted in gateway_events "
                f"after its last ACK; {statistics.median(per_cpu[False]):,.0f} rows per "
                f"CPU-second of the server |")
    rows.append(f"| the same while the web view serves /api/blocks and / without a pause "
                f"| {on:,.0f}/s | ratio {on / off:.3f} to the runs without it (alternated); "
                f"{pages} pages served meanwhile; "
                f"{statistics.median(per_cpu[True]):,.0f} rows per CPU-second of the server, "
                f"its web thread's included |")
    if REF:
        rows.append(f"| rows per CPU-second of the server, this build against {REF} (alternated, "
                    f"median of {STORE_ROUNDS}) | {ref_cpu['this']:,.0f} | reference: "
                    f"{ref_cpu['ref']:,.0f}; ratio {ref_cpu['this'] / ref_cpu['ref']:.2f} |")
    if os.geteuid() != 0:
        rows.append("| monitor handshakes/s, central on/off | not measured: needs root | |")
    else:
        rows += shipping_rows(*shipping_ratio(tmp))
    publish("central", "\n".join(rows) + f"\n\n{machine()}\n")


if __name__ == "__main__":
    main()
