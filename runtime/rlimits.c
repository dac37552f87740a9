/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process.rlimits: parsed in the parent, applied in the child before the uid
 * change (raising a hard limit needs CAP_SYS_RESOURCE).
 */
#include "security.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
    const char *name;
    int resource;
} names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int sp_rlimit_from_name(const char *name)
{
    for (size_t i = 0; name && i < SP_ARRAY_SIZE(names); i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].resource;
    return -1;
}

const char *sp_rlimit_name(int resource)
{
    for (size_t i = 0; i < SP_ARRAY_SIZE(names); i++)
        if (names[i].resource == resource)
            return names[i].name;
    return "RLIMIT_?";
}

void sp_rlimits_free(struct sp_rlimits *r)
{
    if (!r)
        return;
    free(r->v);
    free(r);
}

static void rlimits_freep(struct sp_rlimits **r)
{
    sp_rlimits_free(*r);
}

/*
 * soft/hard are uint64 in the spec; jansson holds integers as int64, so the
 * largest value a config can carry is INT64_MAX, which is "unlimited" for
 * every resource in practice.
 */
static int get_limit(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                     uint64_t *out, sp_error **err)
{
    int64_t v = 0;
    if (sp_json_get_i64(doc, obj, path, key, true, &v, err) < 0)
        return -1;
    if (v < 0) {
        _cleanup_free_ char *kp = sp_jpath_key(path, key);
        return sp_jerr(doc, err, kp, "must not be negative, got %lld", (long long)v);
    }
    *out = (uint64_t)v;
    return 0;
}

int sp_rlimits_parse(const sp_jdoc *doc, json_t *arr, const char *path, struct sp_rlimits **out,
                     sp_error **err)
{
    __attribute__((cleanup(rlimits_freep))) struct sp_rlimits *r = sp_xcalloc(1, sizeof(*r));
    if (arr && !json_is_array(arr))
        return sp_jerr(doc, err, path, "expected an array");
    size_t n = arr ? json_array_size(arr) : 0;
    r->v = sp_xcalloc(n ? n : 1, sizeof(*r->v));
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(path, i);
        if (!json_is_object(e))
            return sp_jerr(doc, err, ip, "expected an object");
        const char *type = NULL;
        if (sp_json_get_str(doc, e, ip, "type", true, &type, err) < 0)
            return -1;
        int res = sp_rlimit_from_name(type);
        if (res < 0) {
            _cleanup_free_ char *tp = sp_jpath_key(ip, "type");
            return sp_jerr(doc, err, tp, "unknown rlimit '%s'", type);
        }
        for (size_t k = 0; k < r->n; k++)
            if (r->v[k].resource == res) {
                _cleanup_free_ char *tp = sp_jpath_key(ip, "type");
                return sp_jerr(doc, err, tp, "%s is given twice", type);
            }
        struct sp_rlimit *l = &r->v[r->n];
        if (get_limit(doc, e, ip, "soft", &l->soft, err) < 0 ||
            get_limit(doc, e, ip, "hard", &l->hard, err) < 0)
            return -1;
        if (l->soft > l->hard) {
            _cleanup_free_ char *sp = sp_jpath_key(ip, "soft");
            return sp_jerr(doc, err, sp, "soft limit %llu is above the hard limit %llu",
                           (unsigned long long)l->soft, (unsigned long long)l->hard);
        }
        l->resource = res;
        r->n++;
    }
    *out = sp_steal_ptr(&r);
    return 0;
}

static void fmt_limit(char *buf, size_t len, rlim_t v)
{
    if (v == RLIM_INFINITY)
        snprintf(buf, len, "unlimited");
    else
        snprintf(buf, len, "%llu", (unsigned long long)v);
}

int sp_rlimits_apply(const struct sp_rlimits *r, sp_error **err)
{
    for (size_t i = 0; r && i < r->n; i++) {
        const struct sp_rlimit *l = &r->v[i];
        struct rlimit nl = {.rlim_cur = (rlim_t)l->soft, .rlim_max = (rlim_t)l->hard};
        if (setrlimit(l->resource, &nl) == 0)
            continue;
        int e = errno;
        char soft[32], hard[32];
        fmt_limit(soft, sizeof(soft), nl.rlim_cur);
        fmt_limit(hard, sizeof(hard), nl.rlim_max);
        struct rlimit cur;
        if (getrlimit(l->resource, &cur) == 0 && nl.rlim_max > cur.rlim_max) {
            /* The usual cause: the hard limit septa was started with, or nr_open. */
            char have[32];
            fmt_limit(have, sizeof(have), cur.rlim_max);
            return sp_err(err, 0, "process.rlimits: setting %s to %s/%s: %s (the hard limit is %s)",
                          sp_rlimit_name(l->resource), soft, hard, strerror(e), have);
        }
        return sp_err(err, e, "process.rlimits: setting %s to %s/%s", sp_rlimit_name(l->resource),
                      soft, hard);
    }
    return 0;
}
