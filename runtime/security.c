/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The security steps of a container start, composed in the order security.h
 * argues for, plus the small pieces (noNewPrivileges, oomScoreAdj, LSM exec
 * labels) and the hook entry points that need a state document.
 */
#include "security.h"

#include "config.h"
#include "linux.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* small pieces                                                              */
/* ------------------------------------------------------------------------ */

/* In the effective set of the caller (root may lack it, e.g. in a confined VM). */
static bool has_cap_sys_resource(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return false;
    return d[CAP_SYS_RESOURCE / 32].effective & (1U << (CAP_SYS_RESOURCE % 32));
}

/* The kernel's only reason for EACCES on oom_score_adj: a lower score without CAP_SYS_RESOURCE. */
static const char *oom_hint(const sp_error *e)
{
    return e && e->errnum == EACCES && !has_cap_sys_resource()
               ? " (lowering the score needs CAP_SYS_RESOURCE, which septa does not have here)"
               : "";
}

int sp_oom_score_adj_apply(int adj, sp_error **err)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", adj);
    /*
     * Set already (by septa from the host, P3): done.  In a user namespace
     * the init cannot write its own file at all once its credentials changed.
     */
    _cleanup_free_ char *cur = NULL;
    size_t len = 0;
    sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, "/proc/self/oom_score_adj", 32, &cur, &len, &e) == 0 &&
        atoi(cur) == adj)
        return 0;
    sp_error_free(&e);
    if (sp_write_file(AT_FDCWD, "/proc/self/oom_score_adj", buf, err) < 0)
        return sp_err_wrap(err, "process.oomScoreAdj: setting %d%s", adj, oom_hint(*err));
    return 0;
}

int sp_oom_score_adj_apply_pid(pid_t pid, int adj, sp_error **err)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", adj);
    _cleanup_free_ char *path = sp_xasprintf("/proc/%d/oom_score_adj", (int)pid);
    if (sp_write_file(AT_FDCWD, path, buf, err) < 0)
        return sp_err_wrap(err, "process.oomScoreAdj: setting %d for pid %d%s", adj, (int)pid,
                           oom_hint(*err));
    return 0;
}

