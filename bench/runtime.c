/*
 * runtime: runs a command and prints its wall time, CPU time and peak
 * memory, for bench/run.sh.
 *
 *   runtime OUTFILE COMMAND [ARG...]
 *
 * writes "WALL USER SYS MAXRSS_KB" to OUTFILE (seconds to the
 * microsecond) and exits with the command's status. The wall time runs
 * from just before the fork to the child's end, read with a monotonic
 * clock: time(1)'s %e steps by 10 ms (3-4% of a `secaudit read` run), and
 * a shell's $(date) around the command adds the forks of date and of the
 * shell itself (15-30 ms on the bench machine), the same for every
 * command, which draws every ratio towards 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec start, end;
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: runtime OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid < 0) {
		perror("runtime: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("runtime: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("runtime: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	out = fopen(argv[1], "w");
	if (!out) {
		perror("runtime: output");
		return 2;
	}
	fprintf(out, "%.6f %.6f %.6f %ld\n", seconds(&end) - seconds(&start),
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
