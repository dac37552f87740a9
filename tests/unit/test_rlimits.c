/*
 * Unit tests: process.rlimits parsing (located errors for every bad input)
 * and applying limits in a forked child, including the clear error when a
 * hard limit cannot be raised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "security.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int mismatches;

static int parse(const char *text, struct sp_rlimits **out, char **msg)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err) < 0)
        fail_msg("bad test JSON: %s", err->msg);
    json_t *arr = json_object_get(json_object_get(doc->root, "process"), "rlimits");
    int r = sp_rlimits_parse(doc, arr, "process.rlimits", out, &err);
    if (r < 0) {
        *msg = sp_xstrdup(err->msg);
        sp_error_free(&err);
    }
    sp_jdoc_free(doc);
    return r;
}

static void expect_refused(const char *text, const char *want)
{
    struct sp_rlimits *r = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &r, &msg) == 0) {
        sp_rlimits_free(r);
        print_error("accepted, want '%s'\n", want);
        mismatches++;
    } else if (strcmp(msg, want) != 0) {
        print_error("got  '%s'\nwant '%s'\n", msg, want);
        mismatches++;
    }
}

static void test_parse_good(void **state)
{
    (void)state;
    struct sp_rlimits *r = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *text = "{\"process\": {\"rlimits\": [\n"
                       "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},\n"
                       "  {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0}]}}";
    if (parse(text, &r, &msg) < 0)
        fail_msg("%s", msg);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->v[0].resource, RLIMIT_NOFILE);
    assert_int_equal(r->v[0].soft, 1024);
    assert_int_equal(r->v[0].hard, 4096);
    assert_int_equal(r->v[1].resource, RLIMIT_CORE);
    sp_rlimits_free(r);
    assert_int_equal(sp_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
    assert_int_equal(sp_rlimit_from_name("rlimit_nofile"), -1);
    assert_string_equal(sp_rlimit_name(RLIMIT_STACK), "RLIMIT_STACK");
}

static void test_parse_bad(void **state)
{
    (void)state;
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}}",
                   "config.json:2:12: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'");
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5}]}}",
                   "config.json:2:37: process.rlimits[0].soft: soft limit 10 is above the hard "
                   "limit 5");
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": -1, \"hard\": 5}]}}",
                   "config.json:2:37: process.rlimits[0].soft: must not be negative, got -1");
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]}}",
                   "config.json:2:3: process.rlimits[0].hard: required but missing");
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": \"1\", \"hard\": 1}]}}",
                   "config.json:2:37: process.rlimits[0].soft: expected an integer, got a string");
    expect_refused("{\"process\": {\"rlimits\": [\n"
                   "  {\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1},\n"
                   "  {\"type\": \"RLIMIT_CPU\", \"soft\": 2, \"hard\": 2}]}}",
                   "config.json:3:12: process.rlimits[1].type: RLIMIT_CPU is given twice");
    expect_refused("{\"process\": {\"rlimits\": [7]}}",
                   "config.json:1:26: process.rlimits[0]: expected an object");
    expect_refused("{\"process\": {\"rlimits\": {}}}",
                   "config.json:1:25: process.rlimits: expected an array");
    assert_int_equal(mismatches, 0);
}

static void test_apply(void **state)
{
    (void)state;
    struct sp_rlimits *r = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *text = "{\"process\": {\"rlimits\": [\n"
                       "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 64, \"hard\": 128},\n"
                       "  {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0}]}}";
    if (parse(text, &r, &msg) < 0)
        fail_msg("%s", msg);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sp_error *err = NULL;
        if (sp_rlimits_apply(r, &err) < 0)
            _exit(1);
        struct rlimit l;
        if (getrlimit(RLIMIT_NOFILE, &l) < 0 || l.rlim_cur != 64 || l.rlim_max != 128)
            _exit(2);
        if (getrlimit(RLIMIT_CORE, &l) < 0 || l.rlim_cur != 0 || l.rlim_max != 0)
            _exit(3);
        _exit(0);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_rlimits_free(r);
}

/* Lower the hard limit first, then ask for more: the error names the limit. */
static void test_apply_above_hard(void **state)
{
    (void)state;
    struct sp_rlimits *r = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *text = "{\"process\": {\"rlimits\": [\n"
                       "  {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1048576, \"hard\": 1048576}]}}";
    if (parse(text, &r, &msg) < 0)
        fail_msg("%s", msg);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sp_error *err = NULL;
        struct rlimit low = {.rlim_cur = 256, .rlim_max = 512};
        if (setrlimit(RLIMIT_NOFILE, &low) < 0)
            _exit(10);
        /* CAP_SYS_RESOURCE would allow it: as root, give every capability up first. */
        if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
            _exit(13);
        if (sp_rlimits_apply(r, &err) == 0)
            _exit(11);
        const char *want = "process.rlimits: setting RLIMIT_NOFILE to 1048576/1048576: "
                           "Operation not permitted (the hard limit is 512)";
        _exit(strcmp(err->msg, want) == 0 ? 0 : 12);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_rlimits_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_apply_above_hard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
