/*
 * Unit tests: partition records and spec files with --base (the read-only
 * base image a partition's qcow2 overlay sits on), and the validation that
 * keeps --base and --disk apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sysfs_tree.h"

#include "partition.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_record_keeps_base(void **state)
{
    static const char text[] =
        "{\"name\": \"p0\", \"cpus\": \"1\", \"nodes\": \"0\", \"memory\": 67108864,"
        " \"disk\": \"/d/partitions/p0.d/disk.qcow2\", \"base\": \"/images/base.qcow2\"}";
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "p0.json", &doc, &err), 0);
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_partition_from_json(doc, &p, &err) < 0)
        fail_msg("%s", err->msg);
    assert_string_equal(p->base, "/images/base.qcow2");
    assert_string_equal(p->disk, "/d/partitions/p0.d/disk.qcow2");
    _cleanup_json_ json_t *j = sp_partition_to_json(p);
    assert_string_equal(json_string_value(json_object_get(j, "base")), "/images/base.qcow2");
    /* A record without a base has no "base" key at all. */
    free(p->base);
    p->base = NULL;
    _cleanup_json_ json_t *j2 = sp_partition_to_json(p);
    assert_null(json_object_get(j2, "base"));
}

static void test_spec_base(void **state)
{
    static const char text[] = "{\"cpus\": \"1\", \"memory\": \"64M\", \"base\": \"/b.img\"}";
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "spec.json", &doc, &err), 0);
    struct sp_partition_req req = {0};
    if (sp_partition_req_from_spec(doc, &req, &err) < 0)
        fail_msg("%s", err->msg);
    assert_string_equal(req.base, "/b.img");
    assert_null(req.disk);
}

static int validate(const char *disk, const char *base, struct sp_partition **out, sp_error **err)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("4node");
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    struct sp_partition_list none = {0};
    struct sp_partition_req req = {
        .name = "p0", .cpu_count = 1, .memory = 64 * MIB, .disk = disk, .base = base};
    return sp_partition_validate(t, &r, &none, &req, out, err);
}

static void test_validate_base(void **state)
{
    sp_error *err = NULL;
    _cleanup_partition_ struct sp_partition *p = NULL;
    /* Any readable regular file can be a base (qemu-img judges its format later). */
    if (validate(NULL, "/proc/self/../self/exe", &p, &err) < 0)
        fail_msg("%s", err->msg);
    assert_non_null(p->base);
    assert_int_equal(p->base[0], '/');
    assert_null(strstr(p->base, ".."));
    assert_null(p->disk);
}

static void test_validate_refusals(void **state)
{
    sp_error *err = NULL;
    struct sp_partition *p = NULL;
    assert_int_equal(validate("/proc/self/exe", "/proc/self/exe", &p, &err), -1);
    assert_null(p);
    assert_non_null(strstr(err->msg, "--base and --disk"));
    sp_error_free(&err);
    assert_int_equal(validate(NULL, "/nonexistent/base.img", &p, &err), -1);
    assert_null(p);
    assert_non_null(strstr(err->msg, "--base /nonexistent/base.img"));
    sp_error_free(&err);
    assert_int_equal(validate(NULL, "/", &p, &err), -1);
    assert_non_null(strstr(err->msg, "not a readable regular file"));
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_keeps_base),
        cmocka_unit_test(test_spec_base),
        cmocka_unit_test(test_validate_base),
        cmocka_unit_test(test_validate_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
