/*
 * x509: certificate facts and the certificate cache.
 *
 * OpenSSL (d2i_X509) decides whether bytes are a certificate and supplies
 * validity, key, signature, extensions and the self-signature check. The
 * Suricata-format texts (subject, issuer, serial) need the exact tags and
 * octets as encoded, which OpenSSL normalises away, so they are read from
 * the DER with the bounds-checked cursor (RFC 5280 section 4.1, X.690).
 */
#include "x509/x509.h"

#include "buf.h"
#include "cursor.h"
#include "digest.h"
#include "hashseed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/asn1.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

/* A TLS certificate_list entry is at most 2^24-1 bytes (RFC 8446 4.4.2). */
#define X509_MAX_DER ((size_t)1 << 24)

static const char x509_name_error[] = "<X509Error: Invalid X.509 name>";

/* ---- DER (X.690 8.1) ---------------------------------------------------- */

struct der_tlv {
	uint8_t id;          /* first identifier octet: class | constructed | tag */
	uint32_t tag;        /* tag number, whatever the class */
	struct cursor val;   /* the contents octets */
};

/*
 * Reads one TLV: identifier octets (X.690 8.1.2, high tag numbers
 * included) and definite length octets (8.1.3; DER forbids the indefinite
 * form, 10.1). Lengths of more than four octets are refused.
 */
static bool der_read(struct cursor *c, struct der_tlv *t)
{
	uint8_t b, lb;
	size_t len = 0;
	unsigned n;

	if (!cur_u8(c, &t->id))
		return false;
	t->tag = t->id & 0x1f;
	if (t->tag == 0x1f) {
		t->tag = 0;
		do {
			if (!cur_u8(c, &b) || t->tag > (UINT32_MAX >> 7))
				return false;
			t->tag = t->tag << 7 | (b & 0x7f);
		} while (b & 0x80);
	}
	if (!cur_u8(c, &lb))
		return false;
	if (lb < 0x80) {
		len = lb;
	} else {
		n = lb & 0x7f;
		if (n == 0 || n > 4)
			return false;
		while (n--) {
			if (!cur_u8(c, &b))
				return false;
			len = len << 8 | b;
		}
	}
	return cur_sub(c, &t->val, len);
}

/*
 * RFC 5280 4.1:
 *   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
 *   TBSCertificate ::= SEQUENCE {
 *     version [0] EXPLICIT Version DEFAULT v1, serialNumber INTEGER,
 *     signature AlgorithmIdentifier, issuer Name, validity Validity,
 *     subject Name, ... }
 * Gives the serial's contents and the issuer and subject RDNSequences.
 */
static bool der_tbs_fields(const uint8_t *der, size_t len, struct cursor *serial,
			   struct cursor *issuer, struct cursor *subject, struct cursor *subject_tlv)
{
	const uint8_t *at;
	struct cursor c = cur_make(der, len);
	struct der_tlv cert, tbs, t;

	if (!der_read(&c, &cert) || cert.id != 0x30)
		return false;
	if (!der_read(&cert.val, &tbs) || tbs.id != 0x30)
		return false;
	c = tbs.val;
	if (!der_read(&c, &t))
		return false;
	if (t.id == 0xa0 && !der_read(&c, &t))
		return false;
	if (t.id != 0x02)
		return false;
	*serial = t.val;
	if (!der_read(&c, &t) || t.id != 0x30)          /* signature */
		return false;
	if (!der_read(&c, &t) || t.id != 0x30)          /* issuer */
		return false;
	*issuer = t.val;
	if (!der_read(&c, &t) || t.id != 0x30)          /* validity */
		return false;
	at = c.p;
	if (!der_read(&c, &t) || t.id != 0x30)          /* subject */
		return false;
	*subject = t.val;
	*subject_tlv = cur_make(at, (size_t)(t.val.p + t.val.len - at));
	return true;
}

bool x509_der_subject(const uint8_t *der, size_t len, const uint8_t **name, size_t *name_len)
{
	struct cursor serial, issuer, subject, tlv;

	if (!der_tbs_fields(der, len, &serial, &issuer, &subject, &tlv))
		return false;
	*name = tlv.p;
	*name_len = tlv.len;
	return true;
}

/* ---- Names in Suricata's format ----------------------------------------- */

