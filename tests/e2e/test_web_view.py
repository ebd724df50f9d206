"""The web view of secaudit-server end to end: a server with --web; audit
alerts stored through the real channel (secaudit-agent, events on stdin,
rules on the server); gateway blocks stored through the same channel as a
monitor ships them (HELLO kind eve, one certificate per gateway), the EVE
alert lines made by the engine itself (secaudit read --rules over corpus
captures), restamped to now because the pages' windows end now. Read by
curl (each JSON endpoint), by raw TLS requests (refusals) and by a real
browser: Debian's chromium, headless, presenting a client certificate from
an NSS database under a private HOME, chosen by the
AutoSelectCertificateForUrls policy. Every process is started here and
stopped by its pid."""
import json
import os
import shutil
import socket
import sqlite3
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest

import audit_helpers as h
from lab import skip_loudly

CHROMIUM = shutil.which("chromium")
POLICY_DIR = Path("/etc/chromium/policies/managed")
# Every test browser's policy names every address these tests serve on
# (any port): chromium takes a policy from one file only when several set
# it, so a file with one base alone would leave other runs' browsers to
# wait for a certificate choice no one makes (headless: until the timeout).
POLICY_PATTERNS = ["https://localhost", "https://central.lab.test"]

RULE = ("version: 1\nrules:\n  - id: web-true\n    sid: 3900777\n"
        "    message: \"true ran <with> 'quotes'\"\n    severity: 2\n"
        "    match: {\"program\": \"/usr/bin/true\"}\n")

CORPUS = h.ROOT.parent / "shared" / "corpus" / "generated"
EXPIRED = CORPUS / "a15_tls12_expired_cert.pcap"    # old.alpha-corp.test
CIPHER = CORPUS / "a09_tls12_ecdhe_rc4_gnutls.pcap"       # www.alpha-corp.test, RC4
# what a wire-borne SNI may hold: it must stay text on the page
HOSTILE = "<b>bad</b>.example.test"
# the gateways' identities: their certificates' subjects
GW_A, GW_B = "O=SecureAudit test,CN=gw-a", "O=SecureAudit test,CN=gw-b"


class Web:
    """A server with its web view, a viewer and a revoked certificate."""

    def __init__(self, tmp: Path, pg=None):
        self.lab = h.Lab(tmp)
        self.lab.pg = pg
        ca = self.lab.ca
        self.viewer = ca.issue("viewer")
        self.revoked = ca.issue("revoked-viewer")
        self.gw_a = ca.issue("gw-a")
        self.gw_b = ca.issue("gw-b")
        ca.revoke(self.revoked[0])
        self.crl = ca.crl()
        self.rules = tmp / "rules"
        self.rules.mkdir()
        (self.rules / "web.yaml").write_text(RULE)
        self.port = h.free_port()
        self.server = self.lab.server("--crl", self.crl, "--rules", self.rules,
                                      "--alert-log", tmp / "alerts.json",
                                      "--web", str(self.port), "--user", "root")
        h.wait_port(self.port)
        self.base = f"https://localhost:{self.port}"

    def ctx(self, cert=None):
        c = ssl.create_default_context(cafile=str(self.lab.ca.cert))
        if cert:
            c.load_cert_chain(str(cert[0]), str(cert[1]))
        return c

    def raw(self, data: bytes, cert=None, timeout=20):
        """Sends data over TLS and returns all the answer (b"" if refused)."""
        out = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            with self.ctx(cert if cert else self.viewer).wrap_socket(
                    s, server_hostname="localhost") as t:
                # a refusal shows at the first write or read (TLS 1.3)
                try:
                    t.sendall(data)
                    while chunk := t.recv(65536):
                        out += chunk
                except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
                    pass
        return out

    def curl(self, path, cert=True, extra=()):
        args = ["curl", "-sS", "--max-time", "30", "--cacert", self.lab.ca.cert]
        if cert:
            args += ["--cert", self.viewer[0], "--key", self.viewer[1]]
        return subprocess.run([str(a) for a in args + list(extra) + [self.base + path]],
                              capture_output=True, text=True)

    def api(self, path):
        r = self.curl(path, extra=["--fail"])
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def close(self):
        self.lab.close()


