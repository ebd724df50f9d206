"""A TLS 1.3-only server on OpenSSL (Python's ssl) serving each connection
in its own thread, for the inline probe suite. `openssl s_server` serves one
connection at a time: while the gateway holds a client's handshake waiting
for its probe, the probe's own connection to the same server would wait
behind it, so the lab needs a server that answers both at once, as real
servers do.

    tls13_server.py CERT KEY ADDR PORT LOG [CLIENT_CA]

With CLIENT_CA it asks every client for a certificate (CertificateRequest),
and takes a handshake without one. It writes one line to LOG per completed
handshake ("done <peer address>"): what the server saw, not what a client
claims. After a handshake it sends "ok\\n" and closes.

TLS13_SERVER_DELAY_MS in the environment delays each handshake (the
server reads nothing before): a probe of it is then slower than the
client's own handshake with another server at that address.
"""
import os
import socket
import ssl
import sys
import threading
import time

cert, key, addr, port, path = sys.argv[1:6]
client_ca = sys.argv[6] if len(sys.argv) > 6 else None
delay = float(os.environ.get("TLS13_SERVER_DELAY_MS", "0")) / 1000
log = open(path, "a", buffering=1)
lock = threading.Lock()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if client_ca:
    ctx.load_verify_locations(client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((addr, int(port)))
lsock.listen(256)


def serve(c, peer):
    try:
        time.sleep(delay)
        c.settimeout(10)
        with ctx.wrap_socket(c, server_side=True) as s:
            with lock:
                log.write(f"done {peer[0]}\n")
            s.sendall(b"ok\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()


while True:
    conn, peer = lsock.accept()
    threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
