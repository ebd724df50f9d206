/* privdrop: dropping root for a user; contract in privdrop.h. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

const char *privdrop_default_user(void)
{
	return getpwnam("secaudit") ? "secaudit" : "nobody";
}

int privdrop_to(const char *user, const char *group, uint32_t keep,
		char *err, size_t errsz)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	struct passwd *pw = getpwnam(user);
	struct group *gr = group && group[0] ? getgrnam(group) : NULL;
	gid_t gid;
	int e;

	if (!pw || (group && group[0] && !gr)) {
		snprintf(err, errsz, "no %s '%s'", pw ? "group" : "user", pw ? group : user);
		return -ENOENT;
	}
	if (geteuid() != 0)
		return 0;
	if (pw->pw_uid == 0) {
		snprintf(err, errsz, "user '%s' is root: nothing would be dropped", user);
		return -EINVAL;
	}
	gid = gr ? gr->gr_gid : pw->pw_gid;
	/* KEEPCAPS only for the setresuid below; the capset then narrows the
	 * kept set to `keep` (empty: nothing survives). */
	if ((keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) || setgroups(0, NULL) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		goto fail;
	if (keep) {
		memset(caps, 0, sizeof(caps));
		caps[0].permitted = caps[0].effective = keep;
		if (syscall(SYS_capset, &hdr, caps) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			goto fail;
	}
	/* the switch must be one way */
	if (setuid(0) == 0) {
		snprintf(err, errsz, "dropping to %s: root could be regained", user);
		return -EPERM;
	}
	return 0;
fail:
	e = errno;
	snprintf(err, errsz, "dropping to %s: %s", user, strerror(e));
	return -e;
}
