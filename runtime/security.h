/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to runtime/: the process-security pieces of a container start.
 *
 *   capabilities (caps.c)   process.capabilities, process.user (uid/gid switch)
 *   seccomp      (seccomp.c) linux.seccomp, compiled in the parent, cached
 *   rlimits      (rlimits.c) process.rlimits
 *   small bits   (security.c) process.noNewPrivileges, process.oomScoreAdj
 *   hooks        (hooks.c)   hooks.*
 *   personality  (personality.c) linux.personality
 *
 * Every parser takes the document, the JSON subtree and its path, refuses what
 * it does not understand with "config.json:L:C: PATH: reason", and never
 * touches the system.  Every apply function says in which process and at
 * which step it runs, because THE ORDER IS THE SECURITY ARGUMENT:
 *
 *   PARENT (septa, host namespaces, full privileges)
 *     P1 sp_security_parse / sp_proc_security_parse   (config parse)
 *     P2 sp_security_prepare(id, bundle, cache_dir)   (compile seccomp to BPF,
 *        or load the cached program; before clone so the child only copies it
 *        and a compile error leaves nothing to undo.  A cache_dir outside the
 *        state root, e.g. "ROOT.seccomp-cache", keeps it out of `list`)
 *     P2b sp_linux_prepare_mounts (from sp_security_prepare): id-mapped
 *        mount trees, made with the host's privileges; the init inherits them
 *     P3 sp_oom_score_adj_apply_pid (for a new user namespace, from
 *        sp_linux_write_idmaps: the init cannot open its own file there),
 *        sp_security_hooks_run(PRESTART), then (CREATE_RUNTIME), state
 *        "creating" with the init's pid: after clone and the id maps, before
 *        the child is told to go on (so before its pivot_root)
 *   CHILD (container init, its namespaces, root of its user namespace)
 *     C1 sp_security_hooks_create_container_prepare   in the container's mount
 *        namespace BEFORE pivot_root (as runc), host /proc still visible:
 *        createContainer hooks, then the seccomp listener connection
 *        (SCMP_ACT_NOTIFY) while the host's listenerPath is reachable
 *     .. rootfs, pivot_root, hostname, pty, chdir, find args[0] (runtime-core)
 *     C2 sp_security_apply: personality, oom_score_adj (needs privilege to
 *        lower), rlimits (needs CAP_SYS_RESOURCE to raise the hard limit),
 *        [seccomp here only if noNewPrivileges is false and the final
 *        effective set lacks CAP_SYS_ADMIN: loading needs one of the two],
 *        bounding set drop (needs CAP_SETPCAP), KEEPCAPS, setgroups, setresgid,
 *        setresuid, umask, capset(effective, permitted, inheritable), ambient
 *        raise, no_new_privs.  Privileged work is all before the uid change.
 *     .. READY, wait on the exec fifo (runtime-core)
 *     C3 sp_security_hooks_start_container   after the fifo (= at `start`),
 *        inside the container (after pivot_root), before seccomp so the
 *        hooks are not confined by the workload's filter.  As in runc it
 *        races with P4 unless `start` waits for the execve
 *     C4 sp_security_apply_last: LSM exec label, then seccomp, the LAST step
 *        before execve so that septa's own syscalls are not subject to the
 *        workload's filter
 *   PARENT
 *     P4 sp_security_hooks_poststart after `start` returned the init running
 *     P5 sp_security_hooks_poststop at delete (failures are warnings)
 *
 * `exec` processes use C2 and C4 with the same container sec and their own
 * process (no hooks).
 */
#ifndef SEPTA_RUNTIME_SECURITY_H
#define SEPTA_RUNTIME_SECURITY_H

#include "common.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sp_process; /* config.h */
struct sp_config;  /* config.h */

/* ------------------------------------------------------------------------ */
/* capabilities (caps.c)                                                      */
/* ------------------------------------------------------------------------ */

enum sp_cap_set {
    SP_CAP_BOUNDING,
    SP_CAP_EFFECTIVE,
    SP_CAP_INHERITABLE,
    SP_CAP_PERMITTED,
    SP_CAP_AMBIENT,
    SP_CAP_NSETS
};

/*
 * Bit n of sets[s] is capability n.  A set absent from the config is empty
 * (as the spec says), so absent "capabilities" means no capability at all.
 * Names libcap knows but the running kernel lacks were warned about and
 * skipped (as runc); names nobody knows are refused.
 */
