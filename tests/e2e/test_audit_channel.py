"""The audit channel end to end: real certificates (openssl CLI), a real
secaudit-server with SQLite and real secaudit-agent processes on 127.0.0.1.
Agents read auditd's dispatcher format on stdin here; test_audit_kernel.py
covers the kernel source."""
import collections
import errno
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import audit_helpers as h  # noqa: E402
from lab import polled  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (h.SERVER.exists() and h.AGENT.exists()),
    reason=f"secaudit-server/agent not built in {h.BIN} (run make)")


@pytest.fixture(scope="module")
def postgres():
    try:
        pg = h.Postgres()
    except RuntimeError as e:
        pytest.skip(f"PostgreSQL store tests need a server: {e}")
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def lab(request, tmp_path):
    lab = h.Lab(tmp_path)
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres")
        # each test its own database
        name = "t" + tmp_path.name.lower().replace("-", "_")[-40:]
        pg.psql(f"DROP DATABASE IF EXISTS {name}")
        pg.psql(f"CREATE DATABASE {name}")
        lab.pg = h.Postgres.__new__(h.Postgres)
        lab.pg.__dict__.update(pg.__dict__)
        lab.pg.uri = pg.uri.replace("/postgres?", f"/{name}?")
        lab.pg.psql = lambda sql, args=(), _n=name: pg.psql(sql, args, db=_n)
    yield lab
    lab.close()


def exactly_once(lab, n, tag):
    assert lab.count("SELECT count(*) FROM events WHERE args LIKE ?",
                     (f'%"{tag}-%',)) == n
    assert lab.count("SELECT count(DISTINCT serial) FROM events "
                     "WHERE args LIKE ?", (f'%"{tag}-%',)) == n


def test_events_arrive_exactly_once_with_content(lab):
    n = 20000
    src = lab.tmp / "events.log"
    src.write_text(h.synth_events(n, tag="once"))
    lab.server()
    t0 = time.time()
    agent = lab.agent("--stdin", stdin=open(src))
    assert agent.wait(60) == 0, agent.text()
    dt = time.time() - t0
    print(f"\n{n} events end to end (spool fsync + server commit) in "
          f"{dt:.2f} s: {n / dt:.0f} events/s")
    exactly_once(lab, n, "once")
    row = lab.count("SELECT count(*) FROM events WHERE exe='/usr/bin/true' "
                    "AND uid=1000 AND auid=1000 AND syscall_name='execve' "
                    "AND success=1 AND key='exec' AND cwd='/home/u' "
                    "AND args='[\"true\",\"once-77\"]'")
    assert row == 1
    # the agent identity is the certificate subject
    assert lab.count("SELECT count(DISTINCT agent) FROM events "
                     "WHERE agent='O=SecureAudit test,CN=agent-1'") == 1
    assert lab.count("SELECT count(*) FROM packages") >= n // 2000


def test_recorded_auditd_log(lab):
    lab.server()
    agent = lab.agent("--stdin", stdin=open(h.RECORDED_LOG))
    assert agent.wait(30) == 0, agent.text()
    # 13 events in the recording (see test_agent_auditrec.c)
    assert lab.count() == 13
    assert lab.count("SELECT count(*) FROM events WHERE exe='/usr/bin/echo' "
                     "AND args='[\"/bin/echo\",\"hello\",\"two words\","
                     "\"\\u0001odd\"]'") == 1


def test_server_killed_and_restarted_midstream(lab):
    n = 30000
    server = lab.server()
    r, w = os.pipe()
    agent = lab.agent("--stdin", "--batch-events", "200", stdin=r)
    os.close(r)
    data = h.synth_events(n, tag="restart").encode()
    chunk = len(data) // 10
    for i in range(10):
        os.write(w, data[i * chunk:(i + 1) * chunk if i < 9 else len(data)])
        time.sleep(0.1)
        if i == 3:
            server.stop(signal.SIGKILL)
        if i == 6:
            server = lab.server(log="server2.log")
    os.close(w)
    assert agent.wait(60) == 0, agent.text()
    exactly_once(lab, n, "restart")


