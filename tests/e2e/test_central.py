"""central: two gateways ship their events to one secaudit-server.

Two namespace labs (tests/e2e/lab.py), A and B, each with a client, a
gateway running secaudit-monitor (rules/demo.yaml, enforcing) and a server;
a fourth namespace, central, holds secaudit-server and is linked to both
gateways:

    A: cli ── gw (198.18.3.1) ──┐
                                 ├── central 198.18.3.2 / 198.18.4.2: secaudit-server (SQLite)
    B: cli ── gw (198.18.4.1) ──┘

Certificates come from a lab CA made here (openssl), with a CRL that
revokes one gateway's certificate. Blocked sessions are real
`openssl s_client` handshakes naming a denied server name (rules/demo.yaml
resets them at the ClientHello). The truth is each monitor's own local
alert log: the store must hold each of its alerts once (counted by flow id).
"""

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import audit_helpers as h
from lab import Lab, built, make_cert, polled, s_client, skip_loudly, start_tls_server
from monitor_lab import RULES, SECAUDIT, Monitor, need_binaries

PORT = 7443
CENTRAL_NAME = "central.lab.test"
LINKS = {"a": ("198.18.3.1", "198.18.3.2"), "b": ("198.18.4.1", "198.18.4.2")}


class Central:
    """The two labs, the central namespace, the PKI and the server."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.labs = {}
        self.monitors = {}
        self.server_proc = None
        self.db = tmp / "central.db"

    def up(self):
        for name in ("a", "b"):
            d = self.tmp / name
            d.mkdir()
            os.chmod(d, 0o755)
            lb = Lab(d)
            self.labs[name] = lb
            why = lb.up()
            if why:
                return why
        a = self.labs["a"]
        a._ip("netns", "add", a.ns("central"))
        a.created.append(a.ns("central"))
        a._ip("-n", a.ns("central"), "link", "set", "lo", "up")
        for name, (gw_ip, c_ip) in LINKS.items():
            lb = self.labs[name]
            dev = f"eth-{name}"
            lb._ip("-n", lb.ns("gw"), "link", "add", "to-central", "type", "veth", "peer",
                   "name", dev, "netns", a.ns("central"))
            lb._ip("-n", lb.ns("gw"), "addr", "add", f"{gw_ip}/24", "dev", "to-central")
            lb._ip("-n", lb.ns("gw"), "link", "set", "to-central", "up")
            a._ip("-n", a.ns("central"), "addr", "add", f"{c_ip}/24", "dev", dev)
            a._ip("-n", a.ns("central"), "link", "set", dev, "up")
        # lab A's clients reach the server through their gateway (an agent
        # there is identified by its address, --join-audit)
        a._ip("-n", a.ns("central"), "route", "add", "198.18.1.0/24", "via", LINKS["a"][0])
        self.pki()
        return None

    def pki(self):
        self.ca = h.CA(self.tmp / "ca", "Central Lab CA")
        self.server_cert, self.server_key = self.ca.issue(
            "central", san=f"DNS:{CENTRAL_NAME}")
        self.certs = {n: self.ca.issue(f"gw-{n}") for n in ("a", "b", "revoked")}
        self.host_cert = self.ca.issue("host-a")
        self.ca.revoke(self.certs["revoked"][0])
        self.crl = self.ca.crl()
        for lb in self.labs.values():
            cert, key = make_cert(lb.tmp, cn="good.lab.test")
            start_tls_server(lb, cert, key, port=443)
            lb.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", "443")

    def server(self, *extra):
        a = self.labs["a"]
        log = open(self.tmp / "server.log", "a")
        self.server_proc = a.spawn(
            "central", h.SERVER, "--listen", f"0.0.0.0:{PORT}", "--cert", self.server_cert,
            "--key", self.server_key, "--ca", self.ca.cert, "--crl", self.crl,
            "--store", f"sqlite:{self.db}", *extra, stderr=log)
        a.wait_tcp_listen("central", PORT)
        return self.server_proc

    def server_log(self):
        return (self.tmp / "server.log").read_text(errors="replace")

    def config(self, name, cert_name=None, **central):
        lb = self.labs[name]
        log, sock = Monitor.paths(lb)
        cert, key = self.certs[cert_name or name]
        path = Path(lb.tmp) / "monitor.yaml"
        path.write_text(json.dumps({
            "version": 1, "rules": RULES, "alert_log": log, "stats_socket": sock,
            "nfqueue": {"queues": "0"},
            "central": {"server": f"{LINKS[name][1]}:{PORT}", "server_name": CENTRAL_NAME,
                        "cert": str(cert), "key": str(key), "ca": str(self.ca.cert),
                        "spool": str(Path(lb.tmp) / f"spool-{cert_name or name}"),
                        "heartbeat": "1s", **central}}))
        return str(path)

    def monitor(self, name, cert_name=None, **central):
        lb = self.labs[name]
        m = Monitor(lb, config=self.config(name, cert_name, **central))
        self.monitors[name] = m
        return m

    def down(self):
        for lb in self.labs.values():
            lb.down()


@pytest.fixture
def central(tmp_path):
    need_binaries()
    if not h.SERVER.exists():
        skip_loudly(f"{h.SERVER} is not built (run make)")
    with built(Central(tmp_path), "the central lab") as c:
        yield c


def blocked_loop(lb, n, sni="blocked.lab.test"):
    """n handshakes naming a denied server: the monitor resets each."""
    return ("for i in $(seq %d); do timeout 20 openssl s_client -connect %s:443 "
            "-servername %s </dev/null >/dev/null 2>&1; done; true" % (n, lb.SRV4, sni))


def blocked_until(lb, stop, sni="blocked.lab.test"):
    """Handshakes naming a denied server until the file stop exists: a
    fixed count can be over before the test's next step on a fast machine."""
    return ("while [ ! -e %s ]; do timeout 20 openssl s_client -connect %s:443 "
            "-servername %s </dev/null >/dev/null 2>&1; done; true" % (stop, lb.SRV4, sni))


