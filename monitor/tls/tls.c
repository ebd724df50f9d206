/*
 * tls: record layer and handshake parser. See tls.h for the contract.
 *
 * Layering, per direction:
 *   stream bytes -> records (RFC 8446 5.1, RFC 5246 6.2.1; the SSLv2-format
 *   ClientHello of RFC 5246 E.2) -> handshake messages (RFC 8446 4, RFC 5246
 *   7.4), reassembled across records -> facts in struct tls_session.
 * A record that arrives whole inside one segment is parsed in place; only a
 * record split across segments is copied (into `rec`), and only a handshake
 * message split across records is copied (into `hs`). Both buffers are
 * bounded, so a peer cannot make the parser grow.
 */
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "digest.h"
#include "tls/keylog.h"
#include "tls/tls13dec.h"
#include "tls/tls_names.h"
#include "x509/x509.h"

#define REC_HDR 5
/* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048. */
#define REC_MAX (16384 + 2048)

#define CT_CCS 20
#define CT_ALERT 21
#define CT_HANDSHAKE 22
#define CT_APPDATA 23
#define CT_HEARTBEAT 24

#define HS_HELLO_REQUEST 0
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_NEW_SESSION_TICKET 4
#define HS_ENCRYPTED_EXTENSIONS 8
#define HS_CERTIFICATE 11
#define HS_SERVER_KEY_EXCHANGE 12
#define HS_CERTIFICATE_REQUEST 13
#define HS_SERVER_HELLO_DONE 14
#define HS_CERTIFICATE_VERIFY 15
#define HS_FINISHED 20
#define HS_CERTIFICATE_STATUS 22

#define OCSP_MAX (64 * 1024)

struct tls_dir_state {
	bool dead;        /* stopped: unparseable, gap, or not TLS */
	bool started;     /* the first record header was checked */
	bool sslv2;       /* the pending record has a 2-byte SSLv2 header */
	uint32_t rec_len; /* bytes of a split record held in rec */
	uint32_t hs_len;  /* bytes of a split handshake message held in hs */
	uint32_t hs_cap;
	uint8_t *hs;
	/* TLS_KEYS_WAITING: the protected records (headers included) kept
	 * until the secrets come or are given up for */
	uint32_t kept_len, kept_cap;
	uint8_t *kept;
	uint8_t rec[REC_HDR + REC_MAX];
};

/* TLS 1.3 handshake decryption, both directions (RFC 8446 7.3: the
 * handshake traffic secrets protect everything after the ServerHello up to
 * and including each side's Finished). */
struct tls_decrypt {
	struct tls13dec d[2];
	bool on[2];       /* the direction's records are opened */
	bool opened[2];   /* one of its records authenticated */
	bool inside;      /* the message being parsed came from a decrypted record */
	uint8_t plain[TLS13DEC_MAX_CIPHERTEXT];
};

/* RFC 8446 4.1.3: the Random of a HelloRetryRequest is SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};
/* RFC 8446 4.1.3: downgrade sentinels in the last 8 bytes of ServerHello.random. */
static const uint8_t downgrade_prefix[7] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D' };

static void flag(struct tls_session *s, enum anomaly a)
{
	s->anomalies |= 1ULL << a;
}

/* SHA-256 of a ticket or PSK identity; all zero if the digest fails, which
 * only links nothing. */
static void ticket_hash(const struct cursor *c, uint8_t out[static TLS_TICKET_HASH_LEN])
{
	_Static_assert(TLS_TICKET_HASH_LEN == DIGEST_MAX_LEN, "a SHA-256 is 32 bytes");
	if (!digest(DIGEST_SHA256, cur_ptr(c), cur_left(c), out))
		memset(out, 0, TLS_TICKET_HASH_LEN);
}

static bool is_tls13(uint16_t v)
{
	return v == 0x0304 || (v >> 8) == 0x7f || (v & 0xff00) == 0xfb00;
}

static void add_msg(struct tls_session *s, enum tls_dir dir, uint8_t type)
{
	if (s->n_msgs < TLS_MAX_MSGS) {
		s->msgs[s->n_msgs].dir = (uint8_t)dir;
		s->msgs[s->n_msgs].type = type;
		s->msgs[s->n_msgs].decrypted = s->dec && s->dec->inside;
		s->n_msgs++;
	}
}

void tls_session_init(struct tls_session *s, struct x509_cache *certs)
{
	memset(s, 0, sizeof(*s));
	s->certs = certs;
}

void tls_session_set_keylog(struct tls_session *s, const struct keylog *kl)
{
	s->keylog = kl;
}

void tls_session_wait_keys(struct tls_session *s)
{
	s->wait_keys = true;
}

static void decrypt_free(struct tls_session *s)
{
	if (!s->dec)
		return;
	tls13dec_free(&s->dec->d[0]);
	tls13dec_free(&s->dec->d[1]);
	free(s->dec);
	s->dec = NULL;
}

static void chain_free(struct tls_session *s, struct tls_chain *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		x509_cert_put(s->certs, c->cert[i]);
	c->n = 0;
}

void tls_session_free(struct tls_session *s)
{
	int d;

	chain_free(s, &s->server_chain);
	chain_free(s, &s->client_chain);
	free(s->ocsp);
	s->ocsp = NULL;
	decrypt_free(s);
	for (d = 0; d < 2; d++) {
		if (s->dir[d]) {
			free(s->dir[d]->hs);
			free(s->dir[d]->kept);
		}
		free(s->dir[d]);
		s->dir[d] = NULL;
	}
}

uint64_t tls_take_anomalies(struct tls_session *s)
{
	uint64_t a = s->anomalies;

	s->anomalies = 0;
	return a;
}

bool tls_looks_like_tls(const uint8_t *d, size_t len)
{
	if (len < 3)
		return false;
	/* SSLv2-format ClientHello: 2-byte header with the high bit, type 1. */
	if ((d[0] & 0x80) && d[2] == 1)
		return len < 5 || d[3] == 3 || (d[3] == 0 && d[4] == 2);
	return d[0] >= CT_CCS && d[0] <= CT_HEARTBEAT && d[1] == 3 && d[2] <= 4;
}

/* ---- extensions ------------------------------------------------------- */

static void put_u16_list(struct tls_session *s, struct cursor *c, uint16_t *arr,
			 uint8_t *n, unsigned cap)
{
	uint16_t v;

	while (cur_u16(c, &v)) {
		if (*n < cap)
			arr[(*n)++] = v;
		else
			flag(s, ANOM_TLS_LIST_TRUNCATED);
	}
}

/* RFC 6066 3: ServerNameList; the first host_name entry is kept. */
static bool parse_sni(struct tls_client_hello *ch, struct cursor body)
{
	struct cursor list, name;
	uint8_t type;

	if (!cur_vec16(&body, &list))
		return false;
	while (cur_left(&list)) {
		if (!cur_u8(&list, &type) || !cur_vec16(&list, &name))
			return false;
		if (type == 0 && !ch->has_sni) {
			size_t n = cur_left(&name) < sizeof(ch->sni) - 1 ?
				   cur_left(&name) : sizeof(ch->sni) - 1;
			memcpy(ch->sni, cur_ptr(&name), n);
			ch->sni[n] = '\0';
			ch->has_sni = true;
		}
	}
	return true;
}

/* RFC 7301 3.1: ProtocolNameList. */
static bool parse_alpn_list(struct tls_session *s, struct tls_alpn_list *a,
			    struct cursor body)
{
	struct cursor list, id;

