/*
 * audit_rec: Linux audit records (the text the kernel sends over
 * NETLINK_AUDIT and auditd writes to audit.log / its dispatcher), grouped
 * into events and summarised.
 *
 * A record is one line:  [node=N ]type=T msg=audit(SEC.MSEC:SERIAL): k=v ...
 * Values are "quoted", 'quoted' (user-space messages, whose inside is parsed
 * as fields too), bare, or, for strings the kernel considers unsafe, bare
 * upper-case hex (see the kernel's audit_log_untrustedstring()). auditd's
 * ENRICHED format appends interpreted fields after a 0x1d byte; they are
 * kept in the raw text and ignored here. All records of one event share the
 * audit(...) stamp; a syscall event ends with an EOE record.
 *
 * Everything here is pure, reads untrusted text only through a cursor, and
 * allocates only inside struct audit_event (freed by audit_event_free).
 */
#ifndef SECAUDIT_AUDIT_REC_H
#define SECAUDIT_AUDIT_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cursor.h"

#define AUDIT_REC_MAX_LINE 16384

struct audit_stamp {
	uint64_t sec;
	uint32_t msec;
	uint64_t serial;
};

/*
 * Parses the head of a record. On success *type holds the record type name
 * (truncated to 31 bytes), *stamp the stamp, and *body the fields after
 * "): ". Returns false when the line has no valid audit(...) stamp.
 */
bool audit_rec_head(struct cursor line, char type[static 32],
		    struct audit_stamp *stamp, struct cursor *body);

/*
 * Takes the next key=value field of a record body. *quote is the quote
 * character ('"', '\'') or 0 for a bare value; val excludes the quotes.
 * Returns false at the end of the fields (or at a 0x1d separator).
 */
bool audit_field_next(struct cursor *body, struct cursor *key,
		      struct cursor *val, char *quote);

/*
 * Decodes a string field value into out (NUL-terminated, at most outsz - 1
 * bytes, truncating): quoted values are copied, bare even-length hex is
 * decoded, "(null)" gives "". NUL bytes decoded from hex become `nul_as`.
 * Returns the decoded length.
 */
size_t audit_value_string(struct cursor val, char quote, char *out,
			  size_t outsz, char nul_as);

/* The record type name for a netlink message type (e.g. 1300 "SYSCALL");
 * NULL when unknown. */
const char *audit_type_name(unsigned type);
/* The syscall name for an arch (AUDIT_ARCH_*, as in the arch= field) and
 * number; NULL when not in the table. */
const char *audit_syscall_name(uint32_t arch, long nr);

#define AUDIT_REC_STR 256
#define AUDIT_REC_PATH 1024

/* What the store and the rules need from an event. Numbers are -1 when the
 * event does not carry them. */
struct audit_event {
	struct audit_stamp stamp;
	char type[32];		/* first record's type */
	char records[256];	/* record types, comma-separated */
	uint32_t arch;
	long syscall;
	char syscall_name[32];
	uint64_t a[4];		/* SYSCALL a0..a3 (raw register values) */
	int success;		/* 1 yes, 0 no, -1 not a syscall */
	int64_t exit;
	int64_t pid, ppid, uid, auid, euid, gid, ses;
	char tty[32];
	char comm[64];
	char exe[AUDIT_REC_PATH];
	char cwd[AUDIT_REC_PATH];
	char key[AUDIT_REC_STR];
	char proctitle[AUDIT_REC_PATH];
	/* Arguments of EXECVE and names of PATH records: NUL-separated. */
	struct buf args;
	uint32_t argc;
	struct buf paths;
	uint32_t npaths;
	/* PATH nametype values (NORMAL, CREATE, DELETE, ...), comma-separated */
	char nametypes[128];
	/* A SOCKADDR record's saddr when it is an IPv4 or IPv6 socket address
	 * (the peer of connect, sendto, ...): text address, port; "" and -1
	 * otherwise */
	char sock_ip[46];
	int sock_port;
};

/*
 * Parses an event's text (its records separated by '\n') into *ev, which is
 * reset first: *ev must be zeroed ({0}) before its first use and may then be
 * reused, keeping its buffers. Returns false when no line carries a valid stamp. Unknown
 * records and fields are skipped. audit_event_free() must be called either
 * way.
 */
bool audit_event_parse(const uint8_t *text, size_t len, struct audit_event *ev);
void audit_event_free(struct audit_event *ev);

/* Writes n NUL-separated strings of list (an event's args or paths) to out,
 * replacing its contents, as a JSON array, NUL-terminated for C string
 * APIs (not counted in out->len). Check out->oom afterwards. */
void audit_list_json(struct buf *out, const struct buf *list, uint32_t n);

/*
 * Grouper: collects records into events by stamp. Complete events are given
 * to emit(ctx, text, len) with records in arrival order separated by '\n'
 * (EOE records are dropped). An event is complete at its EOE record; records
 * of user-space and daemon types (1100-1299, 2100-2999), which never get an
 * EOE, are events by themselves; other open events are emitted when older
 * than max_age_ms or when more than AUDIT_GROUP_OPEN are open. auditd does
 * not pass EOE records to its log or dispatcher but delivers each event's
 * records together: with `sequential`, a record with a new stamp completes
 * every open event.
 */
#define AUDIT_GROUP_OPEN 64

typedef void (*audit_emit_fn)(void *ctx, const char *text, size_t len);

struct audit_grouper;

struct audit_grouper *audit_grouper_new(audit_emit_fn emit, void *ctx,
					unsigned max_age_ms, bool sequential);
void audit_grouper_free(struct audit_grouper *g);
/*
 * Adds one record line (no trailing newline) seen at now_ms (monotonic).
 * Lines without a valid stamp are counted in *bad and dropped. Returns 0 or
 * -ENOMEM.
 */
int audit_grouper_add(struct audit_grouper *g, const char *line, size_t len,
		      uint64_t now_ms);
/* Emits open events older than max_age_ms (all of them when force). */
void audit_grouper_expire(struct audit_grouper *g, uint64_t now_ms, bool force);
uint64_t audit_grouper_bad(const struct audit_grouper *g);
/* Every line given to audit_grouper_add, the bad ones included. */
uint64_t audit_grouper_records(const struct audit_grouper *g);

#endif
