/* server_stats: secaudit-server's stats line; contract in server_stats.h. */
#include "server_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "version.h"

static const char *const refusal_names[REFUSED_N] = {
	[REFUSED_BAD_CERT] = "bad_cert", [REFUSED_REVOKED] = "revoked",
	[REFUSED_NO_CERT] = "no_cert", [REFUSED_TLS] = "tls",
	[REFUSED_PROTOCOL] = "protocol", [REFUSED_LIMIT] = "limit",
	[REFUSED_TIMEOUT] = "timeout",
};

enum server_refusal server_stats_refusal(SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_error();

	if (v == X509_V_ERR_CERT_REVOKED)
		return REFUSED_REVOKED;
	if (v != X509_V_OK)
		return REFUSED_BAD_CERT;
	if (e && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return REFUSED_NO_CERT;
	return REFUSED_TLS;
}

int server_stats_agent(struct server_stats *st, const char *subject)
{
	struct server_stats_agent *grown;
	size_t i;

	for (i = 0; i < st->nagents; i++)
		if (!strcmp(st->agents[i].subject, subject))
			return (int)i;
	if (st->nagents == SERVER_STATS_MAX_AGENTS)
		return -1;
	grown = realloc(st->agents, (st->nagents + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	st->agents = grown;
	memset(&grown[st->nagents], 0, sizeof(*grown));
	snprintf(grown[st->nagents].subject, sizeof(grown->subject), "%s", subject);
	return (int)st->nagents++;
}

void server_stats_render(void *arg, struct json *j)
{
	const struct server_stats *st = arg;
	struct timespec ts;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	json_kv_str(j, "version", secaudit_version());
	json_kv_uint(j, "uptime", ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 -
				   st->start_ms) / 1000);
	json_key(j, "connections");
	json_object_begin(j);
	json_kv_uint(j, "accepted", st->accepted);
	json_kv_uint(j, "open", st->open);
	json_object_end(j);
	json_key(j, "reasons");
	json_array_begin(j);
	for (i = 0; i < REFUSED_N; i++) {
		json_object_begin(j);
		json_kv_str(j, "reason", refusal_names[i]);
		json_kv_uint(j, "refused", st->refused[i]);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "stored");
	json_object_begin(j);
	json_kv_uint(j, "packages", st->packages);
	json_kv_uint(j, "events", st->events);
	json_object_end(j);
	json_kv_uint(j, "duplicates", st->duplicates);
	json_kv_uint(j, "store_errors", st->store_errors);
	json_kv_uint(j, "alerts", st->alerts);
	json_key(j, "agents");
	json_array_begin(j);
	for (i = 0; i < st->nagents; i++) {
		json_object_begin(j);
		json_kv_str(j, "agent", st->agents[i].subject);
		json_kv_uint(j, "last_seen", st->agents[i].last_seen);
		json_kv_uint(j, "sessions", st->agents[i].sessions);
		json_object_end(j);
	}
	json_array_end(j);
}

void server_stats_free(struct server_stats *st)
{
	free(st->agents);
	st->agents = NULL;
	st->nagents = 0;
}
