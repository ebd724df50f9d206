"""tls13_certificates: probe, inline, in the namespace lab.

Real TLS 1.3 servers on OpenSSL (tls13_server.py: `openssl s_server` serves
one connection at a time, and a held client would keep the probe waiting
behind it); the monitor probes each server
(its own TLS 1.3 handshake from the gateway namespace, to the address and
port the client chose) when the client's ClientHello passes, holds the
server's first flight in the kernel queue until the probe answers, and
judges the probed chain with the profile's certificate checks:

- a server with a certificate of the trusted lab CA passes, twice: the
  second verdict comes from the probe cache (`cached: true`, one probe);
- a self-signed and an expired server are rejected before the client gets
  even the ServerHello (the held flight is dropped, both ends reset), with
  certificate.self_signed / certificate.expired, never tls13_hidden;
- a server that resets the gateway's own connections (reachable for the
  client) follows on_probe_failure: drop; one whose port is filtered for
  the gateway, the default (alert) after the probe's timeout;
- a server asking for a client certificate is reported as such, and a
  sensitive zone's `client_certificate: required` fails a server that
  does not ask for one.
"""
import sys
from pathlib import Path

import pytest

from lab import lab, polled  # noqa: F401
from monitor_lab import (TLS13_SERVER, established, failed_checks, lab_ca_profile, make_lab_pki,
                         need_binaries, open_dir, received, rules_yaml, s_client,
                         start_monitor)

GOOD, SELF, EXPIRED, ASKS, NOASK, RESETS, FILTERED = 8443, 8444, 8445, 8446, 8447, 8448, 8449
TIMEOUT_MS = 1500

RULES = rules_yaml(
    {"strict": lab_ca_profile("probe", staple=True, versions=["TLS1.3"]),
     "failclosed": lab_ca_profile("probe", on_probe_failure="drop"),
     "failopen": lab_ca_profile("probe"),
     "sensitive": lab_ca_profile("probe", staple=True,
                                 client_certificate={"required": True, "ca_file": "ca.pem"})},
    [("resets", "failclosed", [RESETS]), ("filtered", "failopen", [FILTERED]),
     ("sensitive", "sensitive", [ASKS, NOASK]), ("lab", "strict", None)])


@pytest.fixture
def gwp(lab, tmp_path):  # noqa: F811
    need_binaries()
    with open_dir() as d:
        make_lab_pki(d)
        servers = {GOOD: "good", SELF: "self", EXPIRED: "expired", ASKS: "good", NOASK: "good",
                   RESETS: "good", FILTERED: "good"}
        for port, name in servers.items():
            extra = (f"{d}/ca.pem",) if port == ASKS else ()
            lab.spawn("srv", sys.executable, TLS13_SERVER, f"{d}/{name}.pem", f"{d}/{name}.key",
                      lab.SRV4, str(port), f"{d}/done.{port}", *extra)
        for port in servers:
            lab.wait_tcp_listen("srv", port)
        # The client reaches these two; the gateway's own connections are
        # reset (RESETS) or never answered (FILTERED).
        lab.run("srv", "iptables", "-A", "INPUT", "-s", lab.GWS4, "-p", "tcp", "--dport",
                RESETS, "-j", "REJECT", "--reject-with", "tcp-reset")
        lab.run("srv", "iptables", "-A", "INPUT", "-s", lab.GWS4, "-p", "tcp", "--dport",
                FILTERED, "-j", "DROP")
        start_monitor(lab, d, RULES, servers,
                      probe={"timeout_ms": TIMEOUT_MS, "cache_ttl": "5m"})
        lab.pki = d
        yield lab


def client(lab, port, name, *extra, timeout=8):
    rc, out, secs = s_client(lab, "-tls1_3", "-servername", f"{name}.lab.test", "-CAfile",
                             f"{lab.pki}/ca.pem", *extra, port=port, timeout=timeout)
    return rc, out, secs


def served(lab, port):
    """Handshakes the server completed with the client (its own record; the
    gateway's probes complete theirs too, from the gateway's address)."""
    path = Path(lab.pki, f"done.{port}")
    lines = path.read_text().splitlines() if path.exists() else []
    return [x for x in lines if x == f"done {lab.CLI4}"]


def served_n(lab, port, n, timeout=10):
    """served(), once it holds n handshakes (or the time ran out): the
    server writes its line after reading the client's Finished, which may
    be after the client has exited."""
    return polled(lambda: served(lab, port), lambda got: len(got) >= n, timeout)


def probe_stats(mon):
    return mon.stats()["probe"]


def flows_left(mon, forgotten, refused, timeout=10):
    """The monitor's stats once at least `forgotten` decided flows were
    forgotten (accepted) and `refused` kept refused (or the time ran out)."""
    return polled(mon.stats, lambda st: st["flows_forgotten"] >= forgotten and
                  st["flows_refused"] >= refused, timeout)


