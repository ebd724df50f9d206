/*
 * nfq: NFQUEUE adapter. Netlink messages are built with libnetfilter_queue's
 * nfq_nlmsg_* helpers over a plain netlink socket of our own, so verdicts of
 * one round (a batch plus the single verdicts that follow it) leave in one
 * send(); the kernel's nfnetlink processes the messages of a datagram in
 * order. Packets come in by recvmmsg(), up to NFQ_RECV_MSGS a call: a
 * wake-up for one packet costs one receive, not a second one to learn that
 * the socket is empty.
 */
#include "io/nfq.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/uio.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

#define NFQ_COPY_RANGE   0xffff
/* A packet message: headers and attributes around at most 64 KiB of packet. */
#define NFQ_RBUF_SIZE    (NFQ_COPY_RANGE + 8192)
/* A single verdict with a mark is 40 bytes; room for a full round. */
#define NFQ_WBUF_SIZE    ((NFQUEUE_BATCH_MAX + 2) * 64)
#define NFQ_ROUND_MAX    1024   /* datagrams per dispatch before returning */
/* Datagrams per receive call (one packet message each): each has its own
 * buffer of NFQ_RBUF_SIZE, allocated once. */
#define NFQ_RECV_MSGS    8
/* Verdicts waiting for the next send whose residence is measured. */
#define NFQ_PENDING_MAX  128
#define NFQ_ACK_TIMEOUT_MS 2000

struct nfqueue {
	struct nfqueue_config cfg;
	nfqueue_packet_fn on_packet;
	void *arg;
	int fd;
	uint32_t seq;
	uint32_t cfg_seq;        /* sequence of the config request */
	int cfg_status;          /* 1 waiting, 0 acked, <0 error */
	/* pending batch of plain accepts: ids up to batch_id */
	uint32_t batch_id;
	unsigned batch_n;
	uint64_t holding;        /* packets held, their verdict not yet sent */
	size_t wlen;
	/* receive times of the verdicts in wbuf (residence), and of the
	 * packet in the callback now (0: not measured, a held one's release) */
	uint64_t pending_us[NFQ_PENDING_MAX];
	unsigned pending_n;
	uint64_t cur_us;
	struct nfqueue_stats st;
	struct mmsghdr msgs[NFQ_RECV_MSGS];
	struct iovec iov[NFQ_RECV_MSGS];
	uint8_t *rbuf;           /* NFQ_RECV_MSGS buffers of NFQ_RBUF_SIZE */
	uint8_t *mbuf;           /* a verdict with a modified packet; allocated on first use */
	uint8_t wbuf[NFQ_WBUF_SIZE];
};

/* Counters have a single writer (the instance's thread): a relaxed load and
 * store is enough for other threads to read whole values. */
#define STAT_ADD(q, field, n) \
	__atomic_store_n(&(q)->st.field, (q)->st.field + (n), __ATOMIC_RELAXED)

static uint64_t now_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Appends a 32-bit big-endian attribute; the caller sized the buffer. */
static void nl_put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	uint32_t be = htonl(v);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + sizeof(be);
	memcpy((char *)a + NLA_HDRLEN, &be, sizeof(be));
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len > NLA_HDRLEN ? (size_t)a->nla_len - NLA_HDRLEN : 0;
}

static uint32_t attr_be32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (attr_len(a) >= sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return ntohl(v);
}

/* Histogram bucket of a residence: b such that d <= 2^b µs, the last
 * bucket for anything longer. */
static unsigned residence_bucket(uint64_t d)
{
	unsigned b = 0;

	while (b < NFQUEUE_RESIDENCE_BUCKETS - 1 && d > (1ull << b))
		b++;
	return b;
}

/* The verdicts in wbuf are about to be sent: count how long each packet
 * stayed in user space. (Not after the send: the kernel forwards an
 * accepted packet within it, which is the same for any consumer.) */
static void residence_sent(struct nfqueue *q)
{
	uint64_t now;
	unsigned i;

	if (!q->pending_n)
		return;
	now = now_monotonic_us();
	for (i = 0; i < q->pending_n; i++)
		STAT_ADD(q, residence_us[residence_bucket(now - q->pending_us[i])], 1);
	q->pending_n = 0;
}

/* A verdict for the packet in hand joins wbuf. */
static void residence_add(struct nfqueue *q)
{
	if (q->cur_us && q->pending_n < NFQ_PENDING_MAX)
		q->pending_us[q->pending_n++] = q->cur_us;
}

static int send_all(struct nfqueue *q, const void *p, size_t n)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t r;

	do
		r = sendto(q->fd, p, n, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == n ? 0 : -EIO;
}

