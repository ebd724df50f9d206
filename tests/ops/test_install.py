"""`make install` / `make uninstall` into a staging directory (DESTDIR):
files land where the FHS puts them, the admin's configuration is never
overwritten, and uninstall leaves only the admin's files."""
import os
import re
import subprocess

from opslib import BUILD, ROOT

FHS = {
    "usr/bin/secaudit",
    "usr/sbin/secaudit-monitor", "usr/sbin/secaudit-agent", "usr/sbin/secaudit-server",
    "usr/share/secaudit/rules/default.yaml", "usr/share/secaudit/rules/mozilla-modern.yaml",
    "usr/share/secaudit/rules/audit/exec.yaml",
    "usr/share/doc/secaudit/deploy.md",
    "usr/lib/systemd/system/secaudit-monitor.service",
    "usr/lib/systemd/system/secaudit-gateway.service",
    "usr/lib/systemd/system/secaudit-agent.service",
    "usr/lib/systemd/system/secaudit-server.service",
    "usr/lib/sysusers.d/secaudit.conf", "usr/lib/tmpfiles.d/secaudit.conf",
    "etc/secaudit/monitor.yaml", "etc/secaudit/agent.yaml", "etc/secaudit/server.yaml",
    "etc/secaudit/rules/default.yaml", "etc/secaudit/rules/audit/exec.yaml",
    "etc/default/secaudit-gateway",
    "etc/logrotate.d/secaudit-monitor", "etc/logrotate.d/secaudit-server",
}
MAN = {"usr/share/man/man1/secaudit.1", "usr/share/man/man8/secaudit-monitor.8",
       "usr/share/man/man8/secaudit-agent.8", "usr/share/man/man8/secaudit-server.8",
       "usr/share/man/man5/secaudit-rules.5", "usr/share/man/man7/secaudit-events.7"}


def files_under(top):
    return {os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs}


def make(dest, *targets):
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}", *targets, "PREFIX=/usr",
                        f"DESTDIR={dest}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_files_land_where_the_fhs_says(staged):
    have = files_under(staged)
    assert FHS | MAN <= have, sorted((FHS | MAN) - have)
    # nothing outside /usr and /etc (state and logs are made at run time)
    assert {p.split("/")[0] for p in have} == {"usr", "etc"}
    assert os.access(os.path.join(staged, "usr/sbin/secaudit-monitor"), os.X_OK)


def test_installed_paths_are_filled_in(staged):
    unit = open(os.path.join(staged, "usr/lib/systemd/system/secaudit-monitor.service")).read()
    assert "ExecStart=/usr/sbin/secaudit-monitor --config /etc/secaudit/monitor.yaml" in unit
    for f in FHS:
        if not f.startswith("usr/"):
            assert "@" not in open(os.path.join(staged, f)).read().replace("user@", ""), f


def test_admins_files_are_kept_and_uninstall_leaves_only_them(tmp_path):
    dest = str(tmp_path)
    make(dest, "install")
    conf = os.path.join(dest, "etc/secaudit/monitor.yaml")
    with open(conf, "a") as f:
        f.write("# the admin's edit\n")
    out = make(dest, "install")
    assert "keeping " + conf in out
    assert open(conf).read().endswith("# the admin's edit\n")
    make(dest, "uninstall")
    assert {p for p in files_under(dest) if not p.startswith("etc/")} == set()


def test_another_prefix_and_sysconfdir(tmp_path):
    dest = str(tmp_path)
    r = subprocess.run(["make", "-s", "-C", ROOT, f"BUILD={BUILD}", "install",
                        "PREFIX=/opt/sa", "sysconfdir=/opt/sa/etc", "localstatedir=/opt/sa/var",
                        f"DESTDIR={dest}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    unit = open(os.path.join(dest, "opt/sa/lib/systemd/system/secaudit-monitor.service")).read()
    assert "ExecStart=/opt/sa/sbin/secaudit-monitor --config /opt/sa/etc/secaudit/monitor.yaml" in unit
    conf = open(os.path.join(dest, "opt/sa/etc/secaudit/monitor.yaml")).read()
    assert "rules: /opt/sa/etc/secaudit/rules/default.yaml" in conf
    assert "alert_log: /opt/sa/var/log/secaudit/alerts.json" in conf
    rot = open(os.path.join(dest, "opt/sa/etc/logrotate.d/secaudit-monitor")).read()
    assert rot.startswith("#") and "/opt/sa/var/log/secaudit/alerts.json {" in rot


def test_logrotate_rotates_the_logs_the_configurations_write(staged):
    for daemon in ("monitor", "server"):
        conf = open(os.path.join(staged, f"etc/secaudit/{daemon}.yaml")).read()
        log = re.search(r"^alert_log:\s*(\S+)", conf, re.M).group(1)
        rot = open(os.path.join(staged, f"etc/logrotate.d/secaudit-{daemon}")).read()
        assert re.search(rf"^{re.escape(log)} \{{", rot, re.M), (daemon, log)