def held(lab, spool="spool", timeout=30):
    """The agent's spooled packages, once it holds none (all acknowledged)
    or timeout seconds have passed."""
    return polled(lambda: [f.name for f in (lab.tmp / spool).iterdir() if f.suffix == ".pkg"],
                  lambda pkgs: not pkgs, timeout)


def spooled_events(spool):
    n = 0
    for f in spool.iterdir():
        if f.suffix == ".pkg":
            n += struct.unpack(">I", f.read_bytes()[9:13])[0]
    return n


def test_agent_kill9_and_restart_resends_spool(lab):
    n1, n2 = 3000, 4000
    server = lab.server()
    r, w = os.pipe()
    agent = lab.agent("--stdin", stdin=r)
    os.close(r)
    os.write(w, h.synth_events(n1, tag="k9").encode())
    assert lab.wait_count(n1) == n1
    # server down: the next events stay in the agent's spool, unacknowledged
    server.stop(signal.SIGKILL)
    os.write(w, h.synth_events(n2, start_serial=n1 + 1, tag="k9").encode())
    spool = lab.tmp / "spool"
    # wait until all n2 are durable in the spool (what is still only in
    # the agent's memory is lost by kill -9, by design), then kill -9
    end = time.time() + 10
    while time.time() < end and spooled_events(spool) < n2:
        time.sleep(0.1)
    assert spooled_events(spool) == n2
    agent.stop(signal.SIGKILL)
    os.close(w)
    held = [f for f in spool.iterdir() if f.suffix == ".pkg"]
    assert held, "nothing was spooled"
    lab.server(log="server2.log")
    again = lab.agent("--stdin", stdin=open(os.devnull), log="agent2.log")
    assert again.wait(30) == 0, again.text()
    exactly_once(lab, n1 + n2, "k9")
    assert not [f for f in spool.iterdir() if f.suffix == ".pkg"]


@pytest.mark.parametrize("kind", ["none", "self-signed", "other-ca",
                                  "expired", "revoked"])
def test_bad_client_certificates_refused(lab, kind):
    revoked = lab.ca.issue("revoked-agent")
    lab.ca.revoke(revoked[0])
    server = lab.server("--crl", lab.ca.crl())
    if kind == "none":
        ctx = ssl.create_default_context(cafile=str(lab.ca.cert))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(socket.create_connection(
                    ("127.0.0.1", lab.port)), server_hostname="localhost") as c:
                c.sendall(b"SA")
                c.recv(1)
        why = "no client certificate"
    else:
        if kind == "self-signed":
            crt, key = h.self_signed(lab.tmp, "selfie")
            why = "self-signed certificate"
        elif kind == "other-ca":
            other = h.CA(lab.tmp / "other", "Other CA")
            crt, key = other.issue("agent-1")
            why = "unable to get local issuer certificate"
        elif kind == "expired":
            crt, key = lab.ca.issue("old", start="20200101000000Z",
                                    end="20200201000000Z")
            why = "certificate has expired"
        else:
            crt, key = revoked
            why = "certificate revoked"
        src = lab.tmp / "ev.log"
        src.write_text(h.synth_events(10, tag="bad"))
        agent = lab.agent("--stdin", cert=crt, key=key, stdin=open(src))

    def told(text):
        return f"certificate verify failed: {why}" in text or (kind == "none" and why in text)
    assert told(polled(server.text, told, timeout=30)), server.text()
    if kind != "none":
        agent.stop()
    assert lab.count() == 0
    assert server.alive()


# --- a hand-made client speaking the wire protocol (audit_wire.h) ---

def frame(ftype, payload, magic=b"SA", version=1):
    return magic + bytes([version, ftype]) + struct.pack(">I", len(payload)) + payload


def hello(stream):
    return frame(1, struct.pack(">QQQH", stream, 0, 0, 3) + b"raw")


