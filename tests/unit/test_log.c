/* Unit tests: logging levels, formats and the log file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static int setup(void **state)
{
    strcpy(path, "/tmp/septa-log-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    sp_log_close();
    unlink(path);
    return 0;
}

static char *slurp(void)
{
    char *buf = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_read_file(AT_FDCWD, path, 1 << 20, &buf, NULL, &err), 0);
    return buf;
}

static void test_format_parse(void **state)
{
    enum sp_log_format f;
    sp_error *err = NULL;
    assert_int_equal(sp_log_parse_format("json", &f, &err), 0);
    assert_int_equal(f, SP_LOG_JSON);
    assert_int_equal(sp_log_parse_format("text", &f, &err), 0);
    assert_int_equal(f, SP_LOG_TEXT);
    assert_int_equal(sp_log_parse_format("yaml", &f, &err), -1);
    assert_string_equal(err->msg, "--log-format: unknown format 'yaml' (expected text or json)");
    sp_error_free(&err);
}

static void test_json_lines(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(sp_log_init(path, SP_LOG_JSON, SP_LOG_INFO, &err), 0);
    assert_true(sp_log_fd() >= 0);
    sp_info("container %s started", "abc");
    sp_debug("not shown");
    sp_warn("quote \" and newline \n kept valid");
    char *buf = slurp();
    /* Two lines, each a JSON object with level, msg and time. */
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        assert_non_null(j);
        assert_non_null(json_object_get(j, "time"));
        const char *level = json_string_value(json_object_get(j, "level"));
        assert_true(strcmp(level, "info") == 0 || strcmp(level, "warning") == 0);
        json_decref(j);
        n++;
    }
    assert_int_equal(n, 2);
    free(buf);
    assert_true(sp_log_enabled(SP_LOG_INFO));
    assert_false(sp_log_enabled(SP_LOG_DEBUG));
}

static void test_text_and_levels(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(sp_log_init(path, SP_LOG_TEXT, SP_LOG_DEBUG, &err), 0);
    sp_debug("debug %d", 7);
    sp_log(SP_LOG_ERROR, "broken");
    char *buf = slurp();
    assert_non_null(strstr(buf, "debug: debug 7\n"));
    assert_non_null(strstr(buf, "error: broken\n"));
    free(buf);
}

static void test_bad_path(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(sp_log_init("/nonexistent/dir/log", SP_LOG_TEXT, SP_LOG_WARN, &err), -1);
    assert_string_equal(err->msg, "opening log file /nonexistent/dir/log: No such file or directory");
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_text_and_levels),
        cmocka_unit_test(test_bad_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
