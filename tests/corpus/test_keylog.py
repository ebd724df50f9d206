"""TLS 1.3 handshakes decrypted with their key logs (`secaudit read
--keylog`): every TLS 1.3 capture of ../shared/corpus/generated that has a
`.keys` file must show the certificate its truth decrypted (tshark with the
key log; `observed_decrypted.server_certificates`), say it came from the key
log, and be judged by the certificate checks as a TLS 1.2 session is,
never as `tls13_hidden`."""
import glob
import json
import os
import subprocess

import pytest

from conftest import CORPUS, SECAUDIT, events_of, read_eve
from test_policy_corpus import expected_checks, failed_by_port, judged, policy_for

GENERATED = os.path.join(CORPUS, "generated")
PKI = os.path.join(GENERATED, "pki")


def tls13_with_keys():
    out = []
    for path in sorted(glob.glob(os.path.join(GENERATED, "a*.json"))):
        truth = json.load(open(path))
        keys = os.path.join(GENERATED, truth["file"].replace(".pcap", ".keys"))
        if os.path.exists(keys) and any(c["summary"].get("negotiated_version") == "TLSv1.3"
                                        for c in truth["connections"]):
            out.append(os.path.basename(path))
    return out


TLS13 = tls13_with_keys()


def paths(name):
    base = os.path.join(GENERATED, name.replace(".json", ""))
    return base + ".pcap", base + ".keys"


def by_port(events):
    return {e["src_port"]: e for e in events_of(events, "tls")}


def test_the_corpus_has_tls13_captures_with_keys():
    # a01 a02 a11 a12 a23 a27 a28 a34 a43: a test over none would pass silently.
    assert len(TLS13) >= 9, TLS13


@pytest.mark.parametrize("name", TLS13)
def test_decrypted_certificate_is_the_truths(name):
    truth = json.load(open(os.path.join(GENERATED, name)))
    capture, keys = paths(name)
    tls = by_port(read_eve(capture, "--keylog", keys))
    plain = by_port(read_eve(capture))
    for conn in truth["connections"]:
        if conn["summary"].get("negotiated_version") != "TLSv1.3":
            continue
        port = int(conn["client"].rsplit(":", 1)[1])
        ev = tls[port]
        dec = conn["observed_decrypted"]
        certs = dec["server_certificates"]
        assert ev["secaudit"]["tls"]["keylog"] == "decrypted"
        if not certs:   # a PSK resumption shows no certificate
            assert "fingerprint" not in ev["tls"]
            continue
        want = certs[0]
        fp = ev["tls"]["fingerprint"].replace(":", "")
        assert fp == want["sha1_fingerprint"], f"{name} port {port}"
        assert ev["tls"]["serial"].replace(":", "") == want["serial"].upper()
        assert ev["secaudit"]["tls"]["server_chain"][0]["sha256"].replace(":", "").lower() == \
            want["sha256_fingerprint"]
        assert ev["secaudit"]["certificate"] == {"source": "keylog"}
        assert ev["secaudit"]["tls"].get("client_certificate_requested", False) == \
            dec["certificate_request_seen"]
        assert (ev["secaudit"]["tls"]["client_certificate"] == "sent") == \
            dec["client_certificate_nonempty"]
        msgs = ev["secaudit"]["tls"]["messages"]
        assert "server:Certificate" in msgs and "server:Finished" in msgs
        # Without the key log the same session shows no certificate.
        assert "fingerprint" not in plain[port]["tls"]
        assert "certificate" not in plain[port]["secaudit"]


@pytest.mark.parametrize("name", TLS13)
def test_policy_flags_under_keylog(name, tmp_path):
    """The policy corpus test, with the key log: the certificate checks run
    on the decrypted chain and fail exactly what the truth's flags name."""
    truth = json.load(open(os.path.join(GENERATED, name)))
    _, keys = paths(name)
    text = open(policy_for(truth, tmp_path)).read().replace(
        "    anomalies:", "    tls13_certificates: drop\n    anomalies:")
    failed = failed_by_port(text, truth["file"], tmp_path, "--keylog", keys)
    alerts = {port: {f["check"] for f in entries} for port, entries in failed.items()}
    for conn in truth["connections"]:
        if not judged(conn):
            continue
        port = int(conn["client"].rsplit(":", 1)[1])
        got = alerts.get(port, set())
        assert not any("tls13_hidden" in c for c in got), got
        want = expected_checks(conn)
        assert got == want, f"{name} stream {conn['tcp_stream']}: {got} != {want}"


STRICT = """version: 1
profiles:
  strict:
    action: drop
    certificate:
      ca_file: {ca}
      min_rsa_bits: {rsa_bits}
{client}    tls13_certificates: drop
zones:
  - {{name: default, profile: strict}}
"""


