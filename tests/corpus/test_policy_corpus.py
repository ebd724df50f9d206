"""Policy verdicts on the generated corpus: for each capture of
../shared/corpus/generated, a test policy (written here, with the CA and CRL
files of the scenario) must fail exactly the requirements that the truth's
`policy_flags` name for each connection, and conforming connections must
raise no alert.

Needs `secaudit read --rules FILE --eve CAPTURE` to emit one EVE `alert`
event per judged connection that failed, carrying `alert.signature_id` and a
`secaudit` block (policy_state_to_json: zone, profile, verdict,
failed[].check, under secaudit.policy). Until `read` takes --rules these tests are skipped.
"""
import glob
import json
import os
import subprocess

import pytest

from conftest import CORPUS, SECAUDIT

GENERATED = os.path.join(CORPUS, "generated")

# policy_flags -> the check (secaudit.policy.failed[].check) the test policy fails.
FLAG_CHECKS = {
    "expired": "certificate.expired",
    "not_yet_valid": "certificate.not_yet_valid",
    "self_signed": "certificate.self_signed",
    "weak_key": "certificate.weak_key",
    "sha1_signature": "certificate.signature",
    "md5_signature": "certificate.signature",
    "hostname_mismatch": "certificate.hostname",
    "revoked": "certificate.revoked",
    "untrusted_issuer": "certificate.untrusted",
    "weak_protocol": "version",
    "rc4": "cipher_suite",
    "3des": "cipher_suite",
    "cbc_mode": "cipher_suite",
    "rsa_key_exchange": "cipher_suite",
    "null_cipher": "cipher_suite",
    "anonymous": "cipher_suite",
    "export": "cipher_suite",
    "not_tls": "anomaly.not_tls",
}

POLICY = """version: 1
profiles:
  test:
    action: alert
    versions: {{min: TLS1.2}}
    cipher_suites: {{forbid: [rc4, 3des, cbc, rsa_kx, null, anon, export]}}
    certificate:
{trust}
      min_rsa_bits: 2048
      min_ec_bits: 224
      forbidden_signatures: [md5, sha1]
    anomalies: {{not_tls: alert}}
zones:
  - {{name: default, profile: test}}
"""


def read_supports_rules():
    if not os.access(SECAUDIT, os.X_OK):
        return False
    proc = subprocess.run([SECAUDIT, "read", "--help"], capture_output=True, text=True)
    return "--rules" in proc.stdout + proc.stderr


pytestmark = pytest.mark.skipif(
    not read_supports_rules(),
    reason="needs `secaudit read --rules` (cli/cmd_read.c wired to policy_load/policy_evaluate)")


def truths():
    return sorted(glob.glob(os.path.join(GENERATED, "a*.json")))


def policy_for(truth, tmp_path):
    files = truth.get("files") or {}
    if files.get("ca_file"):
        trust = "      ca_file: " + os.path.join(GENERATED, files["ca_file"])
        if files.get("crl"):
            trust += "\n      crl: " + os.path.join(GENERATED, files["crl"])
    else:
        trust = "      trust: none"
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(trust=trust))
    return str(path)


def expected_checks(conn):
    return {FLAG_CHECKS[k] for k, v in conn["policy_flags"].items() if v is True and k in FLAG_CHECKS}


def judged(conn):
    """Connections the policy can judge like the truth: a negotiated
    session (the flags describe what was negotiated), or non-TLS bytes."""
    s = conn["summary"]
    return bool(s.get("negotiated_version")) or conn["policy_flags"].get("not_tls") is True


