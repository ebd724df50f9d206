"""secaudit-monitor inline, in the namespace lab (tests/e2e/lab.py): real
clients (curl, openssl s_client) through the gateway to real servers
(openssl s_server), the monitor enforcing rules/demo.yaml (every failure is
`reject`). Each case asserts what the client experienced and the alert log.

The monitor is taken from $SECAUDIT_BIN (default build/bin): `make` first.
Without root, namespaces, iptables or NFQUEUE the lab fixture skips loudly.
"""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab import REPO, lab, polled  # noqa: F401
from monitor_lab import (MONITOR, RULES, SECAUDIT, Monitor, alert_with, need_binaries,
                         open_dir, ossl, received, s_client, stopped_before_certificate, was_reset)

GOOD_PORT, EXPIRED_PORT = 443, 8443


# -- certificates ---------------------------------------------------------------
def make_pki(d):
    """A throw-away CA, a good certificate for good.lab.test and one for
    expired.lab.test that expired in 2021. Returns the directory."""
    d = str(d)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-days", "2", "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    now = time.time()
    for name, start, end in (
            ("good", time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now - 86400)),
             time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + 2 * 86400))),
            ("expired", "20200101000000Z", "20210101000000Z")):
        cn = f"{name}.lab.test"
        ossl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
              "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        db = os.path.join(d, f"{name}.db")
        os.makedirs(db)
        Path(db, "index").write_text("")
        Path(db, "serial").write_text("01\n")
        Path(d, f"{name}.cnf").write_text(
            f"[ca]\ndefault_ca=d\n[d]\ndatabase={db}/index\nserial={db}/serial\n"
            f"new_certs_dir={db}\ndefault_md=sha256\npolicy=p\nunique_subject=no\n"
            f"x509_extensions=x\n[p]\ncommonName=supplied\n"
            f"[x]\nsubjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n")
        ossl("ca", "-batch", "-config", f"{name}.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
              "-in", f"{name}.csr", "-out", f"{name}.pem", "-startdate", start, "-enddate", end,
              "-notext", cwd=d)
    return d


@pytest.fixture
def gw(lab, tmp_path):
    """The lab with servers (good certificate on 443, expired on 8443, TLS
    1.2 there), the gateway rules applied and the monitor running."""
    need_binaries()
    pki = make_pki(tmp_path)
    www = tmp_path / "www"
    www.mkdir()
    (www / "big").write_bytes(os.urandom(4 << 20))
    (www / "hello").write_text("hello through the gateway\n")
    lab.pki = pki
    # one server per address: s_server serves one connection at a time, and
    # the reload test holds a session open on the IPv6 one
    for host in (lab.SRV4, f"[{lab.SRV6}]"):
        lab.spawn("srv", "openssl", "s_server", "-accept", f"{host}:{GOOD_PORT}", "-cert",
                  f"{pki}/good.pem", "-key", f"{pki}/good.key", "-quiet", "-naccept", "100000",
                  "-WWW", cwd=str(www))
    lab.spawn("srv", "openssl", "s_server", "-accept", EXPIRED_PORT, "-cert",
              f"{pki}/expired.pem", "-key", f"{pki}/expired.key", "-quiet", "-naccept", "100000",
              "-www")
    deadline = time.monotonic() + 10
    while len(lab.run("srv", "ss", "-Hltn", f"sport = :{GOOD_PORT}").stdout.splitlines()) < 2:
        assert time.monotonic() < deadline, "the servers on 443 did not start"
        time.sleep(0.05)
    lab.wait_tcp_listen("srv", EXPIRED_PORT)
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", f"{GOOD_PORT},{EXPIRED_PORT}")
    lab.monitor = Monitor(lab)
    return lab


# -- clients ---------------------------------------------------------------------
def curl(lab, addr, path="/hello", tls="1.3", timeout=10, extra=()):
    host = f"[{addr}]" if ":" in addr else addr
    vers = ["--tlsv1.3"] if tls == "1.3" else ["--tlsv1.2", "--tls-max", "1.2"]
    return lab.run("cli", "curl", "-sS", "--http1.0", "--max-time", timeout, "--cacert",
                   f"{lab.pki}/ca.pem", "--resolve", f"good.lab.test:{GOOD_PORT}:{host}", *vers,
                   *extra, f"https://good.lab.test{path}", check=False, timeout=timeout + 5)


