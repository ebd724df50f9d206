/*
 * communityid: Community ID v1 as its specification's example gives it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "net/communityid.h"

static void v4(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	cr_assert_eq(inet_pton(AF_INET, text, out), 1);
}

/* The specification's README: TCP 128.232.110.120:34855 -> 66.35.250.204:80,
 * seed 0. */
Test(communityid, spec_example_both_directions)
{
	uint8_t a[16], b[16];
	char out[COMMUNITYID_LEN];

	v4("128.232.110.120", a);
	v4("66.35.250.204", b);
	communityid_v1(0, 4, 6, a, 34855, b, 80, out);
	cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	communityid_v1(0, 4, 6, b, 80, a, 34855, out);
	cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

Test(communityid, seed_changes_the_value)
{
	uint8_t a[16], b[16];
	char out[COMMUNITYID_LEN];

	v4("128.232.110.120", a);
	v4("66.35.250.204", b);
	communityid_v1(1, 4, 6, a, 34855, b, 80, out);
	cr_assert_str_neq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	cr_assert_eq(strlen(out), 30);
}

/* Equal addresses: the ports decide the order. */
Test(communityid, same_address_ordered_by_port)
{
	uint8_t a[16];
	char x[COMMUNITYID_LEN], y[COMMUNITYID_LEN];

	v4("127.0.0.1", a);
	communityid_v1(0, 4, 6, a, 5000, a, 443, x);
	communityid_v1(0, 4, 6, a, 443, a, 5000, y);
	cr_assert_str_eq(x, y);
}

Test(communityid, ipv6_uses_all_sixteen_bytes)
{
	uint8_t a[16], b[16], c[16];
	char x[COMMUNITYID_LEN], y[COMMUNITYID_LEN];

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", a), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::2", b), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::3", c), 1);
	communityid_v1(0, 6, 6, a, 1000, b, 443, x);
	communityid_v1(0, 6, 6, a, 1000, c, 443, y);
	cr_assert_str_neq(x, y);
}
