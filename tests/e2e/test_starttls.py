"""STARTTLS followed into TLS with real Debian daemons and real clients, in
the namespace lab: Postfix (SMTP), Dovecot (IMAP, POP3), vsftpd (FTP AUTH
TLS), slapd (LDAP StartTLS), Prosody (XMPP) and PostgreSQL (SSLRequest) in
srv; `openssl s_client -starttls ...`, `ldapsearch -ZZ` and `psql
sslmode=require` in cli. The traffic is recorded once (tcpdump in the
gateway) and read with `secaudit read`: every session is one tls event
whose tls.from_proto names its protocol. Then the gateway enforces: a
STARTTLS session to a server whose certificate the policy does not trust is
stopped at its Certificate, inline; with `starttls: required`, a server that
offered STARTTLS and then no longer does (Postfix restarted without TLS:
what a stripping man in the middle shows the client) and a POP3 login in
clear text (curl) are alerts.

A daemon that is not installed skips its protocol loudly (its package is in
scripts/install-deps.sh)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from lab import Lab, lab_missing, make_cert, skip_loudly
from monitor_lab import SECAUDIT, Monitor, need_binaries, received, was_reset

SRV = Lab.SRV4

# protocol: (server port, clients as argument lists run in cli, offered)
# offered: what secaudit.starttls.offered must say (None: no capability list
# is exchanged by these clients, so the key is absent).
S_CLIENT = ["openssl", "s_client", "-connect"]
PG_BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]


def s_client(port, name, *extra):
    return ["timeout", "5"] + S_CLIENT + [f"{SRV}:{port}", "-starttls", name, *extra]


CASES = {
    "smtp": (25, [s_client(25, "smtp")], True),
    "imap": (143, [s_client(143, "imap")], True),
    "pop3": (110, [s_client(110, "pop3")], None),
    "ftp": (21, [s_client(21, "ftp")], None),
    "ldap": (389, [s_client(389, "ldap"),
                   ["env", "LDAPTLS_REQCERT=never", "timeout", "5", "ldapsearch", "-x", "-ZZ",
                    "-H", f"ldap://{SRV}", "-b", "", "-s", "base"]], None),
    "xmpp": (5222, [s_client(5222, "xmpp", "-xmpphost", "lab.test")], True),
    "pgsql": (5432, [s_client(5432, "postgres"),
                     ["timeout", "5", f"{PG_BIN}/psql",
                      f"host={SRV} sslmode=require user=postgres dbname=postgres",
                      "-Atc", "select 1"]], True),
}


def as_user(user):
    """setpriv execs the daemon itself, so the lab stops it by its pid."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"]


def own(path, user):
    subprocess.run(["chown", "-R", user, path], check=True)