def test_trusted_server_passes_then_from_cache(gwp):
    mon = gwp.monitor
    for n, cached in ((1, False), (2, True)):
        rc, out, _ = client(gwp, GOOD, "good")
        assert rc != 124 and established(out), out
        assert served_n(gwp, GOOD, n) == [f"done {gwp.CLI4}"] * n
        hits = mon.alerts_to(GOOD, n)
        assert len(hits) == n, hits
        a = hits[-1]
        # only the staple, an alert: the chain itself passed
        assert failed_checks(a) == [("certificate.ocsp_staple_missing", "alert")], a
        assert a["alert"]["action"] == "allowed"
        assert a["secaudit"]["certificate"] == {"source": "probe", "cached": cached}
        tls = a["tls"]
        assert tls["subject"] == "CN=good.lab.test" and tls["issuerdn"] == "CN=lab-ca", tls
        for field in ("serial", "fingerprint", "notbefore", "notafter"):
            assert tls.get(field), (field, tls)
    st = probe_stats(mon)
    assert st["probes"] == 1 and st["cache_hits"] == 1, st
    # the first flight is held only when it comes before the probe's answer
    # (under load the server can be the slower: then none is held); what
    # was held was released, whichever came first
    assert st["released_packets"] == st["held_packets"], st


@pytest.mark.parametrize("port,name,check", [(SELF, "self", "certificate.self_signed"),
                                             (EXPIRED, "expired", "certificate.expired")])
def test_bad_certificate_blocked_before_the_client_has_the_flight(gwp, port, name, check):
    rc, out, secs = client(gwp, port, name)
    assert rc != 0 and rc != 124, out
    # The held flight was dropped: not even the ServerHello reached the client.
    assert received(out) == [], out
    assert "no peer certificate available" in out, out
    assert not served(gwp, port), "the server completed a handshake the policy refused"
    hits = gwp.monitor.alerts_to(port)
    assert len(hits) == 1, gwp.monitor.alerts()
    a = hits[0]
    assert a["alert"]["action"] == "blocked"
    got = [c for c, _ in failed_checks(a)]
    assert check in got and not any("tls13_hidden" in c for c in got), got
    assert a["secaudit"]["certificate"]["source"] == "probe"
    assert a["tls"]["subject"] == f"CN={name}.lab.test"


def test_probe_reset_follows_on_probe_failure_drop(gwp):
    rc, out, _ = client(gwp, RESETS, "good")
    assert rc != 0 and received(out) == [], out
    hits = gwp.monitor.alerts_to(RESETS)
    assert len(hits) == 1
    (chk, action), = failed_checks(hits[0])
    assert (chk, action) == ("certificate.probe_failed", "drop")
    observed = hits[0]["secaudit"]["policy"]["failed"][0]["observed"]
    assert observed.startswith(("refused", "reset")), observed
    st = probe_stats(gwp.monitor)
    assert st["failures"]["refused"] + st["failures"]["reset"] == 1, st
    st = flows_left(gwp.monitor, 0, 1)
    assert (st["flows_forgotten"], st["flows_refused"]) == (0, 1), st
    assert st["verdicts"]["drop_flow"] == 1, st["verdicts"]


def test_probe_timeout_follows_the_default_alert(gwp):
    rc, out, secs = client(gwp, FILTERED, "good")
    # alert: the held flight goes once the probe has failed, the client completes
    assert rc != 124 and established(out), out
    assert secs >= TIMEOUT_MS / 1000 - 0.2, secs
    hits = gwp.monitor.alerts_to(FILTERED)
    assert len(hits) == 1, "judged once, retransmissions included"
    assert failed_checks(hits[0]) == [("certificate.probe_failed", "alert")]
    assert hits[0]["secaudit"]["policy"]["failed"][0]["observed"].startswith("timeout")
    # Held that long, the server sends its unacknowledged flight again (its
    # retransmission timeout is far under the hold): every copy is held with
    # the original and released with it, none judged again (one alert).
    st = probe_stats(gwp.monitor)
    assert st["held_packets"] >= 2 and st["released_packets"] == st["held_packets"], st
    # The deadline decided the flow: it left the table then, as after a
    # packet (it stayed until its idle timeout), its flight released once.
    st = flows_left(gwp.monitor, 1, 0)
    assert st["flows_forgotten"] >= 1 and st["flows_refused"] == 0, st
    assert st["verdicts"]["drop_flow"] == 0, st["verdicts"]


def test_client_certificate_request_is_reported(gwp):
    """The sensitive profile's staple check only alerts: its alert shows what
    the probe saw of client authentication."""
    rc, out, _ = client(gwp, ASKS, "good")
    assert rc != 124 and established(out), out
    hits = gwp.monitor.alerts_to(ASKS)
    assert len(hits) == 1
    assert failed_checks(hits[0]) == [("certificate.ocsp_staple_missing", "alert")]
    assert hits[0]["secaudit"]["tls"]["client_certificate_requested"] is True
    assert hits[0]["secaudit"]["certificate"]["source"] == "probe"
    # the server that does not ask fails the sensitive zone's requirement
    rc, out, _ = client(gwp, NOASK, "good")
    assert rc != 0 and received(out) == [], out
    hits = gwp.monitor.alerts_to(NOASK)
    assert len(hits) == 1
    failed = hits[0]["secaudit"]["policy"]["failed"]
    assert ("client_certificate.missing", "reject") in failed_checks(hits[0]), failed
    assert [f["observed"] for f in failed if f["check"] == "client_certificate.missing"] == \
        ["server did not request a client certificate"]
    assert "client_certificate_requested" not in hits[0]["secaudit"]["tls"]
