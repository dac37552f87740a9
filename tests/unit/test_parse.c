/* Unit tests: size, CPU, CPU-list, duration and integer parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <string.h>

static uint64_t size_ok(const char *s)
{
    uint64_t v = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_size(s, &v, &err), 0);
    assert_null(err);
    return v;
}

static void size_bad(const char *s, const char *needle)
{
    uint64_t v = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_size(s, &v, &err), -1);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", s, err->msg, needle);
    sp_error_free(&err);
}

static void test_size(void **state)
{
    assert_int_equal(size_ok("4096"), 4096);
    assert_int_equal(size_ok("256M"), 256ull << 20);
    assert_int_equal(size_ok("256m"), 256ull << 20);
    assert_int_equal(size_ok("1g"), 1ull << 30);
    assert_int_equal(size_ok("1.5G"), 3ull << 29);
    assert_int_equal(size_ok("512KiB"), 512ull << 10);
    assert_int_equal(size_ok("512kb"), 512ull << 10);
    assert_int_equal(size_ok("10b"), 10);
    assert_int_equal(size_ok("2T"), 2ull << 40);
    assert_int_equal(size_ok("0"), 0);
    size_bad("", "empty");
    size_bad("-1M", "negative");
    size_bad("12Q", "unknown unit");
    size_bad("abc", "expected a number");
    size_bad("1.5", "fractional");
    size_bad("99999999999999999999999", "too large");
    size_bad("9999999999P", "too large");
    size_bad("1MX", "unknown unit");
    size_bad(" 1M", "expected a number");
}

static void test_cpus(void **state)
{
    uint64_t m = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_cpus("1.5", &m, &err), 0);
    assert_int_equal(m, 1500);
    assert_int_equal(sp_parse_cpus("0.1", &m, &err), 0);
    assert_int_equal(m, 100);
    assert_int_equal(sp_parse_cpus("2", &m, &err), 0);
    assert_int_equal(m, 2000);
    assert_int_equal(sp_parse_cpus(".25", &m, &err), 0);
    assert_int_equal(m, 250);
    const char *bad[] = {"", "0", "-1", "1.0001", "x", "1.5x", "0.000"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(bad); i++) {
        assert_int_equal(sp_parse_cpus(bad[i], &m, &err), -1);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "invalid CPU count"));
        sp_error_free(&err);
    }
}

static void test_cpulist(void **state)
{
    uint64_t bits[2];
    size_t n = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_cpulist("0-3,8", bits, 128, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_true(SP_BIT_TEST(bits, 0) && SP_BIT_TEST(bits, 3) && SP_BIT_TEST(bits, 8));
    assert_false(SP_BIT_TEST(bits, 4));
    char *s = sp_format_cpulist(bits, 128);
    assert_string_equal(s, "0-3,8");
    free(s);
    assert_int_equal(sp_parse_cpulist("", bits, 128, &n, &err), 0);
    assert_int_equal(n, 0);
    s = sp_format_cpulist(bits, 128);
    assert_string_equal(s, "");
    free(s);
    /* The kernel's form with a newline, and overlapping ranges counted once. */
    assert_int_equal(sp_parse_cpulist("1,1-2,64-65\n", bits, 128, &n, &err), 0);
    assert_int_equal(n, 4);
    s = sp_format_cpulist(bits, 128);
    assert_string_equal(s, "1-2,64-65");
    free(s);

    const char *bad[] = {"3-1", "a", "1,", "1-", "1;2", "-1", "200", "0-128"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(bad); i++) {
        assert_int_equal(sp_parse_cpulist(bad[i], bits, 128, &n, &err), -1);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "invalid CPU list"));
        sp_error_free(&err);
    }
}

static void test_duration(void **state)
{
    uint64_t ns = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_duration("10s", &ns, &err), 0);
    assert_int_equal(ns, 10000000000ull);
    assert_int_equal(sp_parse_duration("1m30s", &ns, &err), 0);
    assert_int_equal(ns, 90000000000ull);
    assert_int_equal(sp_parse_duration("250ms", &ns, &err), 0);
    assert_int_equal(ns, 250000000ull);
    assert_int_equal(sp_parse_duration("1.5s", &ns, &err), 0);
    assert_int_equal(ns, 1500000000ull);
    assert_int_equal(sp_parse_duration("2h", &ns, &err), 0);
    assert_int_equal(ns, 7200000000000ull);
    assert_int_equal(sp_parse_duration("7", &ns, &err), 0);
    assert_int_equal(ns, 7000000000ull);
    assert_int_equal(sp_parse_duration("5us", &ns, &err), 0);
    assert_int_equal(ns, 5000ull);
    const char *bad[] = {"", "-1s", "10x", "s", "1s2", "99999999999999999h", "1.5.5s"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(bad); i++) {
        if (sp_parse_duration(bad[i], &ns, &err) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err->msg, "invalid duration"));
        sp_error_free(&err);
    }
}

static void test_i64(void **state)
{
    int64_t v;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_i64("-5", -10, 10, &v, &err), 0);
    assert_int_equal(v, -5);
    assert_int_equal(sp_parse_i64("11", -10, 10, &v, &err), -1);
    assert_non_null(strstr(err->msg, "out of range"));
    sp_error_free(&err);
    assert_int_equal(sp_parse_i64("1x", 0, 10, &v, &err), -1);
    assert_non_null(strstr(err->msg, "not an integer"));
    sp_error_free(&err);
    assert_int_equal(sp_parse_i64("", 0, 10, &v, &err), -1);
    sp_error_free(&err);
    assert_int_equal(sp_parse_i64("99999999999999999999", 0, INT64_MAX, &v, &err), -1);
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),     cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_cpulist),  cmocka_unit_test(test_duration),
        cmocka_unit_test(test_i64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