class Daemons:
    """Writes each daemon's configuration under tmp and starts it in srv."""

    def __init__(self, lab, tmp, cert, key):
        self.lab, self.tmp, self.cert, self.key = lab, tmp, cert, key
        self.missing = {}

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def start(self, proto, need, port, argv):
        if not shutil.which(need) and not os.path.exists(need):
            self.missing[proto] = f"{need} is not installed"
            return None
        p = self.lab.spawn("srv", *argv, stdout=open(self.path(f"{proto}.log"), "w"),
                           stderr=subprocess.STDOUT)
        try:
            self.lab.wait_tcp_listen("srv", port, timeout=20)
        except AssertionError as e:
            with open(self.path(f"{proto}.log")) as f:
                self.missing[proto] = f"{need} did not start: {e}: {f.read()[-300:]}"
        return p

    def postfix(self, tls=True):
        conf = os.path.join(self.tmp, "postfix" + ("" if tls else "-plain"))
        os.makedirs(os.path.join(conf, "data"), exist_ok=True)
        os.makedirs(os.path.join(conf, "queue"), exist_ok=True)
        own(os.path.join(conf, "data"), "postfix")
        self.write(os.path.join(conf, "main.cf"), f"""compatibility_level = 3.6
queue_directory = {conf}/queue
data_directory = {conf}/data
mail_owner = postfix
myhostname = mx.lab.test
inet_interfaces = {SRV}
inet_protocols = ipv4
mydestination =
local_recipient_maps =
smtpd_tls_cert_file = {self.cert}
smtpd_tls_key_file = {self.key}
smtpd_tls_security_level = {"may" if tls else "none"}
smtpd_tls_session_cache_database =
maillog_file = /dev/stdout
# no reverse lookup of the client: the lab has no resolver
smtpd_peername_lookup = no
""")
        # anvil: smtpd asks it about every client outside mynetworks; without
        # it each session waits two seconds of retries after its last
        # command, and the next client waits for that smtpd past its timeout.
        self.write(os.path.join(conf, "master.cf"), """smtp inet n - n - - smtpd
postlog unix-dgram n - n - 1 postlogd
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
""")
        if shutil.which("postfix"):
            # creates the queue's directories with their owners (in srv:
            # it checks that inet_interfaces is an address of its own)
            self.lab.run("srv", "postfix", "-c", conf, "check", check=False)
        return self.start("smtp", "/usr/lib/postfix/sbin/master", 25,
                          ["/usr/lib/postfix/sbin/master", "-c", conf, "-d"])

    def dovecot(self):
        d = self.path("dovecot", "x")[:-2]
        conf = self.write("dovecot/dovecot.conf", f"""protocols = imap pop3
listen = {SRV}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
auth_mechanisms = plain
disable_plaintext_auth = no
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home
}}
""")
        p = self.start("imap", "dovecot", 143, ["dovecot", "-F", "-c", conf])
        if p and "imap" not in self.missing:
            self.lab.wait_tcp_listen("srv", 110)
        else:
            self.missing["pop3"] = self.missing.get("imap", "dovecot")
        return p

    def vsftpd(self):
        os.makedirs(self.path("vsftpd", "empty", "x")[:-2], exist_ok=True)
        conf = self.write("vsftpd/vsftpd.conf", f"""listen=YES
listen_address={SRV}
background=NO
ssl_enable=YES
rsa_cert_file={self.cert}
rsa_private_key_file={self.key}
anonymous_enable=NO
local_enable=YES
secure_chroot_dir={self.tmp}/vsftpd/empty
seccomp_sandbox=NO
""")
        return self.start("ftp", "vsftpd", 21, ["vsftpd", conf])

    def slapd(self):
        conf = self.write("slapd/slapd.conf", f"""pidfile {self.tmp}/slapd/slapd.pid
TLSCertificateFile {self.cert}
TLSCertificateKeyFile {self.key}
""")
        return self.start("ldap", "slapd", 389,
                          ["slapd", "-d", "0", "-h", f"ldap://{SRV}:389/", "-f", conf])

    def prosody(self):
        d = self.path("prosody", "x")[:-2]
        shutil.copy(self.cert, f"{d}/cert.pem")
        shutil.copy(self.key, f"{d}/key.pem")
        conf = self.write("prosody/prosody.cfg.lua", f"""pidfile = "{d}/prosody.pid"
data_path = "{d}"
interfaces = {{ "{SRV}" }}
c2s_ports = {{ 5222 }}
modules_enabled = {{ "tls"; "saslauth"; "disco" }}
modules_disabled = {{ "s2s" }}
log = {{ {{ levels = {{ min = "error" }}, to = "console" }} }}
ssl = {{ certificate = "{d}/cert.pem"; key = "{d}/key.pem" }}
VirtualHost "lab.test"
""")
        own(d, "prosody")
        if not shutil.which("prosody"):
            self.missing["xmpp"] = "prosody is not installed"
            return None
        return self.start("xmpp", "prosody", 5222,
                          as_user("prosody") + ["prosody", "-F", "--config", conf])

    def postgres(self):
        d = self.path("pg", "x")[:-2]
        if not PG_BIN:
            self.missing["pgsql"] = "postgresql is not installed"
            return None
        shutil.copy(self.cert, f"{d}/cert.pem")
        shutil.copy(self.key, f"{d}/key.pem")
        os.chmod(f"{d}/key.pem", 0o600)
        own(d, "postgres")
        subprocess.run(as_user("postgres") + [f"{PG_BIN}/initdb", "-D", f"{d}/data", "-A",
                                             "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True)
        with open(f"{d}/data/pg_hba.conf", "a") as f:
            f.write("hostssl all all 0.0.0.0/0 trust\n")
        return self.start("pgsql", f"{PG_BIN}/postgres", 5432,
                          as_user("postgres") + [f"{PG_BIN}/postgres", "-D", f"{d}/data",
                                                 "-k", d, "-c", f"listen_addresses={SRV}",
                                                 "-c", "ssl=on",
                                                 "-c", f"ssl_cert_file={d}/cert.pem",
                                                 "-c", f"ssl_key_file={d}/key.pem",
                                                 "-c", "fsync=off"])


class Capture:
    """tcpdump on the gateway's server side, for `secaudit read`.

    Stopping it must not lose the last session: tcpdump hands packets to its
    writer in blocks (up to a second late without --immediate-mode), and
    SIGTERM drops what is not written yet (the last client's session was
    sometimes missing). So the capture ends with a marker datagram sent
    through the gateway and is stopped only once the file holds it: every
    packet before it on that interface is written by then."""

    MARK = b"secaudit-capture-end"

    def __init__(self, lab, path):
        self.lab, self.path = lab, path
        self.proc = lab.spawn("gw", "tcpdump", "-i", "to-srv", "--immediate-mode", "-U",
                              "-s", "0", "-w", path, stderr=subprocess.PIPE)
        self.proc.stderr.readline()     # "listening on ...": capturing from here

    def stop(self, timeout=10):
        mark = f"import socket; socket.socket(2, 2).sendto({self.MARK!r}, ('{SRV}', 9))"
        deadline = time.monotonic() + timeout
        while True:
            self.lab.run("cli", sys.executable, "-c", mark)
            if self.MARK in open(self.path, "rb").read():
                break
            assert time.monotonic() < deadline, "tcpdump did not record the end marker"
            time.sleep(0.1)
        self.lab.stop(self.proc)


@pytest.fixture(scope="module")
def mail_lab():
    """The lab with every daemon up; the clients' traffic recorded once."""
    why = lab_missing()
    if why:
        skip_loudly(why)
    need_binaries()
    if not shutil.which("tcpdump"):
        skip_loudly("tcpdump is missing (scripts/install-deps.sh installs it)")
    # The daemons run as their own users: the directory must be reachable
    # (pytest's are root's alone).
    tmp = tempfile.mkdtemp(prefix="secaudit-starttls-")
    os.chmod(tmp, 0o755)
    lab = Lab(tmp)
    try:
        why = lab.up()
        if why:
            skip_loudly(why)
        cert, key = make_cert(tmp, "mail", cn="lab.test")
        os.chmod(key, 0o644)   # read by the daemons' own users
        d = Daemons(lab, str(tmp), cert, key)
        d.smtp = d.postfix()
        d.dovecot()
        d.vsftpd()
        d.slapd()
        d.prosody()
        d.postgres()
        pcap = os.path.join(str(tmp), "starttls.pcap")
        cap = Capture(lab, pcap)
        outs = {}
        for proto, (port, clients, _) in CASES.items():
            if proto in d.missing:
                continue
            outs[proto] = [lab.run("cli", *c, check=False, timeout=15, input="")
                           for c in clients]
        cap.stop()
        lab.daemons = d
        lab.client_outputs = outs
        lab.pcap = pcap
        yield lab
    finally:
        lab.down()
        shutil.rmtree(tmp, ignore_errors=True)


def read_events(pcap):
    r = subprocess.run([str(SECAUDIT), "read", "--eve", pcap], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.mark.parametrize("proto", list(CASES))
def test_starttls_session_is_a_tls_event(mail_lab, proto):
    if proto in mail_lab.daemons.missing:
        skip_loudly(f"{proto}: {mail_lab.daemons.missing[proto]}")
    port, clients, offered = CASES[proto]
    for r in mail_lab.client_outputs[proto]:
        assert r.returncode == 0, f"{proto} client failed: {r.stdout[-400:]}{r.stderr[-400:]}"
    events = read_events(mail_lab.pcap)
    tls = [e for e in events if e["event_type"] == "tls" and e["dest_port"] == port]
    assert len(tls) == len(clients), [e.get("tls") for e in tls]
    for e in tls:
        assert e["tls"]["from_proto"] == proto
        st = e["secaudit"]["starttls"]
        assert st["protocol"] == proto and st["upgraded"] is True
        assert st.get("offered") == offered, st
        assert e["tls"]["version"] in ("TLS 1.2", "TLS 1.3")
        assert e["tls"]["ja4"].startswith("t1")
    assert not [e for e in events if e["event_type"] == "anomaly" and
                e["dest_port"] == port], "a well-formed exchange raised an anomaly"


def test_untrusted_starttls_server_is_stopped_inline(mail_lab, tmp_path):
    """SMTP through the enforcing gateway: the server's certificate is not
    from the CA the policy trusts, so the session is reset at its
    Certificate (TLS 1.2: the certificate is visible)."""
    if "smtp" in mail_lab.daemons.missing:
        skip_loudly(f"smtp: {mail_lab.daemons.missing['smtp']}")
    ca, _ = make_cert(tmp_path, "otherca", cn="Other CA")
    rules = tmp_path / "mail.yaml"
    rules.write_text(f"""version: 1
profiles:
  mail:
    action: reject
    certificate:
      ca_file: {ca}
      match_sni: false
      message: bad server certificate
zones:
  - name: mail
    profile: mail
""")
    mail_lab.monitor = Monitor(mail_lab, str(rules))
    try:
        mail_lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--starttls", "-4")
        r = mail_lab.run("cli", *s_client(25, "smtp", "-tls1_2", "-msg"), check=False,
                         timeout=15, input="")
        out = r.stdout + r.stderr
        assert r.returncode != 0, out
        # s_client sends its ClientHello only after the server's 220 to
        # STARTTLS: the clear-text exchange went through the gateway.
        assert "ClientHello" in out, out
        assert "Certificate" not in received(out), received(out)
        assert was_reset(out), out
        deadline = time.monotonic() + 3
        while not mail_lab.monitor.alerts() and time.monotonic() < deadline:
            time.sleep(0.05)
        alerts = mail_lab.monitor.alerts()
        assert len(alerts) == 1, alerts
        assert alerts[0]["alert"]["action"] == "blocked"
        assert alerts[0]["tls"]["from_proto"] == "smtp"
        assert alerts[0]["secaudit"]["starttls"]["offered"] is True
    finally:
        mail_lab.run("gw", SECAUDIT, "setup-gateway", "--remove", check=False)
        mail_lab.stop(mail_lab.monitor.proc)


def test_stripped_offer_and_cleartext_login_are_alerts(mail_lab, tmp_path):
    for proto in ("smtp", "pop3"):
        if proto in mail_lab.daemons.missing:
            skip_loudly(f"{proto}: {mail_lab.daemons.missing[proto]}")
    if not shutil.which("curl"):
        skip_loudly("curl is missing (scripts/install-deps.sh installs it)")
    rules = tmp_path / "starttls.yaml"
    rules.write_text("""version: 1
profiles:
  mail:
    action: alert
    starttls: required
    certificate:
      trust: none
      match_sni: false
zones:
  - name: mail
    profile: mail
""")
    mon = Monitor(mail_lab, str(rules), log=os.path.join(mail_lab.tmp, "starttls-alerts.json"))
    stripped = "STARTTLS no longer offered by a server that offered it (stripped)"
    clear = "credentials sent in clear text on a protocol that can upgrade to TLS"
    try:
        mail_lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--starttls", "-4")
        r = mail_lab.run("cli", *s_client(25, "smtp"), check=False, timeout=15, input="")
        assert r.returncode == 0, r.stdout + r.stderr
        # The same server, now without the offer.
        mail_lab.stop(mail_lab.daemons.smtp)
        mail_lab.daemons.postfix(tls=False)
        assert "smtp" not in mail_lab.daemons.missing, mail_lab.daemons.missing
        r = mail_lab.run("cli", *s_client(25, "smtp"), check=False, timeout=15, input="")
        assert r.returncode != 0, "s_client found STARTTLS on the plain server"
        # USER and PASS in clear (the mailbox itself need not open)
        mail_lab.run("cli", "curl", "-s", "--max-time", "5", f"pop3://alice:secret@{SRV}/",
                     check=False, timeout=15)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            sigs = [a["alert"]["signature"] for a in mon.alerts()]
            if stripped in sigs and clear in sigs:
                break
            time.sleep(0.1)
        alerts = mon.alerts()
        got = {a["alert"]["signature"]: a for a in alerts}
        assert stripped in got and clear in got, [a["alert"] for a in alerts]
        assert got[stripped]["dest_port"] == 25
        assert got[stripped]["secaudit"]["starttls"]["offered"] is False
        assert got[clear]["dest_port"] == 110
        assert got[clear]["tls"]["from_proto"] == "pop3"
        # The first SMTP session (offered, upgraded) broke nothing of this.
        assert sum(1 for a in alerts if a["dest_port"] == 25) == 1
    finally:
        mail_lab.run("gw", SECAUDIT, "setup-gateway", "--remove", check=False)
        mail_lab.stop(mon.proc)
