"""scripts/install-deps.sh --runtime: what a gateway needs to run the
programs, and nothing of the build, the tests or the benchmarks (no
compiler, PostgreSQL server, auditd, Criterion). Every library a built
program links directly comes from a package of that set."""
import os
import re
import shutil
import subprocess

import pytest

from opslib import BIN, ROOT

SCRIPT = os.path.join(ROOT, "scripts", "install-deps.sh")


def group(name):
    text = open(SCRIPT).read()
    return set(re.search(rf'(?ms)^{name}="(.*?)"', text).group(1).split())


def test_runtime_is_small():
    runtime = group("RUNTIME")
    assert not runtime & {"clang", "build-essential", "postgresql", "auditd",
                          "libcriterion-dev", "python3-pytest", "tshark", "llvm"}
    assert not [p for p in runtime if p.endswith("-dev")]


def test_runtime_covers_what_the_programs_link():
    if not shutil.which("readelf") or not shutil.which("dpkg"):
        pytest.skip("readelf (binutils) and dpkg are needed")
    runtime = group("RUNTIME")
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for prog in ("secaudit", "secaudit-monitor", "secaudit-agent", "secaudit-server"):
        path = os.path.join(BIN, prog)
        if not os.access(path, os.X_OK):
            pytest.skip(f"{path} not built")
        dyn = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
        for lib in re.findall(r"\(NEEDED\).*\[(.*)\]", dyn):
            if lib.startswith(("libc.so", "libm.so", "libpthread", "ld-linux", "libdl")):
                continue
            found = re.search(rf"(?m)^\s+{re.escape(lib)} .*=> (\S+)$", cache)
            assert found, f"{prog} links {lib}, which ldconfig does not know"
            # dpkg knows a file by the path its package gave (merged /usr:
            # /lib or /usr/lib), of the link or of the file it names
            real = os.path.realpath(found.group(1))
            names = {found.group(1), real} | {p.replace("/usr/lib/", "/lib/", 1)
                                               for p in (found.group(1), real)}
            owner = subprocess.run(["dpkg", "-S", *sorted(names)], capture_output=True,
                                   text=True).stdout.split(":")[0]
            assert owner in runtime, f"{prog} links {lib} ({owner}), not in RUNTIME"


def test_unknown_option_is_refused():
    r = subprocess.run(["sh", SCRIPT, "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "--runtime" in r.stderr