struct sp_caps {
    uint64_t sets[SP_CAP_NSETS];
};

/* process.capabilities at `path` (an object; obj NULL = absent = all empty). */
int sp_caps_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_caps **out,
                  sp_error **err);
/* The same for a kernel whose last capability is `last` (tests pretend an older one). */
int sp_caps_parse_for_kernel(const sp_jdoc *doc, json_t *obj, const char *path, int last,
                             struct sp_caps **out, sp_error **err);
void sp_caps_free(struct sp_caps *c);
/* "CAP_NET_ADMIN" -> 12; -1 if unknown to libcap.  Case-sensitive as the spec. */
int sp_cap_from_name(const char *name);
/* The highest capability number the running kernel knows (cap_last_cap). */
int sp_cap_last_cap(void);
/* Every capability the running kernel knows, spelled as the spec does (`features`). */
json_t *sp_caps_known(void);

/*
 * CHILD, step C2.  Drops the bounding set while still privileged, keeps the
 * permitted set across the uid change (PR_SET_KEEPCAPS), switches to
 * uid/gid/additionalGids (setgroups, setresgid, setresuid) and umask, then
 * sets effective/permitted/inheritable and raises ambient.  `user` may be
 * NULL (stay root).  caps NULL = drop everything.
 */
struct sp_user {
    uid_t uid;
    gid_t gid;
    const gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    mode_t umask;
};
int sp_caps_apply(const struct sp_caps *caps, const struct sp_user *user, sp_error **err);
/* Only the uid/gid/groups/umask switch (no capability changes but KEEPCAPS off). */
int sp_process_user_apply(const struct sp_user *user, sp_error **err);

/* ------------------------------------------------------------------------ */
/* rlimits (rlimits.c)                                                        */
/* ------------------------------------------------------------------------ */

struct sp_rlimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};
struct sp_rlimits {
    struct sp_rlimit *v;
    size_t n;
};

/* process.rlimits at `path` (an array); duplicates and soft > hard refused. */
int sp_rlimits_parse(const sp_jdoc *doc, json_t *arr, const char *path, struct sp_rlimits **out,
                     sp_error **err);
void sp_rlimits_free(struct sp_rlimits *r);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, -1 if unknown; and back. */
int sp_rlimit_from_name(const char *name);
const char *sp_rlimit_name(int resource);
/*
 * CHILD, step C2, before the uid change (raising a hard limit needs
 * CAP_SYS_RESOURCE).  Error: "setting RLIMIT_NOFILE to 1048576/1048576:
 * Operation not permitted (the hard limit is 524288)".
 */
int sp_rlimits_apply(const struct sp_rlimits *r, sp_error **err);

/* ------------------------------------------------------------------------ */
/* seccomp (seccomp.c)                                                        */
/* ------------------------------------------------------------------------ */

struct sp_seccomp; /* parsed profile + (after prepare) its BPF program */

/* linux.seccomp at `path`; unknown syscalls/actions/arches/flags refused. */
int sp_seccomp_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_seccomp **out,
                     sp_error **err);
void sp_seccomp_free(struct sp_seccomp *s);
/*
 * PARENT, step P2.  Compile to classic BPF, or load it from cache_dir (key:
 * sha256 of the canonical profile JSON + libseccomp version and API level +
 * native arch).
 * cache_dir NULL: compile, no cache.  *cache_hit (may be NULL) says which.
 */
int sp_seccomp_prepare(struct sp_seccomp *s, const char *cache_dir, bool *cache_hit,
                       sp_error **err);
/* The cache key (64 hex digits + NUL) of a parsed profile. */
void sp_seccomp_cache_key(const struct sp_seccomp *s, char out[65]);
/*
 * CHILD, step C4 (or C2, see above).  Loads the prepared program with
 * seccomp(2) (flags from the profile: TSYNC, LOG, SPEC_ALLOW) or
 * prctl(PR_SET_SECCOMP).  Needs no_new_privs or CAP_SYS_ADMIN.  Compiles in
 * the child if sp_seccomp_prepare was not called.
 */
int sp_seccomp_apply(const struct sp_seccomp *s, sp_error **err);
/*
 * CHILD, step C1 (before pivot_root, while the host's listenerPath is
 * reachable): for a profile with SCMP_ACT_NOTIFY, connect to listenerPath
 * and keep the socket and the state message in the child's copy of `s`;
 * sp_seccomp_apply then loads the filter with a listener and sends its fd
 * there with the runtime-spec's container process state (pid = host pid).
 * A no-op for profiles without SCMP_ACT_NOTIFY.
 */
