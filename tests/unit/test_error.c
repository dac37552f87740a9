/* Unit tests: the error type and cleanup helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

static void test_err_basic(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(sp_err(&err, ENOENT, "opening %s", "/x"), -1);
    assert_non_null(err);
    assert_string_equal(err->msg, "opening /x: No such file or directory");
    assert_int_equal(err->errnum, ENOENT);
    assert_int_equal(sp_error_status(err), 125);
    sp_error_free(&err);
    assert_null(err);
}

static void test_err_wrap(void **state)
{
    sp_error *err = NULL;
    sp_err(&err, EBUSY, "writing memory.max");
    sp_err_wrap(&err, "creating cgroup %s", "/septa/abc");
    assert_string_equal(err->msg, "creating cgroup /septa/abc: writing memory.max: Device or "
                                  "resource busy");
    sp_error_free(&err);
}

static void test_err_no_errno(void **state)
{
    sp_error *err = NULL;
    sp_err(&err, 0, "bad value");
    assert_string_equal(err->msg, "bad value");
    /* Replacing keeps only the newest failure. */
    sp_err_status(&err, 127, ENOENT, "exec %s", "foo");
    assert_string_equal(err->msg, "exec foo: No such file or directory");
    assert_int_equal(sp_error_status(err), 127);
    sp_error_free(&err);
    assert_int_equal(sp_error_status(NULL), 125);
}

static void test_err_wrap_empty(void **state)
{
    sp_error *err = NULL;
    sp_err_wrap(&err, "context");
    assert_string_equal(err->msg, "context");
    sp_error_free(&err);
    /* NULL out-parameter is tolerated. */
    assert_int_equal(sp_err(NULL, EINVAL, "x"), -1);
}

static void test_cleanup(void **state)
{
    int saved;
    {
        _cleanup_close_ int fd = open("/dev/null", O_RDONLY);
        saved = fd;
        assert_true(fd >= 0);
        _cleanup_free_ char *p = sp_xstrdup("x");
        _cleanup_strv_ char **v = sp_xcalloc(2, sizeof(char *));
        v[0] = sp_xstrdup("y");
    }
    assert_int_equal(fcntl(saved, F_GETFD), -1);
    _cleanup_close_ int fd2 = open("/dev/null", O_RDONLY);
    int stolen = sp_steal_fd(&fd2);
    assert_int_equal(fd2, -1);
    close(stolen);
}

static void test_cleanup_pid(void **state)
{
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    {
        _cleanup_pid_ pid_t p = child;
        (void)p;
    }
    /* Reaped: no such child any more. */
    assert_int_equal(kill(child, 0), -1);
}

static void test_proc_start_time(void **state)
{
    assert_true(sp_proc_start_time(getpid()) > 0);
    assert_int_equal(sp_proc_start_time(-1), 0);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    /* A zombie has stopped: its start time no longer names a live process. */
    while (kill(child, 0) == 0 && sp_proc_start_time(child) != 0)
        usleep(1000);
    assert_int_equal(sp_proc_start_time(child), 0);
    waitpid(child, NULL, 0);
    assert_int_equal(sp_proc_start_time(child), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_basic),      cmocka_unit_test(test_err_wrap),
        cmocka_unit_test(test_err_no_errno),   cmocka_unit_test(test_err_wrap_empty),
        cmocka_unit_test(test_cleanup),        cmocka_unit_test(test_cleanup_pid),
        cmocka_unit_test(test_proc_start_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
