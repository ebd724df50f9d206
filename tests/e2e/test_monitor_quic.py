"""QUIC through the inline monitor, in the namespace lab (tests/e2e/lab.py):
Debian's ngtcp2 example client and server (gtlsclient, gtlsserver: GnuTLS,
HTTP/3) through the gateway, `secaudit setup-gateway` queueing the long
header packets of the QUIC ports. One server per port, each port its own
zone: an allowed host completes its handshake and download; a denied name,
an application protocol the zone does not allow, and a zone that drops QUIC
do not, and the alert says why. The server's own log tells whether it ever
received a packet of the client's (the client's view alone could not tell a
drop at the gateway from a dead server).
"""

from pathlib import Path

import pytest

from lab import lab, make_cert  # noqa: F401
from monitor_lab import (DENIED, QUIC_DROP, SNI_DENY, need_binaries, need_ngtcp2, quic_get,
                         rules_yaml, start_monitor)

ALLOWED, NO_H3, NO_QUIC = 443, 8443, 9443

RULES = rules_yaml(
    {"web": {**SNI_DENY, "versions": {"min": "TLS1.2"}},
     "h2-only": {"action": "drop",
                 "alpn": {"allow": ["h2", "http/1.1"],
                          "message": "application protocol not allowed"}},
     "tcp-only": QUIC_DROP},
    [("no-h3", "h2-only", [NO_H3]), ("no-quic", "tcp-only", [NO_QUIC]), ("web", "web", None)],
    description="QUIC end-to-end (tests/e2e/test_monitor_quic.py)")


@pytest.fixture
def qgw(lab, tmp_path):
    """Servers on the three ports, names resolved in the client's namespace
    (lab.hosts), the gateway rules and the monitor with RULES."""
    need_binaries()
    need_ngtcp2()
    cert, key = make_cert(tmp_path, "quic", cn="allowed.lab.test")
    www = tmp_path / "www"
    www.mkdir()
    (www / "hello").write_text("hello over QUIC through the gateway\n")
    lab.servers = {}
    for port in (ALLOWED, NO_H3, NO_QUIC):
        log = open(tmp_path / f"server{port}.log", "w")
        lab.spawn("srv", "gtlsserver", "--no-quic-dump", "-d", str(www), lab.SRV4, port,
                  key, cert, stdout=log, stderr=log)
        lab.servers[port] = tmp_path / f"server{port}.log"
        lab.wait_udp_listen("srv", port)
    lab.hosts("cli", f"{lab.SRV4} allowed.lab.test blocked.lab.test\n")
    start_monitor(lab, tmp_path, RULES, [443], quic_ports=[ALLOWED, NO_H3, NO_QUIC])
    lab.dl = tmp_path / "dl"
    lab.dl.mkdir()
    return lab


def server_packets(lab, port):
    return Path(lab.servers[port]).read_text().count("con recv packet")


def stopped(lab, name, port):
    """A fetch the gateway must stop: the client gets no body and the
    server no packet; the one alert about name is returned."""
    # gtlsclient exits 0 even when its handshake timed out: what it
    # fetched, and what the server received, tell
    rc, body = quic_get(lab, name, port)
    assert body is None, (rc, body)
    assert server_packets(lab, port) == 0
    hits = lab.monitor.quic_alerts(name)
    assert len(hits) == 1, lab.monitor.alerts()
    return hits[0]


def test_allowed_host_completes(qgw):
    rc, body = quic_get(qgw, "allowed.lab.test", ALLOWED)
    assert rc == 0 and body == "hello over QUIC through the gateway\n", (rc, body)
    assert server_packets(qgw, ALLOWED) > 0
    assert not qgw.monitor.alerts(), qgw.monitor.alerts()
    s = qgw.monitor.stats()
    # judged at the server's first flight, then bypassed by conntrack mark:
    # a handful of datagrams reached user space, not the transfer
    assert 0 < s["packets"] <= 8, s


def test_denied_name_never_reaches_the_server(qgw):
    a = stopped(qgw, "blocked.lab.test", ALLOWED)
    assert a["app_proto"] == "quic" and a["proto"] == "UDP"
    assert a["alert"]["action"] == "blocked"
    assert a["alert"]["signature"] == DENIED
    assert a["quic"]["ja4"].startswith("q13d")


def test_disallowed_alpn_never_reaches_the_server(qgw):
    a = stopped(qgw, "allowed.lab.test", NO_H3)
    assert a["alert"]["signature"] == "application protocol not allowed"
    failed = a["secaudit"]["policy"]["failed"]
    assert any("h3" in f.get("observed", "") for f in failed), failed


def test_quic_drop_zone(qgw):
    a = stopped(qgw, "allowed.lab.test", NO_QUIC)
    assert a["alert"]["signature"].startswith("QUIC not allowed")
