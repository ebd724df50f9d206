/*
 * fuzz_memfile: the input as a file, for readers that take a path (the
 * daemons' configuration files). One memfd per process, rewritten for each
 * input and named through /proc/self/fd: no disk, no temporary files left.
 */
#ifndef SECAUDIT_FUZZ_MEMFILE_H
#define SECAUDIT_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_check.h"

/* The path of a file holding exactly data[0..size). */
static inline const char *fuzz_memfile(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "memfd_create failed");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size,
		   "cannot write %zu bytes to the memfd", size);
	return path;
}

#endif
