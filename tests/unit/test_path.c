/* Unit tests: confined path resolution (openat2 and the userspace walk). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];
static int rootfd = -1;

/*
 * root/
 *   etc/passwd            "inside"
 *   abs -> /etc           absolute link: must mean root/etc
 *   rel -> ../../../etc   relative link climbing: must stop at root
 *   loop -> loop
 *   dir/up -> ..
 *   file (regular)
 */
static int setup(void **state)
{
    strcpy(root, "/tmp/septa-root-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    rootfd = open(root, O_RDONLY | O_DIRECTORY);
    mkdirat(rootfd, "etc", 0755);
    mkdirat(rootfd, "dir", 0755);
    int fd = openat(rootfd, "etc/passwd", O_WRONLY | O_CREAT, 0644);
    if (fd < 0 || write(fd, "inside", 6) != 6)
        return -1;
    close(fd);
    fd = openat(rootfd, "file", O_WRONLY | O_CREAT, 0644);
    close(fd);
    if (symlinkat("/etc", rootfd, "abs") || symlinkat("../../../etc", rootfd, "rel") ||
        symlinkat("loop", rootfd, "loop") || symlinkat("..", rootfd, "dir/up"))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    sp_error *err = NULL;
    close(rootfd);
    int r = sp_rm_rf_at(AT_FDCWD, root, &err);
    sp_error_free(&err);
    return r;
}

typedef int (*open_fn)(int, const char *, int, mode_t, sp_error **);

static void read_inside(open_fn fn, const char *path)
{
    sp_error *err = NULL;
    int fd = fn(rootfd, path, O_RDONLY, 0, &err);
    if (fd < 0)
        fail_msg("%s: %s", path, err ? err->msg : "?");
    char buf[16] = {0};
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
    assert_string_equal(buf, "inside");
    close(fd);
}

static void check_confined(open_fn fn)
{
    read_inside(fn, "/etc/passwd");
    read_inside(fn, "etc/passwd");
    read_inside(fn, "../../../../etc/passwd");
    read_inside(fn, "/abs/passwd");
    read_inside(fn, "rel/passwd");
    read_inside(fn, "dir/up/../../dir/up/etc/passwd");
    read_inside(fn, "./dir/../etc/./passwd");

    sp_error *err = NULL;
    assert_int_equal(fn(rootfd, "loop/x", O_RDONLY, 0, &err), -1);
    assert_non_null(strstr(err->msg, "loop"));
    sp_error_free(&err);
    assert_int_equal(fn(rootfd, "file/x", O_RDONLY, 0, &err), -1);
    assert_non_null(strstr(err->msg, "file/x"));
    sp_error_free(&err);
    assert_int_equal(fn(rootfd, "missing", O_RDONLY, 0, &err), -1);
    assert_non_null(strstr(err->msg, "No such file"));
    sp_error_free(&err);

    /* O_CREAT through an absolute link lands inside the root. */
    int fd = fn(rootfd, "/abs/created", O_WRONLY | O_CREAT, 0600, &err);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(faccessat(rootfd, "etc/created", F_OK, 0), 0);
    assert_int_equal(access("/etc/created", F_OK), -1);
    unlinkat(rootfd, "etc/created", 0);

    /* The root itself. */
    fd = fn(rootfd, "/", O_RDONLY | O_DIRECTORY, 0, &err);
    assert_true(fd >= 0);
    struct stat a, b;
    fstat(fd, &a);
    fstat(rootfd, &b);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    close(fd);
}

static void test_openat2(void **state)
{
    check_confined(sp_open_in_root);
}

static void test_walk(void **state)
{
    check_confined(sp_open_in_root_walk);
}

static void test_resolve_string(void **state)
{
    sp_error *err = NULL;
    char *out = NULL;
    char *want = sp_xasprintf("%s/etc/passwd", root);
    const char *paths[] = {"/abs/passwd", "rel/passwd", "../../etc/passwd",
                           "dir/up/../../etc/passwd"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(paths); i++) {
        assert_int_equal(sp_path_resolve_in_root(root, paths[i], &out, &err), 0);
        assert_string_equal(out, want);
        free(out);
    }
    free(want);
    /* Missing tail is appended lexically, never above the root. */
    assert_int_equal(sp_path_resolve_in_root(root, "/abs/new/../../../../x", &out, &err), 0);
    want = sp_xasprintf("%s/x", root);
    assert_string_equal(out, want);
    free(out);
    free(want);
    assert_int_equal(sp_path_resolve_in_root(root, "/", &out, &err), 0);
    assert_string_equal(out, root);
    free(out);
    assert_int_equal(sp_path_resolve_in_root(root, "loop", &out, &err), -1);
    sp_error_free(&err);
}

static void test_clean_join(void **state)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"/a//b/./c/", "/a/b/c"}, {"/../a", "/a"},   {"a/../../b", "../b"}, {"", "."},
        {"/", "/"},               {"a/b/..", "a"},  {"/a/b/../../..", "/"},
    };
    for (size_t i = 0; i < SP_ARRAY_SIZE(cases); i++) {
        char *c = sp_path_clean(cases[i].in);
        if (strcmp(c, cases[i].out) != 0)
            fail_msg("clean('%s') = '%s', want '%s'", cases[i].in, c, cases[i].out);
        free(c);
    }
    char *j = sp_path_join("/a/", "/b");
    assert_string_equal(j, "/a/b");
    free(j);
    char *p = sp_fd_path(rootfd);
    assert_string_equal(p, root);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openat2),
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_resolve_string),
        cmocka_unit_test(test_clean_join),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
