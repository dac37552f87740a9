/*
 * Unit tests: OCI linux.resources parsing (for create and for update), the
 * shares -> weight conversion and the people CLI's resource defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cgroup.h"
#include "common.h"
#include "runtime.h"
#include <stdlib.h>
#include <string.h>

/*
 * Parse `text` (a whole config) in `mode`, for a new container or (update)
 * as changes to a live one; returns the error message or NULL.
 */
static char *parse_as(const char *text, enum sp_cgroup_mode mode, bool update,
                      struct sp_cgroup_resources **out)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    json_t *linux_ = json_object_get(doc->root, "linux");
    json_t *res = linux_ ? json_object_get(linux_, "resources") : NULL;
    struct sp_cgroup_resources *r = NULL;
    int rc =
        update ? sp_cgroup_resources_parse_update_mode(doc, res, "linux.resources", mode, &r, &err)
               : sp_cgroup_resources_parse_mode(doc, res, "linux.resources", mode, &r, &err);
    sp_jdoc_free(doc);
    if (rc < 0) {
        assert_null(r);
        assert_non_null(err);
        char *msg = sp_xstrdup(err->msg);
        sp_error_free(&err);
        return msg;
    }
    assert_non_null(r);
    if (out)
        *out = r;
    else
        sp_cgroup_resources_free(r);
    return NULL;
}

static char *parse(const char *text, enum sp_cgroup_mode mode, struct sp_cgroup_resources **out)
{
    return parse_as(text, mode, false, out);
}

/* Expect a refusal whose message contains every needle. */
static void refused_as(const char *text, enum sp_cgroup_mode mode, bool update, const char *n1,
                       const char *n2)
{
    char *msg = parse_as(text, mode, update, NULL);
    if (!msg)
        fail_msg("accepted: %s", text);
    if (!strstr(msg, n1) || (n2 && !strstr(msg, n2)))
        fail_msg("message '%s' lacks '%s' / '%s'", msg, n1, n2 ? n2 : "");
    free(msg);
}

static void refused(const char *text, enum sp_cgroup_mode mode, const char *n1, const char *n2)
{
    refused_as(text, mode, false, n1, n2);
}

static void test_shares_to_weight(void **state)
{
    /* runc/crun(<1.23)/kernel docs: weight = 1 + ((shares - 2) * 9999) / 262142 */
    assert_int_equal(sp_cgroup_shares_to_weight(0), 0);
    assert_int_equal(sp_cgroup_shares_to_weight(2), 1);
    assert_int_equal(sp_cgroup_shares_to_weight(1024), 39);
    assert_int_equal(sp_cgroup_shares_to_weight(512), 20);
    assert_int_equal(sp_cgroup_shares_to_weight(2048), 79);
    assert_int_equal(sp_cgroup_shares_to_weight(262144), 10000);
    /* Clamped to the v1 range, as the kernel clamps cpu.shares. */
    assert_int_equal(sp_cgroup_shares_to_weight(1), 1);
    assert_int_equal(sp_cgroup_shares_to_weight(1u << 30), 10000);
    /* Monotonic: a larger share never gets a smaller weight. */
    for (uint64_t s = 2; s < 262144; s += 97)
        assert_true(sp_cgroup_shares_to_weight(s) <= sp_cgroup_shares_to_weight(s + 97));
}

