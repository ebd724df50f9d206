"""`secaudit alerts`: filters, summary, JSON passthrough and --follow over a
small EVE log written here (alert events as policy_state_to_json and the
EVE writer produce them, plus lines the reader must skip)."""
import json
import os
import subprocess
import time

import pytest

from conftest import SECAUDIT


def alert(ts, src, dst, dport, action, sid, sig, sev, sni, zone, rules):
    return {
        "timestamp": ts, "flow_id": 1, "event_type": "alert", "src_ip": src, "src_port": 40000,
        "dest_ip": dst, "dest_port": dport, "proto": "TCP",
        "alert": {"action": action, "signature_id": sid, "signature": sig,
                  "category": "certificate", "severity": sev},
        "tls": {"sni": sni, "version": "TLS 1.2"},
        "secaudit": {"zone": zone, "profile": "p", "verdict": "drop" if action == "blocked" else "alert",
                     "final": True,
                     "failed": [{"rule": r, "sid": sid, "observed": "x \"q\" \u00e9", "required": "y"}
                                for r in rules]},
    }


EVENTS = [
    alert("2026-01-01T10:00:00.000000+0000", "10.0.0.2", "10.0.0.1", 443, "blocked", 2310000,
          "protocol version not allowed", 1, "www.example.test", "default", ["p.version"]),
    {"timestamp": "2026-01-01T10:30:00.000000+0000", "event_type": "tls", "src_ip": "10.0.0.2"},
    alert("2026-01-02T10:00:00.000000+0000", "10.0.0.3", "10.9.0.1", 6514, "blocked", 2310018,
          "client certificate required but not sent", 1, "audit.corp.test", "audit",
          ["audit.client_certificate.missing"]),
    alert("2026-01-03T10:00:00.000000+0000", "10.0.0.2", "2001:db8::1", 443, "allowed", 2310007,
          "certificate expired", 2, "old.example.test", "default",
          ["p.certificate.expired", "p.certificate.weak_key"]),
    alert("2026-01-04T10:00:00.000000+0000", "10.0.0.4", "10.0.0.1", 443, "allowed", 2310007,
          "certificate expired", 3, "", "default", ["p.certificate.expired"]),
]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip(f"{SECAUDIT} not built")
    path = tmp_path_factory.mktemp("alerts") / "eve.json"
    lines = [json.dumps(e) for e in EVENTS]
    lines.insert(2, "this line is not JSON {")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(*args, stdin=None):
    proc = subprocess.run([SECAUDIT, "alerts", *args], capture_output=True, text=True,
                          input=stdin, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc


def lines(*args):
    return run(*args).stdout.splitlines()


def test_all_alerts_plain_when_not_a_tty(log):
    out = lines(log)
    assert len(out) == 4
    assert "\033[" not in "".join(out)
    assert out[0].startswith("2026-01-01T10:00:00")
    assert "BLOCKED" in out[0] and "[2310000] protocol version not allowed (p.version)" in out[0]
    assert "10.0.0.2:40000 -> 10.0.0.1:443" in out[0]
    assert "sni=www.example.test zone=default" in out[0]


def test_malformed_line_is_reported_and_skipped(log):
    proc = run(log)
    assert ":3: not a JSON event" in proc.stderr


@pytest.mark.parametrize("args,expect", [
    (["--action", "blocked"], ["2026-01-01", "2026-01-02"]),
    (["--action", "allowed"], ["2026-01-03", "2026-01-04"]),
    (["--severity", "1"], ["2026-01-01", "2026-01-02"]),
    (["--severity", "2"], ["2026-01-01", "2026-01-02", "2026-01-03"]),
    (["--zone", "audit"], ["2026-01-02"]),
    (["--rule", "p.certificate.weak_key"], ["2026-01-03"]),
    (["--rule", "2310007"], ["2026-01-03", "2026-01-04"]),
    (["--addr", "2001:db8::1"], ["2026-01-03"]),
    (["--addr", "10.0.0.2"], ["2026-01-01", "2026-01-03"]),
    (["--sni", "*.EXAMPLE.test"], ["2026-01-01", "2026-01-03"]),
    (["--since", "2026-01-02"], ["2026-01-02", "2026-01-03", "2026-01-04"]),
    (["--until", "2026-01-02"], ["2026-01-01", "2026-01-02"]),
    (["--since", "2026-01-02", "--until", "2026-01-03", "--action", "allowed"], ["2026-01-03"]),
])
def test_filters(log, args, expect):
    out = lines(*args, log)
    assert [l[:10] for l in out] == expect


def test_summary(log):
    out = run("--summary", log).stdout
    assert "alerts: 4 (blocked 2, allowed 2)" in out
    rules = out.split("top rules:\n")[1].split("top sources:")[0].splitlines()
    assert rules[0].split() == ["2", "p.certificate.expired"]
    sources = out.split("top sources:\n")[1].splitlines()
    assert sources[0].split() == ["2", "10.0.0.2"]
    assert len(sources) == 3


def test_json_passthrough_is_unchanged(log):
    out = lines("--json", "--zone", "default", log)
    assert [json.loads(l) for l in out] == [EVENTS[0], EVENTS[3], EVENTS[4]]


def test_colour_on_request(log):
    out = run("--color", "--action", "blocked", log).stdout
    assert "\033[1;31mBLOCKED" in out


def test_stdin(log):
    out = run("--rule", "p.version", stdin=open(log).read()).stdout.splitlines()
    assert len(out) == 1


def test_bad_usage():
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip("not built")
    proc = subprocess.run([SECAUDIT, "alerts", "--action", "maybe"], capture_output=True, text=True)
    assert proc.returncode == 2
    proc = subprocess.run([SECAUDIT, "alerts", "/nonexistent/eve.json"], capture_output=True, text=True)
    assert proc.returncode == 1


def test_follow(tmp_path):
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip("not built")
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(EVENTS[0]) + "\n")
    proc = subprocess.Popen([SECAUDIT, "alerts", "--follow", "--zone", "audit", str(path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        with open(path, "a") as f:
            f.write(json.dumps(EVENTS[2]) + "\n")
        line = proc.stdout.readline()
        assert "client certificate required but not sent" in line
    finally:
        proc.kill()
        proc.wait()