/* Attribute names: x509-parser's abbreviations first, then the short names
 * of its OID registry (oid-registry crate) for OIDs met in names. */
static const struct {
	const char *oid;
	const char *name;
} x509_attr_names[] = {
	{ "2.5.4.3", "CN" },
	{ "2.5.4.6", "C" },
	{ "2.5.4.7", "L" },
	{ "2.5.4.8", "ST" },
	{ "2.5.4.10", "O" },
	{ "2.5.4.11", "OU" },
	{ "0.9.2342.19200300.100.1.25", "DC" },
	{ "1.2.840.113549.1.9.1", "Email" },
	{ "2.5.4.0", "objectClass" },
	{ "2.5.4.1", "aliasedEntryName" },
	{ "2.5.4.2", "knowledgeInformation" },
	{ "2.5.4.4", "surname" },
	{ "2.5.4.5", "serialNumber" },
	{ "2.5.4.9", "streetAddress" },
	{ "2.5.4.12", "title" },
	{ "2.5.4.13", "description" },
	{ "2.5.4.14", "searchGuide" },
	{ "2.5.4.15", "businessCategory" },
	{ "2.5.4.16", "postalAddress" },
	{ "2.5.4.17", "postalCode" },
	{ "2.5.4.41", "name" },
	{ "2.5.4.42", "givenName" },
	{ "2.5.4.43", "initials" },
	{ "2.5.4.44", "generationQualifier" },
	{ "2.5.4.45", "uniqueIdentifier" },
	{ "2.5.4.46", "dnQualifier" },
	{ "1.2.840.113549.1.9.2", "unstructuredName" },
	{ "1.2.840.113549.1.9.3", "contentType" },
	{ "1.2.840.113549.1.9.4", "id-messageDigest" },
	{ "1.2.840.113549.1.9.5", "signing-time" },
	{ "1.2.840.113549.1.9.14", "extensionRequest" },
	{ "1.2.840.113549.1.9.15", "smimeCapabilities" },
	{ "1.2.840.113549.1.9.20", "friendlyName" },
	{ "1.3.6.1.4.1.311.60.2.1.1", "msJurisdictionLocality" },
	{ "1.3.6.1.4.1.311.60.2.1.2", "msJurisdictionStateOrProvince" },
	{ "1.3.6.1.4.1.311.60.2.1.3", "msJurisdictionCountry" },
	{ "2.5.29.14", "subjectKeyIdentifier" },
	{ "2.5.29.15", "keyUsage" },
	{ "2.5.29.17", "subjectAltName" },
	{ "2.5.29.18", "issuerAltName" },
	{ "2.5.29.19", "basicConstraints" },
	{ "2.16.840.1.113730.1.1", "nsCertType" },
	{ "2.16.840.1.113730.1.13", "nsComment" },
};

/*
 * The OID as x509-parser's Debug form prints it: "OID(a.b.c)". Like that
 * crate, the first two arcs come from the first octet alone (/40, %40), and
 * an OID with an arc over 64 bits is printed as spaced lower-case hex.
 */
static void oid_text(struct cursor oid, struct buf *out)
{
	struct cursor c = oid;
	uint8_t b;
	uint64_t arc = 0;
	unsigned bits = 0;
	bool wide = false;

	if (!cur_u8(&c, &b))
		return;
	while (cur_u8(&c, &b)) {
		bits += 7;
		if (!(b & 0x80)) {
			wide = wide || bits > 64;
			bits = 0;
		}
	}
	c = oid;
	cur_u8(&c, &b);
	if (wide) {
		c = oid;
		while (cur_u8(&c, &b))
			buf_printf(out, cur_left(&c) ? "%02x " : "%02x", b);
		return;
	}
	buf_printf(out, "%u", b / 40);
	if (b == 0 && cur_left(&c) == 0)
		return;
	buf_printf(out, ".%u", b % 40);
	while (cur_u8(&c, &b)) {
		arc = arc << 7 | (b & 0x7f);
		if (!(b & 0x80) || cur_left(&c) == 0) {
			buf_printf(out, ".%llu", (unsigned long long)arc);
			arc = 0;
		}
	}
}

