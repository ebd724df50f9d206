"""Run by test_deb.py inside a systemd-nspawn container booted with
systemd as PID 1 (a copy-on-write overlay of this machine's root): installs
the packages from /debs, makes certificates, starts every unit the package
ships and records what systemd and the kernel say about each, the way an
admin would look: systemctl show, /proc/PID/status, systemctl reload,
the logrotate postrotate signals, systemd-analyze security, secaudit stats.
Everything goes to /s4units/result.json; then the container powers off.
Plain facts only: test_deb.py asserts."""
import json
import os
import re
import subprocess
import time
import traceback

OUT = "/s4units/result.json"
UNITS = ["secaudit-gateway", "secaudit-monitor", "secaudit-server", "secaudit-agent"]
SHOW = ["MainPID", "ActiveState", "SubState", "Result", "User", "Group", "NoNewPrivileges",
        "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "CapabilityBoundingSet",
        "AmbientCapabilities", "RestrictNamespaces", "SystemCallFilter", "NRestarts"]
result = {"units": {}, "steps": []}


def sh(*args, timeout=60, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    result["steps"].append({"cmd": " ".join(args), "rc": r.returncode,
                            "out": (r.stdout + r.stderr)[-2000:]})
    return r


def show(unit):
    out = sh("systemctl", "show", f"{unit}.service", "-p", ",".join(SHOW)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def wait(what, cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    result["steps"].append({"timeout": what})
    return False


def proc_status(pid):
    """Uid line, effective capabilities and NoNewPrivs of a running process."""
    try:
        text = open(f"/proc/{pid}/status").read()
    except OSError:
        return {}
    keep = ("Uid", "Gid", "CapEff", "CapBnd", "NoNewPrivs", "Seccomp")
    return {k: v.strip() for k, v in (l.split(":", 1) for l in text.splitlines())
            if k in keep}


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def journal(unit):
    return sh("journalctl", "-b", "-u", f"{unit}.service", "--no-pager", "-o", "cat").stdout


def certificates():
    """A CA, the server's and the agent's certificates where the shipped
    configurations look for them, keys readable by the secaudit user only."""
    d = "/etc/secaudit"
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "2",
       "-subj", "/CN=units CA", "-addext", "basicConstraints=critical,CA:true",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name in ("server", "agent"):
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
           "-subj", f"/CN={name}", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
        sh("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem",
           "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-days", "2", "-copy_extensions",
           "copy", "-out", f"{d}/{name}.pem")
        sh("chown", "secaudit:secaudit", f"{d}/{name}.key")
        os.chmod(f"{d}/{name}.key", 0o600)
    # the example names a CRL the CA here does not publish; the agent
    # reads kernel audit, which a container does not have: stdin instead,
    # from a FIFO this script writes (a drop-in, as an admin would add)
    sh("sed", "-i", "/^  crl:/d", f"{d}/server.yaml")
    sh("sed", "-i", "-e", 's/^server: .*/server: "127.0.0.1:6514"/',
       "-e", "s/^server_name: .*/server_name: localhost/",
       "-e", "s/^  stdin: false/  stdin: true/", f"{d}/agent.yaml")
    os.makedirs("/etc/systemd/system/secaudit-agent.service.d", exist_ok=True)
    with open("/etc/systemd/system/secaudit-agent.service.d/stdin.conf", "w") as f:
        f.write("[Service]\nStandardInput=file:/run/s4units-audit.fifo\n")
    os.mkfifo("/run/s4units-audit.fifo", 0o600)
    # the queue threads pinned, as monitor.yaml's comment shows (two queues)
    sh("sed", "-i", 's/^  # queue_cpu: "0,1"/  queue_cpu: "0,1"/', f"{d}/monitor.yaml")
    sh("systemctl", "daemon-reload")


def threads(pid):
    """Each thread's name and the CPUs it may run on."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:                 # it has exited
        return out
    for tid in tids:
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except OSError:
            continue
        cpus = re.search(r"^Cpus_allowed_list:\s*(\S+)", status, re.M)
        out[f"{name}/{tid}"] = cpus.group(1) if cpus else None
    return out


def events(n, start):
    out = []
    for i in range(start, start + n):
        ts = f"1700000000.{i % 1000:03d}:{i}"
        out.append(f"type=SYSCALL msg=audit({ts}): arch=c000003e syscall=59 success=yes "
                   f"exit=0 items=1 ppid=1 pid={1000 + i} auid=0 uid=0 gid=0 euid=0 comm=\"x\" "
                   f"exe=\"/usr/bin/true\" key=\"k\"")
        out.append(f"type=EXECVE msg=audit({ts}): argc=1 a0=\"u-{i}\"")
    return ("\n".join(out) + "\n").encode()


def stats(daemon):
    args = ["secaudit", "stats", "--json"] + ([f"--{daemon}"] if daemon != "monitor" else [])
    r = sh(*args)
    return json.loads(r.stdout) if r.returncode == 0 else None


def security(unit):
    out = sh("systemd-analyze", "security", "--no-pager", f"{unit}.service").stdout
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def main():
    result["pid1"] = open("/proc/1/comm").read().strip()
    result["virt"] = sh("systemd-detect-virt").stdout.strip()
    result["pid1_caps"] = proc_status(1).get("CapBnd")
    result["system"] = sh("systemctl", "is-system-running").stdout.strip()
    debs = sorted(f"/debs/{f}" for f in os.listdir("/debs") if f.endswith(".deb"))
    result["install"] = sh("dpkg", "-i", *debs, timeout=300).returncode
    result["uid"] = int(sh("id", "-u", "secaudit").stdout.strip() or -1)
    certificates()
    fifo = os.open("/run/s4units-audit.fifo", os.O_RDWR)    # the agent's stdin stays open
    try:
        for unit in UNITS:
            u = result["units"][unit] = {}
            u["start"] = sh("systemctl", "start", f"{unit}.service", timeout=90).returncode
            wait(f"{unit} active", lambda: show(unit).get("ActiveState") == "active")
            u["show"] = show(unit)
            pid = int(u["show"].get("MainPID", "0"))
            # Type=simple is active at fork: wait for the daemon's own exec
            if pid and wait(f"{unit} exec", lambda: exe(pid).endswith(f"/{unit}")):
                u["status"] = proc_status(pid)
                if unit == "secaudit-monitor":    # its queue threads started and named
                    wait("queue threads", lambda: sum(n.startswith("sa-queue-")
                                                      for n in threads(pid)) == 2)
                u["threads"] = threads(pid)
            u["security"] = security(unit)
        os.write(fifo, events(40, 1))
        wait("40 events stored", lambda: (stats("server") or {}).get(
            "stored", {}).get("events") == 40, 60)
        result["stats"] = {d: stats(d) for d in ("monitor", "agent", "server")}

        # systemctl reload: the daemons say they reloaded, the pid stays
        for unit, said in (("secaudit-monitor", "rules reloaded"),
                           ("secaudit-server", "SIGHUP: certificates, CA and CRL reloaded"),
                           ("secaudit-agent", "SIGHUP: certificate, key, CA and CRL reloaded")):
            before = show(unit)["MainPID"]
            rc = sh("systemctl", "reload", f"{unit}.service").returncode
            seen = wait(f"{unit} reload", lambda: said in journal(unit))
            result["units"][unit]["reload"] = {"rc": rc, "logged": seen,
                                               "same_pid": show(unit)["MainPID"] == before}

        # the logrotate postrotate commands as shipped: the logs reopened
        for unit, log in (("secaudit-monitor", "/var/log/secaudit/alerts.json"),
                          ("secaudit-server", "/var/log/secaudit/audit-alerts.json")):
            path = f"/etc/logrotate.d/{unit}"
            body = open(path).read()
            cmd = re.search(r"postrotate\n(.*?)\n\s*endscript", body, re.S).group(1).strip()
            existed = os.path.exists(log)
            if existed:
                os.rename(log, log + ".1")
            rc = sh("sh", "-c", cmd).returncode
            result["units"][unit]["postrotate"] = {
                "cmd": cmd, "rc": rc, "log_existed": existed,
                "reopened": wait(f"{log} reopened", lambda: os.path.exists(log)),
                "same_pid": show(unit)["MainPID"] == result["units"][unit]["show"]["MainPID"]}

        os.write(fifo, events(10, 100))
        wait("50 events stored", lambda: (stats("server") or {}).get(
            "stored", {}).get("events") == 50, 60)
        result["stats_after"] = stats("server")
    finally:
        os.close(fifo)
    for unit in reversed(UNITS):
        result["units"][unit]["stop"] = sh("systemctl", "stop", f"{unit}.service").returncode
        result["units"][unit]["journal"] = journal(unit)[-3000:]


try:
    main()
except Exception:
    result["error"] = traceback.format_exc()
finally:
    with open(OUT + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.rename(OUT + ".tmp", OUT)
    subprocess.run(["systemctl", "poweroff", "--no-block"])