@pytest.mark.parametrize("truth_path", truths(), ids=os.path.basename)
def test_policy_flags(truth_path, tmp_path):
    truth = json.load(open(truth_path))
    capture = os.path.join(GENERATED, truth["file"])
    rules = policy_for(truth, tmp_path)
    proc = subprocess.run([SECAUDIT, "read", "--rules", rules, "--eve", capture],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    alerts = {}
    for line in proc.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event_type") != "alert":
            continue
        assert isinstance(ev["alert"]["signature_id"], int)
        assert ev["alert"]["action"] in ("allowed", "blocked")
        checks = {f["check"] for f in ev["secaudit"]["policy"]["failed"]}
        alerts.setdefault(ev["src_port"], set()).update(checks)
    for conn in truth["connections"]:
        if not judged(conn):
            continue
        port = int(conn["client"].rsplit(":", 1)[1])
        want = expected_checks(conn)
        got = alerts.get(port, set())
        assert got == want, f"{truth['file']} stream {conn['tcp_stream']}: {got} != {want}"


def failed_by_port(rules_text, capture, tmp_path, *extra):
    """Runs `secaudit read --rules` (with `extra` options) and returns
    {client port: [failed entries]}."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text)
    proc = subprocess.run([SECAUDIT, "read", "--rules", str(rules), "--eve", *extra,
                           os.path.join(GENERATED, capture)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event_type") == "alert":
            out.setdefault(ev["src_port"], []).extend(ev["secaudit"]["policy"]["failed"])
    return out


def connection_ports(capture):
    truth = json.load(open(os.path.join(GENERATED, capture.replace(".pcap", ".json"))))
    return [int(c["client"].rsplit(":", 1)[1]) for c in truth["connections"]]


RESUMPTION_POLICY = """version: 1
profiles:
  test:
    certificate: {{trust: none, match_sni: false, min_ec_bits: {ec_bits}}}
    unknown_resumption: alert
zones:
  - {{name: default, profile: test}}
"""


@pytest.mark.parametrize("threads", ["1", "3"])
@pytest.mark.parametrize("capture,linked", [
    ("a25_tls12_resumption_session_id.pcap", True),
    ("a26_tls12_resumption_ticket_sll2.pcap", True),    # by the NewSessionTicket's ticket
    ("a27_tls13_resumption_psk.pcap", False),           # TLS 1.3: the ticket was encrypted
])
def test_resumption_is_linked_to_its_full_handshake(capture, linked, threads, tmp_path):
    """Linked on one engine and on several (the flows split by server, the
    session cache with them)."""
    full, resumed = connection_ports(capture)
    failed = failed_by_port(RESUMPTION_POLICY.format(ec_bits=224), capture, tmp_path,
                            "--threads", threads)
    assert full not in failed
    checks = [f["check"] for f in failed.get(resumed, [])]
    assert checks == ([] if linked else ["unknown_resumption"])


def test_resumption_inherits_the_full_handshakes_failure(tmp_path):
    # a26's leaf is EC P-256: with min_ec_bits 384 the full handshake fails,
    # and the ticket resumption, linked to it, inherits that failure.
    capture = "a26_tls12_resumption_ticket_sll2.pcap"
    full, resumed = connection_ports(capture)
    failed = failed_by_port(RESUMPTION_POLICY.format(ec_bits=384), capture, tmp_path)
    assert [f["check"] for f in failed[full]] == ["certificate.weak_key"]
    assert [(f["check"], f["observed"]) for f in failed[resumed]] == [
        ("resumed_failed", "full handshake failed test.certificate.weak_key")]


def test_a_long_observed_value_is_cut_between_words(tmp_path):
    """observed holds 72 bytes; a longer value (here the full handshake's
    rule id, given long) ends with '...' after a whole word or id part."""
    capture = "a26_tls12_resumption_ticket_sll2.pcap"
    full, resumed = connection_ports(capture)
    policy = RESUMPTION_POLICY.format(ec_bits=384).replace(
        "min_ec_bits: 384}", "min_ec_bits: 384, id: payments-servers-must-use-big-keys-like-these}")
    failed = failed_by_port(policy, capture, tmp_path)
    rule = failed[full][0]["rule"]
    assert rule == "payments-servers-must-use-big-keys-like-these.weak_key"
    observed = failed[resumed][0]["observed"]
    assert observed == "full handshake failed payments-servers-must-use-big-keys-like-these..."
    assert len(observed.encode()) <= 71


OCSP_POLICY = """version: 1
profiles:
  test:
    certificate: {{ca_file: {ca}, require_ocsp_staple: true}}
zones:
  - {{name: default, profile: test}}
"""


def test_real_ocsp_staple_verifies_against_its_issuer(tmp_path):
    # a33's staple is signed by the issuing CA's delegated OCSP responder.
    capture = "a33_tls12_ocsp_stapling.pcap"
    ca = os.path.join(GENERATED, "pki", "rootA.crt.pem")
    assert failed_by_port(OCSP_POLICY.format(ca=ca), capture, tmp_path) == {}


def test_real_ocsp_staple_under_another_trust_is_invalid(tmp_path):
    capture = "a33_tls12_ocsp_stapling.pcap"
    ca = os.path.join(GENERATED, "pki", "rogueCA.crt.pem")
    (port,) = connection_ports(capture)
    failed = failed_by_port(OCSP_POLICY.format(ca=ca), capture, tmp_path)
    by_check = {f["check"]: f for f in failed[port]}
    assert set(by_check) == {"certificate.untrusted", "certificate.ocsp_invalid",
                             "certificate.ocsp_staple_missing"}
    # The issuer is in the chain, but its responder does not chain to this trust.
    assert by_check["certificate.ocsp_invalid"]["observed"].startswith("signature: ")
