/* Unit tests: sha256 helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void test_buffer(void **state)
{
    char hex[65];
    sp_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sp_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_file(void **state)
{
    char path[] = "/tmp/septa-hash-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* Larger than one read buffer, to cover the loop. */
    static char big[200000];
    memset(big, 'a', sizeof(big));
    assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
    close(fd);
    char want[65], got[65];
    sp_sha256_hex(big, sizeof(big), want);
    uint64_t size = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_sha256_file(AT_FDCWD, path, got, &size, &err), 0);
    assert_string_equal(got, want);
    assert_int_equal(size, sizeof(big));
    unlink(path);
    assert_int_equal(sp_sha256_file(AT_FDCWD, path, got, &size, &err), -1);
    assert_non_null(strstr(err->msg, "No such file"));
    sp_error_free(&err);
    /* A directory cannot be read. */
    assert_int_equal(sp_sha256_file(AT_FDCWD, "/", got, &size, &err), -1);
    assert_non_null(strstr(err->msg, "reading /"));
    sp_error_free(&err);
}

/* The padding cases (55, 56, 63, 64, 119, 120 bytes...): the built-in
 * sp_sha256_hex against libcrypto through sp_sha256_file. */
static void test_lengths(void **state)
{
    char path[] = "/tmp/septa-hash-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char buf[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
        char want[65], got[65];
        sp_error *err = NULL;
        assert_int_equal(sp_sha256_file(AT_FDCWD, path, want, NULL, &err), 0);
        sp_sha256_hex(buf, len, got);
        assert_string_equal(got, want);
    }
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