static void test_full_v2(void **state)
{
    struct sp_cgroup_resources *r = NULL;
    char *msg = parse(
        "{\"linux\":{\"resources\":{"
        "\"cpu\":{\"shares\":2048,\"quota\":10000,\"period\":100000,\"burst\":5000,\"idle\":1,"
        "\"cpus\":\"0-1,3\",\"mems\":\"0\"},"
        "\"memory\":{\"limit\":33554432,\"reservation\":16777216,\"swap\":67108864,"
        "\"checkBeforeUpdate\":true},"
        "\"pids\":{\"limit\":0},"
        "\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":100}],"
        "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
        "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"wr\"}],"
        "\"unified\":{\"memory.high\":\"30000000\"}}}}",
        SP_CGROUP_V2, &r);
    if (msg)
        fail_msg("refused: %s", msg);
    assert_true(r->cpu_shares.set);
    assert_int_equal(r->cpu_shares.v, 2048);
    assert_int_equal(r->cpu_quota.v, 10000);
    assert_int_equal(r->cpu_period.v, 100000);
    assert_int_equal(r->cpu_burst.v, 5000);
    assert_int_equal(r->cpu_idle.v, 1);
    assert_string_equal(r->cpuset_cpus, "0-1,3");
    assert_string_equal(r->cpuset_mems, "0");
    assert_int_equal(r->mem_limit.v, 33554432);
    assert_int_equal(r->mem_reservation.v, 16777216);
    assert_int_equal(r->mem_swap.v, 67108864);
    assert_true(r->mem_check_before_update);
    assert_true(r->pids_limit.set);
    assert_int_equal(r->pids_limit.v, -1); /* OCI: 0 means unlimited */
    assert_int_equal(r->blkio_weight.v, 500);
    assert_int_equal(r->n_weight_devs, 1);
    assert_int_equal(r->weight_devs[0].major, 8);
    assert_int_equal(r->weight_devs[0].weight.v, 100);
    assert_int_equal(r->n_rate_devs[SP_RATE_READ_BPS], 1);
    assert_int_equal(r->rate_devs[SP_RATE_READ_BPS][0].rate, 1048576);
    assert_int_equal(r->n_hugepages, 1);
    assert_string_equal(r->hugepages[0].pagesize, "2MB");
    assert_true(r->has_devices);
    assert_int_equal(r->n_devices, 2);
    assert_false(r->devices[0].allow);
    assert_int_equal(r->devices[0].type, 'a');
    assert_int_equal(r->devices[0].major, -1);
    assert_string_equal(r->devices[0].access, "rwm");
    assert_int_equal(r->devices[1].type, 'c');
    assert_int_equal(r->devices[1].minor, 3);
    assert_string_equal(r->devices[1].access, "rw"); /* normalised order */
    assert_int_equal(r->n_unified, 1);
    assert_string_equal(r->unified[0].key, "memory.high");
    sp_cgroup_resources_free(r);
}

static void test_absent_and_unset(void **state)
{
    struct sp_cgroup_resources *r = NULL;
    assert_null(parse("{}", SP_CGROUP_V1, &r));
    assert_false(r->cpu_shares.set || r->mem_limit.set || r->pids_limit.set || r->has_devices);
    sp_cgroup_resources_free(r);
    /* 0 means "not set" for shares and memory values, as in runc. */
    assert_null(parse("{\"linux\":{\"resources\":{\"cpu\":{\"shares\":0},"
                      "\"memory\":{\"limit\":0,\"swap\":0}}}}",
                      SP_CGROUP_V1, &r));
    assert_false(r->cpu_shares.set || r->mem_limit.set || r->mem_swap.set);
    sp_cgroup_resources_free(r);
    assert_null(parse("{\"linux\":{\"resources\":{\"memory\":{\"limit\":-1,\"swap\":-1},"
                      "\"cpu\":{\"quota\":-1}}}}",
                      SP_CGROUP_V2, &r));
    assert_int_equal(r->mem_limit.v, -1);
    assert_int_equal(r->cpu_quota.v, -1);
    sp_cgroup_resources_free(r);
}

