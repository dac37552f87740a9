/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json -> struct sp_config.  Every field septa applies is checked here,
 * with the JSON path and line of the offending value in the message, before
 * any process, mount or file exists.  Unknown properties are ignored, as the
 * runtime-spec requires; known properties septa cannot honour are refused.
 */
#include "config.h"
#include "runtime.h"
#include "security.h"
#include "cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sched.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *spec; /* name in linux.namespaces[].type */
    const char *proc; /* name under /proc/PID/ns */
    int flag;
} ns_table[SP_NS_COUNT] = {
    [SP_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [SP_NS_NET] = {"network", "net", CLONE_NEWNET},
    [SP_NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [SP_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [SP_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [SP_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [SP_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [SP_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int sp_ns_clone_flag(enum sp_ns_kind k)
{
    return ns_table[k].flag;
}

const char *sp_ns_proc_name(enum sp_ns_kind k)
{
    return ns_table[k].proc;
}

/* ------------------------------------------------------------------------ */
/* process                                                                   */
/* ------------------------------------------------------------------------ */

void sp_process_clear(struct sp_process *p)
{
    sp_strv_free(p->args);
    sp_strv_free(p->env);
    free(p->cwd);
    free(p->additional_gids);
    sp_proc_security_free(p->sec);
    memset(p, 0, sizeof(*p));
}

static int parse_user(const sp_jdoc *doc, json_t *proc, const char *path, struct sp_process *p,
                      sp_error **err)
{
    json_t *user = NULL;
    int r = sp_json_get_obj(doc, proc, path, "user", false, &user, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *up = sp_jpath_key(path, "user");
    int64_t v;
    if (sp_json_get_range(doc, user, up, "uid", false, 0, UINT32_MAX - 1, &v, err) < 0)
        return -1;
    p->uid = json_object_get(user, "uid") ? (uid_t)v : 0;
    v = 0;
    if (sp_json_get_range(doc, user, up, "gid", false, 0, UINT32_MAX - 1, &v, err) < 0)
        return -1;
    p->gid = (gid_t)v;
    r = sp_json_get_range(doc, user, up, "umask", false, 0, 0777, &v, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        p->has_umask = true;
        p->umask = (mode_t)v;
    }
    const char *uname = NULL;
    if (sp_json_get_str(doc, user, up, "username", false, &uname, err) < 0)
        return -1;
    if (uname && *uname) {
        _cleanup_free_ char *np = sp_jpath_key(up, "username");
        return sp_jerr(doc, err, np, "not supported on Linux (use uid and gid)");
    }
    json_t *gids = NULL;
    r = sp_json_get_arr(doc, user, up, "additionalGids", false, &gids, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        size_t n = json_array_size(gids);
        if (n > NGROUPS_MAX) {
            _cleanup_free_ char *gp = sp_jpath_key(up, "additionalGids");
            return sp_jerr(doc, err, gp, "more than %d groups", NGROUPS_MAX);
        }
        p->additional_gids = sp_xcalloc(n ? n : 1, sizeof(gid_t));
        p->n_additional_gids = n;
        for (size_t i = 0; i < n; i++) {
            json_t *g = json_array_get(gids, i);
            if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                json_integer_value(g) >= (json_int_t)UINT32_MAX) {
                _cleanup_free_ char *gp = sp_jpath_key(up, "additionalGids");
                _cleanup_free_ char *ip = sp_jpath_idx(gp, i);
                return sp_jerr(doc, err, ip, "expected a group id (integer 0..%u)", UINT32_MAX - 1);
            }
            p->additional_gids[i] = (gid_t)json_integer_value(g);
        }
    }
    return 0;
}

int sp_process_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_process *p,
                     sp_error **err)
{
    memset(p, 0, sizeof(*p));
    if (!json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object");
    if (sp_json_get_strv(doc, obj, path, "args", true, &p->args, err) < 0)
        return -1;
    _cleanup_free_ char *ap = sp_jpath_key(path, "args");
    if (!p->args[0])
        return sp_jerr(doc, err, ap, "must name the program to run (empty array)");
    if (!*p->args[0])
        return sp_jerr(doc, err, ap, "the program (args[0]) is an empty string");
    if (sp_json_get_strv(doc, obj, path, "env", false, &p->env, err) < 0)
        return -1;
    if (!p->env)
        p->env = sp_xcalloc(1, sizeof(char *));
    for (size_t i = 0; p->env[i]; i++) {
        if (!strchr(p->env[i], '=') || p->env[i][0] == '=') {
            _cleanup_free_ char *ep = sp_jpath_key(path, "env");
            _cleanup_free_ char *ip = sp_jpath_idx(ep, i);
            return sp_jerr(doc, err, ip, "expected KEY=VALUE, got '%s'", p->env[i]);
        }
    }
    const char *cwd = NULL;
    if (sp_json_get_str(doc, obj, path, "cwd", true, &cwd, err) < 0)
        return -1;
    if (cwd[0] != '/') {
        _cleanup_free_ char *cp = sp_jpath_key(path, "cwd");
        return sp_jerr(doc, err, cp, "must be an absolute path, got '%s'", cwd);
    }
    p->cwd = sp_xstrdup(cwd);
    if (sp_json_get_bool(doc, obj, path, "terminal", false, &p->terminal, err) < 0)
        return -1;
    json_t *cs = NULL;
    int r = sp_json_get_obj(doc, obj, path, "consoleSize", false, &cs, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *cp = sp_jpath_key(path, "consoleSize");
        int64_t h = 0, w = 0;
        if (sp_json_get_range(doc, cs, cp, "height", true, 0, 65535, &h, err) < 0 ||
            sp_json_get_range(doc, cs, cp, "width", true, 0, 65535, &w, err) < 0)
            return -1;
        p->rows = (unsigned short)h;
        p->cols = (unsigned short)w;
    }
    if (parse_user(doc, obj, path, p, err) < 0)
        return -1;
    return sp_proc_security_parse(doc, obj, path, &p->sec, err);
}

/* ------------------------------------------------------------------------ */
/* id mappings (linux.uidMappings and a mount's own)                         */
/* ------------------------------------------------------------------------ */

/* An array of {containerID, hostID, size} at `path` into maps (room for SP_MAX_IDMAPS). */
static int parse_idmap_array(const sp_jdoc *doc, json_t *arr, const char *path,
                             struct sp_idmap *maps, size_t *n, sp_error **err)
{
    if (json_array_size(arr) > SP_MAX_IDMAPS)
        return sp_jerr(doc, err, path, "more than %d ranges", SP_MAX_IDMAPS);
    size_t i;
    json_t *mj;
    json_array_foreach(arr, i, mj)
    {
        _cleanup_free_ char *p = sp_jpath_idx(path, i);
        if (!json_is_object(mj))
            return sp_jerr(doc, err, p, "expected an object");
        int64_t cid, hid, size;
        if (sp_json_get_range(doc, mj, p, "containerID", true, 0, UINT32_MAX - 1, &cid, err) < 0 ||
            sp_json_get_range(doc, mj, p, "hostID", true, 0, UINT32_MAX - 1, &hid, err) < 0 ||
            sp_json_get_range(doc, mj, p, "size", true, 1, UINT32_MAX, &size, err) < 0)
            return -1;
        maps[i] = (struct sp_idmap){(uint32_t)cid, (uint32_t)hid, (uint32_t)size};
        *n = i + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* mounts                                                                    */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct {
    const char *name;
    unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/*
 * Recursive mount attributes (runc and crun spell them this way): applied
 * with mount_setattr(AT_RECURSIVE) to the mount and every submount.  The
 * atime modes are one field, not bits: setting one clears the field first.
 */
static const struct {
    const char *name;
    bool clear;
    uint64_t attr;
} recursive_attrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static const struct {
    const char *name;
    uint64_t mode;
} recursive_atime[] = {
    {"rnoatime", MOUNT_ATTR_NOATIME},
    /* "atime" only undoes noatime: the kernel's default mode is relatime. */
    {"ratime", MOUNT_ATTR_RELATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME},
    /* Not relatime is updating on every access. */
    {"rnorelatime", MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME},
};

static bool parse_recursive_attr(const char *s, struct sp_mount *m)
{
    for (size_t k = 0; k < SP_ARRAY_SIZE(recursive_attrs); k++) {
        if (strcmp(s, recursive_attrs[k].name) != 0)
            continue;
        uint64_t a = recursive_attrs[k].attr;
        if (recursive_attrs[k].clear) {
            m->rattr_clr |= a;
            m->rattr_set &= ~a;
        } else {
            m->rattr_set |= a;
            m->rattr_clr &= ~a;
        }
        return true;
    }
    for (size_t k = 0; k < SP_ARRAY_SIZE(recursive_atime); k++) {
        if (strcmp(s, recursive_atime[k].name) != 0)
            continue;
        m->rattr_clr |= MOUNT_ATTR__ATIME;
        m->rattr_set = (m->rattr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | recursive_atime[k].mode;
        return true;
    }
    return false;
}

/* Filesystem options without a value that the kernel understands. */
static const char *const bare_fs_options[] = {
    "newinstance", "nsdelegate", "memory_recursiveprot", "noswap", "favordynmods", NULL,
};

/* Options engines add that concern them, not the kernel (SELinux relabel, copy-up). */
static const char *const engine_options[] = {"z", "Z", "tmpcopyup", "notmpcopyup", "U", NULL};

static bool in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return true;
    return false;
}

static void data_append(char **data, const char *opt)
{
    char *n = *data ? sp_xasprintf("%s,%s", *data, opt) : sp_xstrdup(opt);
    free(*data);
    *data = n;
}

int sp_mount_parse_options(const sp_jdoc *doc, const char *path, json_t *opts, struct sp_mount *m,
                           sp_error **err)
{
    size_t i;
    json_t *o;
    json_array_foreach(opts, i, o)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(path, i);
        if (!json_is_string(o))
            return sp_jerr(doc, err, ip, "expected a string");
        const char *s = json_string_value(o);
        bool done = false;
        for (size_t k = 0; k < SP_ARRAY_SIZE(mount_flags) && !done; k++) {
            if (strcmp(s, mount_flags[k].name) == 0) {
                if (mount_flags[k].clear)
                    m->flags &= ~mount_flags[k].flag;
                else
                    m->flags |= mount_flags[k].flag;
                if (mount_flags[k].flag == MS_RDONLY)
                    m->has_ro = !mount_flags[k].clear;
                done = true;
            }
        }
        for (size_t k = 0; k < SP_ARRAY_SIZE(propagation_flags) && !done; k++) {
            if (strcmp(s, propagation_flags[k].name) == 0) {
                m->propagation = propagation_flags[k].flag;
                done = true;
            }
        }
        if (done)
            continue;
        if (strcmp(s, "bind") == 0 || strcmp(s, "rbind") == 0) {
            m->bind = true;
            m->recursive = s[0] == 'r';
        } else if (strcmp(s, "idmap") == 0) {
            m->idmap = true;
        } else if (strcmp(s, "ridmap") == 0) {
            m->idmap = m->ridmap = true;
        } else if (parse_recursive_attr(s, m)) {
            continue;
        } else if (in_list(engine_options, s) || strcmp(s, "defaults") == 0) {
            continue;
        } else if (strchr(s, '=') || in_list(bare_fs_options, s) ||
                   (m->type && (strcmp(m->type, "cgroup") == 0))) {
            if (strchr(s, ','))
                return sp_jerr(doc, err, ip, "'%s': one option per array element", s);
            data_append(&m->data, s);
        } else {
            return sp_jerr(doc, err, ip, "unknown mount option '%s'", s);
        }
    }
    return 0;
}

static const char *const mount_types[] = {
    "bind",       "none",    "proc",    "sysfs",   "tmpfs", "devpts",
    "mqueue",     "cgroup",  "cgroup2", "overlay", "ramfs", "hugetlbfs",
    "securityfs", "debugfs", "tracefs", "fusectl", NULL,
};

/* A mount's own uidMappings/gidMappings (runtime-spec 1.1 id-mapped mounts). */
static int parse_mount_idmaps(const sp_jdoc *doc, json_t *mj, const char *path, struct sp_mount *m,
                              sp_error **err)
{
    json_t *u = NULL, *g = NULL;
    if (sp_json_get_arr(doc, mj, path, "uidMappings", false, &u, err) < 0 ||
        sp_json_get_arr(doc, mj, path, "gidMappings", false, &g, err) < 0)
        return -1;
    _cleanup_free_ char *up = sp_jpath_key(path, "uidMappings");
    _cleanup_free_ char *gp = sp_jpath_key(path, "gidMappings");
    bool has_u = u && json_array_size(u) > 0, has_g = g && json_array_size(g) > 0;
    if (has_u != has_g)
        return sp_jerr(doc, err, has_u ? gp : up,
                       "missing: an id-mapped mount needs both uidMappings and gidMappings");
    if (has_u) {
        m->idmap = true;
        m->uid_maps = sp_xcalloc(SP_MAX_IDMAPS, sizeof(*m->uid_maps));
        m->gid_maps = sp_xcalloc(SP_MAX_IDMAPS, sizeof(*m->gid_maps));
        if (parse_idmap_array(doc, u, up, m->uid_maps, &m->n_uid_maps, err) < 0 ||
            parse_idmap_array(doc, g, gp, m->gid_maps, &m->n_gid_maps, err) < 0)
            return -1;
    }
    if (m->idmap && !m->bind) {
        _cleanup_free_ char *op = sp_jpath_key(path, "options");
        return sp_jerr(doc, err, op, "id-mapped mounts are supported for bind mounts only, not %s",
                       m->type);
    }
    return 0;
}

static int parse_mount(const struct sp_config *c, json_t *mj, const char *path, struct sp_mount *m,
                       sp_error **err)
{
    const sp_jdoc *doc = c->doc;
    m->tree_fd = -1;
    if (!json_is_object(mj))
        return sp_jerr(doc, err, path, "expected an object");
    const char *dest = NULL, *type = NULL, *source = NULL;
    if (sp_json_get_str(doc, mj, path, "destination", true, &dest, err) < 0 ||
        sp_json_get_str(doc, mj, path, "type", false, &type, err) < 0 ||
        sp_json_get_str(doc, mj, path, "source", false, &source, err) < 0)
        return -1;
    _cleanup_free_ char *dp = sp_jpath_key(path, "destination");
    if (dest[0] != '/')
        return sp_jerr(doc, err, dp, "must be an absolute path, got '%s'", dest);
    _cleanup_free_ char *clean = sp_path_clean(dest);
    if (strcmp(clean, "/") == 0)
        return sp_jerr(doc, err, dp, "cannot mount over the container's root");
    m->destination = sp_steal_ptr(&clean);
    if (type && *type) {
        if (!in_list(mount_types, type)) {
            _cleanup_free_ char *tp = sp_jpath_key(path, "type");
            return sp_jerr(doc, err, tp, "unsupported mount type '%s'", type);
        }
        if (strcmp(type, "bind") != 0 && strcmp(type, "none") != 0)
            m->type = sp_xstrdup(type);
    }
    json_t *opts = NULL;
    if (sp_json_get_arr(doc, mj, path, "options", false, &opts, err) < 0)
        return -1;
    if (opts) {
        _cleanup_free_ char *op = sp_jpath_key(path, "options");
        if (sp_mount_parse_options(doc, op, opts, m, err) < 0)
            return -1;
    }
    if (type && strcmp(type, "bind") == 0)
        m->bind = true;
    if (m->bind && m->type) {
        /* "type": "tmpfs" with "bind" is an engine bug; say which field. */
        free(m->type);
        m->type = NULL;
    }
    if (!m->bind && !m->type) {
        _cleanup_free_ char *tp = sp_jpath_key(path, "type");
        return sp_jerr(doc, err, tp, "missing: give a filesystem type or a bind option");
    }
    if (m->bind && m->data) {
        _cleanup_free_ char *op = sp_jpath_key(path, "options");
        return sp_jerr(doc, err, op, "'%s' has no meaning for a bind mount", m->data);
    }
    if (parse_mount_idmaps(doc, mj, path, m, err) < 0)
        return -1;
    if (m->bind) {
        if (!source || !*source) {
            _cleanup_free_ char *sp = sp_jpath_key(path, "source");
            return sp_jerr(doc, err, sp, "a bind mount needs a source");
        }
        m->source = source[0] == '/' ? sp_xstrdup(source) : sp_path_join(c->bundle, source);
        struct stat st;
        if (stat(m->source, &st) < 0) {
            _cleanup_free_ char *sp = sp_jpath_key(path, "source");
            return sp_jerr(doc, err, sp, "'%s': %s", m->source, strerror(errno));
        }
    } else {
        m->source = sp_xstrdup(source && *source ? source : m->type);
    }
    return 0;
}

static int parse_mounts(struct sp_config *c, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, c->doc->root, "", "mounts", false, &arr, err);
    if (r <= 0)
        return r;
    size_t n = json_array_size(arr);
    c->mounts = sp_xcalloc(n ? n : 1, sizeof(*c->mounts));
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *p = sp_jpath_idx("mounts", i);
        c->n_mounts = i + 1;
        if (parse_mount(c, json_array_get(arr, i), p, &c->mounts[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* linux                                                                  */
/* ------------------------------------------------------------------------ */

static int parse_namespaces(struct sp_config *c, json_t *lx, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, lx, "linux", "namespaces", false, &arr, err);
    if (r <= 0)
        return r;
    size_t i;
    json_t *nj;
    json_array_foreach(arr, i, nj)
    {
        _cleanup_free_ char *p = sp_jpath_idx("linux.namespaces", i);
        if (!json_is_object(nj))
            return sp_jerr(c->doc, err, p, "expected an object");
        const char *type = NULL, *path = NULL;
        if (sp_json_get_str(c->doc, nj, p, "type", true, &type, err) < 0 ||
            sp_json_get_str(c->doc, nj, p, "path", false, &path, err) < 0)
            return -1;
        _cleanup_free_ char *tp = sp_jpath_key(p, "type");
        int k = -1;
        for (int j = 0; j < SP_NS_COUNT; j++)
            if (strcmp(ns_table[j].spec, type) == 0)
                k = j;
        if (k < 0)
            return sp_jerr(c->doc, err, tp,
                           "unknown namespace type '%s' (expected pid, network, mount, ipc, "
                           "uts, user, cgroup or time)",
                           type);
        if (c->ns[k].enabled)
            return sp_jerr(c->doc, err, tp, "namespace '%s' listed twice", type);
        c->ns[k].enabled = true;
        if (path && *path) {
            _cleanup_free_ char *pp = sp_jpath_key(p, "path");
            if (path[0] != '/')
                return sp_jerr(c->doc, err, pp, "must be an absolute path, got '%s'", path);
            struct stat st;
            if (stat(path, &st) < 0)
                return sp_jerr(c->doc, err, pp, "'%s': %s", path, strerror(errno));
            /*
             * runc and crun build the root inside a joined mount namespace:
             * they change the propagation of its "/", mount over it and
             * pivot_root, which moves the root of every process already in
             * it and detaches its old root.  Joining the host's namespace
             * that way breaks the host; joining another container's breaks
             * that container.  Refused rather than done half-way.
             */
            if (k == SP_NS_MNT)
                return sp_jerr(c->doc, err, pp,
                               "joining a mount namespace ('%s') is refused: septa builds the "
                               "root inside it (mounts, pivot_root), which would change the "
                               "mounts and the root of every process already there; share "
                               "mounts through rootfsPropagation or bind mounts, or use "
                               "'septa oci exec' in the container that owns it",
                               path);
            c->ns[k].path = sp_xstrdup(path);
        }
    }
    return 0;
}

static int parse_idmaps(struct sp_config *c, json_t *lx, const char *key, struct sp_idmap *maps,
                        size_t *n, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, lx, "linux", key, false, &arr, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *ap = sp_jpath_key("linux", key);
    if (json_array_size(arr) > 0 && !c->ns[SP_NS_USER].enabled)
        return sp_jerr(c->doc, err, ap, "id mappings need a user namespace in linux.namespaces");
    return parse_idmap_array(c->doc, arr, ap, maps, n, err);
}

static int parse_time_offsets(struct sp_config *c, json_t *lx, sp_error **err)
{
    json_t *to = NULL;
    int r = sp_json_get_obj(c->doc, lx, "linux", "timeOffsets", false, &to, err);
    if (r <= 0)
        return r;
    if (!c->ns[SP_NS_TIME].enabled || c->ns[SP_NS_TIME].path)
        return sp_jerr(c->doc, err, "linux.timeOffsets",
                       "offsets need a new time namespace in linux.namespaces");
    const char *clocks[2] = {"monotonic", "boottime"};
    int64_t *dst[2] = {c->time_offset_mono, c->time_offset_boot};
    for (int i = 0; i < 2; i++) {
        json_t *cj = NULL;
        r = sp_json_get_obj(c->doc, to, "linux.timeOffsets", clocks[i], false, &cj, err);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        _cleanup_free_ char *p = sp_jpath_key("linux.timeOffsets", clocks[i]);
        if (sp_json_get_i64(c->doc, cj, p, "secs", false, &dst[i][0], err) < 0 ||
            sp_json_get_range(c->doc, cj, p, "nanosecs", false, 0, 999999999, &dst[i][1], err) < 0)
            return -1;
    }
    c->has_time_offsets = true;
    return 0;
}

static int parse_devices(struct sp_config *c, json_t *lx, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, lx, "linux", "devices", false, &arr, err);
    if (r <= 0)
        return r;
    size_t n = json_array_size(arr);
    c->devices = sp_xcalloc(n ? n : 1, sizeof(*c->devices));
    size_t i;
    json_t *dj;
    json_array_foreach(arr, i, dj)
    {
        _cleanup_free_ char *p = sp_jpath_idx("linux.devices", i);
        struct sp_device *d = &c->devices[i];
        c->n_devices = i + 1;
        if (!json_is_object(dj))
            return sp_jerr(c->doc, err, p, "expected an object");
        const char *path = NULL, *type = NULL;
        if (sp_json_get_str(c->doc, dj, p, "path", true, &path, err) < 0 ||
            sp_json_get_str(c->doc, dj, p, "type", true, &type, err) < 0)
            return -1;
        _cleanup_free_ char *pp = sp_jpath_key(p, "path");
        if (path[0] != '/' || strstr(path, ".."))
            return sp_jerr(c->doc, err, pp, "must be an absolute path without '..', got '%s'",
                           path);
        d->path = sp_path_clean(path);
        _cleanup_free_ char *tp = sp_jpath_key(p, "type");
        if (strlen(type) != 1 || !strchr("cbpu", type[0]))
            return sp_jerr(c->doc, err, tp, "unknown device type '%s' (expected c, b, u or p)",
                           type);
        d->type = type[0] == 'u' ? 'c' : type[0];
        bool need = d->type != 'p';
        if (sp_json_get_range(c->doc, dj, p, "major", need, 0, 0xfff, &d->major, err) < 0 ||
            sp_json_get_range(c->doc, dj, p, "minor", need, 0, 0xfffff, &d->minor, err) < 0)
            return -1;
        int64_t v = 0666;
        if (sp_json_get_range(c->doc, dj, p, "fileMode", false, 0, 07777, &v, err) < 0)
            return -1;
        d->mode = (mode_t)v;
        v = 0;
        if (sp_json_get_range(c->doc, dj, p, "uid", false, 0, UINT32_MAX - 1, &v, err) < 0)
            return -1;
        d->uid = (uid_t)v;
        v = 0;
        if (sp_json_get_range(c->doc, dj, p, "gid", false, 0, UINT32_MAX - 1, &v, err) < 0)
            return -1;
        d->gid = (gid_t)v;
    }
    return 0;
}

static int parse_path_list(struct sp_config *c, json_t *lx, const char *key, char ***out,
                           sp_error **err)
{
    if (sp_json_get_strv(c->doc, lx, "linux", key, false, out, err) < 0)
        return -1;
    if (!*out)
        *out = sp_xcalloc(1, sizeof(char *));
    for (size_t i = 0; (*out)[i]; i++) {
        if ((*out)[i][0] != '/') {
            _cleanup_free_ char *kp = sp_jpath_key("linux", key);
            _cleanup_free_ char *ip = sp_jpath_idx(kp, i);
            return sp_jerr(c->doc, err, ip, "must be an absolute path, got '%s'", (*out)[i]);
        }
    }
    return 0;
}

static int parse_sysctl(struct sp_config *c, json_t *lx, sp_error **err)
{
    json_t *obj = NULL;
    int r = sp_json_get_obj(c->doc, lx, "linux", "sysctl", false, &obj, err);
    if (r <= 0)
        return r;
    c->sysctls = sp_xcalloc(json_object_size(obj) + 1, sizeof(*c->sysctls));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        _cleanup_free_ char *p = sp_jpath_key("linux.sysctl", key);
        if (!json_is_string(v))
            return sp_jerr(c->doc, err, p, "expected a string");
        if (!*key || strstr(key, "..") || strchr(key, '/') || key[0] == '.')
            return sp_jerr(c->doc, err, p, "not a sysctl name");
        /*
         * Only namespaced sysctls: anything else would change the host.  The
         * kernel enforces this too, but the message here names the field.
         */
        bool net = strncmp(key, "net.", 4) == 0;
        bool ipc = strncmp(key, "kernel.msg", 10) == 0 || strncmp(key, "kernel.sem", 10) == 0 ||
                   strncmp(key, "kernel.shm", 10) == 0 || strncmp(key, "fs.mqueue.", 10) == 0;
        bool uts = strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0;
        if (net && !c->ns[SP_NS_NET].enabled)
            return sp_jerr(c->doc, err, p, "needs a network namespace");
        if (ipc && !c->ns[SP_NS_IPC].enabled)
            return sp_jerr(c->doc, err, p, "needs an ipc namespace");
        if (uts)
            return sp_jerr(c->doc, err, p, "set it with the hostname/domainname fields");
        if (!net && !ipc)
            return sp_jerr(c->doc, err, p, "not a namespaced sysctl; it would change the host");
        struct sp_sysctl *s = &c->sysctls[c->n_sysctls++];
        s->key = sp_xstrdup(key);
        s->value = sp_xstrdup(json_string_value(v));
    }
    return 0;
}

static int parse_linux(struct sp_config *c, sp_error **err)
{
    json_t *lx = NULL;
    int r = sp_json_get_obj(c->doc, c->doc->root, "", "linux", false, &lx, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return sp_jerr(c->doc, err, "linux", "missing: septa runs Linux containers only");
    if (parse_namespaces(c, lx, err) < 0)
        return -1;
    if (!c->ns[SP_NS_MNT].enabled)
        return sp_jerr(c->doc, err, "linux.namespaces",
                       "a new mount namespace is required (septa pivots into the root)");
    if (parse_idmaps(c, lx, "uidMappings", c->uid_maps, &c->n_uid_maps, err) < 0 ||
        parse_idmaps(c, lx, "gidMappings", c->gid_maps, &c->n_gid_maps, err) < 0)
        return -1;
    if (c->ns[SP_NS_USER].enabled && !c->ns[SP_NS_USER].path &&
        (c->n_uid_maps == 0 || c->n_gid_maps == 0))
        return sp_jerr(c->doc, err, "linux.uidMappings",
                       "a new user namespace needs uidMappings and gidMappings");
    if (parse_time_offsets(c, lx, err) < 0 || parse_devices(c, lx, err) < 0 ||
        parse_path_list(c, lx, "maskedPaths", &c->masked_paths, err) < 0 ||
        parse_path_list(c, lx, "readonlyPaths", &c->readonly_paths, err) < 0 ||
        parse_sysctl(c, lx, err) < 0)
        return -1;
    const char *prop = NULL;
    if (sp_json_get_str(c->doc, lx, "linux", "rootfsPropagation", false, &prop, err) < 0)
        return -1;
    c->rootfs_propagation = MS_PRIVATE | MS_REC;
    if (prop && *prop) {
        bool found = false;
        for (size_t k = 0; k < SP_ARRAY_SIZE(propagation_flags); k++) {
            if (strcmp(prop, propagation_flags[k].name) == 0) {
                c->rootfs_propagation = propagation_flags[k].flag;
                found = true;
            }
        }
        if (!found)
            return sp_jerr(c->doc, err, "linux.rootfsPropagation", "unknown propagation '%s'",
                           prop);
    }
    const char *cgp = NULL;
    if (sp_json_get_str(c->doc, lx, "linux", "cgroupsPath", false, &cgp, err) < 0)
        return -1;
    if (cgp && *cgp)
        c->cgroups_path = sp_xstrdup(cgp);
    if (sp_json_get_obj(c->doc, lx, "linux", "resources", false, &c->resources, err) < 0)
        return -1;
    const char *label = NULL;
    if (sp_json_get_str(c->doc, lx, "linux", "mountLabel", false, &label, err) < 0)
        return -1;
    if (label && *label)
        return sp_jerr(c->doc, err, "linux.mountLabel", "SELinux labels are not supported");
    json_t *rdt = json_object_get(lx, "intelRdt");
    if (rdt && !json_is_null(rdt))
        return sp_jerr(c->doc, err, "linux.intelRdt", "Intel RDT is not supported");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the whole document                                                        */
/* ------------------------------------------------------------------------ */

static int parse_root(struct sp_config *c, sp_error **err)
{
    json_t *root = NULL;
    if (sp_json_get_obj(c->doc, c->doc->root, "", "root", true, &root, err) < 0)
        return -1;
    const char *path = NULL;
    if (sp_json_get_str(c->doc, root, "root", "path", true, &path, err) < 0 ||
        sp_json_get_bool(c->doc, root, "root", "readonly", false, &c->root_readonly, err) < 0)
        return -1;
    if (!*path)
        return sp_jerr(c->doc, err, "root.path", "empty path");
    c->rootfs = path[0] == '/' ? sp_path_clean(path) : sp_path_join(c->bundle, path);
    struct stat st;
    if (stat(c->rootfs, &st) < 0)
        return sp_jerr(c->doc, err, "root.path", "'%s': %s", c->rootfs, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sp_jerr(c->doc, err, "root.path", "'%s' is not a directory", c->rootfs);
    return 0;
}

static int parse_doc(struct sp_config *c, sp_error **err)
{
    const sp_jdoc *doc = c->doc;
    if (!json_is_object(doc->root))
        return sp_jerr(doc, err, "", "expected a JSON object");
    const char *ver = NULL;
    if (sp_json_get_str(doc, doc->root, "", "ociVersion", true, &ver, err) < 0)
        return -1;
    if (strncmp(ver, "1.", 2) != 0)
        return sp_jerr(doc, err, "ociVersion", "unsupported version '%s' (septa implements %s)",
                       ver, "1.x");
    if (parse_root(c, err) < 0)
        return -1;
    json_t *proc = NULL;
    if (sp_json_get_obj(doc, doc->root, "", "process", true, &proc, err) < 0)
        return -1;
    if (sp_process_parse(doc, proc, "process", &c->process, err) < 0)
        return -1;
    const char *s = NULL;
    if (sp_json_get_str(doc, doc->root, "", "hostname", false, &s, err) < 0)
        return -1;
    if (s && *s)
        c->hostname = sp_xstrdup(s);
    if (sp_json_get_str(doc, doc->root, "", "domainname", false, &s, err) < 0)
        return -1;
    if (s && *s)
        c->domainname = s ? sp_xstrdup(s) : NULL;
    if (sp_json_get_obj(doc, doc->root, "", "annotations", false, &c->annotations, err) < 0)
        return -1;
    if (c->annotations) {
        const char *k;
        json_t *v;
        json_object_foreach(c->annotations, k, v)
        {
            if (!json_is_string(v)) {
                _cleanup_free_ char *p = sp_jpath_key("annotations", k);
                return sp_jerr(doc, err, p, "expected a string");
            }
        }
    }
    if (parse_mounts(c, err) < 0 || parse_linux(c, err) < 0)
        return -1;
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct sp_mount *m = &c->mounts[i];
        if (m->idmap && !m->uid_maps && !c->ns[SP_NS_USER].enabled) {
            _cleanup_free_ char *p = sp_jpath_idx("mounts", i);
            _cleanup_free_ char *op = sp_jpath_key(p, "options");
            return sp_jerr(doc, err, op,
                           "'%s' without uidMappings/gidMappings uses the container's user "
                           "namespace, and linux.namespaces has none",
                           m->ridmap ? "ridmap" : "idmap");
        }
    }
    if ((c->hostname || c->domainname) && !c->ns[SP_NS_UTS].enabled)
        return sp_jerr(doc, err, c->hostname ? "hostname" : "domainname",
                       "setting it needs a uts namespace in linux.namespaces");
    if (c->hostname && strlen(c->hostname) > 64)
        return sp_jerr(doc, err, "hostname", "longer than 64 bytes");
    if (c->domainname && strlen(c->domainname) > 64)
        return sp_jerr(doc, err, "domainname", "longer than 64 bytes");
    json_t *lx = json_object_get(doc->root, "linux");
    if (sp_security_parse(doc, doc->root, lx, &c->sec, err) < 0)
        return -1;
    if (sp_cgroup_resources_parse(doc, c->resources, "linux.resources", &c->cg_res, err) < 0)
        return -1;
    c->sec->config = c;
    return 0;
}

static int config_from_doc(sp_jdoc *doc, const char *bundle, struct sp_config **out, sp_error **err)
{
    _cleanup_config_ struct sp_config *c = sp_xcalloc(1, sizeof(*c));
    c->doc = doc;
    char *abs = realpath(bundle, NULL);
    if (!abs) {
        c->doc = NULL;
        sp_jdoc_free(doc);
        return sp_err(err, errno, "bundle %s", bundle);
    }
    c->bundle = abs;
    if (parse_doc(c, err) < 0)
        return -1;
    *out = sp_steal_ptr(&c);
    return 0;
}

int sp_config_load(const char *bundle, struct sp_config **out, sp_error **err)
{
    _cleanup_free_ char *path = sp_path_join(bundle, "config.json");
    sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, "config.json", &doc, err) < 0)
        return -1;
    return config_from_doc(doc, bundle, out, err);
}

int sp_config_parse_buf(const char *buf, size_t len, const char *bundle, struct sp_config **out,
                        sp_error **err)
{
    sp_jdoc *doc = NULL;
    if (sp_jdoc_load_buf(buf, len, "config.json", &doc, err) < 0)
        return -1;
    return config_from_doc(doc, bundle, out, err);
}

void sp_config_free(struct sp_config *c)
{
    if (!c)
        return;
    sp_process_clear(&c->process);
    for (size_t i = 0; i < c->n_mounts; i++) {
        free(c->mounts[i].destination);
        free(c->mounts[i].type);
        free(c->mounts[i].source);
        free(c->mounts[i].data);
        free(c->mounts[i].uid_maps);
        free(c->mounts[i].gid_maps);
        if (c->mounts[i].tree_fd >= 0)
            close(c->mounts[i].tree_fd);
    }
    free(c->mounts);
    for (int i = 0; i < SP_NS_COUNT; i++)
        free(c->ns[i].path);
    for (size_t i = 0; i < c->n_devices; i++)
        free(c->devices[i].path);
    free(c->devices);
    for (size_t i = 0; i < c->n_sysctls; i++) {
        free(c->sysctls[i].key);
        free(c->sysctls[i].value);
    }
    free(c->sysctls);
    sp_strv_free(c->masked_paths);
    sp_strv_free(c->readonly_paths);
    free(c->hostname);
    free(c->domainname);
    free(c->cgroups_path);
    free(c->bundle);
    free(c->rootfs);
    sp_security_free(c->sec);
    sp_cgroup_resources_free(c->cg_res);
    sp_jdoc_free(c->doc);
    free(c);
}

void sp_config_freep(struct sp_config **c)
{
    sp_config_free(*c);
    *c = NULL;
}

int sp_config_check_file(const char *bundle, sp_error **err)
{
    _cleanup_config_ struct sp_config *c = NULL;
    return sp_config_load(bundle, &c, err);
}
