/*
 * tls_names: the registries answer what IANA, OpenSSL, Suricata and tshark
 * say, lookups are exact (sorted tables really are sorted) and every entry
 * is internally consistent.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tls/tls.h"
#include "tls/tls_names.h"

static unsigned count_known(const char *(*fn)(uint16_t))
{
	unsigned n = 0;

	for (unsigned c = 0; c <= 0xffff; c++)
		if (fn((uint16_t)c))
			n++;
	return n;
}

Test(tls_names, suite_table_sorted_and_complete)
{
	const struct tls_suite_info *s, *prev = NULL;
	unsigned n = 0;

	for (unsigned i = 0; (s = tls_suite_at(i)); i++, n++) {
		if (prev)
			cr_assert_lt(prev->code, s->code, "table not ascending at %u", i);
		cr_assert_eq(tls_suite_info(s->code), s, "bisection misses 0x%04x", s->code);
		cr_assert_not_null(s->name);
		cr_assert_eq(strncmp(s->name, "TLS_", 4), 0, "%s", s->name);
		prev = s;
	}
	/* Every code point IANA assigns (352 as of the 2025 registry). */
	cr_assert_eq(n, 352);
	cr_assert_null(tls_suite_at(n));
	/* Nothing else answers: 0x0000..0xffff holds exactly the table. */
	cr_assert_eq(count_known(tls_suite_name), n);
}

