"""community_id on every flow event of ../shared/corpus/generated equals
tshark's Community ID (its communityid dissector, seed 0), and pkt_src is
there as Suricata writes it. tshark reads all the captures at once
(mergecap), one process instead of 43."""
import glob
import os
import shutil
import subprocess

import pytest

from conftest import CORPUS, SECAUDIT, events_of, read_eve

CAPTURES = sorted(p for p in glob.glob(os.path.join(CORPUS, "generated", "*.pcap*")))


@pytest.fixture(scope="module")
def tshark_ids(tmp_path_factory):
    for tool in ("tshark", "mergecap"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is missing: scripts/install-deps.sh installs tshark")
    merged = str(tmp_path_factory.mktemp("cid") / "all.pcapng")
    subprocess.run(["mergecap", "-a", "-w", merged, *CAPTURES], check=True, timeout=60)
    out = subprocess.run(
        ["tshark", "-r", merged, "--enable-protocol", "communityid", "-Y", "tcp",
         "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
         "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "communityid"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    ids = {}
    for line in out.splitlines():
        s4, s6, sp, d4, d6, dp, cid = line.split("\t")
        # Tunnelled packets list every layer's address: the innermost is last.
        key = ((s4 or s6).split(",")[-1], int(sp), (d4 or d6).split(",")[-1], int(dp))
        assert ids.get(key, cid) == cid, f"tshark gives {key} two community ids"
        ids[key] = cid
    assert ids, "tshark found no TCP packets in the generated corpus"
    return ids


def flow_events(capture):
    return [e for e in read_eve(capture) if "flow_id" in e]


@pytest.mark.parametrize("capture", CAPTURES, ids=[os.path.basename(c) for c in CAPTURES])
def test_community_id_equals_tshark(capture, tshark_ids):
    events = flow_events(capture)
    assert events, f"{capture}: no flow events"
    for e in events:
        key = (e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"])
        assert key in tshark_ids, f"tshark saw no packet of {key}"
        assert e.get("community_id") == tshark_ids[key], f"{e['event_type']} of {key}"
        assert e["pkt_src"] in ("wire/pcap", "stream (flow timeout)")


def test_seed_and_switch():
    capture = os.path.join(CORPUS, "generated", "a14_tls12_chain_verified.pcap")
    plain = events_of(read_eve(capture), "tls")[0]["community_id"]
    seeded = events_of(read_eve(capture, "--community-id-seed", "1"), "tls")[0]["community_id"]
    assert seeded.startswith("1:") and seeded != plain
    assert all("community_id" not in e for e in read_eve(capture, "--no-community-id"))
    bad = subprocess.run([SECAUDIT, "read", "--community-id-seed", "70000", capture],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "0 to 65535" in bad.stderr