/* Room for one more verdict message (with a mark) in the write buffer. */
static struct nlmsghdr *wbuf_msg(struct nfqueue *q, int type)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put((char *)q->wbuf + q->wlen, type, q->cfg.queue);

	nlh->nlmsg_seq = ++q->seq;
	return nlh;
}

static void wbuf_commit(struct nfqueue *q, struct nlmsghdr *nlh)
{
	q->wlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Turns the pending run of plain accepts into one verdict message. */
static void close_batch(struct nfqueue *q)
{
	struct nlmsghdr *nlh;

	if (!q->batch_n)
		return;
	if (q->batch_n == 1) {
		nlh = wbuf_msg(q, NFQNL_MSG_VERDICT);
	} else {
		nlh = wbuf_msg(q, NFQNL_MSG_VERDICT_BATCH);
		STAT_ADD(q, batches, 1);
	}
	nfq_nlmsg_verdict_put(nlh, (int)q->batch_id, NF_ACCEPT);
	wbuf_commit(q, nlh);
	q->batch_n = 0;
}

static void flush(struct nfqueue *q)
{
	close_batch(q);
	if (!q->wlen)
		return;
	residence_sent(q);
	if (send_all(q, q->wbuf, q->wlen) < 0)
		STAT_ADD(q, send_errors, 1);
	q->wlen = 0;
}

static void make_room(struct nfqueue *q)
{
	if (q->batch_n >= NFQUEUE_BATCH_MAX || q->wlen + 2 * 64 > sizeof(q->wbuf) ||
	    q->pending_n >= NFQ_PENDING_MAX)
		flush(q);
}

/* A verdict carrying the packet's new bytes (NFQA_PAYLOAD): sent alone,
 * after every verdict before it, as it does not fit the write buffer. */
static int verdict_modified(struct nfqueue *q, uint32_t id, int v, uint32_t mark,
			    const uint8_t *data, size_t len)
{
	struct nlmsghdr *nlh;

	if (len > NFQ_COPY_RANGE)
		return -EMSGSIZE;
	if (!q->mbuf && !(q->mbuf = malloc(NFQ_RBUF_SIZE)))
		return -ENOMEM;
	flush(q);
	nlh = nfq_nlmsg_put((char *)q->mbuf, NFQNL_MSG_VERDICT, q->cfg.queue);
	nlh->nlmsg_seq = ++q->seq;
	if (v == NFQUEUE_ACCEPT_FLOW) {
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_REPEAT);
		nfq_nlmsg_verdict_put_mark(nlh, (mark & ~q->cfg.mark_mask) | q->cfg.mark_accept);
		STAT_ADD(q, accept_flow, 1);
	} else {
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
		STAT_ADD(q, accepted, 1);
	}
	nfq_nlmsg_verdict_put_pkt(nlh, data, (uint32_t)len);
	STAT_ADD(q, modified, 1);
	residence_add(q);
	residence_sent(q);
	if (send_all(q, q->mbuf, nlh->nlmsg_len) < 0)
		STAT_ADD(q, send_errors, 1);
	return 0;
}

static void verdict(struct nfqueue *q, uint32_t id, int v, uint32_t mark)
{
	struct nlmsghdr *nlh;
	uint32_t bits = 0;

	if (v == NFQUEUE_ACCEPT && !q->holding) {
		q->batch_id = id;
		q->batch_n++;
		STAT_ADD(q, accepted, 1);
		residence_add(q);
		make_room(q);
		return;
	}
	close_batch(q);
	if (v == NFQUEUE_HOLD) {
		q->holding++;
		STAT_ADD(q, held, 1);
		return;
	}
	nlh = wbuf_msg(q, NFQNL_MSG_VERDICT);
	switch (v) {
	case NFQUEUE_ACCEPT:
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
		STAT_ADD(q, accepted, 1);
		break;
	case NFQUEUE_DROP:
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_DROP);
		STAT_ADD(q, dropped, 1);
		break;
	case NFQUEUE_ACCEPT_FLOW:
		bits = q->cfg.mark_accept;
		STAT_ADD(q, accept_flow, 1);
		break;
	default:
		bits = q->cfg.mark_deny;
		STAT_ADD(q, drop_flow, 1);
		break;
	}
	if (v != NFQUEUE_DROP && v != NFQUEUE_ACCEPT) {
		/* NF_REPEAT: the rules save the bits into the conntrack mark. */
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_REPEAT);
		nfq_nlmsg_verdict_put_mark(nlh, (mark & ~q->cfg.mark_mask) | bits);
	}
	wbuf_commit(q, nlh);
	residence_add(q);
	make_room(q);
}

