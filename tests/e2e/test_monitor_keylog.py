"""secaudit-monitor --keylog, inline, in the namespace lab.

Real `openssl s_server -tls1_3 -keylogfile F` servers write their TLS 1.3
handshake secrets to F as they handshake; the monitor follows F as it grows
and, when a server's encrypted flight arrives, decrypts it and judges the
certificate with the profile's checks (`secaudit.certificate.source:
keylog`):

- a self-signed server is blocked before the client finishes its
  handshake (certificate.self_signed, never tls13_hidden);
- a server with a certificate of the trusted lab CA passes (its alert is
  only the profile's OCSP staple check, set to alert to make one);
- a server whose line comes late (the test copies it into F only once the
  monitor holds the flight) is judged when it comes;
- secrets that do not decrypt give the tls.decrypt_failed anomaly and the
  session is judged as without keys;
- a server that writes no key log: today's behaviour (the flight is held
  keylog_wait_ms, then certificate.tls13_hidden under
  tls13_certificates: alert); under tls13_certificates: probe the probe
  judges it after the wait, and a second session, whose probe answer is
  cached, is judged at once without waiting for secrets.
"""
import json
import sys
from pathlib import Path

import pytest

from lab import lab, polled  # noqa: F401
from monitor_lab import (TLS13_SERVER, established, failed_checks, lab_ca_profile, make_lab_pki,
                         need_binaries, open_dir, received, rules_yaml, s_client, start_monitor,
                         whole_lines)

GOOD, SELF, LATE, BADKEY, NOKEYS, PROBED = 8543, 8544, 8545, 8546, 8547, 8548
WAIT_MS = 3000

RULES = rules_yaml({"strict": lab_ca_profile("alert", staple=True, versions=["TLS1.3"]),
                    "probing": lab_ca_profile("probe")},
                   [("probed", "probing", [PROBED]), ("lab", "strict", None)])


def s_server(lab, d, port, name, keylog):
    args = ["openssl", "s_server", "-tls1_3", "-accept", str(port), "-cert", f"{d}/{name}.pem",
            "-key", f"{d}/{name}.key", "-quiet", "-naccept", "100000", "-www"]
    if keylog:
        args += ["-keylogfile", str(keylog)]
    lab.spawn("srv", *args)
    lab.wait_tcp_listen("srv", port)


@pytest.fixture
def gwk(lab):  # noqa: F811
    need_binaries()
    with open_dir() as d:
        make_lab_pki(d)
        followed = Path(d, "keys.log")
        s_server(lab, d, GOOD, "good", followed)
        s_server(lab, d, SELF, "self", followed)
        # These two write elsewhere: the test hands their lines over.
        s_server(lab, d, LATE, "self", Path(d, "late.keys"))
        s_server(lab, d, BADKEY, "good", Path(d, "bad.keys"))
        s_server(lab, d, NOKEYS, "self", None)
        # threaded: the gateway's probe is served while the client is held
        lab.spawn("srv", sys.executable, TLS13_SERVER, f"{d}/self.pem", f"{d}/self.key", lab.SRV4,
                  str(PROBED), f"{d}/done.{PROBED}")
        lab.wait_tcp_listen("srv", PROBED)
        start_monitor(lab, d, RULES, (GOOD, SELF, LATE, BADKEY, NOKEYS, PROBED),
                      keylog=str(followed), keylog_wait_ms=WAIT_MS)
        lab.pki = d
        lab.followed = followed
        yield lab


def client(lab, port, name, timeout=10):
    return s_client(lab, "-tls1_3", "-servername", f"{name}.lab.test", "-CAfile",
                    f"{lab.pki}/ca.pem", port=port, timeout=timeout)


def client_bg(lab, port, name, timeout=20):
    """s_client started in the background: (process, output path)."""
    out = Path(lab.tmp, f"client{port}.out")
    f = open(out, "w")
    p = lab.spawn("cli", "timeout", str(timeout), "openssl", "s_client", "-connect",
                  f"{lab.SRV4}:{port}", "-msg", "-tls1_3", "-servername", f"{name}.lab.test",
                  "-CAfile", f"{lab.pki}/ca.pem", stdout=f, stderr=f)
    return p, out


def keylog_stats(mon):
    return mon.stats()["keylog"]


def wait_held(mon, n, timeout=15):
    st = polled(lambda: keylog_stats(mon), lambda st: st["held_flights"] >= n, timeout,
                every=0.02)
    assert st["held_flights"] >= n, st


def wait_lines(path, n, timeout=10):
    return polled(lambda: whole_lines(path),
                  lambda lines: len([x for x in lines if "HANDSHAKE_TRAFFIC_SECRET" in x]) >= n,
                  timeout, every=0.02)


def test_self_signed_blocked_before_the_client_finishes(gwk):
    rc, out, secs = client(gwk, SELF, "self")
    assert rc != 0 and rc != 124, out
    assert "Finished" not in received(out), out
    assert "no peer certificate available" in out, out
    hits = gwk.monitor.alerts_to(SELF)
    assert len(hits) == 1, gwk.monitor.alerts()
    a = hits[0]
    assert a["alert"]["action"] == "blocked"
    got = [c for c, _ in failed_checks(a)]
    assert "certificate.self_signed" in got and not any("tls13_hidden" in c for c in got), got
    assert a["secaudit"]["certificate"]["source"] == "keylog"
    assert a["tls"]["subject"] == "CN=self.lab.test"


