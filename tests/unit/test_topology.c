/*
 * Unit tests: the topology reader on fake sysfs trees (tests/unit/data/
 * sysfs-{2,4,8}node, see data/README) and the validation of partition
 * requests against them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sysfs_tree.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_two_nodes_smt(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("2node");
    assert_int_equal(t->n_nodes, 2);
    assert_int_equal(t->n_cpus, 8);
    _cleanup_free_ char *c1 = sp_format_cpulist(t->nodes[1].cpus, SP_MAX_CPUS);
    assert_string_equal(c1, "4-7");
    assert_int_equal(t->nodes[0].mem_total, 8192 * MIB);
    assert_int_equal(t->nodes[0].mem_free, 4096 * MIB);
    assert_int_equal(t->nodes[1].n_distances, 2);
    assert_int_equal(t->nodes[1].distances[0], 21);
    assert_int_equal(t->nodes[1].distances[1], 10);
    const struct sp_topo_cpu *c = sp_topology_cpu(t, 5);
    assert_non_null(c);
    assert_int_equal(c->node, 1);
    assert_int_equal(c->core, 0);
    assert_int_equal(c->package, 1);
    _cleanup_free_ char *sib = sp_format_cpulist(c->siblings, SP_MAX_CPUS);
    assert_string_equal(sib, "4-5");
    assert_null(sp_topology_cpu(t, 8));
}

static void test_eight_nodes_offline_and_hugepages(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("8node");
    assert_int_equal(t->n_nodes, 8);
    assert_int_equal(t->n_cpus, 15); /* cpu15 is offline */
    assert_null(sp_topology_cpu(t, 15));
    _cleanup_free_ char *c7 = sp_format_cpulist(t->nodes[7].cpus, SP_MAX_CPUS);
    assert_string_equal(c7, "14");
    bool found = false;
    for (size_t i = 0; i < t->nodes[3].n_hugepages; i++)
        if (t->nodes[3].hugepages[i].size_kib == 2048) {
            assert_int_equal(t->nodes[3].hugepages[i].total, 512);
            assert_int_equal(t->nodes[3].hugepages[i].free, 512);
            found = true;
        }
    assert_true(found);
    assert_int_equal(t->nodes[0].distances[7], 31);
}

static void test_json_shape(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("4node");
    _cleanup_json_ json_t *j = sp_topology_to_json(t);
    json_t *nodes = json_object_get(j, "nodes"), *cpus = json_object_get(j, "cpus");
    assert_int_equal(json_array_size(nodes), 4);
    assert_int_equal(json_array_size(cpus), 4);
    json_t *n2 = json_array_get(nodes, 2);
    assert_int_equal(json_integer_value(json_object_get(n2, "id")), 2);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(n2, "cpus"), 0)), 2);
    assert_int_equal(json_integer_value(json_object_get(n2, "memory_bytes")), 256 * MIB);
    assert_int_equal(json_integer_value(json_object_get(n2, "free_bytes")), 128 * MIB);
    assert_int_equal(json_array_size(json_object_get(n2, "distances")), 4);
    assert_non_null(json_object_get(json_object_get(n2, "hugepages"), "2048kB"));
    json_t *c3 = json_array_get(cpus, 3);
    assert_int_equal(json_integer_value(json_object_get(c3, "node")), 3);
    assert_int_equal(json_array_size(json_object_get(c3, "siblings")), 1);
}

static void test_missing_tree(void **state)
{
    struct sp_topology *t = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_topology_read("/nonexistent-sysfs", &t, &err), -1);
    assert_non_null(strstr(err->msg, "reading the topology"));
    assert_non_null(strstr(err->msg, "/nonexistent-sysfs/devices/system/cpu/online"));
    sp_error_free(&err);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

static struct sp_partition_list no_parts;

static void bad(const struct sp_topology *t, const struct sp_partition_list *l,
                struct sp_partition_req req, const char *needle)
{
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    struct sp_partition *p = NULL;
    sp_error *err = NULL;
    if (sp_partition_validate(t, &r, l, &req, &p, &err) == 0)
        fail_msg("request '%s' accepted, want an error with '%s'", req.name, needle);
    assert_null(p);
    if (!strstr(err->msg, needle))
        fail_msg("'%s' lacks '%s'", err->msg, needle);
    assert_null(strchr(err->msg, '\n'));
    sp_error_free(&err);
}