int sp_seccomp_listener_connect(struct sp_seccomp *s, const char *state_json, pid_t pid,
                                sp_error **err);
/* A listenerPath profile (SCMP_ACT_NOTIFY): the notify fd goes there. */
const char *sp_seccomp_listener_path(const struct sp_seccomp *s);
/*
 * features.json's linux.seccomp: actions, operators, architectures, known
 * flags and the flags this kernel supports (probed).
 */
json_t *sp_seccomp_features(void);
/* Septa's built-in default profile (an allow-list), as OCI linux.seccomp JSON. */
const char *sp_seccomp_default_profile_json(void);

/* ------------------------------------------------------------------------ */
/* hooks (hooks.c)                                                            */
/* ------------------------------------------------------------------------ */

enum sp_hook_kind {
    SP_HOOK_PRESTART,         /* parent, runtime ns, after namespaces (deprecated) */
    SP_HOOK_CREATE_RUNTIME,   /* parent, runtime ns, after namespaces, before pivot_root */
    SP_HOOK_CREATE_CONTAINER, /* child, container mount ns, before pivot_root */
    SP_HOOK_START_CONTAINER,  /* child, inside the container, before execve */
    SP_HOOK_POSTSTART,        /* parent (`start`), after the process started */
    SP_HOOK_POSTSTOP,         /* parent (`delete`), failures only warned */
    SP_HOOK_NKINDS
};

struct sp_hook {
    char *path;
    char **args;       /* NULL-terminated; NULL = { path } */
    char **env;        /* NULL-terminated; NULL = empty environment */
    int64_t timeout_s; /* 0 = none */
};
struct sp_hooks {
    struct sp_hook *v[SP_HOOK_NKINDS];
    size_t n[SP_HOOK_NKINDS];
};

const char *sp_hook_kind_name(enum sp_hook_kind k); /* "createRuntime" */
/* hooks at `path` (an object; NULL = none). */
int sp_hooks_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_hooks **out,
                   sp_error **err);
void sp_hooks_free(struct sp_hooks *h);
/*
 * Run every hook of one kind in order, each with the OCI state JSON on stdin,
 * waiting for it; a non-zero exit or the timeout (the hook is SIGKILLed) stops
 * the sequence: "hook createRuntime[0] /path: timed out after 5s".  The caller
 * is the process named in enum sp_hook_kind.  hooks NULL = nothing to run.
 */
int sp_hooks_run(const struct sp_hooks *hooks, enum sp_hook_kind kind, const char *state_json,
                 sp_error **err);

/* ------------------------------------------------------------------------ */
/* personality (personality.c)                                                */
/* ------------------------------------------------------------------------ */

struct sp_personality {
    unsigned long persona; /* PER_LINUX or PER_LINUX32 */
};
int sp_personality_parse(const sp_jdoc *doc, json_t *obj, const char *path,
                         struct sp_personality **out, sp_error **err);
/* CHILD, step C2 (any time before execve). */
int sp_personality_apply(const struct sp_personality *p, sp_error **err);

/* ------------------------------------------------------------------------ */
/* small helpers (security.c)                                                 */
/* ------------------------------------------------------------------------ */

/* CHILD, step C2: writes /proc/self/oom_score_adj (the container's /proc). */
int sp_oom_score_adj_apply(int adj, sp_error **err);
/*
 * PARENT, step P3 (after clone, before GO): the same for `pid` from the host.
 * In a user namespace the child cannot lower its score (that needs
 * CAP_SYS_RESOURCE in the host's namespace); once septa has set it, the
 * child's own write of the same value in C2 is allowed.
 */
int sp_oom_score_adj_apply_pid(pid_t pid, int adj, sp_error **err);
/* Whether the host enables the LSM an apparmorProfile / selinuxLabel needs. */
bool sp_lsm_apparmor_enabled(void);
bool sp_lsm_selinux_enabled(void);
/* CHILD, step C2, after the uid change: prctl(PR_SET_NO_NEW_PRIVS). */
int sp_no_new_privs_apply(sp_error **err);

/* ------------------------------------------------------------------------ */
/* aggregates used by config.c, container.c and exec.c                        */
/* ------------------------------------------------------------------------ */

