/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process.capabilities and process.user: parse the five capability sets and
 * apply them, together with the uid/gid switch, in the order that keeps every
 * privileged operation before the step that gives the privilege up.
 */
#include "security.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const set_names[SP_CAP_NSETS] = {
    [SP_CAP_BOUNDING] = "bounding",       [SP_CAP_EFFECTIVE] = "effective",
    [SP_CAP_INHERITABLE] = "inheritable", [SP_CAP_PERMITTED] = "permitted",
    [SP_CAP_AMBIENT] = "ambient",
};

int sp_cap_from_name(const char *name)
{
    /*
     * libcap also accepts lower case and bare numbers; the spec spells
     * capabilities "CAP_NAME", so anything else is refused here, then libcap's
     * answer is checked against its canonical name.
     */
    if (!name || strncmp(name, "CAP_", 4) != 0 || !name[4])
        return -1;
    for (const char *p = name + 4; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return -1;
    cap_value_t v;
    if (cap_from_name(name, &v) < 0 || v < 0 || v > 63)
        return -1;
    char *canon = cap_to_name(v);
    bool same = canon && strcasecmp(canon, name) == 0;
    cap_free(canon);
    return same ? (int)v : -1;
}

/* The spec's spelling ("CAP_KILL") for messages; libcap's is lower case. */
static char *cap_spec_name(int cap)
{
    char *n = cap_to_name(cap);
    char *out = sp_xstrdup(n ? n : "CAP_?");
    cap_free(n);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return out;
}

int sp_cap_last_cap(void)
{
    /* The kernel's own answer; cap_max_bits() may be libcap's compile-time one. */
    _cleanup_file_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    int last = -1;
    if (!f || fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
        return (int)cap_max_bits() - 1;
    return last;
}

void sp_caps_free(struct sp_caps *c)
{
    free(c);
}

static void caps_freep(struct sp_caps **c)
{
    sp_caps_free(*c);
}

static int parse_set(const sp_jdoc *doc, json_t *obj, const char *path, enum sp_cap_set s, int last,
                     uint64_t *bits, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(doc, obj, path, set_names[s], false, &arr, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *sp = sp_jpath_key(path, set_names[s]);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(sp, i);
        if (!json_is_string(v))
            return sp_jerr(doc, err, ip, "expected a string");
        const char *name = json_string_value(v);
        int cap = sp_cap_from_name(name);
        if (cap < 0)
            return sp_jerr(doc, err, ip, "unknown capability '%s'", name);
        if (cap > last) {
            /* As runc: a newer config on an older kernel still runs. */
            sp_warn("%s: capability %s is not supported by the running kernel, ignored", ip, name);
            continue;
        }
        *bits |= UINT64_C(1) << cap;
    }
    return 0;
}

int sp_caps_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_caps **out,
                  sp_error **err)
{
    return sp_caps_parse_for_kernel(doc, obj, path, sp_cap_last_cap(), out, err);
}

int sp_caps_parse_for_kernel(const sp_jdoc *doc, json_t *obj, const char *path, int last,
                             struct sp_caps **out, sp_error **err)
{
    __attribute__((cleanup(caps_freep))) struct sp_caps *c = sp_xcalloc(1, sizeof(*c));
    if (obj && !json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object");
    for (int s = 0; obj && s < SP_CAP_NSETS; s++)
        if (parse_set(doc, obj, path, (enum sp_cap_set)s, last, &c->sets[s], err) < 0)
            return -1;
    /* The kernel refuses these at apply time; say which name is wrong now. */
    static const struct {
        enum sp_cap_set sub, of;
    } subsets[] = {{SP_CAP_EFFECTIVE, SP_CAP_PERMITTED},
                   {SP_CAP_AMBIENT, SP_CAP_PERMITTED},
                   {SP_CAP_AMBIENT, SP_CAP_INHERITABLE}};
    for (size_t k = 0; k < SP_ARRAY_SIZE(subsets); k++) {
        uint64_t extra = c->sets[subsets[k].sub] & ~c->sets[subsets[k].of];
        if (!extra)
            continue;
        _cleanup_free_ char *name = cap_spec_name(__builtin_ctzll(extra));
        _cleanup_free_ char *sp = sp_jpath_key(path, set_names[subsets[k].sub]);
        return sp_jerr(doc, err, sp, "%s is not in the %s set (the kernel requires it)", name,
                       set_names[subsets[k].of]);
    }
    *out = sp_steal_ptr(&c);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* apply                                                                     */
/* ------------------------------------------------------------------------ */

static int drop_bounding(uint64_t keep, int last, sp_error **err)
{
    for (int cap = 0; cap <= last; cap++) {
        if (keep & (UINT64_C(1) << cap))
            continue;
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r <= 0)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            int e = errno;
            _cleanup_free_ char *name = cap_spec_name(cap);
            return sp_err(err, e, "process.capabilities.bounding: dropping %s", name);
        }
    }
    return 0;
}

/* True when /proc/self/setgroups says "deny" (unprivileged user namespaces). */
static bool setgroups_denied(void)
{
    _cleanup_file_ FILE *f = fopen("/proc/self/setgroups", "re");
    char buf[16] = "";
    return f && fgets(buf, sizeof(buf), f) && strncmp(buf, "deny", 4) == 0;
}

int sp_process_user_apply(const struct sp_user *u, sp_error **err)
{
    if (!u)
        return 0;
    /* Groups first: once the uid changes, CAP_SETGID is gone. */
    if (setgroups(u->n_additional_gids, u->additional_gids) < 0) {
        if (!(errno == EPERM && u->n_additional_gids == 0 && setgroups_denied()))
            return sp_err(err, errno, "process.user.additionalGids: setgroups(%zu groups)",
                          u->n_additional_gids);
    }
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return sp_err(err, errno, "process.user.gid: setresgid(%u)", (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return sp_err(err, errno, "process.user.uid: setresuid(%u)", (unsigned)u->uid);
    if (u->has_umask)
        umask(u->umask);
    return 0;
}

static int set_proc_caps(const struct sp_caps *c, int last, sp_error **err)
{
    cap_t caps = cap_init();
    if (!caps)
        return sp_err(err, errno, "allocating a capability state");
    static const struct {
        enum sp_cap_set s;
        cap_flag_t f;
    } map[] = {{SP_CAP_EFFECTIVE, CAP_EFFECTIVE},
               {SP_CAP_PERMITTED, CAP_PERMITTED},
               {SP_CAP_INHERITABLE, CAP_INHERITABLE}};
    for (size_t k = 0; k < SP_ARRAY_SIZE(map); k++)
        for (int cap = 0; cap <= last; cap++) {
            if (!(c->sets[map[k].s] & (UINT64_C(1) << cap)))
                continue;
            cap_value_t v = cap;
            if (cap_set_flag(caps, map[k].f, 1, &v, CAP_SET) < 0) {
                int e = errno;
                cap_free(caps);
                return sp_err(err, e, "building the capability sets");
            }
        }
    int r = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    if (r < 0)
        return sp_err(err, e,
                      "process.capabilities: setting effective, permitted and "
                      "inheritable sets");
    return 0;
}

static int raise_ambient(uint64_t ambient, int last, sp_error **err)
{
    /* Cleared first so an inherited ambient set never survives. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return sp_err(err, errno, "clearing the ambient capability set");
    for (int cap = 0; cap <= last; cap++) {
        if (!(ambient & (UINT64_C(1) << cap)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            int e = errno;
            _cleanup_free_ char *name = cap_spec_name(cap);
            return sp_err(err, e, "process.capabilities.ambient: raising %s", name);
        }
    }
    return 0;
}

int sp_caps_apply(const struct sp_caps *caps, const struct sp_user *user, sp_error **err)
{
    static const struct sp_caps none;
    const struct sp_caps *c = caps ? caps : &none;
    int last = sp_cap_last_cap();
    /* Needs CAP_SETPCAP, which only the privileged side still has. */
    if (drop_bounding(c->sets[SP_CAP_BOUNDING], last, err) < 0)
        return -1;
    /* Without KEEPCAPS, setresuid away from 0 would clear the permitted set. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return sp_err(err, errno, "prctl(PR_SET_KEEPCAPS)");
    if (sp_process_user_apply(user, err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return sp_err(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
    if (set_proc_caps(c, last, err) < 0)
        return -1;
    /* Ambient needs the capability in permitted and inheritable: set just above. */
    return raise_ambient(c->sets[SP_CAP_AMBIENT], last, err);
}

json_t *sp_caps_known(void)
{
    json_t *a = json_array();
    for (int cap = 0; cap <= sp_cap_last_cap(); cap++) {
        _cleanup_free_ char *name = cap_spec_name(cap);
        json_array_append_new(a, json_string(name));
    }
    return a;
}
