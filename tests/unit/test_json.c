/* Unit tests: JSON documents, located errors and typed getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char config[] = "{\n"
                             "  \"ociVersion\": \"1.2.0\",\n"
                             "  \"process\": {\n"
                             "    \"args\": \"sh\",\n"
                             "    \"env\": [\"A=1\", 2],\n"
                             "    \"user\": {\"uid\": -1}\n"
                             "  },\n"
                             "  \"annotations\": {\"org.example.key\": true}\n"
                             "}\n";

static sp_jdoc *load(const char *text)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    return doc;
}

static void expect_msg(sp_error **err, const char *want)
{
    assert_non_null(*err);
    if (strcmp((*err)->msg, want) != 0)
        fail_msg("got '%s', want '%s'", (*err)->msg, want);
    sp_error_free(err);
}

static void test_parse_error(void **state)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    const char *bad = "{\n  \"a\": [1, 2,,]\n}";
    assert_int_equal(sp_jdoc_load_buf(bad, strlen(bad), "config.json", &doc, &err), -1);
    assert_non_null(strstr(err->msg, "config.json:2:"));
    assert_non_null(strstr(err->msg, "invalid JSON"));
    sp_error_free(&err);
    const char *dup = "{\"a\": 1, \"a\": 2}";
    assert_int_equal(sp_jdoc_load_buf(dup, strlen(dup), "x.json", &doc, &err), -1);
    assert_non_null(strstr(err->msg, "duplicate"));
    sp_error_free(&err);
    assert_int_equal(sp_jdoc_load_buf("", 0, "empty.json", &doc, &err), -1);
    sp_error_free(&err);
    assert_int_equal(sp_jdoc_load_file("/nonexistent/septa.json", NULL, &doc, &err), -1);
    assert_non_null(strstr(err->msg, "No such file"));
    sp_error_free(&err);
}

static void test_locate(void **state)
{
    int line = 0, col = 0;
    assert_int_equal(sp_json_locate(config, strlen(config), "process.args", &line, &col), 0);
    assert_int_equal(line, 4);
    assert_int_equal(col, 13);
    assert_int_equal(sp_json_locate(config, strlen(config), "process.env[1]", &line, &col), 0);
    assert_int_equal(line, 5);
    assert_int_equal(col, 20);
    assert_int_equal(
        sp_json_locate(config, strlen(config), "annotations[\"org.example.key\"]", &line, &col),
        0);
    assert_int_equal(line, 8);
    assert_int_equal(sp_json_locate(config, strlen(config), "", &line, &col), 0);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    assert_int_equal(sp_json_locate(config, strlen(config), "process.nope", &line, &col), -1);
    assert_int_equal(sp_json_locate(config, strlen(config), "process.env[9]", &line, &col), -1);
    assert_int_equal(sp_json_locate(config, strlen(config), "x[", &line, &col), -1);
    assert_int_equal(sp_json_locate("{", 1, "a", &line, &col), -1);
}

static void test_getters(void **state)
{
    sp_jdoc *doc = load(config);
    sp_error *err = NULL;
    json_t *process = NULL, *arr = NULL;
    assert_int_equal(sp_json_get_obj(doc, doc->root, "", "process", true, &process, &err), 1);

    assert_int_equal(sp_json_get_arr(doc, process, "process", "args", true, &arr, &err), -1);
    expect_msg(&err, "config.json:4:13: process.args: expected an array, got a string");

    char **env = NULL;
    assert_int_equal(sp_json_get_strv(doc, process, "process", "env", true, &env, &err), -1);
    expect_msg(&err, "config.json:5:20: process.env[1]: expected a string, got an integer");

    const char *s = NULL;
    assert_int_equal(sp_json_get_str(doc, process, "process", "cwd", false, &s, &err), 0);
    assert_null(err);
    assert_int_equal(sp_json_get_str(doc, process, "process", "cwd", true, &s, &err), -1);
    expect_msg(&err, "config.json:3:14: process.cwd: required but missing");

    json_t *user = NULL;
    int64_t uid = 0;
    assert_int_equal(sp_json_get_obj(doc, process, "process", "user", true, &user, &err), 1);
    assert_int_equal(
        sp_json_get_range(doc, user, "process.user", "uid", true, 0, UINT32_MAX, &uid, &err), -1);
    expect_msg(&err, "config.json:6:21: process.user.uid: -1 is out of range [0, 4294967295]");

    bool b = false;
    json_t *ann = NULL;
    assert_int_equal(sp_json_get_obj(doc, doc->root, "", "annotations", true, &ann, &err), 1);
    assert_int_equal(
        sp_json_get_str(doc, ann, "annotations", "org.example.key", true, &s, &err), -1);
    expect_msg(&err, "config.json:8:38: annotations[\"org.example.key\"]: expected a string, got "
                     "a boolean");
    assert_int_equal(sp_json_get_bool(doc, ann, "annotations", "org.example.key", true, &b, &err),
                     1);
    assert_true(b);

    assert_int_equal(sp_json_get_str(doc, doc->root, "", "ociVersion", true, &s, &err), 1);
    assert_string_equal(s, "1.2.0");
    int64_t i = 0;
    assert_int_equal(sp_json_get_i64(doc, doc->root, "", "ociVersion", true, &i, &err), -1);
    expect_msg(&err, "config.json:2:17: ociVersion: expected an integer, got a string");
    assert_int_equal(sp_json_get_obj(doc, arr ? arr : process, "process.args", "x", true, &user,
                                     &err), -1);
    sp_error_free(&err);
    sp_jdoc_free(doc);
}

static void test_check_keys(void **state)
{
    sp_jdoc *doc = load(config);
    sp_error *err = NULL;
    static const char *const known[] = {"ociVersion", "process", NULL};
    assert_int_equal(sp_json_check_keys(doc, doc->root, "", known, &err), -1);
    expect_msg(&err, "config.json:8:18: annotations: unknown field");
    static const char *const all[] = {"ociVersion", "process", "annotations", NULL};
    assert_int_equal(sp_json_check_keys(doc, doc->root, "", all, &err), 0);
    sp_jdoc_free(doc);
}

static void test_nul_in_string(void **state)
{
    const char *t = "{\"a\": \"x\\u0000y\"}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    /* jansson refuses \u0000 unless asked; either refusal is fine. */
    if (sp_jdoc_load_buf(t, strlen(t), "n.json", &doc, &err) < 0) {
        sp_error_free(&err);
        return;
    }
    const char *s;
    assert_int_equal(sp_json_get_str(doc, doc->root, "", "a", true, &s, &err), -1);
    sp_error_free(&err);
    sp_jdoc_free(doc);
}

