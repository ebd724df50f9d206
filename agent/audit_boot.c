/* audit_boot: was audit enabled at boot? Contract in audit_boot.h. */
#include "audit_boot.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool audit_boot_cmdline_enabled(const char *cmdline)
{
	const char *p = cmdline;
	bool on = false;

	while (*p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 2 && !strncmp(p, "--", 2))
			break;
		if (n > 6 && !strncmp(p, "audit=", 6)) {
			const char *v = p + 6;
			size_t vn = n - 6;

			on = (vn == 1 && *v == '1') || (vn == 2 && !strncasecmp(v, "on", 2));
		}
		p += n;
	}
	return on;
}

const char *audit_boot_warning(void)
{
	char line[4096];
	size_t n;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return "cannot read /proc/cmdline: if audit was not enabled at boot "
		       "(audit=1), processes started before it was first enabled are not audited";
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	if (audit_boot_cmdline_enabled(line))
		return NULL;
	return "audit was not enabled at boot (no audit=1 on the kernel command line): "
	       "processes started before audit was first enabled since boot are not audited "
	       "(the kernel gives a process its audit context when it is forked); "
	       "boot with audit=1 to audit every process";
}
