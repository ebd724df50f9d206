"""The man pages: each program has its page, `mandoc -T lint` finds
nothing at warning level or above, and every option a program's --help
prints is in its page (so a new flag cannot ship undocumented)."""
import os
import re
import subprocess

import pytest

from opslib import BIN, ROOT, need_tool

MAN = os.path.join(ROOT, "man")
PAGES = ["secaudit.1", "secaudit-rules.5", "secaudit-events.7", "secaudit-monitor.8",
         "secaudit-agent.8", "secaudit-server.8"]
# page -> the --help texts whose options it must describe
HELPS = {
    "secaudit.1": [["secaudit", "--help"]] + [
        ["secaudit", c, "--help"] for c in
        ("read", "rules", "alerts", "query", "setup-gateway", "stats", "probe")],
    "secaudit-monitor.8": [["secaudit-monitor", "--help"]],
    "secaudit-agent.8": [["secaudit-agent", "--help"]],
    "secaudit-server.8": [["secaudit-server", "--help"]],
}
OPTION = re.compile(r"(?<![\w/-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")


def rendered(page):
    mandoc = need_tool("mandoc", "mandoc")
    r = subprocess.run([mandoc, "-T", "ascii", os.path.join(MAN, page)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return re.sub(r".\x08", "", r.stdout)      # no overstrike (bold, underline)


def test_every_page_is_there():
    assert sorted(PAGES) == sorted(p for p in os.listdir(MAN) if re.search(r"\.[1-8]$", p))


@pytest.mark.parametrize("page", PAGES)
def test_mandoc_lint_is_clean(page):
    mandoc = need_tool("mandoc", "mandoc")
    r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", os.path.join(MAN, page)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


@pytest.mark.parametrize("page", sorted(HELPS))
def test_every_option_of_help_is_in_the_page(page):
    text = rendered(page)
    documented = set(OPTION.findall(text))
    missing = {}
    for cmd in HELPS[page]:
        r = subprocess.run([os.path.join(BIN, cmd[0]), *cmd[1:]], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr}"
        for opt in set(OPTION.findall(r.stdout)) - documented:
            missing.setdefault(opt, " ".join(cmd))
    assert not missing, f"{page} lacks: " + ", ".join(f"{o} (from {c})"
                                                       for o, c in sorted(missing.items()))
