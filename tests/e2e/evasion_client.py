"""The evasion suite's client: raw TCP (python3-scapy) from the client
namespace, the tricks of DPI-circumvention tools (zapret, GoodbyeDPI,
Geneva): a fake ClientHello naming an allowed host, made so that the
server's TCP never takes it in, with the real one beside it.

    evasion_client.py DST KIND:TECHNIQUE...

Each attempt is a connection of its own. KIND says what the real ClientHello breaks: sni (names blocked.lab.test),
version (offers TLS 1.0-1.1 only), ja4 (a TLS 1.2 hello whose JA4 the rules
deny), or allowed (breaks nothing: a false-positive check). Prints one JSON
line per attempt: the SHA-256 of the real and fake handshake messages (the
server logs the same hash for every ClientHello it reads) and whether a TLS
record came back from the server. The kernel's own RSTs for this connection must be
dropped by the caller (an iptables OUTPUT rule in the namespace).
"""
import hashlib
import json
import random
import ssl
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, conf, fragment, sr1

import tls_hello

conf.verb = 0
PORT = 443
DST = None
GAP = 0.03          # between packets, so they leave in the order written
WAIT = 0.4          # for the server's answer, at the least
ANSWER_WAIT = 5     # at the most, while neither an answer nor a reset came back
FAKE_TTL = 3        # crtr and the gateway forward it, the router past the gateway drops it
SOCK = None         # one raw socket for every packet
SNIFFER = None      # one capture of the server's packets for every attempt
ANSWERED = set()    # client ports the server sent a TLS record to
ENDED = {}          # client port: set once a record or a reset came from the server's side


def client_hello(name, kind="normal"):
    """A real ClientHello record from OpenSSL, of an old version (kind
    version) or TLS 1.2 only with two suites (ja4)."""
    ctx = tls_hello.client_context()
    if kind == "version":
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    elif kind == "ja4":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    return tls_hello.client_hello(name, ctx)


class Conn:
    def __init__(self, timestamps=False):
        """timestamps: the SYN offers RFC 7323 timestamps, and every
        segment carries one (TSval counting up from tsval, TSecr the
        server's)."""
        self.sport = random.randint(20000, 60000)
        ENDED[self.sport] = threading.Event()
        self.isn = random.randint(0, 2**32 - 1)
        self.tsval = random.randint(1 << 20, 1 << 30) if timestamps else None
        opts = [("MSS", 1460)] + ([("Timestamp", (self.tsval, 0))] if timestamps else [])
        syn = IP(dst=DST) / TCP(sport=self.sport, dport=PORT, flags="S", seq=self.isn,
                                options=opts)
        sa = sr1(syn, timeout=3)
        if sa is None or TCP not in sa or (sa[TCP].flags & 0x12) != 0x12:
            raise SystemExit(json.dumps({"error": "no SYN+ACK"}))
        self.tsecr = dict(sa[TCP].options).get("Timestamp", (0, 0))[0]
        self.seq = self.isn + 1
        self.ack = sa[TCP].seq + 1
        self.seg(b"", flags="A")

    def seg(self, data, off=0, flags="PA", ttl=64, ack=None, seq=None, chksum=None, options=None,
            ts_back=0):
        """One segment of data at offset off of the client's stream;
        ts_back: its timestamp that much older than the last one."""
        options = list(options or [])
        if self.tsval is not None:
            self.tsval += 1
            options.append(("Timestamp", ((self.tsval - ts_back) & 0xffffffff, self.tsecr)))
        tcp = TCP(sport=self.sport, dport=PORT, flags=flags,
                  seq=(self.seq + off if seq is None else seq) & 0xffffffff,
                  ack=(self.ack if ack is None else ack) & 0xffffffff,
                  window=65535, options=options)
        if chksum is not None:
            tcp.chksum = chksum
        SOCK.send(IP(dst=DST, ttl=ttl) / tcp / data)
        time.sleep(GAP)

    def frags(self, data, size, ttl=64):
        pkt = IP(dst=DST, ttl=ttl) / TCP(sport=self.sport, dport=PORT, flags="PA",
                                       seq=self.seq, ack=self.ack, window=65535) / data
        for f in fragment(pkt, fragsize=size):
            SOCK.send(f)
            time.sleep(GAP)

    def finish(self, length):
        # a loaded machine may take longer than WAIT to judge and answer:
        # the server's record, or the monitor's reset, ends the wait
        time.sleep(WAIT)
        ENDED[self.sport].wait(ANSWER_WAIT - WAIT)
        self.seg(b"", off=length, flags="R")
        return self.sport


