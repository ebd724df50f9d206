"""secaudit setup-gateway in the namespace lab: what it applies, that it is
idempotent, that --remove restores iptables-save exactly, that only TCP
packets with payload on the TLS ports reach the queue, and that clients' SYNs
are copied to the monitor (NFLOG) instead."""

import time

from lab import (Probe, lab, make_cert, probe_bin, start_tls_server,  # noqa: F401
                 s_client)


def sg(lab, probe_bin, *args, check=True):
    return lab.run("gw", probe_bin, "setup-gateway", *args, check=check)


def test_print_changes_nothing_and_shows_both_families(lab, probe_bin):
    before = lab.ruleset()
    out = sg(lab, probe_bin, "--queues", "2:3", "--ports", "443,8443").stdout
    assert lab.ruleset() == before
    assert "iptables -w -N SECAUDIT" in out and "ip6tables -w -N SECAUDIT" in out
    # TLS over TCP and QUIC's long header packets, per family
    assert out.count("--queue-balance 2:3 --queue-bypass") == 4
    assert out.count("--dports 443,8443 --syn -j NFLOG --nflog-group 4242") == 2
    assert "--ports 443,8443" in out
    assert out.count("-p udp -m multiport --ports 443 -m bpf") == 2
    assert out.count("-I FORWARD 1 -p udp -m comment --comment secaudit -j SECAUDIT") == 2
    noquic = sg(lab, probe_bin, "--no-quic").stdout
    assert "-p udp" not in noquic and "QUIC ports none" in noquic
    quic = sg(lab, probe_bin, "--quic-ports", "443,4433").stdout
    assert quic.count("-p udp -m multiport --ports 443,4433 -m bpf") == 2
    closed = sg(lab, probe_bin, "--fail-closed").stdout
    assert "--queue-bypass" not in closed and "--queue-num 0" in closed
    starttls = sg(lab, probe_bin, "--starttls", "--ports", "443,8443").stdout
    assert starttls.count("--dports 443,8443,21,25,110,119,143,389,587,3306,4190,5222,5269,5432 "
                          "--syn -j NFLOG") == 2


def test_bad_arguments_are_usage_errors(lab, probe_bin):
    for args in (["--queues", "3:1"], ["--queues", "x"], ["--ports", "0"],
                 ["--ports", "443,"], ["--ports", ",".join(["1"] * 16)], ["--bogus"],
                 ["--quic-ports", "0"], ["--quic-ports"],
                 ["-4", "-6"], ["--starttls", "--ports", "1,2,3,4,5,6"]):
        r = sg(lab, probe_bin, *args, check=False)
        assert r.returncode == 2, (args, r.stdout, r.stderr)


def test_apply_remove_restores_a_fresh_gateway(lab, probe_bin):
    before = lab.ruleset()
    assert "*filter" not in before          # a fresh namespace: no tables
    sg(lab, probe_bin, "--apply")
    applied = lab.ruleset()
    for fam in ("iptables-save", "ip6tables-save"):
        assert f"{fam}: -A FORWARD -p tcp -m comment --comment secaudit -j SECAUDIT" in applied
        assert f"{fam}: :SECAUDIT - [0:0]" in applied
    sg(lab, probe_bin, "--apply")           # idempotent
    assert lab.ruleset() == applied
    sg(lab, probe_bin, "--remove")
    assert lab.ruleset() == before
    sg(lab, probe_bin, "--remove")          # removing twice is harmless
    assert lab.ruleset() == before


