/*
 * eve_quic: the quic event. See eve_quic.h.
 */
#include "engine/eve_quic.h"

#include <string.h>

#include "tls/fingerprint.h"
#include "tls/tls_names.h"

/* Suricata names the extensions IANA had registered up to 59, and two
 * more (rust/src/quic/logger.rs); five of its names differ from ours. */
static const char *suricata_ext_name(uint16_t type)
{
	switch (type) {
	case 16: return "alpn";
	case 34: return "delegated_credentials";
	case 36: return "tlmsp";
	case 37: return "tlmsp_proxying";
	case 38: return "tlmsp_delegate";
	default:
		if (type <= 59 || type == 13172 || type == 65281)
			return tls_ext_name(type);
		return NULL;
	}
}

/* Each extension of the hello in wire order, with the values Suricata
 * lists for two of them: the server name and the ALPN protocols. */
static void put_extensions(struct json *j, const struct tls_client_hello *ch)
{
	const char *name;
	unsigned i, k;

	if (!ch->n_exts)
		return;
	json_key(j, "extensions");
	json_array_begin(j);
	for (i = 0; i < ch->n_exts; i++) {
		json_object_begin(j);
		name = suricata_ext_name(ch->exts[i]);
		if (name)
			json_kv_str(j, "name", name);
		json_kv_uint(j, "type", ch->exts[i]);
		if (ch->exts[i] == 0 && ch->has_sni) {
			json_key(j, "values");
			json_array_begin(j);
			json_string(j, ch->sni);
			json_array_end(j);
		} else if (ch->exts[i] == 16 && ch->alpn.n) {
			json_key(j, "values");
			json_array_begin(j);
			for (k = 0; k < ch->alpn.n; k++)
				json_string_n(j, (const char *)ch->alpn.buf + ch->alpn.id[k].off,
					      ch->alpn.id[k].len);
			json_array_end(j);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

static void put_fp(struct json *j, const char *key, const char *md5, const struct eve_fp *fp,
		   size_t off, size_t len)
{
	json_key(j, key);
	json_object_begin(j);
	json_kv_str(j, "hash", md5);
	json_key(j, "string");
	json_string_n(j, fp->text.data ? fp->text.data + off : "", len);
	json_object_end(j);
}

/* Google QUIC: the CHLO's user agent, and each CHLO's CYU fingerprint
 * (its version and tags, MD5) for the versions Suricata gives one. */
static void put_gquic(struct json *j, const struct gquic_facts *g)
{
	char cyu[GQUIC_CYU_LEN], md5[FP_MD5_HEX];
	uint32_t i;
	bool open = false;

	if (g->has_ua)
		json_kv_str(j, "ua", g->ua);
	for (i = 0; i < g->n_hellos && i < GQUIC_MAX_HELLOS; i++) {
		if (!gquic_cyu_string(g->version, &g->hello[i], cyu) ||
		    !fp_md5_hex(cyu, strlen(cyu), md5))
			continue;
		if (!open) {
			json_key(j, "cyu");
			json_array_begin(j);
			open = true;
		}
		json_object_begin(j);
		json_kv_str(j, "hash", md5);
		json_kv_str(j, "string", cyu);
		json_object_end(j);
	}
	if (open)
		json_array_end(j);
}

void eve_quic_fields(struct json *j, const struct engine_session *es, const struct eve_fp *fp)
{
	const struct tls_session *s = &es->tls;
	const struct tls_client_hello *ch = s->n_client_hellos ? &s->client_hello[0] : NULL;
	unsigned last = s->n_server_hellos ? s->n_server_hellos - 1u : 0;
	char version[9];

	json_key(j, "quic");
	json_object_begin(j);
	quic_version_str(es->quic->version ? es->quic->version : es->quic->first_version, version);
	json_kv_str(j, "version", version);
	if (ch && ch->has_sni)
		json_kv_str(j, "sni", ch->sni);
	else if (!ch && es->quic->gquic.has_sni)
		json_kv_str(j, "sni", es->quic->gquic.sni);
	put_gquic(j, &es->quic->gquic);
	if (ch && fp->ch[0].ja3)
		put_fp(j, "ja3", fp->ch[0].ja3_md5, fp, fp->ch[0].ja3_off, fp->ch[0].ja3_len);
	if (s->n_server_hellos && fp->sh[last].ok)
		put_fp(j, "ja3s", fp->sh[last].md5, fp, fp->sh[last].off, fp->sh[last].len);
	if (ch && fp->ch[0].ja4)
		json_kv_str(j, "ja4", fp->ch[0].ja4_s);
	if (ch)
		put_extensions(j, ch);
	json_object_end(j);
}

static void put_hex(struct json *j, const char *key, const uint8_t *p, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 * QUIC_MAX_CID + 1];
	unsigned i;

	for (i = 0; i < n && i < QUIC_MAX_CID; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * i] = 0;
	json_kv_str(j, key, hex);
}

static void put_side(struct json *j, const char *key, const struct quic_session *q,
		     enum tls_dir dir)
{
	json_key(j, key);
	json_object_begin(j);
	put_hex(j, "scid", q->scid[dir], q->scid_len[dir]);
	json_kv_uint(j, "initial", q->initial[dir]);
	json_kv_uint(j, "initial_undecryptable", q->undecryptable[dir]);
	json_kv_uint(j, "handshake", q->handshake[dir]);
	if (q->handshake_decrypted[dir])
		json_kv_uint(j, "handshake_decrypted", q->handshake_decrypted[dir]);
	json_kv_uint(j, "short_header", q->short_hdr[dir]);
	if (q->connection_close[dir])
		json_kv_uint(j, "connection_close_error", q->close_error[dir]);
	json_object_end(j);
}

void eve_quic_extra(struct json *j, const struct quic_session *q)
{
	char version[9];
	unsigned i;

	json_object_begin(j);
	quic_version_str(q->first_version, version);
	json_kv_str(j, "first_version", version);
	put_hex(j, "dcid", q->dcid, q->dcid_len);
	put_side(j, "client", q, TLS_TO_SERVER);
	put_side(j, "server", q, TLS_TO_CLIENT);
	json_kv_uint(j, "zero_rtt", q->zero_rtt);
	json_kv_uint(j, "retry", q->retry);
	json_kv_uint(j, "version_negotiation", q->version_negotiation);
	json_kv_uint(j, "restarts", q->restarts);
	json_kv_uint(j, "hellos_replaced", q->hellos_replaced);
	if (q->gquic.n_hellos)
		json_kv_uint(j, "gquic_chlos", q->gquic.n_hellos);
	if (q->n_vn_versions) {
		json_key(j, "offered_versions");
		json_array_begin(j);
		for (i = 0; i < q->n_vn_versions; i++) {
			quic_version_str(q->vn_versions[i], version);
			json_string(j, version);
		}
		json_array_end(j);
	}
	json_kv_bool(j, "server_hello", q->server_hello);
	json_object_end(j);
}
