"""What the monitor's end-to-end tests share: the binaries, the lab's
certificates and rules, the monitor running in the lab's gateway namespace
and what it logged, and what an openssl or QUIC client experienced."""

import contextlib
import json
import os
import shutil
import tempfile
import re
import subprocess
import time
from pathlib import Path

import yaml

from lab import REPO, polled, skip_loudly, whole_lines

BIN = Path(os.environ.get("SECAUDIT_BIN", os.path.join(REPO, "build", "bin")))
MONITOR = BIN / "secaudit-monitor"
SECAUDIT = BIN / "secaudit"
RULES = os.path.join(REPO, "rules", "demo.yaml")
GOOD_PORT = 443
# A threaded TLS 1.3 server on OpenSSL that records each handshake it completed
TLS13_SERVER = os.path.join(os.path.dirname(__file__), "tls13_server.py")
EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")


def need_binaries():
    for b in (MONITOR, SECAUDIT):
        if not b.exists():
            skip_loudly(f"{b} is not built (run make, or set SECAUDIT_BIN)")


@contextlib.contextmanager
def open_dir():
    """A directory every user can reach (pytest's own are root's, 0700),
    for files an unprivileged monitor must open; removed afterwards."""
    d = tempfile.mkdtemp(prefix="secaudit-e2e-")
    os.chmod(d, 0o755)
    try:
        yield Path(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def ossl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_lab_pki(d):
    """In d: ca (CN=lab-ca, the CA the rules trust), good and expired
    (signed by ca, for good.lab.test and expired.lab.test), self (self-signed,
    self.lab.test); each NAME.pem with NAME.key."""
    ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", "/CN=lab-ca", "-keyout",
         "ca.key", "-out", "ca.pem", cwd=d)
    for name, dates in (("good", ("-days", "2")),
                        ("expired", ("-startdate", "20200101000000Z", "-enddate",
                                     "20200201000000Z"))):
        ossl("req", "-new", *EC, "-nodes", "-subj", f"/CN={name}.lab.test", "-addext",
             f"subjectAltName=DNS:{name}.lab.test", "-keyout", f"{name}.key", "-out",
             f"{name}.csr", cwd=d)
        db = Path(d, f"{name}.db")
        db.mkdir()
        (db / "index").write_text("")
        Path(d, f"{name}.cnf").write_text(
            f"[ca]\ndefault_ca=d\n[d]\ndatabase={db}/index\nnew_certs_dir={db}\n"
            "default_md=sha256\npolicy=p\ncopy_extensions=copy\nserial=" + f"{db}/serial\n"
            "[p]\ncommonName=supplied\n")
        (db / "serial").write_text("1000\n")
        ossl("ca", "-batch", "-config", f"{name}.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
             "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext", *dates, cwd=d)
    ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", "/CN=self.lab.test",
         "-addext", "subjectAltName=DNS:self.lab.test", "-keyout", "self.key", "-out",
         "self.pem", cwd=d)


# -- rules -----------------------------------------------------------------------
DENIED = "server name on the deny list"
# drops a hello that names blocked.lab.test, with DENIED as its alert's signature
SNI_DENY = {"action": "drop", "sni": {"deny": ["blocked.lab.test"], "message": DENIED}}
# drops every QUIC session of its zone
QUIC_DROP = {"action": "drop", "quic": "drop"}


def lab_ca_profile(tls13, staple=False, **more):
    """A profile refusing what fails its checks, trusting make_lab_pki's CA
    (ca.pem beside the rules), TLS 1.3's encrypted certificates judged as
    tls13 says (alert, probe); staple: a missing OCSP staple is told as an
    alert, so an accepted session writes one too. more: further settings."""
    cert = {"ca_file": "ca.pem"}
    if staple:
        cert.update(require_ocsp_staple=True, checks={"ocsp_staple_missing": "alert"})
    return {"action": "reject", "certificate": cert, "tls13_certificates": tls13, **more}


def rules_yaml(profiles, zones, description=None):
    """A rules file's text: profiles (name: settings), then zones in order,
    each (name, profile, ports), ports None for one that takes every session."""
    doc = {"version": 1}
    if description:
        doc["description"] = description
    doc["profiles"] = profiles
    doc["zones"] = [{"name": name, "profile": profile,
                     **({"match": {"ports": list(ports)}} if ports else {})}
                    for name, profile, ports in zones]
    return yaml.safe_dump(doc, sort_keys=False)


