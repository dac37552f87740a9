/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli/run_opts.c: the network, partition and security options of `septa run`,
 * applied to the bundle's config.json after images/ wrote it and before the
 * runtime creates the container.
 */
#ifndef SEPTA_CLI_RUN_OPTS_H
#define SEPTA_CLI_RUN_OPTS_H

#include "common.h"

struct sp_run_extra {
    const char *network;   /* NULL: the default switch; "none"; "host"; a switch name */
    char **publish;        /* -p specs */
    char **dns;            /* --dns servers */
    const char *ip;        /* --ip */
    const char *partition; /* --partition NAME (a --shared partition) */
    const char *seccomp_file; /* --security-opt seccomp=FILE */
    bool seccomp_unconfined;
    const char *userns;    /* --user-ns: NULL/"host" or "auto" */
    bool volatile_records; /* --rm: config.json atomic but not fsynced (gone with the container) */
};

/*
 * Apply the options to <bundle>/config.json.  For a switch this makes the
 * container's network namespace (<data_root>/netns/ID), gives it a port and
 * writes hosts, resolv.conf and hostname into the bundle, bind-mounted over
 * the image's.  On failure nothing is left (call sp_run_net_teardown anyway
 * after the container is gone: it is idempotent).
 */
int sp_run_extra_apply(const char *data_root, const char *bundle, const char *id,
                       const char *name, const struct sp_run_extra *x, sp_error **err);
/* Remove the container's ports and its network namespace; missing is fine. */
int sp_run_net_teardown(const char *data_root, const char *id, sp_error **err);
/* The pinned network namespace of a container, or NULL when it has none (free it). */
char *sp_run_netns_path(const char *data_root, const char *id);
/*
 * Tear down the network of containers that are gone (no record, or not
 * running and no septa holding them), then sp_net_gc.  root: runtime state.
 */
int sp_run_net_gc(const char *data_root, const char *root, int *removed, sp_error **err);

/*
 * `septa network connect|disconnect SWITCH CONTAINER`: a container's name, id
 * or id prefix -> its id, name (for /etc/hosts) and pinned namespace.
 * 0 when ref is not a container, 1 when found, -1 when it has no namespace.
 */
int sp_run_container_netns(const char *data_root, const char *ref, char **id, char **name,
                           char **path, sp_error **err);
/* Rewrite /etc/hosts of every running container on a switch (after connect/disconnect). */
void sp_run_hosts_refresh(const char *data_root);

#endif
