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
import ssl
import sys

from tls_serve import Log, serve_forever

cert, key, addr, port, path = sys.argv[1:6]
client_ca = sys.argv[6] if len(sys.argv) > 6 else None
log = Log(path)

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if client_ca:
    ctx.load_verify_locations(client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL

serve_forever(ctx, addr, port, on_handshake=lambda peer: log.note(f"done {peer}"),
              delay=float(os.environ.get("TLS13_SERVER_DELAY_MS", "0")) / 1000)
