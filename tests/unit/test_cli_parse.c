/* Unit tests: sp_cli_parse, the option table shared by simple commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli.h"

#include <getopt.h>
#include <string.h>

static bool force;
static const char *format;
static const struct sp_cli_opt opts[] = {
    {"force", 'f', &force, NULL},
    {"format", 0, NULL, &format},
    {0},
};

static int parse(bool permute, int min, int max, char **argv, int *first, sp_error **err)
{
    const struct sp_cli_spec spec = {
        .cmd = "thing", .usage = "thing [-f] [--format F] ID", .help = "Do a thing.\n",
        .arg = "container ID", .min_args = min, .max_args = max, .permute = permute, .opts = opts,
    };
    int argc = 0;
    while (argv[argc])
        argc++;
    force = false;
    format = NULL;
    optind = 0;
    return sp_cli_parse(&spec, "septa", argc, argv, first, err);
}

static void test_flags_values_positionals(void **state)
{
    char *argv[] = {"thing", "-f", "--format", "json", "abc", NULL};
    int first = -1;
    sp_error *err = NULL;
    assert_int_equal(parse(false, 1, 1, argv, &first, &err), 0);
    assert_true(force);
    assert_string_equal(format, "json");
    assert_string_equal(argv[first], "abc");
}

static void test_options_end_at_first_positional(void **state)
{
    /* runc's verbs: what follows the ID is not septa's (exec's command, kill's signal). */
    char *argv[] = {"thing", "abc", "-f", NULL};
    int first = -1;
    sp_error *err = NULL;
    assert_int_equal(parse(false, 1, 2, argv, &first, &err), 0);
    assert_false(force);
    assert_string_equal(argv[first], "abc");
    assert_string_equal(argv[first + 1], "-f");
}

static void test_permute(void **state)
{
    char *argv[] = {"thing", "a", "-f", "b", "--format=text", "c", NULL};
    int first = -1;
    sp_error *err = NULL;
    assert_int_equal(parse(true, 0, -1, argv, &first, &err), 0);
    assert_true(force);
    assert_string_equal(format, "text");
    assert_int_equal(6 - first, 3);
    assert_string_equal(argv[first], "a");
    assert_string_equal(argv[first + 1], "b");
    assert_string_equal(argv[first + 2], "c");
}

static void test_errors(void **state)
{
    int first;
    sp_error *err = NULL;
    char *none[] = {"thing", NULL};
    assert_int_equal(parse(false, 1, 1, none, &first, &err), -1);
    assert_string_equal(err->msg, "thing: missing container ID");
    sp_error_free(&err);
    char *many[] = {"thing", "a", "b", NULL};
    assert_int_equal(parse(false, 1, 1, many, &first, &err), -1);
    assert_string_equal(err->msg, "thing: unexpected argument 'b'");
    sp_error_free(&err);
    char *unknown[] = {"thing", "--bogus", "a", NULL};
    assert_int_equal(parse(false, 1, 1, unknown, &first, &err), -1);
    assert_non_null(strstr(err->msg, "'--bogus'"));
    sp_error_free(&err);
    char *noval[] = {"thing", "a", "--format", NULL};
    assert_int_equal(parse(true, 1, 1, noval, &first, &err), -1);
    assert_non_null(strstr(err->msg, "'--format'"));
    sp_error_free(&err);
    char *shortbad[] = {"thing", "-z", NULL};
    assert_int_equal(parse(false, 0, 0, shortbad, &first, &err), -1);
    assert_non_null(strstr(err->msg, "'-z'"));
    sp_error_free(&err);
}

static void test_help(void **state)
{
    int first;
    sp_error *err = NULL;
    char *argv[] = {"thing", "--help", NULL};
    /* --help wins over a missing ID: it prints and says so. */
    assert_int_equal(parse(false, 1, 1, argv, &first, &err), 1);
    assert_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_values_positionals),
        cmocka_unit_test(test_options_end_at_first_positional),
        cmocka_unit_test(test_permute),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