static struct sp_partition *good(const struct sp_topology *t, const struct sp_partition_list *l,
                                 struct sp_partition_req req)
{
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    struct sp_partition *p = NULL;
    sp_error *err = NULL;
    if (sp_partition_validate(t, &r, l, &req, &p, &err) < 0)
        fail_msg("request '%s': %s", req.name, err->msg);
    return p;
}

static void test_validate_refusals(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("2node");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "9", .memory = MIB},
        "unknown CPU 9");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "2", .memory = MIB},
        "SMT sibling 3");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "0-1", .memory = MIB},
        "CPU 0 is in the host reserve");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "2-3", .memory = 0},
        "--memory: must be more than 0");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "4-5", .memory = 9000 * MIB},
        "only 8192 MiB are left there");
    /* node 0 keeps 10% for the host */
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "2-3", .memory = 8000 * MIB},
        "on node 0 but only 7373 MiB are left");
    bad(t, &no_parts,
        (struct sp_partition_req){.name = "a", .cpus = "4-5", .nodes = "0", .memory = MIB},
        "CPU 4 is on node 1, not on the partition's nodes");
    bad(t, &no_parts,
        (struct sp_partition_req){.name = "a", .cpus = "4-5", .nodes = "5", .memory = MIB},
        "unknown NUMA node 5");
    bad(t, &no_parts, (struct sp_partition_req){.name = "../x", .cpus = "4-5", .memory = MIB},
        "must not start with '.'");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a/b", .cpus = "4-5", .memory = MIB},
        "only letters");
    bad(t, &no_parts,
        (struct sp_partition_req){.name = "a", .cpus = "4-5", .memory = MIB, .network = "a/b"},
        "--network 'a/b': not a switch name");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .memory = MIB},
        "exactly one of --cpus and --cpu-count");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "4-5", .memory = MIB + 1},
        "whole MiB");
    bad(t, &no_parts,
        (struct sp_partition_req){
            .name = "a", .cpus = "4-5", .memory = MIB, .kernel = "/nonexistent/vmlinuz"},
        "--kernel /nonexistent/vmlinuz: No such file");
    bad(t, &no_parts, (struct sp_partition_req){.name = "a", .cpu_count = 5, .memory = MIB},
        "no NUMA node has 5 free CPUs");
    bad(t, &no_parts,
        (struct sp_partition_req){
            .name = "a", .cpus = "4-5", .memory = 2 * MIB, .hugepage_size = 2 * MIB},
        "0 free hugepages");
}

static void test_validate_overlap_and_memory_accounting(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("2node");
    struct sp_partition *a = good(
        t, &no_parts, (struct sp_partition_req){.name = "a", .cpus = "4-5", .memory = 6000 * MIB});
    struct sp_partition_list l = {.v = &a, .n = 1};
    bad(t, &l, (struct sp_partition_req){.name = "a", .cpus = "6-7", .memory = MIB},
        "partition 'a' already exists");
    bad(t, &l, (struct sp_partition_req){.name = "b", .cpus = "4-7", .memory = MIB},
        "CPU 4 is already in partition 'a' (exclusive)");
    bad(t, &l, (struct sp_partition_req){.name = "b", .cpus = "4-5", .shared = true, .memory = MIB},
        "CPU 4 is already in partition 'a' (exclusive)");
    bad(t, &l, (struct sp_partition_req){.name = "b", .cpus = "6-7", .memory = 3000 * MIB},
        "only 2192 MiB are left");
    struct sp_partition *b =
        good(t, &l, (struct sp_partition_req){.name = "b", .cpus = "6-7", .memory = 2048 * MIB});
    sp_partition_free(b);
    sp_partition_free(a);
}

