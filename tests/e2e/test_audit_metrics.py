"""secaudit-agent's and secaudit-server's counters on their stats sockets,
read with `secaudit stats --agent|--server` as a table, JSON and Prometheus'
text format (`promtool check metrics` must accept it), moving with real
traffic: events shipped and stored, alerts written, certificates refused
(bad, revoked, none), a protocol breach, a replayed package, and the agent
reconnecting to a restarted server; and a real Prometheus scraping all
three daemons through node-exporter's textfile collector, as deploy.md
says. The monitor's own formats are in tests/ops/test_stats.py."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import audit_helpers as h  # noqa: E402
from test_audit_channel import RawClient, hello, package, ev  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (h.SERVER.exists() and h.AGENT.exists()),
    reason=f"secaudit-server/agent not built in {h.BIN} (run make)")

SUBJECT = "O=SecureAudit test,CN=agent-1"


def stats(daemon, sock, *args):
    r = subprocess.run([h.CLI, "stats", f"--{daemon}", "--socket", sock, *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def jstats(daemon, sock):
    st = json.loads(stats(daemon, sock, "--json"))
    assert st["statsock"] == 1 and st["daemon"] == daemon
    return st


def prom(daemon, sock):
    """The Prometheus text, checked by promtool, as {series: value}."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.fail("promtool missing: scripts/install-deps.sh installs Debian's prometheus")
    out = stats(daemon, sock, "--format", "prometheus")
    r = subprocess.run([promtool, "check", "metrics"], input=out, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr + out
    return {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1])
            for line in out.splitlines() if line and not line.startswith("#")}