# -- the monitor -----------------------------------------------------------------
class Monitor:
    """secaudit-monitor on queue 0 with rules, its log and stats socket in
    the lab's directory; with config=PATH, only --config PATH and extra are
    given (the file must name alert_log: LOG and stats_socket: SOCK of
    Monitor.paths(lab))."""
    def __init__(self, lab, rules=RULES, *extra, config=None, log=None):
        self.lab = lab
        self.log, self.sock = self.paths(lab)
        self.log = log or self.log
        self.err_path = os.path.join(lab.tmp, f"monitor{time.monotonic_ns()}.err")
        self.err = open(self.err_path, "w")
        args = (["--config", config] if config else
                ["--rules", rules, "--queue", "0", "--log", self.log, "--stats-socket", self.sock])
        self.proc = lab.spawn("gw", MONITOR, *args, *extra, stderr=self.err)
        deadline = time.monotonic() + 10
        while "enforcing" not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"secaudit-monitor did not start: {self.stderr()}")
            time.sleep(0.02)

    @staticmethod
    def paths(lab):
        return os.path.join(lab.tmp, "alerts.json"), os.path.join(lab.tmp, "monitor.sock")

    def stderr(self):
        return Path(self.err_path).read_text()

    def events(self, kind=None):
        out = [json.loads(line) for line in whole_lines(self.log) if line]
        return [e for e in out if kind is None or e["event_type"] == kind]

    def alerts(self):
        return self.events("alert")

    def alerts_where(self, match, n=1, timeout=10):
        """The alerts for which match(alert) holds, once there are n of them
        or timeout seconds have passed: callers assert how many, so a
        shortfall fails showing what was logged."""
        return polled(lambda: [a for a in self.alerts() if match(a)],
                      lambda hits: len(hits) >= n, timeout)

    def alerts_to(self, port, n=1, timeout=10):
        """alerts_where() for the sessions to port."""
        return self.alerts_where(lambda a: a["dest_port"] == port, n, timeout)

    def quic_alerts(self, sni, n=1, timeout=10):
        """alerts_where() for the QUIC sessions whose hello named sni."""
        return self.alerts_where(lambda a: a.get("quic", {}).get("sni") == sni, n, timeout)

    def stats(self):
        r = self.lab.run("gw", SECAUDIT, "stats", "--json", "--socket", self.sock)
        return json.loads(r.stdout)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_stderr(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            assert time.monotonic() < deadline, f"no '{text}' in monitor stderr:\n{self.stderr()}"
            time.sleep(0.02)


def s_client(lab, *args, port=GOOD_PORT, addr=None, timeout=5):
    """openssl s_client -msg (prints every handshake message received as
    '<<< ...'); returns (exit status, output, seconds)."""
    addr = addr or lab.SRV4
    t0 = time.monotonic()
    r = lab.run("cli", "timeout", timeout, "openssl", "s_client", "-connect", f"{addr}:{port}",
                "-msg", *args, check=False, timeout=timeout + 5, input="")
    return r.returncode, r.stdout + r.stderr, time.monotonic() - t0


def received(out):
    """Handshake message names the client received (s_client -msg)."""
    return re.findall(r"<<< .*?Handshake \[length [0-9a-f]+\], (\w+)", out)


def established(out):
    """The s_client output of a handshake that completed with a verified
    chain."""
    return "Verify return code: 0 (ok)" in out and "Finished" in received(out)


def was_reset(out):
    return bool(re.search(r"errno=104|reset by peer", out, re.I))


def alert_with(mon, signature, n=1, timeout=10):
    return mon.alerts_where(lambda a: a["alert"]["signature"] == signature, n, timeout)


def failed_checks(alert):
    """(check, action) of each policy check the alert's session failed."""
    return [(f["check"], f["action"]) for f in alert["secaudit"]["policy"]["failed"]]


def start_monitor(lab, d, rules, ports, quic_ports=(), **conf):
    """The gateway set up to queue ports (TCP) and quic_ports (UDP), and
    secaudit-monitor started on d/monitor.yaml: rules (text, written to
    d/rules.yaml, which `secaudit rules check` must pass without an error or
    a warning), the log and socket of Monitor.paths(lab), and conf's
    settings. Returns the Monitor, also kept as lab.monitor."""
    path = Path(d, "rules.yaml")
    path.write_text(rules)
    chk = lab.run("gw", SECAUDIT, "rules", "check", path, check=False)
    assert chk.returncode == 0 and "warning" not in chk.stderr, chk.stdout + chk.stderr
    log, sock = Monitor.paths(lab)
    config = Path(d, "monitor.yaml")
    config.write_text(yaml.safe_dump({"version": 1, "rules": str(path), "alert_log": log,
                                      "stats_socket": sock, **conf}, sort_keys=False))
    queued = ["--ports", ",".join(map(str, ports))]
    if quic_ports:
        queued += ["--quic-ports", ",".join(map(str, quic_ports))]
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", *queued)
    lab.monitor = Monitor(lab, config=str(config))
    return lab.monitor


def stopped_before_certificate(lab, *args, port):
    """An s_client handshake the monitor must stop at the server's
    Certificate: the client fails, reset by the monitor, without the
    complete flight; one blocked "bad server certificate" alert, returned."""
    rc, out, _ = s_client(lab, *args, port=port)
    assert rc != 0 and rc != 124, out
    got = received(out)
    assert "Certificate" not in got and "ServerHelloDone" not in got, got
    assert "no peer certificate available" in out, out
    assert was_reset(out), out
    # the monitor's own resets (not a retransmission refused by the mark)
    assert lab.monitor.stats()["rsts_sent"] >= 1, lab.monitor.stats()
    hits = alert_with(lab.monitor, "bad server certificate")
    assert len(hits) == 1, lab.monitor.alerts()
    assert hits[0]["alert"]["action"] == "blocked"
    return hits


# -- QUIC ------------------------------------------------------------------------
def need_ngtcp2():
    for b in ("gtlsclient", "gtlsserver"):
        if not shutil.which(b):
            skip_loudly(f"{b} missing (Debian ngtcp2-client / ngtcp2-server; "
                        "scripts/install-deps.sh installs them)")


def quic_get(lab, name, port, timeout=4):
    """gtlsclient fetches /hello from name:port over HTTP/3 into the
    directory lab.dl; returns (exit status, the body it saved or None)."""
    for f in lab.dl.iterdir():
        f.unlink()
    r = lab.run("cli", "timeout", timeout + 2, "gtlsclient", "--no-quic-dump", "--no-http-dump",
                f"--handshake-timeout={timeout}s", "--timeout=2s", "--download", lab.dl,
                "--exit-on-all-streams-close", name, port, f"https://{name}:{port}/hello",
                check=False, timeout=timeout + 10)
    body = lab.dl / "hello"
    return r.returncode, body.read_text() if body.exists() else None
