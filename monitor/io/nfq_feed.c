#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/nfq_feed.h"

/* The number after opt in line ("--queue-num 3", "--queue-balance 0:1"). */
static bool option_range(const char *line, const char *opt, uint16_t *first, uint16_t *last)
{
	const char *p = strstr(line, opt);
	char *end;
	unsigned long a, b;

	if (!p)
		return false;
	p += strlen(opt);
	while (*p == ' ')
		p++;
	errno = 0;
	a = strtoul(p, &end, 10);
	b = a;
	if (*end == ':')
		b = strtoul(end + 1, &end, 10);
	if (end == p || errno || a > 65535 || b > 65535 || b < a)
		return false;
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return true;
}

bool nfq_feed_parse_line(struct nfq_feed *feed, const char *line)
{
	uint16_t first = 0, last = 0;

	if (strncmp(line, "-A ", 3) || !strstr(line, "-j NFQUEUE"))
		return false;
	/* iptables-save leaves --queue-num out for queue 0 */
	if (!option_range(line, "--queue-balance", &first, &last))
		option_range(line, "--queue-num", &first, &last);
	if (feed->n < NFQ_FEED_MAX) {
		feed->rule[feed->n].first = first;
		feed->rule[feed->n].last = last;
		feed->rule[feed->n].bypass = strstr(line, "--queue-bypass") != NULL;
	}
	feed->n++;
	return true;
}

/* Runs tool -t filter with its output on a pipe; lines to the parser.
 * posix_spawn, not fork: the daemon's tables are resident by now
 * (table_mem.h), and a fork would mark every page of them copy-on-write,
 * so that each first write after it faults again on the packet path. */
static void read_save(struct nfq_feed *feed, const char *tool)
{
	char line[4096];
	char *argv[] = { (char *)tool, (char *)"-t", (char *)"filter", NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	if (posix_spawn_file_actions_init(&fa)) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	/* dup2 clears the copy's close-on-exec flag: only stdout stays */
	if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) ||
	    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) ||
	    posix_spawnp(&pid, tool, &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
	} else {
		while (fgets(line, sizeof(line), f))
			nfq_feed_parse_line(feed, line);
		fclose(f);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		feed->read = true;
}

void nfq_feed_rules(struct nfq_feed *feed)
{
	memset(feed, 0, sizeof(*feed));
	read_save(feed, "iptables-save");
	read_save(feed, "ip6tables-save");
}

/* /proc/net/netfilter/nfnetlink_queue: one line per bound queue, its
 * number first (net/netfilter/nfnetlink_queue.c, seq_show). */
bool nfq_queue_has_listener(uint16_t q)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned num;
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%u", &num) == 1 && num == q;
	fclose(f);
	return found;
}

bool nfq_feed_reaches(const struct nfq_feed *feed, uint16_t first, uint16_t last)
{
	size_t i, n = feed->n < NFQ_FEED_MAX ? feed->n : NFQ_FEED_MAX;

	for (i = 0; i < n; i++)
		if (feed->rule[i].first <= last && feed->rule[i].last >= first)
			return true;
	return false;
}

size_t nfq_feed_unserved(const struct nfq_feed *feed, uint16_t *out, size_t max)
{
	static const size_t words = 65536 / 64;
	uint64_t seen[65536 / 64] = { 0 };
	size_t i, w, found = 0, n = feed->n < NFQ_FEED_MAX ? feed->n : NFQ_FEED_MAX;
	unsigned q;

	for (i = 0; i < n; i++)
		for (q = feed->rule[i].first; feed->rule[i].bypass && q <= feed->rule[i].last; q++)
			seen[q / 64] |= 1ull << (q % 64);
	for (w = 0; w < words; w++)
		for (q = (unsigned)w * 64; seen[w] && q < (unsigned)w * 64 + 64; q++)
			if ((seen[w] >> (q % 64) & 1) && !nfq_queue_has_listener((uint16_t)q)) {
				if (found < max)
					out[found] = (uint16_t)q;
				found++;
			}
	return found;
}