static void attr_name(struct cursor oid, struct buf *out)
{
	struct buf dotted = { 0 };
	const char *s;
	size_t i;

	oid_text(oid, &dotted);
	s = buf_cstr(&dotted);
	for (i = 0; i < sizeof(x509_attr_names) / sizeof(x509_attr_names[0]); i++) {
		if (strcmp(s, x509_attr_names[i].oid) == 0) {
			buf_puts(out, x509_attr_names[i].name);
			goto done;
		}
	}
	buf_puts(out, "OID(");
	buf_puts(out, s);
	buf_putc(out, ')');
done:
	buf_free(&dotted);
}

static bool is_cont(uint8_t b, uint8_t lo, uint8_t hi)
{
	return b >= lo && b <= hi;
}

/* Copies s to out if it is well-formed UTF-8 (RFC 3629 section 4, as
 * Rust's str::from_utf8 checks it); false otherwise. */
static bool put_utf8(struct cursor s, struct buf *out)
{
	struct cursor c = s;
	const uint8_t *p;
	uint8_t b, b1, b2, b3;
	size_t need;

	while (cur_u8(&c, &b)) {
		if (b < 0x80)
			continue;
		if (b >= 0xc2 && b <= 0xdf) {
			if (!cur_u8(&c, &b1) || !is_cont(b1, 0x80, 0xbf))
				return false;
		} else if (b >= 0xe0 && b <= 0xef) {
			if (!cur_u8(&c, &b1) || !cur_u8(&c, &b2))
				return false;
			if (!is_cont(b1, b == 0xe0 ? 0xa0 : 0x80, b == 0xed ? 0x9f : 0xbf) ||
			    !is_cont(b2, 0x80, 0xbf))
				return false;
		} else if (b >= 0xf0 && b <= 0xf4) {
			if (!cur_u8(&c, &b1) || !cur_u8(&c, &b2) || !cur_u8(&c, &b3))
				return false;
			if (!is_cont(b1, b == 0xf0 ? 0x90 : 0x80, b == 0xf4 ? 0x8f : 0xbf) ||
			    !is_cont(b2, 0x80, 0xbf) || !is_cont(b3, 0x80, 0xbf))
				return false;
		} else {
			return false;
		}
	}
	need = cur_left(&s);
	if (cur_bytes(&s, &p, need))
		buf_put(out, p, need);
	return true;
}

