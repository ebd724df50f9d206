"""The web view of secaudit-server end to end: a server with --web, audit
alerts stored through the real channel (secaudit-agent, events on stdin,
rules on the server), gateway blocks in the store; read by curl (each JSON
endpoint), by raw TLS requests (refusals) and by a real browser: Debian's
chromium, headless, presenting a client certificate from an NSS database
under a private HOME, chosen by the AutoSelectCertificateForUrls policy.
Every process is started here and stopped by its pid."""
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import audit_helpers as h
from lab import skip_loudly

CHROMIUM = shutil.which("chromium")
POLICY_DIR = Path("/etc/chromium/policies/managed")

RULE = ("version: 1\nrules:\n  - id: web-true\n    sid: 3900777\n"
        "    message: \"true ran <with> 'quotes'\"\n    severity: 2\n"
        "    match: {\"program\": \"/usr/bin/true\"}\n")

# (gateway, SNI, failed checks, seconds ago): certificate.expired fails
# three times, the other checks once each
BLOCKS = [
    ("CN=gw-a", "expired-a.example.test", "certificate.expired", 30),
    ("CN=gw-a", "old-a.example.test", "certificate.expired,version", 90),
    ("CN=gw-b", "expired-b.example.test", "certificate.expired", 60),
    ("CN=gw-b", "<b>bad</b>.example.test", "certificate.untrusted", 120),
]


class Web:
    """A server with its web view, a viewer and a revoked certificate."""

    def __init__(self, tmp: Path):
        self.lab = h.Lab(tmp)
        ca = self.lab.ca
        self.viewer = ca.issue("viewer")
        self.revoked = ca.issue("revoked-viewer")
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


def store_blocks(db: Path):
    """Gateway blocks as the server stores monitors' EVE alerts
    (store.h, gateway_events)."""
    c = sqlite3.connect(db, timeout=10)
    now = time.time()
    with c:
        for i, (gw, sni, checks, ago) in enumerate(BLOCKS):
            line = json.dumps({"event_type": "alert", "tls": {"sni": sni},
                               "alert": {"action": "blocked"}})
            c.execute("INSERT INTO gateway_events(gateway, stream, seq, idx, time,"
                      " event_type, src_ip, src_port, dest_ip, dest_port, proto, sni,"
                      " action, checks, rule, profile, zone, json) VALUES"
                      " (?,1,?,0,?,'alert','198.18.1.2',40000,'198.18.2.2',443,'TCP',?,"
                      " 'blocked',?,?,'baseline','default',?)",
                      (gw, i + 1, now - ago, sni, checks,
                       "baseline." + checks.split(",")[0], line))
    c.close()


@pytest.fixture
def web(tmp_path):
    if not h.SERVER.exists() or not h.AGENT.exists():
        skip_loudly(f"secaudit-server/agent not built in {h.BIN}")
    w = Web(tmp_path)
    try:
        src = tmp_path / "ev.log"
        src.write_text(h.synth_events(3, tag="web"))
        agent = w.lab.agent("--stdin", stdin=open(src))
        assert agent.wait(60) == 0, agent.text()
        assert w.lab.wait_count(3, sql="SELECT count(*) FROM alerts") == 3, w.server.text()
        store_blocks(w.lab.db)
        yield w
    finally:
        w.close()


def test_json_endpoints(web):
    blocks = web.api("/api/blocks")["blocks"]
    got = sorted((b["gateway"], b["sni"]) for b in blocks)
    assert got == sorted((g, s) for g, s, _, _ in BLOCKS), blocks
    b = next(b for b in blocks if b["sni"] == "old-a.example.test")
    assert b["checks"] == ["certificate.expired", "version"]
    assert (b["src_ip"], b["dest_ip"], b["dest_port"], b["action"]) == \
        ("198.18.1.2", "198.18.2.2", 443, "blocked")
    only = web.api("/api/blocks?gateway=CN%3Dgw-b&limit=1")["blocks"]
    assert [x["sni"] for x in only] == ["expired-b.example.test"]

    checks = web.api("/api/checks")["checks"]
    assert checks[0] == {"check": "certificate.expired", "blocks": 3}, checks
    assert {c["check"]: c["blocks"] for c in checks} == {
        "certificate.expired": 3, "version": 1, "certificate.untrusted": 1}

    tl = web.api("/api/timeline?hours=2&bucket=600")
    assert tl["bucket"] == 600 and len(tl["buckets"]) == 12
    assert sum(x["blocks"] for x in tl["buckets"]) == len(BLOCKS)

    audit = web.api("/api/audit")["alerts"]
    assert len(audit) == 3, audit
    for a in audit:
        assert a["host"] == "O=SecureAudit test,CN=agent-1" or "agent-1" in a["host"], a
        assert a["signature_id"] == 3900777 and a["program"] == "/usr/bin/true"
    assert web.api("/api/audit?host=nobody")["alerts"] == []


