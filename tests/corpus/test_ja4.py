"""JA4 (client) on every TLS-over-TCP stream of ../shared/corpus/ja4, against
the reference values in each capture's .json (JA4.N: the N-th ClientHello
of the stream). The QUIC captures list no TCP streams; QUIC is not parsed
yet, so they contribute nothing here."""
import glob
import json
import os

import pytest

from conftest import CORPUS, events_of, read_eve

# One reference value follows an older ALPN rule (see the corpus README):
# the current FoxIO definition prints the first and last hex digit of a
# non-alphanumeric ALPN: the first ALPN here is the two bytes 0xba 0xad
# (checked with tshark), so "bd" where the old rule printed "99".
CURRENT_RULE = {
    ("tls-non-ascii-alpn.pcapng", "t13d151699_8daaf6152771_e5627efa2ab1"):
        "t13d1516bd_8daaf6152771_e5627efa2ab1",
}

CASES = []
for path in sorted(glob.glob(os.path.join(CORPUS, "ja4", "*.json"))):
    capture = os.path.basename(path)[:-5]
    for stream in json.load(open(path)):
        expected = [stream[k] for k in sorted((k for k in stream if k.startswith("JA4.")),
                                              key=lambda k: int(k.split(".")[1]))]
        if expected:
            CASES.append((capture, stream, expected))


@pytest.mark.parametrize("capture,stream,expected", CASES,
                         ids=[f"{c}-{s['stream']}" for c, s, _ in CASES])
def test_ja4_matches_reference(capture, stream, expected):
    events = read_eve(os.path.join(CORPUS, "ja4", capture))
    expected = [CURRENT_RULE.get((capture, v), v) for v in expected]
    mine = [e for e in events_of(events, "tls")
            if e["src_ip"] == stream["src"] and e["src_port"] == int(stream["srcport"])]
    assert len(mine) == 1, f"{len(mine)} tls events for stream {stream['stream']}"
    hellos = mine[0]["secaudit"]["tls"]["client_hellos"]
    assert [h.get("ja4") for h in hellos] == expected
    assert mine[0]["tls"]["ja4"] == expected[0]
