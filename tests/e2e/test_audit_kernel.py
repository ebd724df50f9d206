"""The agent's kernel source: real execve rules installed over NETLINK_AUDIT,
real commands, arriving at the server as events with program, arguments and
user. Skips loudly without root, without kernel audit, or when another
process (auditd) owns the audit socket."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import audit_helpers as h  # noqa: E402


@pytest.fixture
def lab(tmp_path):
    why = h.kernel_audit_unavailable()
    if why:
        pytest.skip(why)
    lab = h.Lab(tmp_path)
    yield lab
    lab.close()


BOOT_WARNING = "secaudit-agent: warning: audit was not enabled at boot"


def audit_on_at_boot():
    """The kernel's own reading of its command line: the last audit= before
    init's arguments, 1 or on (kernel/audit.c, audit_enable)."""
    words = Path("/proc/cmdline").read_text().split()
    if "--" in words:
        words = words[:words.index("--")]
    vals = [w[len("audit="):] for w in words if w.startswith("audit=")]
    return bool(vals) and (vals[-1] == "1" or vals[-1].lower() == "on")


def test_test_config_says_whether_audit_was_enabled_at_boot(tmp_path):
    lab = h.Lab(tmp_path)
    base = [str(h.AGENT), "--server", "127.0.0.1:1", "--cert", str(lab.agent_cert),
            "--key", str(lab.agent_key), "--ca", str(lab.ca.cert), "--test-config"]
    r = subprocess.run(base, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "configuration ok (reads the kernel audit socket" in r.stdout
    assert (BOOT_WARNING in r.stderr) == (not audit_on_at_boot()), r.stderr
    # read from auditd's dispatcher, the agent enables nothing: no warning
    r = subprocess.run(base + ["--stdin"], capture_output=True, text=True)
    assert r.returncode == 0 and BOOT_WARNING not in r.stderr, r.stderr
    r = subprocess.run(base[:-1] + ["--key", "/nonexistent", "--test-config"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "/nonexistent" in r.stderr, r.stderr


def test_real_execs_arrive_once_with_args_and_user(lab):
    n = 50
    tag = uuid.uuid4().hex[:12]
    key = "sa-e2e-" + tag[:6]
    lab.server()
    agent = lab.agent("--watch-exec", "--exec-key", key, "--batch-ms", "50")
    end = time.time() + 10
    while time.time() < end and "execve rules installed" not in agent.text():
        time.sleep(0.05)
    assert "execve rules installed" in agent.text(), agent.text()
    # the start says what it cannot see (docs/audit-channel.md)
    assert (BOOT_WARNING in agent.text()) == (not audit_on_at_boot()), agent.text()
    for i in range(n):
        subprocess.run(["/bin/echo", f"{tag}-{i}"], stdout=subprocess.DEVNULL,
                       check=True)
    sql = ("SELECT count(*) FROM events WHERE exe='/usr/bin/echo' AND key=? "
           "AND syscall_name='execve' AND uid=0 AND success=1 AND args LIKE ?")
    end = time.time() + 20
    while time.time() < end and lab.count(sql, (key, f'%"{tag}-%')) < n:
        time.sleep(0.2)
    assert lab.count(sql, (key, f'%"{tag}-%')) == n
    for i in (0, n - 1):
        assert lab.count("SELECT count(*) FROM events WHERE args=?",
                         (f'["/bin/echo","{tag}-{i}"]',)) == 1
    agent.stop()
    # the agent removed its rules and gave up the audit socket
    rules = subprocess.run(["auditctl", "-l"], capture_output=True, text=True)
    assert key not in rules.stdout
    status = subprocess.run(["auditctl", "-s"], capture_output=True, text=True)
    assert "pid 0" in status.stdout


def our_rules(key):
    """The lines of auditctl -l that are the agent's: its pid exclusion
    (tagged secaudit-agent) and its execve rules (key)."""
    out = subprocess.run(["auditctl", "-l"], capture_output=True, text=True).stdout
    return [x for x in out.splitlines() if "secaudit-agent" in x or key in x]


def test_agent_kill9_leaves_rules_that_the_next_start_removes(lab):
    """kill -9 leaves the agent's rules in the kernel (nothing could remove
    them); the next start finds them by their tag and removes them before
    installing its own: no stale or doubled rule, and the events of
    commands run before the kill and after the restart all arrive."""
    tag = uuid.uuid4().hex[:12]
    key = "sa-e2e-" + tag[:6]
    lab.server()

    def start(log):
        agent = lab.agent("--watch-exec", "--exec-key", key, "--batch-ms", "50", log=log)
        end = time.time() + 10
        while time.time() < end and "execve rules installed" not in agent.text():
            time.sleep(0.05)
        assert "execve rules installed" in agent.text(), agent.text()
        return agent

    def run(first, n):
        for i in range(first, first + n):
            subprocess.run(["/bin/echo", f"{tag}-{i}"], stdout=subprocess.DEVNULL, check=True)

    sql = "SELECT count(DISTINCT args) FROM events WHERE key=? AND args LIKE ?"
    agent = start("agent.log")
    first = our_rules(key)
    # one pid exclusion and the two execve rules (b64, b32)
    assert len(first) == 3, first
    assert sum("secaudit-agent" in x for x in first) == 1, first
    run(0, 20)
    end = time.time() + 20
    while time.time() < end and lab.count(sql, (key, f'%"{tag}-%')) < 20:
        time.sleep(0.2)
    assert lab.count(sql, (key, f'%"{tag}-%')) == 20
    agent.stop(signal.SIGKILL)
    stale = our_rules(key)
    assert stale == first, stale            # kill -9 removed nothing
    agent = start("agent2.log")
    assert "removed 3 audit rules left by a run that died" in agent.text(), agent.text()
    now = our_rules(key)
    assert len(now) == 3, now               # none stale, none doubled
    assert f"pid={agent.p.pid}" in " ".join(now) and now != first, now
    run(20, 20)
    end = time.time() + 20
    while time.time() < end and lab.count(sql, (key, f'%"{tag}-%')) < 40:
        time.sleep(0.2)
    assert lab.count(sql, (key, f'%"{tag}-%')) == 40
    assert lab.count("SELECT count(*) FROM events WHERE key=? AND args LIKE ?",
                     (key, f'%"{tag}-%')) == 40   # and none twice
    agent.stop()
    assert our_rules(key) == []


def test_agent_start_leaves_an_administrators_rule_with_its_key(lab):
    """An execve rule with the agent's key that no run of the agent left (no
    tagged rule beside it) is the administrator's: a start keeps it, and the
    agent's clean stop does not remove it either."""
    key = "sa-e2e-adm" + uuid.uuid4().hex[:4]
    add = ["-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-S", "execveat", "-k", key]
    subprocess.run(["auditctl", *add], check=True, capture_output=True)
    try:
        lab.server()
        agent = lab.agent("--watch-exec", "--exec-key", key)
        end = time.time() + 10
        while time.time() < end and "execve rules installed" not in agent.text():
            time.sleep(0.05)
        assert "execve rules installed" in agent.text(), agent.text()
        assert "left by a run that died" not in agent.text()
        agent.stop()
        rules = subprocess.run(["auditctl", "-l"], capture_output=True, text=True).stdout
        assert key in rules and "secaudit-agent" not in rules, rules
    finally:
        subprocess.run(["auditctl", "-d", *add[1:]], capture_output=True)
