"""`secaudit stats` against a running secaudit-monitor (two queues, in a
network namespace of the test's own): a table by default, the daemon's
JSON line with --json, Prometheus' text format that `promtool check
metrics` accepts, and the socket found through the monitor's
configuration."""
import json
import os
import shutil
import subprocess
import time

import pytest

from opslib import BIN, ROOT, SECAUDIT, need_tool


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("a monitor on NFQUEUE needs root and ip(8) for its own network namespace")
    if not os.path.exists("/proc/net/netfilter/nfnetlink_queue"):
        pytest.skip("the kernel has no nfnetlink_queue")
    tmp = tmp_path_factory.mktemp("stats")
    ns = f"sa{os.getpid()}st"
    sock = str(tmp / "monitor.sock")
    conf = tmp / "monitor.yaml"
    conf.write_text(f"version: 1\nrules: {ROOT}/rules/default.yaml\nstats_socket: {sock}\n"
                    f"nfqueue: {{queues: \"3:4\"}}\nalert_log: {tmp}/alerts.json\n")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    err = open(tmp / "monitor.err", "w")
    proc = subprocess.Popen(["ip", "netns", "exec", ns, os.path.join(BIN, "secaudit-monitor"),
                             "--config", str(conf)], stderr=err)
    try:
        deadline = time.monotonic() + 30      # a loaded machine: not 5 s
        while not os.path.exists(sock) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.exists(sock), open(tmp / "monitor.err").read()
        yield {"sock": sock, "conf": str(conf)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        err.close()
        subprocess.run(["ip", "netns", "del", ns])


def stats(*args):
    r = subprocess.run([SECAUDIT, "stats", *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_default_is_a_table_for_people(monitor):
    out = stats("--socket", monitor["sock"])
    assert out.startswith("version ") and "\nuptime " in out
    header = [l for l in out.splitlines() if "queue 3" in l]
    assert header and header[0].split() == ["total", "queue", "3", "queue", "4"]
    assert any(l.split()[:1] == ["verdicts.drop_flow"] for l in out.splitlines())


def test_json_is_the_daemons_line(monitor):
    st = json.loads(stats("--json", "--socket", monitor["sock"]))
    assert st["statsock"] == 1 and [q["queue"] for q in st["queues"]] == [3, 4]


def test_prometheus_passes_promtool(monitor):
    promtool = need_tool("promtool", "prometheus")
    out = stats("--format", "prometheus", "--socket", monitor["sock"])
    r = subprocess.run([promtool, "check", "metrics"], input=out, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'secaudit_monitor_packets_total{queue="4"} 0' in out
    assert "# TYPE secaudit_monitor_uptime_seconds gauge" in out


def test_socket_found_through_the_configuration(monitor):
    st = json.loads(stats("--json", "--config", monitor["conf"]))
    assert [q["queue"] for q in st["queues"]] == [3, 4]


def test_no_monitor_is_a_clear_error(tmp_path):
    r = subprocess.run([SECAUDIT, "stats", "--socket", str(tmp_path / "none.sock")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "is secaudit-monitor running?" in r.stderr
