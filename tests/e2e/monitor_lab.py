"""What the monitor's end-to-end tests share: the binaries, the monitor
running in the lab's gateway namespace, and reading what an openssl client
experienced."""

import contextlib
import json
import os
import shutil
import tempfile
import re
import subprocess
import time
from pathlib import Path

from lab import REPO, skip_loudly

BIN = Path(os.environ.get("SECAUDIT_BIN", os.path.join(REPO, "build", "bin")))
MONITOR = BIN / "secaudit-monitor"
SECAUDIT = BIN / "secaudit"
RULES = os.path.join(REPO, "rules", "demo.yaml")
GOOD_PORT = 443


def need_binaries():
    for b in (MONITOR, SECAUDIT):
        if not b.exists():
            skip_loudly(f"{b} is not built (run make, or set SECAUDIT_BIN)")


@contextlib.contextmanager
def open_dir():
    """A directory every user can reach (pytest's own are root's, 0700),
    for files an unprivileged monitor must open; removed afterwards."""
    d = tempfile.mkdtemp(prefix="secaudit-e2e-")
    os.chmod(d, 0o755)
    try:
        yield Path(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def ossl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


# -- the monitor -----------------------------------------------------------------
class Monitor:
    """secaudit-monitor on queue 0 with rules, its log and stats socket in
    the lab's directory; with config=PATH, only --config PATH and extra are
    given (the file must name alert_log: LOG and stats_socket: SOCK of
    Monitor.paths(lab))."""
    def __init__(self, lab, rules=RULES, *extra, config=None, log=None):
        self.lab = lab
        self.log, self.sock = self.paths(lab)
        self.log = log or self.log
        self.err_path = os.path.join(lab.tmp, f"monitor{time.monotonic_ns()}.err")
        self.err = open(self.err_path, "w")
        args = (["--config", config] if config else
                ["--rules", rules, "--queue", "0", "--log", self.log, "--stats-socket", self.sock])
        self.proc = lab.spawn("gw", MONITOR, *args, *extra, stderr=self.err)
        deadline = time.monotonic() + 10
        while "enforcing" not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"secaudit-monitor did not start: {self.stderr()}")
            time.sleep(0.02)

    @staticmethod
    def paths(lab):
        return os.path.join(lab.tmp, "alerts.json"), os.path.join(lab.tmp, "monitor.sock")

    def stderr(self):
        return Path(self.err_path).read_text()

    def events(self, kind=None):
        if not os.path.exists(self.log):
            return []
        out = [json.loads(line) for line in Path(self.log).read_text().splitlines() if line]
        return [e for e in out if kind is None or e["event_type"] == kind]

    def alerts(self):
        return self.events("alert")

    def stats(self):
        r = self.lab.run("gw", SECAUDIT, "stats", "--json", "--socket", self.sock)
        return json.loads(r.stdout)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_stderr(self, text, timeout=5):
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            assert time.monotonic() < deadline, f"no '{text}' in monitor stderr:\n{self.stderr()}"
            time.sleep(0.02)


def s_client(lab, *args, port=GOOD_PORT, addr=None, timeout=5):
    """openssl s_client -msg (prints every handshake message received as
    '<<< ...'); returns (exit status, output, seconds)."""
    addr = addr or lab.SRV4
    t0 = time.monotonic()
    r = lab.run("cli", "timeout", timeout, "openssl", "s_client", "-connect", f"{addr}:{port}",
                "-msg", *args, check=False, timeout=timeout + 5, input="")
    return r.returncode, r.stdout + r.stderr, time.monotonic() - t0


def received(out):
    """Handshake message names the client received (s_client -msg)."""
    return re.findall(r"<<< .*?Handshake \[length [0-9a-f]+\], (\w+)", out)


def was_reset(out):
    return bool(re.search(r"errno=104|reset by peer", out, re.I))


def alert_with(mon, signature, timeout=2):
    deadline = time.monotonic() + timeout
    while True:
        hits = [a for a in mon.alerts() if a["alert"]["signature"] == signature]
        if hits or time.monotonic() > deadline:
            return hits
        time.sleep(0.05)




def stopped_before_certificate(lab, *args, port):
    """An s_client handshake the monitor must stop at the server's
    Certificate: the client fails, reset within a second, without the
    complete flight; one blocked "bad server certificate" alert, returned."""
    rc, out, secs = s_client(lab, *args, port=port)
    assert rc != 0 and rc != 124, out
    got = received(out)
    assert "Certificate" not in got and "ServerHelloDone" not in got, got
    assert "no peer certificate available" in out, out
    assert was_reset(out), out
    assert secs < 1.0
    hits = alert_with(lab.monitor, "bad server certificate")
    assert len(hits) == 1, lab.monitor.alerts()
    assert hits[0]["alert"]["action"] == "blocked"
    return hits