Test(tls_names, suite_properties_examples)
{
	const struct tls_suite_info *s;

	s = tls_suite_info(0xc02f);
	cr_assert_str_eq(s->name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	cr_assert_str_eq(s->openssl_name, "ECDHE-RSA-AES128-GCM-SHA256");
	cr_assert_eq(s->kx, TLS_KX_ECDHE);
	cr_assert_eq(s->auth, TLS_AUTH_RSA);
	cr_assert_eq(s->enc, TLS_ENC_AES_GCM);
	cr_assert_eq(s->enc_bits, 128);
	cr_assert_eq(s->mac, TLS_MAC_AEAD);
	cr_assert(s->aead && !s->cbc && s->forward_secret && !s->export_grade && !s->scsv);

	s = tls_suite_info(0x000a);
	cr_assert_str_eq(s->name, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
	cr_assert_str_eq(s->openssl_name, "DES-CBC3-SHA");
	cr_assert_eq(s->enc, TLS_ENC_3DES);
	cr_assert_eq(s->enc_bits, 112);
	cr_assert_eq(s->mac, TLS_MAC_SHA1);
	cr_assert(s->cbc && !s->aead && !s->forward_secret);

	s = tls_suite_info(0x0003);
	cr_assert_str_eq(s->name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
	cr_assert(s->export_grade);
	cr_assert_eq(s->enc, TLS_ENC_RC4);
	cr_assert_eq(s->enc_bits, 40);
	cr_assert_eq(s->mac, TLS_MAC_MD5);

	s = tls_suite_info(0x0018);
	cr_assert_str_eq(s->name, "TLS_DH_anon_WITH_RC4_128_MD5");
	cr_assert_eq(s->auth, TLS_AUTH_ANON);

	s = tls_suite_info(0x0001);
	cr_assert_str_eq(s->name, "TLS_RSA_WITH_NULL_MD5");
	cr_assert_eq(s->enc, TLS_ENC_NULL);
	cr_assert_eq(s->enc_bits, 0);

	s = tls_suite_info(0x1301);
	cr_assert_str_eq(s->name, "TLS_AES_128_GCM_SHA256");
	cr_assert_str_eq(s->openssl_name, "TLS_AES_128_GCM_SHA256");
	cr_assert_eq(s->kx, TLS_KX_TLS13);
	cr_assert_eq(s->auth, TLS_AUTH_TLS13);
	cr_assert(s->forward_secret && s->aead);

	s = tls_suite_info(0x1303);
	cr_assert_eq(s->enc, TLS_ENC_CHACHA20_POLY1305);
	cr_assert_eq(s->enc_bits, 256);

	s = tls_suite_info(0xccaa);
	cr_assert_str_eq(s->name, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	cr_assert_eq(s->kx, TLS_KX_DHE);

	s = tls_suite_info(0xc0a0);
	cr_assert_str_eq(s->name, "TLS_RSA_WITH_AES_128_CCM_8");
	cr_assert_eq(s->enc, TLS_ENC_AES_CCM);
	cr_assert_eq(s->mac, TLS_MAC_AEAD);

	s = tls_suite_info(0xc052);
	cr_assert_str_eq(s->name, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256");
	cr_assert_eq(s->enc, TLS_ENC_ARIA_GCM);

	s = tls_suite_info(0x0041);
	cr_assert_str_eq(s->name, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA");
	cr_assert_eq(s->enc, TLS_ENC_CAMELLIA_CBC);

	s = tls_suite_info(0xc0aa);
	cr_assert_str_eq(s->name, "TLS_PSK_DHE_WITH_AES_128_CCM_8");
	cr_assert_eq(s->kx, TLS_KX_DHE_PSK);
	cr_assert_eq(s->auth, TLS_AUTH_PSK);

	s = tls_suite_info(0xc004);
	cr_assert_eq(s->kx, TLS_KX_ECDH);
	cr_assert_not(s->forward_secret);

	s = tls_suite_info(0x0096);
	cr_assert_str_eq(s->openssl_name, "SEED-SHA");
	cr_assert_eq(s->enc, TLS_ENC_SEED);
}

Test(tls_names, scsv_are_named_signals)
{
	const struct tls_suite_info *s = tls_suite_info(0x00ff);

	cr_assert_str_eq(s->name, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	cr_assert(s->scsv);
	cr_assert_eq(s->enc, TLS_ENC_OTHER);
	s = tls_suite_info(0x5600);
	cr_assert_str_eq(s->name, "TLS_FALLBACK_SCSV");
	cr_assert(s->scsv);
	cr_assert_not(tls_suite_info(0xc02b)->scsv);
}

Test(tls_names, grease_and_unassigned_unknown)
{
	for (unsigned g = 0x0a0a; g <= 0xfafa; g += 0x1010) {
		cr_assert(tls_is_grease((uint16_t)g));
		cr_assert_null(tls_suite_info((uint16_t)g));
		cr_assert_null(tls_group_name((uint16_t)g));
		cr_assert_null(tls_ext_name((uint16_t)g));
		cr_assert_null(tls_sigalg_name((uint16_t)g));
	}
	cr_assert_null(tls_suite_info(0x0060));
	cr_assert_null(tls_suite_info(0xc0b6));
	cr_assert_null(tls_suite_info(0xffff));
	cr_assert_null(tls_suite_name(0x1300));
}

/* Internal consistency of the derived properties, entry by entry. */
Test(tls_names, suite_properties_consistent)
{
	const struct tls_suite_info *s;

	for (unsigned i = 0; (s = tls_suite_at(i)); i++) {
		cr_assert_eq(s->aead, s->mac == TLS_MAC_AEAD, "%s", s->name);
		cr_assert_not(s->aead && s->cbc, "%s", s->name);
		cr_assert_eq(s->export_grade, strstr(s->name, "EXPORT") != NULL, "%s", s->name);
		cr_assert_eq(s->scsv, strstr(s->name, "_SCSV") != NULL, "%s", s->name);
		if (strstr(s->name, "_GCM") || strstr(s->name, "_CCM") ||
		    strstr(s->name, "CHACHA20"))
			cr_assert(s->aead, "%s", s->name);
		if (strstr(s->name, "_CBC"))
			cr_assert(s->cbc, "%s", s->name);
		if (strncmp(s->name, "TLS_ECDHE_", 10) == 0 || strncmp(s->name, "TLS_DHE_", 8) == 0)
			cr_assert(s->forward_secret, "%s", s->name);
		if (strncmp(s->name, "TLS_RSA_WITH", 12) == 0 || strncmp(s->name, "TLS_ECDH_RSA", 12) == 0)
			cr_assert_not(s->forward_secret, "%s", s->name);
		if (s->enc == TLS_ENC_NULL)
			cr_assert_eq(s->enc_bits, 0, "%s", s->name);
		else if (!s->scsv)
			cr_assert_geq(s->enc_bits, 40, "%s", s->name);
		if (strstr(s->name, "_anon_"))
			cr_assert_eq(s->auth, TLS_AUTH_ANON, "%s", s->name);
		if (s->openssl_name)
			cr_assert_eq(tls_suite_by_name(s->openssl_name), s, "%s", s->openssl_name);
		cr_assert_eq(tls_suite_by_name(s->name), s, "%s", s->name);
		cr_assert_str_neq(tls_enc_name(s->enc), "?");
		cr_assert_str_neq(tls_kx_name(s->kx), "?");
		cr_assert_str_neq(tls_auth_name(s->auth), "?");
		cr_assert_str_neq(tls_mac_name(s->mac), "?");
	}
}

Test(tls_names, suite_by_name)
{
	cr_assert_eq(tls_suite_by_name("ECDHE-ECDSA-AES256-GCM-SHA384")->code, 0xc02c);
	cr_assert_eq(tls_suite_by_name("TLS_CHACHA20_POLY1305_SHA256")->code, 0x1303);
	cr_assert_eq(tls_suite_by_name("RC4-MD5")->code, 0x0004);
	cr_assert_eq(tls_suite_by_name("EDH-RSA-DES-CBC3-SHA")->code, 0x0016);
	cr_assert_null(tls_suite_by_name("ecdhe-ecdsa-aes256-gcm-sha384"));
	cr_assert_null(tls_suite_by_name("NOPE"));
	cr_assert_null(tls_suite_by_name(NULL));
	cr_assert_str_eq(tls_enc_name((enum tls_enc)999), "?");
}

Test(tls_names, groups)
{
	uint16_t g = 0;

	cr_assert_str_eq(tls_group_name(0x001d), "x25519");
	cr_assert_str_eq(tls_group_name(0x001e), "x448");
	cr_assert_str_eq(tls_group_name(0x0017), "secp256r1");
	cr_assert_str_eq(tls_group_name(0x0019), "secp521r1");
	cr_assert_str_eq(tls_group_name(0x001a), "brainpoolP256r1");
	cr_assert_str_eq(tls_group_name(0x0021), "brainpoolP512r1tls13");
	cr_assert_str_eq(tls_group_name(0x0100), "ffdhe2048");
	cr_assert_str_eq(tls_group_name(0x0104), "ffdhe8192");
	cr_assert_str_eq(tls_group_name(0x11ec), "X25519MLKEM768");
	cr_assert_str_eq(tls_group_name(0x11eb), "SecP256r1MLKEM768");
	cr_assert_str_eq(tls_group_name(0x11ed), "SecP384r1MLKEM1024");
	cr_assert_str_eq(tls_group_name(0x6399), "X25519Kyber768Draft00");
	cr_assert_null(tls_group_name(0x0000));
	cr_assert_null(tls_group_name(0x002a));
	cr_assert_eq(count_known(tls_group_name), 56);

	cr_assert(tls_group_by_name("secp384r1", &g));
	cr_assert_eq(g, 24);
	cr_assert(tls_group_by_name("prime256v1", &g));
	cr_assert_eq(g, 23);
	cr_assert(tls_group_by_name("P-256", &g));
	cr_assert_eq(g, 23);
	cr_assert(tls_group_by_name("X25519MLKEM768", &g));
	cr_assert_eq(g, 0x11ec);
	cr_assert(tls_group_by_name("X25519", &g));
	cr_assert_eq(g, 29);
	g = 7;
	cr_assert_not(tls_group_by_name("P-999", &g));
	cr_assert_eq(g, 7, "failure must not write");
	cr_assert_not(tls_group_by_name(NULL, &g));
}

Test(tls_names, sigalgs)
{
	cr_assert_str_eq(tls_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	cr_assert_str_eq(tls_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	cr_assert_str_eq(tls_sigalg_name(0x080b), "rsa_pss_pss_sha512");
	cr_assert_str_eq(tls_sigalg_name(0x0807), "ed25519");
	cr_assert_str_eq(tls_sigalg_name(0x0201), "rsa_pkcs1_sha1");
	cr_assert_str_eq(tls_sigalg_name(0x0202), "dsa_sha1");
	cr_assert_str_eq(tls_sigalg_name(0x0905), "mldsa65");
	cr_assert_null(tls_sigalg_name(0x0000));
	cr_assert_eq(count_known(tls_sigalg_name), 47);
}

Test(tls_names, extensions)
{
	cr_assert_str_eq(tls_ext_name(0), "server_name");
	cr_assert_str_eq(tls_ext_name(16), "application_layer_protocol_negotiation");
	cr_assert_str_eq(tls_ext_name(27), "compress_certificate");
	cr_assert_str_eq(tls_ext_name(43), "supported_versions");
	cr_assert_str_eq(tls_ext_name(51), "key_share");
	cr_assert_str_eq(tls_ext_name(0x4469), "application_settings");
	cr_assert_str_eq(tls_ext_name(0xfe0d), "encrypted_client_hello");
	cr_assert_str_eq(tls_ext_name(0xff01), "renegotiation_info");
	cr_assert_null(tls_ext_name(40));
	cr_assert_null(tls_ext_name(0xca34));
	cr_assert_eq(count_known(tls_ext_name), 71);
}

Test(tls_names, alerts_and_handshakes)
{
	unsigned na = 0, nh = 0;

	cr_assert_str_eq(tls_alert_name(0), "close_notify");
	cr_assert_str_eq(tls_alert_name(40), "handshake_failure");
	cr_assert_str_eq(tls_alert_name(48), "unknown_ca");
	cr_assert_str_eq(tls_alert_name(70), "protocol_version");
	cr_assert_str_eq(tls_alert_name(44), "certificate_revoked");
	cr_assert_str_eq(tls_alert_name(120), "no_application_protocol");
	cr_assert_null(tls_alert_name(1));
	cr_assert_null(tls_alert_name(255));
	cr_assert_str_eq(tls_handshake_name(1), "ClientHello");
	cr_assert_str_eq(tls_handshake_name(11), "Certificate");
	cr_assert_str_eq(tls_handshake_name(14), "ServerHelloDone");
	cr_assert_str_eq(tls_handshake_name(254), "MessageHash");
	cr_assert_null(tls_handshake_name(7));
	for (unsigned i = 0; i < 256; i++) {
		na += tls_alert_name((uint8_t)i) != NULL;
		nh += tls_handshake_name((uint8_t)i) != NULL;
	}
	cr_assert_eq(na, 37);
	cr_assert_eq(nh, 25);
}

/* Strings from Suricata's EVE (see the suricata-verify tls13-draft cases). */
Test(tls_names, versions_as_suricata)
{
	cr_assert_str_eq(tls_version_name(0x0002), "SSLv2");
	cr_assert_str_eq(tls_version_name(0x0300), "SSLv3");
	cr_assert_str_eq(tls_version_name(0x0301), "TLSv1");
	cr_assert_str_eq(tls_version_name(0x0302), "TLS 1.1");
	cr_assert_str_eq(tls_version_name(0x0303), "TLS 1.2");
	cr_assert_str_eq(tls_version_name(0x0304), "TLS 1.3");
	cr_assert_str_eq(tls_version_name(0x7f12), "TLS 1.3 draft-18");
	cr_assert_str_eq(tls_version_name(0x7f16), "TLS 1.3 draft-22");
	cr_assert_str_eq(tls_version_name(0x7f1c), "TLS 1.3 draft-28");
	cr_assert_str_eq(tls_version_name(0x7f02), "TLS 1.3 draft-2");
	cr_assert_str_eq(tls_version_name(0x7f01), "TLS 1.3 draft-<16");
	cr_assert_str_eq(tls_version_name(0xfb1a), "TLS 1.3 draft-26-fb");
	cr_assert_str_eq(tls_version_name(0xfb17), "TLS 1.3 draft-23-fb");
	cr_assert_null(tls_version_name(0x7f1d));
	cr_assert_null(tls_version_name(0x0305));
	cr_assert_null(tls_version_name(0x0a0a));
}

Test(tls_names, versions_as_tshark)
{
	cr_assert_str_eq(tls_version_short(0x0300), "SSLv3");
	cr_assert_str_eq(tls_version_short(0x0301), "TLSv1.0");
	cr_assert_str_eq(tls_version_short(0x0302), "TLSv1.1");
	cr_assert_str_eq(tls_version_short(0x0303), "TLSv1.2");
	cr_assert_str_eq(tls_version_short(0x0304), "TLSv1.3");
	cr_assert_str_eq(tls_version_short(0x0002), "SSLv2");
	cr_assert_null(tls_version_short(0x7f1c));
}
