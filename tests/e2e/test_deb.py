"""The Debian packages as an admin meets them: `make deb` builds them,
lintian finds no error, they install on this machine with dpkg -i (files
where the FHS says, the secaudit user made, /etc files as conffiles, no
daemon started), secaudit-monitor --test-config passes on the installed
configuration, an upgrade keeps the admin's edit, and remove then purge
leave no file behind.

The packages are installed on the machine itself for a few seconds: one
run at a time (a lock under /run/lock), and only when no secaudit package
is installed already; whatever happens, the teardown purges them and
deletes the secaudit account if this test made it."""
import fcntl
import glob
import grp
import os
import pwd
import re
import shutil
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ["secaudit", "secaudit-monitor", "secaudit-agent", "secaudit-server"]
LOCK = "/run/lock/secaudit-deb-test.lock"
WATCHED = ["/etc", "/usr", "/lib", "/var/lib", "/var/log", "/var/spool", "/var/cache"]


def need_tools():
    if os.geteuid() != 0:
        pytest.skip("installing packages needs root")
    for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper"),
                      ("lintian", "lintian"), ("dpkg-deb", "dpkg")):
        if not shutil.which(tool):
            pytest.skip(f"'{tool}' is missing (Debian package {pkg})")


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "installed" in r.stdout or "config-files" in r.stdout


def dpkg(*args):
    """dpkg, waiting (a minute at most) while another dpkg or apt runs."""
    for _ in range(60):
        r = subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if r.returncode == 0 or "lock" not in r.stderr:
            return r
        time.sleep(1)
    return r


def ours():
    """Every path on the machine whose name says secaudit (outside /proc,
    /sys, /tmp and this tree)."""
    found = set()
    for top in WATCHED:
        for d, dirs, files in os.walk(top):
            dirs[:] = [x for x in dirs if os.path.join(d, x) not in ("/usr/src", ROOT)]
            for n in dirs + files:
                if "secaudit" in n:
                    found.add(os.path.join(d, n))
    return found


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
def machine(debs):
    """The packages' stay on this machine: a lock, a clean start, and a
    teardown that purges them whatever happened."""
    lock = open(LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if any(installed(p) for p in PACKAGES):
        fcntl.flock(lock, fcntl.LOCK_UN)
        pytest.skip("a secaudit package is installed on this machine already; not touching it")
    had_user = True
    try:
        pwd.getpwnam("secaudit")
    except KeyError:
        had_user = False
    before = ours()
    try:
        yield {"before": before}
    finally:
        dpkg("--purge", *PACKAGES)
        if not had_user:
            subprocess.run(["userdel", "secaudit"], capture_output=True)
            subprocess.run(["groupdel", "secaudit"], capture_output=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


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
    order = [debs[p] for p in PACKAGES]
    r = dpkg("-i", *order)
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
        assert os.path.exists(path), path
    unit = open("/lib/systemd/system/secaudit-monitor.service").read()
    assert "ExecStart=/usr/sbin/secaudit-monitor --config /etc/secaudit/monitor.yaml" in unit
    # the user and its directories, made by the package
    user = pwd.getpwnam("secaudit")
    assert user.pw_shell == "/usr/sbin/nologin" and user.pw_uid < 1000
    for d in ("/var/log/secaudit", "/var/lib/secaudit", "/var/spool/secaudit"):
        st = os.stat(d)
        assert st.st_uid == user.pw_uid and grp.getgrgid(st.st_gid).gr_name == "secaudit", d
    # /etc as conffiles
    conf = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "secaudit-monitor"],
                          capture_output=True, text=True).stdout
    for path in ("/etc/secaudit/monitor.yaml", "/etc/secaudit/rules/default.yaml",
                 "/etc/default/secaudit-gateway", "/etc/logrotate.d/secaudit-monitor"):
        assert path in conf, conf
    # nothing started: the units are installed disabled
    running = subprocess.run(["pgrep", "-x", "secaudit-monitor"], capture_output=True,
                             text=True).stdout.split()
    assert not [p for p in running
                if os.readlink(f"/proc/{p}/exe") == "/usr/sbin/secaudit-monitor"]
    assert not glob.glob("/etc/systemd/system/*.wants/secaudit-*")
    # the installed configuration checks
    r = subprocess.run(["/usr/sbin/secaudit-monitor", "--config", "/etc/secaudit/monitor.yaml",
                        "--test-config"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(["/usr/bin/secaudit", "rules", "check", "/etc/secaudit/rules/default.yaml"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr

    # the admin edits, the next build upgrades: the edit stays
    with open("/etc/secaudit/monitor.yaml", "a") as f:
        f.write("# the admin's edit\n")
    old = version_of(debs["secaudit"])
    new = old + "+next"
    r = dpkg("-i", *[repack(d, old, new, tmp_path) for d in order])
    assert r.returncode == 0, r.stdout + r.stderr
    assert subprocess.run(["dpkg-query", "-W", "-f=${Version}", "secaudit-monitor"],
                          capture_output=True, text=True).stdout == new
    assert open("/etc/secaudit/monitor.yaml").read().endswith("# the admin's edit\n")

    # remove: programs gone, the admin's configuration kept
    r = dpkg("-r", *PACKAGES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not os.path.exists("/usr/sbin/secaudit-monitor")
    assert not os.path.exists("/lib/systemd/system/secaudit-monitor.service")
    assert os.path.exists("/etc/secaudit/monitor.yaml")

    # purge: nothing left behind
    r = dpkg("-P", *PACKAGES)
    assert r.returncode == 0, r.stdout + r.stderr
    left = ours() - machine["before"]
    assert not left, sorted(left)


def test_lintian_reports_no_error(lintian):
    out, err = lintian.communicate(timeout=600)
    errors = [l for l in out.splitlines() if l.startswith("E:")]
    assert not errors, "\n".join(errors)
    assert lintian.returncode == 0, out + err