def wait_for(what, cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def lab(tmp_path):
    lab = h.Lab(tmp_path)
    yield lab
    lab.close()


def test_agent_and_server_counters_move_with_traffic(lab):
    t0 = int(time.time())
    rules = lab.tmp / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - id: m-1xx\n    sid: 3900201\n"
                     "    message: m-1xx\n    match: {program: /usr/bin/true, "
                     "argument: \"m-1??\"}\n")
    revoked = lab.ca.issue("revoked-agent")
    lab.ca.revoke(revoked[0])
    ssock, asock = lab.tmp / "server.sock", lab.tmp / "agent.sock"
    server_args = ("--crl", lab.ca.crl(), "--rules", rules, "--alert-log",
                   lab.tmp / "alerts.json", "--user", "root", "--stats-socket", ssock)
    server = lab.server(*server_args)
    r, w = os.pipe()
    agent = lab.agent("--stdin", "--stats-socket", asock, "--batch-events", "100", stdin=r)
    os.close(r)
    try:
        # 300 events of 4 records each, shipped, stored, 100 of them alerting
        os.write(w, h.synth_events(300, tag="m").encode())
        assert lab.wait_count(300) == 300
        a = wait_for("the agent's spool to drain", lambda: (
            lambda st: st if st["spool"]["packages"] == 0 and st["sender"]["acked_packages"] >= 3
            else None)(jstats("agent", asock)))
        assert a["records"] == 1200 and a["events"] == 300 and a["bad_records"] == 0
        assert a["sender"]["sent_packages"] >= 3 and a["sender"]["acks"] >= 1
        assert a["sender"]["connected"] == 1 and a["sender"]["reconnects"] == 0
        assert t0 <= a["sender"]["last_ack"] <= time.time() + 1
        s = wait_for("the alerts", lambda: (
            lambda st: st if st["alerts"] == 100 else None)(jstats("server", ssock)))
        assert s["stored"] == {"packages": a["sender"]["acked_packages"], "events": 300}
        assert s["duplicates"] == 0 and s["store_errors"] == 0
        seen = {x["agent"]: x for x in s["agents"]}
        assert seen[SUBJECT]["sessions"] == 1 and seen[SUBJECT]["last_seen"] >= t0
        before = {x["reason"]: x["refused"] for x in s["reasons"]}

        # refusals, each counted under its reason
        for cert, log in ((h.self_signed(lab.tmp, "selfie"), "selfie.log"),
                          (revoked, "revoked.log")):
            bad = lab.agent("--stdin", cert=cert[0], key=cert[1], spool=log + ".spool",
                            log=log, stdin=subprocess.PIPE)
            wait_for(f"the refusal of {log}", lambda: "refused" in server.text()
                     and server.text().count("certificate verify failed") >=
                     (1 if log == "selfie.log" else 2))
            bad.stop()
        ctx = ssl.create_default_context(cafile=str(lab.ca.cert))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", lab.port)),
                                 server_hostname="localhost") as c:
                c.sendall(b"SA")
                c.recv(1)
        # a replayed package is acknowledged, not stored; garbage is a protocol breach
        c = RawClient(lab)
        c.send(hello(77))
        assert c.frame()[0] == 2
        c.send(package(1, [ev(1, "a")]))
        assert c.frame()[0] == 4
        c.send(package(1, [ev(1, "a")]))
        assert c.frame()[0] == 4
        c.send(b"GARBAGE!" * 4)
        assert c.frame()[0] == 5
        c.close()
        s = wait_for("the refusals", lambda: (
            lambda st: st if {x["reason"]: x["refused"] for x in st["reasons"]}["protocol"]
            else None)(jstats("server", ssock)))
        after = {x["reason"]: x["refused"] for x in s["reasons"]}
        moved = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        # a refused agent retries until stopped: as often as the log says
        log = server.text()
        assert moved == {"bad_cert": log.count("verify failed: self-signed certificate"),
                         "revoked": log.count("verify failed: certificate revoked"),
                         "no_cert": 1, "protocol": 1}, (moved, log)
        assert s["duplicates"] == 1 and s["stored"]["events"] == 301
        assert seen[SUBJECT]["sessions"] == 1
        assert {x["agent"]: x for x in s["agents"]}[SUBJECT]["sessions"] == 2

        # the server restarts: the agent reconnects and ships on
        last_ack = a["sender"]["last_ack"]
        server.stop()
        wait_for("the agent to see the server gone",
                 lambda: jstats("agent", asock)["sender"]["connected"] == 0)
        server = lab.server(*server_args, log="server2.log")
        os.write(w, h.synth_events(50, start_serial=1001, tag="n").encode())
        assert lab.wait_count(351) == 351
        a2 = wait_for("the agent's second session", lambda: (
            lambda st: st if st["spool"]["packages"] == 0 and st["sender"]["connected"]
            and st["events"] == 350 else None)(jstats("agent", asock)))
        assert a2["sender"]["reconnects"] >= 1
        assert a2["sender"]["sent_packages"] > a["sender"]["sent_packages"]
        assert a2["sender"]["last_ack"] >= last_ack

        # the same in Prometheus' format, which promtool accepts
        pa, ps = prom("agent", asock), prom("server", ssock)
        assert pa["secaudit_agent_events_total"] == 350
        assert pa["secaudit_agent_records_total"] == 1400
        assert pa["secaudit_agent_sender_reconnects_total"] >= 1
        assert pa["secaudit_agent_spool_packages"] == 0
        assert pa["secaudit_agent_last_ack_timestamp_seconds"] >= t0
        assert "secaudit_agent_kernel_lost_total" in pa
        assert ps["secaudit_server_stored_events_total"] == 50
        assert ps[f'secaudit_server_agent_last_seen_timestamp_seconds{{agent="{SUBJECT}"}}'] >= t0
        assert ps['secaudit_server_refused_total{reason="revoked"}'] == 0  # a new process
        table = stats("server", ssock)
        assert table.startswith("version ") and "stored.events" in table
        assert "reason revoked" in table and f"agent {SUBJECT}" in table
    finally:
        os.close(w)


