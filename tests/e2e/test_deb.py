"""The Debian packages as an admin meets them: `make deb` builds them
(once, for every test here), lintian finds no error, they install on this
machine with dpkg -i (files where the FHS says, the secaudit user made,
/etc files as conffiles, no daemon started), secaudit-monitor --test-config
passes on the installed configuration, an upgrade keeps the admin's edit,
and remove then purge leave no file behind; then the units as a real
systemd (PID 1 in a container) runs them.

dpkg runs on this machine's own root, but inside a mount namespace of the
test's own where /etc, /usr (with /lib, /bin, /sbin) , /var and /run are
private overlays: other tests running at the same time never see the
packages, the secaudit account or the directories, and the namespace
vanishes with the test (also when it fails or is killed: nothing is ever
installed on the machine itself, so there is nothing to clean up). A
secaudit package the machine itself has is purged in the private copy
first, never a reason to skip.

Time: the build, lintian and the systemd container run side by side
(lintian and the container start as soon as the packages exist); lintian
runs only when the packaging changed since its last clean run here (a
stamp in build/, keyed by the packaging's files and lintian's version; a
fresh clone, as CI's, always runs it); man-db's index is not rebuilt in the
private copies."""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ["secaudit", "secaudit-monitor", "secaudit-agent", "secaudit-server"]
WATCHED = ["/etc", "/usr", "/var"]


def need_tools():
    if os.geteuid() != 0:
        pytest.skip("installing packages needs root")
    for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper"),
                      ("lintian", "lintian"), ("dpkg-deb", "dpkg")):
        if not shutil.which(tool):
            pytest.fail(f"'{tool}' is missing (Debian package {pkg}; scripts/install-deps.sh)")


# man-db's trigger rebuilds the whole index on every dpkg run (seconds each);
# without this file it does not, and the index is no part of the test
NO_MANDB = "rm -f {root}/var/lib/man-db/auto-update"


def hold_mounts(cmds):
    """A process in a private mount namespace where the shell commands cmds
    ran, kept alive for nsenter: (the process, None), or (None, what it said)
    when a command failed (it has exited then)."""
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         " && ".join(cmds) + " && echo ready && exec sleep 100000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = holder.stdout.readline().strip()
    if line == "ready":
        return holder, None
    holder.kill()
    holder.wait()
    return None, line


