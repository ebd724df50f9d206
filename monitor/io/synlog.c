/*
 * synlog: clients' SYNs from an NFLOG group. See synlog.h. Netlink
 * messages are built with libnetfilter_log's nflog_* helpers and libmnl.
 */
#include "io/synlog.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>

#define SYNLOG_COPY_RANGE SYNTABLE_PKT_MAX /* IP and TCP headers with options */
#define SYNLOG_RBUF (64 * 1024)
#define SYNLOG_RCVBUF (4u << 20)
#define SYNLOG_SLOTS 65536

struct synlog {
	pthread_mutex_t lock;
	int fd;
	struct syntable *table;
	struct synlog_counters n;
	uint8_t rbuf[SYNLOG_RBUF];
};

static uint64_t clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Sends one config message and waits for the kernel's acknowledgement. */
static int config(int fd, struct nlmsghdr *nlh)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *r;
	ssize_t n;
	int left;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left = (int)n;
		for (r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, left);
		     r = mnl_nlmsg_next(r, &left)) {
			if (r->nlmsg_type == NLMSG_ERROR && r->nlmsg_seq == nlh->nlmsg_seq)
				return ((struct nlmsgerr *)mnl_nlmsg_get_payload(r))->error;
		}
	}
}

struct synlog *synlog_open(uint16_t group, int *err)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct synlog *sl = calloc(1, sizeof(*sl));
	struct nlmsghdr *nlh;
	int r = -ENOMEM, v = SYNLOG_RCVBUF;

	if (!sl || !(sl->table = syntable_new(SYNLOG_SLOTS)))
		goto fail;
	pthread_mutex_init(&sl->lock, NULL);
	sl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (sl->fd < 0 || bind(sl->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		r = -errno;
		goto fail;
	}
	if (setsockopt(sl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(sl->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
	nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
	if ((r = config(sl->fd, nlh)) < 0)
		goto fail;
	/* headers only; each copy sent at once, never batched */
	nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
	nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, SYNLOG_COPY_RANGE);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(0));
	if ((r = config(sl->fd, nlh)) < 0)
		goto fail;
	return sl;
fail:
	if (err)
		*err = r == -EPERM ? -EBUSY : r;
	synlog_close(sl);
	return NULL;
}

void synlog_close(struct synlog *sl)
{
	if (!sl)
		return;
	if (sl->fd >= 0)
		close(sl->fd);
	syntable_free(sl->table);
	pthread_mutex_destroy(&sl->lock);
	free(sl);
}

/* When the kernel saw the packet: its stamp when it sent one (the copy
 * may be read only when the connection's first queued packet asks for
 * it), else now. */
static uint64_t wall_of(struct nlattr *stamp_attr)
{
	struct nfulnl_msg_packet_timestamp stamp;
	uint64_t us = 0;

	if (stamp_attr && mnl_attr_get_payload_len(stamp_attr) >= sizeof(stamp)) {
		memcpy(&stamp, mnl_attr_get_payload(stamp_attr), sizeof(stamp));
		us = be64toh(stamp.sec) * 1000000 + be64toh(stamp.usec);
	}
	return us ? us : clock_us(CLOCK_REALTIME);
}

static void one_message(struct synlog *sl, const struct nlmsghdr *nlh, uint64_t now)
{
	struct nlattr *attr[NFULA_MAX + 1] = { 0 };
	const uint8_t *pkt;
	struct decoded d;
	size_t len;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET ||
	    nflog_nlmsg_parse(nlh, attr) < 0 || !attr[NFULA_PAYLOAD])
		return;
	sl->n.messages++;
	pkt = mnl_attr_get_payload(attr[NFULA_PAYLOAD]);
	len = mnl_attr_get_payload_len(attr[NFULA_PAYLOAD]);
	if (decode_ip(pkt, len, &d) != DECODE_TCP ||
	    !(d.tcp_flags & TCP_SYN) || (d.tcp_flags & TCP_RST)) {
		sl->n.bad++;
		return;
	}
	syntable_add(sl->table, &d, pkt, len, wall_of(attr[NFULA_TIMESTAMP]), now);
}

/* Caller holds the lock. */
static void drain_locked(struct synlog *sl)
{
	const struct nlmsghdr *nlh;
	uint64_t now = clock_us(CLOCK_MONOTONIC);
	ssize_t n;
	int left;

	for (;;) {
		n = recv(sl->fd, sl->rbuf, sizeof(sl->rbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				sl->n.enobufs++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return;     /* EAGAIN: nothing more */
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)sl->rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			one_message(sl, nlh, now);
	}
}

void synlog_drain(struct synlog *sl)
{
	pthread_mutex_lock(&sl->lock);
	drain_locked(sl);
	pthread_mutex_unlock(&sl->lock);
}

bool synlog_take(struct synlog *sl, const struct decoded *d, struct syntable_conn *out)
{
	bool hit;

	pthread_mutex_lock(&sl->lock);
	drain_locked(sl);
	hit = syntable_take(sl->table, d, clock_us(CLOCK_MONOTONIC), out);
	pthread_mutex_unlock(&sl->lock);
	return hit;
}

void synlog_counters(struct synlog *sl, struct synlog_counters *out)
{
	pthread_mutex_lock(&sl->lock);
	*out = sl->n;
	syntable_counters(sl->table, &out->table);
	pthread_mutex_unlock(&sl->lock);
}