	if (!cur_vec16(&body, &list))
		return false;
	while (cur_left(&list)) {
		if (!cur_vec8(&list, &id))
			return false;
		if (a->n >= TLS_MAX_ALPN || cur_left(&id) > (size_t)(TLS_ALPN_BUF - a->used)) {
			flag(s, ANOM_TLS_LIST_TRUNCATED);
			continue;
		}
		a->id[a->n].off = a->used;
		a->id[a->n].len = (uint8_t)cur_left(&id);
		memcpy(a->buf + a->used, cur_ptr(&id), cur_left(&id));
		a->used = (uint16_t)(a->used + cur_left(&id));
		a->n++;
	}
	return true;
}

static bool parse_client_ext(struct tls_session *s, struct tls_client_hello *ch,
			     uint16_t type, struct cursor body)
{
	struct cursor list, item;
	uint16_t group;
	uint8_t b;

	switch (type) {
	case 0:
		return parse_sni(ch, body);
	case 5:
		ch->status_request = true;
		return true;
	case 10: /* RFC 8446 4.2.7 supported_groups */
		if (!cur_vec16(&body, &list))
			return false;
		put_u16_list(s, &list, ch->groups, &ch->n_groups, TLS_MAX_GROUPS);
		return true;
	case 11: /* RFC 8422 5.1.2 ec_point_formats */
		if (!cur_vec8(&body, &list))
			return false;
		while (cur_u8(&list, &b)) {
			if (ch->n_point_formats < TLS_MAX_POINT_FMTS)
				ch->point_formats[ch->n_point_formats++] = b;
			else
				flag(s, ANOM_TLS_LIST_TRUNCATED);
		}
		return true;
	case 13: /* RFC 8446 4.2.3 signature_algorithms */
		if (!cur_vec16(&body, &list))
			return false;
		put_u16_list(s, &list, ch->sigalgs, &ch->n_sigalgs, TLS_MAX_SIGALGS);
		return true;
	case 16:
		return parse_alpn_list(s, &ch->alpn, body);
	case 21:
		ch->has_padding = true;
		return true;
	case 23:
		ch->extended_master_secret = true;
		return true;
	case 35: /* RFC 5077 3.2 SessionTicket */
		ch->has_session_ticket = true;
		ch->session_ticket_len = (uint16_t)cur_left(&body);
		if (ch->session_ticket_len)
			ticket_hash(&body, ch->ticket_hash);
		return true;
	case 41: /* RFC 8446 4.2.11 pre_shared_key: identities, binders */
		ch->has_psk = true;
		if (!cur_vec16(&body, &list))
			return false;
		while (cur_left(&list)) {
			/* PskIdentity: identity<1..2^16-1>, obfuscated_ticket_age */
			if (!cur_vec16(&list, &item) || !cur_skip(&list, 4))
				return false;
			if (ch->n_psk_hashes < TLS_MAX_PSK_IDS)
				ticket_hash(&item, ch->psk_identity_hash[ch->n_psk_hashes++]);
			ch->psk_identities++;
		}
		return true;
	case 42:
		ch->early_data = true;
		return true;
	case 43: /* RFC 8446 4.2.1 supported_versions (ClientHello) */
		if (!cur_vec8(&body, &list))
			return false;
		put_u16_list(s, &list, ch->versions, &ch->n_versions, TLS_MAX_VERSIONS);
		return true;
	case 45: /* RFC 8446 4.2.9 psk_key_exchange_modes */
		if (!cur_vec8(&body, &list))
			return false;
		while (cur_u8(&list, &b))
			if (b < 2)
				ch->psk_modes |= (uint8_t)(1u << b);
		return true;
	case 51: /* RFC 8446 4.2.8 key_share (ClientHello) */
		if (!cur_vec16(&body, &list))
			return false;
		while (cur_left(&list)) {
			if (!cur_u16(&list, &group) || !cur_vec16(&list, &item))
				return false;
			if (ch->n_key_shares < TLS_MAX_KEYSHARES)
				ch->key_shares[ch->n_key_shares++] = group;
			else
				flag(s, ANOM_TLS_LIST_TRUNCATED);
		}
		return true;
	case 0xfe0d:
		ch->ech = true;
		return true;
	case 0xff01:
		ch->renegotiation_info = true;
		return true;
	default:
		return true;
	}
}

/* Walks an extensions block, recording types (and calling `each`). */
static bool parse_ext_block(struct tls_session *s, struct cursor *msg,
			    uint16_t *types, uint16_t *n_types,
			    bool (*each)(struct tls_session *, void *, uint16_t, struct cursor),
			    void *arg)
{
	struct cursor exts, body;
	uint16_t type;
	unsigned i;

	if (!cur_left(msg))
		return true; /* extensions are optional before TLS 1.3 */
	if (!cur_vec16(msg, &exts))
		return false;
	while (cur_left(&exts)) {
		if (!cur_u16(&exts, &type) || !cur_vec16(&exts, &body))
			return false;
		for (i = 0; i < *n_types && i < TLS_MAX_EXTS; i++)
			if (types[i] == type && !tls_is_grease(type))
				flag(s, ANOM_TLS_DUPLICATE_EXTENSION);
		if (*n_types < TLS_MAX_EXTS)
			types[(*n_types)++] = type;
		else
			flag(s, ANOM_TLS_LIST_TRUNCATED);
		if (!each(s, arg, type, body))
			return false;
	}
	return true;
}

static bool client_ext_cb(struct tls_session *s, void *arg, uint16_t type, struct cursor body)
{
	return parse_client_ext(s, arg, type, body);
}

/* ---- ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) --------------------- */

static struct tls_client_hello *next_client_hello(struct tls_session *s)
{
	struct tls_client_hello *ch;

	if (s->n_client_hellos >= TLS_MAX_HELLOS) {
		flag(s, ANOM_TLS_MULTIPLE_CLIENT_HELLO);
		return NULL;
	}
	if (s->n_client_hellos == 1 && !(s->n_server_hellos == 1 && s->server_hello[0].is_hrr))
		flag(s, ANOM_TLS_MULTIPLE_CLIENT_HELLO);
	ch = &s->client_hello[s->n_client_hellos];
	memset(ch, 0, sizeof(*ch));
	return ch;
}

static unsigned parse_client_hello(struct tls_session *s, struct cursor msg,
				   uint16_t record_version)
{
	struct tls_client_hello *ch = next_client_hello(s);
	struct cursor sid, suites, comp;
	uint16_t v;
	uint8_t b;

	if (!ch)
		return 0;
	ch->record_version = record_version;
	ch->length = (uint32_t)cur_left(&msg);
	if (!cur_u16(&msg, &ch->legacy_version) || !cur_copy(&msg, ch->random, 32) ||
	    !cur_vec8(&msg, &sid) || cur_left(&sid) > 32 ||
	    !cur_vec16(&msg, &suites) || !cur_vec8(&msg, &comp))
		goto bad;
	ch->session_id_len = (uint8_t)cur_left(&sid);
	memcpy(ch->session_id, cur_ptr(&sid), cur_left(&sid));
	if (cur_left(&suites) % 2)
		goto bad;
	while (cur_u16(&suites, &v)) {
		if (v == 0x5600)
			ch->fallback_scsv = true;
		if (v == 0x00ff)
			ch->renegotiation_info = true;
		if (ch->n_suites < TLS_MAX_SUITES)
			ch->suites[ch->n_suites++] = v;
		else
			flag(s, ANOM_TLS_LIST_TRUNCATED);
	}
	while (cur_u8(&comp, &b)) {
		ch->n_compressions++;
		if (b != 0)
			ch->compression_offered = true;
	}
	if (!parse_ext_block(s, &msg, ch->exts, &ch->n_exts, client_ext_cb, ch))
		goto bad;
	s->n_client_hellos++;
	if (s->n_client_hellos == 1)
		return TLS_EV_CLIENT_HELLO;
	return 0;
bad:
	flag(s, ANOM_TLS_INVALID_HANDSHAKE);
	return 0;
}

