/*
 * audit_rec: record parser, event summary and grouper; contracts in
 * audit_rec.h. The record format is the kernel's (kernel/audit.c,
 * audit_log_start: "audit(%llu.%03lu:%u): ") as auditd writes it.
 */
#include "audit_rec.h"
#include "json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool cur_eq(const struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	return cur_left(c) == n && memcmp(cur_ptr(c), s, n) == 0;
}

static bool cur_prefix(struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	if (cur_left(c) < n || memcmp(cur_ptr(c), s, n) != 0)
		return false;
	return cur_skip(c, n);
}

/* Reads a decimal number of at most 19 digits; false if none. */
static bool cur_dec(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	uint8_t d;
	int n = 0;

	while (cur_peek_u8(c, 0, &d) && d >= '0' && d <= '9') {
		if (++n > 19)
			return false;
		v = v * 10 + (uint64_t)(d - '0');
		cur_skip(c, 1);
	}
	*out = v;
	return n > 0;
}

/* Takes bytes up to (not including) the first byte `stop`. */
static bool cur_until(struct cursor *c, uint8_t stop, struct cursor *tok)
{
	size_t i;
	uint8_t b;

	for (i = 0; cur_peek_u8(c, i, &b); i++)
		if (b == stop)
			return cur_sub(c, tok, i);
	return false;
}

bool audit_rec_head(struct cursor line, char type[static 32],
		    struct audit_stamp *stamp, struct cursor *body)
{
	struct cursor c = line, tok;
	uint64_t v;
	size_t n;
	uint8_t b;

	if (cur_prefix(&c, "node=")) {
		if (!cur_until(&c, ' ', &tok) || !cur_skip(&c, 1))
			return false;
	}
	if (!cur_prefix(&c, "type=") || !cur_until(&c, ' ', &tok) ||
	    cur_left(&tok) == 0)
		return false;
	n = cur_left(&tok) < 31 ? cur_left(&tok) : 31;
	cur_copy(&tok, type, n);
	type[n] = '\0';
	if (!cur_prefix(&c, " msg=audit(") || !cur_dec(&c, &stamp->sec) ||
	    !cur_prefix(&c, ".") || !cur_dec(&c, &v) || v > 999 ||
	    !cur_prefix(&c, ":") || !cur_dec(&c, &stamp->serial) ||
	    !cur_prefix(&c, "):"))
		return false;
	stamp->msec = (uint32_t)v;
	while (cur_peek_u8(&c, 0, &b) && b == ' ')
		cur_skip(&c, 1);
	*body = c;
	return true;
}

bool audit_field_next(struct cursor *body, struct cursor *key,
		      struct cursor *val, char *quote)
{
	struct cursor c = *body;
	uint8_t b;
	size_t i;

	while (cur_peek_u8(&c, 0, &b) && b == ' ')
		cur_skip(&c, 1);
	if (!cur_peek_u8(&c, 0, &b) || b == 0x1d)
		return false;
	/* key: up to '=' but not across a space */
	for (i = 0; cur_peek_u8(&c, i, &b) && b != '=' && b != ' ' && b != 0x1d; i++)
		;
	if (!cur_peek_u8(&c, i, &b) || b != '=') {
		/* a bare word: skip it and go on */
		cur_skip(&c, i);
		*body = c;
		return audit_field_next(body, key, val, quote);
	}
	cur_sub(&c, key, i);
	cur_skip(&c, 1);
	*quote = 0;
	if (cur_peek_u8(&c, 0, &b) && (b == '"' || b == '\'')) {
		cur_skip(&c, 1);
		if (!cur_until(&c, b, val)) {
			/* unterminated: the rest is the value */
			cur_sub(&c, val, cur_left(&c));
		} else {
			cur_skip(&c, 1);
		}
		*quote = (char)b;
	} else {
		for (i = 0; cur_peek_u8(&c, i, &b) && b != ' ' && b != 0x1d; i++)
			;
		cur_sub(&c, val, i);
	}
	*body = c;
	return true;
}

static int hexval(uint8_t h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	return -1;
}

