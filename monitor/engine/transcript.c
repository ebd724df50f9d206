#include "engine/transcript.h"

#include <arpa/inet.h>
#include <string.h>

#include "tls/fingerprint.h"
#include "tls/tls_names.h"
#include "x509/x509.h"

static void addr(struct buf *out, const struct flow_key *k, int side)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(k->family == 6 ? AF_INET6 : AF_INET, k->addr[side], text, sizeof(text));
	if (k->family == 6)
		buf_printf(out, "[%s]:%u", text, k->port[side]);
	else
		buf_printf(out, "%s:%u", text, k->port[side]);
}

static void client_hello(struct buf *out, const struct tls_client_hello *ch, bool quic)
{
	char hex[7], md5[FP_MD5_HEX], ja4[FP_JA4_LEN];
	struct buf ja3 = { 0 };
	unsigned i;

	buf_printf(out, "      %s, version %s, %u suites", ch->sslv2_format ? "SSLv2 format" : "TLS",
		   tls_version_label(ch->legacy_version, hex), ch->n_suites);
	if (ch->n_versions) {
		buf_puts(out, ", supported_versions");
		for (i = 0; i < ch->n_versions; i++)
			if (!tls_is_grease(ch->versions[i]))
				buf_printf(out, " %s", tls_version_label(ch->versions[i], hex));
	}
	buf_putc(out, '\n');
	if (ch->has_sni)
		buf_printf(out, "      server name %s\n", ch->sni);
	if (ch->alpn.n) {
		buf_puts(out, "      alpn");
		for (i = 0; i < ch->alpn.n; i++) {
			buf_putc(out, ' ');
			buf_put(out, ch->alpn.buf + ch->alpn.id[i].off, ch->alpn.id[i].len);
		}
		buf_putc(out, '\n');
	}
	if (ch->n_key_shares) {
		buf_puts(out, "      key shares");
		for (i = 0; i < ch->n_key_shares; i++) {
			const char *g = tls_group_name(ch->key_shares[i]);

			if (!tls_is_grease(ch->key_shares[i]))
				buf_printf(out, " %s", g ? g : "?");
		}
		buf_putc(out, '\n');
	}
	if (fp_ja3(ch, &ja3, md5))
		buf_printf(out, "      ja3 %s\n", md5);
	if (fp_ja4(ch, quic, ja4))
		buf_printf(out, "      ja4 %s\n", ja4);
	buf_free(&ja3);
}

static void server_hello(struct buf *out, const struct tls_server_hello *sh)
{
	const char *suite = tls_suite_name(sh->suite), *g;
	char hex[7];

	buf_printf(out, "      %sversion %s, cipher %s (0x%04x)", sh->is_hrr ? "HelloRetryRequest, " : "",
		   tls_version_label(sh->selected_version ? sh->selected_version : sh->legacy_version, hex),
		   suite ? suite : "unknown", sh->suite);
	if (sh->key_share && (g = tls_group_name(sh->key_share)))
		buf_printf(out, ", key share %s", g);
	if (sh->has_alpn)
		buf_printf(out, ", alpn %s", sh->alpn);
	buf_putc(out, '\n');
}

static void chain(struct buf *out, const char *who, const struct tls_chain *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		const struct x509_cert *x = c->cert[i];

		buf_printf(out, "      %s cert %u: %s\n", who, i, x->subject);
		buf_printf(out, "        issuer %s; %s %d%s%s; %s; valid %s .. %s\n", x->issuer,
			   x->key_type ? x->key_type : "?", x->key_bits, x->curve ? " " : "",
			   x->curve ? x->curve : "", x->sig_alg ? x->sig_alg : "?",
			   x->not_before, x->not_after);
	}
}

static void hex(struct buf *out, const uint8_t *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		buf_printf(out, "%02x", p[i]);
}

/* The packet-level story of a QUIC connection, before its hellos. */
static void quic_head(struct buf *out, const struct quic_session *q)
{
	char v[9];
	unsigned i;

	quic_version_str(q->version ? q->version : q->first_version, v);
	buf_printf(out, "  QUIC version %s, client connection id ", v);
	hex(out, q->dcid, q->dcid_len);
	buf_printf(out, ", Initials decrypted: client %u, server %u", q->initial[TLS_TO_SERVER],
		   q->initial[TLS_TO_CLIENT]);
	if (q->undecryptable[0] || q->undecryptable[1])
		buf_printf(out, " (%u could not be)", q->undecryptable[0] + q->undecryptable[1]);
	buf_putc(out, '\n');
	if (q->version_negotiation) {
		buf_puts(out, "  S>C Version Negotiation:");
		for (i = 0; i < q->n_vn_versions; i++) {
			quic_version_str(q->vn_versions[i], v);
			buf_printf(out, " %s", v);
		}
		buf_putc(out, '\n');
	}
	if (q->retry)
		buf_printf(out, "  S>C Retry (%u): the Initials after it use new keys\n", q->retry);
}