/* SSLv2-format ClientHello (RFC 5246 E.2, RFC 6101 E.2): msg_type 1,
 * version, three lengths, 3-byte cipher specs, session id, challenge. */
static unsigned parse_sslv2_hello(struct tls_session *s, struct cursor msg)
{
	struct tls_client_hello *ch = next_client_hello(s);
	uint16_t spec_len, sid_len, chal_len;
	struct cursor specs, sid, chal;
	uint8_t type, k0;
	uint16_t code;

	if (!ch)
		return 0;
	flag(s, ANOM_TLS_SSLV2_HELLO);
	ch->sslv2_format = true;
	ch->record_version = 0x0002;
	ch->length = (uint32_t)cur_left(&msg);
	if (!cur_u8(&msg, &type) || type != 1 || !cur_u16(&msg, &ch->legacy_version) ||
	    !cur_u16(&msg, &spec_len) || !cur_u16(&msg, &sid_len) ||
	    !cur_u16(&msg, &chal_len) || spec_len % 3 || sid_len > 32 ||
	    chal_len < 16 || chal_len > 32 ||
	    !cur_sub(&msg, &specs, spec_len) || !cur_sub(&msg, &sid, sid_len) ||
	    !cur_sub(&msg, &chal, chal_len))
		goto bad;
	while (cur_u8(&specs, &k0) && cur_u16(&specs, &code)) {
		/* Only specs with a zero first byte name TLS suites. */
		if (k0 != 0)
			continue;
		if (code == 0x5600)
			ch->fallback_scsv = true;
		if (code == 0x00ff)
			ch->renegotiation_info = true;
		if (ch->n_suites < TLS_MAX_SUITES)
			ch->suites[ch->n_suites++] = code;
		else
			flag(s, ANOM_TLS_LIST_TRUNCATED);
	}
	ch->session_id_len = (uint8_t)sid_len;
	memcpy(ch->session_id, cur_ptr(&sid), sid_len);
	/* The challenge is right-aligned in the 32-byte random (E.2). */
	memcpy(ch->random + 32 - chal_len, cur_ptr(&chal), chal_len);
	ch->n_compressions = 1;
	s->n_client_hellos++;
	return s->n_client_hellos == 1 ? TLS_EV_CLIENT_HELLO : 0;
bad:
	flag(s, ANOM_TLS_INVALID_SSLV2);
	return 0;
}

/* ---- ServerHello (RFC 8446 4.1.3, RFC 5246 7.4.1.3) --------------------- */

static bool server_ext_cb(struct tls_session *s, void *arg, uint16_t type, struct cursor body)
{
	struct tls_server_hello *sh = arg;
	struct tls_alpn_list one;
	uint16_t v;

	switch (type) {
	case 5:
		sh->status_request = true;
		return true;
	case 16:
		memset(&one, 0, sizeof(one));
		if (!parse_alpn_list(s, &one, body))
			return false;
		if (one.n) {
			memcpy(sh->alpn, one.buf + one.id[0].off, one.id[0].len);
			sh->alpn[one.id[0].len] = '\0';
			sh->has_alpn = true;
		}
		return true;
	case 23:
		sh->extended_master_secret = true;
		return true;
	case 35:
		sh->has_session_ticket = true;
		return true;
	case 41: /* RFC 8446 4.2.11: selected_identity */
		sh->has_psk = true;
		return cur_u16(&body, &sh->psk_selected);
	case 43:
		return cur_u16(&body, &sh->selected_version);
	case 51: /* key_share: KeyShareEntry, or only the group in an HRR */
		if (!cur_u16(&body, &v))
			return false;
		sh->key_share = v;
		return true;
	case 0xff01:
		sh->renegotiation_info = true;
		return true;
	default:
		return true;
	}
}

static void set_resumption(struct tls_session *s, enum tls_resumption r)
{
	if (s->resumption == TLS_RESUME_NONE)
		s->resumption = r;
}

/* At a TLS 1.3 ServerHello: keys each direction whose handshake traffic
 * secret the key log holds for this ClientHello.random. True when the
 * server's flight or the client's will be decrypted. Not over QUIC: its
 * Handshake packets are protected by QUIC (RFC 9001 5), not by records;
 * quic/ opens them and hands their messages to
 * tls_feed_handshake_decrypted(). */
static bool start_decryption(struct tls_session *s)
{
	struct keylog_entry k;
	const struct keylog_secret *sec;
	int d;

	if (!s->keylog || s->quic || s->version != 0x0304 || !s->n_client_hellos || s->dec)
		return false;
	if (!keylog_find(s->keylog, s->client_hello[0].random, &k))
		return false;
	s->dec = calloc(1, sizeof(*s->dec));
	if (!s->dec)
		return false;
	for (d = 0; d < 2; d++) {
		sec = d == TLS_TO_SERVER ? &k.client_hs : &k.server_hs;
		if (!sec->len)
			continue;
		if (tls13dec_init(&s->dec->d[d], s->suite, sec->b, sec->len)) {
			/* A suite we cannot open, or a secret of the wrong length. */
			flag(s, ANOM_TLS_DECRYPT_FAILED);
			s->keys = TLS_KEYS_FAILED;
			decrypt_free(s);
			return false;
		}
		s->dec->on[d] = true;
	}
	if (!s->dec->on[0] && !s->dec->on[1]) {
		decrypt_free(s);
		return false;
	}
	s->keys = TLS_KEYS_DECRYPTING;
	return true;
}

static unsigned parse_server_hello(struct tls_session *s, struct cursor msg)
{
	struct tls_server_hello *sh;
	const struct tls_client_hello *ch;
	struct cursor sid;
	unsigned ev;

	if (s->n_server_hellos >= TLS_MAX_HELLOS ||
	    (s->n_server_hellos == 1 && !s->server_hello[0].is_hrr)) {
		flag(s, ANOM_TLS_UNEXPECTED_MESSAGE);
		return 0;
	}
	sh = &s->server_hello[s->n_server_hellos];
	memset(sh, 0, sizeof(*sh));
	if (!cur_u16(&msg, &sh->legacy_version) || !cur_copy(&msg, sh->random, 32))
		goto bad;
	if ((sh->legacy_version >> 8) == 0x7f) {
		/* TLS 1.3 drafts before -22: version, random, suite, extensions. */
		if (!cur_u16(&msg, &sh->suite))
			goto bad;
	} else if (!cur_vec8(&msg, &sid) || cur_left(&sid) > 32 ||
		   !cur_u16(&msg, &sh->suite) || !cur_u8(&msg, &sh->compression)) {
		goto bad;
	} else {
		sh->session_id_len = (uint8_t)cur_left(&sid);
		memcpy(sh->session_id, cur_ptr(&sid), cur_left(&sid));
	}
	if (!parse_ext_block(s, &msg, sh->exts, &sh->n_exts, server_ext_cb, sh))
		goto bad;
	sh->is_hrr = !memcmp(sh->random, hrr_random, 32);
	if (!memcmp(sh->random + 24, downgrade_prefix, 7)) {
		sh->downgrade_tls12 = sh->random[31] == 1;
		sh->downgrade_tls11 = sh->random[31] == 0;
	}
	s->n_server_hellos++;
	if (sh->is_hrr) {
		/* The HRR already names the version, so that the compatibility
		 * ChangeCipherSpec that may follow it is not taken for the start
		 * of encryption (RFC 8446 D.4). */
		s->version = sh->selected_version;
		s->kx_group = sh->key_share;
		return TLS_EV_HRR;
	}
	s->version = sh->selected_version ? sh->selected_version : sh->legacy_version;
	s->suite = sh->suite;
	if (sh->key_share)
		s->kx_group = sh->key_share;
	ev = TLS_EV_SERVER_HELLO;
	ch = s->n_client_hellos ? &s->client_hello[s->n_client_hellos - 1] : NULL;
	if (is_tls13(s->version)) {
		/* Everything after the ServerHello is encrypted in TLS 1.3:
		 * the server's flight has nothing more to show. */
		s->encrypted[TLS_TO_CLIENT] = s->encrypted[TLS_TO_SERVER] = true;
		if (sh->has_psk)
			set_resumption(s, TLS_RESUME_PSK);
		/* With the key log's secrets the flight is read like TLS 1.2's,
		 * and its end is the server's Finished. Inline the server may
		 * write them just as it sends the flight: its records wait for
		 * them (tls_session_keys_retry). */
		if (start_decryption(s))
			;
		else if (s->wait_keys && s->keylog && !s->quic && s->keys == TLS_KEYS_NONE &&
			 s->n_client_hellos)
			s->keys = TLS_KEYS_WAITING;
		else
			ev |= TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED;
	} else if (ch && sh->session_id_len && sh->session_id_len == ch->session_id_len &&
		   !memcmp(sh->session_id, ch->session_id, sh->session_id_len)) {
		/* RFC 5246 7.4.1.3 / RFC 5077 3.4: an echoed session id means
		 * an abbreviated handshake; with a ticket offered, it is the
		 * ticket that was accepted. */
		set_resumption(s, ch->session_ticket_len ? TLS_RESUME_TICKET :
							   TLS_RESUME_SESSION_ID);
	}
	return ev;
bad:
	flag(s, ANOM_TLS_INVALID_HANDSHAKE);
	return 0;
}

