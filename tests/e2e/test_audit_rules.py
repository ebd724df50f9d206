"""secaudit-server's analysis step and privilege drop, end to end: real
commands under the agent's kernel execve rule (and an auditctl watch) raise
the expected EVE alerts, each once; alerts survive a server restart without
repeats; SIGHUP reloads the rules after the server dropped root; the running
server's credentials are the unprivileged user's and it still stores."""
import collections
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import audit_helpers as h  # noqa: E402
from lab import polled, whole_lines  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (h.SERVER.exists() and h.AGENT.exists()),
    reason=f"secaudit-server/agent not built in {h.BIN} (run make)")

SHIPPED = h.ROOT / "rules" / "audit"


@pytest.fixture
def lab(tmp_path):
    lab = h.Lab(tmp_path)
    yield lab
    lab.close()


@pytest.fixture
def rules_dir():
    """A rules directory the dropped server can still read (pytest's tmp
    directories are root's, mode 0700)."""
    d = Path(tempfile.mkdtemp(prefix="secaudit-rules-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_rules(d: Path, name, rules):
    f = d / name
    f.write_text("version: 1\nrules:\n" + "".join(
        f"  - id: {r['id']}\n    sid: {r['sid']}\n    message: \"{r['id']}\"\n"
        f"    match: {json.dumps(r['match'])}\n" for r in rules))
    os.chmod(f, 0o644)


def alerts(path: Path):
    return [json.loads(line) for line in whole_lines(path) if line]


def wait_alerts(path, n, pred=lambda a: True, timeout=30):
    polled(lambda: [a for a in alerts(path) if pred(a)], lambda got: len(got) >= n, timeout)
    time.sleep(0.5)  # anything more would be a repeat
    return [a for a in alerts(path) if pred(a)]


def run_commands(agent, watch, tag, sensitive, rules_dir):
    """Every audited action comes from a child started here, after the agent
    enabled audit: Linux gives a task its audit context at fork, and only
    once audit has been enabled since boot (audit_alloc, audit_ever_enabled).
    On a machine booted without audit=1 this test process was forked before
    the first agent ever enabled audit, so its own system calls are never
    audited; the children's are (docs/audit-channel.md)."""
    end = time.time() + 10
    while time.time() < end and "execve rules installed" not in agent.text():
        time.sleep(0.05)
    assert "execve rules installed" in agent.text(), agent.text()
    h.run("auditctl", *watch)
    run = lambda *a: subprocess.run(a, capture_output=True)  # noqa: E731
    run("/usr/bin/curl", "--version")
    run("/usr/bin/curl", "--version")
    run("/usr/bin/wget", "--version")
    run("/bin/echo", f"{tag}-1")
    run("/bin/echo", f"{tag}-2")
    # a set-user-ID root program started by nobody
    run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        "/usr/bin/passwd", "-S", "root")
    # a child of ours (the python interpreter): openat O_WRONLY; then a read,
    # which raises nothing
    run(sys.executable, "-c", f"open({str(sensitive)!r}, 'a').write('b\\n')")
    run(sys.executable, "-c", f"open({str(sensitive)!r}).read()")
    run("/bin/sh", "-c", f"cd {rules_dir} && echo c >> sensitive.conf")
    # the watch goes with this auditctl (whose alert is expected too)
    run("auditctl", "-W", *watch[1:])


def test_kernel_execs_raise_expected_alerts_once(lab, rules_dir):
    why = h.kernel_audit_unavailable()
    if why:
        pytest.skip(why)
    tag = uuid.uuid4().hex[:10]
    exec_key, watch_key = "sa-r-" + tag[:6], "sa-w-" + tag[:6]
    sensitive = rules_dir / "sensitive.conf"
    sensitive.write_text("a\n")
    for f in SHIPPED.glob("*.yaml"):
        shutil.copy(f, rules_dir / f.name)
    write_rules(rules_dir, "test.yaml", [
        {"id": "test-sensitive-write", "sid": 3900001,
         "match": {"key": watch_key, "write": True, "path": str(sensitive)}},
        {"id": "test-echo-by-key", "sid": 3900002,
         "match": {"key": exec_key, "program": "/usr/bin/echo",
                   "argument": f"{tag}-1"}},
    ])
    log = lab.tmp / "alerts.json"
    server = lab.server("--rules", rules_dir, "--alert-log", log)
    agent = lab.agent("--watch-exec", "--exec-key", exec_key, "--batch-ms", "50")
    watch = ["-w", str(sensitive), "-p", "wa", "-k", watch_key]
    try:
        # SIGTERM in the end, whatever happens: the agent then takes its
        # kernel rules away (SIGKILL would leave them to later tests)
        run_commands(agent, watch, tag, sensitive, rules_dir)
        me = os.getpid()
        mine = lambda a: me in (a["secaudit"]["audit"].get("pid"),  # noqa: E731
                                a["secaudit"]["audit"].get("ppid"))
        got = wait_alerts(log, 9, mine)
    finally:
        subprocess.run(["auditctl", "-W", *watch[1:]], capture_output=True)
        agent.stop()
    seen = collections.Counter((a["alert"]["signature_id"],
                                a["secaudit"]["audit"]["exe"]) for a in got)
    assert seen == {
        (3000001, "/usr/bin/curl"): 2,
        (3000001, "/usr/bin/wget"): 1,
        (3000101, "/usr/bin/passwd"): 1,
        (3900001, os.path.realpath(sys.executable)): 1,
        (3900001, "/usr/bin/dash"): 1,
        (3900002, "/usr/bin/echo"): 1,
        (3000003, "/usr/sbin/auditctl"): 2,     # the test's own -w and -W
    }, json.dumps(got, indent=1)
    for a in got:
        assert a["event_type"] == "alert" and a["alert"]["action"] == "allowed"
        assert a["secaudit"]["audit"]["agent"] == "O=SecureAudit test,CN=agent-1"
    passwd = next(a for a in got if a["alert"]["signature_id"] == 3000101)
    ev = passwd["secaudit"]["audit"]
    assert (ev["uid"], ev["euid"], ev["args"]) == (65534, 0, ["/usr/bin/passwd", "-S", "root"])
    assert passwd["alert"]["signature"] == "set-user-ID root program executed by a non-root user"
    echo = next(a for a in got if a["alert"]["signature_id"] == 3900002)
    assert echo["secaudit"]["audit"]["args"] == ["/bin/echo", f"{tag}-1"]
    assert echo["secaudit"]["audit"]["key"] == exec_key
    # each alert names an event that is in the store
    for a in got:
        ev = a["secaudit"]["audit"]
        assert lab.count("SELECT count(*) FROM events WHERE stream=? AND seq=? "
                         "AND serial=?", (ev["stream"], ev["seq"], ev["serial"])) == 1
    server.stop()


def test_alerts_once_across_restart_and_rules_reloaded(lab, rules_dir):
    write_rules(rules_dir, "a.yaml", [
        {"id": "true-once-1xx", "sid": 3900101,
         "match": {"program": "/usr/bin/true", "argument": "once-1??"}}])
    log = lab.tmp / "alerts.json"
    server = lab.server("--rules", rules_dir, "--alert-log", log)
    n = 3000
    src = lab.tmp / "ev.log"
    src.write_text(h.synth_events(n, tag="once"))
    agent = lab.agent("--stdin", "--batch-events", "50", stdin=open(src))
    # a restart while the agent streams: the open transaction is rolled
    # back, the agent resends, alerts follow the store
    assert lab.wait_count(150) >= 150
    server.stop()
    server = lab.server("--rules", rules_dir, "--alert-log", log, log="server2.log")
    assert agent.wait(60) == 0, agent.text()
    assert lab.wait_count(n) == n
    got = wait_alerts(log, 100)
    serials = sorted(a["secaudit"]["audit"]["serial"] for a in got)
    assert serials == list(range(100, 200)), serials
    # after the drop: a new rule arrives with SIGHUP
    write_rules(rules_dir, "b.yaml", [
        {"id": "true-again", "sid": 3900102,
         "match": {"program": "/usr/bin/true", "argument": "again-*"}}])
    os.kill(server.p.pid, signal.SIGHUP)
    end = time.time() + 10
    while time.time() < end and "2 rules reloaded" not in server.text():
        time.sleep(0.05)
    assert "2 rules reloaded" in server.text(), server.text()
    src2 = lab.tmp / "ev2.log"
    src2.write_text(h.synth_events(5, start_serial=n + 1, tag="again"))
    agent = lab.agent("--stdin", stdin=open(src2), log="agent2.log")
    assert agent.wait(60) == 0, agent.text()
    got = wait_alerts(log, 5, lambda a: a["alert"]["signature_id"] == 3900102)
    assert len(got) == 5
    assert len(alerts(log)) == 105
    # a rules file that does not load leaves the running set in force
    (rules_dir / "c.yaml").write_text("version: 1\nrules: [\n")
    os.chmod(rules_dir / "c.yaml", 0o644)
    os.kill(server.p.pid, signal.SIGHUP)
    end = time.time() + 10
    while time.time() < end and "keeping the previous rules" not in server.text():
        time.sleep(0.05)
    assert f"{rules_dir}/c.yaml:3:1: YAML syntax" in server.text(), server.text()
    server.stop()


def expected_user():
    try:
        return pwd.getpwnam("secaudit")
    except KeyError:
        return pwd.getpwnam("nobody")


def status(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.split()
    return fields


def test_server_drops_root_and_still_stores(lab):
    if os.geteuid() != 0:
        pytest.skip("not root: there is no privilege to drop")
    user = expected_user()
    server = lab.server()
    end = time.time() + 10
    while time.time() < end and "running as uid" not in server.text():
        time.sleep(0.05)
    st = status(server.p.pid)
    assert st["Uid"] == [str(user.pw_uid)] * 4, st["Uid"]
    assert st["Gid"] == [str(user.pw_gid)] * 4, st["Gid"]
    assert st["Groups"] == []
    assert int(st["CapEff"][0], 16) == 0 and int(st["CapPrm"][0], 16) == 0
    src = lab.tmp / "ev.log"
    src.write_text(h.synth_events(500, tag="drop"))
    agent = lab.agent("--stdin", "--batch-events", "50", stdin=open(src))
    assert agent.wait(60) == 0, agent.text()
    assert lab.wait_count(500) == 500
    assert status(server.p.pid)["Uid"] == [str(user.pw_uid)] * 4
    server.stop()


def test_server_user_root_keeps_root_and_unknown_user_refused(lab):
    if os.geteuid() != 0:
        pytest.skip("not root: there is no privilege to keep")
    server = lab.server("--user", "root")
    # said after the listening socket is open (which lab.server waits for)
    kept = "keeping every privilege"
    assert kept in polled(server.text, lambda text: kept in text, timeout=30), server.text()
    assert status(server.p.pid)["Uid"] == ["0"] * 4
    server.stop()
    r = subprocess.run([str(h.SERVER), "--cert", str(lab.server_cert), "--key",
                        str(lab.server_key), "--ca", str(lab.ca.cert),
                        "--user", "no-such-user-here", "-n"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no user 'no-such-user-here'" in r.stderr


def test_test_config_checks_rules(lab, rules_dir):
    base = [str(h.SERVER), "--cert", str(lab.server_cert), "--key",
            str(lab.server_key), "--ca", str(lab.ca.cert), "--test-config"]
    r = subprocess.run(base + ["--rules", str(SHIPPED)], capture_output=True, text=True)
    assert r.returncode == 0 and f"{SHIPPED}: 7 rules" in r.stdout, r.stdout + r.stderr
    bad = rules_dir / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - {id: a, sid: 1, message: m, "
                   "match: {progam: /usr/bin/curl}}\n")
    r = subprocess.run(base + ["--rules", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert f"{bad}:3:41: unknown key 'progam' in match" in r.stderr
    r = subprocess.run([str(h.CLI), "rules", "check", "--audit", str(SHIPPED), str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{SHIPPED}: ok (7 audit rules)" in r.stdout
    assert f"{bad}:3:41: unknown key 'progam' in match" in r.stderr
