/* Unit tests: finding cgroup v1 mounts in a mountinfo text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cgroup-internal.h"

#include <stdlib.h>

/* This development host's shape: hybrid, cpu and cpuacct separate, a
 * controller-less cgroup2 "unified" mount, and a bind of a sub-cgroup. */
static const char hybrid[] =
    "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "40 31 0:35 /sub /mnt/cpu-bind rw,relatime shared:20 - cgroup cgroup rw,cpu\n"
    "33 31 0:28 / /sys/fs/cgroup/cpu rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
    "rw,cpu\n"
    "34 31 0:29 / /sys/fs/cgroup/cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup "
    "cgroup rw,cpuacct\n"
    "35 31 0:30 / /sys/fs/cgroup/net\\040cls rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,net_cls,net_prio\n"
    "36 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n";

static void expect(const char *text, const char *ctrl, const char *want)
{
    char *got = sp_cg_v1_mount_in(text, ctrl);
    if (!want)
        assert_null(got);
    else
        assert_string_equal(got, want);
    free(got);
}

static void test_hybrid(void **state)
{
    /* The hierarchy root wins over the bind of /sub listed before it. */
    expect(hybrid, "cpu", "/sys/fs/cgroup/cpu");
    /* Whole option names only: "cpu" is not "cpuacct" or "cpuset". */
    expect(hybrid, "cpuacct", "/sys/fs/cgroup/cpuacct");
    expect(hybrid, "cpuset", "/sys/fs/cgroup/cpuset");
    /* Co-mounted controllers, and an escaped space in the mount point. */
    expect(hybrid, "net_prio", "/sys/fs/cgroup/net cls");
    expect(hybrid, "net_cls", "/sys/fs/cgroup/net cls");
    /* Not mounted on v1: the cgroup2 mount does not count. */
    expect(hybrid, "hugetlb", NULL);
    expect(hybrid, "memory", NULL);
}

static void test_only_bind(void **state)
{
    /* Inside a container that sees a sub-cgroup only: that is the mount. */
    expect("40 31 0:35 /sub /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "memory",
           "/sys/fs/cgroup/memory");
}

static void test_garbage(void **state)
{
    expect("", "cpu", NULL);
    expect("no separator here\n", "cpu", NULL);
    expect("1 2 3 / - cgroup cgroup rw,cpu\n", "cpu", NULL); /* too few fields */
    expect(" - cgroup\n", "cpu", NULL);
    expect("1 2 0:1 / /x rw - cgroup\n", "cpu", NULL); /* no super options */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hybrid),
        cmocka_unit_test(test_only_bind),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