/* ---- Certificate, ServerKeyExchange, CertificateRequest, Status ---------- */

static void parse_cert_status(struct tls_session *s, struct cursor msg);

/* RFC 8446 4.4.2.1: in TLS 1.3 the leaf's OCSP staple travels in its
 * CertificateEntry's status_request extension, as a CertificateStatus. */
static bool cert_entry_exts(struct tls_session *s, struct cursor exts)
{
	struct cursor body;
	uint16_t type;

	while (cur_left(&exts)) {
		if (!cur_u16(&exts, &type) || !cur_vec16(&exts, &body))
			return false;
		if (type == 5)
			parse_cert_status(s, body);
	}
	return true;
}

/* RFC 5246 7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
 * RFC 8446 4.4.2 adds a request context and per-entry extensions. */
static unsigned parse_certificate(struct tls_session *s, enum tls_dir dir, struct cursor msg)
{
	struct tls_chain *chain = dir == TLS_TO_CLIENT ? &s->server_chain : &s->client_chain;
	struct cursor list, der, ctx, exts = { NULL, 0 };
	bool tls13 = is_tls13(s->version);
	struct x509_cert *cert;

	chain_free(s, chain);
	if (tls13 && !cur_vec8(&msg, &ctx))
		goto bad;
	if (!cur_vec24(&msg, &list) || cur_left(&msg))
		goto bad;
	chain->empty_message = cur_left(&list) == 0;
	while (cur_left(&list)) {
		if (!cur_vec24(&list, &der) || !cur_left(&der))
			goto bad;
		if (tls13 && !cur_vec16(&list, &exts))
			goto bad;
		if (tls13 && dir == TLS_TO_CLIENT && !chain->n && !cert_entry_exts(s, exts))
			goto bad;
		if (chain->n >= TLS_MAX_CHAIN) {
			flag(s, ANOM_TLS_CHAIN_TOO_LONG);
			continue;
		}
		if (!s->certs)
			continue;
		cert = x509_cache_get(s->certs, cur_ptr(&der), cur_left(&der));
		if (!cert) {
			flag(s, ANOM_TLS_CERT_INVALID);
			continue;
		}
		chain->cert[chain->n++] = cert;
	}
	if (dir == TLS_TO_CLIENT)
		s->cert_source = s->dec && s->dec->inside ? TLS_CERTS_KEYLOG : TLS_CERTS_HANDSHAKE;
	return dir == TLS_TO_CLIENT ? TLS_EV_CERTIFICATE : TLS_EV_CLIENT_CERT;
bad:
	flag(s, ANOM_TLS_INVALID_HANDSHAKE);
	return dir == TLS_TO_CLIENT ? TLS_EV_CERTIFICATE : TLS_EV_CLIENT_CERT;
}

unsigned tls_session_adopt_chain(struct tls_session *s, const uint8_t *const der[],
				 const uint32_t der_len[], unsigned n, const uint8_t *ocsp,
				 uint32_t ocsp_len, bool cert_request, enum tls_cert_source source)
{
	struct x509_cert *cert;
	unsigned i, ev = TLS_EV_CERTIFICATE;

	chain_free(s, &s->server_chain);
	s->server_chain.empty_message = n == 0;
	for (i = 0; i < n && s->certs; i++) {
		if (s->server_chain.n >= TLS_MAX_CHAIN) {
			flag(s, ANOM_TLS_CHAIN_TOO_LONG);
			break;
		}
		cert = x509_cache_get(s->certs, der[i], der_len[i]);
		if (!cert) {
			flag(s, ANOM_TLS_CERT_INVALID);
			continue;
		}
		s->server_chain.cert[s->server_chain.n++] = cert;
	}
	s->cert_source = (uint8_t)source;
	if (ocsp && ocsp_len && ocsp_len <= OCSP_MAX && !s->ocsp) {
		s->ocsp = malloc(ocsp_len);
		if (s->ocsp) {
			memcpy(s->ocsp, ocsp, ocsp_len);
			s->ocsp_len = ocsp_len;
		}
	}
	if (cert_request) {
		s->cert_request = true;
		ev |= TLS_EV_CERT_REQUEST;
	}
	ev &= ~(unsigned)s->events;
	s->events |= (uint16_t)ev;
	return ev;
}

/* Bit length of a big-endian unsigned integer. */
static uint16_t bignum_bits(const uint8_t *p, size_t n)
{
	size_t i = 0;
	unsigned bits;
	uint8_t top;

	while (i < n && p[i] == 0)
		i++;
	if (i == n)
		return 0;
	top = p[i];
	bits = (unsigned)(n - i - 1) * 8;
	while (top) {
		bits++;
		top >>= 1;
	}
	return bits > 65535 ? 65535 : (uint16_t)bits;
}

/* RFC 8422 5.4 (ECDHE: curve_type 3 = named_curve, then the group) and
 * RFC 5246 7.4.3 (DHE: dh_p, dh_g, dh_Ys). */
static unsigned parse_server_kx(struct tls_session *s, struct cursor msg)
{
	const struct tls_suite_info *si = tls_suite_info(s->suite);
	enum tls_kx kx = si ? si->kx : TLS_KX_OTHER;
	struct cursor p;
	uint8_t curve_type;
	uint16_t group;

	s->server_kx = true;
	if (kx == TLS_KX_DHE || kx == TLS_KX_DH || kx == TLS_KX_DHE_PSK) {
		if (kx == TLS_KX_DHE_PSK) {
			struct cursor hint;

			if (!cur_vec16(&msg, &hint))
				goto bad;
		}
		if (!cur_vec16(&msg, &p))
			goto bad;
		s->dh_p_bits = bignum_bits(cur_ptr(&p), cur_left(&p));
	} else if (kx == TLS_KX_ECDHE || kx == TLS_KX_ECDH || kx == TLS_KX_ECDHE_PSK) {
		if (kx == TLS_KX_ECDHE_PSK) {
			struct cursor hint;

			if (!cur_vec16(&msg, &hint))
				goto bad;
		}
		if (!cur_u8(&msg, &curve_type))
			goto bad;
		if (curve_type == 3) {
			if (!cur_u16(&msg, &group))
				goto bad;
			s->kx_group = group;
		}
	}
	return TLS_EV_SERVER_KX;
bad:
	flag(s, ANOM_TLS_INVALID_HANDSHAKE);
	return TLS_EV_SERVER_KX;
}

