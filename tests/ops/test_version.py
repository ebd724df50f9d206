"""--version: every program prints its name and the one version the
Makefile sets (VERSION, compiled into common/version.c), and exits 0
without reading any configuration."""
import os
import re
import subprocess

import pytest

from opslib import BIN, ROOT

PROGRAMS = ["secaudit", "secaudit-monitor", "secaudit-agent", "secaudit-server"]


def makefile_version():
    text = open(os.path.join(ROOT, "Makefile")).read()
    return re.search(r"(?m)^VERSION \?= (\S+)$", text).group(1)


@pytest.mark.parametrize("program", PROGRAMS)
def test_version(program, tmp_path):
    path = os.path.join(BIN, program)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built")
    r = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{program} {makefile_version()}\n"
