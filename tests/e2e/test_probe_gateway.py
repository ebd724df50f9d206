"""The gateway's own probe traffic is never queued: `secaudit probe` run in
the gateway namespace (as the monitor's probe will run, in the gateway's own
network stack) reaches the server, and not one of its packets enters the
queue, while a client's handshake through the gateway does.

Why: a connection the gateway itself opens leaves through OUTPUT and its
answers arrive through INPUT; `secaudit setup-gateway` hangs its SECAUDIT
chain (NFQUEUE, NFLOG) off FORWARD only, which carries the clients'
traffic and never the gateway's own."""
import pytest

from lab import lab, make_cert, s_client, start_tls_server  # noqa: F401
from monitor_lab import SECAUDIT, Monitor, need_binaries


@pytest.fixture
def gw(lab, tmp_path):  # noqa: F811
    need_binaries()
    cert, key = make_cert(tmp_path, cn="lab.test")
    start_tls_server(lab, cert, key, extra=("-tls1_3",))
    lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", "443")
    lab.monitor = Monitor(lab)
    return lab


def queued(lab):
    return lab.queue_stats(0)["id_sequence"]


def test_probe_traffic_is_not_queued_but_client_traffic_is(gw):
    before = queued(gw)
    r = gw.run("gw", SECAUDIT, "probe", "--sni", "lab.test", gw.SRV4, "443", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "probe 198.18.2.2: ok" in r.stdout and "CN=lab.test" in r.stdout
    assert queued(gw) == before, "the gateway's own probe packets were queued"
    # The queue is live: the same handshake from a client is queued.
    ok, out = s_client(gw, gw.SRV4, extra=("-servername", "lab.test"))
    assert ok, out
    assert queued(gw) > before
    chains = gw.run("gw", "iptables", "-S").stdout
    assert "-A FORWARD -p tcp -m comment --comment secaudit -j SECAUDIT" in chains
    assert "-A OUTPUT" not in chains and "-A INPUT" not in chains