/* DistinguishedName certificate_authorities<0..2^16-1> (RFC 5246 7.4.4,
 * RFC 8446 4.2.4): counted, not kept. */
static bool count_ca_names(struct tls_session *s, struct cursor *msg)
{
	struct cursor cas, name;

	if (!cur_vec16(msg, &cas))
		return false;
	while (cur_left(&cas)) {
		if (!cur_vec16(&cas, &name))
			return false;
		if (s->n_ca_names < 255)
			s->n_ca_names++;
	}
	return true;
}

/* RFC 8446 4.3.2: certificate_request_context<0..2^8-1>,
 * extensions<2..2^16-1>; the CA names are in certificate_authorities (47). */
static bool cert_request13(struct tls_session *s, struct cursor msg)
{
	struct cursor ctx, exts, body;
	uint16_t type;

	if (!cur_vec8(&msg, &ctx) || !cur_vec16(&msg, &exts) || cur_left(&msg))
		return false;
	while (cur_left(&exts)) {
		if (!cur_u16(&exts, &type) || !cur_vec16(&exts, &body))
			return false;
		if (type == 47 && !count_ca_names(s, &body))
			return false;
	}
	return true;
}

/* RFC 5246 7.4.4: certificate_types, supported_signature_algorithms (1.2),
 * certificate_authorities; TLS 1.3's form above. */
static unsigned parse_cert_request(struct tls_session *s, struct cursor msg)
{
	struct cursor types, algs;
	bool ok;

	s->cert_request = true;
	if (is_tls13(s->version))
		ok = cert_request13(s, msg);
	else
		ok = cur_vec8(&msg, &types) && (s->version != 0x0303 || cur_vec16(&msg, &algs)) &&
		     count_ca_names(s, &msg);
	if (!ok)
		flag(s, ANOM_TLS_INVALID_HANDSHAKE);
	return TLS_EV_CERT_REQUEST;
}

/* RFC 6066 8: CertificateStatus { status_type ocsp(1); OCSPResponse<1..2^24-1> }. */
static void parse_cert_status(struct tls_session *s, struct cursor msg)
{
	struct cursor resp;
	uint8_t type;

	if (!cur_u8(&msg, &type) || type != 1 || !cur_vec24(&msg, &resp) ||
	    !cur_left(&resp)) {
		flag(s, ANOM_TLS_INVALID_HANDSHAKE);
		return;
	}
	if (cur_left(&resp) > OCSP_MAX || s->ocsp)
		return;
	s->ocsp = malloc(cur_left(&resp));
	if (!s->ocsp)
		return;
	memcpy(s->ocsp, cur_ptr(&resp), cur_left(&resp));
	s->ocsp_len = (uint32_t)cur_left(&resp);
}

/* RFC 5077 3.3: ticket_lifetime_hint (uint32), ticket<0..2^16-1>. An empty
 * ticket means the server issues none. Only TLS <= 1.2 shows it: the TLS
 * 1.3 NewSessionTicket is encrypted, never seen here. */
static void parse_new_session_ticket(struct tls_session *s, struct cursor msg)
{
	struct cursor ticket;
	uint32_t hint;

	if (is_tls13(s->version))
		return;
	if (!cur_u32(&msg, &hint) || !cur_vec16(&msg, &ticket) || cur_left(&msg)) {
		flag(s, ANOM_TLS_INVALID_HANDSHAKE);
		return;
	}
	s->ticket_lifetime = hint;
	if (cur_left(&ticket) && s->n_tickets < TLS_MAX_TICKETS)
		ticket_hash(&ticket, s->ticket_hash[s->n_tickets++]);
}

static bool ee_ext_cb(struct tls_session *s, void *arg, uint16_t type, struct cursor body)
{
	/* ALPN moved from the ServerHello to here in TLS 1.3 (RFC 8446 4.3.1). */
	return type != 16 || server_ext_cb(s, arg, type, body);
}

/* RFC 8446 4.3.1: EncryptedExtensions { extensions<0..2^16-1> }. Their
 * types are not the ServerHello's (JA3S is computed on those alone). */
static void parse_encrypted_extensions(struct tls_session *s, struct cursor msg)
{
	uint16_t types[TLS_MAX_EXTS], n = 0;

	if (!s->n_server_hellos ||
	    !parse_ext_block(s, &msg, types, &n, ee_ext_cb,
			     &s->server_hello[s->n_server_hellos - 1]) || cur_left(&msg))
		flag(s, ANOM_TLS_INVALID_HANDSHAKE);
}

/* RFC 8446 4.4.3: CertificateVerify { algorithm; signature<0..2^16-1> }. */
static void parse_cert_verify(struct tls_session *s, enum tls_dir dir, struct cursor msg)
{
	struct cursor sig;
	uint16_t alg;

	if (!cur_u16(&msg, &alg) || !cur_vec16(&msg, &sig) || cur_left(&msg)) {
		flag(s, ANOM_TLS_INVALID_HANDSHAKE);
		return;
	}
	s->cert_verify[dir] = alg;
}

/* RFC 8446 4.4.4: a side's Finished ends its handshake; what it sends
 * next is under its application traffic secret, which is not ours. */
static unsigned decrypted_finished(struct tls_session *s, enum tls_dir dir)
{
	s->finished[dir] = true;
	s->decrypted[dir] = true;
	s->dec->on[dir] = false;
	return dir == TLS_TO_CLIENT ? TLS_EV_SERVER_DONE : 0;
}

/* The messages only a decrypted TLS 1.3 record can carry. */
static unsigned decrypted_message(struct tls_session *s, enum tls_dir dir, uint8_t type,
				  struct cursor body)
{
	if (!s->dec || !s->dec->inside)
		return 0;
	switch (type) {
	case HS_ENCRYPTED_EXTENSIONS:
		if (dir == TLS_TO_CLIENT)
			parse_encrypted_extensions(s, body);
		return 0;
	case HS_CERTIFICATE_VERIFY:
		parse_cert_verify(s, dir, body);
		return 0;
	case HS_FINISHED:
		return decrypted_finished(s, dir);
	default:
		return 0;
	}
}

static unsigned handshake_message(struct tls_session *s, enum tls_dir dir, uint8_t type,
				  struct cursor body, uint16_t record_version)
{
	add_msg(s, dir, type);
	if (dir == TLS_TO_SERVER) {
		switch (type) {
		case HS_CLIENT_HELLO:
			return parse_client_hello(s, body, record_version);
		case HS_CERTIFICATE:
			return parse_certificate(s, dir, body);
		default:
			return decrypted_message(s, dir, type, body);
		}
	}
	switch (type) {
	case HS_SERVER_HELLO:
		return parse_server_hello(s, body);
	case HS_CERTIFICATE:
		return parse_certificate(s, dir, body);
	case HS_SERVER_KEY_EXCHANGE:
		return parse_server_kx(s, body);
	case HS_CERTIFICATE_REQUEST:
		return parse_cert_request(s, body);
	case HS_CERTIFICATE_STATUS:
		parse_cert_status(s, body);
		return 0;
	case HS_NEW_SESSION_TICKET:
		parse_new_session_ticket(s, body);
		return 0;
	case HS_SERVER_HELLO_DONE:
		s->server_hello_done = true;
		return TLS_EV_SERVER_DONE;
	default:
		return decrypted_message(s, dir, type, body);
	}
}