def package(seq, events, compress=False):
    body = b"".join(struct.pack(">I", len(e)) + e for e in events)
    data = zlib.compress(body) if compress else body
    return frame(3, struct.pack(">QBII", seq, 1 if compress else 0,
                                len(events), len(body)) + data)


class RawClient:
    def __init__(self, lab):
        ctx = ssl.create_default_context(cafile=str(lab.ca.cert))
        ctx.load_cert_chain(str(lab.agent_cert), str(lab.agent_key))
        self.s = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", lab.port), timeout=10), server_hostname="localhost")
        self.buf = b""

    def send(self, b):
        self.s.sendall(b)

    def frame(self):
        while True:
            if len(self.buf) >= 8:
                n = struct.unpack(">I", self.buf[4:8])[0]
                if len(self.buf) >= 8 + n:
                    f = (self.buf[3], self.buf[8:8 + n])
                    self.buf = self.buf[8 + n:]
                    return f
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d

    def close(self):
        self.s.close()


def ev(serial, tag):
    return (f"type=SYSCALL msg=audit(1700000000.000:{serial}): arch=c000003e "
            f"syscall=59 success=yes exit=0 pid=1 uid=0 auid=0 comm=\"x\" "
            f"exe=\"/bin/{tag}\" key=\"k\"").encode()


def test_replayed_packages_acknowledged_not_stored(lab):
    lab.server()
    c = RawClient(lab)
    c.send(hello(77))
    t, p = c.frame()
    assert t == 2 and struct.unpack(">QQI", p)[:2] == (77, 0)
    c.send(package(1, [ev(1, "a"), ev(2, "a")]))
    assert c.frame() == (4, struct.pack(">Q", 1))
    c.send(package(1, [ev(1, "a"), ev(2, "a")]))     # replay, same session
    assert c.frame() == (4, struct.pack(">Q", 1))
    c.close()
    c = RawClient(lab)                                # replay, new session
    c.send(hello(77))
    t, p = c.frame()
    assert struct.unpack(">QQI", p)[1] == 1           # resume after 1
    c.send(package(1, [ev(1, "a"), ev(2, "a")]))
    assert c.frame() == (4, struct.pack(">Q", 1))
    c.send(package(2, [ev(3, "a")] * 40, compress=True))
    assert c.frame() == (4, struct.pack(">Q", 2))
    c.close()
    assert lab.count("SELECT count(*) FROM packages") == 2
    assert lab.count() == 42


@pytest.mark.parametrize("bad", [
    b"GARBAGE!" * 4,
    frame(3, b"\x00" * 3),                              # truncated PACKAGE
    b"SA\x01\x03\xff\xff\xff\xff",                      # oversized length
    b"SA\x07\x03\x00\x00\x00\x00",                      # unknown version
    None,                                               # lying body length
])
def test_bad_frames_rejected_others_unaffected(lab, bad):
    server = lab.server()
    r, w = os.pipe()
    good = lab.agent("--stdin", stdin=r)
    os.close(r)
    os.write(w, h.synth_events(500, tag="good").encode())
    assert lab.wait_count(500) == 500
    c = RawClient(lab)
    c.send(hello(99))
    assert c.frame()[0] == 2
    if bad is None:
        bad = frame(3, struct.pack(">QBII", 1, 0, 2, 10) + b"\x00\x00\x00\x09abcdef")
    c.send(bad)
    f = c.frame()
    assert f is not None and f[0] == 5, f       # ERROR frame, then close
    assert c.frame() is None
    c.close()
    os.write(w, h.synth_events(500, start_serial=501, tag="good").encode())
    os.close(w)
    assert good.wait(30) == 0, good.text()
    exactly_once(lab, 1000, "good")
    assert server.alive()
    assert any(w in server.text() for w in
               ("malformed", "oversized", "header says")), server.text()


