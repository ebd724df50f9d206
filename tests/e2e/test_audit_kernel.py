"""The agent's kernel source: real execve rules installed over NETLINK_AUDIT,
real commands, arriving at the server as events with program, arguments and
user. Skips loudly without root, without kernel audit, or when another
process (auditd) owns the audit socket."""
import os
import subprocess
import sys
import time
import uuid

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
