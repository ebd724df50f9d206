"""The audit channel as a zone of the inline monitor: secaudit-agent in the
lab's client namespace ships events through the gateway, where
secaudit-monitor enforces rules/audit-channel.yaml (with the test's audit
CA), to secaudit-server in the server namespace.

A conforming agent's events arrive (TLS 1.3, and TLS 1.2 where the gateway
sees and verifies the client certificate). An agent whose certificate comes
from another CA, or a client with none, is stopped at the gateway over TLS
1.2, before the server has its handshake. Over TLS 1.3 the client
certificate is encrypted: the gateway cannot judge it and the server's own
check is what refuses it (docs/rules.md, tls13_certificates); the gateway
probes the server instead (tls13_certificates: probe) and judges the chain
it shows and that it demands a client certificate.
"""

import sqlite3
import time
from pathlib import Path

import pytest

import audit_helpers as h
from lab import lab  # noqa: F401
from monitor_lab import Monitor, need_binaries, s_client

PORT = 6514
RULES = Path(h.ROOT, "rules", "audit-channel.yaml")
TLS12_ONLY = """openssl_conf = init
[init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = sys
[sys]
MaxProtocol = TLSv1.2
"""


def audit_rules(tmp, ca):
    """rules/audit-channel.yaml with the audit zone trusting the test CA
    for both ends, as docs/deploy.md tells a deployment to do."""
    text = RULES.read_text()
    zone = "    tls_ports: [6514]\n"
    assert text.count(zone) == 1
    trust = (f"    certificate_trust:\n      ca_file: {ca}\n"
             f"    client_certificate_trust:\n      ca_file: {ca}\n")
    out = Path(tmp, "audit-channel.yaml")
    out.write_text(text.replace(zone, zone + trust))
    return out


@pytest.fixture
def zone(lab, tmp_path):
    need_binaries()
    for b in (h.SERVER, h.AGENT):
        if not b.exists():
            pytest.skip(f"{b} is not built")
    ca = h.CA(tmp_path / "ca", "SecureAudit Test CA")
    other = h.CA(tmp_path / "other", "Some Other CA")
    lab.ca, lab.other = ca, other
    lab.server_cert, lab.server_key = ca.issue("audit-server")
    lab.agent_cert, lab.agent_key = ca.issue("agent-1")
    lab.db = tmp_path / "audit.db"
    lab.tls12 = tmp_path / "tls12.cnf"
    lab.tls12.write_text(TLS12_ONLY)
    lab.srv_log = open(tmp_path / "server.log", "w")
    lab.spawn("srv", h.SERVER, "--listen", f"{lab.SRV4}:{PORT}", "--cert", lab.server_cert,
              "--key", lab.server_key, "--ca", ca.cert, "--store", f"sqlite:{lab.db}",
              "--tls-min", "1.2",
              stderr=lab.srv_log, stdout=lab.srv_log)
    lab.wait_tcp_listen("srv", PORT)
    rules = audit_rules(tmp_path, ca.cert)
    lab.run("gw", h.CLI, "setup-gateway", "--apply", "--ports", str(PORT))
    lab.monitor = Monitor(lab, str(rules))
    return lab


def agent(lab, name, n, cert=None, key=None, tls12=False):
    src = Path(lab.tmp, f"{name}.log")
    src.write_text(h.synth_events(n, tag=name))
    # TLS 1.2 only: the agent allows it (--tls-min), OpenSSL's configuration
    # caps it there (MaxProtocol)
    env = ["env", f"OPENSSL_CONF={lab.tls12}"] if tls12 else []
    vers = ["--tls-min", "1.2"] if tls12 else []
    return lab.spawn("cli", *env, h.AGENT, "--server", f"{lab.SRV4}:{PORT}", "--server-name",
                     "localhost", "--cert", cert or lab.agent_cert, "--key",
                     key or lab.agent_key, "--ca", lab.ca.cert, "--spool",
                     Path(lab.tmp, f"spool-{name}"), "--heartbeat", "1", "--stdin", *vers,
                     stdin=open(src))


def blocked_alerts(mon):
    """The monitor's "blocked" alerts, once there is one (or after 20 s: an
    agent's first try may come late on a loaded machine)."""
    return mon.alerts_where(lambda a: a["alert"]["action"] == "blocked", timeout=20)


def stored(lab, tag):
    if not lab.db.exists():
        return 0
    c = sqlite3.connect(lab.db, timeout=5)
    try:
        return c.execute("SELECT count(*) FROM events WHERE raw LIKE ?",
                         (f"%{tag}-%",)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        c.close()


def wait_stored(lab, tag, n, timeout=20):
    deadline = time.monotonic() + timeout
    while stored(lab, tag) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    return stored(lab, tag)


@pytest.mark.parametrize("tls12", [False, True], ids=["tls1.3", "tls1.2"])
def test_conforming_agent_passes_the_gateway(zone, tls12):
    tag = "ok12" if tls12 else "ok13"
    agent(zone, tag, 50, tls12=tls12)
    assert wait_stored(zone, tag, 50) == 50
    assert [a for a in zone.monitor.alerts() if a["alert"]["action"] == "blocked"] == []
    st = zone.monitor.stats()
    assert st["verdicts"]["accept_flow"] >= 1 and st["verdicts"]["drop_flow"] == 0, st


def test_agent_with_a_certificate_from_another_ca_is_stopped_at_the_gateway(zone):
    cert, key = zone.other.issue("intruder")
    agent(zone, "intruder", 20, cert=cert, key=key, tls12=True)
    hits = blocked_alerts(zone.monitor)
    assert hits, zone.monitor.alerts()
    a = hits[0]
    assert a["alert"]["action"] == "blocked" and a["dest_port"] == PORT
    checks = [f["check"] for f in a["secaudit"]["policy"]["failed"]]
    assert "client_certificate.invalid" in checks, a["secaudit"]["policy"]
    assert a["secaudit"]["policy"]["zone"] == "audit"
    time.sleep(2)                       # the agent retries; every try is stopped
    assert stored(zone, "intruder") == 0
    zone.srv_log.flush()
    assert "CN=intruder" not in Path(zone.srv_log.name).read_text()   # never got that far
    assert zone.monitor.stats()["verdicts"]["drop_flow"] >= 1


def test_client_without_certificate_is_stopped_at_the_gateway(zone):
    rc, out, _ = s_client(zone, "-tls1_2", "-CAfile", str(zone.ca.cert), port=PORT)
    assert rc != 0, out
    hits = blocked_alerts(zone.monitor)
    assert hits, zone.monitor.alerts()
    checks = [f["check"] for f in hits[0]["secaudit"]["policy"]["failed"]]
    assert "client_certificate.missing" in checks, hits[0]["secaudit"]["policy"]