def engine_alerts(pcap):
    """The blocked alerts secaudit read judges in pcap (default rules)."""
    r = subprocess.run([str(h.CLI), "read", "--eve", "--rules",
                        str(h.ROOT / "rules" / "default.yaml"), str(pcap)],
                       capture_output=True, text=True, check=True)
    got = [json.loads(line) for line in r.stdout.splitlines()]
    got = [e for e in got if e["event_type"] == "alert"
           and e["alert"]["action"] == "blocked"]
    assert got, f"no blocked alert in {pcap}"
    return got


def restamp(e, ago):
    e = dict(e, timestamp=time.strftime("%Y-%m-%dT%H:%M:%S.000000+0000",
                                        time.gmtime(time.time() - ago)))
    return json.dumps(e).encode()


def frame(ftype, payload):
    return b"SA" + bytes([1, ftype]) + struct.pack(">I", len(payload)) + payload


def ship_eve(web, cert, lines, stream=9):
    """Ships lines as one package of a gateway's EVE stream (audit_wire.h:
    HELLO revision 2, kind 2) and waits for its ACK: stored and committed."""
    ctx = web.ctx(cert)
    with socket.create_connection(("127.0.0.1", web.lab.port), 30) as s, \
            ctx.wrap_socket(s, server_hostname="localhost") as t:
        t.sendall(frame(1, struct.pack(">QQQH", stream, 1, 1, 2) + b"gw" + bytes([2, 2])))
        body = b"".join(struct.pack(">I", len(x)) + x for x in lines)
        t.sendall(frame(3, struct.pack(">QBII", 1, 0, len(lines), len(body)) + body))
        buf = b""
        while True:
            while len(buf) >= 8 and len(buf) >= 8 + struct.unpack(">I", buf[4:8])[0]:
                n = struct.unpack(">I", buf[4:8])[0]
                ftype, payload, buf = buf[3], buf[8:8 + n], buf[8 + n:]
                if ftype == 4 and struct.unpack(">Q", payload)[0] == 1:
                    return
                assert ftype in (2, 6), (ftype, payload)
            d = t.recv(65536)
            assert d, "server closed before acknowledging"
            buf += d


def store_blocks(web):
    """gw-a blocks old.alpha-corp.test twice (untrusted and expired), gw-b
    a weak suite four times and a hostile SNI (untrusted and expired) once:
    cipher_suite is the top check (4), then certificate.expired and
    certificate.untrusted (3 each)."""
    expired = engine_alerts(EXPIRED)[0]
    cipher = engine_alerts(CIPHER)[0]
    hostile = json.loads(json.dumps(expired))
    hostile["tls"]["sni"] = HOSTILE
    ship_eve(web, web.gw_a, [restamp(expired, 30), restamp(expired, 90)])
    ship_eve(web, web.gw_b, [restamp(cipher, 60 * i) for i in (1, 2, 3, 4)] +
             [restamp(hostile, 120)])
    return expired, cipher


def start(tmp_path, pg=None):
    if not h.SERVER.exists() or not h.AGENT.exists():
        skip_loudly(f"secaudit-server/agent not built in {h.BIN}")
    w = Web(tmp_path, pg)
    try:
        src = tmp_path / "ev.log"
        src.write_text(h.synth_events(3, tag="web"))
        agent = w.lab.agent("--stdin", stdin=open(src))
        assert agent.wait(60) == 0, agent.text()
        assert w.lab.wait_count(3, sql="SELECT count(*) FROM alerts") == 3, w.server.text()
        w.expired, w.cipher = store_blocks(w)
    except BaseException:
        w.close()
        raise
    return w


@pytest.fixture
def web(tmp_path):
    w = start(tmp_path)
    yield w
    w.close()


@pytest.fixture
def web_pg(tmp_path):
    """The same over a PostgreSQL store (a throw-away server, its own
    database): the view's read-only session and its jsonb reading."""
    try:
        pg = h.Postgres()
    except RuntimeError as e:
        skip_loudly(f"PostgreSQL store test needs a server: {e}")
    try:
        w = start(tmp_path, pg)
        yield w
        w.close()
    finally:
        pg.stop()