static void handle_packet(struct nfqueue *q, const struct nlmsghdr *nlh, uint64_t now_us)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr ph;
	struct nfqueue_packet p = { 0 };
	uint32_t id, mark = 0;
	int v;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    attr_len(attr[NFQA_PACKET_HDR]) < sizeof(ph)) {
		STAT_ADD(q, recv_errors, 1);
		return;
	}
	memcpy(&ph, attr_data(attr[NFQA_PACKET_HDR]), sizeof(ph));
	id = ntohl(ph.packet_id);
	q->cur_us = now_us;      /* its verdict's residence counts from here */
	if (attr[NFQA_MARK])
		mark = attr_be32(attr[NFQA_MARK]);
	p.data = (const uint8_t *)"";
	if (attr[NFQA_PAYLOAD]) {
		p.data = attr_data(attr[NFQA_PAYLOAD]);
		p.len = attr_len(attr[NFQA_PAYLOAD]);
	}
	STAT_ADD(q, packets, 1);
	STAT_ADD(q, bytes, p.len);
	if (attr[NFQA_CAP_LEN] && attr_be32(attr[NFQA_CAP_LEN]) > p.len)
		STAT_ADD(q, truncated, 1);
	if (attr[NFQA_SKB_INFO]) {
		uint32_t info = attr_be32(attr[NFQA_SKB_INFO]);

		if (info & NFQA_SKB_GSO)
			STAT_ADD(q, gso_packets, 1);
		p.csum_not_ready = (info & NFQA_SKB_CSUMNOTREADY) != 0;
	}

	/* Already decided, yet queued again: the bypass rules are missing.
	 * Repeating would loop; apply the decision plainly. */
	if ((mark & q->cfg.mark_mask) == q->cfg.mark_accept ||
	    (mark & q->cfg.mark_mask) == q->cfg.mark_deny) {
		STAT_ADD(q, unbypassed, 1);
		verdict(q, id, (mark & q->cfg.mark_mask) == q->cfg.mark_accept ?
			NFQUEUE_ACCEPT : NFQUEUE_DROP, mark);
		return;
	}
	p.id = id;
	p.mark = mark;
	p.now_us = now_us;
	v = q->on_packet(q->arg, &p);
	if (v < NFQUEUE_ACCEPT || v > NFQUEUE_HOLD) {
		STAT_ADD(q, callback_errors, 1);
		v = q->cfg.fail_open ? NFQUEUE_ACCEPT : NFQUEUE_DROP;
		p.new_data = NULL;
	}
	if (p.new_data && (v == NFQUEUE_ACCEPT || v == NFQUEUE_ACCEPT_FLOW)) {
		if (verdict_modified(q, id, v, mark, p.new_data, p.new_len) == 0)
			return;
		v = NFQUEUE_DROP;   /* never the bytes the callback replaced */
	}
	verdict(q, id, v, mark);
}

/* Handles every netlink message of one datagram; returns packets seen. */
static int handle_datagram(struct nfqueue *q, const uint8_t *buf, size_t n, uint64_t now_us)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n, packets = 0;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;
			if (nlh->nlmsg_seq == q->cfg_seq && q->cfg_status == 1)
				q->cfg_status = e->error;
			else if (e->error)
				STAT_ADD(q, nl_errors, 1);
			continue;
		}
		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
		    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		handle_packet(q, nlh, now_us);
		packets++;
	}
	return packets;
}

/* One non-blocking receive of up to NFQ_RECV_MSGS datagrams, each
 * handled; 1 when some came (or the call should be repeated), 0 nothing
 * there, <0 fatal. */
static int receive_some(struct nfqueue *q, int *packets)
{
	uint64_t now;
	int r, i;

	for (i = 0; i < NFQ_RECV_MSGS; i++)
		q->msgs[i].msg_hdr.msg_flags = 0;
	r = recvmmsg(q->fd, q->msgs, NFQ_RECV_MSGS, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (r < 0) {
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return 0;
		case EINTR:
			return 1;
		case ENOBUFS:
			/* The kernel could not deliver some packet messages and
			 * already applied its own verdict to them; go on. */
			STAT_ADD(q, enobufs, 1);
			return 1;
		default:
			STAT_ADD(q, recv_errors, 1);
			return -errno;
		}
	}
	now = now_monotonic_us();
	for (i = 0; i < r; i++) {
		if ((q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    q->msgs[i].msg_len > NFQ_RBUF_SIZE) {
			STAT_ADD(q, recv_errors, 1);
			continue;
		}
		*packets += handle_datagram(q, q->iov[i].iov_base, q->msgs[i].msg_len, now);
	}
	/* Fewer than asked for: the socket is empty now. */
	return r == NFQ_RECV_MSGS ? 1 : r > 0 ? 2 : 0;
}

int nfqueue_dispatch(struct nfqueue *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	int packets = 0, r = 0, i;

	if (timeout_ms != 0) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		if (r == 0)
			return 0;
	}
	for (i = 0; i < NFQ_ROUND_MAX; i += NFQ_RECV_MSGS) {
		r = receive_some(q, &packets);
		if (r != 1)
			break;
	}
	flush(q);
	return r < 0 ? r : packets;
}