# -- conforming sessions -----------------------------------------------------------
@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_conforming_session_completes_and_carries_data(gw, family, tls):
    addr = gw.SRV4 if family == "v4" else gw.SRV6
    body = "request body " * 200
    # a POST carries client data; -WWW answers with the file
    r = curl(gw, addr, tls=tls, extra=("-w", "\n%{ssl_verify_result} %{http_version}",))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("hello through the gateway\n"), r.stdout
    r2 = gw.run("cli", "sh", "-c",
                f"printf 'GET /hello HTTP/1.0\\r\\nX-Pad: {body}\\r\\n\\r\\n' | "
                f"timeout 5 openssl s_client -quiet -connect "
                f"{'[' + addr + ']' if ':' in addr else addr}:443 -servername good.lab.test "
                f"-tls{tls.replace('.', '_')} 2>/dev/null", check=False)
    assert "hello through the gateway" in r2.stdout
    assert gw.monitor.alerts() == []
    st = gw.monitor.stats()
    assert st["verdicts"]["accept_flow"] >= 2, st  # both flows decided and bypassed
    assert st["verdicts"]["drop_flow"] == 0


# -- sessions stopped at the ClientHello ---------------------------------------------
CLIENT_HELLO_CASES = {
    "tls1.0": (("-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "good.lab.test"),
               "TLS older than 1.2"),
    "weak-suites": (("-tls1_2", "-cipher", "AES128-SHA:AES256-SHA", "-servername",
                     "good.lab.test"), "weak cipher suite (not AEAD or not forward secret)"),
    "denied-sni": (("-servername", "blocked.lab.test"), "server name on the deny list"),
}


@pytest.mark.parametrize("case", sorted(CLIENT_HELLO_CASES))
def test_stopped_at_client_hello_with_resets(gw, case):
    args, signature = CLIENT_HELLO_CASES[case]
    rc, out, _ = s_client(gw, *args)
    assert rc != 0 and rc != 124, out               # failed, not timed out
    assert received(out) == [], out                 # no ServerHello ever arrived
    assert was_reset(out), out
    # the server's end was reset too: nothing left established on 443 (its
    # reset may reach it after the client's)
    est = polled(lambda: gw.run("srv", "ss", "-Htn", "state", "established",
                                f"( sport = :{GOOD_PORT} )").stdout.strip(),
                 lambda out: out == "", timeout=10)
    assert est == "", est
    hits = alert_with(gw.monitor, signature)
    assert len(hits) == 1, gw.monitor.alerts()
    a = hits[0]
    assert a["alert"]["action"] == "blocked"
    assert a["src_ip"] == gw.CLI4 and a["dest_ip"] == gw.SRV4 and a["dest_port"] == GOOD_PORT
    st = gw.monitor.stats()
    assert st["verdicts"]["reject"] == 1 and st["rsts_sent"] == 2, st


def test_expired_certificate_stopped_before_the_client_has_it(gw):
    hits = stopped_before_certificate(gw, "-tls1_2", "-servername", "expired.lab.test",
                                      port=EXPIRED_PORT)
    assert hits[0]["dest_port"] == EXPIRED_PORT
    assert "expired" in json.dumps(hits[0]["secaudit"]["policy"]).lower()


# -- bypass after the decision --------------------------------------------------------
def test_after_the_handshake_the_flow_leaves_the_queue(gw):
    before = gw.queue_stats(0)["id_sequence"]
    r = curl(gw, gw.SRV4, path="/big", extra=("-o", "/dev/null", "-w", "%{size_download}"))
    assert r.returncode == 0 and int(r.stdout) == 4 << 20, r.stderr
    queued = gw.queue_stats(0)["id_sequence"] - before
    # ClientHello, server flight, client Finished, perhaps a ticket: a
    # handful, against ~3000 data segments (or ~100 GSO packets)
    assert 2 <= queued <= 8, queued
    st = gw.monitor.stats()
    assert st["verdicts"]["accept_flow"] == 1 and st["packets"] == queued, st


# -- rules reload -------------------------------------------------------------------
def test_sighup_broken_rules_keep_the_old_policy_and_good_ones_apply(gw, tmp_path):
    rules = tmp_path / "live.yaml"
    text = Path(RULES).read_text()
    rules.write_text(text)
    gw.monitor.proc.terminate()
    gw.monitor.proc.wait(5)
    mon = gw.monitor = Monitor(gw, str(rules))
    # an established session, opened before the reloads
    live = subprocess.Popen(gw.argv("cli", ["openssl", "s_client", "-quiet", "-connect",
                                            f"[{gw.SRV6}]:443", "-servername", "good.lab.test"]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    gw.procs.append(live)
    deadline = time.monotonic() + 10
    while mon.stats()["verdicts"]["accept_flow"] < 1:       # handshake judged, flow bypassed
        assert live.poll() is None and time.monotonic() < deadline, "live session failed"
        time.sleep(0.05)

    rules.write_text(text.replace("profiles:", "profiles:\n  broken: [", 1))
    mon.signal(signal.SIGHUP)
    mon.wait_stderr("reload refused")
    assert re.search(re.escape(str(rules)) + r":\d+:\d+: ", mon.stderr()), mon.stderr()
    assert curl(gw, gw.SRV4).returncode == 0            # still running, still passing
    assert not s_client(gw, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")[1].count("<<<")

    rules.write_text(text.replace("blocked.lab.test", "good.lab.test"))
    mon.signal(signal.SIGHUP)
    mon.wait_stderr("rules reloaded")
    r = curl(gw, gw.SRV4)
    assert r.returncode != 0                           # the new policy denies the name
    assert alert_with(mon, "server name on the deny list")
    # the session established before both reloads still carries data
    live.stdin.write(b"GET /hello HTTP/1.0\r\n\r\n")
    live.stdin.flush()
    out, _ = live.communicate(timeout=20)
    assert b"hello through the gateway" in out
    st = mon.stats()
    assert st["reloads"] == 1 and st["reload_failures"] == 1


# -- operations ---------------------------------------------------------------------
def test_log_reopens_on_sigusr1_and_stats_events(gw, tmp_path):
    mon = gw.monitor
    s_client(gw, "-servername", "blocked.lab.test")
    assert alert_with(mon, "server name on the deny list")
    rotated = mon.log + ".1"
    os.rename(mon.log, rotated)
    mon.signal(signal.SIGUSR1)
    # the reopen makes the new file: a session before it would go to the old
    assert polled(lambda: os.path.exists(mon.log), bool, timeout=10), mon.stderr()
    s_client(gw, "-servername", "blocked.lab.test")
    assert len(alert_with(mon, "server name on the deny list")) == 1   # the new file
    assert len([line for line in Path(rotated).read_text().splitlines() if line]) == 1


def test_periodic_stats_event(lab, tmp_path):
    need_binaries()
    mon = Monitor(lab, RULES, "--stats-interval", "1")
    ev = polled(lambda: mon.events("stats"), bool, timeout=10)
    assert ev, mon.stderr()
    assert ev[0]["stats"]["queues"][0]["queue"] == 0
    assert "verdicts" in ev[0]["stats"] and "nfq" in ev[0]["stats"]["queues"][0]


def test_test_config(tmp_path):
    need_binaries()
    r = subprocess.run([MONITOR, "--rules", RULES, "--queue", "2:3", "--test-config"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "queues: 2:3 (2 threads)" in r.stdout and "configuration OK" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nprofiles:\n  p: {versions: {min: TLS9}}\n")
    r = subprocess.run([MONITOR, "--rules", bad, "--test-config"], capture_output=True, text=True)
    assert r.returncode == 1
    assert re.search(re.escape(str(bad)) + r":3:\d+: ", r.stderr), r.stderr
    conf = tmp_path / "monitor.yaml"
    conf.write_text(f"rules: {RULES}\nnfqueue: {{queues: \"4\"}}\nbogus: 1\n")
    r = subprocess.run([MONITOR, "--config", conf, "--test-config"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and f"{conf}:3:1: unknown key 'bogus'" in r.stderr, r.stderr
    # the shipped example, with this tree's rules and an existing user
    example = Path(REPO, "config", "monitor.yaml").read_text()
    example = re.sub(r"(?m)^rules: .*$", f"rules: {RULES}", example)
    example = re.sub(r"(?m)^(user|group): .*$", r"\1: nobody", example).replace(
        "group: nobody", "group: nogroup")
    with open_dir() as dirs:
        # the directories the example names, made here and the user's
        for key in ("alert_log", "stats_socket", "evidence"):
            path = dirs / key / "f"
            os.makedirs(path.parent if key != "evidence" else path)
            os.chown(path.parent if key != "evidence" else path, 65534, 65534)
            example = re.sub(rf"(?m)^{key}: .*$", f"{key}: {path}", example)
        conf.write_text(example)
        r = subprocess.run([MONITOR, "--config", conf, "--queue", "7", "--test-config"],
                           capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "queues: 7:7 (1 thread)" in r.stdout          # the flag overrides the file
    # what the example calls defaults are the built-in ones
    defaults = subprocess.run([MONITOR, "--rules", RULES, "--test-config"], capture_output=True,
                              text=True).stdout.splitlines()
    claimed = ("flows per queue", "reassembly", "nfqueue", "drop",
               "queue failure: fail-open; gso")

    def same(lines):
        return [l.split(" user:")[0] for l in lines if l.startswith(claimed)]
    assert same(r.stdout.splitlines()) == same(defaults) and len(same(defaults)) == 6, r.stdout
    assert "stats event every 60 s" in r.stdout


def test_drops_privileges_and_still_enforces(gw):
    mon = gw.monitor
    mon.proc.terminate()
    mon.proc.wait(5)
    os.chmod(gw.tmp, 0o777)          # the unprivileged monitor reopens its log here
    mon = gw.monitor = Monitor(gw, RULES, "--user", "nobody")
    status = Path(f"/proc/{mon.proc.pid}/status").read_text()
    uid = re.search(r"(?m)^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status).groups()
    assert set(uid) == {str(65534)}, status
    cap_eff = int(re.search(r"(?m)^CapEff:\s+([0-9a-f]+)", status).group(1), 16)
    assert cap_eff == 1 << 12, hex(cap_eff)            # CAP_NET_ADMIN only
    assert curl(gw, gw.SRV4).returncode == 0
    rc, out, _ = s_client(gw, "-servername", "blocked.lab.test")
    assert was_reset(out) and received(out) == [], out
    assert alert_with(mon, "server name on the deny list")


# -- the monitor killed while traffic flows ---------------------------------------------
@pytest.mark.parametrize("mode", ["fail-open", "fail-closed"])
def test_killed_monitor_fail_mode_then_restart_enforces(gw, mode):
    mon = gw.monitor
    if mode == "fail-closed":
        mon.proc.terminate()
        mon.proc.wait(5)
        gw.run("gw", SECAUDIT, "setup-gateway", "--apply", "--fail-closed", "--ports",
               f"{GOOD_PORT},{EXPIRED_PORT}")
        mon = gw.monitor = Monitor(gw, RULES, "--fail-closed")
    assert curl(gw, gw.SRV4).returncode == 0
    gw.stop(mon.proc, sig=signal.SIGKILL)
    r = curl(gw, gw.SRV4, timeout=3)
    if mode == "fail-open":
        assert r.returncode == 0, r.stderr                  # passes, unjudged
        assert received(s_client(gw, "-servername", "blocked.lab.test")[1])
    else:
        assert r.returncode == 28, r.stderr                 # nothing gets through
    mon = gw.monitor = Monitor(gw, RULES, *(("--fail-closed",) if mode == "fail-closed" else ()))
    assert curl(gw, gw.SRV4).returncode == 0
    rc, out, _ = s_client(gw, "-servername", "blocked.lab.test")
    assert was_reset(out) and received(out) == [], out
    assert alert_with(mon, "server name on the deny list")
