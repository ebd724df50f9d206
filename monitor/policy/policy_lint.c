#include <stdio.h>

#include "policy/policy_lint.h"
#include "policy/rules.h"

#define TLS13_BIT (1u << (0x0304 - 0x0300))   /* struct policy_profile.versions */

/* The certificate checks a profile makes on the server's chain. */
static bool has_server_cert_checks(const struct policy_profile *pr)
{
	unsigned c;

	for (c = POLICY_CHK_CERT_MISSING; c <= POLICY_CHK_CERT_OCSP_MISSING; c++)
		if (c != POLICY_CHK_CERT_HIDDEN && pr->rule[c])
			return true;
	return pr->rule[POLICY_CHK_CERT_OCSP_INVALID] != 0;
}

/*
 * TLS 1.3 encrypts the Certificate messages (RFC 8446 section 2): a profile
 * that allows TLS 1.3 with tls13_certificates: allow (the default) and asks
 * for certificate checks gets none of them on a TLS 1.3 session, so "must
 * chain to my CA" lets a rogue server through over TLS 1.3. A probing
 * profile (tls13_certificates: probe) judges them.
 */
unsigned policy_lint(const struct policy *p, policy_lint_fn warn, void *arg)
{
	unsigned n = 0;
	size_t i;
	char msg[512];

	for (i = 0; i < p->n_profiles; i++) {
		const struct policy_profile *pr = &p->profiles[i];
		bool tls13 = !pr->rule[POLICY_CHK_VERSION] || (pr->versions & TLS13_BIT);
		bool server = has_server_cert_checks(pr);
		bool client = pr->client_cert.enabled && pr->client_cert.required;

		if (!tls13 || pr->tls13_probe || pr->tls13_certs != POLICY_ACTION_NONE ||
		    (!server && !client))
			continue;
		snprintf(msg, sizeof(msg),
			 "profile '%s' allows TLS 1.3 with tls13_certificates: allow (also the "
			 "default), "
			 "so its %s requirements are not enforced on TLS 1.3 sessions (their "
			 "certificates are encrypted); set tls13_certificates: probe (the gateway "
			 "fetches the server's chain itself and judges it), or alert, drop or "
			 "reject", pr->name,
			 server && client ? "certificate and client_certificate" :
			 server ? "certificate" : "client_certificate");
		warn(arg, msg);
		n++;
	}
	return n;
}