def test_apply_remove_keeps_existing_rules(lab, probe_bin):
    for tool in ("iptables", "ip6tables"):
        lab.run("gw", tool, "-A", "FORWARD", "-m", "conntrack", "--ctstate",
                "ESTABLISHED,RELATED", "-j", "ACCEPT")
        lab.run("gw", tool, "-N", "USERCHAIN")
        lab.run("gw", tool, "-A", "USERCHAIN", "-p", "udp", "--dport", "53", "-j", "ACCEPT")
        lab.run("gw", tool, "-A", "INPUT", "-j", "USERCHAIN")
        lab.run("gw", tool, "-P", "FORWARD", "ACCEPT")
    lab.run("gw", "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "to-srv", "-j", "RETURN")
    before = lab.ruleset()

    sg(lab, probe_bin, "--apply", "--input", "--output", "--queues", "0:1",
       "--ports", "443,8443,9000:9010")
    applied = lab.ruleset()
    for hook in ("FORWARD", "INPUT", "OUTPUT"):
        assert f"iptables-save: -A {hook} -p tcp -m comment --comment secaudit -j SECAUDIT" in applied
    # our hook comes first, so decided flows skip the queue before user rules
    fwd = [ln for ln in applied.splitlines() if ln.startswith("iptables-save: -A FORWARD")]
    assert "SECAUDIT" in fwd[0]
    assert "--queue-balance 0:1 --queue-bypass" in applied

    # re-applying with fewer hooks takes the others out
    sg(lab, probe_bin, "--apply")
    again = lab.ruleset()
    assert "-A INPUT -p tcp -m comment --comment secaudit" not in again
    assert "-A OUTPUT -p tcp -m comment --comment secaudit" not in again
    assert again.count("-A FORWARD -p tcp -m comment --comment secaudit") == 2

    sg(lab, probe_bin, "--remove")
    assert lab.ruleset() == before


CLIENT_TINY = r"""
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect((sys.argv[1], 443))
for b in (b"\x16", b"\x03"):
    s.send(b)
    time.sleep(0.3)
# close with a RST: after a FIN s_server would answer with an alert (data)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
s.close()
"""


def test_only_payload_packets_are_queued_and_syns_copied(lab, probe_bin, tmp_path):
    """A 1-byte segment is queued; SYNs, pure ACKs and RST are not, and the
    client's SYN is copied to the NFLOG group."""
    cert, key = make_cert(tmp_path)
    start_tls_server(lab, cert, key)
    sg(lab, probe_bin, "--apply")
    probe = Probe(lab, probe_bin, "--mode", "accept")
    for addr in (lab.SRV4, lab.SRV6):
        seq0 = lab.queue_stats(0)["id_sequence"]
        lab.run("cli", "/usr/bin/python3", "-c", CLIENT_TINY, addr)
        # exactly the two data segments: SYNs, ACKs and the RST stay in
        # the kernel (s_server sends nothing back for 2 bytes)
        assert lab.queue_stats(0)["id_sequence"] - seq0 == 2, addr
    st = probe.stats()
    assert st["pure_packets"] == 0 and st["payload_packets"] == 4
    for tool in ("iptables", "ip6tables"):
        rules = lab.run("gw", tool, "-L", "SECAUDIT", "-v", "-x", "-n").stdout
        nflog = [ln for ln in rules.splitlines() if "nflog-group 4242" in ln]
        assert nflog and int(nflog[0].split()[0]) == 1, rules      # one SYN each


def test_queued_handshake_counts_match_the_kernel(lab, probe_bin, tmp_path):
    cert, key = make_cert(tmp_path)
    start_tls_server(lab, cert, key)
    sg(lab, probe_bin, "--apply")
    probe = Probe(lab, probe_bin, "--mode", "accept")
    for addr in (lab.SRV4, lab.SRV6):
        ok, out = s_client(lab, addr, extra=("-tls1_3",))
        assert ok and "TLSv1.3" in out, out
    st = probe.stats()
    kernel = lab.queue_stats(0)
    fwd = lab.run("gw", "iptables", "-L", "FORWARD", "-v", "-x", "-n").stdout
    fwd_pkts = int([ln for ln in fwd.splitlines() if "SECAUDIT" in ln][0].split()[0])
    assert st["nfq"]["packets"] == kernel["id_sequence"] > 0
    assert st["pure_packets"] == 0
    # TCP the gateway forwarded (IPv4) outnumbers what was queued (both families)
    assert fwd_pkts > st["nfq"]["packets"] / 2
    assert kernel["queue_dropped"] == 0 and kernel["user_dropped"] == 0


def test_queue_numbers_are_named_as_numbers(lab, probe_bin):
    """--queue N is one queue, --queues A-B a range; --queues N, which once
    took a queue number, is refused with a message naming --queue."""
    one = sg(lab, probe_bin, "--queue", "2").stdout
    assert one.count("--queue-num 2 --queue-bypass") == 4       # TCP and QUIC, per family
    rng = sg(lab, probe_bin, "--queues", "2-3").stdout
    assert rng.count("--queue-balance 2:3 --queue-bypass") == 4
    for args, says in ((["--queues", "2"], "for one queue give --queue N"),
                       (["--queue", "1-2"], "for several give --queues A-B"),
                       (["--queues", "3-1"], "want a range A-B")):
        r = sg(lab, probe_bin, *args, check=False)
        assert r.returncode == 2 and says in r.stderr, (args, r.stderr)


def test_apply_and_remove_say_what_they_did_and_warn_without_a_listener(lab, probe_bin):
    r = sg(lab, probe_bin, "--apply", "--queue", "5", "--ports", "443")
    assert ("secaudit setup-gateway: applied (IPv4 and IPv6): chain SECAUDIT from FORWARD, "
            "TCP ports 443 and QUIC ports 443 to queue 5, fail-open (--queue-bypass)") in r.stdout
    assert "warning: no monitor listens on queue 5" in r.stderr
    r = sg(lab, probe_bin, "--apply", "--fail-closed", "--queue", "5")
    assert "fail-closed" in r.stdout and "warning" not in r.stderr   # closed: nothing passes
    r = sg(lab, probe_bin, "--remove")
    assert "secaudit setup-gateway: removed (IPv4 and IPv6): chain SECAUDIT and its hooks" in r.stdout


def test_monitor_warns_when_the_rules_feed_another_queue(lab, probe_bin):
    from monitor_lab import RULES, Monitor, need_binaries
    need_binaries()
    sg(lab, probe_bin, "--apply", "--queue", "0")
    mon = Monitor(lab, RULES, "--queue", "2")
    mon.wait_stderr("nothing listens there")
    err = mon.stderr()
    assert "feed queue 0 with --queue-bypass, and nothing listens there" in err
    assert "no iptables rule feeds this monitor's queues" in err
    st = mon.stats()
    assert st["unserved_queues"] == 1 and st["queues_not_fed"] == 1
    # with the monitor on the queue the rules feed: no warning, and
    # setup-gateway sees its listener
    lab.stop(mon.proc)
    mon = Monitor(lab, RULES, "--queue", "0")
    time.sleep(0.2)
    assert "warning" not in mon.stderr(), mon.stderr()
    st = mon.stats()
    assert st["unserved_queues"] == 0 and st["queues_not_fed"] == 0
    r = sg(lab, probe_bin, "--apply", "--queue", "0")
    assert "warning" not in r.stderr, r.stderr