/* ---- handshake reassembly across records (RFC 8446 5.1) ---------------- */

static bool hs_append(struct tls_dir_state *st, const uint8_t *p, size_t n)
{
	uint32_t want;
	uint8_t *nb;

	if (n > TLS_MAX_HANDSHAKE + 4 - st->hs_len)
		return false;
	want = st->hs_len + (uint32_t)n;
	if (want > st->hs_cap) {
		uint32_t cap = st->hs_cap ? st->hs_cap : 4096;

		while (cap < want)
			cap *= 2;
		nb = realloc(st->hs, cap);
		if (!nb)
			return false;
		st->hs = nb;
		st->hs_cap = cap;
	}
	memcpy(st->hs + st->hs_len, p, n);
	st->hs_len = want;
	return true;
}

static unsigned handshake_record(struct tls_session *s, enum tls_dir dir,
				 struct tls_dir_state *st, struct cursor rec,
				 uint16_t record_version)
{
	unsigned ev = 0;
	uint32_t mlen;
	uint8_t type;

	while (cur_left(&rec) && !st->dead) {
		if (st->hs_len) {
			/* Complete the message held from earlier records. */
			size_t need, take;
			struct cursor held;

			if (st->hs_len < 4) {
				take = 4 - st->hs_len < cur_left(&rec) ? 4 - st->hs_len : cur_left(&rec);
				if (!hs_append(st, cur_ptr(&rec), take))
					goto too_large;
				cur_skip(&rec, take);
				if (st->hs_len < 4)
					return ev;
			}
			held = cur_make(st->hs, st->hs_len);
			cur_u8(&held, &type);
			cur_u24(&held, &mlen);
			if (mlen > TLS_MAX_HANDSHAKE)
				goto too_large;
			need = 4 + (size_t)mlen - st->hs_len;
			take = need < cur_left(&rec) ? need : cur_left(&rec);
			if (!hs_append(st, cur_ptr(&rec), take))
				goto too_large;
			cur_skip(&rec, take);
			if (take < need)
				return ev;
			ev |= handshake_message(s, dir, type, cur_make(st->hs + 4, mlen),
						record_version);
			st->hs_len = 0;
			continue;
		}
		{
			struct cursor peek = rec, body;

			if (cur_u8(&peek, &type) && cur_u24(&peek, &mlen) &&
			    cur_sub(&peek, &body, mlen)) {
				ev |= handshake_message(s, dir, type, body, record_version);
				rec = peek;
				continue;
			}
		}
		/* A message that continues in a later record. */
		if (cur_left(&rec) >= 4) {
			struct cursor peek = rec;

			cur_u8(&peek, &type);
			cur_u24(&peek, &mlen);
			if (mlen > TLS_MAX_HANDSHAKE)
				goto too_large;
		}
		if (!hs_append(st, cur_ptr(&rec), cur_left(&rec)))
			goto too_large;
		return ev;
	}
	return ev;
too_large:
	flag(s, ANOM_TLS_HANDSHAKE_TOO_LARGE);
	st->dead = true;
	return ev;
}

/* ---- records ----------------------------------------------------------- */

static unsigned alert_record(struct tls_session *s, enum tls_dir dir, struct cursor rec)
{
	uint8_t level, desc;
	bool encrypted = s->encrypted[dir] && !is_tls13(s->version);

	add_msg(s, dir, TLS_MSG_ALERT);
	if (encrypted) {
		if (s->n_alerts < TLS_MAX_ALERTS) {
			s->alerts[s->n_alerts].dir = (uint8_t)dir;
			s->alerts[s->n_alerts].encrypted = true;
			s->n_alerts++;
		}
		return TLS_EV_ALERT;
	}
	if (cur_left(&rec) == 0 || cur_left(&rec) % 2) {
		flag(s, ANOM_TLS_INVALID_ALERT);
		return 0;
	}
	while (cur_u8(&rec, &level) && cur_u8(&rec, &desc)) {
		if (level != 1 && level != 2)
			flag(s, ANOM_TLS_INVALID_ALERT);
		if (s->n_alerts < TLS_MAX_ALERTS) {
			s->alerts[s->n_alerts].dir = (uint8_t)dir;
			s->alerts[s->n_alerts].level = level;
			s->alerts[s->n_alerts].description = desc;
			s->n_alerts++;
		}
		/* A fatal alert ends the handshake: nothing more will come. */
		if (level == 2)
			s->done = true;
	}
	return TLS_EV_ALERT;
}

static void appdata_record(struct tls_session *s, enum tls_dir dir)
{
	add_msg(s, dir, TLS_MSG_APPDATA);
	if (is_tls13(s->version) && !s->app_data[dir]) {
		/* TLS 1.3: the first protected records carry the rest of
		 * that side's handshake, ending with its Finished. */
		s->finished[dir] = true;
	}
	s->app_data[dir] = true;
}

/*
 * A TLS 1.3 record under a handshake traffic secret (RFC 8446 5.2): the
 * header is the AEAD's additional data; the content goes to the same
 * handshake reassembly and parsers as cleartext records (RFC 8446 5.1:
 * handshake messages never span a key change, so nothing is pending from
 * the cleartext records). A record that does not open ends decryption of
 * the session: from then on it is followed as without keys.
 */
static unsigned decrypted_record(struct tls_session *s, enum tls_dir dir,
				 struct tls_dir_state *st, uint16_t version, struct cursor body)
{
	struct tls_decrypt *dc = s->dec;
	size_t len = cur_left(&body), n;
	const uint8_t hdr[5] = { CT_APPDATA, (uint8_t)(version >> 8), (uint8_t)version,
				 (uint8_t)(len >> 8), (uint8_t)len };
	unsigned ev = 0;
	uint8_t type;

	if (!tls13dec_open(&dc->d[dir], hdr, cur_ptr(&body), len, dc->plain, &n, &type)) {
		/* RFC 8446 4.2.10: a client's 0-RTT data and EndOfEarlyData
		 * come first, under the early secret, which is not ours. */
		if (dir == TLS_TO_SERVER && !dc->opened[dir] && s->n_client_hellos &&
		    s->client_hello[0].early_data) {
			add_msg(s, dir, TLS_MSG_APPDATA);
			return 0;
		}
		flag(s, ANOM_TLS_DECRYPT_FAILED);
		s->keys = TLS_KEYS_FAILED;
		dc->on[0] = dc->on[1] = false;
		appdata_record(s, dir);
		return TLS_EV_SERVER_DONE;
	}
	dc->opened[dir] = true;
	dc->inside = true;
	switch (type) {
	case CT_HANDSHAKE:
		if (n)
			ev = handshake_record(s, dir, st, cur_make(dc->plain, n), version);
		else
			flag(s, ANOM_TLS_ZERO_LENGTH_RECORD);
		break;
	case CT_ALERT:
		ev = alert_record(s, dir, cur_make(dc->plain, n));
		break;
	default:
		/* RFC 8446 5.1: nothing else is sent under these keys. */
		flag(s, ANOM_TLS_UNEXPECTED_MESSAGE);
		break;
	}
	dc->inside = false;
	return ev;
}

static bool final_server_hello_seen(const struct tls_session *s)
{
	return s->n_server_hellos && !s->server_hello[s->n_server_hellos - 1].is_hrr;
}

static unsigned keys_given_up(struct tls_session *s);