static void quic_tail(struct buf *out, const struct quic_session *q)
{
	buf_printf(out, "  -- encrypted packets (not decrypted): Handshake client %u server %u, "
		   "0-RTT %u, 1-RTT client %u server %u\n",
		   q->handshake[TLS_TO_SERVER] - q->handshake_decrypted[TLS_TO_SERVER],
		   q->handshake[TLS_TO_CLIENT] - q->handshake_decrypted[TLS_TO_CLIENT], q->zero_rtt,
		   q->short_hdr[TLS_TO_SERVER], q->short_hdr[TLS_TO_CLIENT]);
}

void transcript_session(struct buf *out, unsigned long n, const struct engine_session *es)
{
	const struct tls_session *s = &es->tls;
	const struct flow *f = es->flow;
	unsigned i, ch = 0, sh = 0, al = 0;
	bool shown_cert[2] = { false, false };
	char hex[7];

	if (n)
		buf_printf(out, "#%lu ", n);
	else
		buf_puts(out, "# ");     /* numbered by the caller */
	addr(out, &f->key, f->client);
	buf_puts(out, " -> ");
	addr(out, &f->key, !f->client);
	if (s->version)
		buf_printf(out, "  %s", tls_version_label(s->version, hex));
	if (s->suite && tls_suite_name(s->suite))
		buf_printf(out, "  %s", tls_suite_name(s->suite));
	if (s->resumption)
		buf_puts(out, "  (resumed)");
	buf_puts(out, es->quic ? "  QUIC\n" : "\n");
	if (es->quic)
		quic_head(out, es->quic);
	for (i = 0; i < s->n_msgs; i++) {
		const struct tls_msg *m = &s->msgs[i];
		const char *arrow = m->dir == TLS_TO_SERVER ? "C>S" : "S>C";
		const char *name;

		switch (m->type) {
		case TLS_MSG_CCS: name = "ChangeCipherSpec"; break;
		case TLS_MSG_APPDATA: name = "ApplicationData"; break;
		case TLS_MSG_ENCRYPTED: name = "encrypted handshake (Finished)"; break;
		case TLS_MSG_HEARTBEAT: name = "Heartbeat"; break;
		case TLS_MSG_ALERT: name = "Alert"; break;
		default: name = tls_handshake_name(m->type); break;
		}
		buf_printf(out, "  %s %s%s\n", arrow, name ? name : "unknown message",
			   m->decrypted ? " (decrypted)" : "");
		if (m->type == 1 && m->dir == TLS_TO_SERVER && ch < s->n_client_hellos)
			client_hello(out, &s->client_hello[ch++], s->quic);
		else if (m->type == 2 && m->dir == TLS_TO_CLIENT && sh < s->n_server_hellos)
			server_hello(out, &s->server_hello[sh++]);
		else if (m->type == 11 && !shown_cert[m->dir]) {
			shown_cert[m->dir] = true;
			if (m->dir == TLS_TO_CLIENT)
				chain(out, "server", &s->server_chain);
			else if (s->client_chain.n)
				chain(out, "client", &s->client_chain);
			else
				buf_puts(out, "      (no client certificate)\n");
		} else if (m->type == 15 && m->decrypted && s->cert_verify[m->dir]) {
			const char *alg = tls_sigalg_name(s->cert_verify[m->dir]);

			buf_printf(out, "      signature scheme %s\n",
				   alg ? alg : tls_code_hex(s->cert_verify[m->dir], hex));
		} else if (m->type == TLS_MSG_ALERT) {
			/* Alerts are recorded in order, one msg per alert record. */
			while (al < s->n_alerts && s->alerts[al].dir != m->dir)
				al++;
			if (al < s->n_alerts) {
				const struct tls_alert *a = &s->alerts[al++];
				const char *d = tls_alert_name(a->description);

				if (a->encrypted)
					buf_puts(out, "      (encrypted)\n");
				else
					buf_printf(out, "      %s %s\n", a->level == 2 ? "fatal" : "warning",
						   d ? d : "unknown");
			}
		}
	}
	if (es->quic)
		quic_tail(out, es->quic);
	if (s->encrypted[0] || s->encrypted[1])
		buf_puts(out, s->version != 0x0304 ? "  -- encrypted from here on\n" :
			 s->keys == TLS_KEYS_DECRYPTING ?
			 "  -- encrypted from here on (handshake decrypted with the key log)\n" :
			 s->keys == TLS_KEYS_FAILED ?
			 "  -- encrypted from here on (the key log's secrets did not decrypt it)\n" :
			 "  -- encrypted from here on (TLS 1.3 hides the certificates)\n");
	buf_putc(out, '\n');
}
