/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: records and host texts septa reads back:
 *   - runtime/cgroup.c sp_cg_v1_mount_in: a /proc/self/mountinfo text (the
 *     input) -> the v1 mount point of each controller septa uses;
 *   - partition/record.c: a partition record (the input as JSON) ->
 *     sp_partition_from_json -> sp_partition_to_json, which must parse back
 *     to the same record; a --spec file -> sp_partition_req_from_spec ->
 *     sp_partition_validate against this host's topology (read once from
 *     sysfs, read-only), the default reserve and no other partition;
 *   - images/userns.c sp_subid_parse (/etc/subuid text), images/
 *     sp_restart_policy_parse and sp_image_ref_normalize, partition names.
 * Nothing is written anywhere.
 */
#include "cgroup-internal.h"
#include "fuzz.h"
#include "images.h"
#include "partition.h"

static struct sp_topology *topo;

static void free_topo(void)
{
    sp_topology_free(topo);
}

static void partition_record(const sp_jdoc *doc)
{
    sp_error *err = NULL;
    struct sp_partition *p = NULL;
    int r = sp_partition_from_json(doc, &p, &err);
    fuzz_check(r, &err);
    if (r < 0)
        return;
    /* What septa writes, septa reads back to the same thing. */
    json_t *j = sp_partition_to_json(p);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    sp_jdoc *doc2 = NULL;
    struct sp_partition *p2 = NULL;
    if (!text || sp_jdoc_load_buf(text, strlen(text), "again.json", &doc2, &err) < 0 ||
        sp_partition_from_json(doc2, &p2, &err) < 0) {
        fprintf(stderr, "fuzz: partition record does not read back: %s\n%s\n",
                err ? err->msg : "", text ? text : "(null)");
        abort();
    }
    json_t *j2 = sp_partition_to_json(p2);
    if (!json_equal(j, j2)) {
        char *t2 = json_dumps(j2, JSON_INDENT(2) | JSON_SORT_KEYS);
        fprintf(stderr, "fuzz: partition record changes on a round trip:\n%s\n%s\n", text, t2);
        abort();
    }
    json_decref(j2);
    json_decref(j);
    free(text);
    sp_jdoc_free(doc2);
    sp_partition_free(p2);
    sp_partition_free(p);
}

static void partition_spec(const sp_jdoc *doc)
{
    sp_error *err = NULL;
    struct sp_partition_req req;
    memset(&req, 0, sizeof(req));
    int r = sp_partition_req_from_spec(doc, &req, &err);
    fuzz_check(r, &err);
    if (r < 0 || !topo)
        return;
    if (!req.name)
        req.name = "fuzz";
    struct sp_reserve res;
    sp_reserve_default(topo, &res);
    struct sp_partition_list none = {0};
    struct sp_partition *p = NULL;
    r = sp_partition_validate(topo, &res, &none, &req, &p, &err);
    fuzz_check(r, &err);
    sp_partition_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!topo) {
        sp_error *err = NULL;
        if (sp_topology_read(sp_topology_sysfs(), &topo, &err) < 0)
            abort();
        atexit(free_topo);
    }
    char *s = fuzz_str(data, size);
    for (int i = 0; i < SP_CG_NCTRL; i++)
        free(sp_cg_v1_mount_in(s, sp_cg_v1_ctrls[i]));
    free(sp_cg_v1_mount_in(s, ""));

    sp_error *err = NULL;
    uint64_t start, count;
    fuzz_check(sp_subid_parse(s, "containers", &start, &count, &err), &err);
    int limit;
    bool on_failure;
    fuzz_check(sp_restart_policy_parse(s, &limit, &on_failure, &err), &err);
    fuzz_check(sp_partition_name_check(s, &err), &err);
    free(sp_image_ref_normalize(s));
    free(s);

    sp_jdoc *doc = NULL;
    if (sp_jdoc_load_buf((const char *)data, size, "partition.json", &doc, &err) < 0) {
        sp_error_free(&err);
        return 0;
    }
    partition_record(doc);
    partition_spec(doc);
    sp_jdoc_free(doc);
    return 0;
}