/* A protected record kept while the secrets are awaited: false when the
 * direction's TLS_MAX_HANDSHAKE is reached (the wait is then given up:
 * the caller goes on as without keys). */
static bool keep_record(struct tls_session *s, struct tls_dir_state *st, uint16_t version,
			struct cursor body)
{
	size_t len = cur_left(&body), need = st->kept_len + REC_HDR + len;
	uint8_t *p;

	if (need > TLS_MAX_HANDSHAKE) {
		s->given_up |= (uint16_t)keys_given_up(s);
		return false;
	}
	if (need > st->kept_cap) {
		size_t cap = st->kept_cap ? 2 * (size_t)st->kept_cap : 8192;

		while (cap < need)
			cap *= 2;
		if (cap > TLS_MAX_HANDSHAKE)
			cap = TLS_MAX_HANDSHAKE;
		p = realloc(st->kept, cap);
		if (!p) {
			s->given_up |= (uint16_t)keys_given_up(s);
			return false;
		}
		st->kept = p;
		st->kept_cap = (uint32_t)cap;
	}
	p = st->kept + st->kept_len;
	p[0] = CT_APPDATA;
	p[1] = (uint8_t)(version >> 8);
	p[2] = (uint8_t)version;
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
	memcpy(p + REC_HDR, cur_ptr(&body), len);
	st->kept_len = (uint32_t)need;
	return true;
}

static unsigned record(struct tls_session *s, enum tls_dir dir, struct tls_dir_state *st,
		       uint8_t type, uint16_t version, struct cursor body)
{
	unsigned ev = 0;

	switch (type) {
	case CT_HANDSHAKE:
		if (!cur_left(&body)) {
			flag(s, ANOM_TLS_ZERO_LENGTH_RECORD);
			return 0;
		}
		if (s->encrypted[dir]) {
			/* TLS <= 1.2 after ChangeCipherSpec: Finished (or, later,
			 * a renegotiation), encrypted. */
			add_msg(s, dir, TLS_MSG_ENCRYPTED);
			if (s->finished[dir])
				s->renegotiation = true;
			s->finished[dir] = true;
			return 0;
		}
		return handshake_record(s, dir, st, body, version);
	case CT_CCS:
		add_msg(s, dir, TLS_MSG_CCS);
		s->ccs[dir] = true;
		/* RFC 8446 D.4: in TLS 1.3 a compatibility no-op. Before a final
		 * ServerHello nothing is negotiated, so nothing can be encrypted
		 * (a client resending its hello after an HRR sends one first). */
		if (is_tls13(s->version) || !final_server_hello_seen(s))
			return 0;
		s->encrypted[dir] = true;
		if (dir == TLS_TO_CLIENT && s->server_chain.n == 0 && !s->server_kx &&
		    !s->server_chain.empty_message && s->n_client_hellos) {
			/* Server went from ServerHello straight to CCS: an
			 * abbreviated (resumed) handshake. */
			set_resumption(s, s->client_hello[0].session_ticket_len ?
						  TLS_RESUME_TICKET : TLS_RESUME_SESSION_ID);
			ev |= TLS_EV_SERVER_DONE;
		}
		if (s->encrypted[!dir])
			ev |= TLS_EV_ENCRYPTED;
		return ev;
	case CT_ALERT:
		return alert_record(s, dir, body);
	case CT_APPDATA:
		if (s->keys == TLS_KEYS_WAITING && keep_record(s, st, version, body))
			return 0;
		if (s->dec && s->dec->on[dir])
			return decrypted_record(s, dir, st, version, body);
		appdata_record(s, dir);
		return 0;
	case CT_HEARTBEAT:
		add_msg(s, dir, TLS_MSG_HEARTBEAT);
		s->heartbeat = true;
		flag(s, ANOM_TLS_HEARTBEAT);
		return 0;
	default:
		return 0;
	}
}

/* Decides when there is nothing more to see (RFC 5246 7.3, RFC 8446 2):
 * both Finished after both ChangeCipherSpec, or application data both ways,
 * or (TLS 1.3) the client's first protected record after the ServerHello. */
static bool handshake_over(const struct tls_session *s)
{
	if (s->done)
		return true;
	if (is_tls13(s->version) && s->n_server_hellos && s->finished[TLS_TO_SERVER])
		return true;
	if (s->ccs[0] && s->ccs[1] && s->finished[0] && s->finished[1])
		return true;
	return s->app_data[0] && s->app_data[1];
}

/* Checks a record header; false when the bytes are not (or no longer) TLS. */
static bool header_ok(struct tls_session *s, uint8_t type, uint16_t version, uint16_t len)
{
	if (type < CT_CCS || type > CT_HEARTBEAT) {
		flag(s, ANOM_TLS_INVALID_RECORD_TYPE);
		return false;
	}
	if ((version >> 8) != 3 || (version & 0xff) > 4) {
		flag(s, ANOM_TLS_INVALID_RECORD_VERSION);
		return false;
	}
	if (len > REC_MAX) {
		flag(s, ANOM_TLS_RECORD_OVERFLOW);
		return false;
	}
	return true;
}

static struct tls_dir_state *dir_state(struct tls_session *s, enum tls_dir dir)
{
	if (!s->dir[dir]) {
		s->dir[dir] = malloc(sizeof(*s->dir[dir]));
		if (!s->dir[dir])
			return NULL;
		memset(s->dir[dir], 0, offsetof(struct tls_dir_state, rec));
	}
	return s->dir[dir];
}

/* Looks at the first bytes of a direction: TLS, SSLv2 hello, or neither. */
static unsigned first_bytes(struct tls_session *s, enum tls_dir dir,
			    struct tls_dir_state *st, const uint8_t *p)
{
	st->started = true;
	if (dir == TLS_TO_SERVER && (p[0] & 0x80) && p[2] == 1) {
		st->sslv2 = true;
		s->is_tls = true;
		return 0;
	}
	if (tls_looks_like_tls(p, 3)) {
		s->is_tls = true;
		return 0;
	}
	st->dead = true;
	if (!s->is_tls) {
		s->not_tls = true;
		s->done = true;
		flag(s, ANOM_TLS_NOT_TLS);
		return TLS_EV_NOT_TLS;
	}
	/* The other side spoke TLS: this side's first bytes are not a record. */
	flag(s, (p[0] >= CT_CCS && p[0] <= CT_HEARTBEAT) ? ANOM_TLS_INVALID_RECORD_VERSION :
							   ANOM_TLS_INVALID_RECORD_TYPE);
	return 0;
}

/* Parses one whole record (header included) at p. */
static unsigned whole_record(struct tls_session *s, enum tls_dir dir,
			     struct tls_dir_state *st, const uint8_t *p, size_t hdr, size_t len)
{
	if (hdr == 2) {
		st->sslv2 = false;
		return parse_sslv2_hello(s, cur_make(p + 2, len - 2));
	}
	return record(s, dir, st, p[0], (uint16_t)(p[1] << 8 | p[2]),
		      cur_make(p + REC_HDR, len - REC_HDR));
}

/* Header size and total record size at p (at least hdr bytes there), or
 * false when the header is not acceptable. */
static bool record_size(struct tls_session *s, struct tls_dir_state *st, const uint8_t *p,
			size_t *hdr, size_t *total)
{
	uint16_t len;

	if (st->sslv2) {
		*hdr = 2;
		*total = 2 + (((size_t)(p[0] & 0x7f) << 8) | p[1]);
		if (*total > REC_HDR + REC_MAX) {
			flag(s, ANOM_TLS_RECORD_OVERFLOW);
			return false;
		}
		return true;
	}
	*hdr = REC_HDR;
	len = (uint16_t)(p[3] << 8 | p[4]);
	if (!header_ok(s, p[0], (uint16_t)(p[1] << 8 | p[2]), len))
		return false;
	*total = REC_HDR + (size_t)len;
	return true;
}