def failed_checks(capture, tmp_path, *extra, ca="rootA", rsa_bits=2048, client_ca=None):
    client = ("    client_certificate:\n      ca_file: %s\n" % os.path.join(PKI, client_ca + ".crt.pem")
              if client_ca else "")
    rules = tmp_path / "strict.yaml"
    rules.write_text(STRICT.format(ca=os.path.join(PKI, ca + ".crt.pem"), rsa_bits=rsa_bits,
                                   client=client))
    proc = subprocess.run([SECAUDIT, "read", "--rules", str(rules), "--eve", *extra, capture],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    checks = [f["check"] for e in events_of(events, "alert")
              for f in e["secaudit"]["policy"]["failed"]]
    return checks, events


def test_without_keys_tls13_certificates_are_hidden(tmp_path):
    capture, _ = paths("a23_tls13_mtls_client_cert_encrypted.json")
    checks, _ = failed_checks(capture, tmp_path, client_ca="clientCA")
    assert checks == ["certificate.tls13_hidden", "client_certificate.tls13_hidden"]


def test_keylog_judges_server_and_client_certificates(tmp_path):
    capture, keys = paths("a23_tls13_mtls_client_cert_encrypted.json")
    checks, events = failed_checks(capture, tmp_path, "--keylog", keys, client_ca="clientCA")
    assert checks == []
    # Each chain under the wrong trust: the check names its defect. (A
    # dropped session is judged no further, so one side at a time.)
    checks, _ = failed_checks(capture, tmp_path, "--keylog", keys, ca="rootA", client_ca="rogueCA")
    assert checks == ["client_certificate.invalid"]
    checks, events = failed_checks(capture, tmp_path, "--keylog", keys, ca="rogueCA",
                                   client_ca="clientCA")
    assert checks == ["certificate.untrusted"]
    (alert,) = events_of(events, "alert")
    assert alert["alert"]["action"] == "blocked"
    assert alert["secaudit"]["certificate"] == {"source": "keylog"}
    assert alert["tls"]["fingerprint"].replace(":", "") == "81a1d03dd0b3c987829bbf92f5606502b52eff52"


def test_keylog_key_size_check_on_rsa_leaf(tmp_path):
    capture, keys = paths("a01_tls13_openssl_sni_alpn_h2.json")
    checks, _ = failed_checks(capture, tmp_path, "--keylog", keys, rsa_bits=3072)
    assert checks == ["certificate.weak_key"]


def test_wrong_key_is_an_anomaly_and_the_session_stays_hidden(tmp_path):
    capture, keys = paths("a01_tls13_openssl_sni_alpn_h2.json")
    bad = tmp_path / "bad.keys"
    lines = []
    for line in open(keys):
        if line.startswith("SERVER_HANDSHAKE_TRAFFIC_SECRET"):
            label, rnd, secret = line.split()
            secret = ("0" if secret[0] != "0" else "1") + secret[1:]
            line = f"{label} {rnd} {secret}\n"
        lines.append(line)
    bad.write_text("".join(lines))
    checks, events = failed_checks(capture, tmp_path, "--keylog", str(bad))
    assert [e["anomaly"]["event"] for e in events_of(events, "anomaly")] == ["tls.decrypt_failed"]
    assert checks == ["certificate.tls13_hidden"]
    (tls,) = events_of(events, "tls")
    assert tls["secaudit"]["tls"]["keylog"] == "failed"
    assert "fingerprint" not in tls["tls"]


def test_missing_key_leaves_the_session_as_without_keylog(tmp_path):
    capture, keys = paths("a01_tls13_openssl_sni_alpn_h2.json")
    other = paths("a02_tls13_chacha20_gnutls_ecdsa_p256.json")[1]
    with_other = read_eve(capture, "--keylog", other)
    without = read_eve(capture)
    assert with_other == without


def test_other_labels_and_junk_lines_are_skipped(tmp_path):
    capture, keys = paths("a01_tls13_openssl_sni_alpn_h2.json")
    mixed = tmp_path / "mixed.keys"
    mixed.write_text("# comment\n\nCLIENT_RANDOM 00 11\nnot a key line\n" + open(keys).read() +
                     "CLIENT_EARLY_TRAFFIC_SECRET " + "ab" * 32 + " " + "cd" * 32 + "\n")
    proc = subprocess.run([SECAUDIT, "read", "--eve", "--keylog", str(mixed), capture],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "2 malformed lines skipped" in proc.stderr
    (tls,) = [json.loads(l) for l in proc.stdout.splitlines()
              if json.loads(l)["event_type"] == "tls"]
    assert tls["secaudit"]["certificate"] == {"source": "keylog"}


def test_unreadable_keylog_is_a_clear_error(tmp_path):
    capture, _ = paths("a01_tls13_openssl_sni_alpn_h2.json")
    proc = subprocess.run([SECAUDIT, "read", "--keylog", str(tmp_path / "none.keys"), capture],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "none.keys: No such file or directory" in proc.stderr


def test_transcript_shows_the_decrypted_messages():
    capture, keys = paths("a23_tls13_mtls_client_cert_encrypted.json")
    proc = subprocess.run([SECAUDIT, "read", "--keylog", keys, capture],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in ("S>C EncryptedExtensions (decrypted)", "S>C CertificateRequest (decrypted)",
                 "S>C Certificate (decrypted)", "server cert 0: C=US, O=Alpha Corp, CN=shop.alpha-corp.test",
                 "S>C CertificateVerify (decrypted)", "signature scheme ecdsa_secp256r1_sha256",
                 "C>S Certificate (decrypted)", "client cert 0: C=US, O=Alpha Corp, OU=CI, CN=build-bot-07",
                 "C>S Finished (decrypted)", "handshake decrypted with the key log"):
        assert line in out, line
