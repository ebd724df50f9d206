"""Policy tests (`secaudit rules test TESTFILE`): every shipped preset
comes with one over ../shared/corpus and passes it; a test that expects a
wrong verdict fails with exit 1, naming the session and the difference;
a broken test file is refused with file:line:column."""
import glob
import os
import subprocess

import pytest

from opslib import CORPUS, ROOT, SECAUDIT

PRESETS = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ROOT, "rules", "*.yaml"))
                 if not p.endswith("/demo.yaml"))
CAPTURE = "generated/a15_tls12_expired_cert.pcap"


def rules_test(*args, cwd=ROOT):
    if not os.path.isdir(CORPUS):
        pytest.fail(f"the corpus is missing: {CORPUS}")
    return subprocess.run([SECAUDIT, "rules", "test", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "SECAUDIT_CORPUS": CORPUS})


def test_every_preset_has_a_test_file():
    tests = sorted(os.path.basename(p)[:-10]
                   for p in glob.glob(os.path.join(ROOT, "rules", "tests", "*.test.yaml")))
    assert tests == PRESETS


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_gives_the_verdicts_its_test_expects(preset):
    r = rules_test(os.path.join(ROOT, "rules", "tests", f"{preset}.test.yaml"), cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr
    assert ", 0 differences" in r.stdout


def write(tmp_path, text):
    path = tmp_path / "t.test.yaml"
    path.write_text(text)
    return str(path)


def test_a_wrong_verdict_is_a_difference(tmp_path):
    path = write(tmp_path, f"""rules: {ROOT}/rules/default.yaml
tests:
  - capture: {CAPTURE}
    sessions:
      - sni: old.alpha-corp.test
        action: alert
        failed: [baseline.certificate.expired]
""")
    r = rules_test(path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{path}:5:9: {CAPTURE}: session 198.18.10.2:" in r.stdout
    assert "(sni old.alpha-corp.test):" in r.stdout
    assert "-  action: alert\n+  action: drop\n" in r.stdout
    assert ("-  failed: [baseline.certificate.expired]\n"
            "+  failed: [baseline.certificate.untrusted, baseline.certificate.expired]\n") in r.stdout
    assert "1 sessions compared, 1 difference\n" in r.stdout


def test_the_right_verdict_by_flow_and_others(tmp_path):
    path = write(tmp_path, f"""rules: {ROOT}/rules/default.yaml
tests:
  - capture: {CAPTURE}
    sessions:
      - flow: "198.18.10.2:39488->198.18.10.1:8443"
        action: drop
        failed: [baseline.certificate.expired, baseline.certificate.untrusted]
  - capture: generated/a01_tls13_openssl_sni_alpn_h2.pcap
    others: pass
""")
    r = rules_test(path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok {CAPTURE} (1 sessions)" in r.stdout


def test_a_session_that_is_not_there_is_a_difference(tmp_path):
    path = write(tmp_path, f"""rules: {ROOT}/rules/default.yaml
tests:
  - capture: {CAPTURE}
    sessions:
      - {{sni: nowhere.example, action: pass}}
""")
    r = rules_test(path)
    assert r.returncode == 1
    assert "no session with sni nowhere.example in the capture" in r.stdout


def test_a_broken_test_file_names_the_place(tmp_path):
    path = write(tmp_path, f"""rules: {ROOT}/rules/default.yaml
tests:
  - capture: {CAPTURE}
    sessions:
      - {{sni: x, verdict: drop}}
""")
    r = rules_test(path)
    assert r.returncode == 2
    assert f"{path}:5:18: unknown key 'verdict' in a session" in r.stderr


def test_rules_and_captures_still_print_verdicts():
    r = rules_test(os.path.join(ROOT, "rules", "default.yaml"), os.path.join(CORPUS, CAPTURE))
    assert r.returncode == 0, r.stderr
    assert "would be blocked" in r.stderr