def gateways(blocks):
    """{gateway subject: sorted SNIs} of /api/blocks' rows."""
    out = {}
    for b in blocks:
        out.setdefault(b["gateway"], []).append(b["sni"])
    return {g: sorted(s) for g, s in out.items()}


def test_json_endpoints(web):
    check_json(web)


def test_json_endpoints_postgresql(web_pg):
    check_json(web_pg)
    assert "web: store" not in web_pg.server.text()


def check_json(web):
    blocks = web.api("/api/blocks")["blocks"]
    gw = gateways(blocks)
    assert gw == {GW_A: ["old.alpha-corp.test"] * 2,
                  GW_B: [HOSTILE] + ["www.alpha-corp.test"] * 4}, gw
    b = next(b for b in blocks if b["sni"] == "old.alpha-corp.test")
    assert b["checks"] == ["certificate.untrusted", "certificate.expired"], b
    assert (b["src_ip"], b["dest_ip"], b["dest_port"], b["action"]) == \
        (web.expired["src_ip"], web.expired["dest_ip"], web.expired["dest_port"], "blocked")
    only = web.api("/api/blocks?gateway=O%3DSecureAudit+test%2CCN%3Dgw-b&limit=1")["blocks"]
    assert [x["sni"] for x in only] == ["www.alpha-corp.test"], only

    checks = web.api("/api/checks")["checks"]
    assert checks == [{"check": "cipher_suite", "blocks": 4},
                      {"check": "certificate.expired", "blocks": 3},
                      {"check": "certificate.untrusted", "blocks": 3}], checks

    tl = web.api("/api/timeline?hours=2&bucket=600")
    assert tl["bucket"] == 600 and len(tl["buckets"]) == 12
    assert sum(x["blocks"] for x in tl["buckets"]) == 7

    audit = web.api("/api/audit")["alerts"]
    assert len(audit) == 3, audit
    for a in audit:
        assert a["host"] == "O=SecureAudit test,CN=agent-1", a
        assert a["signature_id"] == 3900777 and a["program"] == "/usr/bin/true"
    assert web.api("/api/audit?host=nobody")["alerts"] == []


def test_pages_escape_and_headers(web):
    r = web.curl("/blocks", extra=["-i"])
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split("\n\n", 1)  # text mode made CRLF LF
    assert head.startswith("HTTP/1.1 200 OK")
    assert "Content-Security-Policy: default-src 'none'; style-src 'self'" in head
    assert "&lt;b&gt;bad&lt;/b&gt;.example.test" in body
    assert HOSTILE not in body
    audit = web.curl("/audit").stdout
    assert "true ran &lt;with&gt; &#39;quotes&#39;" in audit


