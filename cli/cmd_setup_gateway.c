/*
 * secaudit setup-gateway: prints, applies or removes the netfilter rules
 * that put the monitor on a gateway's packet path (iptables and ip6tables;
 * nft's own queue statement is missing from some kernels, iptables'
 * NFQUEUE target works on them through nft_compat).
 *
 * Everything lives in one chain of our own, SECAUDIT, in the filter table,
 * reached by one rule per protocol at the top of FORWARD (and of INPUT /
 * OUTPUT on request) that sends TCP, and UDP when QUIC is judged, there.
 * In SECAUDIT, in order:
 *   1. packets the monitor injected (RSTs, packet mark NFQUEUE_MARK_INJECT)
 *      return untouched;
 *   2. connections marked accepted (conntrack mark) return: never queued;
 *   3. connections marked denied are dropped by the kernel;
 *   4. a packet coming back from the monitor (NF_REPEAT) with a decision in
 *      its packet mark has it saved into the conntrack mark, then returns
 *      (accepted) or is dropped (denied) -- see monitor/nfq.h for why the
 *      verdict cannot set the conntrack mark itself on this kernel;
 *   5. the client's SYN to a TLS port is copied to the monitor (NFLOG
 *      group SYNLOG_GROUP, not queued: it needs no verdict, so it is not
 *      delayed): it tells where the client's bytes start, and the client's
 *      first ACK where the server's start, so segments sent out of order
 *      cannot make the monitor begin mid-record and take the flow for "not
 *      TLS" (an evasion); the server's SYN+ACK is copied the same way: it
 *      tells where the server's bytes start and what the server's SYN said,
 *      which the monitor holds later segments against (evasion resistance:
 *      a fake whose ACK the server would refuse is not judged);
 *   6. TCP to or from the TLS ports that carries payload goes to the queue.
 *      Pure ACKs (and SYNs, FIN, RST without data) never reach user space:
 *      a classic BPF test (-m bpf) compares the IP length with the IP and
 *      TCP header lengths, which neither -m length nor -m u32 can do
 *      exactly (u32 cannot subtract, and misses payloads under 4 bytes).
 *      The queue is balanced (--queue-balance, whose hash of the addresses
 *      keeps both directions of a flow on one queue) and bypassed when no
 *      monitor listens (--queue-bypass) unless --fail-closed;
 *   7. UDP to or from the QUIC ports whose first payload byte has the long
 *      header bit (RFC 9000 17.2: Initial, 0-RTT, Handshake, Retry, Version
 *      Negotiation), or is a Google QUIC public header with the version
 *      flag and neither the reset nor the multipath flag (Q043's first
 *      client packets, whose CHLO the monitor reads), goes to the same
 *      queue, tested by BPF as in 6. Short
 *      header (1-RTT) packets never reach user space; neither does anything
 *      of a connection once it is judged (2, 3): the monitor decides at the
 *      server's Initial, so in practice a handshake queues two datagrams.
 * Returns go back to the hook chain, so the gateway's own rules still
 * apply to everything we let through.
 *
 * --apply is idempotent (the chain is refilled, hooks added once);
 * --remove takes out the hooks and the chain, and, with the nf_tables
 * backend, the filter table itself when --apply created it and it is empty
 * again, so iptables-save prints what it printed before.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "buf.h"
#include "cli.h"
#include "io/nfq.h"
#include "io/nfq_feed.h"
#include "io/synlog.h"

#define SG_CHAIN "SECAUDIT"
#define SG_HOOK_COMMENT "secaudit"
#define SG_CREATED_COMMENT "secaudit: created the filter table"
#define SG_MAX_ARGS 40
#define SG_MAX_PORT_SLOTS 15   /* multiport's limit (a range takes two) */

enum sg_mode { SG_PRINT, SG_APPLY, SG_REMOVE };

struct sg_opts {
	enum sg_mode mode;
	unsigned q_first, q_last;
	const char *ports;
	const char *quic_ports;    /* NULL: QUIC not queued (--no-quic) */
	bool input, output, fail_closed;
	bool v4, v6;
};

