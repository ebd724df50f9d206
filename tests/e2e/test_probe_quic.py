"""tls13_certificates: probe for QUIC sessions, inline, in the namespace lab.

QUIC hides the server's certificate as TLS 1.3 does (it comes in Handshake
packets). The monitor probes the same server over TCP: the address the
client chose, the QUIC port's number (then 443), the client's SNI, its
ALPN mapped (h3 to h2, http/1.1). Debian's ngtcp2 example server
(gtlsserver, GnuTLS) answers QUIC, and tls13_server.py (OpenSSL) TLS over
TCP on the same address and port with the same certificate, as an HTTPS
site serving both does. The server's datagrams from its Initial on are held
in the kernel queue until the probe answers, then released or dropped:

- a server with a certificate of the trusted lab CA passes (the client's
  HTTP/3 download completes; only the missing OCSP staple is told, an
  alert, so that the log shows the session), twice: the second verdict
  from the cache;
- a self-signed one is blocked, certificate.self_signed named, never
  tls13_hidden: the client never gets the server's flight (no download);
- a QUIC-only server (nothing on TCP at its address) fails the probe and
  follows on_probe_failure (drop here), the probe's failure named.
"""
import sys

import pytest

from lab import lab  # noqa: F401
from monitor_lab import (TLS13_SERVER, failed_checks, lab_ca_profile, make_lab_pki, need_binaries,
                         need_ngtcp2, open_dir, quic_get, rules_yaml, start_monitor)

GOOD, SELF, QUIC_ONLY = 443, 8443, 9443
TIMEOUT_MS = 4000
PROBE_DELAY_MS = 1000

RULES = rules_yaml({"strict": lab_ca_profile("probe", staple=True),
                    "failclosed": lab_ca_profile("probe", on_probe_failure="drop")},
                   [("quic-only", "failclosed", [QUIC_ONLY]), ("lab", "strict", None)])


@pytest.fixture
def gwq(lab, tmp_path):  # noqa: F811
    need_binaries()
    need_ngtcp2()
    with open_dir() as d:
        make_lab_pki(d)
        www = d / "www"
        www.mkdir()
        (www / "hello").write_text("hello over QUIC, its certificate probed\n")
        lab.quic_logs = {}
        # QUIC and TLS over TCP at one address and port, one certificate;
        # the QUIC-only server at the server's IPv6 address, where nothing
        # listens on TCP
        for port, name, addr in ((GOOD, "good", lab.SRV4), (SELF, "self", lab.SRV4),
                                 (QUIC_ONLY, "good", lab.SRV6)):
            log = d / f"quic.{port}"
            lab.spawn("srv", "gtlsserver", "--no-quic-dump", "-d", www, addr, port,
                      f"{d}/{name}.key", f"{d}/{name}.pem", stdout=open(log, "w"),
                      stderr=open(log, "a"))
            lab.quic_logs[port] = log
            lab.wait_udp_listen("srv", port)
            if port != QUIC_ONLY:
                # its handshakes delayed: the QUIC server answers the
                # client first, so its flight is held for the probe
                lab.spawn("srv", "env", f"TLS13_SERVER_DELAY_MS={PROBE_DELAY_MS}",
                          sys.executable, TLS13_SERVER, f"{d}/{name}.pem", f"{d}/{name}.key",
                          addr, str(port), f"{d}/done.{port}")
                lab.wait_tcp_listen("srv", port)
        lab.hosts("cli", f"{lab.SRV4} good.lab.test self.lab.test\n"
                         f"{lab.SRV6} quic-only.lab.test\n")
        ports = (GOOD, SELF, QUIC_ONLY)
        start_monitor(lab, d, RULES, ports, quic_ports=ports,
                      probe={"timeout_ms": TIMEOUT_MS, "cache_ttl": "5m"})
        lab.dl = d / "dl"
        lab.dl.mkdir()
        yield lab


def fetched(lab, name, port):
    """The body of /hello that gtlsclient got over HTTP/3, or None: the
    server's answer after its handshake completed, not what the client
    claims."""
    return quic_get(lab, name, port, timeout=6)[1]


def test_trusted_quic_server_passes_then_from_cache(gwq):
    mon = gwq.monitor
    for n, cached in ((1, False), (2, True)):
        assert fetched(gwq, "good.lab.test", GOOD) == \
            "hello over QUIC, its certificate probed\n"
        # the log has an alert only: the missing staple (an alert), so
        # the chain itself passed
        ev = mon.quic_alerts("good.lab.test", n)
        assert len(ev) == n, mon.events()
        assert failed_checks(ev[-1]) == [("certificate.ocsp_staple_missing", "alert")], ev[-1]
        assert ev[-1]["alert"]["action"] == "allowed"
        sec = ev[-1]["secaudit"]
        assert sec["certificate"] == {"source": "probe", "cached": cached}, sec
        assert sec["tls"]["server_chain"][0]["subject"] == "CN=good.lab.test", sec["tls"]
    st = mon.stats()["probe"]
    assert st["probes"] == 1 and st["cache_hits"] == 1, st
    # the first session's flight waited for its probe (slower than the
    # QUIC server by PROBE_DELAY_MS); the cached one not
    assert st["held_packets"] >= 1 and st["released_packets"] == st["held_packets"], st


def blocked(lab, name, port):
    """A download the gateway must stop: the client gets no body; the one
    alert about name, a blocked QUIC session, is returned."""
    assert fetched(lab, name, port) is None
    hits = lab.monitor.quic_alerts(name)
    assert len(hits) == 1, lab.monitor.alerts()
    a = hits[0]
    assert a["app_proto"] == "quic" and a["alert"]["action"] == "blocked", a
    return a


def test_self_signed_quic_server_blocked(gwq):
    mon = gwq.monitor
    a = blocked(gwq, "self.lab.test", SELF)
    names = [c for c, _ in failed_checks(a)]
    assert "certificate.self_signed" in names and "tls13_hidden" not in names, names
    assert a["secaudit"]["certificate"] == {"source": "probe", "cached": False}
    # the server answered the client; the gateway dropped what it sent
    assert "con recv packet" in gwq.quic_logs[SELF].read_text()
    st = mon.stats()
    assert st["probe"]["held_packets"] >= 1, st["probe"]
    assert st["rst_errors"] == 0, st      # UDP: no reset tried


def test_quic_only_server_follows_on_probe_failure(gwq):
    a = blocked(gwq, "quic-only.lab.test", QUIC_ONLY)
    failed = a["secaudit"]["policy"]["failed"]
    assert [f["check"] for f in failed] == ["certificate.probe_failed"], failed
    assert "refused" in failed[0]["observed"], failed