def closing_line(server, port, timeout=20):
    """The server's log line about the connection from local port `port`."""
    end = time.time() + timeout
    while time.time() < end:
        lines = [x for x in server.text().splitlines()
                 if f"closing 127.0.0.1:{port} " in x]
        if lines:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no line about port {port}:\n{server.text()}")


@pytest.mark.parametrize("how", ["mid-record", "garbage", "mid-frame", "close_notify"])
def test_failed_read_logged_with_identity_and_reason(lab, how):
    """A connection the server drops on a failed TLS read gets one line in
    its log: the peer, its certificate's identity, OpenSSL's reason."""
    server = lab.server()
    c = RawClient(lab)
    c.send(hello(31))
    assert c.frame()[0] == 2
    port = c.s.getsockname()[1]
    if how == "mid-record":
        # a TLS application_data record's header promising 300 bytes, 10 sent
        os.write(c.s.fileno(), b"\x17\x03\x03\x01\x2c" + b"x" * 10)
        c.s.shutdown(socket.SHUT_RDWR)
        want = "unexpected eof"
    elif how == "garbage":
        os.write(c.s.fileno(), b"GARBAGE!" * 8)
        want = "SSL routines"
    elif how == "mid-frame":
        c.send(frame(3, b"\x00" * 40)[:20])    # 20 of a frame's 48 bytes
        c.s.shutdown(socket.SHUT_RDWR)
        want = "(20 bytes of a frame unfinished)"
    else:
        c.s.unwrap()
        want = "closed by the peer (close_notify)"
    lines = closing_line(server, port)
    c.close()
    assert len(lines) == 1, lines
    assert "agent-1" in lines[0] and want in lines[0], lines[0]
    assert server.alive()


def test_failed_reads_flood_is_rate_limited(lab):
    """Forty peers sending garbage: twenty lines, the rest counted and not
    logged; the server stays up and serves a good agent."""
    server = lab.server()
    for _ in range(40):
        c = RawClient(lab)
        c.send(hello(32))
        assert c.frame()[0] == 2
        os.write(c.s.fileno(), b"GARBAGE!" * 8)
        c.close()
    end = time.time() + 30
    while time.time() < end and server.text().count("closing 127.0.0.1:") < 20:
        time.sleep(0.05)
    # a good agent served after the flood: by then every garbage peer's
    # input was read (one loop, in order of arrival)
    r, w = os.pipe()
    good = lab.agent("--stdin", stdin=r)
    os.close(r)
    os.write(w, h.synth_events(10, tag="flood").encode())
    os.close(w)
    assert good.wait(30) == 0, good.text()
    exactly_once(lab, 10, "flood")
    told = [x for x in server.text().splitlines() if "closing 127.0.0.1:" in x]
    # twenty a minute: the test takes seconds, so the flood's window is one
    assert len(told) == 20, told
    assert all("SSL routines" in x for x in told), told
    assert server.alive()


def test_spool_overflow_drops_oldest_and_reports(lab):
    # no server: packages pile up in a spool capped at 20 kB
    src = lab.tmp / "ev.log"
    src.write_text(h.synth_events(2000, tag="ovf"))
    agent = lab.agent("--stdin", "--batch-events", "50", "--spool-max", "20000",
                      stdin=open(src))
    dropped = "spool over 20000 bytes: dropped package"
    assert dropped in polled(agent.text, lambda text: dropped in text, timeout=30), agent.text()
    agent.stop()
    total = sum(f.stat().st_size for f in (lab.tmp / "spool").iterdir()
                if f.suffix == ".pkg")
    assert 0 < total <= 20000