static void put_codepoint(uint32_t cp, struct buf *out)
{
	if (cp < 0x80) {
		buf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(out, (char)(0xc0 | cp >> 6));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(out, (char)(0xe0 | cp >> 12));
		buf_putc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(out, (char)(0xf0 | cp >> 18));
		buf_putc(out, (char)(0x80 | (cp >> 12 & 0x3f)));
		buf_putc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Reads one UTF-16BE unit; a lone last octet counts as a unit of its own
 * (as the asn1-rs BmpString conversion does). */
static bool bmp_unit(struct cursor *c, uint32_t *u)
{
	uint16_t w;
	uint8_t b;

	if (cur_u16(c, &w)) {
		*u = w;
		return true;
	}
	if (cur_u8(c, &b)) {
		*u = b;
		return true;
	}
	return false;
}

/* BMPString (X.680 41): UTF-16BE to UTF-8; an unpaired surrogate fails. */
static bool put_bmp(struct cursor s, struct buf *out)
{
	uint32_t u, lo;

	while (bmp_unit(&s, &u)) {
		if (u >= 0xdc00 && u <= 0xdfff)
			return false;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (!bmp_unit(&s, &lo) || lo < 0xdc00 || lo > 0xdfff)
				return false;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		put_codepoint(u, out);
	}
	return true;
}

static void put_hex_upper(struct cursor s, char sep, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t b;
	bool first = true;

	while (cur_u8(&s, &b)) {
		if (!first && sep)
			buf_putc(out, sep);
		buf_putc(out, hex[b >> 4]);
		buf_putc(out, hex[b & 0xf]);
		first = false;
	}
}

/* An AttributeValue: string types by tag number (x509-parser ignores the
 * class), other types as upper-case hex of their contents. */
static bool attr_value(const struct der_tlv *v, struct buf *out)
{
	switch (v->tag) {
	case 7:  /* ObjectDescriptor */
	case 12: /* UTF8String */
	case 18: /* NumericString */
	case 19: /* PrintableString */
	case 20: /* T61String */
	case 21: /* VideotexString */
	case 22: /* IA5String */
	case 25: /* GraphicString */
	case 26: /* VisibleString */
	case 27: /* GeneralString */
		return put_utf8(v->val, out);
	case 30: /* BMPString */
		return put_bmp(v->val, out);
	default:
		put_hex_upper(v->val, 0, out);
		return true;
	}
}

/*
 * RFC 5280 4.1.2.4: Name ::= SEQUENCE OF RelativeDistinguishedName,
 * RDN ::= SET OF AttributeTypeAndValue, ATV ::= SEQUENCE { OID, ANY }.
 * Writes the RDNs joined by ", " (none before an empty first one, like
 * x509-parser) and multi-valued RDNs joined by " + ". False when the name
 * is malformed or holds a string that is not UTF-8.
 */
static bool name_format(struct cursor name, struct buf *out)
{
	struct der_tlv rdn, atv, oid, val;
	size_t start = out->len;
	bool first;

	while (cur_left(&name)) {
		if (!der_read(&name, &rdn) || rdn.id != 0x31)
			return false;
		if (out->len > start)
			buf_puts(out, ", ");
		first = true;
		while (cur_left(&rdn.val)) {
			if (!der_read(&rdn.val, &atv) || atv.id != 0x30)
				return false;
			if (!der_read(&atv.val, &oid) || oid.id != 0x06 ||
			    !der_read(&atv.val, &val))
				return false;
			if (!first)
				buf_puts(out, " + ");
			first = false;
			attr_name(oid.val, out);
			buf_putc(out, '=');
			if (!attr_value(&val, out))
				return false;
		}
	}
	return true;
}

/* The name text as Suricata logs it; NULL only when memory is short. */
static char *name_text(struct cursor name)
{
	struct buf b = { 0 };
	char *s;

	if (!name_format(name, &b)) {
		buf_reset(&b);
		buf_puts(&b, x509_name_error);
	}
	if (b.len && memchr(b.data, 0, b.len))
		buf_reset(&b);
	s = b.oom ? NULL : strdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* ---- Facts from OpenSSL ------------------------------------------------- */

static void hex_colon_lower(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = hex[p[i] >> 4];
		*out++ = hex[p[i] & 0xf];
		if (i + 1 < n)
			*out++ = ':';
	}
	*out = '\0';
}

static int digests(struct x509_cert *xc)
{
	uint8_t md[DIGEST_MAX_LEN];

	if (!digest(DIGEST_SHA1, xc->der, xc->der_len, md))
		return -EINVAL;
	hex_colon_lower(md, 20, xc->sha1);
	if (!digest(DIGEST_SHA256, xc->der, xc->der_len, md))
		return -EINVAL;
	hex_colon_lower(md, 32, xc->sha256);
	memcpy(xc->sha256_bin, md, sizeof(xc->sha256_bin));
	return 0;
}

/* RFC 5280 4.1.2.5: UTCTime or GeneralizedTime, always UTC. */
static int validity_time(const ASN1_TIME *t, time_t *out, char text[static 20])
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	*out = timegm(&tm);
	if (strftime(text, 20, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -EINVAL;
	return 0;
}

/* Key algorithm OIDs OpenSSL cannot load still get a name: the long name
 * (as `openssl x509 -text` prints it) or the dotted OID. */
static void key_facts(struct x509_cert *xc)
{
	EVP_PKEY *pk = X509_get0_pubkey(xc->x509);
	const ASN1_OBJECT *alg = NULL;
	char group[80];
	size_t glen;
	int nid;

	xc->key_type = xc->key_type_buf;
	if (X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, NULL, NULL, NULL,
				   X509_get_X509_PUBKEY(xc->x509)) && alg)
		OBJ_obj2txt(xc->key_type_buf, sizeof(xc->key_type_buf), alg, 0);
	if (!pk)
		return;
	xc->key_bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		xc->key_type = "RSA";
	} else if (EVP_PKEY_is_a(pk, "RSA-PSS")) {
		xc->key_type = "RSA-PSS";
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		xc->key_type = "EC";
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen)) {
			nid = OBJ_sn2nid(group);
			if (nid != NID_undef)
				xc->curve = EC_curve_nid2nist(nid) ? EC_curve_nid2nist(nid)
								   : OBJ_nid2sn(nid);
		}
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		xc->key_type = "Ed25519";
		xc->key_bits = 256;
	} else if (EVP_PKEY_is_a(pk, "ED448")) {
		xc->key_type = "Ed448";
		xc->key_bits = 456;
	} else if (EVP_PKEY_is_a(pk, "DSA")) {
		xc->key_type = "DSA";
	} else if (EVP_PKEY_is_a(pk, "DH") || EVP_PKEY_is_a(pk, "DHX")) {
		xc->key_type = "DH";
	}
	if (xc->key_bits < 0)
		xc->key_bits = 0;
}