def spooled_all(mon):
    """Every alert and tls event of the local log has left the monitor's
    ring for its spool (the ring is flushed once per batch_ms)."""
    n = len(mon.alerts()) + len(mon.events("tls"))
    return mon.stats()["central"]["shipped"] >= n


def local_blocked(mon):
    """The blocked alerts of a monitor's local log, each as (flow id,
    timestamp): a flow id alone may come back when a client port is reused."""
    return sorted((a["flow_id"], a["timestamp"]) for a in mon.alerts()
                  if a["alert"]["action"] == "blocked")


def stored_blocked(db, gateway):
    if not db.exists():
        return []
    c = sqlite3.connect(db, timeout=10)
    try:
        rows = c.execute("SELECT json FROM gateway_events WHERE event_type='alert' AND "
                         "action='blocked' AND gateway LIKE ?", (f"%CN=gw-{gateway}",))
        return sorted((e["flow_id"], e["timestamp"]) for e in map(json.loads, (r[0] for r in rows)))
    except sqlite3.OperationalError:
        return []
    finally:
        c.close()


def wait_stored(c, name, n, timeout=60):
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        got = stored_blocked(c.db, name)
        if len(got) >= n:
            return got
        time.sleep(0.2)
    return got


def exactly_once(c, name, at_least):
    """Every blocked alert of the monitor's local log is in the store, once.
    Waited for until the two agree: a refusal's line follows the reset its
    client saw, and its shipping follows the line."""
    mon = c.monitors[name]
    polled(lambda: (local_blocked(mon), stored_blocked(c.db, name)),
           lambda both: len(both[0]) >= at_least and both[0] == both[1], timeout=60, every=0.2)
    time.sleep(0.5)                       # anything more would be a double
    local, got = local_blocked(mon), stored_blocked(c.db, name)
    assert len(local) >= at_least, mon.stderr()
    assert len(set(local)) == len(local)
    assert got == local, (name, len(got), len(local), c.server_log())


