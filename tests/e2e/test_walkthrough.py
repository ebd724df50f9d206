"""A newcomer's walkthrough, as an end-to-end test: docs/deploy.md's
commands, taken from the page itself (every fenced block marked
`sh walkthrough`, in order), run as written on a namespace gateway, so the
guide cannot drift from what works. Between them the test does only what
the page leaves to the reader or to systemd, as the page says:

- installation (step 1): the secaudit user, config/monitor.yaml and the
  presets in /etc/secaudit, the daemon's directories, and the lab's CA as
  /etc/secaudit/payments-ca.pem;
- systemd: `systemctl enable --now secaudit-monitor` starts what the unit
  runs (`secaudit-monitor --config /etc/secaudit/monitor.yaml`), `systemctl
  reload` sends it SIGHUP, `systemctl disable --now` stops it,
  `systemctl daemon-reload` is nothing;
- traffic: clients in the lab's client namespace, servers in its server one.

The gateway's /etc, /var and /run are overlays private to the test (a mount
namespace held by one process; every command enters it and the gateway's
network namespace), so /etc/secaudit and the others are real paths there
and nothing on the machine changes.
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab import REPO, lab, polled, whole_lines  # noqa: F401
from monitor_lab import BIN, MONITOR, need_binaries, ossl, received, s_client, was_reset

GUIDE = os.path.join(REPO, "docs", "deploy.md")


def walkthrough_blocks():
    """The shell blocks of the guide marked for the walkthrough, in order."""
    text = Path(GUIDE).read_text()
    return re.findall(r"(?ms)^```sh walkthrough\n(.*?)^```$", text)


def make_ca_and_leaf(d, ca, cn):
    d = str(d)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", f"/CN={ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=d)
    ossl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", f"/CN={cn}", "-keyout", f"{cn}.key", "-out", f"{cn}.csr", cwd=d)
    Path(d, f"{cn}.ext").write_text(f"subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n")
    ossl("x509", "-req", "-in", f"{cn}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "2", "-extfile", f"{cn}.ext", "-out", f"{cn}.pem", cwd=d)


class Gateway:
    """The gateway namespace with private overlays of /etc, /var and /run."""

    def __init__(self, lab):
        self.lab = lab
        self.monitor = None
        ov = Path(lab.tmp, "overlay")
        mounts = []
        for top in ("etc", "var", "run"):
            for sub in ("upper", "work"):
                (ov / top / sub).mkdir(parents=True)
            mounts.append(f"mount -t overlay overlay -o lowerdir=/{top},"
                          f"upperdir={ov}/{top}/upper,workdir={ov}/{top}/work /{top}")
        script = " && ".join(mounts) + " && echo ready && exec sleep 100000"
        self.holder = lab.spawn("gw", "unshare", "--mount", "--propagation", "private",
                                "sh", "-c", script, stdout=subprocess.PIPE)
        line = self.holder.stdout.readline().decode().strip()
        if line != "ready":
            pytest.skip(f"SKIPPED LOUDLY: no private overlays of /etc, /var, /run "
                        f"(overlayfs, mount namespaces): {line!r}")

    def argv(self, args):
        env = f"PATH={BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "env", env, *args]

    def sh(self, script, check=True):
        r = subprocess.run(self.argv(["sh", "-ec", script]), capture_output=True, text=True,
                           timeout=60)
        if check:
            assert r.returncode == 0, f"{script}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        return r

    def install(self, ca_pem):
        """Step 1, as the packages or `make install` would leave it."""
        self.sh("getent passwd secaudit >/dev/null || "
                "useradd --system --no-create-home --shell /usr/sbin/nologin secaudit\n"
                "install -d -m 755 /etc/secaudit /etc/secaudit/rules\n"
                f"install -m 644 {REPO}/config/monitor.yaml /etc/secaudit/monitor.yaml\n"
                f"install -m 644 {REPO}/rules/*.yaml /etc/secaudit/rules/\n"
                f"install -m 644 {ca_pem} /etc/secaudit/payments-ca.pem\n"
                "install -d -o secaudit -g secaudit -m 750 /var/log/secaudit "
                "/var/lib/secaudit /var/lib/secaudit/evidence\n"
                "install -d -o secaudit -g secaudit -m 755 /run/secaudit\n")

    def run_block(self, block):
        """Runs a guide block: its lines as written, in one shell, except
        the systemctl lines, which are done as the unit would."""
        out, chunk = [], []

        def flush():
            if chunk:
                out.append(self.sh("\n".join(chunk)).stdout)
                chunk.clear()
        for line in block.splitlines():
            cmd = line.split("#")[0].strip() if line.lstrip().startswith("systemctl") else ""
            if not cmd:
                chunk.append(line)
                continue
            flush()
            if cmd == "systemctl daemon-reload":
                continue
            if cmd.startswith("systemctl enable --now secaudit-monitor"):
                self.start_monitor()
            elif cmd == "systemctl reload secaudit-monitor":
                os.kill(self.monitor.pid, signal.SIGHUP)
            elif cmd.startswith("systemctl disable --now secaudit-monitor"):
                self.lab.stop(self.monitor)
            else:
                raise AssertionError(f"the walkthrough cannot stand in for '{cmd}'")
        flush()
        return "".join(out)

    def start_monitor(self):
        self.err = Path(self.lab.tmp, "monitor.err")
        self.monitor = subprocess.Popen(
            self.argv([str(MONITOR), "--config", "/etc/secaudit/monitor.yaml"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.err, "w"))
        self.lab.procs.append(self.monitor)
        self.wait_stderr("enforcing")

    def wait_stderr(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.err.read_text():
            assert self.monitor.poll() is None and time.monotonic() < deadline, \
                f"no '{text}' from the monitor:\n{self.err.read_text()}"
            time.sleep(0.05)


def test_walkthrough(lab, tmp_path):
    need_binaries()
    blocks = walkthrough_blocks()
    assert len(blocks) == 5, "docs/deploy.md: the walkthrough's blocks moved; update the test"
    make_ca_and_leaf(tmp_path, "payments-ca", "www.payments.example.test")
    make_ca_and_leaf(tmp_path, "rogue-ca", "rogue.payments.example.test")
    for addr, name in ((lab.SRV4, "www.payments.example.test"),
                       (f"[{lab.SRV6}]", "rogue.payments.example.test")):
        lab.spawn("srv", "openssl", "s_server", "-accept", f"{addr}:443", "-cert",
                  f"{tmp_path}/{name}.pem", "-key", f"{tmp_path}/{name}.key", "-quiet",
                  "-naccept", "1000", "-www")
    deadline = time.monotonic() + 10
    while len(lab.run("srv", "ss", "-Hltn", "sport = :443").stdout.splitlines()) < 2:
        assert time.monotonic() < deadline, "the servers did not start"
        time.sleep(0.05)
    gw = Gateway(lab)
    gw.install(f"{tmp_path}/payments-ca.pem")

    # 3. start the monitor; 4. put it on the packet path
    out = gw.run_block(blocks[0])
    assert "configuration OK" in out and "reloads" in out, out
    out = gw.run_block(blocks[1])
    assert "applied (IPv4 and IPv6)" in out and "queues 0-1" in out, out

    # 8. the own policy, checked, named in monitor.yaml, reloaded
    out = gw.run_block(blocks[2])
    assert "/etc/secaudit/rules/own.yaml: ok (2 zones, 2 profiles)" in out, out
    assert "configuration OK" in out and "warning" not in out, out
    gw.wait_stderr("rules reloaded from /etc/secaudit/rules/own.yaml")

    # traffic: the payment server with our CA's certificate over TLS 1.2
    # passes; one with a rogue CA's is reset at its Certificate; a TLS 1.3
    # client is reset at the ServerHello; another name is the baseline's
    ca = f"{tmp_path}/payments-ca.pem"
    rc, out, _ = s_client(lab, "-tls1_2", "-CAfile", ca, "-servername", "www.payments.example.test")
    assert "Verify return code: 0 (ok)" in out, out
    rc, out, _ = s_client(lab, "-tls1_2", "-CAfile", ca, "-servername",
                          "rogue.payments.example.test", addr=f"[{lab.SRV6}]")
    assert was_reset(out) and "ServerHelloDone" not in received(out), out
    rc, out, _ = s_client(lab, "-tls1_3", "-servername", "www.payments.example.test")
    assert was_reset(out), out
    rc, out, _ = s_client(lab, "-tls1_3", "-servername", "intranet.example.test")
    assert "TLSv1.3" in out and not was_reset(out), out

    # what, where, why: the page's questions, answered by its commands, once
    # both refusals' lines are written (after their resets reached the client)
    log = Path(lab.tmp, "overlay/var/upper/log/secaudit/alerts.json")
    polled(lambda: [x for x in whole_lines(log) if '"event_type":"alert"' in x],
           lambda got: len(got) >= 2, timeout=10)
    out = gw.run_block(blocks[3])
    assert "alerts: 2 (blocked 2, allowed 0)" in out, out
    assert re.search(r"1\s+payments-cert\.untrusted \(sid \d+\)", out), out
    assert re.search(r"1\s+payments-tls \(sid \d+\)", out), out
    assert re.search(r"(?m)^\s+2\s+payments$", out), out
    lines = [l for l in out.splitlines() if "BLOCKED" in l]
    assert len(lines) == 3 and all("zone=payments" in l for l in lines), out  # 2 + the rule's 1
    cert = [l for l in lines if "rule=payments-cert.untrusted" in l]
    assert len(cert) == 2 and "payment server certificate not from our CA" in cert[0], out
    assert f"-> {lab.SRV6}:443" in cert[0] and "sni=rogue.payments.example.test" in cert[0]
    assert any("rule=payments-tls " in l and "payments speak TLS 1.2" in l for l in lines), out
    assert re.search(r"reloads\s+1\b", out) or '"reloads":1' in out, out

    # 9. taking it out
    out = gw.run_block(blocks[4])
    assert "removed (IPv4 and IPv6)" in out, out
    assert gw.monitor.poll() is not None
