/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * images/: OCI image layouts, the built-in image, (later) the image store,
 * registry client and image config -> runtime config translation.
 */
#ifndef SEPTA_IMAGES_H
#define SEPTA_IMAGES_H

#include "common.h"

/* One manifest named by an OCI layout's index.json. */
struct sp_oci_index_entry {
    char *digest;     /* "sha256:..." */
    char *media_type;
    char *ref_name;   /* org.opencontainers.image.ref.name, or "" */
    uint64_t size;
};
void sp_oci_index_entry_clear(struct sp_oci_index_entry *e);

/* Is `digest` of the form "sha256:<64 lowercase hex>"? */
bool sp_oci_digest_valid(const char *digest);

/*
 * Read DIR/oci-layout and DIR/index.json and pick the manifest whose ref name
 * is `ref` (or the only manifest when ref is NULL).  The manifest blob must
 * exist and match its digest and size.
 */
int sp_oci_layout_resolve(const char *dir, const char *ref, struct sp_oci_index_entry *out,
                          sp_error **err);

/*
 * Where the built-in busybox image (an OCI layout) is: $SEPTA_BUILTIN_IMAGE,
 * else the installed data directory, else the build tree.
 */
int sp_image_builtin_dir(char **out, sp_error **err);

#define SP_BUILTIN_IMAGE_NAME "septa.local/busybox:builtin"

/* ------------------------------------------------------------------------ */
/* The image store (images/store.c), on top of storage/'s blobs and layers.  */
/* ------------------------------------------------------------------------ */

/*
 * Image records live in <data_root>/storage/images.json:
 *   {"names": {"NAME:TAG": "sha256:MANIFEST"},
 *    "images": {"sha256:MANIFEST": {"config": ..., "layers": [{"blob", "diff_id",
 *               "size"}], "created", "loaded", "architecture", "os", "size"}}}
 * written atomically under <data_root>/storage/images.lock.
 */

/* "busybox" -> "busybox:latest"; a reference with a tag or digest is kept. */
char *sp_image_ref_normalize(const char *ref);

/*
 * Load a docker-archive tar, an OCI layout directory or an OCI layout tar
 * (an index with several platforms picks the host's).  Blobs are verified
 * while they stream in, layers are unpacked once per diff_id.  *loaded gets
 * an array of {"name", "digest", "layers_unpacked"} (name "" when untagged).
 */
int sp_image_load(const char *data_root, const char *path, json_t **loaded, sp_error **err);

/* Write the images named by refs as one OCI layout tar at `out`. */
int sp_image_save(const char *data_root, char *const *refs, size_t nrefs, const char *out,
                  sp_error **err);

/* Every image: array of {"digest", "id", "names", "created", "size", ...}. */
int sp_image_list(const char *data_root, json_t **out, sp_error **err);

/*
 * Find an image by name (normalized), manifest digest, config id or a unique
 * hex prefix of either.  "busybox" and the built-in names fall back to the
 * built-in image, which is loaded on first use when load_builtin is set.
 * *record gets the image record with "digest" and "names" added.
 */
int sp_image_resolve(const char *data_root, const char *ref, bool load_builtin, json_t **record,
                     sp_error **err);

/* docker-style inspect document of one image. */
int sp_image_inspect(const char *data_root, const char *ref, json_t **out, sp_error **err);

/* Give the image `src` the additional name `dst`. */
int sp_image_tag(const char *data_root, const char *src, const char *dst, sp_error **err);

/*
 * Remove a name, or (by id/digest, or the last name) the image itself; an
 * image with several names removed by id needs force.  Unreferenced blobs and
 * layers are pruned.  *removed gets an array of strings describing what went.
 */
int sp_image_remove(const char *data_root, const char *ref, bool force, json_t **removed,
                    sp_error **err);

/*
 * Mount the image's layers as the root filesystem of `id` (an overlay with a
 * private upper dir, see storage.h); owner is "container" or "mount".  The
 * built-in image is loaded on first use.  *rootfs gets the mount point and
 * *image (may be NULL) the image record.
 */
int sp_image_mount(const char *data_root, const char *ref, const char *id, bool read_only,
                   const char *owner, char **rootfs, json_t **image, sp_error **err);
