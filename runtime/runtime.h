/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime/: the one public header of septa's OCI runtime.
 *
 * Given an OCI bundle (config.json + rootfs) the runtime creates, starts,
 * signals, inspects and deletes containers exactly as runc would, keeping one
 * state directory per container under a runtime root (`--root`).  cli/ and
 * images/ use only what is declared here.
 */
#ifndef SEPTA_RUNTIME_H
#define SEPTA_RUNTIME_H

#include "common.h"

#include <stdbool.h>
#include <sys/types.h>

/* The OCI runtime-spec version septa implements. */
#define SP_OCI_VERSION "1.2.0"

/* Options of `create` and `run`. */
struct sp_create_opts {
    const char *bundle;         /* bundle directory (default: cwd) */
    const char *pid_file;       /* write the init's host pid here */
    const char *console_socket; /* AF_UNIX socket that receives the pty master */
    bool detach;                /* run: return after start instead of waiting */
    int preserve_fds;           /* extra fds (3..3+n-1) passed to the container */
    /* The config to use instead of BUNDLE/config.json: the CLI's resolved copy
     * (a partition annotation turned into a cpuset), or NULL. */
    const char *config_json;
};

/* Options of `exec`. */
struct sp_exec_opts {
    const char *process_file; /* --process: a process.json; else the fields below */
    char **args;              /* command and arguments */
    char **env;               /* extra KEY=VALUE, appended to the container's env */
    const char *cwd;
    const char *user; /* "UID[:GID]" */
    bool tty;
    bool detach;
    const char *pid_file;
    const char *console_socket;
    int preserve_fds;
    /* runc's exec flags on top of the container's process (not with --process): */
    char **caps;               /* --cap NAME: added to bounding, effective, permitted (+ambient) */
    bool no_new_privs;         /* --no-new-privs */
    const char *apparmor;      /* --apparmor PROFILE (refused if AppArmor is off) */
    const char *process_label; /* --process-label LABEL (refused if SELinux is off) */
};

/*
 * Create a container `id` from a bundle: its init is set up completely and
 * then waits until sp_container_start().  On failure nothing is left behind
 * (no state directory, no process, no cgroup); a missing or non-executable
 * process.args[0] fails with exit status 127 / 126.
 */
int sp_container_create(const char *root, const char *id, const struct sp_create_opts *o,
                        sp_error **err);
/* Let a created container's init exec the user process. */
int sp_container_start(const char *root, const char *id, sp_error **err);
/*
 * create + start.  Detached: returns 0 once started.  Foreground: forwards
 * signals, reaps orphans as a subreaper, deletes the container when its init
 * exits and stores the init's exit status (128+n for a signal) in *status.
 */
int sp_container_run(const char *root, const char *id, const struct sp_create_opts *o, int *status,
                     sp_error **err);
/* The OCI state document of one container (status computed now). */
int sp_container_state(const char *root, const char *id, json_t **out, sp_error **err);
/* Signal the init (or, with all, every process of the container). */
int sp_container_kill(const char *root, const char *id, int sig, bool all, sp_error **err);
/*
 * Remove every trace of a stopped container; with force, kill it first.
 * With force a container that does not exist is not an error.
 */
int sp_container_delete(const char *root, const char *id, bool force, sp_error **err);
/* An array of state documents, one per container under root, sorted by id. */
int sp_container_list(const char *root, json_t **out, sp_error **err);
/* Host pids of every process of the container (sorted). */
int sp_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, sp_error **err);
/*
 * Run a new process inside a running container.  Foreground: *status gets its
 * exit status; detached: 0 once it runs.
 */
int sp_container_exec(const char *root, const char *id, const struct sp_exec_opts *o, int *status,
                      sp_error **err);

/*
 * CVE-2019-5736: a process in the container must never be able to open and
 * rewrite the septa binary through /proc/PID/exe.  Before create, run and
 * exec, septa re-executes itself from a sealed memfd copy (once; a no-op when
 * already running from one).  Returns 0 when already running from the sealed
 * copy, -1 on failure; otherwise it does not return.
 */
int sp_runtime_protect_exe(sp_error **err);

/* A signal name ("KILL", "SIGTERM", "9") -> number. */
int sp_signal_parse(const char *s, int *sig, sp_error **err);

/* ---- for `septa run` (run-options engineer; runtime/seccomp-default.c) ---- */
/* The built-in default seccomp profile (an allow-list), OCI linux.seccomp JSON text. */
const char *sp_runtime_seccomp_default_json(void);

/* The default config.json `septa oci spec` writes (like `runc spec`). */
json_t *sp_spec_default(bool rootless);
/* The `features` document (runtime-spec features.md). */
json_t *sp_runtime_features(void);

/*
 * Parse and validate a config.json without running anything (all located
 * errors as create would report them).  For tests and `septa oci` tools.
 */
int sp_config_check_file(const char *bundle, sp_error **err);

