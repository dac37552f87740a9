/* Unit tests: atomic writes, small-file I/O, locks, mkdir -p, rm -rf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static int dfd = -1;

static int setup(void **state)
{
    strcpy(dir, "/tmp/septa-unit-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    return dfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    sp_error *err = NULL;
    close(dfd);
    int r = sp_rm_rf_at(AT_FDCWD, dir, &err);
    sp_error_free(&err);
    return r;
}

static void test_atomic(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(sp_atomic_write(dfd, "a", "old", 3, 0640, &err), 0);
    assert_int_equal(sp_atomic_write(dfd, "a", "new!", 4, 0600, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(sp_read_file(dfd, "a", 100, &buf, &len, &err), 0);
    assert_int_equal(len, 4);
    assert_string_equal(buf, "new!");
    free(buf);
    struct stat st;
    assert_int_equal(fstatat(dfd, "a", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* No temp file is left behind. */
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp."))
            n++;
    closedir(d);
    assert_int_equal(n, 1);
    /* In a subdirectory, and into a missing directory (error, names the file). */
    mkdirat(dfd, "sub", 0700);
    assert_int_equal(sp_atomic_write(dfd, "sub/b", "x", 1, 0600, &err), 0);
    assert_int_equal(sp_atomic_write(dfd, "missing/b", "x", 1, 0600, &err), -1);
    assert_non_null(strstr(err->msg, "creating missing/.b.tmp."));
    sp_error_free(&err);
}

static void test_read_limits(void **state)
{
    sp_error *err = NULL;
    char big[10000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(sp_atomic_write(dfd, "big", big, sizeof(big), 0600, &err), 0);
    char *buf = NULL;
    assert_int_equal(sp_read_file(dfd, "big", 5000, &buf, NULL, &err), -1);
    assert_non_null(strstr(err->msg, "larger than 5000 bytes"));
    sp_error_free(&err);
    assert_int_equal(sp_read_file(dfd, "nope", 5000, &buf, NULL, &err), -1);
    assert_string_equal(err->msg, "opening nope: No such file or directory");
    sp_error_free(&err);
    assert_int_equal(sp_write_file(dfd, "nope", "1", &err), -1);
    sp_error_free(&err);
    assert_int_equal(sp_write_file(dfd, "big", "1", &err), 0);
    assert_int_equal(sp_write_file(AT_FDCWD, "/proc/self/oom_score_adj", "bogus", &err), -1);
    assert_non_null(strstr(err->msg, "writing 'bogus' to /proc/self/oom_score_adj"));
    sp_error_free(&err);
}

static void test_locks(void **state)
{
    sp_error *err = NULL;
    int fd = sp_lock_file(dfd, "lock", true, true, &err);
    assert_true(fd >= 0);
    pid_t child = fork();
    if (child == 0) {
        /* flock is per open file: a second open in another process conflicts. */
        sp_error *e = NULL;
        int r = sp_lock_file(dfd, "lock", true, false, &e);
        _exit(r < 0 && e && strstr(e->msg, "held by another septa process") ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    fd = sp_lock_file(dfd, "lock", false, false, &err);
    assert_true(fd >= 0);
    close(fd);
    fd = sp_lock_dir(dir, true, false, &err);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sp_lock_dir("/nonexistent/x", true, false, &err), -1);
    sp_error_free(&err);
    assert_int_equal(sp_lock_file(dfd, "missing/lock", true, false, &err), -1);
    sp_error_free(&err);
}

static void test_mkdir_rm(void **state)
{
    sp_error *err = NULL;
    char *p = sp_xasprintf("%s/x/y/z/", dir);
    assert_int_equal(sp_mkdir_p(p, 0755, &err), 0);
    assert_int_equal(sp_mkdir_p(p, 0755, &err), 0);
    free(p);
    assert_int_equal(sp_atomic_write(dfd, "x/y/file", "1", 1, 0600, &err), 0);
    assert_int_equal(symlinkat("/etc", dfd, "x/y/link"), 0);
    p = sp_xasprintf("%s/x/y/file/sub", dir);
    assert_int_equal(sp_mkdir_p(p, 0755, &err), -1);
    assert_non_null(strstr(err->msg, "Not a directory"));
    sp_error_free(&err);
    free(p);
    assert_int_equal(sp_mkdir_p("", 0755, &err), -1);
    sp_error_free(&err);
    /* rm -rf does not follow the symlink to /etc. */
    assert_int_equal(sp_rm_rf_at(dfd, "x", &err), 0);
    assert_int_equal(faccessat(dfd, "x", F_OK, 0), -1);
    assert_int_equal(access("/etc/passwd", F_OK), 0);
    assert_int_equal(sp_rm_rf_at(dfd, "x", &err), 0); /* idempotent */
    assert_int_equal(sp_atomic_write(dfd, "plain", "1", 1, 0600, &err), 0);
    assert_int_equal(sp_rm_rf_at(dfd, "plain", &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic),
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_locks),
        cmocka_unit_test(test_mkdir_rm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
