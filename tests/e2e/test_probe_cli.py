"""`secaudit probe`: the gateway's own TLS 1.3 handshake (monitor/probe/)
against real `openssl s_server -tls1_3` servers on loopback, with
certificates this test makes, judged by a strict policy: a lab-CA-signed
server passes, a self-signed and an expired one fail with the failed checks
named (never tls13_hidden), a server that demands a client certificate is
reported as such, and a closed port is a probe failure."""
import json
import os
import socket
import subprocess
import time

import pytest

from monitor_lab import SECAUDIT, ossl

EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe-pki")
    ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", "/CN=lab-ca",
         "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    for name, dates in (("good", ()), ("expired", ("-startdate", "20200101000000Z",
                                                    "-enddate", "20210101000000Z"))):
        ossl("req", "-new", *EC, "-nodes", "-subj", f"/CN={name}.lab.test",
             "-addext", f"subjectAltName=DNS:{name}.lab.test",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        (d / "db").mkdir(exist_ok=True)
        (d / "db" / "index").write_text("")
        (d / "ca.cnf").write_text(
            f"[ca]\ndefault_ca=d\n[d]\ndatabase={d}/db/index\nnew_certs_dir={d}/db\n"
            f"serial={d}/db/serial\ndefault_md=sha256\ndefault_days=2\npolicy=p\n"
            "copy_extensions=copy\nunique_subject=no\n[p]\ncommonName=supplied\n")
        (d / "db" / "serial").write_text("1000\n" if name == "good" else "1001\n")
        ossl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
             "-in", f"{name}.csr", "-out", f"{name}.pem", *dates, cwd=d)
    ossl("req", "-x509", *EC, "-nodes", "-days", "2", "-subj", "/CN=self.lab.test",
         "-addext", "subjectAltName=DNS:self.lab.test",
         "-keyout", "self.key", "-out", "self.pem", cwd=d)
    for name, client in (("strict", ""), ("sensitive", f"    client_certificate:\n"
                                                         f"      ca_file: {d}/ca.pem\n")):
        (d / f"{name}.yaml").write_text(f"""version: 1
profiles:
  p:
    action: drop
    certificate:
      ca_file: {d}/ca.pem
{client}    tls13_certificates: drop
zones:
  - {{name: default, profile: p}}
""")
    return d


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(pki):
    procs = []

    def start(cert, *extra):
        port = free_port()
        p = subprocess.Popen(["openssl", "s_server", "-tls1_3", "-accept", f"127.0.0.1:{port}",
                              "-cert", str(pki / f"{cert}.pem"), "-key", str(pki / f"{cert}.key"),
                              "-quiet", *extra],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return port
            time.sleep(0.05)
        pytest.fail("s_server did not start")

    yield start
    for p in procs:
        p.kill()
        p.wait()


def probe(pki, port, sni, rules="strict"):
    proc = subprocess.run([SECAUDIT, "probe", "--sni", sni, "--rules", str(pki / f"{rules}.yaml"),
                           "127.0.0.1", str(port)], capture_output=True, text=True, timeout=30)
    verdict = None
    for line in proc.stdout.splitlines():
        if line.startswith("policy: "):
            verdict = json.loads(line[len("policy: "):])
    return proc, verdict


def checks(verdict):
    return sorted(f["check"] for f in verdict["failed"])


def test_lab_ca_signed_server_passes(pki, server):
    proc, verdict = probe(pki, server("good"), "good.lab.test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "probe 127.0.0.1: ok" in proc.stdout
    assert "CN=good.lab.test" in proc.stdout
    assert verdict["verdict"] == "pass" and verdict["failed"] == []


def test_self_signed_and_expired_fail_with_their_checks_named(pki, server):
    proc, verdict = probe(pki, server("self"), "self.lab.test")
    assert proc.returncode == 1, proc.stdout
    assert {"certificate.self_signed", "certificate.untrusted"} <= set(checks(verdict))
    proc, verdict = probe(pki, server("expired"), "expired.lab.test")
    assert proc.returncode == 1, proc.stdout
    assert "certificate.expired" in checks(verdict)
    assert not any("tls13_hidden" in c for c in checks(verdict))


def test_a_server_demanding_a_client_certificate_is_reported(pki, server):
    port = server("good", "-Verify", "1", "-CAfile", str(pki / "ca.pem"))
    proc, verdict = probe(pki, port, "good.lab.test", rules="sensitive")
    assert "client certificate requested: yes" in proc.stdout, proc.stdout
    # The server demands one: the sensitive profile's requirement is met as
    # far as a TLS 1.3 gateway can know (the client's own certificate stays
    # encrypted); the chain itself passes.
    assert proc.returncode == 0, proc.stdout
    assert verdict["verdict"] == "pass"


def test_a_sensitive_zone_server_that_does_not_ask_fails(pki, server):
    proc, verdict = probe(pki, server("good"), "good.lab.test", rules="sensitive")
    assert "client certificate requested: no" in proc.stdout, proc.stdout
    assert proc.returncode == 1
    assert [(f["check"], f["observed"]) for f in verdict["failed"]] == [
        ("client_certificate.missing", "server did not request a client certificate")]


def test_a_closed_port_is_a_probe_failure(pki):
    proc, verdict = probe(pki, free_port(), "good.lab.test")
    assert proc.returncode == 2
    assert "refused" in proc.stdout
    assert verdict is None