static void test_validate_cpu_count_and_shared(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("2node");
    /* Node 0 has one free core (2-3) after the reserve; 4 CPUs fit only node 1. */
    struct sp_partition *a = good(
        t, &no_parts, (struct sp_partition_req){.name = "a", .cpu_count = 4, .memory = 1024 * MIB});
    _cleanup_free_ char *cpus = sp_format_cpulist(a->cpus, SP_MAX_CPUS);
    assert_string_equal(cpus, "4-7");
    assert_int_equal(a->nodes, 2);
    sp_partition_free(a);
    struct sp_partition *s1 = good(
        t, &no_parts,
        (struct sp_partition_req){.name = "s1", .cpus = "2", .shared = true, .memory = 64 * MIB});
    struct sp_partition_list l = {.v = &s1, .n = 1};
    /* Shared partitions may share CPUs (and need not take whole cores)... */
    struct sp_partition *s2 = good(
        t, &l,
        (struct sp_partition_req){.name = "s2", .cpus = "2", .shared = true, .memory = 64 * MIB});
    sp_partition_free(s2);
    /* ...but an exclusive one never takes a shared one's CPUs. */
    bad(t, &l, (struct sp_partition_req){.name = "x", .cpus = "2-3", .memory = MIB},
        "CPU 2 is already in partition 's1'");
    sp_partition_free(s1);
}

static void test_record_roundtrip(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("8node");
    _cleanup_free_ char *dir = sysfs_tree_path("8node");
    _cleanup_free_ char *kernel = sp_xasprintf("%s/devices/system/cpu/online", dir);
    struct sp_partition *p = good(t, &no_parts,
                                  (struct sp_partition_req){.name = "web.1",
                                                            .cpus = "2,4",
                                                            .memory = 512 * MIB,
                                                            .isolated = true,
                                                            .kernel = kernel,
                                                            .append = "console=ttyS0",
                                                            .network = "sw0"});
    assert_int_equal(p->nodes, 6);
    assert_int_equal(sp_partition_mem_per_node(p), 256 * MIB);
    p->tap = sp_xstrdup("sw0-tap1");
    p->address = sp_xstrdup("10.88.0.2/24");
    p->pid = 42;
    p->start_time = 4242;
    _cleanup_json_ json_t *j = sp_partition_to_json(p);
    _cleanup_free_ char *s = sp_json_dumps(j, true);
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(s, strlen(s), "rec", &doc, &err), 0);
    struct sp_partition *q = NULL;
    if (sp_partition_from_json(doc, &q, &err) < 0)
        fail_msg("%s", err->msg);
    assert_string_equal(q->name, "web.1");
    assert_memory_equal(q->cpus, p->cpus, sizeof(p->cpus));
    assert_int_equal(q->nodes, p->nodes);
    assert_int_equal(q->memory, p->memory);
    assert_true(q->isolated);
    assert_string_equal(q->append, "console=ttyS0");
    assert_string_equal(q->kernel, p->kernel);
    assert_true(q->kernel[0] == '/');
    assert_int_equal(q->pid, 42);
    assert_string_equal(q->network, "sw0");
    assert_string_equal(q->tap, "sw0-tap1");
    assert_string_equal(q->address, "10.88.0.2/24");
    assert_int_equal(q->start_time, 4242);
    sp_partition_free(q);
    sp_partition_free(p);
}

static void test_spec_errors_are_located(void **state)
{
    static const char spec[] = "{\n  \"name\": \"a\",\n  \"cpus\": 3\n}\n";
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(spec, strlen(spec), "spec.json", &doc, &err), 0);
    struct sp_partition_req req = {0};
    assert_int_equal(sp_partition_req_from_spec(doc, &req, &err), -1);
    if (!strstr(err->msg, "spec.json:3:") || !strstr(err->msg, "cpus"))
        fail_msg("unlocated: %s", err->msg);
    sp_error_free(&err);
    static const char spec2[] = "{\"name\": \"a\", \"cpus\": \"4-5\", \"memory\": \"1G\", "
                                "\"accel\": \"tcg\", \"frob\": 1}";
    _cleanup_jdoc_ sp_jdoc *doc2 = NULL;
    assert_int_equal(sp_jdoc_load_buf(spec2, strlen(spec2), "spec.json", &doc2, &err), 0);
    assert_int_equal(sp_partition_req_from_spec(doc2, &req, &err), -1);
    assert_non_null(strstr(err->msg, "frob"));
    sp_error_free(&err);
}

