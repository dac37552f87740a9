/* Unit tests: reading OCI image layouts (and the built-in image). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "images.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *content)
{
    sp_error *err = NULL;
    char *p = sp_path_join(dir, name);
    assert_int_equal(sp_atomic_write(AT_FDCWD, p, content, strlen(content), 0644, &err), 0);
    free(p);
}

static char *put_blob(const char *content)
{
    char hex[65];
    sp_sha256_hex(content, strlen(content), hex);
    char *name = sp_xasprintf("blobs/sha256/%s", hex);
    put(name, content);
    free(name);
    return sp_xasprintf("sha256:%s", hex);
}

static int setup(void **state)
{
    strcpy(dir, "/tmp/septa-layout-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char *b = sp_path_join(dir, "blobs/sha256");
    sp_error *err = NULL;
    int r = sp_mkdir_p(b, 0755, &err);
    free(b);
    return r;
}

static int teardown(void **state)
{
    sp_error *err = NULL;
    return sp_rm_rf_at(AT_FDCWD, dir, &err);
}

static void test_digest_valid(void **state)
{
    assert_true(sp_oci_digest_valid(
        "sha256:7efa220378537a18779af09bfb3b945ec1d7715a84eb3800f737ed8dcdf0e8f6"));
    assert_false(sp_oci_digest_valid("sha256:7EFA"));
    assert_false(sp_oci_digest_valid(
        "sha512:7efa220378537a18779af09bfb3b945ec1d7715a84eb3800f737ed8dcdf0e8f6"));
    assert_false(sp_oci_digest_valid(
        "sha256:7efa220378537a18779af09bfb3b945ec1d7715a84eb3800f737ed8dcdf0e8fG"));
}

static void test_resolve(void **state)
{
    sp_error *err = NULL;
    struct sp_oci_index_entry e = {0};
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "is not an OCI layout"));
    sp_error_free(&err);

    put("oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "unsupported version '2.0.0'"));
    sp_error_free(&err);
    put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");

    const char *manifest = "{\"schemaVersion\":2}";
    char *digest = put_blob(manifest);
    char *index = sp_xasprintf(
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"%s\",\"size\":%zu,"
        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"x:1\"}}]}",
        digest, strlen(manifest));
    put("index.json", index);
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), 0);
    assert_string_equal(e.digest, digest);
    assert_string_equal(e.ref_name, "x:1");
    assert_int_equal(e.size, strlen(manifest));
    sp_oci_index_entry_clear(&e);
    assert_int_equal(sp_oci_layout_resolve(dir, "x:1", &e, &err), 0);
    sp_oci_index_entry_clear(&e);
    assert_int_equal(sp_oci_layout_resolve(dir, "y:2", &e, &err), -1);
    assert_non_null(strstr(err->msg, "no manifest named 'y:2'"));
    sp_error_free(&err);
    free(index);

    /* Wrong size, then wrong content. */
    index = sp_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":"
                         "\"%s\",\"size\":1}]}", digest);
    put("index.json", index);
    free(index);
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "index says 1"));
    sp_error_free(&err);
    char *p = sp_xasprintf("blobs/sha256/%s", digest + 7);
    put(p, "{\"schemaVersion\":3}");
    free(p);
    index = sp_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":"
                         "\"%s\",\"size\":%zu}]}", digest, strlen(manifest));
    put("index.json", index);
    free(index);
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "content has digest"));
    sp_error_free(&err);

    /* Malformed index entries are named by path. */
    put("index.json", "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"md5:x\"}]}");
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "manifests[0].digest: 'md5:x' is not a sha256 digest"));
    sp_error_free(&err);
    put("index.json", "{\"schemaVersion\":1,\"manifests\":[]}");
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "schemaVersion: expected 2"));
    sp_error_free(&err);
    put("index.json", "{\"schemaVersion\":2,\"manifests\":[]}");
    assert_int_equal(sp_oci_layout_resolve(dir, NULL, &e, &err), -1);
    assert_non_null(strstr(err->msg, "no manifests"));
    sp_error_free(&err);
    free(digest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_valid),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