/* Per process (config.json "process" and exec's process.json). */
struct sp_proc_security {
    struct sp_caps *caps;       /* never NULL after parse */
    struct sp_rlimits *rlimits; /* NULL = none */
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    char *apparmor_profile, *selinux_label; /* NULL when absent or the LSM is off */
};

/*
 * P1.  The security fields of a process object at `path` ("process"):
 * capabilities, rlimits, noNewPrivileges, oomScoreAdj, apparmorProfile,
 * selinuxLabel.  A profile or label for an LSM the host has not enabled is
 * ignored with a warning (as runc); otherwise it is set as the exec
 * attribute in C4 (/proc/self/attr/.../exec), so the kernel switches to it
 * at execve.
 */
int sp_proc_security_parse(const sp_jdoc *doc, json_t *process, const char *path,
                           struct sp_proc_security **out, sp_error **err);
void sp_proc_security_free(struct sp_proc_security *s);

/* Per container: seccomp, personality, hooks. */
struct sp_security {
    struct sp_seccomp *seccomp;         /* NULL = none */
    struct sp_personality *personality; /* NULL = none */
    struct sp_hooks *hooks;             /* NULL = none */
    char *id, *bundle;                  /* for hook states built in the child */
    json_t *annotations;                /* owned copy, for hook states */
    /*
     * The container's config (borrowed; set by config.c) whose host-side
     * mounts P2 prepares (sp_linux_prepare_mounts: id-mapped binds).  NULL
     * for exec, which joins the mounts the init made.
     */
    struct sp_config *config;
};

/* P1.  root: the document root ("hooks", "annotations"); linux_obj may be NULL. */
int sp_security_parse(const sp_jdoc *doc, json_t *root, json_t *linux_obj, struct sp_security **out,
                      sp_error **err);
void sp_security_free(struct sp_security *s);
/*
 * P2, in the parent before clone: compile (or load from cache_dir) the seccomp
 * program, record id and bundle for the states of in-container hooks, and
 * make the id-mapped mount trees of sec->config (the init inherits their fds).
 * sec NULL is fine (nothing to do).
 */
int sp_security_prepare(struct sp_security *sec, const char *id, const char *bundle,
                        const char *cache_dir, sp_error **err);

/*
 * For `features`: an object to merge into features.json's "linux":
 * capabilities, seccomp, apparmor and selinux ({"enabled": bool}).
 */
json_t *sp_security_features(void);

/* The OCI state document hooks get on stdin. pid 0 = omitted. */
char *sp_security_state_json(const struct sp_security *sec, const char *status, pid_t pid);
/* P3: prestart + createRuntime (or any parent-side kind) with a state document. */
int sp_security_hooks_run(const struct sp_security *sec, enum sp_hook_kind kind, json_t *state,
                          sp_error **err);
/*
 * C1: createContainer hooks, in the child before pivot_root, then the
 * seccomp listener connection (sp_seccomp_listener_connect).  The state is
 * built from sp_security_prepare's id/bundle, status "creating", and the
 * init's host pid (read from the host /proc still mounted at this step).
 * Changes only the child's copy of sec.
 */
int sp_security_hooks_create_container_prepare(struct sp_security *sec, sp_error **err);
/*
 * C3: startContainer hooks, in the child after the exec fifo, before C4.
 * host_pid: the init's pid on the host, for the state (the container's /proc
 * only knows it as 1): sp_security_host_pid() on the host /proc fd the child
 * kept open.
 */
int sp_security_hooks_start_container(const struct sp_security *sec, pid_t host_pid,
                                      sp_error **err);
/* The caller's pid as the procfs at proc_dirfd sees it (readlinkat "self"); -1 on error. */
pid_t sp_security_host_pid(int proc_dirfd);
/* C2 and C4, see the top of this file.  sec may be NULL. */
int sp_security_apply(const struct sp_security *sec, const struct sp_process *p, sp_error **err);
int sp_security_apply_last(const struct sp_security *sec, const struct sp_process *p,
                           sp_error **err);
/*
 * P4 / P5: poststart after `start`, poststop at delete.  The hooks are read
 * from ROOT/ID/config.json (the config as created, kept by state.c), or from
 * the state's bundle if that copy is absent; `state` is the OCI state.
 */
int sp_security_hooks_poststart(const char *root, json_t *state, sp_error **err);
int sp_security_hooks_poststop(const char *root, json_t *state, sp_error **err);

#endif
