/*
 * Unit tests: hooks parsing (located errors) and running: order, argv, env,
 * the state on stdin, failures with the hook's output, and the timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "security.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A private directory per test, removed by the teardown even when the test fails. */
static int tmpdir_setup(void **state)
{
    char *dir = sp_xstrdup("/tmp/septa-test-hooks-XXXXXX");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int tmpdir_teardown(void **state)
{
    sp_error *err = NULL;
    int r = sp_rm_rf_at(AT_FDCWD, *state, &err);
    sp_error_free(&err);
    free(*state);
    return r;
}

static int mismatches;

static int parse(const char *text, struct sp_hooks **out, char **msg)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err) < 0)
        fail_msg("bad test JSON: %s", err->msg);
    int r = sp_hooks_parse(doc, json_object_get(doc->root, "hooks"), "hooks", out, &err);
    if (r < 0) {
        *msg = sp_xstrdup(err->msg);
        sp_error_free(&err);
    }
    sp_jdoc_free(doc);
    return r;
}

static struct sp_hooks *parse_ok(const char *text)
{
    struct sp_hooks *h = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &h, &msg) < 0)
        fail_msg("refused: %s", msg);
    return h;
}

static void expect_refused(const char *text, const char *want)
{
    struct sp_hooks *h = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &h, &msg) == 0) {
        sp_hooks_free(h);
        print_error("accepted, want '%s'\n", want);
        mismatches++;
    } else if (strcmp(msg, want) != 0) {
        print_error("got  '%s'\nwant '%s'\n", msg, want);
        mismatches++;
    }
}

static void test_parse(void **state)
{
    (void)state;
    struct sp_hooks *h = parse_ok("{\"hooks\": {\n"
                                  "  \"createRuntime\": [{\"path\": \"/bin/true\"},\n"
                                  "    {\"path\": \"/bin/echo\", \"args\": [\"echo\", \"x\"],\n"
                                  "     \"env\": [\"A=1\"], \"timeout\": 5}],\n"
                                  "  \"poststop\": [{\"path\": \"/bin/false\"}]}}");
    assert_int_equal(h->n[SP_HOOK_CREATE_RUNTIME], 2);
    assert_int_equal(h->n[SP_HOOK_POSTSTOP], 1);
    assert_int_equal(h->n[SP_HOOK_PRESTART], 0);
    assert_string_equal(h->v[SP_HOOK_CREATE_RUNTIME][1].path, "/bin/echo");
    assert_string_equal(h->v[SP_HOOK_CREATE_RUNTIME][1].args[1], "x");
    assert_string_equal(h->v[SP_HOOK_CREATE_RUNTIME][1].env[0], "A=1");
    assert_int_equal(h->v[SP_HOOK_CREATE_RUNTIME][1].timeout_s, 5);
    assert_null(h->v[SP_HOOK_CREATE_RUNTIME][0].args);
    sp_hooks_free(h);
    assert_string_equal(sp_hook_kind_name(SP_HOOK_START_CONTAINER), "startContainer");

    expect_refused("{\"hooks\": {\"prestart\": [{\"path\": \"true\"}]}}",
                   "config.json:1:34: hooks.prestart[0].path: must be an absolute path, got "
                   "'true'");
    expect_refused("{\"hooks\": {\"prestart\": [{\"args\": []}]}}",
                   "config.json:1:25: hooks.prestart[0].path: required but missing");
    expect_refused("{\"hooks\": {\"poststart\": [{\"path\": \"/x\", \"timeout\": 0}]}}",
                   "config.json:1:52: hooks.poststart[0].timeout: must be between 1 and 86400 "
                   "seconds, got 0");
    expect_refused("{\"hooks\": {\"poststart\": [{\"path\": \"/x\", \"env\": [\"NOEQUALS\"]}]}}",
                   "config.json:1:49: hooks.poststart[0].env[0]: expected KEY=VALUE, got "
                   "'NOEQUALS'");
    expect_refused("{\"hooks\": {\"poststop\": {\"path\": \"/x\"}}}",
                   "config.json:1:24: hooks.poststop: expected an array, got an object");
    expect_refused("{\"hooks\": {\"startContainer\": [\"/bin/true\"]}}",
                   "config.json:1:31: hooks.startContainer[0]: expected an object");
    expect_refused("{\"hooks\": {\"createContainer\": [{\"path\": \"/x\", \"args\": \"x\"}]}}",
                   "config.json:1:55: hooks.createContainer[0].args: expected an array, got a "
                   "string");
    assert_int_equal(mismatches, 0);
}

