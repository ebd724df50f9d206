"""The admin's moments around the inline monitor, in the namespace lab:
reloading a changed configuration (SIGHUP reads monitor.yaml again, a
refusal is an event in the alert log), a monitor started as root whose files
belong to the user it runs as (reopen after rotation works; a failed reopen
is an event, a counter, and retried), --test-config checking the
directories the monitor needs, and a `drop` that resets the server so that
a one-connection-at-a-time server is not left waiting.

Servers, clients and certificates are test_monitor_inline's (its gw fixture).
"""
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab import lab, polled, whole_lines  # noqa: F401
from monitor_lab import (MONITOR, RULES, SECAUDIT, Monitor, alert_with, need_binaries, open_dir,
                         s_client)
from test_monitor_inline import curl, gw  # noqa: F401

NOBODY = pwd.getpwnam("nobody")


def write_config(lab, path, rules, extra=""):
    log, sock = Monitor.paths(lab)
    Path(path).write_text(f"version: 1\nrules: {rules}\nnfqueue: {{queues: \"0\"}}\n"
                          f"alert_log: {log}\nstats_socket: {sock}\n{extra}")


def restart_with_config(lab, conf):
    lab.monitor.proc.terminate()
    lab.monitor.proc.wait(5)
    lab.monitor = Monitor(lab, config=str(conf))
    return lab.monitor


def daemon_events(mon, event):
    return [e for e in mon.events("anomaly") if e["anomaly"] == {"type": "daemon", "event": event}]


def test_sighup_reads_the_configuration_again(gw, tmp_path):
    """A changed `rules:` in monitor.yaml takes effect on SIGHUP (it used
    to reload the path named at start)."""
    denying = tmp_path / "deny-good.yaml"
    denying.write_text(Path(RULES).read_text().replace("blocked.lab.test", "good.lab.test"))
    conf = tmp_path / "monitor.yaml"
    write_config(gw, conf, RULES)
    mon = restart_with_config(gw, conf)
    assert curl(gw, gw.SRV4).returncode == 0
    write_config(gw, conf, denying)
    mon.signal(signal.SIGHUP)
    mon.wait_stderr(f"rules reloaded from {denying}")
    assert curl(gw, gw.SRV4).returncode != 0
    assert alert_with(mon, "server name on the deny list")
    st = mon.stats()
    assert st["reloads"] == 1 and st["reload_failures"] == 0
    assert st["version"] == subprocess.run([MONITOR, "--version"], capture_output=True,
                                           text=True).stdout.split()[1]


def test_a_refused_reload_is_an_event_and_a_counter(gw, tmp_path):
    conf = tmp_path / "monitor.yaml"
    write_config(gw, conf, RULES)
    mon = restart_with_config(gw, conf)
    # a configuration that does not validate
    conf.write_text(conf.read_text() + "max_flow: 10\n")
    mon.signal(signal.SIGHUP)
    mon.wait_stderr("reload refused")
    ev = daemon_events(mon, "reload_refused")
    assert len(ev) == 1 and "unknown key 'max_flow'" in ev[0]["secaudit"]["daemon"]["message"]
    # a setting only a restart applies: refused, named
    write_config(gw, conf, RULES, "limits: {max_flows: 1000}\n")
    mon.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while len(daemon_events(mon, "reload_refused")) < 2:
        assert time.monotonic() < deadline, mon.stderr()
        time.sleep(0.05)
    assert "limits changed" in daemon_events(mon, "reload_refused")[1]["secaudit"]["daemon"]["message"]
    st = mon.stats()
    assert st["reload_failures"] == 2 and st["reloads"] == 0
    assert curl(gw, gw.SRV4).returncode == 0          # the running policy still applies
    rc, out, _ = s_client(gw, "-servername", "blocked.lab.test")
    assert alert_with(mon, "server name on the deny list")