static void test_bad_values(void **state)
{
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"quota\":-5}}}}", SP_CGROUP_V2,
            "linux.resources.cpu.quota", "out of range");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"quota\":500}}}}", SP_CGROUP_V1,
            "linux.resources.cpu.quota", "minimum");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"period\":0}}}}", SP_CGROUP_V1,
            "linux.resources.cpu.period", "out of range");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"shares\":-1}}}}", SP_CGROUP_V1,
            "linux.resources.cpu.shares", NULL);
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"shares\":1}}}}", SP_CGROUP_V1,
            "linux.resources.cpu.shares", "[2, 262144]");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-\"}}}}", SP_CGROUP_V2,
            "linux.resources.cpu.cpus", NULL);
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"mems\":\"x\"}}}}", SP_CGROUP_V2,
            "linux.resources.cpu.mems", NULL);
    refused("{\"linux\":{\"resources\":{\"memory\":{\"limit\":-2}}}}", SP_CGROUP_V2,
            "linux.resources.memory.limit", NULL);
    refused("{\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}", SP_CGROUP_V2,
            "linux.resources.memory.limit", "integer");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1000,\"swap\":10}}}}", SP_CGROUP_V1,
            "linux.resources.memory.swap", "below");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"swap\":1000}}}}", SP_CGROUP_V2,
            "linux.resources.memory.swap", "memory.limit");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"limit\":10,\"reservation\":20}}}}",
            SP_CGROUP_V2, "linux.resources.memory.reservation", NULL);
    refused("{\"linux\":{\"resources\":{\"memory\":{\"kernel\":1048576}}}}", SP_CGROUP_V1,
            "linux.resources.memory.kernel", "not supported");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"limitt\":1}}}}", SP_CGROUP_V1,
            "linux.resources.memory.limitt", "unknown field");
    refused("{\"linux\":{\"resources\":{\"pids\":{\"limit\":-7}}}}", SP_CGROUP_V2,
            "linux.resources.pids.limit", NULL);
    refused("{\"linux\":{\"resources\":{\"blockIO\":{\"weight\":5}}}}", SP_CGROUP_V2,
            "linux.resources.blockIO.weight", "[10, 1000]");
    refused("{\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}}}",
            SP_CGROUP_V2, "linux.resources.hugepageLimits[0].pageSize", "2MB");
    refused("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}}}",
            SP_CGROUP_V2, "linux.resources.devices[0].type", NULL);
    refused("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
            SP_CGROUP_V1, "linux.resources.devices[0].access", "rwm");
    refused("{\"linux\":{\"resources\":{\"devices\":[{\"type\":\"c\"}]}}}", SP_CGROUP_V1,
            "linux.resources.devices[0]", "allow");
    refused("{\"linux\":{\"resources\":{\"unified\":{\"bogus\":\"1\"}}}}", SP_CGROUP_V2,
            "linux.resources.unified.bogus", NULL);
    refused("{\"linux\":{\"resources\":{\"unified\":{\"../x.y\":\"1\"}}}}", SP_CGROUP_V2,
            "linux.resources.unified", NULL);
    refused("{\"linux\":{\"resources\":{\"unified\":{\"cgroup.procs\":\"1\"}}}}", SP_CGROUP_V2,
            "linux.resources.unified[\"cgroup.procs\"]", "manages");
    refused("{\"linux\":{\"resources\":{\"network\":{\"classID\":1}}}}", SP_CGROUP_V2,
            "linux.resources.network", "no network controller");
    refused("{\"linux\":{\"resources\":{\"frob\":{}}}}", SP_CGROUP_V2, "linux.resources.frob",
            "unknown field");
}

/* Values one cgroup version cannot express are refused, saying so. */
static void test_version_refusals(void **state)
{
    refused("{\"linux\":{\"resources\":{\"unified\":{\"memory.high\":\"1\"}}}}", SP_CGROUP_V1,
            "linux.resources.unified", "cgroup v1 host");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"idle\":1}}}}", SP_CGROUP_V1,
            "linux.resources.cpu.idle", "cgroup v1 host");
    refused("{\"linux\":{\"resources\":{\"cpu\":{\"realtimeRuntime\":1000}}}}", SP_CGROUP_V2,
            "linux.resources.cpu.realtimeRuntime", "cgroup v2 host");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"swappiness\":10}}}}", SP_CGROUP_V2,
            "linux.resources.memory.swappiness", "cgroup v2 host");
    refused("{\"linux\":{\"resources\":{\"memory\":{\"disableOOMKiller\":true}}}}", SP_CGROUP_V2,
            "linux.resources.memory.disableOOMKiller", "cgroup v2 host");
    refused("{\"linux\":{\"resources\":{\"blockIO\":{\"leafWeight\":100}}}}", SP_CGROUP_V2,
            "linux.resources.blockIO.leafWeight", "cgroup v2 host");
    /* ... and accepted where they can be expressed. */
    assert_null(parse("{\"linux\":{\"resources\":{\"cpu\":{\"realtimeRuntime\":1000},"
                      "\"memory\":{\"swappiness\":10,\"disableOOMKiller\":true}}}}",
                      SP_CGROUP_V1, NULL));
    assert_null(parse("{\"linux\":{\"resources\":{\"cpu\":{\"idle\":0}}}}", SP_CGROUP_V1, NULL));
    assert_null(parse("{\"linux\":{\"resources\":{\"unified\":{}}}}", SP_CGROUP_V1, NULL));
}

/* Errors carry the line and column of the value in config.json. */
static void test_located(void **state)
{
    char *msg = parse("{\"linux\": {\n  \"resources\": {\n    \"cpu\": {\"period\": 0}\n  }\n}}\n",
                      SP_CGROUP_V2, NULL);
    assert_non_null(msg);
    if (!strstr(msg, "config.json:3:") || !strstr(msg, "linux.resources.cpu.period"))
        fail_msg("not located: %s", msg);
    free(msg);
}