/* A record under a temporary data root, as `partition create` leaves it. */
static void save_record(const char *root, const char *name, const char *cpus, uint64_t nodes,
                        bool shared)
{
    struct sp_partition p = {
        .name = (char *)name, .nodes = nodes, .memory = 64 * MIB, .shared = shared};
    size_t n;
    sp_error *err = NULL;
    assert_int_equal(sp_parse_cpulist(cpus, p.cpus, SP_MAX_CPUS, &n, &err), 0);
    if (sp_store_save(root, &p, &err) < 0)
        fail_msg("%s", err->msg);
}

static const char *cpu_field(json_t *spec, const char *key)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(spec, "linux"), "resources"), "cpu"), key));
}

/* One resolution for `run --partition` and the OCI annotation. */
static void test_place_in_shared_partition(void **state)
{
    char root[] = "/tmp/septa-place-XXXXXX";
    assert_non_null(mkdtemp(root));
    save_record(root, "web", "4-5", 2, true);
    save_record(root, "db", "6-7", 2, false);
    sp_error *err = NULL;

    json_t *spec = json_pack("{s:{}}", "linux");
    assert_int_equal(sp_partition_place(root, "web", spec, "w", "own", &err), 0);
    assert_string_equal(cpu_field(spec, "cpus"), "4-5");
    assert_string_equal(cpu_field(spec, "mems"), "1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "annotations"),
                                                          SP_PARTITION_ANNOTATION)),
                        "web");
    json_decref(spec);

    /* Narrower than the partition: kept.  Reaching outside: refused, named. */
    spec = json_pack("{s:{s:{s:{s:s}}}}", "linux", "resources", "cpu", "cpus", "5");
    assert_int_equal(sp_partition_place(root, "web", spec, "w", "own", &err), 0);
    assert_string_equal(cpu_field(spec, "cpus"), "5");
    assert_string_equal(cpu_field(spec, "mems"), "1");
    json_decref(spec);
    spec = json_pack("{s:{s:{s:{s:s}}}}", "linux", "resources", "cpu", "mems", "0-1");
    assert_int_equal(sp_partition_place(root, "web", spec, "w", "own", &err), -1);
    assert_string_equal(err->msg, "w: mems '0-1' names node 0, which is outside the "
                                  "partition; give own within it or leave it out");
    sp_error_free(&err);
    json_decref(spec);

    /* Exclusive, unknown, a bad name, and a config of the wrong shape. */
    spec = json_pack("{s:{}}", "linux");
    assert_int_equal(sp_partition_place(root, "db", spec, "d", "own", &err), -1);
    assert_non_null(strstr(err->msg, "d: the partition is exclusive"));
    sp_error_free(&err);
    assert_int_equal(sp_partition_place(root, "nosuch", spec, "n", "own", &err), -1);
    assert_non_null(strstr(err->msg, "n: no partition named 'nosuch'"));
    sp_error_free(&err);
    assert_int_equal(sp_partition_place(root, "../db", spec, "x", "own", &err), -1);
    assert_non_null(strstr(err->msg, "x: "));
    sp_error_free(&err);
    json_decref(spec);
    spec = json_pack("{s:s}", "linux", "oops");
    assert_int_equal(sp_partition_place(root, "web", spec, "w", "own", &err), -1);
    assert_non_null(strstr(err->msg, "linux.resources.cpu: expected an object"));
    sp_error_free(&err);
    json_decref(spec);

    sp_rm_rf_at(AT_FDCWD, root, &err);
    assert_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_nodes_smt),
        cmocka_unit_test(test_eight_nodes_offline_and_hugepages),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_missing_tree),
        cmocka_unit_test(test_validate_refusals),
        cmocka_unit_test(test_validate_overlap_and_memory_accounting),
        cmocka_unit_test(test_validate_cpu_count_and_shared),
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_spec_errors_are_located),
        cmocka_unit_test(test_place_in_shared_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
