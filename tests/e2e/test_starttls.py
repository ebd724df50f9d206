"""STARTTLS and SOCKS followed into TLS with real Debian daemons and real
clients, in the namespace lab: Postfix (SMTP), Dovecot (IMAP, POP3,
ManageSieve), vsftpd (FTP AUTH TLS), slapd (LDAP StartTLS), Prosody (XMPP
client and server-to-server), PostgreSQL (SSLRequest), MariaDB (SSL
request) and Dante (SOCKS4 and SOCKS5 in front of an openssl s_server) in
srv; `openssl s_client -starttls ...`, `ldapsearch -ZZ`, `psql
sslmode=require`, `mariadb --ssl` and curl through the proxy in cli. The
traffic is recorded once (tcpdump in the gateway) and read with `secaudit
read`: every session is one tls event whose tls.from_proto names its
protocol, a tunnel's event names the destination the client asked the
proxy for. Then the gateway enforces, for every protocol: a session to a
server whose certificate the policy trusts goes through, one to a server
it does not trust is stopped at its Certificate, inline; with `starttls:
required`, a server that offered STARTTLS and then no longer does (Postfix
restarted without TLS: what a stripping man in the middle shows the
client) and a POP3 login in clear text (curl) are alerts.

One lab and one set of daemons serve the whole module. A daemon that is not
installed skips its protocol loudly (its package is in
scripts/install-deps.sh). NNTP has no case: Debian's one news server with
STARTTLS (inn2) fails its own installation on a machine whose host name
does not resolve, as this lab's and CI's do."""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from lab import (Capture, Lab, issue_cert, lab_missing, make_cert, polled, skip_loudly,
                 start_tls_server)
from monitor_lab import SECAUDIT, Monitor, need_binaries, received, was_reset

SRV = Lab.SRV4

# case: (tls.from_proto, server port, clients as argument lists run in cli,
# offered). offered: what secaudit.starttls.offered must say (None: no
# capability list is exchanged by these clients, so the key is absent). Each
# case's first client is openssl s_client, which the inline tests run again.
S_CLIENT = ["openssl", "s_client", "-connect"]
PG_BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]


def s_client(port, name, *extra):
    return ["timeout", "5"] + S_CLIENT + [f"{SRV}:{port}", "-starttls", name, *extra]


CASES = {
    "smtp": ("smtp", 25, [s_client(25, "smtp")], True),
    "imap": ("imap", 143, [s_client(143, "imap")], True),
    "pop3": ("pop3", 110, [s_client(110, "pop3")], None),
    "ftp": ("ftp", 21, [s_client(21, "ftp")], None),
    "ldap": ("ldap", 389, [s_client(389, "ldap"),
                           ["env", "LDAPTLS_REQCERT=never", "timeout", "5", "ldapsearch", "-x",
                            "-ZZ", "-H", f"ldap://{SRV}", "-b", "", "-s", "base"]], None),
    "xmpp": ("xmpp", 5222, [s_client(5222, "xmpp", "-xmpphost", "lab.test")], True),
    "xmpp-s2s": ("xmpp", 5269, [s_client(5269, "xmpp-server", "-xmpphost", "lab.test")], True),
    "pgsql": ("pgsql", 5432, [s_client(5432, "postgres"),
                              ["timeout", "5", f"{PG_BIN}/psql",
                               f"host={SRV} sslmode=require user=postgres dbname=postgres",
                               "-Atc", "select 1"]], True),
    "mysql": ("mysql", 3306, [s_client(3306, "mysql"),
                              ["timeout", "5", "mariadb", "--no-defaults", "-h", SRV, "-u", "root",
                               "--ssl", "-e", "select 1"]], True),
    "sieve": ("sieve", 4190, [s_client(4190, "sieve")], True),
}

# SOCKS through Dante (port 1080 in srv) to an openssl s_server (TLS_PORT
# in srv), with curl. case: (curl's proxy option, URL, the secaudit.tunnel
# its event must carry, the same URL's curl options without the proxy). The
# SOCKS5 client leaves the name to the proxy (srv's hosts file knows it).
SOCKS_PORT, TLS_PORT = 1080, 4433
TUNNELS = {
    "socks5": (["--socks5-hostname", f"{SRV}:{SOCKS_PORT}"], f"https://lab.test:{TLS_PORT}/",
               {"protocol": "socks5", "dest_host": "lab.test", "dest_port": TLS_PORT},
               ["--resolve", f"lab.test:{TLS_PORT}:{SRV}"]),
    "socks4": (["--socks4", f"{SRV}:{SOCKS_PORT}"], f"https://{SRV}:{TLS_PORT}/",
               {"protocol": "socks4", "dest_host": SRV, "dest_port": TLS_PORT}, []),
}


