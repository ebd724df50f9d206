/*
 * hexfile: test data kept as hex dumps (whitespace and newlines ignored),
 * read into a caller's buffer. For the unit tests only.
 */
#ifndef SECAUDIT_TEST_HEXFILE_H
#define SECAUDIT_TEST_HEXFILE_H

#include <criterion/criterion.h>
#include <stdio.h>

/* Hex text to bytes; asserts on bad digits or overflow. Returns the count. */
static inline size_t hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s) {
		if (*s == '\n' || *s == ' ') {
			s++;
			continue;
		}
		cr_assert(sscanf(s, "%2x", &v) == 1 && n < cap, "bad hex at '%.8s'", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* A hex dump file (path from the project root) to bytes. */
static inline size_t hex_load(const char *name, uint8_t *out, size_t cap)
{
	char text[8192];
	FILE *f = fopen(name, "r");
	size_t n;

	cr_assert_not_null(f, "%s missing (run from the project root)", name);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return hex_decode(text, out, cap);
}

#endif