static bool is_hex(struct cursor v)
{
	uint8_t b;
	size_t i;

	if (cur_left(&v) == 0 || cur_left(&v) % 2)
		return false;
	for (i = 0; cur_peek_u8(&v, i, &b); i++)
		if (hexval(b) < 0)
			return false;
	return true;
}

size_t audit_value_string(struct cursor val, char quote, char *out,
			  size_t outsz, char nul_as)
{
	size_t n = 0;
	uint8_t hi, lo, ch;

	if (outsz == 0)
		return 0;
	if (!quote && cur_eq(&val, "(null)")) {
		out[0] = '\0';
		return 0;
	}
	if (!quote && is_hex(val)) {
		while (n + 1 < outsz && cur_u8(&val, &hi) && cur_u8(&val, &lo)) {
			ch = (uint8_t)(hexval(hi) << 4 | hexval(lo));
			out[n++] = ch ? (char)ch : nul_as;
		}
	} else {
		n = cur_left(&val) < outsz - 1 ? cur_left(&val) : outsz - 1;
		cur_copy(&val, out, n);
	}
	out[n] = '\0';
	/* A NUL kept inside (nul_as == 0) ends the C string there. */
	return strlen(out);
}

static const struct {
	unsigned type;
	const char *name;
} type_names[] = {
	{ 1100, "USER_AUTH" }, { 1101, "USER_ACCT" }, { 1103, "CRED_ACQ" },
	{ 1104, "CRED_DISP" }, { 1105, "USER_START" }, { 1106, "USER_END" },
	{ 1107, "USER_AVC" }, { 1108, "USER_CHAUTHTOK" }, { 1112, "USER_LOGIN" },
	{ 1113, "USER_LOGOUT" }, { 1130, "SERVICE_START" },
	{ 1131, "SERVICE_STOP" }, { 1200, "DAEMON_START" },
	{ 1201, "DAEMON_END" }, { 1203, "DAEMON_CONFIG" },
	{ 1300, "SYSCALL" }, { 1302, "PATH" }, { 1303, "IPC" },
	{ 1304, "SOCKETCALL" }, { 1305, "CONFIG_CHANGE" }, { 1306, "SOCKADDR" },
	{ 1307, "CWD" }, { 1309, "EXECVE" }, { 1311, "IPC_SET_PERM" },
	{ 1312, "MQ_OPEN" }, { 1316, "KERNEL_OTHER" }, { 1317, "FD_PAIR" },
	{ 1318, "OBJ_PID" }, { 1319, "TTY" }, { 1320, "EOE" },
	{ 1321, "BPRM_FCAPS" }, { 1322, "CAPSET" }, { 1323, "MMAP" },
	{ 1324, "NETFILTER_PKT" }, { 1325, "NETFILTER_CFG" }, { 1326, "SECCOMP" },
	{ 1327, "PROCTITLE" }, { 1328, "FEATURE_CHANGE" }, { 1329, "REPLACE" },
	{ 1330, "KERN_MODULE" }, { 1331, "FANOTIFY" }, { 1332, "TIME_INJOFFSET" },
	{ 1333, "TIME_ADJNTPVAL" }, { 1334, "BPF" }, { 1335, "EVENT_LISTENER" },
	{ 1336, "URINGOP" }, { 1337, "OPENAT2" }, { 1400, "AVC" },
	{ 1700, "ANOM_PROMISCUOUS" }, { 1701, "ANOM_ABEND" },
	{ 1702, "ANOM_LINK" }, { 1703, "ANOM_CREAT" },
};