def curl(*args):
    return ["timeout", "5", "curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", *args]


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
        # ManageSieve is a plugin of its own package: without it, Dovecot
        # would refuse the whole configuration.
        sieve = os.path.exists("/usr/lib/dovecot/managesieve")
        conf = self.write("dovecot/dovecot.conf", f"""protocols = imap pop3{" sieve" * sieve}
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
            if sieve:
                self.lab.wait_tcp_listen("srv", 4190)
            else:
                self.missing["sieve"] = "dovecot-managesieved is not installed"
        else:
            self.missing["pop3"] = self.missing["sieve"] = self.missing.get("imap", "dovecot")
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
# vsftpd's own default is DES-CBC3-SHA alone: no TLS 1.2 with an EC key
ssl_ciphers=HIGH
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
s2s_ports = {{ 5269 }}
modules_enabled = {{ "tls"; "saslauth"; "disco" }}
log = {{ {{ levels = {{ min = "error" }}, to = "console" }} }}
ssl = {{ certificate = "{d}/cert.pem"; key = "{d}/key.pem" }}
VirtualHost "lab.test"
""")
        own(d, "prosody")
        if not shutil.which("prosody"):
            self.missing["xmpp"] = "prosody is not installed"
            return None
        p = self.start("xmpp", "prosody", 5222,
                       as_user("prosody") + ["prosody", "-F", "--config", conf])
        if "xmpp" in self.missing:
            self.missing["xmpp-s2s"] = self.missing["xmpp"]
        else:
            self.lab.wait_tcp_listen("srv", 5269)
        return p

    def mariadb(self):
        """Without system tables (mariadb-install-db costs seconds):
        --skip-grant-tables lets any user in, enough for an upgraded
        session and a query."""
        d = self.path("mysql", "x")[:-2]
        os.makedirs(f"{d}/data", exist_ok=True)
        shutil.copy(self.cert, f"{d}/cert.pem")
        shutil.copy(self.key, f"{d}/key.pem")
        own(d, "mysql")
        return self.start("mysql", "/usr/sbin/mariadbd", 3306,
                          ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={d}/data",
                           f"--socket={d}/sock", f"--pid-file={d}/pid", "--user=mysql",
                           f"--bind-address={SRV}", "--port=3306", "--skip-grant-tables",
                           "--skip-name-resolve", f"--ssl-cert={d}/cert.pem",
                           f"--ssl-key={d}/key.pem"])

    def dante(self):
        """Dante (SOCKS4 and SOCKS5, no authentication) and the TLS server
        the clients reach through it."""
        conf = self.write("dante/danted.conf", f"""logoutput: stderr
internal: {SRV} port = {SOCKS_PORT}
external: {SRV}
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {{ from: 0.0.0.0/0 to: 0.0.0.0/0 }}
socks pass {{ from: 0.0.0.0/0 to: 0.0.0.0/0 }}
""")
        start_tls_server(self.lab, self.cert, self.key, port=TLS_PORT)
        p = self.start("socks5", "danted", SOCKS_PORT,
                       ["danted", "-f", conf, "-p", self.path("dante", "danted.pid")])
        if "socks5" in self.missing:
            self.missing["socks4"] = self.missing["socks5"]
        return p

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


