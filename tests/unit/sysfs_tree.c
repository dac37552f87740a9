/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sysfs_tree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The trees live next to this file.  __FILE__ is relative to the build root
 * (where the compiler ran), and the test binary is <build root>/tests/unit/test-*.
 */
char *sysfs_tree_path(const char *name)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    for (int i = 0; i < 3; i++)
        *strrchr(buf, '/') = '\0';
    char src[PATH_MAX];
    snprintf(src, sizeof(src), "%s", __FILE__);
    *strrchr(src, '/') = '\0';
    if (src[0] == '/')
        return sp_xasprintf("%s/data/sysfs-%s", src, name);
    return sp_xasprintf("%s/%s/data/sysfs-%s", buf, src, name);
}

struct sp_topology *sysfs_tree_load(const char *name)
{
    _cleanup_free_ char *p = sysfs_tree_path(name);
    struct sp_topology *t = NULL;
    sp_error *err = NULL;
    if (sp_topology_read(p, &t, &err) < 0)
        fail_msg("%s: %s", p, err->msg);
    return t;
}