def test_refusals(web):
    # no client certificate: no handshake, no page
    r = web.curl("/api/blocks", cert=False)
    assert r.returncode != 0 and "HTTP/" not in r.stdout and "blocks" not in r.stdout
    # a revoked one: the same
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "--cacert", str(web.lab.ca.cert),
                        "--cert", str(web.revoked[0]), "--key", str(web.revoked[1]),
                        web.base + "/api/blocks"], capture_output=True, text=True)
    assert r.returncode != 0 and "blocks" not in r.stdout
    log = web.server.text()
    end = time.time() + 10
    while time.time() < end and "certificate revoked" not in log:
        time.sleep(0.1)
        log = web.server.text()
    assert "web: refused a client: no client certificate" in log, log
    assert "certificate revoked" in log, log
    # a certificate of another CA
    other = h.CA(web.lab.tmp / "other", "Other CA")
    assert web.raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", cert=other.issue("stranger")) \
        == b""
    # oversized head, a body, bad path, method, version, malformed
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 10000 + b"\r\n\r\n"
    assert web.raw(big).startswith(b"HTTP/1.1 413 ")
    assert web.raw(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello") \
        .startswith(b"HTTP/1.1 413 ")
    assert web.raw(b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    assert web.raw(b"GET /../../x HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    r = web.raw(b"POST /api/blocks HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: GET, HEAD\r\n" in r
    assert web.raw(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert web.raw(b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert web.raw(b"GET /blocks?limit=0 HTTP/1.1\r\nHost: x\r\n\r\n") \
        .startswith(b"HTTP/1.1 400 ")
    # HEAD: the GET's headers, no body
    r = web.raw(b"HEAD /api/checks HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = r.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and body == b""
    # the server still serves, and the channel was never held up
    assert web.api("/api/checks")["checks"][0]["check"] == "cipher_suite"
    assert web.server.alive()


def test_crl_change_applies_without_restart(web):
    late = web.lab.ca.issue("late-viewer")
    args = ["--cert", str(late[0]), "--key", str(late[1]), "--fail"]
    assert web.curl("/api/checks", cert=False, extra=args).returncode == 0
    web.lab.ca.revoke(late[0])
    assert web.lab.ca.crl() == web.crl       # the file the server was given
    end = time.time() + 30
    while time.time() < end and web.curl("/api/checks", cert=False,
                                         extra=args).returncode == 0:
        time.sleep(0.2)
    assert web.curl("/api/checks", cert=False, extra=args).returncode != 0
    assert "web: certificates, CA and CRL reloaded" in web.server.text()
    assert web.api("/api/checks")["checks"], "the viewer still gets in"


# ---- the browser ----

def chromium_missing():
    if not CHROMIUM:
        return "chromium not installed (Debian package chromium)"
    if not shutil.which("certutil") or not shutil.which("pk12util"):
        return "certutil/pk12util missing (Debian package libnss3-tools)"
    if os.geteuid() != 0:
        return "not root: the browser's policy lives in /etc/chromium/policies"
    return None


def remove_stale_policies():
    """The policy files of test runs that were killed before close(): one
    naming another base could be the one chromium takes."""
    for f in POLICY_DIR.glob("secaudit-test-*.json"):
        pid = f.name.split("-")[2]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            f.unlink(missing_ok=True)


class Browser:
    """chromium headless with its own HOME: an NSS database trusting ca and
    holding cert (if any); a managed policy file (removed by close) makes
    it present that certificate to base unasked. netns: run it in that
    network namespace; resolve: "MAP host address" for its resolver."""

    def __init__(self, ca, base, home: Path, cert=None, netns=None, resolve=None):
        self.base = base
        self.home = home
        self.netns = netns
        self.resolve = resolve
        db = home / ".pki" / "nssdb"
        db.mkdir(parents=True)
        nss = f"sql:{db}"
        h.run("certutil", "-N", "-d", nss, "--empty-password")
        h.run("certutil", "-A", "-n", "test-ca", "-t", "C,,", "-i", ca, "-d", nss)
        if cert:
            p12 = home / "viewer.p12"
            h.run("openssl", "pkcs12", "-export", "-in", cert[0], "-inkey", cert[1],
                  "-out", p12, "-passout", "pass:")
            h.run("pk12util", "-i", p12, "-d", nss, "-W", "")
        POLICY_DIR.mkdir(parents=True, exist_ok=True)
        remove_stale_policies()
        self.policy = POLICY_DIR / f"secaudit-test-{os.getpid()}-{home.name}.json"
        patterns = [json.dumps({"pattern": p, "filter": {}}) for p in POLICY_PATTERNS]
        self.policy.write_text(json.dumps({"AutoSelectCertificateForUrls": patterns}))

    def run(self, path, *what):
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                f"--user-data-dir={self.home / 'profile'}", "--window-size=1200,1600"]
        if self.resolve:
            argv.append(f"--host-resolver-rules={self.resolve}")
        argv += [*what, self.base + path]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, "env", f"HOME={self.home}"] + argv
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, HOME=str(self.home)),
                           cwd=self.home)
        return r

    def close(self):
        self.policy.unlink(missing_ok=True)


@pytest.fixture
def browser_home(tmp_path):
    why = chromium_missing()
    if why:
        skip_loudly(why)
    return tmp_path


def test_browser_shows_blocks_per_gateway_and_top_check(web, browser_home):
    b = Browser(web.lab.ca.cert, web.base, browser_home / "with-cert", cert=web.viewer)
    try:
        r = b.run("/", "--dump-dom")
        dom = r.stdout
        assert "<h1>Overview</h1>" in dom, (r.stdout, r.stderr[-2000:])
        # each gateway with its number of blocks, the top check first
        assert f">{GW_A}</a></td><td class=\"n\">2</td>" in dom, dom
        assert f">{GW_B}</a></td><td class=\"n\">5</td>" in dom, dom
        checks = dom[dom.index("Top failed checks"):]
        assert "<td>cipher_suite</td><td class=\"n\">4</td>" in checks, checks
        assert checks.index("cipher_suite") < checks.index("certificate.expired")
        r = b.run("/blocks", "--dump-dom")
        dom = r.stdout
        a, bb = dom.index(f"<h2>{GW_A}"), dom.index(f"<h2>{GW_B}")
        part_a = dom[a:bb] if a < bb else dom[a:]
        part_b = dom[bb:a] if bb < a else dom[bb:]
        # the blocked SNI per gateway
        assert "old.alpha-corp.test" in part_a and "www.alpha-corp.test" not in part_a
        assert "www.alpha-corp.test" in part_b and "old.alpha-corp.test" not in part_b
        # what came from the wire stays text: no <b> element was made
        assert "&lt;b&gt;bad&lt;/b&gt;.example.test" in part_b
        assert HOSTILE not in dom
        shot = browser_home / "overview.png"
        r = b.run("/", f"--screenshot={shot}")
        assert shot.exists() and shot.stat().st_size > 10000, r.stderr[-2000:]
    finally:
        b.close()


def test_browser_without_certificate_is_refused(web, browser_home):
    b = Browser(web.lab.ca.cert, web.base, browser_home / "no-cert")
    try:
        r = b.run("/", "--dump-dom")
        assert "Overview" not in r.stdout and "gw-a" not in r.stdout, r.stdout
    finally:
        b.close()
    assert "web: refused a client: no client certificate" in web.server.text()


def test_browser_over_two_real_monitors(browser_home):
    """Two gateways' secaudit-monitor ship their blocks to the server
    (test_central's lab: namespaces, NFQUEUE, real openssl handshakes); the
    browser, in the server's namespace, shows each gateway's blocked SNI
    and the check that failed them."""
    from lab import built
    from test_central import CENTRAL_NAME, Central, blocked_loop, wait_stored
    (browser_home / "central").mkdir()
    b = None
    with built(Central(browser_home / "central"), "the central lab") as c:
        try:
            c.server("--web", "127.0.0.1:8443")
            c.labs["a"].wait_tcp_listen("central", 8443)
            sni = {"a": "blocked.lab.test", "b": "x.denied.lab.test"}
            count = {"a": 3, "b": 2}
            for name in ("a", "b"):
                c.monitor(name)
                c.labs[name].sh("cli", blocked_loop(c.labs[name], count[name], sni[name]),
                                timeout=120)
            for name in ("a", "b"):
                assert len(wait_stored(c, name, count[name])) == count[name], c.server_log()
            # the check the monitors' own logs name for every block
            checks = {f["check"] for name in ("a", "b") for a in c.monitors[name].alerts()
                      for f in a["secaudit"]["policy"]["failed"]}
            assert len(checks) == 1, checks
            check = checks.pop()
            b = Browser(c.ca.cert, f"https://{CENTRAL_NAME}:8443",
                        browser_home / "central-view", cert=c.ca.issue("viewer"), netns=c.labs["a"].ns("central"),
                        resolve=f"MAP {CENTRAL_NAME} 127.0.0.1")
            r = b.run("/blocks", "--dump-dom")
            dom = r.stdout
            assert "Recent blocks per gateway" in dom, (dom, r.stderr[-2000:])
            gw_a = dom.index("<h2>O=SecureAudit test,CN=gw-a <small>3 blocked</small>")
            gw_b = dom.index("<h2>O=SecureAudit test,CN=gw-b <small>2 blocked</small>")
            part_a = dom[gw_a:gw_b] if gw_a < gw_b else dom[gw_a:]
            part_b = dom[gw_b:gw_a] if gw_b < gw_a else dom[gw_b:]
            assert part_a.count(f"<td>{sni['a']}</td>") == 3 and sni["b"] not in part_a
            assert part_b.count(f"<td>{sni['b']}</td>") == 2 and sni["a"] not in part_b
            dom = b.run("/", "--dump-dom").stdout
            top = dom[dom.index("Top failed checks"):]
            assert f"<td>{check}</td><td class=\"n\">5</td>" in top, top
        finally:
            if b:
                b.close()