static void sig_facts(struct x509_cert *xc)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;

	xc->sig_alg = xc->sig_alg_buf;
	X509_get0_signature(NULL, &alg, xc->x509);
	if (alg)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj)
		OBJ_obj2txt(xc->sig_alg_buf, sizeof(xc->sig_alg_buf), obj, 0);
}

/* Printable ASCII as is; anything else, and '\', as \xHH. */
static void put_escaped(const unsigned char *p, int n, struct buf *out)
{
	struct cursor c = cur_make(p, n > 0 ? (size_t)n : 0);
	uint8_t b;

	while (cur_u8(&c, &b)) {
		if (b >= 0x20 && b < 0x7f && b != '\\')
			buf_putc(out, (char)b);
		else
			buf_printf(out, "\\x%02x", b);
	}
}

static int san_text(const GENERAL_NAME *gn, struct buf *out)
{
	const unsigned char *der = NULL;
	size_t der_len = 0;
	struct cursor c;
	struct der_tlv seq;
	char ip[INET6_ADDRSTRLEN];
	const ASN1_OCTET_STRING *a;
	int type;
	const void *v = GENERAL_NAME_get0_value(gn, &type);

	switch (type) {
	case GEN_DNS:
		buf_puts(out, "DNS:");
		put_escaped(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), out);
		return 0;
	case GEN_EMAIL:
		buf_puts(out, "email:");
		put_escaped(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), out);
		return 0;
	case GEN_URI:
		buf_puts(out, "URI:");
		put_escaped(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), out);
		return 0;
	case GEN_IPADD:
		a = v;
		buf_puts(out, "IP:");
		if (ASN1_STRING_length(a) == 4 &&
		    inet_ntop(AF_INET, ASN1_STRING_get0_data(a), ip, sizeof(ip)))
			buf_puts(out, ip);
		else if (ASN1_STRING_length(a) == 16 &&
			 inet_ntop(AF_INET6, ASN1_STRING_get0_data(a), ip, sizeof(ip)))
			buf_puts(out, ip);
		else
			put_escaped(ASN1_STRING_get0_data(a), ASN1_STRING_length(a), out);
		return 0;
	case GEN_DIRNAME:
		if (!X509_NAME_get0_der((X509_NAME *)v, &der, &der_len))
			return -EINVAL;
		c = cur_make(der, der_len);
		if (!der_read(&c, &seq) || seq.id != 0x30)
			return -EINVAL;
		buf_puts(out, "DirName:");
		if (!name_format(seq.val, out))
			return -EINVAL;
		return 0;
	case GEN_RID:
		buf_puts(out, "RID:");
		if (!buf_reserve(out, 80))
			return -ENOMEM;
		OBJ_obj2txt(out->data + out->len, 80, v, 1);
		out->len += strlen(out->data + out->len);
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* RFC 5280 4.2.1.6. Names of kinds we do not print are left out. */
static int san_facts(struct x509_cert *xc)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(xc->x509, NID_subject_alt_name, NULL, NULL);
	struct buf b = { 0 };
	int i, n, err = 0;

	n = gens ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		if (san_text(sk_GENERAL_NAME_value(gens, i), &b) < 0)
			continue;
		if (xc->n_sans == X509_MAX_SANS) {
			xc->sans_truncated = true;
			break;
		}
		if (b.oom) {
			err = -ENOMEM;
			break;
		}
		xc->sans[xc->n_sans] = strdup(buf_cstr(&b));
		if (!xc->sans[xc->n_sans]) {
			err = -ENOMEM;
			break;
		}
		xc->n_sans++;
	}
	buf_free(&b);
	GENERAL_NAMES_free(gens);
	return err;
}

