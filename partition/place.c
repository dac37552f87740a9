/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Containers in a --shared partition: one resolution for both ways in,
 * `septa run --partition NAME` and an OCI bundle annotated
 * org.septa.partition=NAME.  The partition's CPUs and nodes become the
 * config's linux.resources.cpu.cpus/mems before the runtime sees it, so
 * runtime/ needs to know nothing about partitions.
 */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

/* Is every bit of `want` in `have`?  The first one that is not goes to *out. */
static bool bits_subset(const uint64_t *want, const uint64_t *have, size_t words, int *out)
{
    for (size_t w = 0; w < words; w++) {
        uint64_t extra = want[w] & ~have[w];
        if (extra) {
            *out = (int)(w * 64 + (size_t)__builtin_ctzll(extra));
            return false;
        }
    }
    return true;
}

/*
 * A cpuset the config already asks for is kept when it lies inside the
 * partition (an engine narrowing a container further is legitimate); one
 * reaching outside would silently escape the slice, so it is refused.
 */
static int check_own(const char *what, const char *field, const char *own, const char *list,
                     const uint64_t *have, size_t words, const char *unit, sp_error **err)
{
    sp_cpuset_bits want = {0};
    size_t n = 0;
    _cleanup_error_ sp_error *perr = NULL;
    if (sp_parse_cpulist(list, want, words * 64, &n, &perr) < 0)
        return sp_err(err, 0, "%s: %s '%s': %s", what, field, list, perr->msg);
    int out = -1;
    if (!bits_subset(want, have, words, &out))
        return sp_err(err, 0,
                      "%s: %s '%s' names %s %d, which is outside the partition; give %s "
                      "within it or leave it out",
                      what, field, list, unit, out, own);
    return 0;
}

/* The object at a dotted path, made where missing; another type there is an error. */
static int object_at(json_t *obj, const char *path, json_t **out, sp_error **err)
{
    _cleanup_free_ char *copy = sp_xstrdup(path);
    char *save = NULL;
    for (char *key = strtok_r(copy, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
        json_t *next = json_object_get(obj, key);
        if (!next) {
            next = json_object();
            json_object_set_new(obj, key, next);
        } else if (!json_is_object(next)) {
            return sp_err(err, 0, "%s: expected an object", path);
        }
        obj = next;
    }
    *out = obj;
    return 0;
}

int sp_partition_place(const char *data_root, const char *name, json_t *spec, const char *what,
                       const char *own, sp_error **err)
{
    if (sp_partition_name_check(name, err) < 0)
        return sp_err_wrap(err, "%s", what);
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(data_root, name, &p, err) < 0)
        return sp_err_wrap(err, "%s", what);
    if (!p->shared) {
        if (p->pid > 0 && sp_guest_running(p))
            return sp_err(err, 0,
                          "%s: the partition is exclusive and its guest is running "
                          "(only --shared partitions take containers)",
                          what);
        return sp_err(err, 0,
                      "%s: the partition is exclusive; create it with --shared to run "
                      "containers in it",
                      what);
    }
    json_t *cpu = NULL;
    if (object_at(spec, "linux.resources.cpu", &cpu, err) < 0)
        return sp_err_wrap(err, "%s", what);
    const char *cpus = json_string_value(json_object_get(cpu, "cpus"));
    const char *mems = json_string_value(json_object_get(cpu, "mems"));
    if (cpus && *cpus && check_own(what, "cpus", own, cpus, p->cpus, SP_CPU_WORDS, "CPU", err) < 0)
        return -1;
    if (mems && *mems && check_own(what, "mems", own, mems, &p->nodes, 1, "node", err) < 0)
        return -1;
    _cleanup_free_ char *pcpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
    _cleanup_free_ char *pmems = sp_format_cpulist(&p->nodes, 64);
    if (!cpus || !*cpus)
        json_object_set_new(cpu, "cpus", json_string(pcpus));
    if (!mems || !*mems)
        json_object_set_new(cpu, "mems", json_string(pmems));
    json_t *ann = NULL;
    if (object_at(spec, "annotations", &ann, err) < 0)
        return sp_err_wrap(err, "%s", what);
    json_object_set_new(ann, SP_PARTITION_ANNOTATION, json_string(name));
    return 0;
}
