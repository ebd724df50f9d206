/*
 * audit_boot: whether the kernel audits processes that were already
 * running when the agent started.
 *
 * Linux gives a task its audit context when it is forked, and only once
 * audit has been enabled since boot (audit_alloc() and audit_ever_enabled
 * in kernel/auditsc.c and kernel/audit.c). A process forked before audit
 * was first enabled (by this agent, auditd or auditctl) has none for its
 * whole life: execve and watch rules never see it. Only audit=1 (or
 * audit=on) on the kernel command line enables audit before the first
 * process, so every process is audited.
 *
 * The kernel's audit status (AUDIT_GET) says whether audit is enabled now,
 * not since when; audit_ever_enabled is not visible from user space. The
 * command line is the one fact that tells, so it is what is read here.
 */
#ifndef SECAUDIT_AUDIT_BOOT_H
#define SECAUDIT_AUDIT_BOOT_H

#include <stdbool.h>

/* Whether a kernel command line (the text of /proc/cmdline) enables audit
 * at boot: its last audit= parameter is 1 or on, as the kernel reads them
 * in order. Parameters after " -- " are init's, not the kernel's. */
bool audit_boot_cmdline_enabled(const char *cmdline);

/* NULL when /proc/cmdline enables audit at boot; else the warning to give
 * the user (one line, no newline), also when /proc/cmdline is unreadable. */
const char *audit_boot_warning(void);

#endif
