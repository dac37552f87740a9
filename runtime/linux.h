/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to runtime/: the Linux mechanics of a container (namespaces, the
 * root filesystem, devices, pivot_root, masked and read-only paths), the
 * parent/child sync protocol, state files and the console.
 */
#ifndef SEPTA_RUNTIME_LINUX_H
#define SEPTA_RUNTIME_LINUX_H

#include "config.h"

#include <signal.h>
#include <stdint.h>

/* ---- sync protocol (socketpair between septa and the container init) ---- */

enum sp_sync_type {
    SP_SYNC_MAPS_DONE = 1, /* parent -> child: id maps written */
    SP_SYNC_READY,         /* child -> parent: set up, waiting for start */
    SP_SYNC_ERROR,         /* child -> parent: setup failed (message, status) */
    SP_SYNC_PTY,           /* child -> parent: pty master attached (SCM_RIGHTS) */
    SP_SYNC_PID,           /* exec: grandchild -> parent: its pid as seen by the host */
    SP_SYNC_JOINED,        /* child -> parent: joined its v1 cgroups itself */
};

struct sp_sync_msg {
    int32_t type;
    int32_t status; /* exit status for SP_SYNC_ERROR (125, 126, 127) */
    int32_t errnum;
    int32_t value;
    char msg[1024];
};

int sp_sync_send(int fd, enum sp_sync_type type, int status, int errnum, const char *msg,
                 int passfd);
/* Receive one message; *passfd gets an attached fd or -1.  0 on EOF -> -1 with err. */
int sp_sync_recv(int fd, struct sp_sync_msg *m, int *passfd, sp_error **err);
/* One fd over a plain unix socket (console socket protocol of runc). */
int sp_sync_send_raw_fd(int sock, int fd);
/* Child side: report err over the socket (status from err). */
void sp_sync_send_error(int fd, const sp_error *err);

/* ---- the container side (linux.c), run in the cloned child ---- */

/*
 * Everything between clone and the wait for `start`, in the order that makes
 * it safe: mounts while we still see the host, then pivot_root, masking, the
 * pty, hostname/sysctl; the security steps come after (security.h).
 */
int sp_linux_setup_rootfs(const struct sp_config *c, sp_error **err);
int sp_linux_set_time_offsets(const struct sp_config *c, sp_error **err);
int sp_linux_set_hostname(const struct sp_config *c, sp_error **err);
int sp_linux_set_sysctls(const struct sp_config *c, sp_error **err);
/* Open a pty in the container's devpts: master to *master, slave made the ctty + stdio. */
int sp_linux_setup_pty(const struct sp_process *p, bool bind_console, int *master, sp_error **err);
/*
 * Find process.args[0] as execvp would with the process's PATH; 127 for
 * missing, 126 for not executable (sp_error status).
 */
int sp_linux_find_exec(const struct sp_process *p, char **path, sp_error **err);
/* chdir to process.cwd inside the root, creating it if missing (as runc). */
int sp_linux_chdir(const struct sp_process *p, sp_error **err);
/*
 * Parent side, after clone and before GO, for a new user namespace: write
 * uid_map/gid_map of pid, then process.oomScoreAdj, which the init can no
 * longer write itself once it is root of its user namespace.
 */
int sp_linux_write_idmaps(pid_t pid, const struct sp_config *c, sp_error **err);
/*
 * Parent side, before clone, with the host's privileges: the detached trees
 * of id-mapped binds (open_tree + mount_setattr(MOUNT_ATTR_IDMAP)), whose fds
 * the init inherits and attaches in its mount namespace.  Setting an idmap
 * needs CAP_SYS_ADMIN over the source filesystem's user namespace, which the
 * init, root of its own user namespace only, does not have.
 */
int sp_linux_prepare_mounts(struct sp_config *c, sp_error **err);
/* Mark every fd >= from close-on-exec (no host fd reaches the container). */
void sp_linux_cloexec_from(int from);

/* ---- foreground processes (container.c) ---- */

/* 128+n for a signal, the exit code otherwise. */
int sp_exit_status_of(int wstatus);
/*
 * Wait for `child` while forwarding every signal read from sfd to it (via
 * pidfd), resizing and pumping the pty master (-1: none), and reaping any
 * orphan we inherit as subreaper.  *status gets the child's exit status.
 */
int sp_wait_foreground(pid_t child, int pidfd, int master, int sfd, int *status);

/* ---- state (state.c) ---- */

struct sp_state {
    char *id;
    char *bundle;
    pid_t pid;
    uint64_t start_time; /* /proc/PID/stat field 22, guards against pid reuse */
    char *created;       /* RFC 3339 */
    bool started;
    json_t *annotations; /* owned */
    json_t *cgroup;      /* sp_cgroup_to_json or NULL; owned */
    char *config_hash;
};

void sp_state_free(struct sp_state *s);
void sp_state_freep(struct sp_state **s);
#define _cleanup_state_ _cleanup_(sp_state_freep)

int sp_id_check(const char *id, sp_error **err);
/* Open root/id (O_DIRECTORY); ENOENT -> "container ID does not exist". */
int sp_state_open_dir(const char *root, const char *id, sp_error **err);
int sp_state_read(int dirfd, const char *id, struct sp_state **out, sp_error **err);
int sp_state_write(int dirfd, const struct sp_state *s, const char *status, sp_error **err);
/* Current OCI status of a recorded container. */
const char *sp_state_status(int dirfd, const struct sp_state *s);
json_t *sp_state_to_oci(const struct sp_state *s, const char *status);
/* sp_proc_start_time() lives in common.h. */
/* pidfd of the recorded init if it is still the same process, else -1 (errno ESRCH). */
int sp_state_pidfd(const struct sp_state *s);

#endif