def test_lab_ca_server_passes(gwk):
    rc, out, _ = client(gwk, GOOD, "good")
    assert rc != 124 and established(out), out
    hits = gwk.monitor.alerts_to(GOOD)
    assert len(hits) == 1, gwk.monitor.alerts()
    a = hits[0]
    # only the staple, an alert: the decrypted chain itself passed
    assert failed_checks(a) == [("certificate.ocsp_staple_missing", "alert")], failed_checks(a)
    assert a["alert"]["action"] == "allowed"
    assert a["secaudit"]["certificate"]["source"] == "keylog"
    assert a["tls"]["subject"] == "CN=good.lab.test" and a["tls"]["issuerdn"] == "CN=lab-ca"
    for field in ("serial", "fingerprint", "notbefore", "notafter"):
        assert a["tls"].get(field), (field, a["tls"])


def test_late_line_judged_when_it_comes(gwk):
    mon = gwk.monitor
    held = keylog_stats(mon)["held_flights"]
    p, out = client_bg(gwk, LATE, "self")
    wait_held(mon, held + 1)
    assert p.poll() is None, "the client went on while its server's flight was held"
    lines = wait_lines(Path(gwk.pki, "late.keys"), 2)
    with open(gwk.followed, "a") as f:
        f.write("\n".join(lines) + "\n")
    assert p.wait(timeout=30) not in (0, 124)
    text = out.read_text()
    assert "Finished" not in received(text), text
    hits = mon.alerts_to(LATE)
    assert len(hits) == 1, mon.alerts()
    got = [c for c, _ in failed_checks(hits[0])]
    assert "certificate.self_signed" in got and not any("tls13_hidden" in c for c in got), got
    assert hits[0]["secaudit"]["certificate"]["source"] == "keylog"
    st = keylog_stats(mon)
    assert st["found_while_held"] >= 1, st


def test_secrets_that_do_not_decrypt_give_an_anomaly(gwk):
    mon = gwk.monitor
    held = keylog_stats(mon)["held_flights"]
    p, out = client_bg(gwk, BADKEY, "good")
    wait_held(mon, held + 1)
    lines = wait_lines(Path(gwk.pki, "bad.keys"), 2)
    bad = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and "HANDSHAKE_TRAFFIC_SECRET" in parts[0]:
            # the right connection, another secret of the right length
            parts[2] = "".join("0" if c != "0" else "1" for c in parts[2])
            bad.append(" ".join(parts))
    assert len(bad) == 2, lines
    with open(gwk.followed, "a") as f:
        f.write("\n".join(bad) + "\n")
    assert p.wait(timeout=30) != 124
    hits = mon.alerts_to(BADKEY)
    assert len(hits) == 1, mon.alerts()
    got = [c for c, _ in failed_checks(hits[0])]
    # judged as without keys: the certificate stayed hidden
    assert "certificate.tls13_hidden" in got, got
    an = polled(lambda: [e for e in mon.events("anomaly") if e["dest_port"] == BADKEY], bool,
                timeout=10)
    assert an, mon.events("anomaly")
    assert any("decrypt" in json.dumps(e["anomaly"]) for e in an), an
    assert mon.proc.poll() is None


def test_no_keys_is_todays_behaviour(gwk):
    rc, out, secs = client(gwk, NOKEYS, "self")
    # tls13_certificates: alert: the session goes on once the wait is over
    assert rc != 124 and "Finished" in received(out), out
    assert secs >= WAIT_MS / 1000 - 0.2, secs
    hits = gwk.monitor.alerts_to(NOKEYS)
    assert len(hits) == 1, gwk.monitor.alerts()
    assert failed_checks(hits[0]) == [("certificate.tls13_hidden", "alert")], failed_checks(hits[0])
    st = keylog_stats(gwk.monitor)
    assert st["missing"] >= 1, st


def test_no_keys_falls_back_to_the_probe_then_its_cache(gwk):
    mon = gwk.monitor
    for n in (1, 2):
        held = keylog_stats(mon)["held_flights"]
        rc, out, _ = client(gwk, PROBED, "self")
        assert rc != 0 and rc != 124 and "Finished" not in received(out), out
        hits = mon.alerts_to(PROBED, n)
        assert len(hits) == n, mon.alerts()
        a = hits[-1]
        assert a["alert"]["action"] == "blocked"
        got = [c for c, _ in failed_checks(a)]
        assert "certificate.self_signed" in got and not any("tls13_hidden" in c for c in got), got
        assert a["secaudit"]["certificate"] == {"source": "probe", "cached": n == 2}
        # the first waited for its secrets, then for the probe; the second's
        # cached answer was judged at once
        assert keylog_stats(mon)["held_flights"] == held + (n == 1), keylog_stats(mon)
