"""Agreement with Suricata on the TLS and QUIC cases of
../shared/corpus/suricata-verify: for every check whose filter matches fields
of `event_type: tls` or `quic`, our events of that type satisfy the same
matches, the same number of times. We follow
Suricata 8's behaviour; the tests written for older Suricata versions
(lt-version 8) describe behaviour Suricata itself has since changed and
are listed in EXCLUDED with that reason. Checks on alert/drop events refer
to Suricata's own rule language and are covered by the policy tests."""
import glob
import os
import re

import pytest
import yaml

from conftest import CORPUS, events_of, read_eve

SV = os.path.join(CORPUS, "suricata-verify")

EXCLUDED = {
    "ips__firewall-04-tls-sni-enforce":
        "IPS test: Suricata's own firewall rules drop one of the two sessions, so it "
        "logs one tls event; without those rules both sessions are logged (2)",
    "ips__firewall-06-tls-sni-enforce":
        "IPS test: as firewall-04, the count depends on Suricata's firewall rules",
    "rule-hooks__tls-handshake-02-ips-sni-drop":
        "IPS test: Suricata suppresses the tls event of a flow its rule dropped at the "
        "ClientHello; we keep the tls event (the alert log is the evidence)",
}


def pcap_of(test_dir, spec):
    """The capture a test reads: the one in its folder (the corpus copied
    the referenced file there), else the referenced path."""
    local = sorted(glob.glob(os.path.join(test_dir, "*.pcap*")))
    if spec:
        named = os.path.join(test_dir, os.path.basename(spec))
        if os.path.exists(named):
            return named
    if len(local) == 1:
        return local[0]
    if spec and os.path.exists(os.path.join(test_dir, spec)):
        return os.path.join(test_dir, spec)
    pytest.fail(f"{test_dir}: cannot tell which capture ({spec}, {local})")


def custom_fields(test_dir):
    """The tls fields a test's suricata.yaml asks for beyond the default
    ones (eve-log's `tls: custom: [...]`), as --eve-custom arguments."""
    path = os.path.join(test_dir, "suricata.yaml")
    if not os.path.exists(path):
        return ()
    text = open(path).read()
    # suricata.yaml starts with a %YAML directive PyYAML may refuse.
    conf = yaml.safe_load(re.sub(r"^%YAML.*\n(---\n)?", "", text)) or {}
    for out in conf.get("outputs") or []:
        for entry in (out.get("eve-log") or {}).get("types") or []:
            if isinstance(entry, dict) and isinstance(entry.get("tls"), dict):
                custom = entry["tls"].get("custom")
                if custom:
                    return ("--eve-custom", ",".join(custom))
    return ()


def version_ok(req):
    lt = (req or {}).get("lt-version")
    return lt is None or str(lt).split(".")[0] > "8"


def lookup(event, dotted):
    """Follows 'tls.client_alpns[1]' through an event; a KeyError if absent."""
    cur = event
    for part in dotted.split("."):
        m = re.fullmatch(r"([^\[]+)((?:\[\d+\])*)", part)
        cur = cur[m.group(1)]
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            cur = cur[int(idx)]
    return cur


# Match keys that are not event fields: has-key / not-has-key are
# suricata-verify operators; pcap_cnt is the number of the packet that
# triggered Suricata's log, which depends on its internal flushing and is
# not a fact of the session (we do not write it).
IGNORED_KEYS = {"pcap_cnt"}


def has(event, key):
    try:
        lookup(event, key)
        return True
    except (KeyError, IndexError, TypeError):
        return False


def matches(event, match):
    for key, want in match.items():
        if key in IGNORED_KEYS:
            continue
        if key in ("has-key", "not-has-key"):
            keys = want if isinstance(want, list) else [want]
            if any(has(event, k) != (key == "has-key") for k in keys):
                return False
            continue
        try:
            got = lookup(event, key)
        except (KeyError, IndexError, TypeError):
            return False
        if isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(got, str):
            want = str(want)
        if got != want and str(got) != str(want):
            return False
    return True


APP_EVENTS = ("tls", "quic")
CASES = []
for path in sorted(glob.glob(os.path.join(SV, "*", "test.yaml"))):
    test_dir = os.path.dirname(path)
    spec = yaml.safe_load(open(path))
    checks = [c["filter"] for c in spec.get("checks", [])
              if "filter" in c and c["filter"].get("match", {}).get("event_type") in APP_EVENTS]
    if checks:
        CASES.append((os.path.basename(test_dir), test_dir, spec, checks))


@pytest.mark.parametrize("name,test_dir,spec,checks", CASES, ids=[c[0] for c in CASES])
def test_events_agree_with_suricata(name, test_dir, spec, checks):
    if name in EXCLUDED:
        pytest.skip(EXCLUDED[name])
    if not version_ok(spec.get("requires")):
        pytest.skip(f"{name}: written for Suricata < 8, whose behaviour we do not follow")
    events = read_eve(pcap_of(test_dir, spec.get("pcap")), *custom_fields(test_dir))
    for check in checks:
        if not version_ok(check.get("requires")):
            continue
        kind = check["match"]["event_type"]
        got = sum(1 for e in events_of(events, kind) if matches(e, check["match"]))
        want = check.get("count", 1)
        assert got == want, f"{check['match']}: {got} matching {kind} events, Suricata has {want}"


DRAFTS = sorted(d for d in glob.glob(os.path.join(SV, "tls__tls13-draft*")))


@pytest.mark.parametrize("test_dir", DRAFTS, ids=[os.path.basename(d) for d in DRAFTS])
def test_tls13_draft_is_named_as_suricata_and_raises_no_anomaly(test_dir):
    """A well-formed TLS 1.3 draft handshake: its version named as Suricata
    names it ("TLS 1.3 draft-NN"), and no anomaly event."""
    spec = yaml.safe_load(open(os.path.join(test_dir, "test.yaml")))
    events = read_eve(pcap_of(test_dir, spec.get("pcap")))
    tls = events_of(events, "tls")
    assert tls and all(re.fullmatch(r"TLS 1\.3 draft-\d+", e["tls"]["version"]) for e in tls)
    assert events_of(events, "anomaly") == []
