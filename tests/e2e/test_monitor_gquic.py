"""Google QUIC through the inline monitor, in the namespace lab: no Debian
package speaks gQUIC any more, so the client's first datagrams (Q043's
public header, Q046's long header, Q050's protected Initial, each with a
CHLO) are the ones tests/corpus/gquic_gen.py writes from the
specifications, sent from the client's namespace over a real UDP socket;
`secaudit setup-gateway` queues them (the long header bit, or Q043's
version flag) and the monitor judges the CHLO's server name. A small UDP
server records every datagram it receives: that record, not the client's
view, tells whether a denied hello got through.
"""

import sys
import time
from pathlib import Path

import pytest

from lab import lab, skip_loudly  # noqa: F401
from monitor_lab import DENIED, QUIC_DROP, SNI_DENY, need_binaries, rules_yaml, start_monitor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "corpus"))
import gquic_gen  # noqa: E402

PORT, NO_QUIC = 443, 9443

RULES = rules_yaml({"web": SNI_DENY, "tcp-only": QUIC_DROP},
                   [("no-quic", "tcp-only", [NO_QUIC]), ("web", "web", None)],
                   description="Google QUIC end-to-end (tests/e2e/test_monitor_gquic.py)")

# Records "<port> <client port>" per datagram, flushed at once.
SERVER = """
import select, socket, sys
socks = []
for port in map(int, sys.argv[2:]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], port))
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(65535)
        sys.stdout.write(f"{s.getsockname()[1]} {peer[1]}\\n")
        sys.stdout.flush()
"""

# Sends the datagram in FILE from SPORT to ADDR:PORT COUNT times, 0.1 s apart.
CLIENT = """
import socket, sys, time
addr, port, sport, path, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
data = open(path, "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", sport))
for _ in range(count):
    s.sendto(data, (addr, port))
    time.sleep(0.1)
"""


def datagram(version, sni):
    cid = bytes.fromhex("5a5b5c5d5e5f6061")
    tags = gquic_gen.CYU_Q043_UA
    if version == "Q043":
        return gquic_gen.q043_packet(gquic_gen.stream_frame(
            gquic_gen.chlo(tags, b"Q043", sni, 1300)), cid)
    if version == "Q046":
        return gquic_gen.q046_packet(gquic_gen.stream_frame(
            gquic_gen.chlo(tags, b"Q046", sni, 1300)), cid)
    return gquic_gen.protected_initial(b"Q050", cid, gquic_gen.gquic_crypto_frame(
        gquic_gen.chlo(tags, b"Q050", sni, 0)))


@pytest.fixture
def ggw(lab, tmp_path):
    need_binaries()
    try:
        import cryptography  # noqa: F401
        import scapy  # noqa: F401
    except ImportError as e:
        skip_loudly(f"{e.name} missing (python3-cryptography, python3-scapy: install-deps)")
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "client.py").write_text(CLIENT)
    lab.received = tmp_path / "received.log"
    log = open(lab.received, "w")
    lab.spawn("srv", sys.executable, tmp_path / "server.py", lab.SRV4, str(PORT), str(NO_QUIC),
              stdout=log)
    for port in (PORT, NO_QUIC):
        lab.wait_udp_listen("srv", port)
    start_monitor(lab, tmp_path, RULES, [443], quic_ports=[PORT, NO_QUIC])
    lab.tmpdir = tmp_path
    yield lab


def send(lab, version, sni, port, sport, count):
    path = lab.tmpdir / f"{version}-{sport}.bin"
    path.write_bytes(datagram(version, sni))
    lab.run("cli", sys.executable, lab.tmpdir / "client.py", lab.SRV4, str(port), str(sport),
            str(path), str(count))


def received_from(lab, port, sport):
    return f"{port} {sport}" in Path(lab.received).read_text().splitlines()


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


VERSIONS = [("Q043", "Q043", 41001), ("Q046", "Q046", 41002), ("Q050", "51303530", 41003)]


@pytest.mark.parametrize("version,written,sport", VERSIONS)
def test_allowed_name_reaches_the_server(ggw, version, written, sport):
    deadline = time.monotonic() + 15
    while not received_from(ggw, PORT, sport):
        assert time.monotonic() < deadline, "the allowed CHLO never reached the server"
        send(ggw, version, "allowed.lab.test", PORT, sport, 1)
    assert not ggw.monitor.alerts(), ggw.monitor.alerts()


@pytest.mark.parametrize("version,written,sport", VERSIONS)
def test_denied_name_never_reaches_the_server(ggw, version, written, sport):
    sport += 100
    send(ggw, version, "blocked.lab.test", PORT, sport, 3)
    wait_for(lambda: ggw.monitor.alerts(), 10, "no alert for the denied CHLO")
    # an allowed connection sent after it arrives: the denied one had its chance
    send(ggw, version, "allowed.lab.test", PORT, sport + 1, 1)
    wait_for(lambda: received_from(ggw, PORT, sport + 1), 10, "the allowed CHLO did not pass")
    assert not received_from(ggw, PORT, sport)
    alerts = ggw.monitor.alerts()
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert a["proto"] == "UDP" and a["app_proto"] == "quic"
    assert a["alert"]["action"] == "blocked"
    assert a["alert"]["signature"] == DENIED
    assert a["quic"]["sni"] == "blocked.lab.test"
    assert a["quic"]["version"] == written
    assert a["quic"]["ua"] == gquic_gen.UA


def test_quic_drop_zone(ggw):
    send(ggw, "Q043", "allowed.lab.test", NO_QUIC, 42001, 3)
    wait_for(lambda: ggw.monitor.alerts(), 10, "no alert for gQUIC in a quic: drop zone")
    send(ggw, "Q043", "allowed.lab.test", PORT, 42002, 1)
    wait_for(lambda: received_from(ggw, PORT, 42002), 10, "the allowed CHLO did not pass")
    assert not received_from(ggw, NO_QUIC, 42001)
    a = ggw.monitor.alerts()[0]
    assert a["alert"]["signature"].startswith("QUIC not allowed"), a