def test_root_started_files_belong_to_the_user_and_reopen_is_retried(gw):
    mon = gw.monitor
    mon.proc.terminate()
    mon.proc.wait(5)
    with open_dir() as d:
        os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
        mon = gw.monitor = Monitor(gw, RULES, "--user", "nobody", "--log", str(d / "alerts.json"),
                                   log=str(d / "alerts.json"))
        st = os.stat(mon.log)
        assert (st.st_uid, st.st_gid) == (NOBODY.pw_uid, NOBODY.pw_gid)
        # SIGHUP reopens the file it made (as root, before the drop)
        mon.signal(signal.SIGHUP)
        mon.wait_stderr("rules reloaded")
        time.sleep(0.2)
        assert mon.stats()["log_reopen_failures"] == 0, mon.stderr()
        # rotated into a directory the user cannot write: an event in the
        # file still open, a counter, and a retry that succeeds once it can
        rotated = mon.log + ".1"
        os.rename(mon.log, rotated)
        os.chown(d, 0, 0)
        mon.signal(signal.SIGUSR1)
        mon.wait_stderr("retrying")         # said on stderr before its event is written
        old = polled(lambda: [l for l in whole_lines(rotated) if "log_reopen_failed" in l], bool)
        assert len(old) == 1 and "Permission denied" in old[0]
        assert mon.stats()["log_reopen_failures"] == 1
        os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
        mon.wait_stderr("reopened", timeout=10)
        assert os.stat(mon.log).st_uid == NOBODY.pw_uid
        s_client(gw, "-servername", "blocked.lab.test")
        assert alert_with(mon, "server name on the deny list")     # in the new file
        mon.proc.terminate()
        mon.proc.wait(5)


def test_test_config_checks_the_directories():
    need_binaries()
    with open_dir() as tmp:
        logs, ev, run = tmp / "log", tmp / "evidence", tmp / "run"
        conf = tmp / "monitor.yaml"

        def check(user="nobody"):
            conf.write_text(f"version: 1\nrules: {RULES}\nalert_log: {logs}/alerts.json\n"
                            f"evidence: {ev}\nstats_socket: {run}/monitor.sock\nuser: {user}\n")
            r = subprocess.run([MONITOR, "--config", conf, "--test-config"],
                               capture_output=True, text=True)
            return r.returncode, r.stdout + r.stderr

        rc, out = check()
        assert rc == 1 and f"log directory {logs}: No such file or directory" in out, out
        for d in (logs, ev, run):
            d.mkdir()
        rc, out = check()
        assert rc == 1 and f"log directory {logs} is not writable by nobody" in out, out
        for d in (logs, ev):
            os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
        rc, out = check()
        assert rc == 0 and f"stats socket directory {run} is not writable" in out, out
        assert "warning: the stats socket needs that directory" in out
        os.chown(run, NOBODY.pw_uid, NOBODY.pw_gid)      # it removes its socket at exit
        rc, out = check()
        # the only warnings left are the policy's own (rules/demo.yaml allows
        # TLS 1.3 with tls13_certificates: allow, which rules check warns of)
        assert not [l for l in out.splitlines() if "warning" in l and "director" in l], out
        assert rc == 0 and "configuration OK" in out, out
        ev.rmdir()
        rc, out = check()
        assert rc == 1 and f"evidence directory {ev}" in out, out


def single_server(lab, tmp_path, port):
    """openssl s_server serving one connection at a time on port."""
    lab.spawn("srv", "openssl", "s_server", "-accept", f"{lab.SRV4}:{port}", "-cert",
              f"{lab.pki}/good.pem", "-key", f"{lab.pki}/good.key", "-quiet", "-naccept",
              "100000", "-www")
    lab.wait_tcp_listen("srv", port)


@pytest.mark.parametrize("resets", [True, False])
def test_a_dropped_handshake_does_not_leave_the_server_waiting(gw, tmp_path, resets):
    """`drop` stops a denied name at its ClientHello; the one-at-a-time
    server gets a reset, so the next, conforming client is served at once.
    With drop_resets_server: false the server waits (what the setting
    trades), and the alert still explains the blocked client."""
    port = 9443
    single_server(gw, tmp_path, port)
    gw.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", f"443,8443,{port}")
    rules = tmp_path / "drop.yaml"
    rules.write_text(Path(RULES).read_text().replace("action: reject", "action: drop"))
    conf = tmp_path / "monitor.yaml"
    write_config(gw, conf, rules, "" if resets else "drop_resets_server: false\n")
    mon = restart_with_config(gw, conf)
    rc, out, secs = s_client(gw, "-servername", "blocked.lab.test", port=port, timeout=3)
    assert rc == 124, out                          # dropped: the client just waits
    blocked = alert_with(mon, "server name on the deny list")
    assert blocked and blocked[0]["alert"]["action"] == "blocked"
    rc, out, _ = s_client(gw, "-servername", "good.lab.test", port=port, timeout=4)
    if resets:
        assert "Server certificate" in out or "BEGIN CERTIFICATE" in out, out
        assert mon.stats()["rsts_sent"] == 1
    else:
        assert rc == 124, out                      # the server still waits for the first
        assert mon.stats()["rsts_sent"] == 0
