/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to runtime/: config.json as a validated C structure.  Everything a
 * container needs is checked here, before any process or file is created, so
 * that a bad config is refused with its JSON path and nothing to undo.
 */
#ifndef SEPTA_RUNTIME_CONFIG_H
#define SEPTA_RUNTIME_CONFIG_H

#include "common.h"

#include <stdint.h>
#include <sys/types.h>

struct sp_security;
struct sp_proc_security;
struct sp_cgroup_resources;

enum sp_ns_kind {
    SP_NS_PID,
    SP_NS_NET,
    SP_NS_MNT,
    SP_NS_IPC,
    SP_NS_UTS,
    SP_NS_USER,
    SP_NS_CGROUP,
    SP_NS_TIME,
    SP_NS_COUNT
};

struct sp_ns {
    bool enabled; /* listed in linux.namespaces */
    char *path;   /* join this one instead of creating one */
};

struct sp_idmap {
    uint32_t container_id, host_id, size;
};

struct sp_mount {
    char *destination;         /* absolute path inside the container */
    char *type;                /* NULL for a bind mount */
    char *source;              /* host path (binds: resolved against the bundle) */
    unsigned long flags;       /* MS_* set by the options */
    unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE | MS_REC, or 0 */
    bool bind, recursive;      /* bind or rbind */
    bool has_ro;               /* "ro" given: binds need a remount */
    char *data;                /* filesystem options (size=, mode=, ...) */
    /*
     * rro, rnosuid, ...: MOUNT_ATTR_* set and cleared with mount_setattr
     * (AT_RECURSIVE), so that submounts of an rbind get them too, which a
     * remount cannot do.
     */
    uint64_t rattr_set, rattr_clr;
    /*
     * An id-mapped bind ("idmap", "ridmap" or the mount's own uidMappings /
     * gidMappings): files owned by containerID on the source appear owned by
     * hostID.  No mappings: the container's user namespace's.
     */
    bool idmap, ridmap;
    struct sp_idmap *uid_maps, *gid_maps;
    size_t n_uid_maps, n_gid_maps;
    /*
     * The detached, id-mapped tree septa made on the host before clone
     * (sp_linux_prepare_mounts), inherited by the init, which attaches it
     * with move_mount; -1 otherwise.
     */
    int tree_fd;
};

struct sp_device {
    char *path;
    char type; /* 'c', 'b', 'p' ('u' is read as 'c') */
    int64_t major, minor;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

struct sp_sysctl {
    char *key, *value;
};

#define SP_MAX_IDMAPS 340 /* the kernel's limit per map */

/* process: shared by config.json and `exec --process`. */
struct sp_process {
    char **args;
    char **env;
    char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    mode_t umask;
    bool terminal;
    unsigned short rows, cols;
    struct sp_proc_security *sec; /* capabilities, rlimits, nnp, ... (security.h) */
};

struct sp_config {
    sp_jdoc *doc; /* kept for located errors and for hooks/security */
    char *bundle; /* absolute bundle path */
    char *rootfs; /* absolute host path of root.path */
    bool root_readonly;
    struct sp_process process;
    char *hostname, *domainname;
    struct sp_mount *mounts;
    size_t n_mounts;
    struct sp_ns ns[SP_NS_COUNT];
    struct sp_idmap uid_maps[SP_MAX_IDMAPS], gid_maps[SP_MAX_IDMAPS];
    size_t n_uid_maps, n_gid_maps;
    int64_t time_offset_mono[2], time_offset_boot[2]; /* secs, nanosecs */
    bool has_time_offsets;
    struct sp_device *devices;
    size_t n_devices;
    char **masked_paths, **readonly_paths;
    unsigned long rootfs_propagation; /* MS_* | MS_REC */
    struct sp_sysctl *sysctls;
    size_t n_sysctls;
    char *cgroups_path;
    json_t *resources;                  /* linux.resources (borrowed from doc) */
    struct sp_cgroup_resources *cg_res; /* parsed for this host's cgroup mode */
    json_t *annotations;                /* borrowed from doc */
    struct sp_security *sec;            /* seccomp, hooks, personality (security.h) */
};

/* The CLONE_NEW* flag of a namespace kind and its /proc/PID/ns name. */
int sp_ns_clone_flag(enum sp_ns_kind k);
const char *sp_ns_proc_name(enum sp_ns_kind k);

/* Load BUNDLE/config.json into *out; errors name the JSON path. */
int sp_config_load(const char *bundle, struct sp_config **out, sp_error **err);
/* Parse a config from a buffer (unit tests); bundle is used for relative paths. */
int sp_config_parse_buf(const char *buf, size_t len, const char *bundle, struct sp_config **out,
                        sp_error **err);
void sp_config_free(struct sp_config *c);
void sp_config_freep(struct sp_config **c);
#define _cleanup_config_ _cleanup_(sp_config_freep)

/* Parse a process object at `path` (config.json's "process" or exec's file). */
int sp_process_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_process *p,
                     sp_error **err);
void sp_process_clear(struct sp_process *p);

/* Parse one mount option list into flags/propagation/data/rattr_* (idmap flags too). */
int sp_mount_parse_options(const sp_jdoc *doc, const char *path, json_t *opts, struct sp_mount *m,
                           sp_error **err);

#endif
