/* Unit tests: /etc/subuid parsing and the --user-ns=auto range allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "images.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_bad(const char *text, const char *needle)
{
    uint64_t s = 0, c = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_subid_parse(text, "containers", &s, &c, &err), -1);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", text, err->msg, needle);
    sp_error_free(&err);
}

static void test_parse(void **state)
{
    (void)state;
    uint64_t s = 0, c = 0;
    sp_error *err = NULL;
    /* the entry named, not a longer name sharing its prefix, not a comment */
    assert_int_equal(sp_subid_parse("# containers:1:1\ncontainersx:5:65536\nalice:100000:65536\n"
                                    "containers:524288:131072\ncontainers:9:9\n",
                                    "containers", &s, &c, &err),
                     1);
    assert_int_equal(s, 524288);
    assert_int_equal(c, 131072);
    /* last line without a newline */
    assert_int_equal(sp_subid_parse("containers:7:65536", "containers", &s, &c, &err), 1);
    assert_int_equal(s, 7);
    assert_int_equal(sp_subid_parse("alice:100000:65536\n", "containers", &s, &c, &err), 0);
    assert_int_equal(sp_subid_parse("", "containers", &s, &c, &err), 0);
    assert_null(err);
    parse_bad("containers:100000\n", "line 1: expected containers:START:COUNT");
    parse_bad("alice:1:1\ncontainers:x:65536\n", "line 2");
    parse_bad("containers:-1:65536\n", "decimal");
    parse_bad("containers:1:2x\n", "decimal");
    parse_bad("containers:4294967000:65536\n", "32-bit");
    parse_bad("containers:5:0\n", "32-bit");
}

/* A data root with container records for the ids given. */
static char *data_root(void)
{
    char tmpl[] = "/tmp/septa-userns-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return strdup(tmpl);
}

static void add_container(const char *root, const char *id)
{
    char *p = sp_xasprintf("%s/storage/containers/%s", root, id);
    sp_error *err = NULL;
    assert_int_equal(sp_mkdir_p(p, 0700, &err), 0);
    free(p);
}

static void drop_container(const char *root, const char *id)
{
    char *p = sp_xasprintf("%s/storage/containers/%s", root, id);
    assert_int_equal(rmdir(p), 0);
    free(p);
}

static void test_alloc(void **state)
{
    (void)state;
    char *root = data_root();
    struct sp_userns_pool pool = {200000, 3 * 65536, 900000, 2 * 65536 + 5};
    uint64_t u = 0, g = 0;
    sp_error *err = NULL;
    add_container(root, "a");
    add_container(root, "b");
    add_container(root, "c");
    assert_int_equal(sp_userns_alloc(root, "a", &pool, &u, &g, &err), 0);
    assert_int_equal(u, 200000);
    assert_int_equal(g, 900000);
    assert_int_equal(sp_userns_alloc(root, "b", &pool, &u, &g, &err), 0);
    assert_int_equal(u, 265536);
    assert_int_equal(g, 965536);
    /* two ranges in the gid pool: full */
    assert_int_equal(sp_userns_alloc(root, "c", &pool, &u, &g, &err), -1);
    assert_int_equal(err->errnum, ENOSPC);
    sp_error_free(&err);
    /* asking again for one id gives it a range anew, not a second one */
    assert_int_equal(sp_userns_alloc(root, "b", &pool, &u, &g, &err), 0);
    assert_int_equal(u, 265536);
    /* released: the lowest free range is a's */
    assert_int_equal(sp_userns_release(root, "a", &err), 0);
    assert_int_equal(sp_userns_get(root, "a", &u, &g, &err), 0);
    assert_int_equal(sp_userns_alloc(root, "c", &pool, &u, &g, &err), 0);
    assert_int_equal(u, 200000);
    /* a container whose record is gone (crashed septa) loses its range */
    drop_container(root, "b");
    assert_int_equal(sp_userns_alloc(root, "a", &pool, &u, &g, &err), 0);
    assert_int_equal(u, 265536);
    assert_int_equal(sp_userns_get(root, "b", &u, &g, &err), 0);
    /* a moved pool: ranges still held are avoided as intervals */
    struct sp_userns_pool moved = {230000, 4 * 65536, 930000, 4 * 65536};
    add_container(root, "d");
    assert_int_equal(sp_userns_alloc(root, "d", &moved, &u, &g, &err), 0);
    assert_int_equal(u, 230000 + 2 * 65536); /* 230000 and 295536 overlap c's and a's */
    assert_int_equal(sp_userns_get(root, "d", &u, &g, &err), 1);
    assert_int_equal(g, 930000 + 2 * 65536);
    assert_null(err);
    assert_int_equal(sp_rm_rf_at(AT_FDCWD, root, &err), 0);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
