"""`secaudit rules check` warns when a profile's certificate requirements
cannot be enforced on a version it allows: TLS 1.3 encrypts certificates,
so with tls13_certificates: allow (the default) "must chain to my CA" lets
a rogue-CA server through over TLS 1.3. Shown on the corpus: a TLS 1.3
session of a server whose certificate this CA did not sign raises no alert
under the warned policy, and is blocked once the warning is followed."""
import json
import os
import subprocess

import pytest

from conftest import SECAUDIT, corpus_path


def check(tmp_path, text):
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip(f"{SECAUDIT} not built")
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    r = subprocess.run([SECAUDIT, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r, path


def policy(versions, tls13=None, client=False):
    ca = corpus_path("generated", "a14_tls12_chain_verified.ca.pem")
    return ("version: 1\nprofiles:\n  corp:\n    action: drop\n"
            f"    versions: {versions}\n"
            f"    certificate: {{ca_file: {ca}}}\n"
            + (f"    client_certificate: {{ca_file: {ca}}}\n" if client else "")
            + (f"    tls13_certificates: {tls13}\n" if tls13 else "")
            + "zones:\n  - name: all\n    profile: corp\n")


@pytest.mark.parametrize("versions,tls13,client,warned", [
    ("[TLS1.2, TLS1.3]", None, False, "certificate requirements"),
    ("{min: TLS1.2}", "allow", False, "certificate requirements"),
    ("[TLS1.2, TLS1.3]", None, True, "certificate and client_certificate requirements"),
    ("[TLS1.2]", None, True, None),
    ("[TLS1.2, TLS1.3]", "drop", False, None),
    ("[TLS1.2, TLS1.3]", "alert", True, None),
    ("[TLS1.2, TLS1.3]", "probe", True, None),
])
def test_warning(tmp_path, versions, tls13, client, warned):
    r, path = check(tmp_path, policy(versions, tls13, client))
    if warned:
        assert f"{path}: warning: profile 'corp' allows TLS 1.3" in r.stderr
        assert warned in r.stderr and "set tls13_certificates: probe" in r.stderr
        assert "only TLS 1.2" not in r.stderr
        assert r.stdout.strip().endswith("see the warnings)")
    else:
        assert r.stderr == "" and r.stdout.strip().endswith("1 profiles)")


def test_what_the_warning_is_about(tmp_path):
    """A TLS 1.3 server with another CA's certificate: no alert under the
    warned policy; certificate.tls13_hidden once tls13_certificates: drop."""
    cap = corpus_path("generated", "a01_tls13_openssl_sni_alpn_h2.pcap")
    for tls13, expect in ((None, []), ("drop", ["certificate.tls13_hidden"])):
        r, path = check(tmp_path, policy("[TLS1.2, TLS1.3]", tls13))
        out = subprocess.run([SECAUDIT, "read", "--eve", "--rules", str(path), cap],
                             capture_output=True, text=True, timeout=60).stdout
        alerts = [json.loads(l) for l in out.splitlines() if '"event_type":"alert"' in l]
        assert [f["check"] for a in alerts for f in a["secaudit"]["policy"]["failed"]] == expect


BIN = os.path.dirname(SECAUDIT)


@pytest.mark.parametrize("cmd,text,says", [
    (["secaudit", "rules", "check"],
     "version: 1\nprofiles:\n  p:\n    version: {min: TLS1.2}\nzones:\n  - {name: d, profile: p}\n",
     "4:5: unknown key 'version' in a profile (did you mean 'versions'?)"),
    (["secaudit-monitor", "--test-config", "--config"],
     "version: 1\nrules: /nonexistent.yaml\nlimits: {max_flow: 10}\n",
     "3:10: unknown key 'max_flow' in limits (did you mean 'max_flows'?)"),
    (["secaudit-monitor", "--test-config", "--config"], "version: 1\nalertlog: /x\n",
     "2:1: unknown key 'alertlog' in the configuration (did you mean 'alert_log'?)"),
    (["secaudit-agent", "--config"], "sever: 127.0.0.1:6514\n",
     "1:1: unknown setting 'sever' (did you mean 'server'?)"),
    (["secaudit-server", "-n", "--config"], "stroe: sqlite:/nonexistent/x.db\n",
     "1:1: unknown setting 'stroe' (did you mean 'store'?)"),
    (["secaudit-monitor", "--test-config", "--config"], "version: 1\nbogus: 1\n",
     "2:1: unknown key 'bogus' in the configuration\n"),
])
def test_unknown_keys_get_did_you_mean(tmp_path, cmd, text, says):
    prog = os.path.join(BIN, cmd[0])
    if not os.access(prog, os.X_OK):
        pytest.skip(f"{prog} not built")
    path = tmp_path / "conf.yaml"
    path.write_text(text)
    r = subprocess.run([prog, *cmd[1:], str(path)], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert f"{path}:{says}" in r.stderr + "\n", r.stderr
