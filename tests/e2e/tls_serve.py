"""What the lab's own TLS servers (tls13_server.py, evasion_server.py) share:
every connection served in its own thread, so that a handshake the gateway
holds never keeps the next one (the gateway's own probe) waiting; "ok\\n"
sent after the handshake; and a log of what the server's TLS stack saw,
one whole line at a time from any thread."""
import socket
import ssl
import threading
import time


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def note(self, line):
        with self.lock:
            self.f.write(line + "\n")


def serve_forever(ctx, addr, port, on_handshake=None, delay=0.0):
    """Accepts on addr:port for ever. Each connection, in its own thread:
    delay seconds without reading, the handshake under ctx (10 s at the
    most), on_handshake(peer address) once it completed, "ok\\n", close."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, int(port)))
    lsock.listen(256)

    def serve(c, peer):
        try:
            time.sleep(delay)
            c.settimeout(10)
            with ctx.wrap_socket(c, server_side=True) as s:
                if on_handshake:
                    on_handshake(peer[0])
                s.sendall(b"ok\n")
        except (OSError, ssl.SSLError):
            pass
        finally:
            c.close()

    while True:
        conn, peer = lsock.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
