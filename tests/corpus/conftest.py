"""Shared helpers for the corpus tests: where things are, and a cached
`secaudit read --eve` over a capture."""
import functools
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
SECAUDIT = os.path.join(BUILD, "bin", "secaudit")


def corpus_path(*parts):
    path = os.path.join(CORPUS, *parts)
    if not os.path.exists(path):
        pytest.fail(f"corpus file missing: {path} (the corpus lives in ../shared/corpus)")
    return path


@functools.lru_cache(maxsize=None)
def read_eve(capture, *extra):
    """Runs `secaudit read --eve` and returns its events (a tuple of dicts)."""
    proc = subprocess.run([SECAUDIT, "read", "--eve", *extra, capture],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"secaudit read failed on {capture}: {proc.stderr}"
    events = []
    for n, line in enumerate(proc.stdout.splitlines(), 1):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as e:
            pytest.fail(f"{capture}: line {n} is not JSON ({e}): {line[:200]}")
    return tuple(events)


def events_of(events, event_type):
    return [e for e in events if e.get("event_type") == event_type]
