"""The queue threads' pinning and verdict batching, on real queues in the
lab's gateway: secaudit-monitor --queue-cpu runs each queue's thread on its
CPU (the kernel's view, /proc/PID/task/TID/status) and refuses a CPU it may
not use; verdicts answered in one round (packets gathered behind slow
callbacks, several per receive) keep each packet's own decision, a blocked
flow's and an allowed one's interleaved; setup-gateway suggests the
pinning for its queues."""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from lab import lab, make_cert, Probe, probe_bin, start_tls_server  # noqa: F401
from monitor_lab import MONITOR, RULES, SECAUDIT, need_binaries


def queue_threads(pid):
    """{thread name: its Cpus_allowed_list} of the monitor's sa-queue-N threads."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        name = (task / "comm").read_text().strip()
        if name.startswith("sa-queue-"):
            for line in (task / "status").read_text().splitlines():
                if line.startswith("Cpus_allowed_list:"):
                    out[name] = line.split(":", 1)[1].strip()
    return out


def start_monitor(lab, *extra):
    err = Path(lab.tmp) / f"monitor{time.monotonic_ns()}.err"
    with open(err, "w") as f:
        proc = lab.spawn("gw", MONITOR, "--rules", RULES, "--log", os.path.join(lab.tmp, "a.json"),
                         "--stats-socket", "none", *extra, stderr=f)
    deadline = time.monotonic() + 10
    while "enforcing" not in err.read_text() and proc.poll() is None:
        assert time.monotonic() < deadline, err.read_text()
        time.sleep(0.02)
    return proc, err


def test_queue_cpu_pins_each_queue_thread(lab):
    need_binaries()
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip("--queue-cpu's test needs CPUs 0 and 1")
    proc, err = start_monitor(lab, "--queue", "0:2", "--queue-cpu", "1,0")
    assert proc.poll() is None, err.read_text()
    deadline = time.monotonic() + 10
    while len(queue_threads(proc.pid)) < 3:
        assert time.monotonic() < deadline, queue_threads(proc.pid)
        time.sleep(0.02)
    # the list is taken again from its start for the third queue
    assert queue_threads(proc.pid) == {"sa-queue-0": "1", "sa-queue-1": "0", "sa-queue-2": "1"}
    lab.stop(proc)
    # not pinned without it
    proc, err = start_monitor(lab, "--queue", "0")
    allowed = [ln.split(":", 1)[1].strip() for ln in
               Path(f"/proc/{proc.pid}/status").read_text().splitlines()
               if ln.startswith("Cpus_allowed_list:")][0]
    assert queue_threads(proc.pid) == {"sa-queue-0": allowed}
    lab.stop(proc)


def test_setup_gateway_suggests_the_pinning(lab):
    need_binaries()
    cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))[:2]))
    out = lab.run("gw", SECAUDIT, "setup-gateway", "--queues", "0-1").stdout
    assert '# 2 queues, one monitor thread each: pin them one per CPU' in out, out
    assert f'nfqueue.queue_cpu: "{cpus}" or secaudit-monitor --queue-cpu {cpus}' in out, out
    assert "queue_cpu" not in lab.run("gw", SECAUDIT, "setup-gateway", "--queue", "0").stdout


def test_queue_cpu_refuses_a_cpu_it_may_not_use(lab):
    need_binaries()
    cpu = max(os.sched_getaffinity(0)) + 1
    proc, err = start_monitor(lab, "--queue", "0", "--queue-cpu", str(cpu))
    assert proc.wait(timeout=10) != 0
    assert f"queue 0: CPU {cpu} is not one this process may run on" in err.read_text()


def test_batched_round_keeps_each_packets_decision(lab, probe_bin, tmp_path):
    """Handshakes to an allowed port and to a blocked one started together
    behind callbacks of 3 ms: the queue's rounds then answer several packets
    at once, drops with the flow mark between plain accepts. Every allowed
    handshake completes, no blocked one does, and each blocked connection is
    denied by its conntrack mark."""
    cert, key = make_cert(tmp_path)
    start_tls_server(lab, cert, key, port=443, extra=("-tls1_3",))
    start_tls_server(lab, cert, key, port=8443, extra=("-tls1_3",))
    lab.run("gw", probe_bin, "setup-gateway", "--apply", "--ports", "443,8443")
    probe = Probe(lab, probe_bin, "--mode", "drop-port:8443", "--slow-us", "3000")
    seq0 = lab.queue_stats(0)["id_sequence"]
    n = 6
    clients = []
    for i in range(n):
        for port in (443, 8443):
            clients.append((port, lab.spawn(
                "cli", "timeout", "8", "openssl", "s_client", "-connect", f"{lab.SRV4}:{port}",
                "-tls1_3", "-brief", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT)))
    done = {443: 0, 8443: 0}
    for port, c in clients:
        out = c.communicate(timeout=20)[0].decode(errors="replace")
        done[port] += "CONNECTION ESTABLISHED" in out
    assert done == {443: n, 8443: 0}, done
    # the servers' last packets (close_notify) may still be on their way:
    # wait until the kernel and the consumer agree on what was queued
    deadline = time.monotonic() + 10
    while True:
        st = probe.stats()["nfq"]
        queued = lab.queue_stats(0)["id_sequence"] - seq0
        hist = dict((b, k) for b, k in st["residence_us"])
        if (queued == st["packets"] == sum(hist.values()) and
                probe.stats()["nfq"]["packets"] == st["packets"]):
            break
        assert time.monotonic() < deadline, (queued, st)
        time.sleep(0.1)
    # each blocked connection denied by its conntrack mark (a copy of its
    # ClientHello sent again before the mark applied, a tail loss probe
    # behind the slow round, is dropped with the mark too)
    assert n <= st["drop_flow"] <= 2 * n, st
    marks = re.findall(r"mark=(\d+)", lab.run("gw", "conntrack", "-L", "-p", "tcp", "--dport",
                                              "8443", check=False).stdout)
    assert marks.count(str(0x80000)) == n, marks
    assert st["callback_errors"] == st["nl_errors"] == st["send_errors"] == 0, st
    # some packet waited behind another's callback in its round: rounds of several
    assert sum(k for b, k in hist.items() if b > 4096) > 0, hist
