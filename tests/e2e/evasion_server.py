"""The evasion suite's server: a TLS server on OpenSSL (Python's ssl) that
writes down, one line each, every ClientHello its TLS stack received (the
SHA-256 of the handshake message, and its server name): that record, not
what a client saw, tells whether a handshake got past the gateway.

    evasion_server.py CERT KEY ADDR PORT LOG

After a handshake it sends "ok\\n" and closes. Old versions are accepted
(security level 0) so that a ClientHello below the policy's version floor
is recorded, not refused before the callback runs.
"""
import hashlib
import ssl
import sys

from tls_serve import Log, serve_forever

cert, key, addr, port, path = sys.argv[1:6]
log = Log(path)


def on_message(conn, direction, version, content_type, msg_type, data):
    # a ClientHello handshake message read from the wire (RFC 8446 4.1.2)
    if direction == "read" and int(content_type) == 22 and data[:1] == b"\x01":
        log.note("hello " + hashlib.sha256(bytes(data)).hexdigest())


def on_sni(sslobj, name, ctx):
    log.note(f"sni {name}")


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
ctx.set_ciphers("ALL:@SECLEVEL=0")
ctx.sni_callback = on_sni
ctx._msg_callback = on_message

serve_forever(ctx, addr, port)