@pytest.fixture(scope="module")
def mail_lab():
    """The lab with every daemon up; the clients' traffic recorded once and
    read once (lab.events)."""
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
    # ip netns exec shows srv's processes this file as /etc/hosts: the
    # SOCKS5 proxy resolves the name its client asked for.
    etc = os.path.join("/etc/netns", lab.ns("srv"))
    try:
        why = lab.up()
        if why:
            skip_loudly(why)
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write(f"127.0.0.1 localhost\n{SRV} lab.test\n")
        ca, ca_key = make_cert(tmp, "labca", cn="Lab CA")
        cert, key = issue_cert(tmp, ca, ca_key, "mail", cn="lab.test")
        os.chmod(key, 0o644)   # read by the daemons' own users
        d = Daemons(lab, str(tmp), cert, key)
        d.smtp = d.postfix()
        d.dovecot()
        d.vsftpd()
        d.slapd()
        d.prosody()
        d.postgres()
        d.mariadb()
        d.dante()
        pcap = os.path.join(str(tmp), "starttls.pcap")
        cap = Capture(lab, "gw", "to-srv", pcap)
        outs = {}
        for case, (_, _, clients, _) in CASES.items():
            if case not in d.missing:
                outs[case] = [lab.run("cli", *c, check=False, timeout=15, input="")
                              for c in clients]
        for case, (proxy, url, _, direct) in TUNNELS.items():
            if case not in d.missing:
                outs[case] = [lab.run("cli", *curl(*proxy, url), check=False, timeout=15),
                              lab.run("cli", *curl(*direct, url), check=False, timeout=15)]
        cap.stop("cli", SRV)
        lab.daemons = d
        lab.ca = ca
        lab.client_outputs = outs
        lab.events = read_events(pcap)
        yield lab
    finally:
        lab.down()
        shutil.rmtree(etc, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def read_events(pcap):
    r = subprocess.run([str(SECAUDIT), "read", "--eve", pcap], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def need(lab, case):
    if case in lab.daemons.missing:
        skip_loudly(f"{case}: {lab.daemons.missing[case]}")


def flow_events(events, kind, port):
    return [e for e in events if e["event_type"] == kind and e["dest_port"] == port]


@pytest.mark.parametrize("case", list(CASES))
def test_starttls_session_is_a_tls_event(mail_lab, case):
    need(mail_lab, case)
    proto, port, clients, offered = CASES[case]
    for r in mail_lab.client_outputs[case]:
        assert r.returncode == 0, f"{case} client failed: {r.stdout[-400:]}{r.stderr[-400:]}"
    tls = flow_events(mail_lab.events, "tls", port)
    assert len(tls) == len(clients), [e.get("tls") for e in tls]
    for e in tls:
        assert e["tls"]["from_proto"] == proto
        st = e["secaudit"]["starttls"]
        assert st["protocol"] == proto and st["upgraded"] is True
        assert st.get("offered") == offered, st
        assert "tunnel" not in e["secaudit"]
        assert e["tls"]["version"] in ("TLS 1.2", "TLS 1.3")
        assert e["tls"]["ja4"].startswith("t1")
    assert not flow_events(mail_lab.events, "anomaly", port), \
        "a well-formed exchange raised an anomaly"


@pytest.mark.parametrize("case", list(TUNNELS))
def test_socks_tunnel_is_followed(mail_lab, case):
    """As FoxIO's reference for its SOCKS captures: the TLS inside the
    tunnel is fingerprinted (the same JA4 as the same client's session
    without the proxy) and the event names the destination the client asked
    the proxy for; Suricata gives no from_proto for a tunnel."""
    need(mail_lab, case)
    _, _, tunnel, _ = TUNNELS[case]
    via, direct = mail_lab.client_outputs[case]
    for r in (via, direct):
        assert r.returncode == 0 and r.stdout == "200", r.stdout + r.stderr
    inner = [e for e in flow_events(mail_lab.events, "tls", SOCKS_PORT)
             if e["secaudit"]["tunnel"]["protocol"] == case]
    assert len(inner) == 1, inner
    e = inner[0]
    assert e["secaudit"]["tunnel"] == tunnel
    assert "from_proto" not in e["tls"] and "starttls" not in e["secaudit"]
    assert e["tls"]["version"] == "TLS 1.3"
    # The same URL without the proxy: the same server name (or none).
    ref = [d for d in flow_events(mail_lab.events, "tls", TLS_PORT)
           if d["tls"].get("sni") == e["tls"].get("sni")]
    assert len(ref) == 1, ref
    assert e["tls"]["ja4"] == ref[0]["tls"]["ja4"] and e["tls"]["ja4"].startswith("t13")
    assert not flow_events(mail_lab.events, "anomaly", SOCKS_PORT)


class Gateway:
    """The lab's gateway enforcing with one policy at a time: the TLS ports,
    SOCKS's and the STARTTLS ones queued (setup-gateway), one monitor."""

    def __init__(self, lab):
        self.lab, self.mon, self.name = lab, None, None
        lab.run("gw", SECAUDIT, "setup-gateway", "--apply", "--ports", f"443,{SOCKS_PORT}",
                "--starttls", "-4")

    def monitor(self, name, rules):
        """The monitor with these rules (restarted when name changes)."""
        if name != self.name:
            self.stop()
            path = os.path.join(self.lab.tmp, f"{name}.yaml")
            with open(path, "w") as f:
                f.write(rules)
            self.mon = Monitor(self.lab, path, log=os.path.join(self.lab.tmp, f"{name}.json"))
            self.name = name
        return self.mon

    def stop(self):
        if self.mon:
            self.lab.stop(self.mon.proc)
        self.mon = self.name = None

    def close(self):
        self.stop()
        self.lab.run("gw", SECAUDIT, "setup-gateway", "--remove", check=False)


@pytest.fixture(scope="module")
def gateway(mail_lab):
    g = Gateway(mail_lab)
    try:
        yield g
    finally:
        g.close()


def trusting(ca):
    return f"""version: 1
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
"""


def inline_client(lab, case):
    """The case's client through the enforcing gateway, in TLS 1.2 (the
    server's Certificate is visible to the policy): (exit status, output,
    the flow's server port)."""
    if case in TUNNELS:
        proxy, url, _, _ = TUNNELS[case]
        r = lab.run("cli", *curl(*proxy, "--tls-max", "1.2", url), check=False, timeout=15)
        return r.returncode, r.stdout + r.stderr, SOCKS_PORT
    _, port, clients, _ = CASES[case]
    r = lab.run("cli", *clients[0], "-tls1_2", "-msg", check=False, timeout=15, input="")
    return r.returncode, r.stdout + r.stderr, port


def assert_names_its_protocol(e, case):
    if case in TUNNELS:
        assert e["secaudit"]["tunnel"] == TUNNELS[case][2]
        return
    proto, _, _, offered = CASES[case]
    assert e["tls"]["from_proto"] == proto
    assert e["secaudit"]["starttls"]["protocol"] == proto
    assert e["secaudit"]["starttls"].get("offered") == offered


INLINE = list(CASES) + list(TUNNELS)


@pytest.mark.parametrize("case", INLINE)
def test_trusted_server_passes_inline(mail_lab, gateway, case):
    """The same session with a server the policy trusts: judged (the
    monitor's accepted flows count it) and let through whole."""
    need(mail_lab, case)
    mon = gateway.monitor("trusted", trusting(mail_lab.ca))
    accepted = mon.stats()["verdicts"]["accept_flow"]
    rc, out, _ = inline_client(mail_lab, case)
    assert rc == 0, json.dumps(mon.alerts()) if mon.alerts() else out
    if case in CASES:
        assert "Certificate" in received(out), out
    else:
        assert out == "200", out
    assert polled(lambda: mon.stats()["verdicts"]["accept_flow"] == accepted + 1, bool), \
        mon.stats()["verdicts"]
    assert not mon.alerts(), mon.alerts()


@pytest.mark.parametrize("case", INLINE)
def test_untrusted_server_is_stopped_inline(mail_lab, gateway, case):
    """The server's certificate is not from the CA the policy trusts: the
    session is reset at its Certificate, after its clear-text start went
    through the gateway."""
    need(mail_lab, case)
    if not hasattr(mail_lab, "other_ca"):
        mail_lab.other_ca, _ = make_cert(mail_lab.tmp, "otherca", cn="Other CA")
    mon = gateway.monitor("untrusted", trusting(mail_lab.other_ca))
    seen = len(mon.alerts())
    rc, out, port = inline_client(mail_lab, case)
    assert rc != 0, out
    if case in CASES:
        # s_client sends its ClientHello only once the clear-text
        # exchange agreed to upgrade.
        assert "ClientHello" in out, out
        assert "Certificate" not in received(out), received(out)
    assert was_reset(out), out
    assert polled(lambda: len(mon.alerts()) > seen, bool), "no alert"
    alerts = mon.alerts()[seen:]
    assert len(alerts) == 1, alerts
    assert alerts[0]["dest_port"] == port
    assert alerts[0]["alert"]["action"] == "blocked"
    assert alerts[0]["alert"]["signature"] == "bad server certificate"
    assert_names_its_protocol(alerts[0], case)


def test_stripped_offer_and_cleartext_login_are_alerts(mail_lab, gateway):
    """Last: it restarts Postfix without TLS."""
    for case in ("smtp", "pop3"):
        need(mail_lab, case)
    if not shutil.which("curl"):
        skip_loudly("curl is missing (scripts/install-deps.sh installs it)")
    mon = gateway.monitor("starttls-required", """version: 1
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
    stripped = "STARTTLS no longer offered by a server that offered it (stripped)"
    clear = "credentials sent in clear text on a protocol that can upgrade to TLS"
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

    def both():
        sigs = [a["alert"]["signature"] for a in mon.alerts()]
        return stripped in sigs and clear in sigs
    polled(both, bool)
    alerts = mon.alerts()
    got = {a["alert"]["signature"]: a for a in alerts}
    assert stripped in got and clear in got, [a["alert"] for a in alerts]
    assert got[stripped]["dest_port"] == 25
    assert got[stripped]["secaudit"]["starttls"]["offered"] is False
    assert got[clear]["dest_port"] == 110
    assert got[clear]["tls"]["from_proto"] == "pop3"
    # The first SMTP session (offered, upgraded) broke nothing of this.
    assert sum(1 for a in alerts if a["dest_port"] == 25) == 1