def attempt(TECH, KIND):
    real = client_hello("allowed.lab.test" if KIND != "sni" else "blocked.lab.test",
                        KIND if KIND in ("version", "ja4") else "normal")
    fake = client_hello("allowed.lab.test")
    c = Conn(timestamps=TECH in ("ts", "fin_ts", "fin_ts_mid"))
    md5 = [(19, bytes(16))]        # RFC 2385 signature, never negotiated
    half = len(real) // 2
    if TECH == "plain":
        c.seg(real)
    elif TECH == "ttl":              # dies one hop after the gateway
        c.seg(fake, ttl=FAKE_TTL)
        c.seg(real)
    elif TECH == "badsum":
        c.seg(fake, chksum=0xdead)
        c.seg(real)
    elif TECH == "badack":           # acknowledges data the server never sent
        c.seg(fake, ack=c.ack + 100000)
        c.seg(real)
    elif TECH == "md5":
        c.seg(fake, options=md5)
        c.seg(real)
    elif TECH == "ttl_disorder":     # zapret fakeddisorder: second part first
        c.seg(real[10:], off=10)
        c.seg(fake, ttl=FAKE_TTL)
        c.seg(real[:10])
    elif TECH == "ts":               # zapret fooling=ts: an old timestamp, PAWS (RFC 7323 5)
        c.seg(fake, ts_back=600000)
        c.seg(real)
    elif TECH == "fin_ts":           # a FIN the server discards (PAWS), then the real hello
        c.seg(b"", flags="FA", ts_back=600000)
        c.seg(real)
    elif TECH == "fin_ts_mid":       # the same FIN between the two halves of the real hello
        c.seg(real[:half])
        c.seg(b"", off=half, flags="FA", ts_back=600000)
        c.seg(real[half:], off=half)
    elif TECH == "badseq":           # zapret badseq: seq -10000, ack -66000
        c.seg(fake, seq=c.seq - 10000, ack=c.ack - 66000)
        c.seg(real)
    elif TECH == "noack":            # data without ACK: discarded (RFC 9293)
        c.seg(fake, flags="P")
        c.seg(real)
    elif TECH == "syn_data":         # a fake on a SYN inside the connection
        c.seg(fake, flags="S", seq=c.isn)
        c.seg(real)
    elif TECH == "rst_ttl":          # a reset that never arrives, then the real one
        c.seg(fake, flags="R", ttl=FAKE_TTL)
        c.seg(real)
    elif TECH == "rst_badseq":       # a reset the server ignores (RFC 5961)
        c.seg(fake, flags="RA", seq=c.seq + 5000)
        c.seg(real)
    elif TECH == "split_fake":       # zapret fakedsplit: each part after its fake
        c.seg(fake[:half], ttl=FAKE_TTL)
        c.seg(real[:half])
        c.seg(fake[half:], off=half, ttl=FAKE_TTL)
        c.seg(real[half:], off=half)
    elif TECH == "disorder_fake":    # the second part, then a fake first part, then the real
        c.seg(real[half:], off=half)
        c.seg(fake[:half], ttl=FAKE_TTL)
        c.seg(real[:half])
    elif TECH == "fake_after_real_part":  # first real part, then a fake of the rest
        c.seg(real[:half])
        c.seg(fake[half:], off=half, chksum=0xbeef)
        c.seg(real[half:], off=half)
    elif TECH == "frag":             # the real hello in IP fragments
        c.frags(real, 64)
    elif TECH == "frag_fake":        # a fake fragment train that dies, then the real one
        c.frags(fake, 64, ttl=FAKE_TTL)
        c.frags(real, 64)
    elif TECH == "dup":              # no evasion: the same segment twice
        c.seg(real)
        c.seg(real)
    elif TECH == "disorder":         # no evasion: the second part first
        c.seg(real[half:], off=half)
        c.seg(real[:half])
    elif TECH == "retrans":          # no evasion: a part resent
        c.seg(real[:half])
        c.seg(real[:half])
        c.seg(real[half:], off=half)
        c.seg(real[half:], off=half)
    else:
        raise SystemExit(f"unknown technique {TECH}")
    return {"kind": KIND, "tech": TECH, "sport": c.finish(len(real)),
            "real": hashlib.sha256(real[5:]).hexdigest(),
            "fake": hashlib.sha256(fake[5:]).hexdigest()}


def heard(p):
    """The sniffer's callback, for each packet from the server's port."""
    ended = ENDED.get(p[TCP].dport)
    if bytes(p[TCP].payload)[:1] == b"\x16":
        ANSWERED.add(p[TCP].dport)
    elif not p[TCP].flags & 0x04:
        return
    if ended:
        ended.set()


def main():
    global DST, SOCK, SNIFFER
    DST = sys.argv[1]
    SOCK = conf.L3socket()
    started = threading.Event()
    SNIFFER = AsyncSniffer(lfilter=lambda p: TCP in p and p[TCP].sport == PORT, prn=heard,
                           store=False, started_callback=started.set)
    SNIFFER.start()
    if not started.wait(30):
        raise SystemExit(json.dumps({"error": "the capture did not start"}))
    done = [attempt(*arg.split(":")[::-1]) for arg in sys.argv[2:]]
    SNIFFER.stop()
    for d in done:
        d["server_answered"] = d["sport"] in ANSWERED
        print(json.dumps(d))


if __name__ == "__main__":
    main()
