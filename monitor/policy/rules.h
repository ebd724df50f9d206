/*
 * rules: the YAML rules format (docs/rules.md), parsed with libyaml,
 * validated and compiled into the immutable struct policy that policy.c
 * evaluates. Every error names file:line:column and what is wrong.
 *
 * This header is the compiled form shared by rules.c (which builds it) and
 * policy.c (which reads it); nothing else should include it.
 */
#ifndef SECAUDIT_RULES_H
#define SECAUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/policy_checks.h"
#include "policy/strset.h"

struct certcheck_store;

/* JSON text made once at load from the file's names and messages
 * (escaped then): every alert repeats it, and copies it as it is. */
struct policy_text {
	char *s;                    /* owned; never NULL once loaded */
	size_t n;
};

/* One rule: what an alert says when a requirement fails. */
struct policy_rule {
	char *id;                   /* "strict.version", or the file's `id:` */
	uint32_t sid;
	char *message;
	uint8_t severity;           /* 1 (high) .. 4 */
	uint8_t action;             /* enum policy_action */
	uint8_t check;              /* enum policy_check */
	uint16_t profile;
	char *required;             /* what the requirement asks, for the log */
	/* The rule's own keys of an EVE alert object, made at load:
	 * "gid":1,"signature_id":...,"rev":1,"signature":...,"category":... */
	struct policy_text alert_json;
	/* A failure's object in an alert's policy.failed[] (policy_state_to_json)
	 * but for its own values: {"rule":...,"message":...,"severity": and
	 * "required":...} */
	struct policy_text failed_head, failed_tail;
};

/* IPv4 or IPv6 prefix. */
struct policy_cidr {
	int family;
	uint8_t addr[16];
	uint8_t bits;
};

struct policy_ports {
	size_t n;
	struct { uint16_t lo, hi; } *r;
};

struct policy_zone {
	char *name;
	struct policy_text json;    /* "zone":...,"profile":... (policy_state_to_json) */
	uint16_t profile;
	bool any;                   /* no match: catches everything */
	size_t n_src, n_dst;
	struct policy_cidr *src, *dst;
	struct policy_ports ports;  /* server ports */
	struct policy_strset sni;
	bool match_sni;             /* sni given: a hello without SNI never matches */
	struct policy_ports tls_ports; /* where non-TLS bytes are an anomaly; empty: all */
	/* Trust stores replacing the profile's in this zone (NULL: the
	 * profile's), with their CRLs. */
	struct certcheck_store *server_store, *client_store;
	bool server_crl, client_crl;
	bool no_probe;              /* `probe: false`: the gateway never probes this zone's servers */
};

struct policy_certreq {
	bool enabled;
	bool required;              /* client side: a certificate must be sent */
	struct certcheck_store *store; /* NULL: chain not verified */
	bool check_validity;
	long skew;
	bool revocation_required;   /* unknown/stale revocation status fails */
	bool check_revocation;      /* CRLs were given */
	int min_rsa_bits, min_ec_bits;
	size_t n_curves;
	char **curves;              /* OpenSSL group names: "prime256v1" */
	uint32_t forbidden_md;      /* bits: POLICY_MD_* */
	bool match_sni;
	bool allow_self_signed;
	int max_chain;              /* 0: no limit */
	bool require_ocsp;
};
#define POLICY_MD_MD5  0x1
#define POLICY_MD_SHA1 0x2
#define POLICY_MD_SHA224 0x4

struct policy_profile {
	char *name;
	/* rule index + 1 for each check the profile judges; 0: not judged */
	uint16_t rule[POLICY_CHK_COUNT];
	/* versions: bit v - 0x0300 for SSLv3..TLS1.3; bit 15 for SSLv2 */
	uint16_t versions;
	uint8_t *suite_ok;          /* 65536-bit map: suites allowed */
	size_t n_groups;
	uint16_t *groups;           /* allowed groups; none: any */
	unsigned min_dh_bits;
	struct policy_certreq cert, client_cert;
	struct policy_strset sni_allow, sni_deny, ja3_allow, ja3_deny, ja4_allow, ja4_deny, alpn_allow;
	bool has_sni_allow, has_ja3_allow, has_ja4_allow, has_alpn_allow;
	uint8_t tls13_certs;        /* enum policy_action for hidden certificates */
	bool tls13_probe;           /* `tls13_certificates: probe` */
	uint8_t on_probe_failure;   /* enum policy_action when the probe fails (default alert) */
	bool quic_allow;            /* `quic: allow`: QUIC sessions pass unjudged */
	uint8_t evasion;            /* enum policy_evasion */
};

struct policy {
	char *file;
	size_t n_rules, n_profiles, n_zones;
	struct policy_rule *rules;
	struct policy_profile *profiles;
	struct policy_zone *zones;
	size_t n_stores;
	struct certcheck_store **stores; /* owned; profiles point into them */
	bool needs_ja3, needs_ja4;
	unsigned resume_lifetime;   /* seconds a remembered verdict lasts */
};

/* Flags for rules_load_buffer(). */
#define RULES_NO_FILES 0x1      /* validate only: open no CA, CRL or list file */

/*
 * Parses `len` bytes of YAML named `name` (for messages); relative paths
 * are taken from basedir. NULL on error with err filled.
 */
struct policy *rules_load_buffer(const char *name, const char *data, size_t len,
				 const char *basedir, unsigned flags, struct policy_error *err);

/* Version names: "SSLv3", "TLSv1.0"/"TLS1.0"/"TLS 1.0", ... -> 0x0301. */
bool rules_version_by_name(const char *s, uint16_t *v);

#endif
