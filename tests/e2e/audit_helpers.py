"""Helpers of the audit channel end-to-end tests: a test PKI made with the
openssl CLI, and secaudit-server / secaudit-agent processes on 127.0.0.1.
Every process is started here and stopped by its pid."""
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("SECAUDIT_BIN", ROOT / "build" / "bin"))
SERVER = BIN / "secaudit-server"
AGENT = BIN / "secaudit-agent"
CLI = BIN / "secaudit"
RECORDED_LOG = ROOT / "tests" / "fuzz" / "seeds" / "fuzz_auditrec" / "auditd-execve.log"

CA_CONF = """
[ca]
default_ca = ca_default
[ca_default]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}/newcerts
serial = {d}/serial
crlnumber = {d}/crlnumber
default_md = sha256
policy = policy_any
copy_extensions = copy
default_crl_days = 7
unique_subject = no
[policy_any]
commonName = supplied
organizationName = optional
[v3_leaf]
basicConstraints = CA:false
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
"""


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True,
                          capture_output=True, text=True, **kw)


class CA:
    """A certificate authority in dir; issue() makes leaf certificates."""

    def __init__(self, d: Path, name: str):
        self.d = d
        d.mkdir(parents=True)
        (d / "newcerts").mkdir()
        (d / "index.txt").write_text("")
        (d / "serial").write_text("1000\n")
        (d / "crlnumber").write_text("1000\n")
        (d / "ca.cnf").write_text(CA_CONF.format(d=d))
        self.key = d / "ca.key"
        self.cert = d / "ca.pem"
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key,
            "-out", self.cert, "-days", "30", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, cn, start=None, end=None, san="DNS:localhost,IP:127.0.0.1"):
        key = self.d / f"{cn}.key"
        csr = self.d / f"{cn}.csr"
        crt = self.d / f"{cn}.pem"
        run("openssl", "req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", f"/O=SecureAudit test/CN={cn}", "-addext",
            f"subjectAltName={san}")
        dates = (["-startdate", start, "-enddate", end] if start
                 else ["-days", "7"])
        run("openssl", "ca", "-batch", "-config", self.d / "ca.cnf",
            "-cert", self.cert, "-keyfile", self.key, "-extensions", "v3_leaf",
            "-in", csr, "-out", crt, "-notext", *dates)
        os.chmod(key, 0o600)
        return crt, key

    def revoke(self, crt):
        run("openssl", "ca", "-batch", "-config", self.d / "ca.cnf",
            "-cert", self.cert, "-keyfile", self.key, "-revoke", crt)

    def crl(self):
        out = self.d / "crl.pem"
        run("openssl", "ca", "-batch", "-config", self.d / "ca.cnf",
            "-cert", self.cert, "-keyfile", self.key, "-gencrl", "-out", out)
        return out


def self_signed(d: Path, cn):
    key, crt = d / f"{cn}.key", d / f"{cn}.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
        "-days", "7", "-subj", f"/CN={cn}")
    os.chmod(key, 0o600)
    return crt, key


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def kernel_audit_unavailable():
    """Why the kernel audit tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root: the kernel audit socket needs CAP_AUDIT_CONTROL"
    if not AGENT.exists():
        return f"secaudit-agent not built in {BIN}"
    try:
        out = subprocess.run(["auditctl", "-s"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"auditctl -s failed: {e}"
    if out.returncode != 0:
        return f"kernel audit unavailable: {out.stderr.strip()}"
    for line in out.stdout.splitlines():
        if line.startswith("pid "):
            pid = int(line.split()[1])
            if pid and os.path.exists(f"/proc/{pid}"):
                return f"pid {pid} (auditd?) owns the audit socket"
    return None


class Proc:
    """A child process with its stderr in a file; stop() by pid only."""

    def __init__(self, args, log: Path, stdin=None):
        self.log = log
        self.f = open(log, "ab")
        self.p = subprocess.Popen([str(a) for a in args], stdout=self.f,
                                  stderr=self.f, stdin=stdin)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.f.close()
        return self.p.returncode

    def wait(self, timeout):
        return self.p.wait(timeout)

    def text(self):
        return self.log.read_text(errors="replace")


class Lab:
    """A CA, a server certificate and one good agent certificate in tmp."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.ca = CA(tmp / "ca", "SecureAudit Test CA")
        self.server_cert, self.server_key = self.ca.issue("audit-server")
        self.agent_cert, self.agent_key = self.ca.issue("agent-1")
        self.port = free_port()
        self.db = tmp / "audit.db"
        self.pg = None          # a Postgres: the store is there instead
        self.procs = []

    def server(self, *extra, store=None, log="server.log"):
        default = self.pg.uri if self.pg else f"sqlite:{self.db}"
        p = Proc([SERVER, "--listen", f"127.0.0.1:{self.port}",
                  "--cert", self.server_cert, "--key", self.server_key,
                  "--ca", self.ca.cert, "--store", store or default,
                  *extra], self.tmp / log)
        self.procs.append(p)
        wait_port(self.port)
        return p

    def agent(self, *extra, cert=None, key=None, spool="spool", log="agent.log",
              stdin=None):
        p = Proc([AGENT, "--server", f"127.0.0.1:{self.port}",
                  "--server-name", "localhost",
                  "--cert", cert or self.agent_cert,
                  "--key", key or self.agent_key, "--ca", self.ca.cert,
                  "--spool", self.tmp / spool, "--heartbeat", "1", *extra],
                 self.tmp / log, stdin=stdin)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            p.stop(signal.SIGKILL)

    def count(self, sql="SELECT count(*) FROM events", args=()):
        if self.pg:
            out = self.pg.psql(sql, args)
            return int(out) if out else 0
        if not self.db.exists():
            return 0
        c = sqlite3.connect(self.db, timeout=5)
        try:
            return c.execute(sql, args).fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            c.close()

    def wait_count(self, n, timeout=30, sql="SELECT count(*) FROM events"):
        end = time.time() + timeout
        got = -1
        while time.time() < end:
            got = self.count(sql)
            if got >= n:
                return got
            time.sleep(0.1)
        return got