static char *slurp(const char *path)
{
    char *s = NULL;
    size_t len = 0;
    sp_error *err = NULL;
    if (sp_read_file(AT_FDCWD, path, 1 << 20, &s, &len, &err) < 0)
        fail_msg("%s", err->msg);
    return s;
}

/* Each hook appends its name and the state it read; the order and stdin show. */
static void test_run_order_and_stdin(void **state)
{
    const char *dir = *state;
    _cleanup_free_ char *log = sp_path_join(dir, "log");
    _cleanup_free_ char *text = sp_xasprintf(
        "{\"hooks\": {\"createRuntime\": [\n"
        " {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo first $X; cat >> %s/log\"],\n"
        "  \"env\": [\"X=one\"]},\n"
        " {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo; echo second $X $1 >> %s/log\","
        " \"argv0\", \"arg1\"],\n"
        "  \"env\": [\"X=two\"], \"timeout\": 10}]}}",
        dir, dir);
    struct sp_hooks *h = parse_ok(text);
    sp_error *err = NULL;
    const char *st = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\"}";
    if (sp_hooks_run(h, SP_HOOK_CREATE_RUNTIME, st, &err) < 0)
        fail_msg("%s", err->msg);
    /* stdout of the first hook is captured, not written to the log; its stdin is. */
    _cleanup_free_ char *got = slurp(log);
    _cleanup_free_ char *want = sp_xasprintf("%ssecond two arg1\n", st);
    assert_string_equal(got, want);
    /* Kinds without hooks run nothing. */
    assert_int_equal(sp_hooks_run(h, SP_HOOK_POSTSTOP, st, &err), 0);
    assert_int_equal(sp_hooks_run(NULL, SP_HOOK_POSTSTOP, st, &err), 0);
    sp_hooks_free(h);
}

static void expect_run_error(const char *hooks_json, const char *want)
{
    struct sp_hooks *h = parse_ok(hooks_json);
    sp_error *err = NULL;
    if (sp_hooks_run(h, SP_HOOK_POSTSTART, "{}", &err) == 0) {
        print_error("ran, want '%s'\n", want);
        mismatches++;
    } else if (strcmp(err->msg, want) != 0) {
        print_error("got  '%s'\nwant '%s'\n", err->msg, want);
        mismatches++;
    }
    sp_error_free(&err);
    sp_hooks_free(h);
}

static void test_run_failures(void **state)
{
    (void)state;
    mismatches = 0;
    expect_run_error(
        "{\"hooks\": {\"poststart\": [{\"path\": \"/bin/true\"},\n"
        "  {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\",\n"
        "   \"echo something broke; printf 'on two\\\\tlines\\\\033' >&2; exit 3\"]}]}}",
        "hook poststart[1] /bin/sh: exited with status 3: something broke on two "
        "lines");
    expect_run_error("{\"hooks\": {\"poststart\": [{\"path\": \"/nonexistent/hook\"}]}}",
                     "hook poststart[0] /nonexistent/hook: starting it: No such file or "
                     "directory");
    expect_run_error("{\"hooks\": {\"poststart\": [{\"path\": \"/bin/sh\",\n"
                     "  \"args\": [\"sh\", \"-c\", \"kill -TERM $$\"]}]}}",
                     "hook poststart[0] /bin/sh: killed by signal 15 (Terminated)");
    assert_int_equal(mismatches, 0);
}

static void test_run_timeout(void **state)
{
    (void)state;
    /* exec: the hook itself is the sleeper, so killing it leaves nothing behind. */
    struct sp_hooks *h = parse_ok("{\"hooks\": {\"createRuntime\": [{\"path\": \"/bin/sh\",\n"
                                  "  \"args\": [\"sh\", \"-c\", \"exec sleep 30\"],\n"
                                  "  \"timeout\": 1}]}}");
    sp_error *err = NULL;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(sp_hooks_run(h, SP_HOOK_CREATE_RUNTIME, "{}", &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_string_equal(err->msg, "hook createRuntime[0] /bin/sh: timed out after 1s");
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(secs >= 0.9 && secs < 5);
    sp_error_free(&err);
    sp_hooks_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_run_order_and_stdin, tmpdir_setup, tmpdir_teardown),
        cmocka_unit_test(test_run_failures),
        cmocka_unit_test(test_run_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
