"""Shared helpers for the operations tests (install, units, man pages,
rotation, metrics, policy tests): where things are, and one staged
`make install` per test session."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "bin")
SECAUDIT = os.path.join(BIN, "secaudit")


def need_tool(tool, package):
    """The path of tool, or a loud skip naming the Debian package."""
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"'{tool}' is missing (Debian package {package}; "
                    "scripts/install-deps.sh installs it)")
    return path


@pytest.fixture(scope="session")
def staged(tmp_path_factory):
    """`make install PREFIX=/usr DESTDIR=<tmp>`: the tree a package holds."""
    dest = tmp_path_factory.mktemp("destdir")
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}", "install", "PREFIX=/usr",
                        f"DESTDIR={dest}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return str(dest)


@pytest.fixture(scope="session")
def units(tmp_path_factory):
    """The systemd units with the paths of this build tree, so that
    `systemd-analyze verify` finds the programs they start. A dict
    name -> path."""
    out = tmp_path_factory.mktemp("units")
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={out}/b", "dist", f"bindir={BIN}",
                        f"sbindir={BIN}", "docdir=/usr/share/doc/secaudit"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    dist = os.path.join(out, "b", "dist")
    return {f: os.path.join(dist, f) for f in sorted(os.listdir(dist)) if f.endswith(".service")}
