/*
 * privdrop: a daemon's switch from root to an unprivileged user, made once
 * it holds what needs privilege (sockets bound, files opened).
 *
 * After privdrop_to() returned 0 the process runs as the user (real,
 * effective and saved ids), with the user's group (or `group`), no
 * supplementary groups, and no capabilities but those in keep (a mask of
 * CAP_TO_MASK bits of the first 32 capabilities, e.g. CAP_NET_ADMIN for
 * an NFQUEUE verdict socket). Files opened later, and files reopened on
 * SIGHUP, must be accessible to that user.
 */
#ifndef SECAUDIT_PRIVDROP_H
#define SECAUDIT_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>

/* "secaudit" when that account exists, else "nobody". */
const char *privdrop_default_user(void);

/*
 * Drops to user (group: NULL or "" for the user's own). Nothing to do, and
 * 0, when the process is not root (started unprivileged, e.g. by systemd
 * with User=). 0, or a negative errno with the reason in err.
 */
int privdrop_to(const char *user, const char *group, uint32_t keep,
		char *err, size_t errsz);

#endif
