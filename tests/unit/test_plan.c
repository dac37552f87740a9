/*
 * Unit tests: the carve planner on fake 2/4/8-node sysfs trees
 * (tests/unit/data/sysfs-*), and that every plan it makes is accepted by the
 * same validation `septa partition create` uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sysfs_tree.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sp_partition_list none;

static void plan_ok(const struct sp_topology *t, const struct sp_partition_list *l, int count,
                    struct sp_plan *plan)
{
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    sp_error *err = NULL;
    if (sp_plan_make(t, &r, l, count, "p", plan, &err) < 0)
        fail_msg("plan %d: %s", count, err->msg);
}

static void expect(const struct sp_plan *plan, size_t i, const char *name, const char *cpus,
                   const char *nodes)
{
    assert_true(i < plan->n);
    _cleanup_free_ char *c = sp_format_cpulist(plan->items[i].cpus, SP_MAX_CPUS);
    _cleanup_free_ char *n = sp_format_cpulist(&plan->items[i].nodes, SP_MAX_NODES);
    assert_string_equal(plan->items[i].name, name);
    assert_string_equal(c, cpus);
    assert_string_equal(n, nodes);
    assert_true(plan->items[i].memory > 0);
    assert_true(plan->items[i].reason[0] != '\0');
}

/* Create every item in turn, as `plan --apply` does: each must pass validation. */
static void apply_all(const struct sp_topology *t, const struct sp_partition_list *base,
                      const struct sp_plan *plan)
{
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    struct sp_partition_list l = {0};
    for (size_t i = 0; i < base->n; i++) {
        l.v = sp_xrealloc(l.v, (l.n + 1) * sizeof(l.v[0]));
        l.v[l.n++] = base->v[i];
    }
    size_t owned_from = l.n;
    for (size_t i = 0; i < plan->n; i++) {
        _cleanup_free_ char *cpus = sp_format_cpulist(plan->items[i].cpus, SP_MAX_CPUS);
        _cleanup_free_ char *nodes = sp_format_cpulist(&plan->items[i].nodes, SP_MAX_NODES);
        struct sp_partition_req req = {.name = plan->items[i].name,
                                       .cpus = cpus,
                                       .nodes = nodes,
                                       .memory = plan->items[i].memory};
        struct sp_partition *p = NULL;
        sp_error *err = NULL;
        if (sp_partition_validate(t, &r, &l, &req, &p, &err) < 0)
            fail_msg("plan item %s refused: %s", req.name, err->msg);
        l.v = sp_xrealloc(l.v, (l.n + 1) * sizeof(l.v[0]));
        l.v[l.n++] = p;
    }
    for (size_t i = owned_from; i < l.n; i++)
        sp_partition_free(l.v[i]);
    free(l.v);
}

static void test_four_nodes(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("4node");
    struct sp_plan plan;
    /* CPU 0 (node 0) is the reserve: nodes 1-3 are free, one CPU each. */
    plan_ok(t, &none, 2, &plan);
    assert_int_equal(plan.n, 2);
    expect(&plan, 0, "p0", "1", "1");
    expect(&plan, 1, "p1", "2", "2");
    assert_non_null(strstr(plan.note, "node(s) 3 left free"));
    /* 90% of 256 MiB */
    assert_int_equal(plan.items[0].memory, 230 * MIB);
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 3, &plan);
    assert_int_equal(plan.n, 3);
    expect(&plan, 2, "p2", "3", "3");
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 0, &plan);
    assert_int_equal(plan.n, 3);
    sp_plan_clear(&plan);

    struct sp_reserve r;
    sp_reserve_default(t, &r);
    sp_error *err = NULL;
    assert_int_equal(sp_plan_make(t, &r, &none, 4, "p", &plan, &err), -1);
    assert_non_null(strstr(err->msg, "cannot carve 4 partitions"));
    sp_error_free(&err);
}

static void test_four_nodes_around_existing(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("4node");
    struct sp_partition existing = {.name = "p0", .nodes = 1u << 2, .memory = 100 * MIB};
    SP_BIT_SET(existing.cpus, 2);
    struct sp_partition *pv = &existing;
    struct sp_partition_list l = {.v = &pv, .n = 1};
    struct sp_plan plan;
    plan_ok(t, &l, 2, &plan);
    /* node 2 is taken, and so is the name p0 */
    expect(&plan, 0, "p1", "1", "1");
    expect(&plan, 1, "p2", "3", "3");
    apply_all(t, &l, &plan);
    sp_plan_clear(&plan);
}

static void test_two_nodes_smt(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("2node");
    struct sp_plan plan;
    /* The reserve CPU 0 takes its whole core (0-1): node 0 keeps one free core. */
    plan_ok(t, &none, 2, &plan);
    expect(&plan, 0, "p0", "2-3", "0");
    expect(&plan, 1, "p1", "4-5", "1"); /* balanced: as many cores as node 0 */
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 3, &plan);
    assert_int_equal(plan.n, 3);
    expect(&plan, 0, "p0", "2-3", "0");
    expect(&plan, 1, "p1", "4-5", "1");
    expect(&plan, 2, "p2", "6-7", "1");
    assert_int_equal(plan.items[1].memory + plan.items[2].memory, 7372 * MIB);
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 0, &plan);
    expect(&plan, 0, "p0", "2-3", "0");
    expect(&plan, 1, "p1", "4-7", "1");
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);
}

static void test_eight_nodes(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("8node");
    struct sp_plan plan;
    plan_ok(t, &none, 2, &plan);
    assert_int_equal(plan.n, 2);
    /* four whole nodes each, one CPU per node (nodes 0 and 7 have one free CPU) */
    expect(&plan, 0, "p0", "1-2,4,6", "0-3");
    expect(&plan, 1, "p1", "8,10,12,14", "4-7");
    assert_int_equal(plan.items[0].memory % (4 * MIB), 0);
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 8, &plan);
    assert_int_equal(plan.n, 8);
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    plan_ok(t, &none, 12, &plan);
    assert_int_equal(plan.n, 12);
    apply_all(t, &none, &plan);
    sp_plan_clear(&plan);

    _cleanup_json_ json_t *j = NULL;
    plan_ok(t, &none, 0, &plan);
    j = sp_plan_to_json(&plan);
    assert_int_equal(json_array_size(json_object_get(j, "partitions")), 8);
    json_t *first = json_array_get(json_object_get(j, "partitions"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "cpus")), "1");
    assert_non_null(json_object_get(first, "reason"));
    sp_plan_clear(&plan);
}

static void test_nothing_free(void **state)
{
    _cleanup_topology_ struct sp_topology *t = sysfs_tree_load("4node");
    struct sp_reserve r;
    sp_reserve_default(t, &r);
    SP_BIT_SET(r.cpus, 1);
    SP_BIT_SET(r.cpus, 2);
    SP_BIT_SET(r.cpus, 3);
    struct sp_plan plan;
    sp_error *err = NULL;
    assert_int_equal(sp_plan_make(t, &r, &none, 1, "p", &plan, &err), -1);
    assert_non_null(strstr(err->msg, "nothing to carve"));
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_nodes),    cmocka_unit_test(test_four_nodes_around_existing),
        cmocka_unit_test(test_two_nodes_smt), cmocka_unit_test(test_eight_nodes),
        cmocka_unit_test(test_nothing_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
