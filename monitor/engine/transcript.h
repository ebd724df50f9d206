/*
 * transcript: a session told for a person at a terminal, the way ssldump
 * shows a handshake: who sent which message, the chosen suite, the
 * certificates, the alerts, and where encryption began.
 */
#ifndef SECAUDIT_TRANSCRIPT_H
#define SECAUDIT_TRANSCRIPT_H

#include <stdint.h>

#include "buf.h"
#include "engine/engine.h"

/* Appends the transcript of session number n to out ("#n ..."; n == 0:
 * "# ...", for a caller that numbers sessions in its own order). */
void transcript_session(struct buf *out, unsigned long n, const struct engine_session *es);

#endif