int sp_no_new_privs_apply(sp_error **err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sp_err(err, errno, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
    return 0;
}

bool sp_lsm_apparmor_enabled(void)
{
    _cleanup_file_ FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
    char c = 0;
    return f && fread(&c, 1, 1, f) == 1 && c == 'Y';
}

bool sp_lsm_selinux_enabled(void)
{
    struct stat st;
    return stat("/sys/fs/selinux/enforce", &st) == 0;
}

/*
 * Ask the LSM to switch at the next execve.  Written in C4 so that septa's
 * own remaining steps are not confined by the workload's profile.
 */
static int lsm_exec_label(const char *attr, const char *fallback, const char *value,
                          const char *field, sp_error **err)
{
    int fd = open(attr, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        fd = open(fallback, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "%s: opening %s (is /proc mounted in the container?)", field,
                      attr);
    size_t len = strlen(value);
    ssize_t w = write(fd, value, len);
    int e = errno;
    close(fd);
    if (w != (ssize_t)len)
        return sp_err(err, w < 0 ? e : EIO, "%s: setting the exec label '%s'", field, value);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* per process                                                               */
/* ------------------------------------------------------------------------ */

void sp_proc_security_free(struct sp_proc_security *s)
{
    if (!s)
        return;
    sp_caps_free(s->caps);
    sp_rlimits_free(s->rlimits);
    free(s->apparmor_profile);
    free(s->selinux_label);
    free(s);
}

static void proc_security_freep(struct sp_proc_security **s)
{
    sp_proc_security_free(*s);
}

static int parse_lsm(const sp_jdoc *doc, json_t *process, const char *path, const char *key,
                     bool enabled, char **out, sp_error **err)
{
    const char *v = NULL;
    int r = sp_json_get_str(doc, process, path, key, false, &v, err);
    if (r <= 0 || !*v)
        return r;
    if (!enabled) {
        /* As runc: a config written for hosts with the LSM still runs here. */
        sp_warn("%s.%s '%s' ignored: the host does not enable that security module", path, key, v);
        return 0;
    }
    *out = sp_xstrdup(v);
    return 0;
}

int sp_proc_security_parse(const sp_jdoc *doc, json_t *process, const char *path,
                           struct sp_proc_security **out, sp_error **err)
{
    __attribute__((cleanup(proc_security_freep))) struct sp_proc_security *s =
        sp_xcalloc(1, sizeof(*s));
    json_t *caps = NULL, *rl = NULL;
    if (sp_json_get_obj(doc, process, path, "capabilities", false, &caps, err) < 0 ||
        sp_json_get_arr(doc, process, path, "rlimits", false, &rl, err) < 0)
        return -1;
    _cleanup_free_ char *cp = sp_jpath_key(path, "capabilities");
    _cleanup_free_ char *rp = sp_jpath_key(path, "rlimits");
    if (sp_caps_parse(doc, caps, cp, &s->caps, err) < 0)
        return -1;
    if (rl && sp_rlimits_parse(doc, rl, rp, &s->rlimits, err) < 0)
        return -1;
    if (sp_json_get_bool(doc, process, path, "noNewPrivileges", false, &s->no_new_privileges, err) <
        0)
        return -1;
    int64_t adj = 0;
    int r = sp_json_get_range(doc, process, path, "oomScoreAdj", false, -1000, 1000, &adj, err);
    if (r < 0)
        return -1;
    s->has_oom_score_adj = r > 0;
    s->oom_score_adj = (int)adj;
    if (parse_lsm(doc, process, path, "apparmorProfile", sp_lsm_apparmor_enabled(),
                  &s->apparmor_profile, err) < 0 ||
        parse_lsm(doc, process, path, "selinuxLabel", sp_lsm_selinux_enabled(), &s->selinux_label,
                  err) < 0)
        return -1;
    *out = sp_steal_ptr(&s);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* per container                                                             */
/* ------------------------------------------------------------------------ */

void sp_security_free(struct sp_security *s)
{
    if (!s)
        return;
    sp_seccomp_free(s->seccomp);
    free(s->personality);
    sp_hooks_free(s->hooks);
    free(s->id);
    free(s->bundle);
    json_decref(s->annotations);
    free(s);
}

static void security_freep(struct sp_security **s)
{
    sp_security_free(*s);
}

int sp_security_parse(const sp_jdoc *doc, json_t *root, json_t *linux_obj, struct sp_security **out,
                      sp_error **err)
{
    __attribute__((cleanup(security_freep))) struct sp_security *s = sp_xcalloc(1, sizeof(*s));
    json_t *hooks = NULL;
    if (sp_json_get_obj(doc, root, "", "hooks", false, &hooks, err) < 0)
        return -1;
    if (hooks && sp_hooks_parse(doc, hooks, "hooks", &s->hooks, err) < 0)
        return -1;
    json_t *ann = json_object_get(root, "annotations");
    if (json_is_object(ann))
        s->annotations = json_deep_copy(ann);
    if (linux_obj && json_is_object(linux_obj)) {
        json_t *sc = NULL, *pers = NULL;
        if (sp_json_get_obj(doc, linux_obj, "linux", "seccomp", false, &sc, err) < 0 ||
            sp_json_get_obj(doc, linux_obj, "linux", "personality", false, &pers, err) < 0)
            return -1;
        if (sc && sp_seccomp_parse(doc, sc, "linux.seccomp", &s->seccomp, err) < 0)
            return -1;
        if (pers && sp_personality_parse(doc, pers, "linux.personality", &s->personality, err) < 0)
            return -1;
    }
    *out = sp_steal_ptr(&s);
    return 0;
}

int sp_security_prepare(struct sp_security *sec, const char *id, const char *bundle,
                        const char *cache_dir, sp_error **err)
{
    if (!sec)
        return 0;
    free(sec->id);
    free(sec->bundle);
    sec->id = id ? sp_xstrdup(id) : NULL;
    sec->bundle = bundle ? sp_xstrdup(bundle) : NULL;
    /* Needs the host's privileges, so before clone (see sp_linux_prepare_mounts). */
    if (sec->config && sp_linux_prepare_mounts(sec->config, err) < 0)
        return -1;
    if (sec->seccomp) {
        bool hit = false;
        if (sp_seccomp_prepare(sec->seccomp, cache_dir, &hit, err) < 0)
            return -1;
        sp_debug("seccomp program %s", hit ? "loaded from the cache" : "compiled");
    }
    return 0;
}

json_t *sp_security_features(void)
{
    return json_pack("{s:o, s:o, s:{s:b}, s:{s:b}}", "capabilities", sp_caps_known(), "seccomp",
                     sp_seccomp_features(), "apparmor", "enabled", sp_lsm_apparmor_enabled(),
                     "selinux", "enabled", sp_lsm_selinux_enabled());
}

/* ------------------------------------------------------------------------ */
/* hooks with a state                                                        */
/* ------------------------------------------------------------------------ */

char *sp_security_state_json(const struct sp_security *sec, const char *status, pid_t pid)
{
    _cleanup_json_ json_t *j = json_object();
    json_object_set_new(j, "ociVersion", json_string(SP_OCI_VERSION));
    json_object_set_new(j, "id", json_string(sec && sec->id ? sec->id : ""));
    json_object_set_new(j, "status", json_string(status));
    if (pid > 0)
        json_object_set_new(j, "pid", json_integer(pid));
    json_object_set_new(j, "bundle", json_string(sec && sec->bundle ? sec->bundle : ""));
    if (sec && sec->annotations)
        json_object_set(j, "annotations", sec->annotations);
    return json_dumps(j, JSON_COMPACT);
}

int sp_security_hooks_run(const struct sp_security *sec, enum sp_hook_kind kind, json_t *state,
                          sp_error **err)
{
    if (!sec || !sec->hooks || kind >= SP_HOOK_NKINDS || sec->hooks->n[kind] == 0)
        return 0;
    _cleanup_free_ char *s = json_dumps(state, JSON_COMPACT);
    return sp_hooks_run(sec->hooks, kind, s, err);
}

pid_t sp_security_host_pid(int proc_dirfd)
{
    char buf[32];
    ssize_t n = readlinkat(proc_dirfd, "self", buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end = NULL;
    long v = strtol(buf, &end, 10);
    return (*end || v <= 0 || v > INT_MAX) ? -1 : (pid_t)v;
}

static int hooks_in_child(const struct sp_security *sec, enum sp_hook_kind kind, const char *status,
                          pid_t pid, sp_error **err)
{
    if (!sec || !sec->hooks || sec->hooks->n[kind] == 0)
        return 0;
    if (!sec->id)
        return sp_err(err, 0,
                      "hook %s: the container's id is unknown (sp_security_prepare "
                      "was not called)",
                      sp_hook_kind_name(kind));
    _cleanup_free_ char *s = sp_security_state_json(sec, status, pid);
    return sp_hooks_run(sec->hooks, kind, s, err);
}

int sp_security_hooks_create_container_prepare(struct sp_security *sec, sp_error **err)
{
    if (!sec)
        return 0;
    /* Before pivot_root the host /proc is still /proc: its "self" is the host pid. */
    pid_t pid = 0;
    _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (proc >= 0)
        pid = sp_security_host_pid(proc);
    if (hooks_in_child(sec, SP_HOOK_CREATE_CONTAINER, "creating", pid, err) < 0)
        return -1;
    if (!sec->seccomp)
        return 0;
    _cleanup_free_ char *state = sp_security_state_json(sec, "creating", pid);
    return sp_seccomp_listener_connect(sec->seccomp, state, pid, err);
}

int sp_security_hooks_start_container(const struct sp_security *sec, pid_t host_pid, sp_error **err)
{
    return hooks_in_child(sec, SP_HOOK_START_CONTAINER, "created", host_pid, err);
}

/* The hooks of a created container: its saved config, else its bundle's. */
static int load_hooks(const char *root, json_t *state, struct sp_hooks **out, sp_error **err)
{
    const char *id = json_string_value(json_object_get(state, "id"));
    const char *bundle = json_string_value(json_object_get(state, "bundle"));
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (root && id) {
        _cleanup_free_ char *dir = sp_path_join(root, id);
        _cleanup_free_ char *p = sp_path_join(dir, "config.json");
        if (access(p, F_OK) == 0 && sp_jdoc_load_file(p, "config.json", &doc, err) < 0)
            return -1;
    }
    if (!doc && bundle) {
        _cleanup_free_ char *p = sp_path_join(bundle, "config.json");
        if (sp_jdoc_load_file(p, "config.json", &doc, err) < 0)
            return -1;
    }
    *out = NULL;
    if (!doc)
        return 0;
    json_t *hooks = NULL;
    if (sp_json_get_obj(doc, doc->root, "", "hooks", false, &hooks, err) < 0)
        return -1;
    return hooks ? sp_hooks_parse(doc, hooks, "hooks", out, err) : 0;
}

static int hooks_from_state(const char *root, json_t *state, enum sp_hook_kind kind, sp_error **err)
{
    struct sp_hooks *h = NULL;
    if (load_hooks(root, state, &h, err) < 0)
        return -1;
    _cleanup_free_ char *s = json_dumps(state, JSON_COMPACT);
    int r = sp_hooks_run(h, kind, s, err);
    sp_hooks_free(h);
    return r;
}

int sp_security_hooks_poststart(const char *root, json_t *state, sp_error **err)
{
    return hooks_from_state(root, state, SP_HOOK_POSTSTART, err);
}

int sp_security_hooks_poststop(const char *root, json_t *state, sp_error **err)
{
    return hooks_from_state(root, state, SP_HOOK_POSTSTOP, err);
}

/* ------------------------------------------------------------------------ */
/* apply                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Loading a filter needs no_new_privs or CAP_SYS_ADMIN in the effective set.
 * Without the first and once the second is dropped, the only moment left is
 * before the capability change (runc does the same); the profile then also
 * governs septa's last steps, which a sane profile allows.
 */
static bool seccomp_early(const struct sp_security *sec, const struct sp_process *p)
{
    if (!sec || !sec->seccomp)
        return false;
    const struct sp_proc_security *ps = p ? p->sec : NULL;
    if (ps && ps->no_new_privileges)
        return false;
    return !(ps && ps->caps && (ps->caps->sets[SP_CAP_EFFECTIVE] & (UINT64_C(1) << CAP_SYS_ADMIN)));
}

int sp_security_apply(const struct sp_security *sec, const struct sp_process *p, sp_error **err)
{
    const struct sp_proc_security *ps = p ? p->sec : NULL;
    if (sec && sp_personality_apply(sec->personality, err) < 0)
        return -1;
    /* Lowering the score is a privileged write: before the capability drop. */
    if (ps && ps->has_oom_score_adj && sp_oom_score_adj_apply(ps->oom_score_adj, err) < 0)
        return -1;
    /* Raising a hard limit needs CAP_SYS_RESOURCE: before the capability drop. */
    if (ps && sp_rlimits_apply(ps->rlimits, err) < 0)
        return -1;
    if (seccomp_early(sec, p) && sp_seccomp_apply(sec->seccomp, err) < 0)
        return -1;
    struct sp_user u = {0};
    if (p)
        u = (struct sp_user){.uid = p->uid,
                             .gid = p->gid,
                             .additional_gids = p->additional_gids,
                             .n_additional_gids = p->n_additional_gids,
                             .has_umask = p->has_umask,
                             .umask = p->umask};
    if (sp_caps_apply(ps ? ps->caps : NULL, p ? &u : NULL, err) < 0)
        return -1;
    if (ps && ps->no_new_privileges && sp_no_new_privs_apply(err) < 0)
        return -1;
    return 0;
}

int sp_security_apply_last(const struct sp_security *sec, const struct sp_process *p,
                           sp_error **err)
{
    const struct sp_proc_security *ps = p ? p->sec : NULL;
    if (ps && ps->apparmor_profile) {
        /* AppArmor's syntax for "change to this profile at the next exec". */
        _cleanup_free_ char *v = sp_xasprintf("exec %s", ps->apparmor_profile);
        if (lsm_exec_label("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", v,
                           "process.apparmorProfile", err) < 0)
            return -1;
    }
    if (ps && ps->selinux_label &&
        lsm_exec_label("/proc/self/attr/exec", "/proc/self/attr/exec", ps->selinux_label,
                       "process.selinuxLabel", err) < 0)
        return -1;
    if (sec && sec->seccomp && !seccomp_early(sec, p))
        return sp_seccomp_apply(sec->seccomp, err);
    return 0;
}
