"""Google QUIC (Q043, Q046, Q050; T051's TLS): captures written by
gquic_gen.py from the specifications' layouts, read by `secaudit read` and
by tshark (Debian's, whose gquic dissector decodes the CHLO's SNI and UAID
tags and whose quic dissector opens Q050/T051 Initials with their salts).

Reference for each capture: tshark's version, SNI and user agent must be
ours. The CYU fingerprint (quic.cyu[].string/hash) follows Suricata's
rust/src/quic/cyu.rs: "<version number>,<tag names joined by '-'>" and its
MD5; three of the captures use the tag lists of Suricata's own CYU test
cases there, and must give the hashes those tests expect. quic.version is
spelled as Suricata's parser.rs does: "Q043", "Q046", and lower-case hex
for the versions it has no name for (Q050: "51303530")."""
import hashlib
import json
import os
import shutil
import subprocess

import jsonschema
import pytest

import gquic_gen
from conftest import CORPUS, SECAUDIT

CAPTURES = gquic_gen.captures()
BAD = gquic_gen.bad_captures()


@pytest.fixture(scope="module")
def pcaps(tmp_path_factory):
    d = tmp_path_factory.mktemp("gquic")
    gquic_gen.write_all(str(d))
    return d


def read(path, *extra):
    proc = subprocess.run([SECAUDIT, "read", "--eve", *extra, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def tshark(path):
    """Per packet: version, SNI, UAID as tshark decodes them (gquic or quic)."""
    if not shutil.which("tshark"):
        pytest.skip("tshark is missing: scripts/install-deps.sh installs it")
    fields = ["gquic.version", "quic.version", "gquic.tag.sni",
              "tls.handshake.extensions_server_name", "gquic.tag.uaid"]
    cmd = ["tshark", "-r", str(path), "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = []
    for line in proc.stdout.splitlines():
        gv, qv, gsni, tsni, ua = (line.split("\t") + [""] * 5)[:5]
        if not (gv or qv):
            continue  # the server's answer: no version
        version = gv or format(int(qv, 16), "x")
        rows.append({"version": version, "sni": gsni or tsni or None, "ua": ua or None})
    return rows


def quic_event(events):
    quic = [e for e in events if e["event_type"] == "quic"]
    assert len(quic) == 1, f"{len(quic)} quic events"
    return quic[0]["quic"]


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_same_as_tshark(pcaps, name):
    ours = quic_event(read(pcaps / name))
    rows = tshark(pcaps / name)
    assert rows, "tshark decoded no client hello"
    for row in rows:
        assert row == {"version": ours["version"], "sni": ours.get("sni"),
                       "ua": ours.get("ua")}
    want = CAPTURES[name][1]
    assert ours["version"] == want["version"]
    assert ours.get("sni") == want["sni"]
    assert ours.get("ua") == want["ua"]


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_cyu(pcaps, name):
    ours = quic_event(read(pcaps / name))
    want = CAPTURES[name][1]["cyu"]
    got = ours.get("cyu", [])
    assert [c["string"] for c in got] == want
    for c in got:
        assert c["hash"] == hashlib.md5(c["string"].encode()).hexdigest()
        if c["string"] in gquic_gen.SURICATA_CYU:
            assert c["hash"] == gquic_gen.SURICATA_CYU[c["string"]]
    known = [c for c in got if c["string"] in gquic_gen.SURICATA_CYU]
    if name in ("gquic-q043.pcap", "gquic-q046.pcap"):
        assert known == got, "Suricata's own test cases"


def test_t051_is_tls(pcaps):
    ours = quic_event(read(pcaps / "gquic-t051.pcap"))
    assert ours["ja4"].startswith("q13d03"), ours["ja4"]
    assert {"name": "alpn", "type": 16, "values": ["h3-T051"]} in ours["extensions"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed(pcaps, name):
    events = read(pcaps / name)
    anomalies = [e["anomaly"]["event"] for e in events if e["event_type"] == "anomaly"]
    assert BAD[name][1] in anomalies
    assert not [e for e in events if e["event_type"] == "quic"]


def test_schema(pcaps):
    schema = json.load(open(os.path.join(CORPUS, "eve", "suricata-eve-schema.json")))
    schema["properties"]["secaudit"] = {"type": "object"}
    validator = jsonschema.validators.validator_for(schema)(schema)
    for name in sorted(CAPTURES) + sorted(BAD):
        for event in read(pcaps / name):
            errors = sorted(validator.iter_errors(event), key=str)
            assert not errors, f"{name}: {errors[0].message} at {list(errors[0].path)}"


RULES = """version: 1
profiles:
  web: {action: drop, sni: {deny: [www.example.org]}}
  strict: {action: drop, versions: {min: TLS1.2}}
  noquic: {action: drop, quic: drop}
  open: {action: drop, quic: allow, versions: {min: TLS1.3}}
zones:
  - {name: nq, profile: noquic, match: {sni: [maps.example.com]}}
  - {name: strict, profile: strict, match: {sni: [video.example.net]}}
  - {name: open, profile: open, match: {sni: [docs.example.org]}}
  - {name: web, profile: web}
"""


@pytest.mark.parametrize("name,failed", [
    ("gquic-q043.pcap", ["web.sni.denied"]),           # the CHLO's SNI on a deny list
    ("gquic-q043-ua.pcap", []),                          # another name: allowed
    ("gquic-q046.pcap", ["strict.version"]),             # QUIC Crypto is no TLS version
    ("gquic-q050.pcap", ["noquic.quic"]),                # quic: drop
    ("gquic-t051.pcap", []),                             # quic: allow
])
def test_policy(pcaps, tmp_path, name, failed):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    alerts = [e for e in read(pcaps / name, "--rules", str(rules)) if e["event_type"] == "alert"]
    got = [f["rule"] for a in alerts for f in a["secaudit"]["policy"]["failed"]]
    assert got == failed
    for a in alerts:
        assert a["alert"]["action"] == "blocked"