def test_pages_escape_and_headers(web):
    r = web.curl("/blocks", extra=["-i"])
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split("\n\n", 1)  # text mode made CRLF LF
    assert head.startswith("HTTP/1.1 200 OK")
    assert "Content-Security-Policy: default-src 'none'; style-src 'self'" in head
    assert "&lt;b&gt;bad&lt;/b&gt;.example.test" in body
    assert "<b>bad</b>" not in body
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
    assert web.api("/api/checks")["checks"][0]["check"] == "certificate.expired"
    assert web.server.alive()


# ---- the browser ----

def chromium_missing():
    if not CHROMIUM:
        return "chromium not installed (Debian package chromium)"
    if not shutil.which("certutil") or not shutil.which("pk12util"):
        return "certutil/pk12util missing (Debian package libnss3-tools)"
    if os.geteuid() != 0:
        return "not root: the browser's policy lives in /etc/chromium/policies"
    return None


class Browser:
    """chromium headless with its own HOME: an NSS database trusting the
    test CA and holding cert (if any); a managed policy file (removed by
    close) makes it present that certificate to the web view unasked."""

    def __init__(self, web, home: Path, cert=None):
        self.web = web
        self.home = home
        db = home / ".pki" / "nssdb"
        db.mkdir(parents=True)
        nss = f"sql:{db}"
        h.run("certutil", "-N", "-d", nss, "--empty-password")
        h.run("certutil", "-A", "-n", "test-ca", "-t", "C,,", "-i", web.lab.ca.cert,
              "-d", nss)
        if cert:
            p12 = home / "viewer.p12"
            h.run("openssl", "pkcs12", "-export", "-in", cert[0], "-inkey", cert[1],
                  "-out", p12, "-passout", "pass:")
            h.run("pk12util", "-i", p12, "-d", nss, "-W", "")
        POLICY_DIR.mkdir(parents=True, exist_ok=True)
        self.policy = POLICY_DIR / f"secaudit-test-{os.getpid()}-{web.port}.json"
        pattern = json.dumps({"pattern": web.base, "filter": {}})
        self.policy.write_text(json.dumps({"AutoSelectCertificateForUrls": [pattern]}))

    def run(self, path, *what):
        env = dict(os.environ, HOME=str(self.home))
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", f"--user-data-dir={self.home / 'profile'}",
                            "--window-size=1200,1600", *what, self.web.base + path],
                           capture_output=True, text=True, timeout=120, env=env,
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
    b = Browser(web, browser_home / "with-cert", cert=web.viewer)
    try:
        r = b.run("/", "--dump-dom")
        dom = r.stdout
        assert "<h1>Overview</h1>" in dom, (r.stdout, r.stderr[-2000:])
        # each gateway with its number of blocks, the top check first
        assert ">CN=gw-a</a></td><td class=\"n\">2</td>" in dom, dom
        assert ">CN=gw-b</a></td><td class=\"n\">2</td>" in dom, dom
        checks = dom[dom.index("Top failed checks"):]
        assert checks.index("certificate.expired") < checks.index("certificate.untrusted")
        assert "<td>certificate.expired</td><td class=\"n\">3</td>" in checks
        r = b.run("/blocks", "--dump-dom")
        dom = r.stdout
        a, bb = dom.index("<h2>CN=gw-a"), dom.index("<h2>CN=gw-b")
        part_a = dom[a:bb] if a < bb else dom[a:]
        part_b = dom[bb:a] if bb < a else dom[bb:]
        assert "expired-a.example.test" in part_a and "old-a.example.test" in part_a
        assert "expired-b.example.test" in part_b
        # what came from the wire stays text: no <b> element was made
        assert "&lt;b&gt;bad&lt;/b&gt;.example.test" in part_b
        assert "<b>bad</b>" not in dom
        shot = browser_home / "overview.png"
        r = b.run("/", f"--screenshot={shot}")
        assert shot.exists() and shot.stat().st_size > 10000, r.stderr[-2000:]
    finally:
        b.close()


def test_browser_without_certificate_is_refused(web, browser_home):
    b = Browser(web, browser_home / "no-cert")
    try:
        r = b.run("/", "--dump-dom")
        assert "Overview" not in r.stdout and "CN=gw-a" not in r.stdout, r.stdout
    finally:
        b.close()
    assert "web: refused a client: no client certificate" in web.server.text()