struct sg_family {
	const char *tool;       /* iptables | ip6tables */
	const char *save;       /* iptables-save | ip6tables-save */
	uint8_t nfproto;        /* for deleting the nf_tables table */
	const struct sock_filter *bpf;
	size_t bpf_len;
	const struct sock_filter *bpf_quic;
	size_t bpf_quic_len;
};

/* IPv4 (RFC 791 section 3.1, RFC 9293 section 3.1): payload when the total
 * length exceeds IHL*4 + data offset*4, or when it is 0 (a GSO packet over
 * 64 KiB: certainly data). */
static const struct sock_filter bpf_payload4[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),         /* X = IHL*4 */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 12),         /* A = TCP byte 12 */
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),         /* A = data offset*4 */
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),         /* A = both headers */
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),          /* A = total length */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* IPv6 (RFC 8200 section 3): TCP right after the fixed header has payload
 * when the payload length exceeds the data offset*4 (or is 0: jumbo/GSO).
 * With extension headers in between, the packet is queued: the monitor
 * decodes them. */
static const struct sock_filter bpf_payload6[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),          /* next header */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 12),    /* TCP byte 12 */
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),                /* X = data offset*4 */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),          /* payload length */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* IPv4 UDP: the first payload byte (after IHL*4 and the 8-byte UDP header)
 * has the QUIC long header bit, or, of the bits 0xc3 (IETF's long header
 * and fixed bits, gQUIC's reset and version flags), only the version flag:
 * a gQUIC public header with the version (an IETF short header has the
 * fixed bit). An empty datagram fails the load: not queued. */
static const struct sock_filter bpf_quic4[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),         /* X = IHL*4 */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 8),          /* A = payload byte 0 */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 2, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xc3),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x01, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* IPv6 UDP right after the fixed header: the same test on the byte at
 * 40 + 8. With extension headers in between, the packet is queued. */
static const struct sock_filter bpf_quic6[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),          /* next header */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 48),         /* payload byte 0 */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 2, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xc3),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x01, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
static const struct sg_family families[] = {
	{ "iptables", "iptables-save", NFPROTO_IPV4, bpf_payload4, N_OF(bpf_payload4),
	  bpf_quic4, N_OF(bpf_quic4) },
	{ "ip6tables", "ip6tables-save", NFPROTO_IPV6, bpf_payload6, N_OF(bpf_payload6),
	  bpf_quic6, N_OF(bpf_quic6) },
};

/* The protocols the hooks send to the chain. */
static const char *const protos[] = { "udp", "tcp" }; /* tcp inserted last: first */

static const char *const hooks[] = { "FORWARD", "INPUT", "OUTPUT" };

/* An argument vector built from pieces; strings are copied. */
struct sg_argv {
	char *v[SG_MAX_ARGS + 1];
	int n;
};

