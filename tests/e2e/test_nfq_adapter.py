"""monitor/io/nfq.c on a real queue, through nfq_probe in the lab gateway:
TLS passes the queue; a flow marked accepted leaves the queue, a flow marked
denied is dropped by the kernel; reject resets both ends; with the monitor
killed, fail-open keeps traffic flowing and fail-closed stops it."""

import os
import re
import subprocess
import threading
import time

import pytest

from lab import (Probe, lab, make_cert, polled, probe_bin, start_tls_server,  # noqa: F401
                 s_client)


def sg(lab, probe_bin, *args):
    return lab.run("gw", probe_bin, "setup-gateway", *args)


@pytest.fixture
def tls_lab(lab, probe_bin, tmp_path):
    """The lab with the rules applied, a 4 MiB file served over TLS."""
    cert, key = make_cert(tmp_path)
    www = tmp_path / "www"
    www.mkdir()
    (www / "big").write_bytes(os.urandom(4 << 20))
    start_tls_server(lab, cert, key, www_dir=str(www))
    sg(lab, probe_bin, "--apply")
    return lab


def fetch_big(lab, addr, timeout=20):
    host = f"[{addr}]" if ":" in addr else addr
    r = lab.run("cli", "curl", "-sk", "--http1.0", "--max-time", str(timeout), "-o", "/dev/null",
                "-w", "%{size_download}", f"https://{host}/big", check=False, timeout=timeout + 5)
    return r.returncode, int(r.stdout or 0)


def ct_marks(lab, port=443):
    """Conntrack marks of the gateway's TCP connections to port."""
    r = lab.run("gw", "conntrack", "-L", "-p", "tcp", "--dport", str(port), check=False)
    return [int(m) for m in re.findall(r"mark=(\d+)", r.stdout)]


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_tls13_handshake_passes_the_queue(tls_lab, probe_bin, family):
    lab = tls_lab
    probe = Probe(lab, probe_bin, "--mode", "accept")
    ok, out = s_client(lab, lab.SRV4 if family == "v4" else lab.SRV6, extra=("-tls1_3",))
    assert ok, out
    assert "Protocol version: TLSv1.3" in out
    st = probe.stats()
    assert st["statsock"] == 1
    # ClientHello, the server's flight, the client's Finished at least
    assert st["payload_packets"] >= 3 and st["flows"] == 1
    assert st["nfq"]["accepted"] == st["nfq"]["packets"] == lab.queue_stats(0)["id_sequence"]
    assert st["nfq"]["callback_errors"] == st["nfq"]["nl_errors"] == 0


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_accept_mark_takes_the_flow_off_the_queue(tls_lab, probe_bin, family):
    lab = tls_lab
    addr = lab.SRV4 if family == "v4" else lab.SRV6
    # reference: every payload packet of a 4 MiB download is queued
    probe = Probe(lab, probe_bin, "--mode", "accept")
    rc, size = fetch_big(lab, addr)
    assert rc == 0 and size == 4 << 20
    queued_all = probe.stats()["nfq"]["packets"]
    probe.kill()
    # marked accepted after 3 payload packets: the rest bypasses user space
    probe = Probe(lab, probe_bin, "--mode", "bypass-after:3")
    seq0 = lab.queue_stats(0)["id_sequence"]
    rc, size = fetch_big(lab, addr)
    assert rc == 0 and size == 4 << 20
    st = probe.stats()
    queued = lab.queue_stats(0)["id_sequence"] - seq0
    assert st["nfq"]["accept_flow"] >= 1 and st["nfq"]["unbypassed"] == 0
    # 3 + the marking packet + whatever was already in flight meanwhile
    assert queued <= 12, (queued, st)
    assert queued_all > 5 * queued, (queued_all, queued)
    if family == "v4":
        assert 0x40000 in ct_marks(lab)


