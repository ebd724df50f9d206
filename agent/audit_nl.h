/*
 * audit_nl: the kernel audit subsystem over its netlink socket
 * (NETLINK_AUDIT; message types and structures from <linux/audit.h>).
 *
 * The agent registers itself as the audit daemon (AUDIT_SET with its pid),
 * raises the backlog limit, installs its rules and receives every record as
 * one netlink message whose type is the record type and whose payload is the
 * text "audit(SEC.MSEC:SERIAL): fields". Only one process can hold that
 * role: when auditd runs, use the agent's --stdin dispatcher mode instead.
 */
#ifndef SECAUDIT_AUDIT_NL_H
#define SECAUDIT_AUDIT_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_nl {
	int fd;
	uint32_t seq;
	uint32_t lost, backlog, backlog_limit, enabled, pid;
	/* rules we installed, removed again by audit_nl_close */
	void *rules[8];
	size_t rule_len[8];
	size_t nrules;
};

/* Opens the socket. 0 or -errno (EPROTONOSUPPORT: no audit in this
 * kernel; EPERM: not allowed). */
int audit_nl_open(struct audit_nl *n);
/* AUDIT_GET, synchronously: fills lost, backlog, backlog_limit, enabled,
 * pid. */
int audit_nl_status(struct audit_nl *n);
/* Enables auditing, makes pid the audit daemon, sets the backlog limit. */
int audit_nl_claim(struct audit_nl *n, uint32_t pid, uint32_t backlog_limit);
/*
 * The key every rule the agent installs for itself carries (the pid
 * exclusion; the execve rules carry their exec key, which events show). A
 * run killed with -9 leaves its rules in the kernel; the next start finds
 * them by this tag (audit_nl_remove_stale).
 */
#define AUDIT_NL_TAG "secaudit-agent"

/*
 * Removes the rules a run that died left: every rule tagged AUDIT_NL_TAG
 * and, if there was one, the execve rules audit_nl_watch_exec installs with
 * exec_key (NULL: none). An execve rule with that key but no tagged rule
 * beside it is the administrator's and stays. The number removed, or -errno.
 */
int audit_nl_remove_stale(struct audit_nl *n, const char *exec_key);
/* Installs "never" for our own pid, prepended so it is evaluated first,
 * tagged AUDIT_NL_TAG. */
int audit_nl_exclude_pid(struct audit_nl *n, uint32_t pid);
/* Installs "always,exit" for execve and execveat on b64 and b32, with key. */
int audit_nl_watch_exec(struct audit_nl *n, const char *key);
/* Sends AUDIT_GET without waiting; the reply arrives through audit_nl_recv. */
int audit_nl_request_status(struct audit_nl *n);
/*
 * Receives one message (blocking unless the socket is non-blocking). Record
 * messages are written to line as "type=NAME msg=audit(...): ..." (NUL-
 * terminated, *len set) and 1 returned; status replies update n and return
 * 0; -EAGAIN when nothing is there; other -errno on failure.
 */
int audit_nl_recv(struct audit_nl *n, char *line, size_t linesz, size_t *len);
/* Removes our rules, gives up the daemon role, closes. */
void audit_nl_close(struct audit_nl *n);

#endif
