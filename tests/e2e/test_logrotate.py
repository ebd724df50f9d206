"""Log rotation as the shipped logrotate files do it, while events flow:
the monitor's alert log (SIGUSR1) with real TLS clients through the
namespace lab's gateway, and the server's alert log (SIGHUP) with an agent
streaming audit events. Every event is counted exactly once across the
current file and the rotated ones (compressed ones included).

The logrotate files are the shipped ones (config/logrotate/*, as `make
install` writes them) with three test-only edits: the log's path, the
account (root here, no secaudit user), and the postrotate command, which
signals the daemon this test started by its pid instead of asking systemd."""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import audit_helpers as h  # noqa: E402
from lab import REPO, lab, polled  # noqa: E402,F401
from monitor_lab import Monitor, need_binaries, s_client  # noqa: E402


def logrotate_conf(name, log, pid, sig, tmp):
    """The shipped logrotate file for name, aimed at log and pid."""
    src = Path(REPO, "config", "logrotate", name).read_text()
    conf = re.sub(r"^@localstatedir@/log/secaudit/\S+ \{", f"{log} {{", src, flags=re.M)
    assert conf != src, "the shipped file names no log"
    conf = conf.replace("su secaudit secaudit", "su root root")
    conf = conf.replace("create 0640 secaudit secaudit", "create 0640 root root")
    conf, n = re.subn(r"^\s*systemctl kill .*$", f"\t\tkill -{sig} {pid}", conf, flags=re.M)
    assert n == 1, "the shipped postrotate is not a systemctl kill"
    path = tmp / f"{name}.conf"
    path.write_text(conf)
    return path


def rotate(conf, tmp, pid, log):
    """One forced rotation, returning once the daemon (pid) has let go of
    the rotated file: the next rotation compresses and removes that file
    (delaycompress), so a line the daemon wrote to it after that would be
    lost. A day apart the daemon always has; a second apart, on a loaded
    machine, it may not have yet."""
    tool = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not os.path.exists(tool):
        pytest.skip("logrotate is missing (Debian package logrotate)")
    r = subprocess.run([tool, "-f", "-s", str(tmp / "logrotate.state"), str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr

    def rotated_open():
        names = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                names.append(os.readlink(fd))
            except OSError:
                pass                # closed as it was listed
        return [n for n in names if n.startswith(f"{log}.")]
    held = polled(rotated_open, lambda files: not files, timeout=30)
    assert not held, f"the daemon still writes to {held} 30 s after its signal"


def lines_across(log):
    """Every whole line of log and its rotations (log.1, log.2.gz, ...);
    a line still being written is left for the next look."""
    out = []
    for f in sorted(Path(log).parent.glob(Path(log).name + "*")):
        data = gzip.open(f, "rt").read() if f.suffix == ".gz" else f.read_text()
        out += [json.loads(l) for l in data.split("\n")[:-1] if l]
    return out


def test_monitor_alert_log_rotated_while_clients_are_stopped(lab, tmp_path):
    need_binaries()
    lab.spawn("srv", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=good.lab.test",
              "-keyout", f"{lab.tmp}/k.pem", "-out", f"{lab.tmp}/c.pem").wait()
    lab.spawn("srv", "openssl", "s_server", "-accept", "443", "-cert", f"{lab.tmp}/c.pem",
              "-key", f"{lab.tmp}/k.pem", "-quiet", "-naccept", "100000", "-www")
    lab.wait_tcp_listen("srv", 443)
    lab.run("gw", h.BIN / "secaudit", "setup-gateway", "--apply", "--ports", "443")
    mon = Monitor(lab)
    conf = logrotate_conf("secaudit-monitor", mon.log, mon.proc.pid, "USR1", tmp_path)
    n, done = 60, threading.Event()
    clients_seen = []               # (exit status, seconds) of each client

    def clients():
        for _ in range(n):          # each is reset at its ClientHello: one alert each
            # a generous bound: a client reset as it should ends in well under
            # a second, one killed before its hello would leave no alert
            clients_seen.append(s_client(lab, "-servername", "blocked.lab.test",
                                         timeout=20)[::2])
        done.set()

    t = threading.Thread(target=clients)
    t.start()
    rotations = 0
    while rotations < 3:            # half a second apart, while the clients run
        time.sleep(0.5)
        # notifempty: logrotate leaves an empty log be (and a slow client
        # may leave it empty for longer than half a second)
        if os.path.exists(mon.log) and os.path.getsize(mon.log) > 0:
            rotate(conf, tmp_path, mon.proc.pid, mon.log)
            rotations += 1
        elif done.is_set():
            break
    t.join()
    deadline = time.monotonic() + 10
    while True:                 # every client's alert, or the deadline
        alerts = [e for e in lines_across(mon.log) if e["event_type"] == "alert"]
        if len(alerts) >= n or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    flows = [e["flow_id"] for e in alerts]
    files = sorted(p.name for p in Path(mon.log).parent.glob(Path(mon.log).name + "*"))
    assert len(files) >= 3 and any(f.endswith(".gz") for f in files), files
    # what a failure needs to be told apart: a client that never got as far
    # as its hello, or an alert the monitor lost
    assert len(flows) == n and len(set(flows)) == n, (
        len(flows), len(set(flows)), files, clients_seen,
        [e for e in lines_across(mon.log) if e["event_type"] != "alert"], mon.stats())


def test_server_alert_log_rotated_while_events_flow(tmp_path):
    if not (h.SERVER.exists() and h.AGENT.exists()):
        pytest.skip(f"secaudit-server/agent not built in {h.BIN} (run make)")
    lab_ = h.Lab(tmp_path)
    try:
        rules = tmp_path / "rules.yaml"
        rules.write_text("version: 1\nrules:\n  - id: test-true\n    sid: 3900100\n"
                         "    message: true executed\n    match: {program: /usr/bin/true}\n")
        log = tmp_path / "logs" / "audit-alerts.json"
        log.parent.mkdir()
        server = lab_.server("--rules", rules, "--alert-log", log, "--user", "root")
        conf = logrotate_conf("secaudit-server", log, server.p.pid, "HUP", tmp_path)
        r, w = os.pipe()
        lab_.agent("--stdin", "--batch-events", "50", "--batch-ms", "20", stdin=r)
        os.close(r)
        n, chunk = 3000, 100
        with os.fdopen(w, "w") as feed:
            for start in range(1, n + 1, chunk):
                feed.write(h.synth_events(chunk, start_serial=start, tag="rot"))
                feed.flush()
                time.sleep(0.02)
                if start in (1001, 2001):
                    # notifempty: rotated only once the server wrote to it
                    polled(lambda: log.exists() and log.stat().st_size > 0, bool, timeout=30)
                    rotate(conf, tmp_path, server.p.pid, log)
            assert lab_.wait_count(n, timeout=60) == n
            deadline = time.monotonic() + 30
            while len(lines_across(log)) < n and time.monotonic() < deadline:
                time.sleep(0.1)
        args = [e["secaudit"]["audit"]["args"][1] for e in lines_across(log)]
        files = sorted(p.name for p in log.parent.iterdir())
        assert len(files) >= 3 and any(f.endswith(".gz") for f in files), files
        assert len(args) == n and len(set(args)) == n, (len(args), len(set(args)), files)
    finally:
        lab_.close()
