"""`secaudit alerts`: filters, summary, JSON passthrough and --follow over a
small EVE log written here (alert events in the shape policy_state_to_json
and the EVE writer give them, plus lines the reader must skip), and over a
log the monitor's own engine wrote (`secaudit read --eve --rules`)."""
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
        "secaudit": {"policy": {
            "zone": zone, "profile": "p", "verdict": "drop" if action == "blocked" else "alert",
            "final": True,
            "failed": [{"rule": r, "sid": sid, "observed": "x \"q\" \u00e9", "required": "y"}
                       for r in rules]}},
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
    assert "BLOCKED" in out[0]
    assert "rule=p.version sid=2310000 protocol version not allowed" in out[0]
    assert "10.0.0.2:40000 -> 10.0.0.1:443" in out[0]
    assert "sni=www.example.test zone=default" in out[0]
    assert "rule=p.certificate.expired,p.certificate.weak_key sid=2310007" in out[2]


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
    (["--addr", "10.0.0.0/24"], ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]),
    (["--addr", "10.9.0.0/16"], ["2026-01-02"]),
    (["--addr", "2001:db8::/32"], ["2026-01-03"]),
    (["--addr", "10.0.0.4/32"], ["2026-01-04"]),
    (["--dest", "10.0.0.0/24"], ["2026-01-01", "2026-01-04"]),
    (["--dest", "10.0.0.2"], []),
    (["--port", "6514"], ["2026-01-02"]),
    (["--rule", "2310000"], ["2026-01-01"]),
    (["--rule", "p.certificate"], ["2026-01-03", "2026-01-04"]),
    (["--since", "2026-01-02T10:00:00Z"], ["2026-01-02", "2026-01-03", "2026-01-04"]),
    (["--since", "2026-01-02T10:00:00.000001Z"], ["2026-01-03", "2026-01-04"]),
    (["--since", "2026-01-02T11:00:00+01:00"], ["2026-01-02", "2026-01-03", "2026-01-04"]),
    (["--until", "2026-01-02T09:59:59Z"], ["2026-01-01"]),
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
    rules = out.split("top rules:\n")[1].split("top zones:")[0].splitlines()
    assert rules[0].split() == ["2", "p.certificate.expired", "(sid", "2310007)"]
    zones = out.split("top zones:\n")[1].split("top destinations:")[0].splitlines()
    assert [z.split() for z in zones] == [["3", "default"], ["1", "audit"]]
    dests = out.split("top destinations:\n")[1].split("top sources:")[0].splitlines()
    assert dests[0].split() == ["2", "10.0.0.1:443"]
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
        import select
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "--follow printed nothing within 10 s"
        assert "client certificate required but not sent" in proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("args,says", [
    (["--since", "garbage"], "--since"),
    (["--since", "yesterday"], "RFC 3339"),
    (["--since", "22:16"], "15m"),
    (["--until", "2026-13-01T00:00:00Z"], "--until"),
    (["--since", "10x"], "--since"),
    (["--addr", "198.18.5.0/33"], "CIDR"),
    (["--addr", "not-an-address"], "--addr"),
    (["--dest", "2001:db8::/129"], "--dest"),
    (["--port", "70000"], "--port"),
    (["--severity", "high"], "--severity"),
])
def test_bad_values_are_refused_with_what_is_accepted(log, args, says):
    proc = subprocess.run([SECAUDIT, "alerts", *args, log], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout
    assert says in proc.stderr
    assert proc.stdout == ""


def test_help_documents_times():
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip("not built")
    out = run("--help").stdout
    assert "RFC 3339" in out and "15m" in out and "--config" in out


def test_relative_since_is_exact(tmp_path):
    """--since 1m means the last 60 seconds, not 'the minute before'."""
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip("not built")
    now = time.time()
    events = []
    for age, name in [(3 * 86400 - 600, "three-days"), (2 * 3600 - 60, "two-hours"),
                      (95, "ninety-five-s"), (75, "seventy-five-s"), (20, "twenty-s")]:
        t = now - age
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06d+0000" % int((t % 1) * 1e6)
        events.append(alert(ts, "10.0.0.2", "10.0.0.1", 443, "blocked", 2310000, name, 1, "",
                            "default", ["p.version"]))
    path = tmp_path / "eve.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    def names(*args):
        return [l.split()[-1] for l in lines(*args, str(path))]
    assert names("--since", "1m") == ["twenty-s"]
    assert names("--since", "90s") == ["seventy-five-s", "twenty-s"]
    assert names("--since", "100s") == ["ninety-five-s", "seventy-five-s", "twenty-s"]
    assert names("--since", "2h") == ["two-hours", "ninety-five-s", "seventy-five-s", "twenty-s"]
    assert names("--since", "3d") == [e["alert"]["signature"] for e in events]
    assert names("--since", "2h", "--until", "80s") == ["two-hours", "ninety-five-s"]


def test_no_file_reads_the_configured_log(log, tmp_path):
    conf = tmp_path / "monitor.yaml"
    conf.write_text(f"version: 1\nalert_log: {log}\n")
    proc = subprocess.run([SECAUDIT, "alerts", "--config", str(conf), "--zone", "audit"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    conf.write_text(f"version: 1\nlog: {log}\n")
    proc = subprocess.run([SECAUDIT, "alerts", "--config", str(conf)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=10)
    assert len(proc.stdout.splitlines()) == 4


def test_no_file_on_a_terminal_is_a_clear_error(tmp_path):
    """No FILE, no readable configuration, standard input a terminal: an
    error naming what to give, not a read that waits forever."""
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip("not built")
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([SECAUDIT, "alerts", "--config", str(tmp_path / "none.yaml")],
                              stdin=slave, capture_output=True, text=True, timeout=10)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 2
    assert "none.yaml" in proc.stderr and "FILE" in proc.stderr


# ---- over what the engine itself writes ----

RULES = """version: 1
profiles:
  strict:
    action: drop
    versions: {min: TLS1.2, id: old-tls, message: TLS older than 1.2}
    certificate: {trust: system, min_rsa_bits: 2048}
  baseline:
    versions: {min: TLS1.2}
    certificate: {trust: system, min_rsa_bits: 2048}
zones:
  - name: mtls-service
    profile: strict
    match: {ports: [443]}
  - name: default
    profile: baseline
"""


@pytest.fixture(scope="module")
def real_log(tmp_path_factory):
    from conftest import corpus_path
    if not os.access(SECAUDIT, os.X_OK):
        pytest.skip(f"{SECAUDIT} not built")
    d = tmp_path_factory.mktemp("real")
    (d / "rules.yaml").write_text(RULES)
    caps = [corpus_path("generated", c) for c in ("a07_tls10_rsa1024_aes128_sha.pcap",
                                                   "a06_tls11_ecdhe_rsa_aes256_cbc.pcap",
                                                   "a15_tls12_expired_cert.pcap")]
    proc = subprocess.run([SECAUDIT, "read", "--eve", "--rules", str(d / "rules.yaml"), *caps],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (d / "eve.json").write_text(proc.stdout)
    return str(d / "eve.json")


def test_real_log_rule_id_and_zone(real_log):
    out = lines("--rule", "old-tls", real_log)
    assert len(out) == 1 and "zone=mtls-service" in out[0] and "rule=old-tls" in out[0]
    assert "-> 198.18.10.1:443" in out[0]
    assert len(lines("--zone", "mtls-service", real_log)) == 1
    assert len(lines("--zone", "default", real_log)) == 2
    assert len(lines("--rule", "baseline.version", real_log)) == 1
    # the default sid names the check, so both profiles' version rules carry it
    assert len(lines("--rule", "2310000", real_log)) == 2
    assert len(lines("--addr", "198.18.10.0/24", real_log)) == 3
    assert len(lines("--dest", "198.18.10.1", "--port", "8443", real_log)) == 2


def test_real_log_summary_names_rules_not_only_sids(real_log):
    out = run("--summary", real_log).stdout
    rules = out.split("top rules:\n")[1].split("top zones:")[0]
    assert "old-tls (sid 2310000)" in rules and "baseline.version (sid 2310000)" in rules
    assert "mtls-service" in out.split("top zones:\n")[1]
    assert "198.18.10.1:443" in out.split("top destinations:\n")[1]


def test_a_filter_that_matches_nothing_says_what_the_log_holds(real_log):
    proc = run("--zone", "mtls", real_log)
    assert proc.stdout == ""
    assert "mtls-service" in proc.stderr
    proc = run("--rule", "old-tl", real_log)
    assert "old-tls" in proc.stderr


def test_real_log_alert_leaves_the_detail_to_its_tls_event(real_log):
    """An alert written beside its session's tls event holds, as Suricata's,
    the tls object of the default set (the same values as the event's) and
    the policy's judgement, not the secaudit.tls detail the event holds."""
    events = [json.loads(x) for x in open(real_log)]
    tls = {e["flow_id"]: e for e in events if e["event_type"] == "tls"}
    alerts = [e for e in events if e["event_type"] == "alert"]
    assert len(alerts) == 3
    for a in alerts:
        ev = tls[a["flow_id"]]
        assert "tls" in ev["secaudit"] and "tls" not in a["secaudit"], a
        # what the session showed when it was judged (a refusal at the
        # ServerHello comes before the certificate), the event's values
        assert a["tls"].items() <= ev["tls"].items(), (a["tls"], ev["tls"])
        assert a["tls"]["sni"] and a["secaudit"]["policy"]["failed"], a
        for k in ("src_ip", "src_port", "dest_ip", "dest_port", "community_id"):
            assert a[k] == ev[k], k
    shown = [a for a in alerts if "fingerprint" in a["tls"]]
    assert len(shown) == 2, alerts
    for a in shown:
        assert a["tls"]["subject"] and a["tls"]["issuerdn"], a
        assert a["secaudit"]["certificate"] == {"source": "handshake"}, a


def test_real_log_every_filter_and_column(real_log):
    out = lines("--sni", "*.ALPHA-corp.test", real_log)
    assert len(out) == 3 and all(" sni=" in x and " sev2 " in x for x in out), out
    assert len(lines("--sni", "old.*", real_log)) == 1
    assert len(lines("--severity", "2", real_log)) == 3
    assert lines("--severity", "1", real_log) == []
    blocked = lines("--action", "blocked", real_log)
    assert len(blocked) == 1 and "BLOCKED" in blocked[0] and "sni=legacy.alpha-corp.test" in blocked[0]
    assert len(lines("--action", "allowed", real_log)) == 2
    assert len(lines("--since", "2026-11-23T08:53:20Z", real_log)) == 2
    assert len(lines("--until", "2026-11-23T08:53:20Z", real_log)) == 1
    assert len(lines("--rule", "baseline.certificate.expired", real_log)) == 1
    out = lines("--json", "--action", "blocked", real_log)
    assert len(out) == 1 and json.loads(out[0])["alert"]["action"] == "blocked"
    summary = run("--summary", real_log).stdout
    assert "blocked" in summary and "198.18.10.2" in summary.split("top sources:\n")[1]