@pytest.mark.skipif(not h.CLI.exists(), reason=f"secaudit not built in {h.BIN}")
def test_query_table_json_and_counts(lab):
    import json
    import subprocess
    lab.server()
    src = lab.tmp / "ev.log"
    src.write_text(h.synth_events(30, tag="q") + open(h.RECORDED_LOG).read())
    agent = lab.agent("--stdin", stdin=open(src))
    assert agent.wait(30) == 0, agent.text()
    store = lab.pg.uri if lab.pg else f"sqlite:{lab.db}"

    def q(*args):
        return subprocess.run([str(h.CLI), "query", "--store", store, *args],
                              capture_output=True, text=True, check=True).stdout

    lines = q("--json", "--program", "/usr/bin/echo").splitlines()
    assert len(lines) == 1
    e = json.loads(lines[0])
    assert e["process"]["executable"] == "/usr/bin/echo"
    assert e["process"]["args"] == ["/bin/echo", "hello", "two words", "\x01odd"]
    assert e["event"]["action"] == "executed"
    assert e["event"]["outcome"] == "success"
    assert e["user"]["id"] == "0"
    assert "audit" not in e["user"]          # auid unset (4294967295)
    assert e["auditd"]["data"]["syscall"] == "execve"
    assert e["tags"] == ["sa_test"]
    assert e["secaudit"]["agent"] == "O=SecureAudit test,CN=agent-1"
    assert len(q("--json", "--uid", "1000", "--key", "exec").splitlines()) == 30
    assert len(q("--json", "--syscall", "openat").splitlines()) == 1
    assert q("--json", "--success", "no") == ""
    assert len(q("--json", "--since", "2023-11-14T22:13:20",
                 "--until", "1700000001").splitlines()) == 30
    counts = q("--count", "syscall").split()
    assert counts[:2] == ["36", "execve"]     # 30 + 6 in the recording
    assert q("--count", "agent").split() == ["43", "O=SecureAudit", "test,CN=agent-1"]
    table = q("--limit", "2").splitlines()
    assert table[0].startswith("TIME") and len(table) == 3