static void test_paths(void **state)
{
    char *p = sp_jpath_key("", "a");
    assert_string_equal(p, "a");
    free(p);
    p = sp_jpath_key("a", "b.c");
    assert_string_equal(p, "a[\"b.c\"]");
    free(p);
    p = sp_jpath_idx("a", 3);
    assert_string_equal(p, "a[3]");
    free(p);
}

static void test_write(void **state)
{
    char dir[] = "/tmp/septa-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    json_t *j = json_pack("{s:s}", "k", "v");
    sp_error *err = NULL;
    assert_int_equal(sp_json_write_file(dfd, "state.json", j, false, &err), 0);
    json_decref(j);
    char *buf = NULL;
    assert_int_equal(sp_read_file(dfd, "state.json", 1024, &buf, NULL, &err), 0);
    assert_string_equal(buf, "{\"k\":\"v\"}\n");
    free(buf);
    sp_jdoc *doc = NULL;
    char *path = sp_path_join(dir, "state.json");
    assert_int_equal(sp_jdoc_load_file(path, "state.json", &doc, &err), 0);
    sp_jdoc_free(doc);
    int fd = open(path, O_RDONLY);
    assert_int_equal(sp_jdoc_load_fd(fd, "state.json", &doc, &err), 0);
    close(fd);
    sp_jdoc_free(doc);
    free(path);
    assert_int_equal(sp_rm_rf_at(AT_FDCWD, dir, &err), 0);
    close(dfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error), cmocka_unit_test(test_locate),
        cmocka_unit_test(test_getters),     cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_nul_in_string), cmocka_unit_test(test_paths),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
