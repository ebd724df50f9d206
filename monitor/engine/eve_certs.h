/*
 * eve_certs: each distinct certificate's facts, formatted for the log once.
 *
 * A busy server's certificate is sent in thousands of handshakes; its
 * subject, issuer, serial, fingerprint, dates and names are escaped and
 * formatted the first time and copied after that. Entries are keyed by the
 * certificate's SHA-256 fingerprint in a fixed number of slots (a newcomer
 * takes its slot's place), so the memory is bounded whatever the capture.
 * One cache per writer thread: nothing is locked.
 */
#ifndef SECAUDIT_EVE_CERTS_H
#define SECAUDIT_EVE_CERTS_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "x509/x509.h"

struct eve_certs;

/* slots: how many certificates are kept (rounded up to a power of two).
 * NULL on allocation failure. */
struct eve_certs *eve_certs_new(size_t slots);
/* NULL is fine. */
void eve_certs_free(struct eve_certs *c);

/* Writes Suricata's facts of a leaf ("subject", "issuerdn", "serial",
 * "fingerprint", "notbefore", "notafter", "subjectaltname") into j's open
 * object; c may be NULL (formatted without caching). */
void eve_certs_facts(struct eve_certs *c, struct json *j, const struct x509_cert *cert);
/* Writes the certificate's detail object (secaudit.tls.server_chain[i]) as
 * one value; c may be NULL. */
void eve_certs_detail(struct eve_certs *c, struct json *j, const struct x509_cert *cert);

#endif
