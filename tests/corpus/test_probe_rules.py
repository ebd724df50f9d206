"""`tls13_certificates: probe` in the rules: what `secaudit rules check`
refuses (file:line and why), and what `secaudit read` makes of a probing
profile's TLS 1.3 session offline, where nothing is probed: the failure
policy (on_probe_failure) judges it unless the key log shows the chain."""
import json
import os
import subprocess

import pytest

from conftest import SECAUDIT, corpus_path

CAP = "a01_tls13_openssl_sni_alpn_h2"


def rules(tmp_path, profile, zone=""):
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip(f"{SECAUDIT} not built")
    ca = corpus_path("generated", "a14_tls12_chain_verified.ca.pem")
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nprofiles:\n  corp:\n"
                    f"    certificate: {{ca_file: {ca}}}\n{profile}"
                    f"zones:\n  - {{name: all, profile: corp{zone}}}\n")
    return path


@pytest.mark.parametrize("profile,zone,says", [
    ("    tls13_certificates: probe\n    on_probe_failure: reject\n", "",
     "6:23: on_probe_failure must be allow, alert or drop"),
    ("    on_probe_failure: drop\n", "", "5:23: on_probe_failure needs tls13_certificates: probe"),
    ("    tls13_certificates: probes\n", "",
     "5:25: tls13_certificates must be allow, alert, drop, reject or probe"),
    ("    tls13_certificates: probe\n", ", probe: maybe", "7:39: probe must be true or false"),
    ("    tls13_certificates: drop\n", ", probe: false",
     "7:39: probe: profile 'corp' does not probe (tls13_certificates: probe)"),
])
def test_refused_with_place_and_reason(tmp_path, profile, zone, says):
    path = rules(tmp_path, profile, zone)
    r = subprocess.run([SECAUDIT, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{path}:{says}" in r.stderr, r.stderr


def test_probe_without_requirements_refused(tmp_path):
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip(f"{SECAUDIT} not built")
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nprofiles:\n  p:\n    tls13_certificates: probe\n"
                    "zones:\n  - {name: all, profile: p}\n")
    r = subprocess.run([SECAUDIT, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{path}:4:25: tls13_certificates: probe needs certificate or client_certificate" \
        in r.stderr


def failures(path, *extra):
    out = subprocess.run([SECAUDIT, "read", "--eve", "--rules", str(path), *extra,
                          corpus_path("generated", CAP + ".pcap")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [(f["check"], f["action"], f["observed"])
            for l in out.stdout.splitlines() if '"event_type":"alert"' in l
            for f in json.loads(l)["secaudit"]["policy"]["failed"]]


@pytest.mark.parametrize("profile,zone,expect", [
    ("    tls13_certificates: probe\n", "",
     [("certificate.probe_failed", "alert", "not probed (no prober: offline)")]),
    ("    tls13_certificates: probe\n    on_probe_failure: drop\n", "",
     [("certificate.probe_failed", "drop", "not probed (no prober: offline)")]),
    ("    tls13_certificates: probe\n", ", probe: false",
     [("certificate.probe_failed", "alert", "probing is off in this zone")]),
    ("    tls13_certificates: probe\n    on_probe_failure: allow\n", "", []),
])
def test_offline_session_follows_the_failure_policy(tmp_path, profile, zone, expect):
    """Offline nothing is probed; never certificate.tls13_hidden."""
    assert failures(rules(tmp_path, profile, zone)) == expect


def test_offline_key_log_shows_the_chain(tmp_path):
    """With the key log the chain is judged as a probed one would be: the
    corpus server's CA is the trusted one, so nothing fails."""
    path = rules(tmp_path, "    tls13_certificates: probe\n    on_probe_failure: drop\n")
    assert failures(path, "--keylog", corpus_path("generated", CAP + ".keys")) == []


def test_lint_is_quiet_for_probe(tmp_path):
    path = rules(tmp_path, "    tls13_certificates: probe\n")
    r = subprocess.run([SECAUDIT, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