def synth_events(n, start_serial=1, tag="t"):
    """n complete syscall events in auditd's dispatcher format (no EOE), each
    an execve of /usr/bin/true with a unique argument."""
    out = []
    for i in range(start_serial, start_serial + n):
        ts = f"1700000000.{i % 1000:03d}:{i}"
        out.append(f"type=SYSCALL msg=audit({ts}): arch=c000003e syscall=59 "
                   f"success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 "
                   f"pid={1000 + i % 30000} auid=1000 uid=1000 gid=1000 euid=1000 "
                   f"suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 "
                   f"tty=pts0 ses=3 comm=\"true\" exe=\"/usr/bin/true\" "
                   f"key=\"exec\"")
        out.append(f"type=EXECVE msg=audit({ts}): argc=2 a0=\"true\" "
                   f"a1=\"{tag}-{i}\"")
        out.append(f"type=CWD msg=audit({ts}): cwd=\"/home/u\"")
        out.append(f"type=PATH msg=audit({ts}): item=0 name=\"/usr/bin/true\" "
                   f"inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
                   f"nametype=NORMAL")
    return "\n".join(out) + "\n"


PG_BIN = Path("/usr/lib/postgresql")


class Postgres:
    """A throw-away PostgreSQL server from Debian's package: initdb and
    pg_ctl as the postgres user, in its own directory, on a unix socket
    only. Raises RuntimeError with the reason when that is impossible."""

    def __init__(self):
        import pwd
        import shutil
        import tempfile
        versions = sorted(PG_BIN.glob("*/bin/initdb"))
        if not versions:
            raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb (postgresql package)")
        if os.geteuid() != 0:
            raise RuntimeError("not root: cannot run initdb as the postgres user")
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("no postgres user")
        self.bin = versions[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="secaudit-pg-"))
        os.chmod(self.dir, 0o755)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = self.dir / "data"
        self.port = free_port()
        self._shutil = shutil
        self._as_pg([self.bin / "initdb", "-D", self.data, "-A", "trust",
                     "-U", "postgres", "--no-sync"])
        self._as_pg([self.bin / "pg_ctl", "-D", self.data, "-w", "-l",
                     self.dir / "pg.log", "-o",
                     f"-k {self.dir} -p {self.port} -c listen_addresses=''",
                     "start"])
        self.uri = (f"postgresql:///postgres?host={self.dir}&port={self.port}"
                    f"&user=postgres")

    def _as_pg(self, args):
        r = subprocess.run(["runuser", "-u", "postgres", "--"] +
                           [str(a) for a in args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{args[0]}: {r.stderr.strip() or r.stdout.strip()}")

    def psql(self, sql, args=(), db="postgres"):
        for a in args:
            sql = sql.replace("?", "'" + str(a).replace("'", "''") + "'", 1)
        r = subprocess.run([str(self.bin / "psql"), "-At", "-h", str(self.dir),
                            "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        return r.stdout.strip()

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"),
                        "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        self._shutil.rmtree(self.dir, ignore_errors=True)
