"""Every event we write validates against Suricata's EVE schema, with the
one top-level extension key `secaudit` added to its allowed properties."""
import glob
import json
import os

import jsonschema
import pytest

from conftest import CORPUS, read_eve

CAPTURES = sorted(glob.glob(os.path.join(CORPUS, "generated", "*.pcap")) +
                  [p for p in glob.glob(os.path.join(CORPUS, "ja4", "*.pcap*")) if not p.endswith(".json")] +
                  glob.glob(os.path.join(CORPUS, "suricata-verify", "*", "*.pcap")))


@pytest.fixture(scope="module")
def validator():
    schema = json.load(open(os.path.join(CORPUS, "eve", "suricata-eve-schema.json")))
    schema["properties"]["secaudit"] = {"type": "object"}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: os.path.relpath(p, CORPUS))
def test_events_validate(validator, capture):
    events = read_eve(capture)
    for event in events:
        errors = sorted(validator.iter_errors(event), key=str)
        assert not errors, f"{event['event_type']} event: {errors[0].message} at {list(errors[0].path)}"