void nfqueue_flush_verdicts(struct nfqueue *q)
{
	flush(q);
}

int nfqueue_release(struct nfqueue *q, uint32_t id, int v, uint32_t mark)
{
	uint64_t cur_us = q->cur_us;

	if (!q->holding || v < NFQUEUE_ACCEPT || v > NFQUEUE_DROP_FLOW)
		return -EINVAL;
	q->holding--;
	STAT_ADD(q, released, 1);
	q->cur_us = 0;          /* it waited for its answer, not for us */
	verdict(q, id, v, mark);
	q->cur_us = cur_us;
	flush(q);
	return 0;
}

int nfqueue_run(struct nfqueue *q, const volatile sig_atomic_t *stop)
{
	int r;

	while (!*stop) {
		r = nfqueue_dispatch(q, 200);
		if (r < 0)
			return r;
	}
	return 0;
}

static void size_rcvbuf(int fd, uint32_t bytes)
{
	int v = bytes > (uint32_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)bytes;

	/* FORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static int configure(struct nfqueue *q)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->cfg.queue);
	uint32_t flags = 0, mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	uint64_t deadline = now_monotonic_us() + NFQ_ACK_TIMEOUT_MS * 1000u;
	int packets = 0, r;

	if (q->cfg.fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (q->cfg.gso)
		flags |= NFQA_CFG_F_GSO;
	/* The kernel applies the command first, then the other attributes. */
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->cfg.queue_maxlen);
	nl_put_be32(nlh, NFQA_CFG_FLAGS, flags);
	nl_put_be32(nlh, NFQA_CFG_MASK, mask);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = q->cfg_seq = ++q->seq;
	q->cfg_status = 1;
	r = send_all(q, buf, nlh->nlmsg_len);
	if (r < 0)
		return r;
	/* Packets may arrive before the acknowledgement: handle them. */
	while (q->cfg_status == 1) {
		uint64_t now = now_monotonic_us();
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000u) + 1);
		if (r < 0 && errno != EINTR)
			return -errno;
		while ((r = receive_some(q, &packets)) == 1 && q->cfg_status == 1)
			;
		if (r < 0)
			return r;
		flush(q);
	}
	return q->cfg_status;
}

struct nfqueue *nfqueue_open(const struct nfqueue_config *cfg, nfqueue_packet_fn on_packet,
		     void *arg, int *err)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct nfqueue *q = calloc(1, sizeof(*q));
	int r = -ENOMEM;

	if (!q)
		goto fail;
	q->fd = -1;
	q->cfg = *cfg;
	if (!q->cfg.queue_maxlen)
		q->cfg.queue_maxlen = NFQ_DEF_MAXLEN;
	if (!q->cfg.rcvbuf)
		q->cfg.rcvbuf = NFQ_DEF_RCVBUF;
	if (!q->cfg.mark_mask) {
		q->cfg.mark_mask = NFQUEUE_MARK_MASK;
		q->cfg.mark_accept = NFQUEUE_MARK_ACCEPT;
		q->cfg.mark_deny = NFQUEUE_MARK_DENY;
	}
	r = -EINVAL;
	if (!on_packet || (q->cfg.mark_accept & ~q->cfg.mark_mask) ||
	    (q->cfg.mark_deny & ~q->cfg.mark_mask) || !q->cfg.mark_accept ||
	    !q->cfg.mark_deny || q->cfg.mark_accept == q->cfg.mark_deny)
		goto fail;
	q->on_packet = on_packet;
	q->arg = arg;
	r = -ENOMEM;
	q->rbuf = malloc((size_t)NFQ_RECV_MSGS * NFQ_RBUF_SIZE);
	if (!q->rbuf)
		goto fail;
	for (int i = 0; i < NFQ_RECV_MSGS; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * NFQ_RBUF_SIZE;
		q->iov[i].iov_len = NFQ_RBUF_SIZE;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	q->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (q->fd < 0 || bind(q->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		r = -errno;
		goto fail;
	}
	size_rcvbuf(q->fd, q->cfg.rcvbuf);
	r = configure(q);
	/* The kernel answers EPERM when another socket holds the queue. */
	if (r == -EPERM) {
		struct nfqueue_kernel_stats k;

		if (nfqueue_kernel_stats(q->cfg.queue, &k) == 0)
			r = -EBUSY;
	}
	if (r < 0)
		goto fail;
	return q;
fail:
	nfqueue_close(q);
	if (err)
		*err = r;
	return NULL;
}

void nfqueue_close(struct nfqueue *q)
{
	char buf[128] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	if (!q)
		return;
	if (q->fd >= 0) {
		flush(q);
		if (q->cfg_status == 0) {
			nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->cfg.queue);
			nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
			send_all(q, buf, nlh->nlmsg_len);
		}
		close(q->fd);
	}
	free(q->rbuf);
	free(q->mbuf);
	free(q);
}

