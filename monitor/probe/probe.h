/*
 * probe: the gateway's own TLS 1.3 handshake with a server, to learn the
 * certificate chain a TLS 1.3 server hides from the monitor.
 *
 * One probe is one TCP connection, from the gateway's own network stack, to
 * the address and port the client chose, offering what the client offered
 * that decides which certificate a server shows: SNI, ALPN, signature
 * algorithms (an ECDSA-or-RSA server picks by them), groups, status_request.
 * It records the chain as sent (DER), the stapled OCSP response, whether the
 * server sent a CertificateRequest, and closes without application data (a
 * close_notify, then the socket). OpenSSL does the TLS.
 *
 * A QUIC session is probed over TCP (`quic` in the offer): the same
 * address, the QUIC port's number, then 443 when that port refuses TCP
 * (the origin an HTTP/3 server advertises its QUIC port from), its ALPN
 * mapped to TLS over TCP (h3 and h3-* to h2 and http/1.1, doq to dot). A
 * server that speaks QUIC only fails the probe (refused, reset or timeout)
 * and its sessions follow on_probe_failure: the probe has no QUIC stack.
 *
 * probe_run() blocks the calling thread for at most the timeout: it is
 * meant for the prober's pool threads, never for a queue thread. A server
 * that closes first makes the probe's close_notify a write to a closed
 * socket: the process must ignore SIGPIPE, or the thread block it (the
 * prober's threads do).
 */
#ifndef SECAUDIT_PROBE_H
#define SECAUDIT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls.h"

/* What the probe offers: taken from the client's ClientHello. */
struct probe_offer {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t addr[16];           /* network order; IPv4 in the first 4 bytes */
	uint16_t port;
	bool quic;                  /* the client's session is QUIC: probed over TCP */
	bool has_sni;
	char sni[256];
	struct tls_alpn_list alpn;
	uint8_t n_sigalgs;
	uint16_t sigalgs[TLS_MAX_SIGALGS];
	uint8_t n_groups;
	uint16_t groups[TLS_MAX_GROUPS];
	bool status_request;
};

/* Fills an offer from the destination and the client's (first) hello;
 * quic: the hello came in QUIC Initials (its ALPN is mapped, see above). */
void probe_offer_from_hello(struct probe_offer *o, int family, const uint8_t addr[16],
			    uint16_t port, const struct tls_client_hello *ch, bool quic);

enum probe_status {
	PROBE_OK = 0,               /* the chain was read */
	PROBE_TIMEOUT,              /* no answer within the timeout */
	PROBE_REFUSED,              /* connection refused */
	PROBE_RESET,                /* reset or closed before the chain came */
	PROBE_TLS_ERROR,            /* the server would not do TLS 1.3 with this offer */
	PROBE_NO_CERTIFICATE,       /* the handshake went on without a certificate */
	PROBE_ERROR,                /* a local failure (socket, memory) */
	PROBE_RATE_LIMITED,         /* not run: over a rate limit (prober.c) */
	PROBE_STATUS_COUNT
};
/* "ok", "timeout", "refused", "reset", "tls_error", ... */
const char *probe_status_name(enum probe_status s);

#define PROBE_MAX_CHAIN TLS_MAX_CHAIN
#define PROBE_MAX_OCSP (64 * 1024)

/* What a probe learned. Owns its buffers: probe_result_free(). */
struct probe_result {
	enum probe_status status;
	char reason[128];           /* for logs, e.g. the OpenSSL or socket error */
	uint8_t n_certs;
	uint8_t *der[PROBE_MAX_CHAIN];
	uint32_t der_len[PROBE_MAX_CHAIN];
	uint8_t *ocsp;              /* stapled OCSP response (DER), or NULL */
	uint32_t ocsp_len;
	bool cert_request;          /* the server asked for a client certificate */
	uint16_t version, suite;    /* negotiated, 0 when the handshake failed */
	uint64_t latency_us;        /* from connect to the chain (or the failure) */
};

struct probe_config {
	unsigned timeout_ms;        /* whole probe: connect and handshake */
	uint32_t mark;              /* SO_MARK of the probe's socket (0: none) */
};

/* Runs one probe. Always fills r (r->status says how it went); returns 0,
 * or a negative errno for PROBE_ERROR. */
int probe_run(const struct probe_offer *o, const struct probe_config *cfg,
	      struct probe_result *r);
void probe_result_free(struct probe_result *r);

#endif
