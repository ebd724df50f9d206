"""The evasion suite's server-side fake: a real TLS 1.2 server (OpenSSL
through Python's ssl, on a real TCP socket) that, before its own flight,
injects a fake one (python3-scapy raw packet, the same sequence numbers)
presenting another certificate, made so that the client's TCP never takes
it in. The client's record of the certificate it received is the oracle.

    evasion_fake_server.py REAL_CERT REAL_KEY FAKE_CERT FAKE_KEY ADDR PORT TECH

TECH: ttl (the fake dies one hop past the gateway, at the client's
router), badsum (wrong TCP checksum), badack (acknowledges data the client
never sent), none (no fake: the real flight alone). Prints "ready" once
listening. Each connection: the ClientHello is read, both flights are made
from it, the fake is sent, then the real one, and the real handshake goes
on; after it "ok\\n" is sent and the connection closed.
"""
import socket
import ssl
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, conf

conf.verb = 0
real_cert, real_key, fake_cert, fake_key, addr, port, tech = sys.argv[1:8]
port = int(port)
FAKE_TTL = 3          # the server's router and the gateway forward it, crtr drops it
FAKE_LEAD = 0.05      # the fake goes this long before the real flight
synacks = {}          # client port -> the SYN+ACK's (seq, ack)
seen = threading.Condition()


def context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # TLS 1.2: the certificate is in clear, for the gateway to judge
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


REAL, FAKE = context(real_cert, real_key), context(fake_cert, fake_key)


def on_synack(p):
    with seen:
        synacks[p[TCP].dport] = (p[TCP].seq, p[TCP].ack)
        seen.notify_all()


def synack_of(cport, timeout=5):
    with seen:
        seen.wait_for(lambda: cport in synacks, timeout=timeout)
        return synacks.pop(cport, None)


def flight(ssl_obj, out):
    """Runs the handshake as far as the bytes in its input allow; returns
    what it wrote."""
    try:
        ssl_obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def send_fake(cip, cport, seq, ack, data):
    sock = conf.L3socket()
    try:
        for off in range(0, len(data), 1200):
            tcp = TCP(sport=port, dport=cport, flags="PA", seq=(seq + off) & 0xffffffff,
                      ack=ack & 0xffffffff, window=65535)
            ttl = 64
            if tech == "ttl":
                ttl = FAKE_TTL
            elif tech == "badsum":
                tcp.chksum = 0xdead
            elif tech == "badack":
                tcp.ack = (ack + 100000) & 0xffffffff
            sock.send(IP(src=addr, dst=cip, ttl=ttl) / tcp / data[off:off + 1200])
    finally:
        sock.close()


def serve(c, peer):
    try:
        c.settimeout(10)
        sa = synack_of(peer[1])
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        finc, fout = ssl.MemoryBIO(), ssl.MemoryBIO()
        real = REAL.wrap_bio(inc, out, server_side=True)
        fake = FAKE.wrap_bio(finc, fout, server_side=True)
        got, mine = 0, b""
        while not mine:
            data = c.recv(16384)
            if not data:
                return
            got += len(data)
            inc.write(data)
            finc.write(data)
            mine = flight(real, out)
        theirs = flight(fake, fout)
        if tech != "none" and sa:
            send_fake(peer[0], peer[1], sa[0] + 1, sa[1] + got, theirs)
            time.sleep(FAKE_LEAD)
        c.sendall(mine)
        while True:
            try:
                real.do_handshake()
                break
            except ssl.SSLWantReadError:
                c.sendall(out.read())
                data = c.recv(16384)
                if not data:
                    return
                inc.write(data)
        real.write(b"ok\n")
        c.sendall(out.read())
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()


sniffer = AsyncSniffer(filter=f"tcp and src port {port}", store=False,
                       lfilter=lambda p: TCP in p and (p[TCP].flags & 0x12) == 0x12,
                       prn=on_synack)
sniffer.start()
time.sleep(0.3)
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((addr, port))
lsock.listen(64)
print("ready", flush=True)
while True:
    conn, who = lsock.accept()
    threading.Thread(target=serve, args=(conn, who), daemon=True).start()