static void ca_facts(struct x509_cert *xc)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(xc->x509, NID_basic_constraints, NULL, NULL);
	EVP_PKEY *pk = X509_get0_pubkey(xc->x509);

	xc->is_ca = bc && bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	xc->self_issued = X509_NAME_cmp(X509_get_subject_name(xc->x509),
					X509_get_issuer_name(xc->x509)) == 0;
	xc->self_signed = xc->self_issued && pk && X509_verify(xc->x509, pk) == 1;
}

/* ---- Certificates ------------------------------------------------------- */

static void cert_free(struct x509_cert *xc)
{
	unsigned i;

	if (!xc)
		return;
	X509_free(xc->x509);
	free(xc->b64);
	free(xc->subject);
	free(xc->issuer);
	free(xc->serial);
	for (i = 0; i < xc->n_sans; i++)
		free(xc->sans[i]);
	free(xc);
}

/* Parses a copy of der; NULL when it is not a certificate or memory is
 * short. The DER lives in the same allocation, after the struct. */
static struct x509_cert *cert_parse(const uint8_t *der, size_t len, uint64_t hash)
{
	struct x509_cert *xc = calloc(1, sizeof(*xc) + len);
	struct cursor serial, issuer, subject, subject_tlv;
	struct buf b = { 0 };
	const unsigned char *p;

	if (!xc)
		return NULL;
	memcpy(xc + 1, der, len);
	xc->der = (const uint8_t *)(xc + 1);
	xc->der_len = len;
	xc->hash = hash;
	p = xc->der;
	xc->x509 = d2i_X509(NULL, &p, (long)len);
	if (!xc->x509 || !der_tbs_fields(xc->der, len, &serial, &issuer, &subject, &subject_tlv))
		goto fail;
	xc->subject = name_text(subject);
	xc->issuer = name_text(issuer);
	put_hex_upper(serial, ':', &b);
	xc->serial = b.oom ? NULL : strdup(buf_cstr(&b));
	if (!xc->subject || !xc->issuer || !xc->serial)
		goto fail;
	if (digests(xc) < 0 ||
	    validity_time(X509_get0_notBefore(xc->x509), &xc->not_before_t, xc->not_before) < 0 ||
	    validity_time(X509_get0_notAfter(xc->x509), &xc->not_after_t, xc->not_after) < 0)
		goto fail;
	xc->version = (int)X509_get_version(xc->x509) + 1;
	key_facts(xc);
	sig_facts(xc);
	if (san_facts(xc) < 0)
		goto fail;
	ca_facts(xc);
	buf_free(&b);
	ERR_clear_error();
	return xc;
fail:
	buf_free(&b);
	ERR_clear_error();
	cert_free(xc);
	return NULL;
}

struct x509_cert *x509_cert_ref(struct x509_cert *cert)
{
	if (cert)
		cert->refs++;
	return cert;
}

/* ---- The cache ---------------------------------------------------------- */

struct x509_cache {
	struct x509_cert **slots;
	size_t mask;             /* number of slots - 1, a power of two - 1 */
	size_t entries;
	size_t idle;             /* entries with no reference */
	size_t max_idle;
	struct x509_cert *lru_head;  /* least recently used idle entry */
	struct x509_cert *lru_tail;
	uint64_t seed;
	uint64_t lookups, parses, evictions;
};

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

/*
 * A fast 64-bit hash, two independent multiply-rotate lanes over 16-byte
 * blocks and a final avalanche (the mixing constants are the usual odd
 * golden-ratio / xorshift-multiply ones). Not a parser: it reads every
 * byte once with the remaining length as the only bound, through memcpy.
 * The per-cache random seed keeps crafted collisions from chaining.
 */
static uint64_t x509_hash(uint64_t seed, const uint8_t *p, size_t n)
{
	const uint64_t k1 = 0x9e3779b97f4a7c15ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
	uint64_t a = seed ^ (n * k1), b = rotl64(seed, 32) ^ k2;
	uint64_t w[2];
	uint8_t tail[16];

	while (n >= 16) {
		memcpy(w, p, 16);
		a = rotl64(a ^ (w[0] * k2), 31) * k1;
		b = rotl64(b ^ (w[1] * k1), 29) * k2;
		p += 16;
		n -= 16;
	}
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, n);
	memcpy(w, tail, 16);
	a = rotl64(a ^ (w[0] * k2), 31) * k1;
	b = rotl64(b ^ (w[1] * k1), 29) * k2;
	a ^= rotl64(b, 17);
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ULL;
	a ^= a >> 33;
	return a;
}

