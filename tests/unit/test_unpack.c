/* Unit tests: safe layer unpacking (storage/unpack.c) on tars made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "storage.h"
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

struct ent {
    const char *name;
    char type;       /* f file, d dir, l symlink, h hardlink */
    const char *arg; /* content or link target */
    int mode;
};

/* Write a tar (optionally gzip) of the entries to dir/name; returns its fd at 0. */
static int make_tar(const char *name, const struct ent *e, size_t n, bool gzip)
{
    char *path = sp_path_join(dir, name);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip)
        archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_mtime(ae, 1600000000, 0);
        archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0644);
        size_t len = 0;
        switch (e[i].type) {
        case 'f':
            archive_entry_set_filetype(ae, AE_IFREG);
            len = strlen(e[i].arg);
            archive_entry_set_size(ae, (la_int64_t)len);
            break;
        case 'd':
            archive_entry_set_filetype(ae, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_symlink(ae, e[i].arg);
            break;
        case 'h':
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e[i].arg);
            break;
        }
        assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
        if (len)
            assert_int_equal(archive_write_data(a, e[i].arg, len), (la_ssize_t)len);
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    free(path);
    return fd;
}

/* A fresh, empty layer root dir/NAME; returns an fd on it. */
static int fresh_root(const char *name)
{
    char *path = sp_path_join(dir, name);
    sp_error *err = NULL;
    sp_rm_rf_at(AT_FDCWD, path, &err);
    sp_error_free(&err);
    assert_int_equal(mkdir(path, 0755), 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    free(path);
    return fd;
}

static bool exists(const char *rel)
{
    char *p = sp_path_join(dir, rel);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

static struct sp_unpack_opts opts(void)
{
    struct sp_unpack_opts o = {.max_bytes = 1 << 20, .max_entries = 1000, .devices = false};
    return o;
}

static int setup(void **state)
{
    strcpy(dir, "/tmp/septa-unpack-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    sp_error *err = NULL;
    return sp_rm_rf_at(AT_FDCWD, dir, &err);
}

static void test_basic_and_diff_id(void **state)
{
    const struct ent e[] = {
        {"./etc/", 'd', NULL, 0755},
        {"./etc/motd", 'f', "hello\n", 0644},
        {"bin/tool", 'f', "#!/bin/sh\n", 04755},
        {"bin/alias", 'l', "tool", 0},
        {"bin/hard", 'h', "bin/tool", 0},
        {"/abs/file", 'f', "x", 0},
    };
    sp_error *err = NULL;
    int fd = make_tar("basic.tar", e, SP_ARRAY_SIZE(e), false);
    int root = fresh_root("basic");
    struct sp_unpack_opts o = opts();
    struct sp_unpack_stats st;
    assert_int_equal(sp_unpack_fd(fd, root, &o, &st, &err), 0);
    assert_null(err);
    assert_int_equal(st.entries, 6);
    assert_true(exists("basic/etc/motd"));
    assert_true(exists("basic/abs/file"));
    char target[64] = {0};
    char *lp = sp_path_join(dir, "basic/bin/alias");
    assert_int_equal(readlink(lp, target, sizeof(target) - 1), 4);
    assert_string_equal(target, "tool");
    free(lp);
    struct stat s1, s2;
    char *p1 = sp_path_join(dir, "basic/bin/tool"), *p2 = sp_path_join(dir, "basic/bin/hard");
    assert_int_equal(stat(p1, &s1), 0);
    assert_int_equal(stat(p2, &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino);
    assert_int_equal(s1.st_mode & 07777, 04755);
    assert_int_equal(s1.st_mtime, 1600000000);
    free(p1);
    free(p2);

    /* diff_id is the sha256 of the tar stream; gzip gives the same one. */
    char *tp = sp_path_join(dir, "basic.tar");
    char hex[65];
    assert_int_equal(sp_sha256_file(AT_FDCWD, tp, hex, NULL, &err), 0);
    free(tp);
    assert_string_equal(st.diff_id + 7, hex);
    close(fd);
    close(root);

    fd = make_tar("basic.tar.gz", e, SP_ARRAY_SIZE(e), true);
    root = fresh_root("basic-gz");
    struct sp_unpack_stats st2;
    assert_int_equal(sp_unpack_fd(fd, root, &o, &st2, &err), 0);
    assert_string_equal(st2.diff_id, st.diff_id);
    close(fd);
    close(root);
}

static void expect_refused(const struct ent *e, size_t n, const char *needle)
{
    sp_error *err = NULL;
    int fd = make_tar("bad.tar", e, n, false);
    int root = fresh_root("bad");
    struct sp_unpack_opts o = opts();
    o.max_entries = 5;
    o.max_bytes = 100;
    struct sp_unpack_stats st;
    assert_int_equal(sp_unpack_fd(fd, root, &o, &st, &err), -1);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("'%s' lacks '%s'", err->msg, needle);
    sp_error_free(&err);
    close(fd);
    close(root);
    assert_false(exists("escaped"));
}

static void test_hostile(void **state)
{
    const struct ent dotdot[] = {{"a/../../escaped", 'f', "x", 0}};
    expect_refused(dotdot, 1, "entry 'a/../../escaped': '..' in a path is refused");
    const struct ent hl[] = {{"h", 'h', "../escaped", 0}};
    expect_refused(hl, 1, "entry 'h'");
    const struct ent hlabs[] = {{"h", 'h', "/etc/passwd", 0}};
    expect_refused(hlabs, 1, "entry 'h'");
    const struct ent many[] = {{"1", 'f', "", 0}, {"2", 'f', "", 0}, {"3", 'f', "", 0},
                               {"4", 'f', "", 0}, {"5", 'f', "", 0}, {"6", 'f', "", 0}};
    expect_refused(many, 6, "entry '6': the layer has more than 5 entries");
    char big[200];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const struct ent bomb[] = {{"big", 'f', big, 0}};
    expect_refused(bomb, 1, "entry 'big': the layer holds more than 100 bytes");
    const struct ent notdir[] = {{"f", 'f', "x", 0}, {"f/g", 'f', "y", 0}};
    expect_refused(notdir, 2, "entry 'f/g'");
}

static void test_symlink_confined(void **state)
{
    /* A relative link climbing out resolves at the root, inside the layer. */
    const struct ent e[] = {
        {"up", 'l', "../../../../..", 0},
        {"up/escaped-not", 'f', "x", 0},
    };
    sp_error *err = NULL;
    int fd = make_tar("sym.tar", e, SP_ARRAY_SIZE(e), false);
    int root = fresh_root("sym");
    struct sp_unpack_opts o = opts();
    struct sp_unpack_stats st;
    assert_int_equal(sp_unpack_fd(fd, root, &o, &st, &err), 0);
    assert_true(exists("sym/escaped-not"));
    assert_false(exists("escaped-not"));
    close(fd);
    close(root);
}

static void test_limits_from_env(void **state)
{
    sp_error *err = NULL;
    struct sp_unpack_opts o;
    setenv("SEPTA_LAYER_MAX_SIZE", "2M", 1);
    setenv("SEPTA_LAYER_MAX_ENTRIES", "7", 1);
    assert_int_equal(sp_unpack_opts_default(&o, &err), 0);
    assert_int_equal(o.max_bytes, 2u << 20);
    assert_int_equal(o.max_entries, 7);
    setenv("SEPTA_LAYER_MAX_SIZE", "lots", 1);
    assert_int_equal(sp_unpack_opts_default(&o, &err), -1);
    assert_non_null(strstr(err->msg, "SEPTA_LAYER_MAX_SIZE"));
    sp_error_free(&err);
    unsetenv("SEPTA_LAYER_MAX_SIZE");
    unsetenv("SEPTA_LAYER_MAX_ENTRIES");
}

static void test_not_a_tar(void **state)
{
    char *p = sp_path_join(dir, "junk");
    sp_error *err = NULL;
    assert_int_equal(
        sp_atomic_write(AT_FDCWD, p, "this is not a tar archive at all", 32, 0644, &err), 0);
    int fd = open(p, O_RDONLY);
    int root = fresh_root("junk-root");
    struct sp_unpack_opts o = opts();
    struct sp_unpack_stats st;
    assert_int_equal(sp_unpack_fd(fd, root, &o, &st, &err), -1);
    assert_non_null(strstr(err->msg, "reading the layer"));
    sp_error_free(&err);
    close(fd);
    close(root);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_diff_id), cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_symlink_confined),  cmocka_unit_test(test_limits_from_env),
        cmocka_unit_test(test_not_a_tar),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
