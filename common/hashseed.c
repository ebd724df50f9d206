#include "hashseed.h"

#include <sys/random.h>
#include <time.h>

#ifdef SECAUDIT_FUZZ
uint64_t hashseed_new(const void *salt)
{
	(void)salt;
	return 0x5ec0a0d17f0225edULL;
}
#else
uint64_t hashseed_new(const void *salt)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* The tables mix their seed into every hash: it need not be mixed here. */
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)salt;
}
#endif
