/*
 * audit_boot: the kernel command line's audit= parameter, read as the
 * kernel reads it (the last one wins; init's arguments after "--" do not
 * count).
 */
#include <criterion/criterion.h>

#include "audit_boot.h"

Test(audit_boot, audit_1_or_on_enables)
{
	cr_assert(audit_boot_cmdline_enabled("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro audit=1\n"));
	cr_assert(audit_boot_cmdline_enabled("audit=on quiet"));
	cr_assert(audit_boot_cmdline_enabled("quiet audit=ON"));
}

Test(audit_boot, absent_off_or_other_values_do_not)
{
	cr_assert_not(audit_boot_cmdline_enabled("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n"));
	cr_assert_not(audit_boot_cmdline_enabled(""));
	cr_assert_not(audit_boot_cmdline_enabled("audit=0"));
	cr_assert_not(audit_boot_cmdline_enabled("audit=off"));
	cr_assert_not(audit_boot_cmdline_enabled("audit=10 audit_backlog_limit=8192"));
	cr_assert_not(audit_boot_cmdline_enabled("audit= audit_backlog_limit=1"));
	cr_assert_not(audit_boot_cmdline_enabled("noaudit=1 xaudit=1"));
}

Test(audit_boot, the_last_audit_parameter_wins)
{
	cr_assert_not(audit_boot_cmdline_enabled("audit=1 audit=0"));
	cr_assert(audit_boot_cmdline_enabled("audit=0 audit=1"));
}

Test(audit_boot, init_arguments_after_the_separator_do_not_count)
{
	cr_assert_not(audit_boot_cmdline_enabled("ro quiet -- audit=1"));
	cr_assert(audit_boot_cmdline_enabled("audit=1 -- audit=0"));
}