class Root:
    """A mount namespace whose /etc, /usr, /var and /run are overlays of
    the machine's: commands run there through nsenter."""

    def __init__(self, tmp):
        mounts = []
        for top in ("etc", "usr", "var", "run"):
            for sub in ("upper", "work"):
                os.makedirs(f"{tmp}/{top}/{sub}")
            mounts.append(f"mount -t overlay overlay -o lowerdir=/{top},"
                          f"upperdir={tmp}/{top}/upper,workdir={tmp}/{top}/work /{top}")
        mounts.append(NO_MANDB.format(root=""))
        self.holder, line = hold_mounts(mounts)
        if not self.holder:
            pytest.skip(f"no private overlays of /etc, /usr, /var, /run: {line!r}")

    def run(self, *args, check=False):
        r = subprocess.run(["nsenter", "-t", str(self.holder.pid), "-m", "--", *args],
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        assert not check or r.returncode == 0, r.stdout + r.stderr
        return r

    def exists(self, path):
        return self.run("test", "-e", path).returncode == 0

    def read(self, path):
        return self.run("cat", path, check=True).stdout

    def dpkg(self, *args):
        return self.run("dpkg", *args)

    def installed(self, pkg):
        r = self.run("dpkg-query", "-W", "-f=${Status}", pkg)
        return r.stdout.endswith(" installed")

    def ours(self):
        """Every path whose name says secaudit, under the private trees."""
        r = self.run("find", *WATCHED, "-xdev", "-name", "*secaudit*")
        return set(r.stdout.split())

    def close(self):
        self.holder.kill()
        self.holder.wait()


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    need_tools()
    out = tmp_path_factory.mktemp("deb")
    # unoptimised: the programs here only have to start (half the build time)
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={out}", "deb"], capture_output=True,
                       text=True, timeout=1200,
                       env={**os.environ, "DEB_BUILD_OPTIONS": "noddebs noopt"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    files = {re.sub(r"_.*", "", os.path.basename(p)): p for p in glob.glob(f"{out}/deb/*.deb")}
    assert sorted(files) == sorted(PACKAGES)
    return files


def packaging_key():
    """What lintian judges, as a hash: the files that make the packages
    (committed state and any edit) and lintian's version; None outside git."""
    paths = ["debian", "config", "man", "docs", "Makefile"]
    h = hashlib.sha256()
    for cmd in (["git", "ls-files", "-s", *paths], ["git", "diff", "HEAD", "--", *paths],
                ["lintian", "--version"]):
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            return None
        h.update(r.stdout.encode())
    return h.hexdigest()[:16]


LINTIAN_STAMPS = os.path.join(ROOT, "build", "lintian-clean")


@pytest.fixture(scope="module")
def lintian(debs):
    """lintian, started at once: it runs beside the install test. None when
    the same packaging already passed it here (its stamp exists)."""
    key = packaging_key()
    if key and os.path.exists(os.path.join(LINTIAN_STAMPS, key)):
        yield None
        return
    proc = subprocess.Popen(["lintian", "--tag-display-limit", "0", *debs.values()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.key = key
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def machine(debs, tmp_path_factory):
    """The private root the packages are installed into."""
    root = Root(tmp_path_factory.mktemp("root"))
    try:
        # what the machine has (packages, leftover configuration) goes, in
        # the private copy only
        root.dpkg("-P", *PACKAGES)
        assert not any(root.installed(p) for p in PACKAGES)
        root.before = root.ours()
        yield root
    finally:
        root.close()


UNIT_TARGET = """[Unit]
Description=SecureAudit: the packaged units under test
Requires=basic.target s4units.service
After=basic.target
AllowIsolate=yes
"""
UNIT_SERVICE = """[Unit]
Description=SecureAudit: install the packages, start and inspect every unit
After=basic.target
[Service]
Type=oneshot
ExecStart=/usr/bin/python3 /s4units/units_inside.py
TimeoutStartSec=600
"""


class Container:
    """systemd as PID 1 in a systemd-nspawn container whose root is a
    copy-on-write overlay (upper layer on a tmpfs) of this machine's own,
    in a mount namespace of the test's: nothing it installs or starts
    reaches the machine, and it has a network namespace of its own
    (--private-network: only its loopback). It boots to a target that runs
    units_inside.py, which powers it off when done."""

    def __init__(self, tmp, debdir):
        self.d = str(tmp)
        self.name = f"sa{os.getpid()}units"
        inside = os.path.join(os.path.dirname(os.path.abspath(__file__)), "units_inside.py")
        r = f"{self.d}/root"
        prep = [f"mount -t tmpfs tmpfs {self.d}", f"mkdir {self.d}/upper {self.d}/work {r}",
                f"mount -t overlay overlay -o lowerdir=/,upperdir={self.d}/upper,"
                f"workdir={self.d}/work {r}",
                # its own identity, else journald refuses to run beside the host's
                f"rm -f {r}/etc/machine-id {r}/var/lib/dbus/machine-id",
                f"cat /proc/sys/kernel/random/uuid | tr -d - > {r}/etc/machine-id",
                NO_MANDB.format(root=r),
                f"mkdir -p {r}/s4units", f"cp {inside} {r}/s4units/",
                f"printf %s '{UNIT_TARGET}' > {r}/etc/systemd/system/s4units.target",
                f"printf %s '{UNIT_SERVICE}' > {r}/etc/systemd/system/s4units.service"]
        self.debdir = debdir
        self.holder, line = hold_mounts(prep)
        if not self.holder:
            pytest.fail(f"cannot lay the container's overlay root: {line!r}")

    def boot(self, timeout=400):
        """Starts booting it; result() waits for the end."""
        # systemd-nspawn wants a terminal for the console: script(1) lends one
        nspawn = (f"timeout {timeout} systemd-nspawn -q -D {self.d}/root -M {self.name} "
                  f"--register=no --keep-unit --private-network --console=read-only "
                  f"--bind-ro={self.debdir}:/debs -b -- --unit=s4units.target")
        self.console = open(f"{self.d}.console", "w+")
        self.proc = subprocess.Popen(["nsenter", "-t", str(self.holder.pid), "-m", "--",
                                      "script", "-qec", nspawn, "/dev/null"],
                                     stdin=subprocess.DEVNULL, stdout=self.console,
                                     stderr=subprocess.STDOUT)

    def result(self):
        """(what units_inside.py found, or None; the console's last lines)."""
        self.proc.wait()
        out = subprocess.run(["nsenter", "-t", str(self.holder.pid), "-m", "--", "cat",
                              f"{self.d}/root/s4units/result.json"],
                             capture_output=True, text=True)
        self.console.seek(0)
        return (json.loads(out.stdout) if out.returncode == 0 else None), \
            self.console.read()[-5000:]

    def close(self):
        """Ends the container (when still running) and the namespace."""
        if getattr(self, "proc", None) and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "console", None):
            self.console.close()
        self.holder.kill()
        self.holder.wait()


def repack(deb, old, new, dest):
    """The same package as version new: the 'next build' an upgrade meets."""
    work = dest / os.path.basename(deb).replace(".deb", "")
    subprocess.run(["dpkg-deb", "-R", deb, str(work)], check=True)
    control = work / "DEBIAN" / "control"
    control.write_text(control.read_text().replace(old, new))
    out = str(dest / os.path.basename(deb).replace(old, new))
    subprocess.run(["dpkg-deb", "-b", "--root-owner-group", str(work), out], check=True,
                   capture_output=True)
    return out


def version_of(deb):
    return subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def installed_daemons_running():
    """Processes of the installed daemons in this PID namespace: the
    systemd container (systemd_box) runs its own in its own namespace."""
    ours = os.readlink("/proc/self/ns/pid")
    found = []
    for p in os.listdir("/proc"):
        try:
            if (p.isdigit() and os.readlink(f"/proc/{p}/ns/pid") == ours and
                    os.readlink(f"/proc/{p}/exe").startswith("/usr/sbin/secaudit-")):
                found.append(p)
        except OSError:
            continue            # gone meanwhile, or a kernel thread
    return found


def test_install_upgrade_remove_purge(debs, lintian, systemd_box, machine, tmp_path):
    root = machine
    order = [debs[p] for p in PACKAGES]
    r = root.dpkg("-i", *order)
    assert r.returncode == 0, r.stdout + r.stderr

    # where the FHS says
    for path in ("/usr/bin/secaudit", "/usr/sbin/secaudit-monitor", "/usr/sbin/secaudit-agent",
                 "/usr/sbin/secaudit-server", "/usr/share/secaudit/rules/mozilla-modern.yaml",
                 "/usr/share/man/man8/secaudit-monitor.8.gz",
                 "/usr/share/man/man5/secaudit-rules.5.gz", "/usr/share/doc/secaudit/deploy.md",
                 "/lib/systemd/system/secaudit-monitor.service",
                 "/lib/systemd/system/secaudit-gateway.service",
                 "/lib/systemd/system/secaudit-agent.service",
                 "/lib/systemd/system/secaudit-server.service",
                 "/usr/lib/sysusers.d/secaudit.conf", "/usr/lib/tmpfiles.d/secaudit.conf",
                 "/etc/secaudit/monitor.yaml", "/etc/secaudit/rules/default.yaml",
                 "/etc/secaudit/agent.yaml", "/etc/secaudit/server.yaml",
                 "/etc/secaudit/rules/audit/exec.yaml", "/etc/default/secaudit-gateway",
                 "/etc/logrotate.d/secaudit-monitor", "/etc/logrotate.d/secaudit-server"):
        assert root.exists(path), path
    unit = root.read("/lib/systemd/system/secaudit-monitor.service")
    assert "ExecStart=/usr/sbin/secaudit-monitor --config /etc/secaudit/monitor.yaml" in unit
    # the user and its directories, made by the package
    user = root.run("getent", "passwd", "secaudit", check=True).stdout.strip().split(":")
    assert user[6] == "/usr/sbin/nologin" and int(user[2]) < 1000, user
    for d in ("/var/log/secaudit", "/var/lib/secaudit", "/var/spool/secaudit"):
        owner = root.run("stat", "-c", "%U:%G", d, check=True).stdout.strip()
        assert owner == "secaudit:secaudit", (d, owner)
    # /etc as conffiles
    conf = root.run("dpkg-query", "-W", "-f=${Conffiles}", "secaudit-monitor").stdout
    for path in ("/etc/secaudit/monitor.yaml", "/etc/secaudit/rules/default.yaml",
                 "/etc/default/secaudit-gateway", "/etc/logrotate.d/secaudit-monitor"):
        assert path in conf, conf
    # nothing started: the units are installed disabled, no such process runs
    assert not root.run("sh", "-c", "ls /etc/systemd/system/*.wants/secaudit-* 2>/dev/null"
                        ).stdout.strip()
    assert not installed_daemons_running()
    # the installed configuration checks
    r = root.run("/usr/sbin/secaudit-monitor", "--config", "/etc/secaudit/monitor.yaml",
                 "--test-config")
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    r = root.run("/usr/bin/secaudit", "rules", "check", "/etc/secaudit/rules/default.yaml")
    assert r.returncode == 0, r.stderr

    # the admin edits, the next build upgrades: the edit stays
    root.run("sh", "-c", "echo \"# the admin's edit\" >> /etc/secaudit/monitor.yaml", check=True)
    old = version_of(debs["secaudit"])
    new = old + "+next"
    r = root.dpkg("-i", *[repack(d, old, new, tmp_path) for d in order])
    assert r.returncode == 0, r.stdout + r.stderr
    assert root.run("dpkg-query", "-W", "-f=${Version}", "secaudit-monitor").stdout == new
    assert root.read("/etc/secaudit/monitor.yaml").endswith("# the admin's edit\n")

    # remove: programs gone, the admin's configuration kept
    r = root.dpkg("-r", *PACKAGES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not root.exists("/usr/sbin/secaudit-monitor")
    assert not root.exists("/lib/systemd/system/secaudit-monitor.service")
    assert root.exists("/etc/secaudit/monitor.yaml")

    # purge: nothing left behind
    r = root.dpkg("-P", *PACKAGES)
    assert r.returncode == 0, r.stdout + r.stderr
    left = root.ours() - root.before
    assert not left, sorted(left)


def test_lintian_reports_no_error(lintian):
    if lintian is None:
        print(f"lintian: this packaging ({packaging_key()}) passed it before, "
              f"stamp in {LINTIAN_STAMPS}")
        return
    out, err = lintian.communicate(timeout=600)
    errors = [l for l in out.splitlines() if l.startswith("E:")]
    assert not errors, "\n".join(errors)
    assert lintian.returncode == 0, out + err
    if lintian.key:
        os.makedirs(LINTIAN_STAMPS, exist_ok=True)
        open(os.path.join(LINTIAN_STAMPS, lintian.key), "w").close()


# what each daemon's unit lets it keep: CAP_NET_ADMIN|CAP_NET_RAW (12, 13);
# CAP_AUDIT_CONTROL|CAP_AUDIT_READ (30, 37); nothing
CAPS = {"secaudit-monitor": 0x3000, "secaudit-agent": (1 << 30) | (1 << 37),
        "secaudit-server": 0}


@pytest.fixture(scope="module")
def systemd_box(debs, tmp_path_factory):
    """The container, booted as soon as the packages exist (beside the
    install test and lintian)."""
    for tool, pkg in (("systemd-nspawn", "systemd-container"), ("script", "bsdutils")):
        if not shutil.which(tool):
            pytest.fail(f"'{tool}' is missing (Debian package {pkg}; scripts/install-deps.sh)")
    box = Container(tmp_path_factory.mktemp("box"), os.path.dirname(debs["secaudit"]))
    try:
        box.boot()
        yield box
    finally:
        box.close()


def test_units_under_systemd(systemd_box):
    """The packaged units run by a real systemd (PID 1 in a container):
    each daemon as the secaudit user with its hardening in effect, reload
    and logrotate's postrotate signals reach it, the online security
    scores at most 3.0, and the counters of all three through secaudit stats."""
    res, console = systemd_box.result()
    assert res, "no result from inside the container; its console:\n" + console
    assert not res.get("error"), res["error"] + json.dumps(res["steps"][-5:], indent=1)
    assert res["pid1"] == "systemd" and res["virt"] == "systemd-nspawn", res
    assert res["install"] == 0, res["steps"][:3]
    units = res["units"]
    gw = units["secaudit-gateway"]
    assert gw["start"] == 0 and gw["show"]["ActiveState"] == "active", gw
    scores = {u: units[u]["security"] for u in units}
    print("systemd-analyze security (online, systemd as PID 1):",
          ", ".join(f"{u} {s}" for u, s in scores.items()))
    for unit, caps in CAPS.items():
        u = units[unit]
        where = f"{unit}: {json.dumps(u, indent=1)[:6000]}"
        assert u["start"] == 0 and u["show"]["ActiveState"] == "active", where
        assert u["show"]["User"] == "secaudit" and u["show"]["NoNewPrivileges"] == "yes", where
        assert u["show"]["ProtectSystem"] == "strict", where
        # the kernel's view of the running process: the user, the bits it kept
        assert u["status"]["Uid"].split() == [str(res["uid"])] * 4, where
        # (less what the container itself lacks: nspawn withholds CAP_AUDIT_READ)
        assert int(u["status"]["CapEff"], 16) == caps & int(res["pid1_caps"], 16), where
        assert u["status"]["NoNewPrivs"] == "1" and u["status"]["Seccomp"] == "2", where
        assert u["reload"] == {"rc": 0, "logged": True, "same_pid": True}, where
        assert u["show"]["NRestarts"] == "0", where
        assert u["stop"] == 0, where
    # queue_cpu: "0,1" under the shipped unit's system call filter: each
    # queue's thread on its own CPU
    queues = {n.split("/")[0]: cpus for n, cpus in units["secaudit-monitor"]["threads"].items()
              if n.startswith("sa-queue-")}
    assert queues == {"sa-queue-0": "0", "sa-queue-1": "1"}, units["secaudit-monitor"]
    for unit in ("secaudit-monitor", "secaudit-server"):
        rot = units[unit]["postrotate"]
        assert rot["rc"] == 0 and rot["reopened"] and rot["same_pid"], (unit, rot)
    for unit, score in scores.items():
        assert score is not None and score <= 3.0, (unit, score)
    st = res["stats"]
    assert st["monitor"] and st["monitor"]["daemon"] == "monitor", st
    assert st["agent"]["events"] == 40 and st["agent"]["sender"]["connected"] == 1, st
    assert st["server"]["stored"]["events"] == 40, st
    assert res["stats_after"]["stored"]["events"] == 50, res["stats_after"]