/* ======================================================================== */
/* cgroups for partition/, and container cgroup verbs (owned by the cgroups engineer) */
/* ======================================================================== */

/*
 * A cpuset partition: a cgroup whose CPUs and memory nodes are its own.
 * v2: cpuset.cpus/mems, cpuset.cpus.exclusive (where present), then
 * cpuset.cpus.partition = root | isolated, read back: the kernel reports a
 * refused partition only on read ("root invalid (reason)"), which create
 * turns into an error quoting the reason.  v1/hybrid: a cpuset with
 * cpu_exclusive=1 and mem_exclusive=1 (unless shared_mems); isolated is refused on v1.
 * A partition's parent must be a partition root: use a path directly below
 * the hierarchy root, e.g. "/septa.part.NAME".  No device control is applied
 * (the VMM inside needs /dev/kvm, /dev/net/tun).
 */
struct sp_cpuset_part;

struct sp_cpuset_part_spec {
    const char *path; /* absolute cgroup path, e.g. "/septa.part.db" */
    const char *cpus; /* kernel list form, "2-3" */
    const char *mems; /* "1" */
    bool isolated;    /* v2 "isolated" (no load balancing) instead of "root" */
    bool shared_mems; /* v1: no mem_exclusive (other cpusets must keep these nodes) */
};

/* Create and make it a partition; on failure nothing is left behind. */
int sp_cpuset_part_create(const struct sp_cpuset_part_spec *spec, struct sp_cpuset_part **out,
                          sp_error **err);
/* Reopen an existing one (another septa process); a missing cgroup is not an error. */
int sp_cpuset_part_open(const char *path, struct sp_cpuset_part **out, sp_error **err);
/*
 * The partition state as the kernel reports it: v2 cpuset.cpus.partition
 * ("root", "isolated", "member", "root invalid (Parent is not a partition
 * root)"); v1 "exclusive" or "member".  *valid: it is a working partition.
 */
int sp_cpuset_part_state(struct sp_cpuset_part *p, char **state, bool *valid, sp_error **err);
/* Move a process (all its threads) into the partition. */
int sp_cpuset_part_attach(struct sp_cpuset_part *p, pid_t pid, sp_error **err);
/* Kill what is inside, remove the cgroup (every v1 controller); idempotent. */
int sp_cpuset_part_destroy(struct sp_cpuset_part *p, sp_error **err);
/* The cpuset directory (v2: the cgroup; v1: under the cpuset mount), for messages. */
const char *sp_cpuset_part_dir(const struct sp_cpuset_part *p);
void sp_cpuset_part_free(struct sp_cpuset_part *p);

/* ---- a container's cgroup, for `oci pause/resume/update/events` (cgroup-container.c) ---- */

/* Freeze a running container (cgroup.freeze / v1 freezer); its status becomes "paused". */
int sp_container_pause(const char *root, const char *id, sp_error **err);
/* Thaw a paused container. */
int sp_container_resume(const char *root, const char *id, sp_error **err);
/*
 * Apply OCI linux.resources `resources` (at JSON `path` in `doc`, for located
 * errors) to a live container.  Only the values present change.
 */
int sp_container_update(const char *root, const char *id, const sp_jdoc *doc, json_t *resources,
                        const char *path, sp_error **err);
/* runc's `events --stats` data object; *status (may be NULL): running/paused/created/stopped. */
int sp_container_stats(const char *root, const char *id, json_t **out, const char **status,
                       sp_error **err);
/* How many processes of the container the OOM killer killed. */
int sp_container_oom_kills(const char *root, const char *id, uint64_t *count, sp_error **err);
/* An fd that becomes readable on memory events (then check sp_container_oom_kills). */
int sp_container_oom_eventfd(const char *root, const char *id, sp_error **err);

/* What a foreground run's cgroup said just before it was removed. */
struct sp_run_report {
    uint64_t oom_kills;   /* processes the OOM killer killed in the container */
    int64_t memory_limit; /* bytes in force when the init exited; -1 = none */
};
/*
 * sp_container_run that also fills *rep (may be NULL) for a foreground run,
 * so the people CLI can say "killed by the OOM killer" after the runtime
 * removed the cgroup.  Detached: *rep stays zero.
 */
int sp_container_run_report(const char *root, const char *id, const struct sp_create_opts *o,
                            int *status, struct sp_run_report *rep, sp_error **err);

/*
 * Policy of the people CLI (`septa run`), not of the OCI runtime: given the
 * linux.resources object of a config septa writes for a person, add what a
 * person expects and an engine would choose itself.  Today: with a memory
 * limit on a cgroup v2 host, unified "memory.oom.group" = "1" (unless set),
 * so an OOM kill takes the whole container down, as Kubernetes >= 1.28 does:
 * a container that lost one process to the OOM killer (its worker, say)
 * usually keeps running broken, while exit 137 and "killed by the OOM
 * killer" are clear.  cgroup v1 has no group OOM kill: nothing is added.
 */
void sp_runtime_people_resources(json_t *resources);

#endif