struct x509_cache *x509_cache_new(size_t max_entries)
{
	struct x509_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = calloc(64, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->mask = 63;
	c->max_idle = max_entries;
	c->seed = hashseed_new(c);
	return c;
}

void x509_cache_free(struct x509_cache *c)
{
	struct x509_cert *e, *next;
	size_t i;

	if (!c)
		return;
	for (i = 0; i <= c->mask; i++) {
		for (e = c->slots[i]; e; e = next) {
			next = e->next;
			cert_free(e);
		}
	}
	free(c->slots);
	free(c);
}

/* Doubles the table when it is fuller than one entry per slot; on
 * allocation failure the table keeps its size (chains get longer). */
static void cache_grow(struct x509_cache *c)
{
	size_t n = c->mask + 1, i;
	struct x509_cert **slots, *e, *next;

	if (c->entries <= n || n > SIZE_MAX / 2 / sizeof(*slots))
		return;
	slots = calloc(n * 2, sizeof(*slots));
	if (!slots)
		return;
	for (i = 0; i < n; i++) {
		for (e = c->slots[i]; e; e = next) {
			next = e->next;
			e->next = slots[e->hash & (n * 2 - 1)];
			slots[e->hash & (n * 2 - 1)] = e;
		}
	}
	free(c->slots);
	c->slots = slots;
	c->mask = n * 2 - 1;
}

static void idle_unlink(struct x509_cache *c, struct x509_cert *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	c->idle--;
}

static void idle_append(struct x509_cache *c, struct x509_cert *e)
{
	e->lru_next = NULL;
	e->lru_prev = c->lru_tail;
	if (c->lru_tail)
		c->lru_tail->lru_next = e;
	else
		c->lru_head = e;
	c->lru_tail = e;
	c->idle++;
}

static void cache_evict(struct x509_cache *c, struct x509_cert *e)
{
	struct x509_cert **pp = &c->slots[e->hash & c->mask];

	idle_unlink(c, e);
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	c->entries--;
	c->evictions++;
	cert_free(e);
}

struct x509_cert *x509_cache_get(struct x509_cache *c, const uint8_t *der, size_t len)
{
	struct x509_cert *e;
	uint64_t h;

	c->lookups++;
	if (!der || len == 0 || len > X509_MAX_DER)
		return NULL;
	h = x509_hash(c->seed, der, len);
	for (e = c->slots[h & c->mask]; e; e = e->next) {
		if (e->hash != h || e->der_len != len || memcmp(e->der, der, len) != 0)
			continue;
		if (e->refs == UINT_MAX)
			return NULL;
		if (e->refs++ == 0)
			idle_unlink(c, e);
		return e;
	}
	c->parses++;
	e = cert_parse(der, len, h);
	if (!e)
		return NULL;
	e->refs = 1;
	e->next = c->slots[h & c->mask];
	c->slots[h & c->mask] = e;
	c->entries++;
	cache_grow(c);
	return e;
}

void x509_cert_put(struct x509_cache *c, struct x509_cert *cert)
{
	if (!c || !cert || cert->refs == 0)
		return;
	if (--cert->refs)
		return;
	idle_append(c, cert);
	while (c->idle > c->max_idle)
		cache_evict(c, c->lru_head);
}

void x509_cache_stats(const struct x509_cache *c, uint64_t *lookups,
		      uint64_t *parses, size_t *entries)
{
	if (lookups)
		*lookups = c ? c->lookups : 0;
	if (parses)
		*parses = c ? c->parses : 0;
	if (entries)
		*entries = c ? c->entries : 0;
}

uint64_t x509_cache_evictions(const struct x509_cache *c)
{
	return c ? c->evictions : 0;
}

const char *x509_cert_base64(struct x509_cert *cert, size_t *len)
{
	int n;

	if (!cert->b64 && cert->der_len <= (size_t)INT_MAX / 2) {
		cert->b64 = malloc(4 * ((cert->der_len + 2) / 3) + 1);
		if (!cert->b64)
			return NULL;
		n = EVP_EncodeBlock((unsigned char *)cert->b64, cert->der, (int)cert->der_len);
		cert->b64_len = n > 0 ? (size_t)n : 0;
	}
	*len = cert->b64_len;
	return cert->b64;
}