def test_deny_mark_drops_the_flow_in_the_kernel(tls_lab, probe_bin):
    lab = tls_lab
    probe = Probe(lab, probe_bin, "--mode", "drop-port:443")
    seq0 = lab.queue_stats(0)["id_sequence"]
    ok, out = s_client(lab, lab.SRV4, timeout=3)
    assert not ok
    # the ClientHello was queued once; its retransmissions met the
    # conntrack mark and were dropped without reaching user space
    assert lab.queue_stats(0)["id_sequence"] - seq0 == 1
    st = probe.stats()
    assert st["nfq"]["drop_flow"] == 1
    assert 0x80000 in ct_marks(lab)
    deny_rule = lab.run("gw", "iptables", "-L", "SECAUDIT", "-v", "-x", "-n").stdout
    drops = [ln for ln in deny_rule.splitlines() if "connmark match  0x80000/0xc0000" in ln]
    assert drops and int(drops[0].split()[0]) >= 1, deny_rule


SERVER_RESET = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8443)); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
c.settimeout(5)
try:
    c.recv(100)
    print("server: data", flush=True)
except ConnectionResetError:
    print("server: reset", flush=True)
except socket.timeout:
    print("server: timeout", flush=True)
"""

CLIENT_RESET = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], 8443))
c.settimeout(5)
t = time.monotonic()
c.send(b"\x16\x03\x01\x00\x05hello")
try:
    c.recv(100)
    print("client: data")
except ConnectionResetError:
    print("client: reset %.3f" % (time.monotonic() - t))
except socket.timeout:
    print("client: timeout")
"""


def test_reject_resets_both_ends(lab, probe_bin, tmp_path):
    import subprocess
    sg(lab, probe_bin, "--apply", "--ports", "8443")
    probe = Probe(lab, probe_bin, "--mode", "reject-port:8443")
    srv = lab.spawn("srv", "/usr/bin/python3", "-c", SERVER_RESET, stdout=subprocess.PIPE)
    assert srv.stdout.readline().decode().strip() == "listening"
    out = lab.run("cli", "/usr/bin/python3", "-c", CLIENT_RESET, lab.SRV4).stdout
    assert re.match(r"client: reset ([\d.]+)", out), out   # a reset, not its timeout
    srv.wait(timeout=10)
    assert srv.stdout.read().decode().strip() == "server: reset"
    st = probe.stats()
    assert st["rsts_sent"] == 2 and st["rst_errors"] == 0


def test_killed_monitor_fail_open_keeps_traffic(tls_lab, probe_bin):
    lab = tls_lab
    probe = Probe(lab, probe_bin, "--mode", "accept")
    assert s_client(lab, lab.SRV4)[0]
    probe.kill()
    assert lab.queue_stats(0) is None          # nobody bound
    ok, out = s_client(lab, lab.SRV4)
    assert ok, out
    ok, out = s_client(lab, lab.SRV6)
    assert ok, out


def test_killed_monitor_fail_closed_stops_traffic(tls_lab, probe_bin):
    lab = tls_lab
    sg(lab, probe_bin, "--apply", "--fail-closed")
    rules = lab.run("gw", "iptables", "-S", "SECAUDIT").stdout
    assert "NFQUEUE" in rules and "--queue-bypass" not in rules
    probe = Probe(lab, probe_bin, "--mode", "accept", "--fail-closed")
    assert s_client(lab, lab.SRV4)[0]
    probe.kill()
    ok, out = s_client(lab, lab.SRV4, timeout=3)
    assert not ok, out
    # restarted, it passes traffic again
    Probe(lab, probe_bin, "--mode", "accept", "--fail-closed")
    ok, out = s_client(lab, lab.SRV4)
    assert ok, out


def test_full_queue_fails_open(tls_lab, probe_bin):
    """With a queue of 1 and the kernel fail-open flag, packets beyond the
    queue's length are accepted rather than dropped: the download completes
    and nothing is counted as dropped."""
    lab = tls_lab
    Probe(lab, probe_bin, "--mode", "accept", "--maxlen", "1")
    rc, size = fetch_big(lab, lab.SRV4)
    assert rc == 0 and size == 4 << 20
    k = lab.queue_stats(0)
    assert k["queue_dropped"] == 0 and k["user_dropped"] == 0


