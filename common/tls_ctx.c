/* tls_ctx: OpenSSL contexts for the audit channel; contract in tls_ctx.h. */
#include "tls_ctx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static void ssl_err(char *err, size_t errsz, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "";

	if (e)
		ERR_error_string_n(e, msg, sizeof(msg));
	snprintf(err, errsz, "%s %s: %s", what, file ? file : "", msg);
	ERR_clear_error();
}

static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errsz)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_CRL *crl;
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f) {
		snprintf(err, errsz, "crl %s: %s", path, strerror(errno));
		return -errno;
	}
	while ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL))) {
		X509_STORE_add_crl(st, crl);
		X509_CRL_free(crl);
		n++;
	}
	fclose(f);
	ERR_clear_error();
	if (n == 0) {
		snprintf(err, errsz, "crl %s: no PEM CRL in file", path);
		return -EINVAL;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

SSL_CTX *tls_ctx_new(const struct tls_ctx_opts *o, char *err, size_t errsz)
{
	SSL_CTX *ctx;
	struct stat st;

	if (!o->cert || !o->key || !o->ca) {
		snprintf(err, errsz, "certificate, key and CA files are required");
		return NULL;
	}
	if (stat(o->key, &st) < 0) {
		snprintf(err, errsz, "key %s: %s", o->key, strerror(errno));
		return NULL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "key %s: readable by group or others (mode %03o); chmod 600 it",
			 o->key, (unsigned)(st.st_mode & 0777));
		return NULL;
	}
	ctx = SSL_CTX_new(o->server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		ssl_err(err, errsz, "SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, o->min_version ? o->min_version
							  : TLS1_3_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
		ssl_err(err, errsz, "certificate", o->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errsz, "key", o->key);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
		ssl_err(err, errsz, "CA", o->ca);
		goto fail;
	}
	if (o->crl && load_crl(ctx, o->crl, err, errsz) < 0)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			   (o->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	if (o->server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca);

		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		/* no session resumption: each connection presents its certificate */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_ctx_why(SSL *ssl, char *out, size_t n)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_error();
	char msg[256] = "";

	if (v != X509_V_OK) {
		snprintf(out, n, "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	} else if (e && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		snprintf(out, n, "no client certificate");
	} else if (e) {
		ERR_error_string_n(e, msg, sizeof(msg));
		snprintf(out, n, "%s", msg);
	} else {
		snprintf(out, n, "connection closed during handshake");
	}
	ERR_clear_error();
}

int tls_peer_subject(SSL *ssl, char *out, size_t n)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	BIO *bio;
	int len;

	if (!peer)
		return -ENOENT;
	bio = BIO_new(BIO_s_mem());
	if (!bio) {
		X509_free(peer);
		return -ENOMEM;
	}
	X509_NAME_print_ex(bio, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253);
	len = BIO_read(bio, out, (int)(n - 1));
	out[len > 0 ? len : 0] = '\0';
	BIO_free(bio);
	X509_free(peer);
	return 0;
}