def test_no_agent_is_a_clear_error(tmp_path):
    r = subprocess.run([h.CLI, "stats", "--agent", "--socket", str(tmp_path / "none.sock")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "is secaudit-agent running?" in r.stderr


def test_socket_found_through_the_agents_configuration(tmp_path):
    conf = tmp_path / "agent.yaml"
    conf.write_text(f"server: \"127.0.0.1:1\"\nstats_socket: {tmp_path}/a.sock\n")
    r = subprocess.run([h.CLI, "stats", "--agent", "--config", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and f"{tmp_path}/a.sock" in r.stderr, r.stderr
    conf.write_text("server: \"127.0.0.1:1\"\n")
    r = subprocess.run([h.CLI, "stats", "--agent", "--config", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "keeps no stats socket" in r.stderr, r.stderr


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_prometheus_scrapes_all_three(lab, tmp_path):
    """The deploy.md route end to end: `secaudit stats --format prometheus`
    of the monitor, the agent and the server into node-exporter's textfile
    collector, scraped by a real Prometheus every second; what Prometheus
    stores moves with the traffic."""
    for tool, pkg in (("prometheus", "prometheus"),
                      ("prometheus-node-exporter", "prometheus-node-exporter"),
                      ("ip", "iproute2")):
        if not shutil.which(tool):
            pytest.fail(f"'{tool}' is missing (Debian package {pkg}; scripts/install-deps.sh)")
    if os.geteuid() != 0 or not os.path.exists("/proc/net/netfilter/nfnetlink_queue"):
        pytest.skip("the monitor on NFQUEUE needs root and the kernel's nfnetlink_queue")
    socks = {d: tmp_path / f"{d}.sock" for d in ("monitor", "agent", "server")}
    textdir = tmp_path / "textfile"
    textdir.mkdir()
    ns = f"sa{os.getpid()}pm"
    conf = tmp_path / "monitor.yaml"
    conf.write_text(f"version: 1\nrules: {h.ROOT}/rules/default.yaml\n"
                    f"stats_socket: {socks['monitor']}\nnfqueue: {{queues: \"5\"}}\n"
                    f"alert_log: {tmp_path}/alerts.json\n")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    procs = []
    try:
        procs.append(h.Proc(["ip", "netns", "exec", ns, h.BIN / "secaudit-monitor",
                             "--config", conf], tmp_path / "monitor.log"))
        lab.server("--user", "root", "--stats-socket", socks["server"])
        r, w = os.pipe()
        lab.agent("--stdin", "--stats-socket", socks["agent"], stdin=r)
        os.close(r)
        os.write(w, h.synth_events(20, tag="p").encode())
        assert lab.wait_count(20) == 20
        nport, pport = h.free_port(), h.free_port()
        procs.append(h.Proc(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{nport}",
                             "--collector.disable-defaults", "--collector.textfile",
                             f"--collector.textfile.directory={textdir}"],
                            tmp_path / "node-exporter.log"))
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: secaudit\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{nport}']}}]\n")
        procs.append(h.Proc(["prometheus", f"--config.file={tmp_path}/prometheus.yml",
                             f"--storage.tsdb.path={tmp_path}/tsdb",
                             f"--web.listen-address=127.0.0.1:{pport}"],
                            tmp_path / "prometheus.log"))

        def textfiles():
            for d, sock in socks.items():
                wait_for(f"{d}'s stats socket", lambda: os.path.exists(sock))
                out = stats(d, sock, "--format", "prometheus")
                (textdir / f"{d}.prom.tmp").write_text(out)
                os.rename(textdir / f"{d}.prom.tmp", textdir / f"{d}.prom")

        def query(expr):
            try:
                res = get_json(f"http://127.0.0.1:{pport}/api/v1/query?"
                               + urllib.parse.urlencode({"query": expr}))["data"]["result"]
            except OSError:
                return None
            return float(res[0]["value"][1]) if res else None

        textfiles()
        wait_for("Prometheus to store the server's events",
                 lambda: query("secaudit_server_stored_events_total") == 20, 90)
        assert query("secaudit_agent_events_total") == 20
        assert query("secaudit_monitor_uptime_seconds") is not None
        assert query('secaudit_monitor_packets_total{queue="5"}') == 0
        assert query("node_textfile_scrape_error") == 0
        os.write(w, h.synth_events(30, start_serial=100, tag="q").encode())
        assert lab.wait_count(50) == 50
        wait_for("the agent to be acknowledged", lambda: jstats(
            "agent", socks["agent"])["spool"]["packages"] == 0)
        textfiles()
        wait_for("Prometheus to see the counters move",
                 lambda: query("secaudit_server_stored_events_total") == 50, 90)
        assert query("secaudit_agent_events_total") == 50
        assert query("increase(secaudit_server_stored_events_total[1h])") > 0
        os.close(w)
    finally:
        for p in procs:
            p.stop()
        subprocess.run(["ip", "netns", "del", ns])