static void av_add(struct sg_argv *a, const char *s)
{
	if (a->n < SG_MAX_ARGS)
		a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

static void av_addv(struct sg_argv *a, const char *const *list)
{
	for (; *list; list++)
		av_add(a, *list);
}

static void av_free(struct sg_argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

static bool av_ok(const struct sg_argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (!a->v[i])
			return false;
	return a->n < SG_MAX_ARGS;
}

static void av_print(FILE *f, const struct sg_argv *a)
{
	int i;

	for (i = 0; i < a->n; i++) {
		const char *s = a->v[i];

		if (strpbrk(s, " \t\"*?$;&|<>()"))
			fprintf(f, "%s'%s'", i ? " " : "", s);
		else
			fprintf(f, "%s%s", i ? " " : "", s);
	}
	fputc('\n', f);
}

/* Runs argv; its stdout goes to out (when not NULL), its stderr to ours
 * unless quiet. Returns the exit status, or -1 when it could not run. */
static int run(const struct sg_argv *a, struct buf *out, bool quiet)
{
	int pfd[2] = { -1, -1 }, status = 0;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	if (!av_ok(a) || (out && pipe(pfd) < 0))
		return -1;
	pid = fork();
	if (pid < 0) {
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (out)
			dup2(pfd[1], 1);
		else if (null >= 0)
			dup2(null, 1);
		if (quiet && null >= 0)
			dup2(null, 2);
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		execvp(a->v[0], a->v);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		while ((n = read(pfd[0], chunk, sizeof(chunk))) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0)
				buf_put(out, chunk, (size_t)n);
		close(pfd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}

static void bpf_text(const struct sock_filter *f, size_t n, char *out, size_t cap)
{
	size_t i, off;

	off = (size_t)snprintf(out, cap, "%zu", n);
	for (i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, ",%u %u %u %u",
					f[i].code, f[i].jt, f[i].jf, f[i].k);
}

/* The rules of the chain, one argv each (without the tool's name). */
static int chain_rules(const struct sg_opts *o, const struct sg_family *fam,
		       bool created_table, struct sg_argv rules[], int max)
{
	char inject[32], acc[32], deny[32], mask[32], bpf[512], bpf_quic[256], queue[32];
	char group[16];
	int n = 0;

	snprintf(inject, sizeof(inject), "0x%x/0x%x", NFQUEUE_MARK_INJECT, NFQUEUE_MARK_INJECT);
	snprintf(acc, sizeof(acc), "0x%x/0x%x", NFQUEUE_MARK_ACCEPT, NFQUEUE_MARK_MASK);
	snprintf(deny, sizeof(deny), "0x%x/0x%x", NFQUEUE_MARK_DENY, NFQUEUE_MARK_MASK);
	snprintf(mask, sizeof(mask), "0x%x", NFQUEUE_MARK_MASK);
	bpf_text(fam->bpf, fam->bpf_len, bpf, sizeof(bpf));
	bpf_text(fam->bpf_quic, fam->bpf_quic_len, bpf_quic, sizeof(bpf_quic));
	snprintf(group, sizeof(group), "%u", SYNLOG_GROUP);
	if (o->q_first == o->q_last)
		snprintf(queue, sizeof(queue), "%u", o->q_first);
	else
		snprintf(queue, sizeof(queue), "%u:%u", o->q_first, o->q_last);
	if (max < 11)
		return -1;
	{
		const char *r0[] = { "-m", "mark", "--mark", inject, "-j", "RETURN", NULL };
		const char *r1[] = { "-m", "connmark", "--mark", acc, "-j", "RETURN", NULL };
		const char *r2[] = { "-m", "connmark", "--mark", deny, "-j", "DROP", NULL };
		const char *r3[] = { "-m", "mark", "--mark", acc, "-j", "CONNMARK",
				     "--save-mark", "--nfmask", mask, "--ctmask", mask, NULL };
		const char *r4[] = { "-m", "mark", "--mark", acc, "-j", "RETURN", NULL };
		const char *r5[] = { "-m", "mark", "--mark", deny, "-j", "CONNMARK",
				     "--save-mark", "--nfmask", mask, "--ctmask", mask, NULL };
		const char *r6[] = { "-m", "mark", "--mark", deny, "-j", "DROP", NULL };
		const char *const *all[] = { r0, r1, r2, r3, r4, r5, r6 };
		size_t i;

		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			av_add(&rules[n], "-A");
			av_add(&rules[n], SG_CHAIN);
			av_addv(&rules[n], all[i]);
			n++;
		}
	}
	{
		const char *qarg = o->q_first == o->q_last ? "--queue-num" : "--queue-balance";
		const char *syn[] = { "-A", SG_CHAIN, "-p", "tcp", "-m", "multiport",
				      "--dports", o->ports, "--syn", "-j", "NFLOG",
				      "--nflog-group", group, "--nflog-size", "128", NULL };
		const char *synack[] = { "-A", SG_CHAIN, "-p", "tcp", "-m", "multiport",
					 "--sports", o->ports, "--tcp-flags", "SYN,ACK,RST",
					 "SYN,ACK", "-j", "NFLOG", "--nflog-group", group,
					 "--nflog-size", "128", NULL };
		const char *q[] = { "-A", SG_CHAIN, "-p", "tcp", "-m", "multiport",
				    "--ports", o->ports, "-m", "bpf", "--bytecode", bpf,
				    "-j", "NFQUEUE", qarg, queue, NULL };
		const char *qq[] = { "-A", SG_CHAIN, "-p", "udp", "-m", "multiport",
				     "--ports", o->quic_ports ? o->quic_ports : "", "-m", "bpf",
				     "--bytecode", bpf_quic, "-j", "NFQUEUE", qarg, queue, NULL };

		av_addv(&rules[n++], syn);
		av_addv(&rules[n++], synack);
		av_addv(&rules[n], q);
		if (!o->fail_closed)
			av_add(&rules[n], "--queue-bypass");
		n++;
		if (o->quic_ports) {
			av_addv(&rules[n], qq);
			if (!o->fail_closed)
				av_add(&rules[n], "--queue-bypass");
			n++;
		}
	}
	if (created_table) {
		/* A no-op at the end of the chain that remembers, for
		 * --remove, that the table did not exist before. */
		const char *m[] = { "-A", SG_CHAIN, "-m", "comment", "--comment",
				    SG_CREATED_COMMENT, "-j", "RETURN", NULL };

		av_addv(&rules[n++], m);
	}
	return n;
}

static void hook_rule(struct sg_argv *a, const char *tool, const char *op,
		      const char *hook, const char *proto)
{
	const char *r[] = { "-p", proto, "-m", "comment", "--comment",
			    SG_HOOK_COMMENT, "-j", SG_CHAIN, NULL };

	av_add(a, tool);
	av_add(a, "-w");
	av_add(a, op);
	av_add(a, hook);
	if (!strcmp(op, "-I"))
		av_add(a, "1");
	av_addv(a, r);
}

static bool hook_wanted(const struct sg_opts *o, const char *hook, const char *proto)
{
	if (!strcmp(proto, "udp") && !o->quic_ports)
		return false;
	return !strcmp(hook, "FORWARD") || (o->input && !strcmp(hook, "INPUT")) ||
	       (o->output && !strcmp(hook, "OUTPUT"));
}

static int tool_cmd(const char *tool, const char *const *args, struct buf *out, bool quiet)
{
	struct sg_argv a = { 0 };
	int r;

	av_add(&a, tool);
	av_add(&a, "-w");
	av_addv(&a, args);
	r = run(&a, out, quiet);
	av_free(&a);
	return r;
}

static bool chain_exists(const struct sg_family *fam)
{
	const char *args[] = { "-n", "-L", SG_CHAIN, NULL };

	return tool_cmd(fam->tool, args, NULL, true) == 0;
}

/* The rule set as iptables-save prints it (NUL-terminated text). Not
 * `-t filter`: that prints the built-in chains of a table that does not
 * exist, so their absence could not be seen. */
static int save_tables(const struct sg_family *fam, struct buf *out)
{
	struct sg_argv a = { 0 };
	int r;

	av_add(&a, fam->save);
	r = run(&a, out, true);
	av_free(&a);
	buf_cstr(out);
	return r;
}

static bool table_absent(const struct sg_family *fam)
{
	struct buf out = { 0 };
	bool absent;

	absent = save_tables(fam, &out) == 0 && !strstr(buf_cstr(&out), "\n*filter\n") &&
		 strncmp(buf_cstr(&out), "*filter\n", 8) != 0;
	buf_free(&out);
	return absent;
}

/* True when the table holds only its built-in chains, empty, policy ACCEPT. */
static bool table_pristine(const struct sg_family *fam)
{
	struct buf out = { 0 };
	char *line, *save = NULL;
	bool ok = true, in_filter = false;

	if (save_tables(fam, &out) != 0 || out.oom) {
		buf_free(&out);
		return false;
	}
	for (line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '*')
			in_filter = !strcmp(line, "*filter");
		if (!in_filter || line[0] == '#' || line[0] == '*' || !strcmp(line, "COMMIT"))
			continue;
		if (!strncmp(line, ":INPUT ACCEPT ", 14) || !strncmp(line, ":FORWARD ACCEPT ", 16) ||
		    !strncmp(line, ":OUTPUT ACCEPT ", 15))
			continue;
		ok = false;
	}
	buf_free(&out);
	return ok;
}

static bool backend_is_nft(const struct sg_family *fam)
{
	struct buf out = { 0 };
	const char *args[] = { "-V", NULL };
	bool nft;

	nft = tool_cmd(fam->tool, args, &out, true) == 0 &&
	      strstr(buf_cstr(&out), "nf_tables") != NULL;
	buf_free(&out);
	return nft;
}

static struct nlmsghdr *nl_msg(char *buf, size_t *off, uint16_t type, uint16_t flags,
			       uint8_t family, uint16_t res_id, uint32_t seq)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct nfgenmsg *g;

	memset(h, 0, NLMSG_LENGTH(sizeof(*g)));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = seq;
	g = NLMSG_DATA(h);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return h;
}

/* Deletes the nf_tables table `filter` of one family (what `nft delete
 * table ip filter` does; the nft tool may not be installed). 0 or -errno. */
static int nft_delete_filter_table(uint8_t nfproto)
{
	char buf[256] __attribute__((aligned(4)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h;
	struct nlattr *a;
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	memset(buf, 0, sizeof(buf));
	h = nl_msg(buf, &off, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 1);
	off += NLMSG_ALIGN(h->nlmsg_len);
	h = nl_msg(buf, &off, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK,
		   nfproto, 0, 2);
	a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->nla_type = NFTA_TABLE_NAME;
	a->nla_len = NLA_HDRLEN + sizeof("filter");
	memcpy((char *)a + NLA_HDRLEN, "filter", sizeof("filter"));
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len);
	off += NLMSG_ALIGN(h->nlmsg_len);
	h = nl_msg(buf, &off, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 3);
	off += NLMSG_ALIGN(h->nlmsg_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -errno;
	if (sendto(fd, buf, off, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	h = (struct nlmsghdr *)buf;
	if (NLMSG_OK(h, (int)n) && h->nlmsg_type == NLMSG_ERROR &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
out:
	close(fd);
	return r;
}

static bool chain_has_marker(const struct sg_family *fam)
{
	const char *args[] = { "-S", SG_CHAIN, NULL };
	struct buf out = { 0 };
	bool found;

	found = tool_cmd(fam->tool, args, &out, true) == 0 &&
		strstr(buf_cstr(&out), SG_CREATED_COMMENT) != NULL;
	buf_free(&out);
	return found;
}

/* Runs (or, dry, prints) one command; failures are reported here. */
static int step(const struct sg_argv *a, bool dry)
{
	if (dry) {
		av_print(stdout, a);
		return 0;
	}
	if (run(a, NULL, false) != 0) {
		fprintf(stderr, "secaudit setup-gateway: failed: ");
		av_print(stderr, a);
		return -1;
	}
	return 0;
}

static int apply_family(const struct sg_opts *o, const struct sg_family *fam, bool dry)
{
	struct sg_argv rules[12] = { 0 }, a = { 0 };
	bool exists = !dry && chain_exists(fam);
	bool created = !dry && (exists ? chain_has_marker(fam) : table_absent(fam));
	int n, i, r = 0;
	size_t h;

	n = chain_rules(o, fam, created, rules, 12);
	av_add(&a, fam->tool);
	av_add(&a, "-w");
	av_add(&a, exists ? "-F" : "-N");
	av_add(&a, SG_CHAIN);
	r = step(&a, dry);
	av_free(&a);
	for (i = 0; i < n && !r; i++) {
		av_add(&a, fam->tool);
		av_add(&a, "-w");
		av_addv(&a, (const char *const *)rules[i].v);
		r = step(&a, dry);
		av_free(&a);
	}
	for (h = 0; h < N_OF(hooks) * N_OF(protos) && !r; h++) {
		const char *hook = hooks[h / N_OF(protos)], *proto = protos[h % N_OF(protos)];
		bool present;

		hook_rule(&a, fam->tool, "-C", hook, proto);
		present = !dry && run(&a, NULL, true) == 0;
		av_free(&a);
		if (hook_wanted(o, hook, proto) && !present) {
			hook_rule(&a, fam->tool, "-I", hook, proto);
			r = step(&a, dry);
		} else if (!hook_wanted(o, hook, proto) && present) {
			hook_rule(&a, fam->tool, "-D", hook, proto);
			r = step(&a, dry);
		}
		av_free(&a);
	}
	for (i = 0; i < n; i++)
		av_free(&rules[i]);
	return r;
}

static int remove_family(const struct sg_family *fam)
{
	struct sg_argv a = { 0 };
	bool created = chain_has_marker(fam);
	int r = 0, guard;
	size_t h;

	for (h = 0; h < N_OF(hooks) * N_OF(protos); h++) {
		const char *hook = hooks[h / N_OF(protos)], *proto = protos[h % N_OF(protos)];

		for (guard = 0; guard < 16; guard++) {
			hook_rule(&a, fam->tool, "-C", hook, proto);
			if (run(&a, NULL, true) != 0) {
				av_free(&a);
				break;
			}
			av_free(&a);
			hook_rule(&a, fam->tool, "-D", hook, proto);
			r |= step(&a, false);
			av_free(&a);
		}
	}
	if (chain_exists(fam)) {
		const char *f[] = { "-F", SG_CHAIN, NULL }, *x[] = { "-X", SG_CHAIN, NULL };

		if (tool_cmd(fam->tool, f, NULL, false) != 0 ||
		    tool_cmd(fam->tool, x, NULL, false) != 0) {
			fprintf(stderr, "secaudit setup-gateway: %s: cannot remove chain %s\n",
				fam->tool, SG_CHAIN);
			r = -1;
		}
	}
	if (!r && created && backend_is_nft(fam) && table_pristine(fam)) {
		int e = nft_delete_filter_table(fam->nfproto);

		if (e < 0)
			fprintf(stderr, "secaudit setup-gateway: %s: could not delete the "
				"filter table it created: %s\n", fam->tool, strerror(-e));
	}
	return r;
}

/* One queue number (range false), or a range "A-B" (also "A:B", as
 * iptables writes it). */
static bool parse_queues(const char *s, bool range, unsigned *first, unsigned *last)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	b = a;
	if (range) {
		if (*end != '-' && *end != ':')
			return false;
		if (!(end[1] >= '0' && end[1] <= '9'))
			return false;
		b = strtoul(end + 1, &end, 10);
	}
	if (errno || *end || !(*s >= '0' && *s <= '9') || a > 65535 || b > 65535 || b < a)
		return false;
	*first = (unsigned)a;
	*last = (unsigned)b;
	return true;
}

/* After --apply without --fail-closed: a queue the rules now feed with
 * --queue-bypass but that no monitor listens on lets its TLS pass unjudged. */
/* Several queues: one monitor thread each, best pinned one per CPU (those
 * that take the NIC's RX interrupts, docs/deploy.md). Suggests the first
 * CPUs this process may use as the monitor's queue_cpu list. */
static void pin_hint(const struct sg_opts *o, const char *prefix)
{
	unsigned want = o->q_last - o->q_first + 1u, n = 0, cpu;
	char list[256] = "";
	cpu_set_t set;
	size_t len = 0;

	if (want < 2 || sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < want && len + 8 < sizeof(list); cpu++)
		if (CPU_ISSET(cpu, &set))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", n++ ? "," : "",
						cpu);
	printf("%s%u queues, one monitor thread each: pin them one per CPU, the CPUs that take "
	       "the NIC's RX queues' interrupts (docs/deploy.md, Pinning), e.g. nfqueue.queue_cpu: "
	       "\"%s\" or secaudit-monitor --queue-cpu %s%s\n", prefix, want, list, list,
	       n < want ? " (fewer CPUs than queues: the list repeats)" : "");
}

static void warn_unserved(const struct sg_opts *o)
{
	unsigned q;

	for (q = o->q_first; q <= o->q_last; q++)
		if (!nfq_queue_has_listener((uint16_t)q))
			fprintf(stderr, "secaudit setup-gateway: warning: no monitor listens on queue "
				"%u: with --queue-bypass its TLS traffic passes unjudged until "
				"secaudit-monitor serves it (nfqueue.queues)\n", q);
}

/* "443,8443,10000:10010": at most 15 slots, a range counting two. */
static bool parse_ports(const char *s)
{
	unsigned slots = 0;
	const char *p = s;

	while (*p) {
		unsigned long lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			return false;
		lo = strtoul(p, &end, 10);
		hi = lo;
		slots++;
		if (*end == ':') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			hi = strtoul(end + 1, &end, 10);
			slots++;
		}
		if (!lo || lo > 65535 || hi > 65535 || hi < lo)
			return false;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return false;
		p = end;
	}
	return p != s && slots <= SG_MAX_PORT_SLOTS;
}

/* The STARTTLS services the monitor follows into TLS (monitor/app):
 * FTP, SMTP, POP3, NNTP, IMAP, LDAP, submission, MySQL, ManageSieve, XMPP
 * client and server, PostgreSQL. Their clear-text start is queued too, a
 * few packets, until the monitor finds TLS or gives the flow up. */
#define SG_STARTTLS_PORTS "21,25,110,119,143,389,587,3306,4190,5222,5269,5432"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit setup-gateway [--apply | --remove] [--queue N | --queues A-B]\n"
		"                              [--ports LIST] [--starttls]\n"
		"                              [--quic-ports LIST | --no-quic] [--input] [--output]\n"
		"                              [--fail-closed] [-4 | -6]\n"
		"Prints (default), applies or removes the iptables and ip6tables rules\n"
		"that queue TLS traffic of the gateway to secaudit-monitor.\n"
		"  --queue N       the NFQUEUE number (default 0)\n"
		"  --queues A-B    a range of queues, flows balanced over them\n"
		"  --ports LIST    TLS ports, e.g. 443,8443,10000:10010 (default 443)\n"
		"  --starttls      also the STARTTLS ports " SG_STARTTLS_PORTS "\n"
		"  --quic-ports LIST  UDP ports whose QUIC Initials are judged (default 443)\n"
		"  --no-quic       queue no UDP: QUIC passes unjudged\n"
		"  --input         also the gateway's own incoming connections\n"
		"  --output        also the gateway's own outgoing connections\n"
		"  --fail-closed   no --queue-bypass: without a monitor, traffic stops\n"
		"  -4 / -6         one family only (default both)\n");
}

int cmd_setup_gateway(int argc, char **argv)
{
	struct sg_opts o = { .mode = SG_PRINT, .ports = "443", .quic_ports = "443", .v4 = true,
			     .v6 = true };
	static char ports[512];
	bool starttls = false;
	size_t i;
	int k, r = 0;

	for (k = 1; k < argc; k++) {
		const char *a = argv[k];

		if (!strcmp(a, "--apply")) {
			o.mode = SG_APPLY;
		} else if (!strcmp(a, "--remove")) {
			o.mode = SG_REMOVE;
		} else if ((!strcmp(a, "--queues") || !strcmp(a, "--queue")) && k + 1 < argc) {
			bool range = !strcmp(a, "--queues");

			if (!parse_queues(argv[++k], range, &o.q_first, &o.q_last)) {
				fprintf(stderr, "secaudit setup-gateway: bad %s '%s' (%s)\n", a, argv[k],
					range ? "want a range A-B of queue numbers 0-65535; "
						"for one queue give --queue N" :
						"want one queue number 0-65535; for several give "
						"--queues A-B");
				return 2;
			}
		} else if (!strcmp(a, "--ports") && k + 1 < argc) {
			o.ports = argv[++k];
			if (!parse_ports(o.ports)) {
				fprintf(stderr, "secaudit setup-gateway: bad --ports '%s' (want "
					"ports 1-65535 and lo:hi ranges, comma separated, "
					"at most %d slots)\n", o.ports, SG_MAX_PORT_SLOTS);
				return 2;
			}
		} else if (!strcmp(a, "--starttls")) {
			starttls = true;
		} else if (!strcmp(a, "--quic-ports") && k + 1 < argc) {
			o.quic_ports = argv[++k];
			if (!parse_ports(o.quic_ports)) {
				fprintf(stderr, "secaudit setup-gateway: bad --quic-ports '%s' (want "
					"ports 1-65535 and lo:hi ranges, comma separated, "
					"at most %d slots)\n", o.quic_ports, SG_MAX_PORT_SLOTS);
				return 2;
			}
		} else if (!strcmp(a, "--no-quic")) {
			o.quic_ports = NULL;
		} else if (!strcmp(a, "--input")) {
			o.input = true;
		} else if (!strcmp(a, "--output")) {
			o.output = true;
		} else if (!strcmp(a, "--fail-closed")) {
			o.fail_closed = true;
		} else if (!strcmp(a, "-4")) {
			o.v6 = false;
		} else if (!strcmp(a, "-6")) {
			o.v4 = false;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "secaudit setup-gateway: unknown or incomplete "
				"argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!o.v4 && !o.v6) {
		fprintf(stderr, "secaudit setup-gateway: -4 and -6 exclude each other\n");
		return 2;
	}
	if (starttls) {
		snprintf(ports, sizeof(ports), "%s,%s", o.ports, SG_STARTTLS_PORTS);
		if (!parse_ports(ports)) {
			fprintf(stderr, "secaudit setup-gateway: --ports '%s' with --starttls is "
				"over %d slots\n", o.ports, SG_MAX_PORT_SLOTS);
			return 2;
		}
		o.ports = ports;
	}
	if (o.mode == SG_PRINT)
		printf("# secaudit setup-gateway: queues %u:%u, ports %s, QUIC ports %s, %s\n",
		       o.q_first, o.q_last, o.ports, o.quic_ports ? o.quic_ports : "none",
		       o.fail_closed ? "fail-closed" : "fail-open (--queue-bypass)");
	if (o.mode == SG_PRINT)
		pin_hint(&o, "# ");
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if ((i == 0 && !o.v4) || (i == 1 && !o.v6))
			continue;
		if (o.mode == SG_REMOVE)
			r |= remove_family(&families[i]);
		else
			r |= apply_family(&o, &families[i], o.mode == SG_PRINT);
	}
	if (!r && o.mode == SG_APPLY) {
		char queues[32];

		if (o.q_last > o.q_first)
			snprintf(queues, sizeof(queues), "queues %u-%u", o.q_first, o.q_last);
		else
			snprintf(queues, sizeof(queues), "queue %u", o.q_first);
		printf("secaudit setup-gateway: applied (%s): chain %s from FORWARD%s%s, TCP ports %s "
		       "and QUIC ports %s to %s, %s\n",
		       o.v4 && o.v6 ? "IPv4 and IPv6" : o.v4 ? "IPv4" : "IPv6",
		       SG_CHAIN, o.input ? ", INPUT" : "", o.output ? ", OUTPUT" : "", o.ports,
		       o.quic_ports ? o.quic_ports : "none", queues,
		       o.fail_closed ? "fail-closed" : "fail-open (--queue-bypass)");
		pin_hint(&o, "secaudit setup-gateway: ");
		if (!o.fail_closed)
			warn_unserved(&o);
	} else if (!r && o.mode == SG_REMOVE) {
		printf("secaudit setup-gateway: removed (%s): chain %s and its hooks\n",
		       o.v4 && o.v6 ? "IPv4 and IPv6" : o.v4 ? "IPv4" : "IPv6", SG_CHAIN);
	}
	return r ? 1 : 0;
}
