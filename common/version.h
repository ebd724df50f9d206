/*
 * version: the one version string of every SecureAudit program, set by the
 * Makefile (VERSION) when common/version.c is compiled.
 */
#ifndef SECAUDIT_VERSION_H
#define SECAUDIT_VERSION_H

/* "0.9.0" or the like; static storage. */
const char *secaudit_version(void);

/* Prints "PROGRAM VERSION\n" on standard output. */
void version_print(const char *program);

#endif