const char *audit_type_name(unsigned type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

#define ARCH_X86_64 0xc000003eu
#define ARCH_I386 0x40000003u
#define ARCH_AARCH64 0xc00000b7u

static const struct {
	uint32_t arch;
	long nr;
	const char *name;
} syscall_names[] = {
	{ ARCH_X86_64, 0, "read" }, { ARCH_X86_64, 1, "write" },
	{ ARCH_X86_64, 2, "open" }, { ARCH_X86_64, 3, "close" },
	{ ARCH_X86_64, 41, "socket" }, { ARCH_X86_64, 42, "connect" },
	{ ARCH_X86_64, 43, "accept" }, { ARCH_X86_64, 49, "bind" },
	{ ARCH_X86_64, 56, "clone" }, { ARCH_X86_64, 57, "fork" },
	{ ARCH_X86_64, 59, "execve" }, { ARCH_X86_64, 62, "kill" },
	{ ARCH_X86_64, 76, "truncate" }, { ARCH_X86_64, 82, "rename" },
	{ ARCH_X86_64, 84, "rmdir" }, { ARCH_X86_64, 85, "creat" },
	{ ARCH_X86_64, 86, "link" }, { ARCH_X86_64, 87, "unlink" },
	{ ARCH_X86_64, 88, "symlink" }, { ARCH_X86_64, 90, "chmod" },
	{ ARCH_X86_64, 92, "chown" },
	{ ARCH_X86_64, 101, "ptrace" }, { ARCH_X86_64, 105, "setuid" },
	{ ARCH_X86_64, 106, "setgid" }, { ARCH_X86_64, 113, "setreuid" },
	{ ARCH_X86_64, 114, "setregid" }, { ARCH_X86_64, 117, "setresuid" },
	{ ARCH_X86_64, 119, "setresgid" }, { ARCH_X86_64, 122, "setfsuid" },
	{ ARCH_X86_64, 133, "mknod" }, { ARCH_X86_64, 165, "mount" },
	{ ARCH_X86_64, 175, "init_module" }, { ARCH_X86_64, 257, "openat" },
	{ ARCH_X86_64, 263, "unlinkat" }, { ARCH_X86_64, 264, "renameat" },
	{ ARCH_X86_64, 265, "linkat" }, { ARCH_X86_64, 266, "symlinkat" },
	{ ARCH_X86_64, 268, "fchmodat" }, { ARCH_X86_64, 288, "accept4" },
	{ ARCH_X86_64, 313, "finit_module" }, { ARCH_X86_64, 316, "renameat2" },
	{ ARCH_X86_64, 322, "execveat" }, { ARCH_X86_64, 437, "openat2" },
	{ ARCH_I386, 5, "open" }, { ARCH_I386, 11, "execve" },
	{ ARCH_I386, 23, "setuid" }, { ARCH_I386, 102, "socketcall" },
	{ ARCH_I386, 213, "setuid32" }, { ARCH_I386, 295, "openat" },
	{ ARCH_I386, 358, "execveat" }, { ARCH_I386, 362, "connect" },
	{ ARCH_AARCH64, 56, "openat" }, { ARCH_AARCH64, 203, "connect" },
	{ ARCH_AARCH64, 221, "execve" }, { ARCH_AARCH64, 281, "execveat" },
};

const char *audit_syscall_name(uint32_t arch, long nr)
{
	size_t i;

	for (i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].arch == arch && syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

static int64_t val_int(struct cursor v)
{
	uint64_t u;
	bool neg = cur_prefix(&v, "-");

	if (!cur_dec(&v, &u) || cur_left(&v) != 0 || u > INT64_MAX)
		return -1;
	return neg ? -(int64_t)u : (int64_t)u;
}

static uint64_t val_hex(struct cursor v)
{
	uint64_t x = 0;
	uint8_t b;
	int n = 0;

	while (cur_u8(&v, &b) && hexval(b) >= 0 && n++ < 16)
		x = x << 4 | (uint64_t)hexval(b);
	return x;
}

/*
 * A SOCKADDR record's saddr: the struct sockaddr as the kernel copied it
 * from the process, in hex. AF_INET (family 2, host order, i.e. "0200" on
 * the little-endian machines the agent runs on) and AF_INET6 (10) keep the
 * port (network order) and the address; other families are ignored.
 */
static void sockaddr_field(struct audit_event *ev, struct cursor v)
{
	uint8_t raw[28], hi, lo;
	struct cursor sa;
	uint16_t family, port;
	size_t n = 0;

	while (n < sizeof(raw) && cur_u8(&v, &hi) && hexval(hi) >= 0 && cur_u8(&v, &lo) &&
	       hexval(lo) >= 0)
		raw[n++] = (uint8_t)(hexval(hi) << 4 | hexval(lo));
	sa = cur_make(raw, n);
	if (!cur_u16_le(&sa, &family) || !cur_u16(&sa, &port))
		return;
	if (family == AF_INET && cur_left(&sa) >= 4)
		inet_ntop(AF_INET, cur_ptr(&sa), ev->sock_ip, sizeof(ev->sock_ip));
	else if (family == AF_INET6 && cur_skip(&sa, 4) && cur_left(&sa) >= 16)
		inet_ntop(AF_INET6, cur_ptr(&sa), ev->sock_ip, sizeof(ev->sock_ip));
	else
		return;
	ev->sock_port = port;
}

static void add_list(char *list, size_t sz, const char *item)
{
	size_t n = strlen(list);

	if (n && n + 1 < sz)
		list[n++] = ',';
	while (*item && n + 1 < sz)
		list[n++] = *item++;
	list[n] = '\0';
}

/*
 * EXECVE: a0..aN as strings, numbered across all EXECVE records of the
 * event; a long one arrives as aN_len= then aN[0]=, aN[1]= ... chunks
 * (kernel/auditsc.c, audit_log_execve_info).
 */
static void execve_field(struct audit_event *ev, struct cursor key,
			 struct cursor val, char quote)
{
	char tmp[AUDIT_REC_MAX_LINE];
	uint64_t idx;
	bool chunk;
	size_t n;

	if (!cur_prefix(&key, "a") || !cur_dec(&key, &idx))
		return;
	if (cur_left(&key) && !cur_prefix(&key, "["))
		return;		/* aN_len */
	chunk = cur_left(&key) > 0;
	if (chunk) {
		uint64_t part;

		if (!cur_dec(&key, &part))
			return;
		/* continuation of the argument in progress */
		if (part > 0 && ev->argc == idx + 1 && ev->args.len) {
			ev->args.len--;	/* drop its terminating NUL */
			goto append;
		}
	}
	if (idx != ev->argc || ev->argc >= 4096)
		return;
	ev->argc++;
append:
	n = audit_value_string(val, quote, tmp, sizeof(tmp), ' ');
	buf_put(&ev->args, tmp, n);
	buf_putc(&ev->args, '\0');
}

/* "a0".."a3" of a SYSCALL record: 0..3; -1 for any other key. */
static int syscall_arg(struct cursor key)
{
	uint8_t a, d;

	if (!cur_u8(&key, &a) || !cur_u8(&key, &d) || cur_left(&key) ||
	    a != 'a' || d < '0' || d > '3')
		return -1;
	return d - '0';
}

static void record_fields(struct audit_event *ev, const char *type,
			  struct cursor body, int depth)
{
	struct cursor key, val;
	char q, tmp[AUDIT_REC_PATH];
	bool is_syscall = !strcmp(type, "SYSCALL");
	bool is_user = strncmp(type, "USER_", 5) == 0 || !strcmp(type, "CRED_ACQ");
	int argn;

	while (audit_field_next(&body, &key, &val, &q)) {
		if (q == '\'' && cur_eq(&key, "msg") && depth == 0) {
			record_fields(ev, type, val, 1);
			continue;
		}
		if (!strcmp(type, "EXECVE")) {
			if (!cur_eq(&key, "argc"))
				execve_field(ev, key, val, q);
			continue;
		}
		if (!strcmp(type, "PATH") && cur_eq(&key, "name")) {
			size_t n = audit_value_string(val, q, tmp, sizeof(tmp), ' ');

			if (ev->npaths < 256) {
				buf_put(&ev->paths, tmp, n);
				buf_putc(&ev->paths, '\0');
				ev->npaths++;
			}
		} else if (!strcmp(type, "PATH") && cur_eq(&key, "nametype")) {
			audit_value_string(val, q, tmp, 32, ' ');
			add_list(ev->nametypes, sizeof(ev->nametypes), tmp);
		} else if (!strcmp(type, "CWD") && cur_eq(&key, "cwd")) {
			audit_value_string(val, q, ev->cwd, sizeof(ev->cwd), ' ');
		} else if (!strcmp(type, "SOCKADDR") && cur_eq(&key, "saddr")) {
			sockaddr_field(ev, val);
		} else if (!strcmp(type, "PROCTITLE") && cur_eq(&key, "proctitle")) {
			audit_value_string(val, q, ev->proctitle,
					   sizeof(ev->proctitle), ' ');
		} else if (is_syscall || is_user || ev->pid < 0) {
			if (cur_eq(&key, "arch") && is_syscall)
				ev->arch = (uint32_t)val_hex(val);
			else if (cur_eq(&key, "syscall") && is_syscall)
				ev->syscall = (long)val_int(val);
			else if (is_syscall && (argn = syscall_arg(key)) >= 0)
				ev->a[argn] = val_hex(val);
			else if (cur_eq(&key, "success"))
				ev->success = cur_eq(&val, "yes");
			else if (cur_eq(&key, "res"))
				ev->success = cur_eq(&val, "success") || cur_eq(&val, "1");
			else if (cur_eq(&key, "exit"))
				ev->exit = val_int(val);
			else if (cur_eq(&key, "pid"))
				ev->pid = val_int(val);
			else if (cur_eq(&key, "ppid"))
				ev->ppid = val_int(val);
			else if (cur_eq(&key, "uid"))
				ev->uid = val_int(val);
			else if (cur_eq(&key, "auid"))
				ev->auid = val_int(val);
			else if (cur_eq(&key, "euid"))
				ev->euid = val_int(val);
			else if (cur_eq(&key, "gid"))
				ev->gid = val_int(val);
			else if (cur_eq(&key, "ses"))
				ev->ses = val_int(val);
			else if (cur_eq(&key, "tty"))
				audit_value_string(val, q, ev->tty, sizeof(ev->tty), ' ');
			else if (cur_eq(&key, "comm"))
				audit_value_string(val, q, ev->comm, sizeof(ev->comm), ' ');
			else if (cur_eq(&key, "exe"))
				audit_value_string(val, q, ev->exe, sizeof(ev->exe), ' ');
			/* several keys arrive hex-encoded, separated by 0x01 */
			else if (cur_eq(&key, "key"))
				audit_value_string(val, q, ev->key, sizeof(ev->key), ',');
		}
	}
}

static void event_reset(struct audit_event *ev)
{
	struct buf args = ev->args, paths = ev->paths;

	memset(ev, 0, sizeof(*ev));
	buf_reset(&args);
	buf_reset(&paths);
	ev->args = args;
	ev->paths = paths;
	ev->syscall = -1;
	ev->success = -1;
	ev->exit = ev->pid = ev->ppid = ev->uid = ev->auid = -1;
	ev->euid = ev->gid = ev->ses = -1;
	ev->sock_port = -1;
}

bool audit_event_parse(const uint8_t *text, size_t len, struct audit_event *ev)
{
	struct cursor all = cur_make(text, len), line, body;
	struct audit_stamp st;
	char type[32];
	bool any = false;
	const char *name;

	event_reset(ev);
	while (cur_left(&all)) {
		if (!cur_until(&all, '\n', &line))
			cur_sub(&all, &line, cur_left(&all));
		else
			cur_skip(&all, 1);
		if (!audit_rec_head(line, type, &st, &body))
			continue;
		if (!any) {
			ev->stamp = st;
			memcpy(ev->type, type, sizeof(ev->type));
			any = true;
		}
		add_list(ev->records, sizeof(ev->records), type);
		record_fields(ev, type, body, 0);
	}
	if (ev->syscall >= 0) {
		name = audit_syscall_name(ev->arch, ev->syscall);
		if (name)
			snprintf(ev->syscall_name, sizeof(ev->syscall_name), "%s", name);
		else
			snprintf(ev->syscall_name, sizeof(ev->syscall_name), "%ld",
				 ev->syscall);
	}
	return any;
}

void audit_event_free(struct audit_event *ev)
{
	if (!ev)
		return;
	buf_free(&ev->args);
	buf_free(&ev->paths);
}

struct open_event {
	struct audit_stamp stamp;
	uint64_t first_ms;
	struct buf text;
	bool used;
};

struct audit_grouper {
	audit_emit_fn emit;
	void *ctx;
	unsigned max_age_ms;
	bool sequential;
	uint64_t records, bad;
	struct open_event open[AUDIT_GROUP_OPEN];
};

struct audit_grouper *audit_grouper_new(audit_emit_fn emit, void *ctx,
					unsigned max_age_ms, bool sequential)
{
	struct audit_grouper *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->emit = emit;
	g->ctx = ctx;
	g->max_age_ms = max_age_ms;
	g->sequential = sequential;
	return g;
}

void audit_grouper_free(struct audit_grouper *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < AUDIT_GROUP_OPEN; i++)
		buf_free(&g->open[i].text);
	free(g);
}

static void emit_slot(struct audit_grouper *g, struct open_event *o)
{
	if (o->text.len)
		g->emit(g->ctx, o->text.data, o->text.len);
	buf_reset(&o->text);
	o->used = false;
}

static bool standalone(const char *type, const struct cursor *line)
{
	static const char *const single[] = {
		"USER_", "CRED_", "DAEMON_", "SERVICE_", "ANOM_", "LOGIN",
		"AVC", "ADD_", "DEL_", "SYSTEM_",
	};
	size_t i;

	(void)line;
	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (!strncmp(type, single[i], strlen(single[i])))
			return true;
	return false;
}

static bool same_stamp(const struct audit_stamp *a, const struct audit_stamp *b)
{
	return a->sec == b->sec && a->msec == b->msec && a->serial == b->serial;
}

int audit_grouper_add(struct audit_grouper *g, const char *line, size_t len,
		      uint64_t now_ms)
{
	struct cursor body, c = cur_make((const uint8_t *)line, len);
	struct audit_stamp st;
	struct open_event *o = NULL, *oldest = NULL;
	char type[32];
	size_t i;

	g->records++;
	if (len > AUDIT_REC_MAX_LINE || !audit_rec_head(c, type, &st, &body)) {
		g->bad++;
		return 0;
	}
	for (i = 0; g->sequential && i < AUDIT_GROUP_OPEN; i++)
		if (g->open[i].used && !same_stamp(&g->open[i].stamp, &st))
			emit_slot(g, &g->open[i]);
	for (i = 0; i < AUDIT_GROUP_OPEN; i++) {
		struct open_event *s = &g->open[i];

		if (s->used && same_stamp(&s->stamp, &st)) {
			o = s;
			break;
		}
		if (!s->used && !o)
			o = s;
		if (s->used && (!oldest || s->first_ms < oldest->first_ms ||
				(s->first_ms == oldest->first_ms &&
				 s->stamp.serial < oldest->stamp.serial)))
			oldest = s;
	}
	if (!o || (o->used && !same_stamp(&o->stamp, &st))) {
		/* every slot holds another event: the oldest goes out */
		emit_slot(g, oldest);
		o = oldest;
	}
	if (!o->used) {
		o->used = true;
		o->stamp = st;
		o->first_ms = now_ms;
	}
	if (strcmp(type, "EOE") != 0) {
		if (o->text.len)
			buf_putc(&o->text, '\n');
		buf_put(&o->text, line, len);
		if (o->text.oom) {
			buf_free(&o->text);
			o->used = false;
			return -ENOMEM;
		}
	}
	if (!strcmp(type, "EOE") || standalone(type, &c))
		emit_slot(g, o);
	return 0;
}

void audit_grouper_expire(struct audit_grouper *g, uint64_t now_ms, bool force)
{
	size_t i;

	for (i = 0; i < AUDIT_GROUP_OPEN; i++) {
		struct open_event *o = &g->open[i];

		if (o->used && (force || now_ms - o->first_ms >= g->max_age_ms))
			emit_slot(g, o);
	}
}

uint64_t audit_grouper_bad(const struct audit_grouper *g)
{
	return g->bad;
}

uint64_t audit_grouper_records(const struct audit_grouper *g)
{
	return g->records;
}

void audit_list_json(struct buf *out, const struct buf *list, uint32_t n)
{
	struct json j;
	size_t off = 0, len;
	uint32_t i;

	buf_reset(out);
	json_init(&j, out);
	json_array_begin(&j);
	for (i = 0; i < n && off < list->len; i++) {
		len = strnlen(list->data + off, list->len - off);
		json_string_n(&j, list->data + off, len);
		off += len + 1;
	}
	json_array_end(&j);
	buf_cstr(out);
}
