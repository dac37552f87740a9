/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by runtime/cgroup*.c only: the handle and the cgroupfs helpers. */
#ifndef SEPTA_CGROUP_INTERNAL_H
#define SEPTA_CGROUP_INTERNAL_H

#include "cgroup.h"

/* v1 controllers septa uses, by index; on v2 only index 0 is used. */
enum {
    SP_CG_CPU = 0,
    SP_CG_CPUACCT,
    SP_CG_CPUSET,
    SP_CG_MEMORY,
    SP_CG_PIDS,
    SP_CG_BLKIO,
    SP_CG_DEVICES,
    SP_CG_FREEZER,
    SP_CG_HUGETLB,
    SP_CG_NET_CLS,
    SP_CG_NET_PRIO,
    SP_CG_RDMA,
    SP_CG_NCTRL,
};
#define SP_CG_V2 0

extern const char *const sp_cg_v1_ctrls[SP_CG_NCTRL];

/* The v1 mount point of `ctrl` in a /proc/self/mountinfo text (malloc'd), or NULL. */
char *sp_cg_v1_mount_in(const char *mountinfo, const char *ctrl);

struct sp_cgroup {
    enum sp_cgroup_mode mode;
    char *path;             /* logical path, e.g. "/septa/abc" */
    char *dir[SP_CG_NCTRL]; /* absolute directory per controller (v2: [0]) */
    int fd[SP_CG_NCTRL];    /* O_DIRECTORY fds, -1 when absent */
    char **owned_parents;   /* parent directories to remove with the cgroup */
};

/* Write / read one cgroupfs file of controller `ctrl`; errors name the path. */
int sp_cg_write(struct sp_cgroup *cg, int ctrl, const char *file, const char *value,
                sp_error **err);
int sp_cg_read(struct sp_cgroup *cg, int ctrl, const char *file, char **out, sp_error **err);
int sp_cg_read_u64(struct sp_cgroup *cg, int ctrl, const char *file, uint64_t *out, sp_error **err);
/* Returns 1 when the key was found, 0 when not (out = 0), -1 on error. */
int sp_cg_read_keyed(struct sp_cgroup *cg, int ctrl, const char *file, const char *key,
                     uint64_t *out, sp_error **err);
bool sp_cg_has_file(struct sp_cgroup *cg, int ctrl, const char *file);

/*
 * sp_cgroup_create with a choice: devices=false leaves device access alone
 * (cpuset partitions hold a VMM that needs /dev/kvm and friends).
 */
int sp_cg_create_ex(const char *cgroups_path, const char *id, const struct sp_cgroup_resources *res,
                    bool devices, struct sp_cgroup **out, sp_error **err);
/* Open an existing cgroup by absolute path (no mkdir); absent dirs stay -1. */
int sp_cg_open_path(const char *path, struct sp_cgroup **out, sp_error **err);

/* Apply resources; creating: also install the default device rules. cgroup-apply.c */
int sp_cg_apply(struct sp_cgroup *cg, const struct sp_cgroup_resources *res, bool creating,
                sp_error **err);

/*
 * cgroup-bpf.c: build, load and attach a BPF_PROG_TYPE_CGROUP_DEVICE program
 * enforcing `rules` (last matching rule wins, default deny) on a v2 cgroup
 * fd; replaces a program septa attached before.
 */
int sp_cg_bpf_devices(int cgroup_fd, const struct sp_cgroup_device_rule *rules, size_t n,
                      sp_error **err);

/* The device rules every container gets (runc's default allow list). */
extern const struct sp_cgroup_device_rule sp_cg_default_devices[];
extern const size_t sp_cg_n_default_devices;

#endif
