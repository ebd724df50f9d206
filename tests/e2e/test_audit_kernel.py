"""The agent's kernel source: real execve rules installed over NETLINK_AUDIT,
real commands, arriving at the server as events with program, arguments and
user. Skips loudly without root, without kernel audit, or when another
process (auditd) owns the audit socket."""
import os
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