/* The host check: a CPU far beyond any test machine is refused by name. */
static void test_host_cpus(void **state)
{
    const char *text = "{\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"8000\"}}}}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    json_t *res = json_object_get(json_object_get(doc->root, "linux"), "resources");
    struct sp_cgroup_resources *r = NULL;
    int rc = sp_cgroup_resources_parse(doc, res, "linux.resources", &r, &err);
    sp_jdoc_free(doc);
    if (rc == 0) {
        sp_cgroup_resources_free(r);
        skip(); /* no /sys/devices/system/cpu/online here: nothing to check against */
    }
    assert_non_null(strstr(err->msg, "linux.resources.cpu.cpus"));
    assert_non_null(strstr(err->msg, "not present on this host"));
    sp_error_free(&err);
}

/* The same for a bare linux.resources object. */
static char *parse_res(const char *res, enum sp_cgroup_mode mode, bool update,
                       struct sp_cgroup_resources **out)
{
    _cleanup_free_ char *text = sp_xasprintf("{\"linux\":{\"resources\":%s}}", res);
    return parse_as(text, mode, update, out);
}

static void refused_res(const char *res, enum sp_cgroup_mode mode, bool update, const char *n1,
                        const char *n2)
{
    _cleanup_free_ char *text = sp_xasprintf("{\"linux\":{\"resources\":%s}}", res);
    refused_as(text, mode, update, n1, n2);
}

static void test_swap_alone(void **state)
{
    const char *swap = "{\"memory\":{\"swap\":100663296}}";
    /* A new container needs its limit; an update keeps the one in force. */
    refused_res(swap, SP_CGROUP_V1, false, "linux.resources.memory.swap", "needs memory.limit");
    refused_res(swap, SP_CGROUP_V2, false, "linux.resources.memory.swap", "needs memory.limit");
    for (int m = 1; m <= 2; m++) {
        struct sp_cgroup_resources *r = NULL;
        assert_null(parse_res(swap, (enum sp_cgroup_mode)m, true, &r));
        assert_true(r->mem_swap.set);
        assert_int_equal(r->mem_swap.v, 100663296);
        assert_false(r->mem_limit.set);
        sp_cgroup_resources_free(r);
    }
    /* Still checked against a limit given with it, and unlimited memory
     * with a finite total stays contradictory. */
    refused_res("{\"memory\":{\"limit\":67108864,\"swap\":33554432}}", SP_CGROUP_V2, true,
                "linux.resources.memory.swap", "below memory.limit");
    refused_res("{\"memory\":{\"limit\":-1,\"swap\":33554432}}", SP_CGROUP_V2, true,
                "linux.resources.memory.swap", "needs memory.limit");
    assert_null(parse_res("{\"memory\":{\"swap\":-1}}", SP_CGROUP_V1, true, NULL));
}

static void test_oom_group(void **state)
{
    struct sp_cgroup_resources *r = NULL;
    assert_null(parse_res("{\"unified\":{\"memory.oom.group\":\"1\"}}", SP_CGROUP_V2, false, &r));
    assert_int_equal(r->n_unified, 1);
    assert_string_equal(r->unified[0].key, "memory.oom.group");
    assert_string_equal(r->unified[0].value, "1");
    sp_cgroup_resources_free(r);
    refused_res("{\"unified\":{\"memory.oom.group\":\"yes\"}}", SP_CGROUP_V2, false,
                "linux.resources.unified[\"memory.oom.group\"]", "expected \"0\" or \"1\"");
    /* v1: said for this key in particular, whatever else is there. */
    refused_res("{\"unified\":{\"memory.high\":\"1\",\"memory.oom.group\":\"1\"}}", SP_CGROUP_V1,
                false, "linux.resources.unified[\"memory.oom.group\"]", "v1 has no group OOM kill");
    refused_res("{\"unified\":{\"memory.high\":\"1\"}}", SP_CGROUP_V1, false,
                "linux.resources.unified", "cgroup v1 host");
}

