/*
 * stats_format: a daemon's counters (one JSON line from the stats socket
 * of secaudit-monitor, -agent or -server, statsock.h) for a person, or in
 * the Prometheus text exposition format (version 0.0.4) for a scraper.
 * The one writer of that format for all three daemons.
 *
 * The line is read as untrusted text: through a cursor, numbers kept only
 * when they are non-negative integers that fit 64 bits, names cut at
 * STATS_NAME_MAX, labels at STATS_LABEL_MAX, at most STATS_MAX_VALUES
 * values and STATS_MAX_DEPTH levels. Every integer leaf becomes a value
 * named by its path ("verdicts.accept"); the members of a top-level array
 * named "<x>s" ("queues", "agents", "reasons") become the same names with
 * a label <x> whose value is the element's member <x> (a number or a
 * string). The top-level "daemon" string (default "monitor", [a-z] only)
 * names the metrics. Other strings, booleans and other arrays are skipped.
 */
#ifndef SECAUDIT_STATS_FORMAT_H
#define SECAUDIT_STATS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define STATS_NAME_MAX 96
#define STATS_LABEL_MAX 128
#define STATS_MAX_VALUES 4096
#define STATS_MAX_DEPTH 8

enum stats_format { STATS_TEXT, STATS_JSON, STATS_PROMETHEUS };

/* "text", "json" or "prometheus"; false for anything else. */
bool stats_format_parse(const char *name, enum stats_format *out);

/*
 * Appends line (len bytes, without its newline) rendered as fmt to out.
 * STATS_TEXT: the process-wide values, then a table per label of the
 * labelled ones with their totals; STATS_JSON: the line as it is, plus "\n";
 * STATS_PROMETHEUS: "secaudit_<daemon>_"-prefixed families with HELP and
 * TYPE lines (counters end in _total; labelled values carry {queue="N"},
 * {agent="..."}, and their process-wide sums are left to the query).
 * 0, or -EPROTO when line is not a JSON object of this shape (out may
 * then hold part of the output), -ENOMEM.
 */
int stats_render(const char *line, size_t len, enum stats_format fmt, struct buf *out);

#endif
