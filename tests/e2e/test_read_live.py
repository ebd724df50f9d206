"""`secaudit read -i`: a live capture writes each TLS session's event as
the session ends, and stops when interrupted even when no packet comes.

Before the fix, libpcap's own wait for packets (TPACKET_V3) went back to
waiting after a signal until the next packet passed the filter: Ctrl-C
on a quiet filter did nothing. The capture now waits on the descriptor
itself, at most 100 ms at a time, and sees the request.
"""
import json
import os
import signal
import subprocess

from lab import SRV4, lab, make_cert, polled, s_client, start_tls_server, whole_lines  # noqa: F401
from monitor_lab import SECAUDIT, need_binaries


def tls_events(path):
    return [e for e in map(json.loads, whole_lines(path)) if e.get("event_type") == "tls"]


def test_live_read_reports_sessions_and_stops_on_sigint(lab, tmp_path):
    need_binaries()
    cert, key = make_cert(tmp_path, cn="live.lab.test")
    start_tls_server(lab, cert, key)
    out = tmp_path / "live.eve"
    with open(tmp_path / "read.err", "w") as err:
        reader = lab.spawn("srv", SECAUDIT, "read", "--eve", "-o", out, "-i", "eth0",
                           "tcp", "port", "443", stderr=err)

        # The capture starts some time after the process: a handshake every
        # round until one is reported (each is a session of its own).
        def one_more():
            ok, text = s_client(lab, SRV4, extra=("-servername", "live.lab.test"))
            assert ok, text
            return tls_events(out)

        events = polled(one_more, lambda e: len(e) >= 1, timeout=30, every=0.2)
        assert events, f"no tls event from the live capture: {open(tmp_path / 'read.err').read()}"
        assert events[0]["tls"]["sni"] == "live.lab.test", events[0]
        assert events[0]["dest_ip"] == SRV4 and events[0]["dest_port"] == 443, events[0]

        # Nothing more passes the filter: the interrupt alone must end it.
        os.kill(reader.pid, signal.SIGINT)
        try:
            rc = reader.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("secaudit read -i still runs 10 s after SIGINT")
    assert rc == 0, open(tmp_path / "read.err").read()
    # the events are all there, in whole lines, once it has ended
    assert len(tls_events(out)) >= len(events)
