/* Unit tests: the --restart policy parser the monitor applies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "images.h"
#include <string.h>

static void ok(const char *s, int want_limit, bool want_on_failure)
{
    int limit = 7;
    bool on_failure = !want_on_failure;
    sp_error *err = NULL;
    assert_int_equal(sp_restart_policy_parse(s, &limit, &on_failure, &err), 0);
    assert_null(err);
    assert_int_equal(limit, want_limit);
    assert_int_equal(on_failure, want_on_failure);
}

static void bad(const char *s, const char *needle)
{
    int limit = 0;
    bool on_failure = false;
    sp_error *err = NULL;
    assert_int_equal(sp_restart_policy_parse(s, &limit, &on_failure, &err), -1);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", s, err->msg, needle);
    sp_error_free(&err);
}

static void test_valid(void **state)
{
    ok("no", -1, false);
    ok("always", 0, false);
    ok("on-failure", 0, true);
    ok("on-failure:0", 0, true);
    ok("on-failure:2", 2, true);
    ok("on-failure:1000000", 1000000, true);
}

static void test_invalid(void **state)
{
    bad("", "expected no, always or on-failure[:N]");
    bad("sometimes", "restart policy 'sometimes'");
    bad("Always", "expected no, always");
    bad("on-failure:", "the count");
    bad("on-failure:-1", "the count");
    bad("on-failure:x", "the count");
    bad("on-failure:2x", "the count");
    bad("on-failure:1000001", "the count");
    bad("on-failurex", "expected no, always");
    bad("no:3", "expected no, always");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