def fill_disk(path):
    """Write zeros to path until the file system is full."""
    chunk = b"\0" * (1 << 20)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return
                chunk = chunk[:len(chunk) // 2]


def test_disk_full_server_does_not_acknowledge(lab):
    if lab.pg:
        pytest.skip("disk full is tested with SQLite on a small tmpfs; the "
                    "PostgreSQL backend maps SQLSTATE 53100 the same way, untested")
    if os.geteuid() != 0:
        pytest.skip("not root: cannot mount a small tmpfs for the store")
    full = lab.tmp / "full"
    full.mkdir()
    # The disk is filled by a file once the first events are stored, so when
    # it fills does not depend on the schema's or the WAL's size (a 2 MiB
    # tmpfs left no room for the first package once gateway_events existed)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs",
                        str(full)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {r.stderr.strip()}")
    try:
        lab.db = full / "audit.db"
        server = lab.server(store=f"sqlite:{lab.db}")
        n, first = 6000, 500
        r, w = os.pipe()
        agent = lab.agent("--stdin", "--batch-events", "100", stdin=r)
        os.close(r)
        feed = os.fdopen(w, "w")
        feed.write(h.synth_events(first, tag="full"))
        feed.flush()
        assert lab.wait_count(first) == first, server.text()
        filler = full / "filler"
        fill_disk(filler)
        feed.write(h.synth_events(n - first, start_serial=first + 1, tag="full"))
        feed.close()
        end = time.time() + 30
        while time.time() < end and "not acknowledged" not in server.text():
            time.sleep(0.1)
        assert "not acknowledged" in server.text(), server.text()
        assert agent.alive()
        end = time.time() + 10
        while time.time() < end and "error 2: store" not in agent.text():
            time.sleep(0.1)
        assert "error 2: store" in agent.text(), agent.text()
        stored = lab.count("SELECT count(*) FROM events")
        assert first <= stored < n, (stored, server.text())
        # room again: everything arrives, nothing twice
        filler.unlink()
        assert agent.wait(60) == 0, agent.text()
        exactly_once(lab, n, "full")
        server.stop()
    finally:
        for p in lab.procs:
            p.stop(signal.SIGKILL)
        subprocess.run(["umount", str(full)])


def test_agent_sighup_reads_its_certificate_again(lab):
    """systemctl reload secaudit-agent: a renewed certificate is used from
    the next connection; files that fail keep the previous ones."""
    import shutil
    cert, key = lab.tmp / "agent.pem", lab.tmp / "agent.key"
    shutil.copy(lab.agent_cert, cert)
    shutil.copy(lab.agent_key, key)
    lab.server()
    r, w = os.pipe()
    agent = lab.agent("--stdin", "--batch-ms", "20", cert=cert, key=key, stdin=r)
    os.close(r)
    feed = os.fdopen(w, "w")
    try:
        feed.write(h.synth_events(100, start_serial=1, tag="hup"))
        feed.flush()
        assert lab.wait_count(100) == 100
        assert held(lab) == [], "not acknowledged"   # nothing held for the next identity
        # broken files: refused, the agent goes on with what it had
        key.write_text("not a key\n")
        os.kill(agent.p.pid, signal.SIGHUP)
        feed.write(h.synth_events(100, start_serial=101, tag="hup"))
        feed.flush()
        assert lab.wait_count(200) == 200, agent.text()
        kept = "keeping the previous certificates"
        assert kept in polled(agent.text, lambda text: kept in text, timeout=10), agent.text()
        # a new certificate (another subject, to see it is the one used)
        new_cert, new_key = lab.ca.issue("agent-renewed")
        shutil.copy(new_cert, cert)
        shutil.copy(new_key, key)
        assert held(lab) == [], "not acknowledged"
        os.kill(agent.p.pid, signal.SIGHUP)
        feed.write(h.synth_events(100, start_serial=201, tag="hup"))
        feed.flush()
        assert lab.wait_count(300) == 300, agent.text()
        reloaded = "certificate, key, CA and CRL reloaded"
        assert reloaded in polled(agent.text, lambda text: reloaded in text, timeout=10), \
            agent.text()
        assert lab.count("SELECT count(*) FROM events WHERE agent="
                         "'O=SecureAudit test,CN=agent-renewed'") >= 100
        exactly_once(lab, 300, "hup")
        assert agent.alive()
    finally:
        feed.close()


@pytest.mark.parametrize("point", ["before-write", "after-write"])
def test_alert_log_exactly_once_across_a_crash(lab, point, monkeypatch):
    """The server dies as kill -9 would (its test hook, SECAUDIT_TEST_DIE)
    right after the commit of a round with alerts, before their lines are
    written (before-write: they would be lost), or after writing them but
    before the next round records how far the log got (after-write: they
    would be written twice). After a restart every alert is in the log
    exactly once, in the store's order."""
    rules = tempfile.mkdtemp(prefix="secaudit-rules-")
    os.chmod(rules, 0o755)
    rf = os.path.join(rules, "crash.yaml")
    with open(rf, "w") as f:
        f.write("version: 1\nrules:\n  - id: crash-all\n    sid: 3900301\n"
                "    message: crash\n    match: {argument: \"crash-*\"}\n")
    os.chmod(rf, 0o644)
    log = lab.tmp / "alerts.json"
    n = 400
    src = lab.tmp / "ev.log"
    src.write_text(h.synth_events(n, tag="crash"))
    try:
        monkeypatch.setenv("SECAUDIT_TEST_DIE", point)
        server = lab.server("--rules", rules, "--alert-log", log)
        monkeypatch.delenv("SECAUDIT_TEST_DIE")
        agent = lab.agent("--stdin", "--batch-events", "50", stdin=open(src))
        assert server.wait(30) == -signal.SIGKILL, server.text()
        stored = lab.count("SELECT count(*) FROM alerts")
        assert stored > 0
        lines = log.read_text().splitlines() if log.exists() else []
        if point == "before-write":
            assert len(lines) < stored   # committed, not (all) written
        else:
            assert lines                 # written, position not recorded
        server = lab.server("--rules", rules, "--alert-log", log, log="server2.log")
        assert agent.wait(60) == 0, agent.text()
        assert lab.wait_count(n) == n
        end = time.time() + 20
        while time.time() < end and len(log.read_text().splitlines()) < n:
            time.sleep(0.2)
        time.sleep(1)  # anything more would be a repeat
        got = [json.loads(x)["secaudit"]["audit"]["serial"]
               for x in log.read_text().splitlines()]
        dup = [s for s, c in collections.Counter(got).items() if c > 1]
        assert not dup, f"{len(dup)} alerts written twice, e.g. {dup[:5]}"
        assert sorted(got) == list(range(1, n + 1))
        assert lab.count("SELECT count(*) FROM alerts") == n
        if point == "after-write":
            assert "rewritten from the store" in server.text(), server.text()
        server.stop()
    finally:
        shutil.rmtree(rules, ignore_errors=True)


# --- gateway events (kind 2: EVE lines of secaudit-monitor) on the same channel ---

def hello_kind(stream, kind):
    """A protocol revision 2 HELLO: the name, then revision and kind."""
    return frame(1, struct.pack(">QQQH", stream, 0, 0, 3) + b"raw" + bytes([2, kind]))


def eve_line(flow, sni, checks):
    return json.dumps({
        "timestamp": "2026-11-23T08:53:55.332505+0000", "flow_id": flow,
        "event_type": "alert", "src_ip": "198.18.1.2", "src_port": 40000 + flow,
        "dest_ip": "198.18.2.2", "dest_port": 443, "proto": "TCP",
        "alert": {"action": "blocked", "signature_id": 7},
        "tls": {"sni": sni},
        "secaudit": {"policy": {"zone": "lab", "profile": "demo", "failed": [
            {"rule": f"demo.{c}", "sid": 7, "check": c} for c in checks]}}}).encode()


def test_unknown_package_kind_refused_by_name(lab):
    server = lab.server()
    c = RawClient(lab)
    c.send(hello_kind(5, 9))
    t, p = c.frame()
    assert t == 5, (t, p)
    code, n = struct.unpack(">HH", p[:4])
    assert code == 5 and b"unknown package kind 9" in p[4:4 + n], p
    assert c.frame() is None
    c.close()
    assert "unknown package kind 9" in server.text()
    assert lab.count("SELECT count(*) FROM packages") == 0
    assert server.alive()


def test_gateway_events_stored_once_and_queried(lab):
    """What a monitor ships (kind 2) lands in gateway_events once, with its
    columns, in both stores; secaudit query/alerts read it back."""
    lab.server()
    c = RawClient(lab)
    c.send(hello_kind(41, 2))
    assert c.frame()[0] == 2
    lines = [eve_line(1, "a.lab.test", ["version"]),
             eve_line(2, "b.lab.test", ["version", "certificate.expired"])]
    c.send(package(1, lines, compress=True))
    assert c.frame() == (4, struct.pack(">Q", 1))
    c.send(package(1, lines))                         # a resend
    assert c.frame() == (4, struct.pack(">Q", 1))
    c.close()
    assert lab.count("SELECT count(*) FROM gateway_events") == 2
    assert lab.count("SELECT count(*) FROM gateway_events WHERE gateway LIKE "
                     "'%CN=agent-1' AND action='blocked' AND sni='b.lab.test' AND "
                     "checks='version,certificate.expired' AND zone='lab' AND "
                     "rule='demo.version' AND dest_port=443 AND flow_id=2") == 1
    uri = lab.pg.uri if lab.pg else f"sqlite:{lab.db}"
    out = subprocess.run([h.CLI, "query", "--store", uri, "--gateway-events", "--count",
                          "check"], capture_output=True, text=True, check=True).stdout
    assert [ln.split() for ln in out.splitlines()] == [["2", "version"],
                                                      ["1", "certificate.expired"]]
    out = subprocess.run([h.CLI, "alerts", "--server", uri, "--gateway", "agent-1",
                          "--check", "certificate.expired", "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert [json.loads(ln)["flow_id"] for ln in out.splitlines()] == [2]
