/* audit_nl: kernel audit netlink; contract in audit_nl.h. */
#include "audit_nl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

#include "audit_rec.h"

#ifndef AUDIT_FILTER_PREPEND
#define AUDIT_FILTER_PREPEND 0x10
#endif

int audit_nl_open(struct audit_nl *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int size = 8 << 20;

	memset(n, 0, sizeof(*n));
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (n->fd < 0)
		return -errno;
	if (bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(n->fd);
		n->fd = -1;
		return -e;
	}
	/* a deep receive queue: the kernel drops (and counts lost) when full */
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

static int send_msg(struct audit_nl *n, uint16_t type, const void *data,
		    size_t len, uint32_t *seq)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char msg[NLMSG_SPACE(sizeof(struct audit_rule_data) + 256)];
	struct nlmsghdr *h = (struct nlmsghdr *)msg;

	if (NLMSG_SPACE(len) > sizeof(msg))
		return -EMSGSIZE;
	memset(msg, 0, sizeof(msg));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = *seq = ++n->seq;
	memcpy(NLMSG_DATA(h), data, len);
	if (sendto(n->fd, msg, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void take_status(struct audit_nl *n, const struct nlmsghdr *h)
{
	struct audit_status st;

	memset(&st, 0, sizeof(st));
	memcpy(&st, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN < sizeof(st)
					   ? h->nlmsg_len - NLMSG_HDRLEN : sizeof(st));
	n->lost = st.lost;
	n->backlog = st.backlog;
	n->backlog_limit = st.backlog_limit;
	n->enabled = st.enabled;
	n->pid = st.pid;
}

/* Waits for the kernel's answer to request seq: 0 or its -errno. Records
 * that arrive meanwhile are not expected before we claimed the socket. */
static int wait_ack(struct audit_nl *n, uint32_t seq, bool want_status)
{
	char buf[16384];
	ssize_t r;
	struct nlmsghdr *h;
	bool status_seen = !want_status;

	for (;;) {
		r = recv(n->fd, buf, sizeof(buf), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == AUDIT_GET) {
				take_status(n, h);
				status_seen = true;
				if (want_status)
					return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				if (status_seen)
					return 0;
			}
		}
	}
}

int audit_nl_status(struct audit_nl *n)
{
	uint32_t seq;
	int rc = send_msg(n, AUDIT_GET, NULL, 0, &seq);

	return rc < 0 ? rc : wait_ack(n, seq, true);
}

int audit_nl_request_status(struct audit_nl *n)
{
	uint32_t seq;

	return send_msg(n, AUDIT_GET, NULL, 0, &seq);
}

int audit_nl_claim(struct audit_nl *n, uint32_t pid, uint32_t backlog_limit)
{
	struct audit_status st;
	uint32_t seq;
	int rc;

	memset(&st, 0, sizeof(st));
	st.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID | AUDIT_STATUS_BACKLOG_LIMIT;
	st.enabled = 1;
	st.pid = pid;
	st.backlog_limit = backlog_limit;
	rc = send_msg(n, AUDIT_SET, &st, sizeof(st), &seq);
	return rc < 0 ? rc : wait_ack(n, seq, false);
}

static int add_rule(struct audit_nl *n, struct audit_rule_data *r, size_t len)
{
	uint32_t seq;
	int rc = send_msg(n, AUDIT_ADD_RULE, r, len, &seq);

	if (rc == 0)
		rc = wait_ack(n, seq, false);
	if (rc == -EEXIST)
		return 0;	/* the same rule is there already: not ours to remove */
	if (rc == 0 && n->nrules < sizeof(n->rules) / sizeof(n->rules[0])) {
		n->rules[n->nrules] = malloc(len);
		if (n->rules[n->nrules]) {
			struct audit_rule_data *kept = n->rules[n->nrules];

			memcpy(kept, r, len);
			/* the kernel stores the rule without the PREPEND flag and
			 * compares flags when deleting */
			kept->flags &= ~(uint32_t)AUDIT_FILTER_PREPEND;
			n->rule_len[n->nrules++] = len;
		}
	}
	return rc;
}

static void set_field(struct audit_rule_data *r, uint32_t field, uint32_t value)
{
	r->fields[r->field_count] = field;
	r->fieldflags[r->field_count] = AUDIT_EQUAL;
	r->values[r->field_count] = value;
	r->field_count++;
}

/* Appends key as the rule's filter key (the rule's only string field). */
static int set_key(struct audit_rule_data *r, size_t room, const char *key)
{
	size_t klen = strlen(key);

	if (klen == 0 || klen > AUDIT_MAX_KEY_LEN || klen > room)
		return -EINVAL;
	set_field(r, AUDIT_FILTERKEY, (uint32_t)klen);
	memcpy(r->buf + r->buflen, key, klen);
	r->buflen += (uint32_t)klen;
	return 0;
}

int audit_nl_exclude_pid(struct audit_nl *n, uint32_t pid)
{
	struct {
		struct audit_rule_data r;
		char key[AUDIT_MAX_KEY_LEN];
	} m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.r.flags = AUDIT_FILTER_EXIT | AUDIT_FILTER_PREPEND;
	m.r.action = AUDIT_NEVER;
	for (i = 0; i < AUDIT_BITMASK_SIZE; i++)
		m.r.mask[i] = ~0u;
	set_field(&m.r, AUDIT_PID, pid);
	/* the tag: a run that dies leaves this rule, and the next finds it */
	if (set_key(&m.r, sizeof(m.key), AUDIT_NL_TAG) < 0)
		return -EINVAL;
	return add_rule(n, &m.r, sizeof(m.r) + m.r.buflen);
}

static int exec_rule(struct audit_nl *n, uint32_t arch, const int *nrs,
		     size_t nnr, const char *key)
{
	struct {
		struct audit_rule_data r;
		char key[AUDIT_MAX_KEY_LEN];
	} m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.r.flags = AUDIT_FILTER_EXIT;
	m.r.action = AUDIT_ALWAYS;
	for (i = 0; i < nnr; i++)
		m.r.mask[AUDIT_WORD(nrs[i])] |= AUDIT_BIT(nrs[i]);
	set_field(&m.r, AUDIT_ARCH, arch);
	if (set_key(&m.r, sizeof(m.key), key) < 0)
		return -EINVAL;
	return add_rule(n, &m.r, sizeof(m.r) + m.r.buflen);
}

int audit_nl_watch_exec(struct audit_nl *n, const char *key)
{
	static const int b64[] = { 59, 322 };	/* execve, execveat */
	static const int b32[] = { 11, 358 };
	int rc = exec_rule(n, AUDIT_ARCH_X86_64, b64, 2, key);

	return rc < 0 ? rc : exec_rule(n, AUDIT_ARCH_I386, b32, 2, key);
}

/* Field types whose value is the length of a string in buf, in field
 * order (kernel/auditfilter.c, audit_data_to_entry). */
static bool string_field(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_SUBJ_CLR) ||
	       (f >= AUDIT_OBJ_USER && f <= AUDIT_OBJ_LEV_HIGH) || f == AUDIT_WATCH ||
	       f == AUDIT_DIR || f == AUDIT_FILTERKEY || f == AUDIT_EXE;
}

/* The rule's filter key (len bytes of rule data), NUL-terminated in out;
 * false when it has none or the data does not hold what it says. */
static bool rule_key(const struct audit_rule_data *r, size_t len, char out[AUDIT_MAX_KEY_LEN + 1])
{
	size_t off = 0, i, room;

	if (len < sizeof(*r) || r->field_count > AUDIT_MAX_FIELDS)
		return false;
	room = len - sizeof(*r) < r->buflen ? len - sizeof(*r) : r->buflen;
	for (i = 0; i < r->field_count; i++) {
		if (!string_field(r->fields[i]))
			continue;
		if (r->values[i] > room - off)
			return false;
		if (r->fields[i] == AUDIT_FILTERKEY) {
			if (r->values[i] > AUDIT_MAX_KEY_LEN)
				return false;
			memcpy(out, r->buf + off, r->values[i]);
			out[r->values[i]] = '\0';
			return true;
		}
		off += r->values[i];
	}
	return false;
}

/* One of the execve rules audit_nl_watch_exec installs with key. */
static bool our_exec_rule(const struct audit_rule_data *r, const char *rkey, const char *key)
{
	return (r->flags & ~(uint32_t)AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT &&
	       r->action == AUDIT_ALWAYS && r->field_count == 2 &&
	       r->fields[0] == AUDIT_ARCH && r->fields[1] == AUDIT_FILTERKEY &&
	       !strcmp(rkey, key);
}

struct rule_list {
	struct audit_rule_data **v;
	size_t *len, n;
};

static void rule_list_free(struct rule_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
}

/* AUDIT_LIST_RULES: the kernel's rules, copied. 0 or -errno. */
static int list_rules(struct audit_nl *n, struct rule_list *l)
{
	char buf[16384];
	struct nlmsghdr *h;
	uint32_t seq;
	ssize_t r;
	int rc = send_msg(n, AUDIT_LIST_RULES, NULL, 0, &seq);

	while (rc == 0) {
		r = recv(n->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
			size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
			void *v, *ln, *copy;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				continue;	/* the ack: the list comes on its own */
			}
			if (h->nlmsg_type != AUDIT_LIST_RULES || plen < sizeof(struct audit_rule_data))
				continue;
			v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
			if (v)
				l->v = v;
			ln = realloc(l->len, (l->n + 1) * sizeof(*l->len));
			if (ln)
				l->len = ln;
			copy = malloc(plen);
			if (!v || !ln || !copy) {
				free(copy);
				return -ENOMEM;
			}
			memcpy(copy, NLMSG_DATA(h), plen);
			l->v[l->n] = copy;
			l->len[l->n++] = plen;
		}
	}
	return rc;
}

int audit_nl_remove_stale(struct audit_nl *n, const char *exec_key)
{
	struct rule_list l = { 0 };
	char key[AUDIT_MAX_KEY_LEN + 1];
	bool died = false;
	int rc, removed = 0;
	uint32_t seq;
	size_t i;

	rc = list_rules(n, &l);
	for (i = 0; rc == 0 && i < l.n; i++)
		died |= rule_key(l.v[i], l.len[i], key) && !strcmp(key, AUDIT_NL_TAG);
	/* Without a tagged rule no run of ours died holding rules: an execve
	 * rule with our key is then the administrator's, and stays. */
	for (i = 0; rc == 0 && died && i < l.n; i++) {
		if (!rule_key(l.v[i], l.len[i], key) ||
		    (strcmp(key, AUDIT_NL_TAG) && !(exec_key && our_exec_rule(l.v[i], key, exec_key))))
			continue;
		rc = send_msg(n, AUDIT_DEL_RULE, l.v[i], l.len[i], &seq);
		if (rc == 0)
			rc = wait_ack(n, seq, false);
		if (rc == -ENOENT)
			rc = 0;		/* gone meanwhile */
		else if (rc == 0)
			removed++;
	}
	rule_list_free(&l);
	return rc < 0 ? rc : removed;
}

int audit_nl_recv(struct audit_nl *n, char *line, size_t linesz, size_t *len)
{
	/* one record per message: MAX_AUDIT_MESSAGE_LENGTH is 8970 */
	char buf[16384];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	const char *name;
	char unknown[32];
	size_t plen;
	ssize_t r;
	int w;

	r = recv(n->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (r < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)r))
		return 0;
	if (h->nlmsg_type == AUDIT_GET) {
		take_status(n, h);
		return 0;
	}
	if (h->nlmsg_type < AUDIT_FIRST_USER_MSG || h->nlmsg_type == NLMSG_ERROR)
		return 0;
	/*
	 * The kernel sets nlmsg_len of audit records to the payload length,
	 * without the header (kernel/audit.c, audit_log_end: "length quirks");
	 * one record per datagram, so the datagram size bounds it.
	 */
	plen = (size_t)r - NLMSG_HDRLEN;
	if (h->nlmsg_len < plen)
		plen = h->nlmsg_len;
	name = audit_type_name(h->nlmsg_type);
	if (!name) {
		snprintf(unknown, sizeof(unknown), "UNKNOWN[%u]", h->nlmsg_type);
		name = unknown;
	}
	/* the kernel's text may or may not end in NUL or newline */
	while (plen > 0 && (((char *)NLMSG_DATA(h))[plen - 1] == '\0' ||
			    ((char *)NLMSG_DATA(h))[plen - 1] == '\n'))
		plen--;
	w = snprintf(line, linesz, "type=%s msg=%.*s", name, (int)plen,
		     (const char *)NLMSG_DATA(h));
	if (w < 0)
		return -EINVAL;
	*len = (size_t)w < linesz ? (size_t)w : linesz - 1;
	return 1;
}

void audit_nl_close(struct audit_nl *n)
{
	struct audit_status st;
	uint32_t seq;
	size_t i;

	if (n->fd < 0)
		return;
	for (i = 0; i < n->nrules; i++) {
		if (send_msg(n, AUDIT_DEL_RULE, n->rules[i], n->rule_len[i], &seq) == 0)
			wait_ack(n, seq, false);
		free(n->rules[i]);
	}
	n->nrules = 0;
	memset(&st, 0, sizeof(st));
	st.mask = AUDIT_STATUS_PID;
	st.pid = 0;
	if (send_msg(n, AUDIT_SET, &st, sizeof(st), &seq) == 0)
		wait_ack(n, seq, false);
	close(n->fd);
	n->fd = -1;
}