static void test_network(void **state)
{
    struct sp_cgroup_resources *r = NULL;
    const char *net = "{\"network\":{\"classID\":1048577,\"priorities\":["
                      "{\"name\":\"eth0\",\"priority\":500},{\"name\":\"lo\",\"priority\":0}]}}";
    assert_null(parse_res(net, SP_CGROUP_V1, false, &r));
    assert_true(r->net_classid.set);
    assert_int_equal(r->net_classid.v, 1048577);
    assert_int_equal(r->n_net_prios, 2);
    assert_string_equal(r->net_prios[0].name, "eth0");
    assert_int_equal(r->net_prios[0].priority, 500);
    assert_string_equal(r->net_prios[1].name, "lo");
    sp_cgroup_resources_free(r);
    /* v2 has no network controller: refused, never dropped. */
    refused_res(net, SP_CGROUP_V2, false, "linux.resources.network", "no network controller");
    refused_res("{\"network\":{\"priorities\":[{\"name\":\"lo\",\"priority\":1}]}}", SP_CGROUP_V2,
                false, "linux.resources.network", "cgroup v2 host");
    /* An empty object asks for nothing, on either version. */
    assert_null(parse_res("{\"network\":{}}", SP_CGROUP_V2, false, NULL));
    assert_null(parse_res("{\"network\":{\"priorities\":[]}}", SP_CGROUP_V2, false, NULL));
    refused_res("{\"network\":{\"classID\":-1}}", SP_CGROUP_V1, false,
                "linux.resources.network.classID", NULL);
    refused_res("{\"network\":{\"classID\":4294967296}}", SP_CGROUP_V1, false,
                "linux.resources.network.classID", NULL);
    refused_res("{\"network\":{\"classid\":1}}", SP_CGROUP_V1, false, "linux.resources.network",
                "classid");
    refused_res("{\"network\":{\"priorities\":[{\"name\":\"a b\",\"priority\":1}]}}", SP_CGROUP_V1,
                false, "linux.resources.network.priorities[0].name", "not a network interface");
    refused_res("{\"network\":{\"priorities\":[{\"name\":\"0123456789abcdef\",\"priority\":1}]}}",
                SP_CGROUP_V1, false, "priorities[0].name", NULL);
    refused_res("{\"network\":{\"priorities\":[{\"name\":\"lo\"}]}}", SP_CGROUP_V1, false,
                "linux.resources.network.priorities[0].priority", NULL);
}

static void test_rdma(void **state)
{
    struct sp_cgroup_resources *r = NULL;
    assert_null(parse_res("{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000},"
                          "\"rxe0\":{\"hcaObjects\":7}}}",
                          SP_CGROUP_V2, false, &r));
    assert_int_equal(r->n_rdma, 2);
    assert_string_equal(r->rdma[0].device, "mlx5_1");
    assert_int_equal(r->rdma[0].hca_handles.v, 3);
    assert_int_equal(r->rdma[0].hca_objects.v, 10000);
    assert_false(r->rdma[1].hca_handles.set); /* written as "max" */
    assert_int_equal(r->rdma[1].hca_objects.v, 7);
    sp_cgroup_resources_free(r);
    assert_null(parse_res("{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}}}", SP_CGROUP_V1, false, NULL));
    refused_res("{\"rdma\":{\"mlx5 1\":{}}}", SP_CGROUP_V2, false, "linux.resources.rdma",
                "not an RDMA device name");
    refused_res("{\"rdma\":{\"mlx5_1\":3}}", SP_CGROUP_V2, false, "linux.resources.rdma.mlx5_1",
                "expected an object");
    refused_res("{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":-2}}}", SP_CGROUP_V2, false,
                "linux.resources.rdma.mlx5_1.hcaHandles", NULL);
    refused_res("{\"rdma\":{\"mlx5_1\":{\"handles\":2}}}", SP_CGROUP_V2, false,
                "linux.resources.rdma.mlx5_1", "handles");
}

static void test_people_defaults(void **state)
{
    /* Only with a memory limit, never over what the config says, and only
     * where there is a group OOM kill (v2). */
    json_t *r = json_pack("{s:{s:I}}", "memory", "limit", (json_int_t)33554432);
    sp_runtime_people_resources(r);
    json_t *g = json_object_get(json_object_get(r, "unified"), "memory.oom.group");
    if (sp_cgroup_host_mode() == SP_CGROUP_V2)
        assert_string_equal(json_string_value(g), "1");
    else
        assert_null(g);
    json_decref(r);
    r = json_pack("{s:{s:I}, s:{s:s}}", "memory", "limit", (json_int_t)33554432, "unified",
                  "memory.oom.group", "0");
    sp_runtime_people_resources(r);
    g = json_object_get(json_object_get(r, "unified"), "memory.oom.group");
    assert_string_equal(json_string_value(g), "0");
    json_decref(r);
    r = json_pack("{s:{s:I}}", "pids", "limit", (json_int_t)10);
    sp_runtime_people_resources(r);
    assert_null(json_object_get(r, "unified"));
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_to_weight),
        cmocka_unit_test(test_full_v2),
        cmocka_unit_test(test_absent_and_unset),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_version_refusals),
        cmocka_unit_test(test_located),
        cmocka_unit_test(test_host_cpus),
        cmocka_unit_test(test_swap_alone),
        cmocka_unit_test(test_oom_group),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_rdma),
        cmocka_unit_test(test_people_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
