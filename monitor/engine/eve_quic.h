/*
 * eve_quic: the EVE `quic` event of a QUIC flow, as Suricata 8 writes it
 * (quic.version, quic.sni, quic.ja3/ja3s, quic.ja4, quic.extensions), plus
 * the packet-level facts under secaudit.quic and the TLS facts of its hellos
 * under secaudit.tls (the same as a tls event's).
 */
#ifndef SECAUDIT_EVE_QUIC_H
#define SECAUDIT_EVE_QUIC_H

#include <stdint.h>

#include "buf.h"
#include "engine/eve.h"

/* Writes "quic": {...} for a session whose es->quic is set. */
void eve_quic_fields(struct json *j, const struct engine_session *es, const struct eve_fp *fp);
/* Writes the packet-level facts as the value of a key the caller wrote. */
void eve_quic_extra(struct json *j, const struct quic_session *q);

#endif