/* Unmount and remove the root filesystem of `id` (upper dir included). */
int sp_image_unmount(const char *data_root, const char *id, sp_error **err);

/*
 * A raw ext4 disk image `out` of `size` bytes holding the image's root
 * filesystem (its layers merged, whiteouts applied), for running an image in
 * a guest.  The store lock is held shared throughout so gc cannot unmount
 * the merged view mid-copy; a crash leaves a "disk" root that gc removes.
 */
int sp_image_disk(const char *data_root, const char *ref, const char *out, uint64_t size,
                  sp_error **err);

/* Does the container that owns a root filesystem still exist? */
typedef bool (*sp_rootfs_alive_fn)(const char *id, void *data);

/*
 * Garbage collection: remove root filesystems a crash left (broken records,
 * and "container" roots whose container `alive` says is gone), then prune
 * every blob and layer that no image and no remaining root uses, and
 * leftovers of crashed loads in tmp/.  *report: counts and bytes freed.
 */
int sp_image_gc(const char *data_root, sp_rootfs_alive_fn alive, void *data, json_t **report,
                sp_error **err);

/*
 * Bytes used: {"images", "blobs", "layers", "containers" (count),
 * "containers_size", "volumes" (count), "volumes_size", "tmp"}.
 */
int sp_image_df(const char *data_root, json_t **out, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Image config + people's options -> OCI runtime config (images/spec.c)      */
/* ------------------------------------------------------------------------ */

struct sp_run_opts {
    char **cmd;              /* CMD... after IMAGE; NULL: the image's Cmd */
    const char *entrypoint;  /* --entrypoint; "" clears it; NULL: the image's */
    char **env;              /* -e K=V in order (later wins) */
    const char *workdir;     /* -w */
    const char *user;        /* -u USER[:GROUP], names resolved in the image */
    const char *hostname;
    bool tty;
    bool read_only;          /* root read-only, tmpfs on /tmp, /var/tmp, /run */
    bool volatile_root;      /* --rm: the upper dir is never synced (overlay "volatile") */
    char **volumes;          /* "HOST:CTR[:ro]" (HOST absolute) */
    char **tmpfs;            /* "PATH[:OPTIONS]" */
    uint64_t memory;         /* bytes, 0 unset */
    uint64_t memory_swap;    /* bytes (memory + swap), 0 unset */
    int64_t pids_limit;      /* 0 unset */
    uint64_t cpus_milli;     /* --cpus x 1000, 0 unset */
    uint64_t cpu_weight;     /* 1..10000, 0 unset */
    const char *cpuset_cpus;
    const char *cpuset_mems;
    char **cap_add;
    char **cap_drop;
    bool seccomp_unconfined;
};

/*
 * Build an OCI config (config.json) from the image config blob (the whole
 * document: {"config": {Entrypoint, Cmd, Env, WorkingDir, User, StopSignal}})
 * and the options.  rootfs is the mounted root (for /etc/passwd and
 * /etc/group, read confined to it).  The image's StopSignal (or SIGTERM) is
 * kept as the annotation "org.opencontainers.image.stopSignal".  Errors
 * name the option or field.
 */
int sp_image_runtime_config(json_t *image_config, const char *rootfs,
                            const struct sp_run_opts *o, json_t **out, sp_error **err);

/* Resolve USER[:GROUP] against the passwd and group files inside rootfs. */
int sp_image_resolve_user(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
                          json_t **additional_gids, sp_error **err);

/*
 * Everything `septa run` needs before the runtime: resolve the image (loading
 * the built-in one on first use), refuse another architecture and a name in
 * use, mount the root filesystem for container `id`, write the OCI
 * config.json and a container.json ({"id", "name", "image", "digest",
 * "created"}) into the bundle directory (returned in *bundle, free it).  On
 * failure nothing is left.
 */
int sp_image_container_prepare(const char *data_root, const char *ref, const char *id,
                               const char *name, const struct sp_run_opts *o, char **bundle,
                               sp_error **err);
/* Every container record: array of container.json objects (+ "rootfs"). */
int sp_image_container_list(const char *data_root, json_t **out, sp_error **err);
/* Record how a container's command ended ({"exit_code", "finished"}). */
int sp_image_container_exited(const char *data_root, const char *id, int status,
                              sp_error **err);
/* One container record (as in the list, with "monitor": none|running|exited|gone). */
int sp_image_container_get(const char *data_root, const char *id, json_t **out, sp_error **err);
/* Merge `fields` into a container record under its lock (a null value deletes). */
int sp_image_container_update(const char *data_root, const char *id, json_t *fields,
                              sp_error **err);
/* Kill a detached container's monitor and wait for it (before rm -f: so it
 * neither records into nor restarts what is being removed). */
int sp_image_container_monitor_stop(const char *data_root, const char *id, sp_error **err);
/*
 * --restart no|always|on-failure[:N] -> *limit -1 (never), 0 (no limit; also
 * on-failure:0) or N restarts at most; *on_failure: only after a non-zero exit.
 */
int sp_restart_policy_parse(const char *s, int *limit, bool *on_failure, sp_error **err);
/* `septa stop`: tell the monitor not to restart the container (start clears it). */
int sp_image_container_mark_stopped(const char *data_root, const char *id, sp_error **err);
/* A container by id, unique id prefix or name -> its full id (free it). */
int sp_image_container_find(const char *data_root, const char *ref, char **id, sp_error **err);

struct sp_pull_opts {
    bool tls_verify;      /* false: no certificate checks, and plain http if TLS is absent */
    const char *authfile; /* docker/podman auth file ({"auths": {HOST: {"auth": b64}}}) */
    bool quiet;           /* no progress even on a terminal (podman pull -q) */
};

/*
 * Pull REF ([HOST/]REPO[:TAG][@DIGEST]; docker.io when no host) over the OCI
 * distribution API: index -> the host's manifest, config and layers streamed
 * into the store and verified, layers unpacked, the name recorded.  *loaded
 * as sp_image_load's.
 */
int sp_image_pull(const char *data_root, const char *ref, const struct sp_pull_opts *o,
                  json_t **loaded, sp_error **err);

/* ------------------------------------------------------------------------ */
/* --user-ns=auto ranges (images/userns.c)                                    */
/* ------------------------------------------------------------------------ */

#define SP_USERNS_SIZE 65536u /* ids per container: 0..65535 inside */
/*
 * The pool when /etc/subuid or /etc/subgid has no "containers" entry: 16384
 * ranges from 2^30 up, far above login uids and the 100000+ ranges that
 * useradd hands to users.
 */
#define SP_USERNS_DEFAULT_START 0x40000000ull
#define SP_USERNS_DEFAULT_COUNT 0x40000000ull

struct sp_userns_pool {
    uint64_t uid_start, uid_count, gid_start, gid_count;
};

/*
 * The first "NAME:START:COUNT" line for NAME in /etc/subuid-format text.
 * 1 found, 0 not there, -1 malformed (with the line number).
 */
int sp_subid_parse(const char *text, const char *name, uint64_t *start, uint64_t *count,
                   sp_error **err);
/* The "containers" entries of /etc/subuid and /etc/subgid ($SEPTA_SUBUID and
 * $SEPTA_SUBGID name other files), or the default pool for each that has none. */
int sp_userns_pool(struct sp_userns_pool *p, sp_error **err);
/*
 * Give container `id` the lowest range of the pool that overlaps no live
 * container's range (in uids or gids), recorded under a lock in
 * <data_root>/userns.json.  Ranges of containers whose record is gone are
 * freed first.  ENOSPC when the pool is full.
 */
int sp_userns_alloc(const char *data_root, const char *id, const struct sp_userns_pool *p,
                    uint64_t *uid_base, uint64_t *gid_base, sp_error **err);
/* Give the range of `id` back (none is fine). */
int sp_userns_release(const char *data_root, const char *id, sp_error **err);
/* The range of `id`: 1 when it has one, 0 when not. */
int sp_userns_get(const char *data_root, const char *id, uint64_t *uid_base, uint64_t *gid_base,
                  sp_error **err);

/* The host's platform in OCI terms ("amd64", "arm64", ...). */
const char *sp_image_host_arch(void);

#endif