def test_full_queue_without_fail_open_drops(tls_lab, probe_bin):
    """The counterpart: without the flag the same load overflows the queue
    (TCP recovers by retransmission, so only the counter is asserted)."""
    lab = tls_lab
    Probe(lab, probe_bin, "--mode", "accept", "--maxlen", "1", "--fail-closed")
    fetch_big(lab, lab.SRV4, timeout=10)
    assert lab.queue_stats(0)["queue_dropped"] > 0


def test_receive_overrun_is_counted_and_survived(tls_lab, probe_bin):
    """A tiny socket buffer and a slow callback: the kernel cannot deliver
    some packet messages (ENOBUFS on our side, fail-open accept on its
    side); the adapter counts them and keeps going."""
    lab = tls_lab
    probe = Probe(lab, probe_bin, "--mode", "accept", "--rcvbuf", "4096", "--slow-us", "3000")
    rc, size = fetch_big(lab, lab.SRV4, timeout=30)
    assert rc == 0 and size == 4 << 20
    st = probe.stats()["nfq"]
    assert st["enobufs"] > 0, st
    assert probe.proc.poll() is None
    assert s_client(lab, lab.SRV4)[0]


def test_queue_owned_by_one_instance(tls_lab, probe_bin):
    lab = tls_lab
    Probe(lab, probe_bin, "--mode", "accept")
    r = lab.run("gw", probe_bin, "run", "--queue", "0", check=False, timeout=10)
    assert r.returncode != 0 and "Device or resource busy" in r.stderr
    time.sleep(0.1)


def test_held_packet_waits_for_its_release_while_other_flows_are_batched(lab, probe_bin,
                                                                         tmp_path):
    """NFQUEUE_HOLD: a flow's ClientHello held for a second (its verdict
    later, by id, through nfqueue_release) while another flow downloads 4 MiB
    through the queue. The download's accepts must not go as batch verdicts
    then (a batch covers every lower id: the held packet would leave early);
    the held handshake completes only after its release."""
    cert, key = make_cert(tmp_path)
    www = tmp_path / "www"
    www.mkdir()
    (www / "big").write_bytes(os.urandom(4 << 20))
    start_tls_server(lab, cert, key, port=443, extra=("-tls1_3",))
    start_tls_server(lab, cert, key, port=8443, www_dir=str(www))
    sg(lab, probe_bin, "--apply", "--ports", "443,8443")
    # Slow callbacks let packets gather in the queue, so that one round
    # answers several: the download's accepts would go as batch verdicts.
    probe = Probe(lab, probe_bin, "--mode", "hold-port:443:1000", "--slow-us", "300")
    t0 = time.monotonic()
    hello = lab.spawn("cli", "timeout", "10", "openssl", "s_client", "-connect",
                      f"{lab.SRV4}:443", "-tls1_3", "-brief", stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    established = []

    def watch():
        for line in hello.stdout:
            if b"CONNECTION ESTABLISHED" in line:
                established.append(time.monotonic() - t0)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # the download starts once its ClientHello is held
    assert polled(lambda: probe.stats()["nfq"]["held"], bool), "the ClientHello was not held"
    r = lab.run("cli", "curl", "-sk", "--http1.0", "--max-time", "20", "-o", "/dev/null",
                "--limit-rate", "5M", "-w", "%{size_download}", f"https://{lab.SRV4}:8443/big",
                check=False, timeout=30)
    download_end = time.monotonic() - t0
    hello.stdin.close()
    hello.wait(timeout=15)
    watcher.join(timeout=5)
    assert r.returncode == 0 and int(r.stdout) == 4 << 20, r.stderr
    assert download_end > 0.6, "the download did not overlap the hold"
    assert established, "the held handshake never completed"
    assert established[0] >= 1.0, f"the held ClientHello left after {established[0]:.2f} s"
    st = probe.stats()
    assert st["nfq"]["held"] == st["nfq"]["released"] == 1
    assert st["nfq"]["accepted"] > 50      # the download went through the queue meanwhile
    assert st["nfq"]["batches"] > 0        # ... in batches, but not while the packet was held
    # A batch that had covered the held id would have let it go early; its
    # release then names an id the kernel no longer has: an error reply.
    assert st["nfq"]["callback_errors"] == st["nfq"]["nl_errors"] == 0