int nfqueue_fd(const struct nfqueue *q)
{
	return q->fd;
}

#define STAT_GET(field) out->field = __atomic_load_n(&q->st.field, __ATOMIC_RELAXED)

void nfqueue_get_stats(const struct nfqueue *q, struct nfqueue_stats *out)
{
	STAT_GET(packets);
	STAT_GET(bytes);
	STAT_GET(gso_packets);
	STAT_GET(truncated);
	STAT_GET(accepted);
	STAT_GET(dropped);
	STAT_GET(accept_flow);
	STAT_GET(modified);
	STAT_GET(drop_flow);
	STAT_GET(batches);
	STAT_GET(callback_errors);
	STAT_GET(unbypassed);
	STAT_GET(enobufs);
	STAT_GET(recv_errors);
	STAT_GET(send_errors);
	STAT_GET(nl_errors);
	STAT_GET(held);
	STAT_GET(released);
	for (unsigned b = 0; b < NFQUEUE_RESIDENCE_BUCKETS; b++)
		STAT_GET(residence_us[b]);
}

int nfqueue_kernel_stats(uint16_t queue, struct nfqueue_kernel_stats *out)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	char line[256];
	unsigned v[9];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %u %u %u %u %u %u %u", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) < 8 || v[0] != queue)
			continue;
		out->portid = v[1];
		out->queue_total = v[2];
		out->copy_mode = v[3];
		out->copy_range = v[4];
		out->queue_dropped = v[5];
		out->user_dropped = v[6];
		out->id_sequence = v[7];
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

void nfqueue_stats_json(struct json *j, const struct nfqueue_stats *s,
		    const struct nfqueue_kernel_stats *k)
{
	json_object_begin(j);
	json_kv_uint(j, "packets", s->packets);
	json_kv_uint(j, "bytes", s->bytes);
	json_kv_uint(j, "gso_packets", s->gso_packets);
	json_kv_uint(j, "truncated", s->truncated);
	json_kv_uint(j, "accepted", s->accepted);
	json_kv_uint(j, "dropped", s->dropped);
	json_kv_uint(j, "accept_flow", s->accept_flow);
	json_kv_uint(j, "modified", s->modified);
	json_kv_uint(j, "drop_flow", s->drop_flow);
	json_kv_uint(j, "batches", s->batches);
	json_kv_uint(j, "callback_errors", s->callback_errors);
	json_kv_uint(j, "unbypassed", s->unbypassed);
	json_kv_uint(j, "enobufs", s->enobufs);
	json_kv_uint(j, "recv_errors", s->recv_errors);
	json_kv_uint(j, "send_errors", s->send_errors);
	json_kv_uint(j, "nl_errors", s->nl_errors);
	json_kv_uint(j, "held", s->held);
	json_kv_uint(j, "released", s->released);
	/* [upper bound µs, packets] of each bucket that has any; the last
	 * bucket's bound stands for "longer" */
	json_key(j, "residence_us");
	json_array_begin(j);
	for (unsigned b = 0; b < NFQUEUE_RESIDENCE_BUCKETS; b++) {
		if (!s->residence_us[b])
			continue;
		json_array_begin(j);
		json_uint(j, 1ull << b);
		json_uint(j, s->residence_us[b]);
		json_array_end(j);
	}
	json_array_end(j);
	if (k) {
		json_key(j, "kernel");
		json_object_begin(j);
		json_kv_uint(j, "queue_total", k->queue_total);
		json_kv_uint(j, "queue_dropped", k->queue_dropped);
		json_kv_uint(j, "user_dropped", k->user_dropped);
		json_kv_uint(j, "id_sequence", k->id_sequence);
		json_object_end(j);
	}
	json_object_end(j);
}