def test_two_gateways_blocked_sessions_once_each(central):
    c = central
    c.server()
    for name in ("a", "b"):
        c.monitor(name)
    for name, n in (("a", 6), ("b", 4)):
        c.labs[name].sh("cli", blocked_loop(c.labs[name], n), timeout=120)
    for _ in range(2):                     # conforming: a tls event each, no alert
        ok, out = s_client(c.labs["a"], c.labs["a"].SRV4, extra=["-servername",
                                                                  "good.lab.test"])
        assert ok, out
    exactly_once(c, "a", 6)
    exactly_once(c, "b", 4)
    uri = f"sqlite:{c.db}"
    out = subprocess.run([SECAUDIT, "alerts", "--server", uri], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(out) == 1 + 10, out
    assert sum("gw-a" in ln and "blocked.lab.test" in ln for ln in out) == 6
    assert sum("gw-b" in ln and "blocked" in ln for ln in out) == 4
    out = subprocess.run([SECAUDIT, "alerts", "--server", uri, "--gateway", "gw-b", "--json"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert sorted((e["flow_id"], e["timestamp"]) for e in map(json.loads, out)) == \
        local_blocked(c.monitors["b"])
    out = subprocess.run([SECAUDIT, "query", "--store", uri, "--gateway-events", "--count",
                          "gateway", "--action", "blocked"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert [(ln.split()[0], ln.endswith(",CN=gw-a")) for ln in out] == \
        [("6", True), ("4", False)], out
    # tls events went too (the default types are alert and tls)
    con = sqlite3.connect(c.db)
    deadline = time.monotonic() + 30
    while con.execute("SELECT count(*) FROM gateway_events WHERE event_type='tls' AND "
                      "sni='good.lab.test'").fetchone()[0] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert con.execute("SELECT count(*) FROM gateway_events WHERE event_type NOT IN "
                       "('tls', 'alert')").fetchone()[0] == 0
    con.close()
    st = c.monitors["a"].stats()["central"]
    assert st["ring_dropped"] == 0 and st["spool"]["dropped_packages"] == 0, st
    assert st["sender"]["acked_packages"] >= 1 and st["shipped"] >= 12, st


def test_server_killed_mid_stream_nothing_lost_nothing_doubled(central):
    c = central
    c.server()
    for name in ("a", "b"):
        c.monitor(name)
    stop = c.tmp / "stop-loops"
    loops = {n: c.labs[n].spawn("cli", "sh", "-c", blocked_until(c.labs[n], stop))
             for n in ("a", "b")}
    assert len(wait_stored(c, "a", 3)) >= 3
    c.server_proc.send_signal(signal.SIGKILL)
    c.server_proc.wait(10)
    before = len(local_blocked(c.monitors["a"]))
    deadline = time.monotonic() + 60      # sessions go on while it is down
    while len(local_blocked(c.monitors["a"])) < before + 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    c.server()
    assert len(wait_stored(c, "a", before + 3)) >= before + 3
    stop.touch()
    for p in loops.values():
        assert p.wait(180) == 0
    exactly_once(c, "a", before + 3)
    exactly_once(c, "b", 3)
    assert "connection to" in c.monitors["a"].stderr() or \
        "connect" in c.monitors["a"].stderr()


def test_monitor_restarted_mid_stream_loses_nothing(central):
    """SIGTERM (systemctl stop/restart) mid-stream: the first monitor's
    batches are 10 s long, so its last events are still in its ring when
    the signal comes: they reach the server only if the exit spools them."""
    c = central
    c.server()
    c.monitor("a", batch_ms=10000)
    loop = c.labs["a"].spawn("cli", "sh", "-c", blocked_loop(c.labs["a"], 20))
    deadline = time.monotonic() + 60
    while len(local_blocked(c.monitors["a"])) < 5:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first = c.monitors["a"]
    c.labs["a"].stop(first.proc, signal.SIGTERM, timeout=20)
    before = len(local_blocked(first))
    c.monitor("a")                         # the same spool, the same log
    assert loop.wait(180) == 0
    exactly_once(c, "a", 6)
    # the log holds both runs' alerts: the second run's came after the restart
    assert len(local_blocked(c.monitors["a"])) > before >= 5


def test_revoked_gateway_certificate_refused_nothing_stored(central):
    c = central
    c.server()
    mon = c.monitor("a", cert_name="revoked")
    c.labs["a"].sh("cli", blocked_loop(c.labs["a"], 2), timeout=60)
    assert len(polled(lambda: local_blocked(mon), lambda got: len(got) >= 2)) == 2
    deadline = time.monotonic() + 30
    while "revoked" not in c.server_log():
        assert time.monotonic() < deadline, c.server_log()
        time.sleep(0.1)
    assert "refused" in c.server_log()
    con = sqlite3.connect(c.db)
    assert con.execute("SELECT count(*) FROM gateway_events").fetchone()[0] == 0
    con.close()
    deadline = time.monotonic() + 30     # kept in the spool for a retry
    while mon.stats()["central"]["spool"]["packages"] < 1:
        assert time.monotonic() < deadline, mon.stats()["central"]
        time.sleep(0.1)


def test_join_audit_names_the_process_of_a_blocked_session(central):
    """An agent on lab A's client host (records its connect calls) and a
    blocked session from that host: --join-audit lists the connect to the
    session's destination (address and port of its SOCKADDR record) under
    it, and not the host's other connect of the same moment."""
    c = central
    c.server()
    c.monitor("a")
    lb = c.labs["a"]
    lb.sh("cli", blocked_loop(lb, 1), timeout=60)
    assert len(wait_stored(c, "a", 1)) == 1
    t = int(time.time())
    # the kernel's records of two connects: the blocked session's (to
    # 198.18.2.2:443, reset) and another process's (to 198.18.2.2:80)
    connect = "".join(
        f"type=SYSCALL msg=audit({t}.100:{serial}): arch=c000003e syscall=42 "
        f"success={ok} exit={ex} a0=3 a1=5 a2=10 a3=0 items=0 ppid=1 pid={pid} "
        f"auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 "
        f"sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"{comm}\" "
        f"exe=\"/usr/bin/{comm}\" key=\"secaudit-connect\"\n"
        f"type=SOCKADDR msg=audit({t}.100:{serial}): saddr=0200{port:04X}C6120202"
        f"0000000000000000\n"
        f"type=PROCTITLE msg=audit({t}.100:{serial}): proctitle={comm.encode().hex()}\n"
        for serial, ok, ex, pid, comm, port in ((4242, "no", -104, 3131, "openssl", 443),
                                                (4243, "yes", 0, 3132, "curl", 80)))
    cert, key = c.host_cert
    agent = lb.spawn("cli", h.AGENT, "--server", f"{LINKS['a'][1]}:{PORT}",
                     "--server-name", CENTRAL_NAME, "--cert", cert, "--key", key,
                     "--ca", c.ca.cert, "--spool", Path(lb.tmp) / "agent-spool",
                     "--heartbeat", "1", "--stdin", stdin=subprocess.PIPE)
    agent.stdin.write(connect.encode())
    agent.stdin.close()
    assert agent.wait(60) == 0
    out = subprocess.run([SECAUDIT, "alerts", "--server", f"sqlite:{c.db}", "--join-audit",
                          "5m"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert any("blocked.lab.test" in ln for ln in lines), out
    audit = [ln for ln in lines if ln.lstrip().startswith("audit ")]
    assert len(audit) == 1, out
    assert "host-a" in audit[0] and "connect" in audit[0] and "/usr/bin/openssl" in audit[0]
    assert audit[0].endswith(" to 198.18.2.2:443"), out


def test_sighup_refuses_a_central_change_by_name_and_keeps_shipping(central):
    c = central
    c.server()
    mon = c.monitor("a")
    path = Path(c.labs["a"].tmp) / "monitor.yaml"
    conf = json.loads(path.read_text())
    conf["central"]["events"] = ["alert"]
    path.write_text(json.dumps(conf))
    mon.signal(signal.SIGHUP)
    mon.wait_stderr("central.events changed: only a restart applies it", timeout=10)
    c.labs["a"].sh("cli", blocked_loop(c.labs["a"], 2), timeout=60)
    exactly_once(c, "a", 2)


def test_full_spool_drops_oldest_counted_and_reported(central):
    """The server away and a spool of 16 KiB: the oldest packages go, the
    stats count them, an anomaly in the local log says so, the verdicts go
    on; what the spool kept arrives once when the server comes."""
    c = central
    mon = c.monitor("a", spool_max="16KiB")
    # Rounds of sessions until the spool has dropped a package: how many
    # fit in 16 KiB depends on how well their packages compress (a quiet
    # machine batches more alike events per package than a loaded one)
    sessions = 0
    for _ in range(20):
        c.labs["a"].sh("cli", blocked_loop(c.labs["a"], 10), timeout=240)
        sessions += 10
        if mon.stats()["central"]["spool"]["dropped_packages"]:
            break
    assert mon.stats()["central"]["spool"]["dropped_packages"], mon.stats()["central"]
    judged = polled(lambda: local_blocked(mon), lambda got: len(got) >= sessions)
    assert len(judged) == sessions     # every session judged
    deadline = time.monotonic() + 30
    while not [e for e in mon.events("anomaly")
               if e["anomaly"].get("event") == "central_events_dropped"]:
        assert time.monotonic() < deadline, mon.stats().get("central")
        time.sleep(0.1)
    st = mon.stats()["central"]
    assert st["spool"]["dropped_packages"] >= 1 and st["spool"]["dropped_events"] >= 1, st
    assert st["ring_dropped"] == 0, st
    deadline = time.monotonic() + 30      # the last batch out of the ring
    while not spooled_all(mon):
        assert time.monotonic() < deadline, mon.stats()["central"]
        time.sleep(0.1)
    c.server()
    deadline = time.monotonic() + 60
    while mon.stats()["central"]["spool"]["packages"]:
        assert time.monotonic() < deadline, mon.stats()["central"]
        time.sleep(0.2)
    got = stored_blocked(c.db, "a")
    local = local_blocked(mon)
    assert 0 < len(got) < len(local)
    assert len(set(got)) == len(got) and set(got) <= set(local)
    newest = sorted(local, key=lambda e: e[1])[len(local) - len(got):]
    assert got == sorted(newest), "the newest are kept"
