"""A real ClientHello record from OpenSSL (Python's ssl over memory BIOs),
for the lab's clients that send it their own way (in pieces, reordered,
behind fakes). Importable from scripts run in a namespace: E2E is the
directory to put on their sys.path."""
import os
import ssl

E2E = os.path.dirname(os.path.abspath(__file__))


def client_context():
    """A client context that verifies nothing: the server is not the point."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_hello(sni, ctx=None):
    """The ClientHello record that ctx (default: client_context()) sends
    first to sni."""
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = (ctx or client_context()).wrap_bio(inb, outb, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outb.read()