/* The milestones of bytes just parsed, with those they imply, each once. */
static unsigned fed(struct tls_session *s, unsigned ev)
{
	ev |= s->given_up;
	s->given_up = 0;
	if (!s->done && handshake_over(s))
		s->done = true;
	if (s->done)
		ev |= TLS_EV_HANDSHAKE_DONE;
	/* Both sides encrypted, unless the key log still lets us read on (or
	 * may yet). */
	if (s->encrypted[0] && s->encrypted[1] && s->keys != TLS_KEYS_WAITING &&
	    !(s->dec && (s->dec->on[0] || s->dec->on[1])))
		ev |= TLS_EV_ENCRYPTED;
	ev &= ~(unsigned)s->events; /* each milestone once */
	s->events |= (uint16_t)ev;
	return ev;
}

unsigned tls_feed(struct tls_session *s, enum tls_dir dir, const uint8_t *data, size_t len)
{
	struct tls_dir_state *st;
	unsigned ev = 0;
	size_t hdr, total, take;

	if (s->done || len == 0)
		return 0;
	st = dir_state(s, dir);
	if (!st || st->dead)
		return 0;
	while (len && !st->dead && !s->done) {
		if (st->rec_len) {
			/* A record split across segments: gather it in rec. */
			size_t need_hdr = st->sslv2 ? 2 : REC_HDR;

			if (st->rec_len < need_hdr) {
				take = need_hdr - st->rec_len < len ? need_hdr - st->rec_len : len;
				memcpy(st->rec + st->rec_len, data, take);
				st->rec_len += (uint32_t)take;
				data += take;
				len -= take;
				if (st->rec_len < need_hdr)
					break;
			}
			if (!st->started && st->rec_len >= 3) {
				ev |= first_bytes(s, dir, st, st->rec);
				if (st->dead)
					break;
			}
			if (!record_size(s, st, st->rec, &hdr, &total)) {
				st->dead = true;
				break;
			}
			if (st->rec_len >= total) {
				/* A 2-byte-header SSLv2 record shorter than the 5 bytes
				 * gathered before its kind was known: parse it, keep
				 * the rest for the next record. */
				size_t extra = st->rec_len - total;

				ev |= whole_record(s, dir, st, st->rec, hdr, total);
				memmove(st->rec, st->rec + total, extra);
				st->rec_len = (uint32_t)extra;
				continue;
			}
			take = total - st->rec_len < len ? total - st->rec_len : len;
			memcpy(st->rec + st->rec_len, data, take);
			st->rec_len += (uint32_t)take;
			data += take;
			len -= take;
			if (st->rec_len < total)
				break;
			ev |= whole_record(s, dir, st, st->rec, hdr, total);
			st->rec_len = 0;
			continue;
		}
		if (!st->started) {
			if (len < 3) {
				memcpy(st->rec, data, len);
				st->rec_len = (uint32_t)len;
				break;
			}
			ev |= first_bytes(s, dir, st, data);
			if (st->dead)
				break;
		}
		if (len < (st->sslv2 ? 2u : REC_HDR)) {
			memcpy(st->rec, data, len);
			st->rec_len = (uint32_t)len;
			break;
		}
		if (!record_size(s, st, data, &hdr, &total)) {
			st->dead = true;
			break;
		}
		if (total > len) {
			memcpy(st->rec, data, len);
			st->rec_len = (uint32_t)len;
			break;
		}
		ev |= whole_record(s, dir, st, data, hdr, total);
		data += total;
		len -= total;
	}
	return fed(s, ev);
}

/* The kept records of both directions, the server's first (the client's
 * come after its flight), parsed now: decrypted if the secrets came. */
static unsigned replay_kept(struct tls_session *s)
{
	static const enum tls_dir order[2] = { TLS_TO_CLIENT, TLS_TO_SERVER };
	struct tls_dir_state *st;
	unsigned ev = 0, i;
	uint8_t *kept;
	uint32_t at, n, len;

	for (i = 0; i < 2; i++) {
		st = s->dir[order[i]];
		if (!st || !st->kept)
			continue;
		kept = st->kept;
		n = st->kept_len;
		st->kept = NULL;
		st->kept_len = st->kept_cap = 0;
		for (at = 0; at + REC_HDR <= n && !s->done; at += REC_HDR + len) {
			len = (uint32_t)(kept[at + 3] << 8 | kept[at + 4]);
			ev |= record(s, order[i], st, CT_APPDATA,
				     (uint16_t)(kept[at + 1] << 8 | kept[at + 2]),
				     cur_make(kept + at + REC_HDR, len));
		}
		free(kept);
	}
	return ev;
}

/* Waits no more: the kept records are followed as without keys, and the
 * server's flight is over as at a TLS 1.3 ServerHello without them. */
static unsigned keys_given_up(struct tls_session *s)
{
	s->keys = TLS_KEYS_NONE;
	return replay_kept(s) | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED;
}

unsigned tls_session_keys_retry(struct tls_session *s, bool last)
{
	unsigned ev;

	if (s->keys != TLS_KEYS_WAITING)
		return 0;
	s->keys = TLS_KEYS_NONE;
	if (start_decryption(s))
		ev = replay_kept(s);
	else if (s->keys == TLS_KEYS_NONE && !last)
		ev = (s->keys = TLS_KEYS_WAITING, 0);
	else
		ev = s->keys == TLS_KEYS_FAILED ? replay_kept(s) | TLS_EV_SERVER_DONE :
						  keys_given_up(s);
	return fed(s, ev);
}

/* QUIC carries handshake messages in CRYPTO frames, with no record layer
 * (RFC 9001 4.1.3): the same message reassembly and parsers, without the
 * records around them. Record version 0: there was none. */
static unsigned quic_messages(struct tls_session *s, enum tls_dir dir, const uint8_t *data,
			      size_t len, bool decrypted)
{
	struct tls_dir_state *st;
	unsigned ev;

	if (len == 0)
		return 0;
	if (decrypted && !s->dec && !(s->dec = calloc(1, sizeof(*s->dec))))
		return 0;
	st = dir_state(s, dir);
	if (!st || st->dead)
		return 0;
	s->is_tls = true;
	s->quic = true;
	if (decrypted) {
		s->keys = TLS_KEYS_DECRYPTING;
		s->dec->opened[dir] = true;
		s->dec->inside = true;
	}
	ev = handshake_record(s, dir, st, cur_make(data, len), 0);
	if (decrypted)
		s->dec->inside = false;
	ev &= ~(unsigned)s->events;
	s->events |= (uint16_t)ev;
	return ev;
}

unsigned tls_feed_handshake(struct tls_session *s, enum tls_dir dir, const uint8_t *data,
			    size_t len)
{
	if (s->done)
		return 0;
	return quic_messages(s, dir, data, len, false);
}

unsigned tls_feed_handshake_decrypted(struct tls_session *s, enum tls_dir dir,
				      const uint8_t *data, size_t len)
{
	return quic_messages(s, dir, data, len, true);
}

void tls_eof(struct tls_session *s, enum tls_dir dir)
{
	struct tls_dir_state *st = s->dir[dir];

	if (st && !st->dead && (st->rec_len || st->hs_len))
		flag(s, ANOM_TLS_TRUNCATED_RECORD);
	if (st)
		st->dead = true;
}

void tls_gap(struct tls_session *s, enum tls_dir dir)
{
	struct tls_dir_state *st = dir_state(s, dir);

	if (st)
		st->dead = true;
}
