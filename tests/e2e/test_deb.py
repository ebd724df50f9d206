"""The Debian packages as an admin meets them: `make deb` builds them,
lintian finds no error, they install on this machine with dpkg -i (files
where the FHS says, the secaudit user made, /etc files as conffiles, no
daemon started), secaudit-monitor --test-config passes on the installed
configuration, an upgrade keeps the admin's edit, and remove then purge
leave no file behind.

dpkg runs on this machine's own root, but inside a mount namespace of the
test's own where /etc, /usr (with /lib, /bin, /sbin) , /var and /run are
private overlays: other tests running at the same time never see the
packages, the secaudit account or the directories, and the namespace
vanishes with the test."""
import glob
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
            pytest.skip(f"'{tool}' is missing (Debian package {pkg})")


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
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             " && ".join(mounts) + " && echo ready && exec sleep 100000"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.holder.stdout.readline().strip()
        if line != "ready":
            self.close()
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


@pytest.fixture(scope="module")
def lintian(debs):
    """lintian, started at once: it runs beside the install test."""
    proc = subprocess.Popen(["lintian", "--tag-display-limit", "0", *debs.values()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def machine(debs, tmp_path_factory):
    """The private root the packages are installed into."""
    root = Root(tmp_path_factory.mktemp("root"))
    try:
        if any(root.installed(p) for p in PACKAGES):
            pytest.skip("a secaudit package is installed on this machine already")
        root.dpkg("-P", *PACKAGES)      # leftover configuration, in the private copy only
        root.before = root.ours()
        yield root
    finally:
        root.close()


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


def test_install_upgrade_remove_purge(debs, lintian, machine, tmp_path):
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
    assert not [p for p in os.listdir("/proc") if p.isdigit() and
                os.path.exists(f"/proc/{p}/exe") and
                os.readlink(f"/proc/{p}/exe").startswith("/usr/sbin/secaudit-")]
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
    out, err = lintian.communicate(timeout=600)
    errors = [l for l in out.splitlines() if l.startswith("E:")]
    assert not errors, "\n".join(errors)
    assert lintian.returncode == 0, out + err
