/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * storage/: the one public header of septa's storage module.
 *
 * A content-addressed store under <data_root>/storage: blobs named by their
 * sha256 (verified while they stream in), layers unpacked once per diff_id
 * (safely: nothing is ever created outside the layer root) and shared by every
 * image that names them.  Concurrent septa processes coordinate with flock
 * and atomic renames: a blob or layer is either absent or complete.
 *
 * Layout:
 *   <data_root>/storage/store.lock        shared by users, exclusive for pruning
 *   <data_root>/storage/blobs/sha256/HEX  blobs (layers, manifests, configs)
 *   <data_root>/storage/layers/HEX/root   a layer unpacked, HEX = its diff_id
 *   <data_root>/storage/layers/HEX.lock   serialises unpacking one layer
 *   <data_root>/storage/tmp/              partial blobs and layers (gc removes)
 *   <data_root>/storage/partial/HEX       a download of blob sha256:HEX cut short,
 *                                         resumed by the next pull (gc removes)
 */
#ifndef SEPTA_STORAGE_H
#define SEPTA_STORAGE_H

#include "common.h"

#include <stdbool.h>
#include <stdint.h>

#define SP_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL, rounded */

struct sp_store {
    char *dir; /* <data_root>/storage */
    int dirfd; /* open on dir */
};

/* Open (creating if needed) the store under data_root. */
int sp_storage_open(const char *data_root, struct sp_store **out, sp_error **err);
void sp_storage_close(struct sp_store *s);
void sp_storage_closep(struct sp_store **s);
#define _cleanup_store_ _cleanup_(sp_storage_closep)

/*
 * The store-wide lock: shared while adding content (blobs and layers that are
 * not referenced yet must not be pruned under a loader's feet), exclusive
 * while pruning.  Returns the fd that holds it.
 */
int sp_storage_lock(struct sp_store *s, bool exclusive, sp_error **err);

/* ---- blobs -------------------------------------------------------------- */

/*
 * Copy fd's content (to EOF) into the store, hashing as it streams.  With
 * `expected` ("sha256:HEX") a different digest or a size other than
 * `expected_size` (UINT64_MAX: any) stores nothing and fails naming both.
 * The digest is written to `digest_out` (may be NULL), the size to size_out.
 */
int sp_blob_put_fd(struct sp_store *s, int fd, const char *expected, uint64_t expected_size,
                   char digest_out[SP_DIGEST_MAX], uint64_t *size_out, sp_error **err);
int sp_blob_put_buf(struct sp_store *s, const void *buf, size_t len, char digest_out[SP_DIGEST_MAX],
                    sp_error **err);
/*
 * Streaming in pieces (downloads): open, write as data arrives, then commit
 * (verify and rename into blobs/) or abort.  Both free the writer.
 */
struct sp_blob_writer;
int sp_blob_writer_open(struct sp_store *s, struct sp_blob_writer **out, sp_error **err);
int sp_blob_writer_write(struct sp_blob_writer *w, const void *buf, size_t n, sp_error **err);
uint64_t sp_blob_writer_size(const struct sp_blob_writer *w);
int sp_blob_writer_commit(struct sp_blob_writer *w, const char *expected, uint64_t expected_size,
                          char digest_out[SP_DIGEST_MAX], sp_error **err);
void sp_blob_writer_abort(struct sp_blob_writer *w);
/*
 * A resumable writer for the download of `digest`: partial/HEX, locked by
 * this process, re-hashed from its start so the digest at commit covers the
 * whole blob (a file longer than max_size, UINT64_MAX: any, starts over).
 * When another process holds that file, a plain tmp/ writer is returned.
 * sp_blob_writer_size() then tells how much an earlier pull left.
 */
int sp_blob_writer_open_resumable(struct sp_store *s, const char *digest, uint64_t max_size,
                                  struct sp_blob_writer **out, sp_error **err);
/*
 * Give up on a download for now: a resumable writer's file stays for the
 * next pull (a plain writer is aborted).  Frees the writer.
 */
void sp_blob_writer_suspend(struct sp_blob_writer *w);
bool sp_blob_exists(struct sp_store *s, const char *digest);
/* Open a blob read-only; ENOENT when absent. */
int sp_blob_open(struct sp_store *s, const char *digest, sp_error **err);
/* Read a whole (small) blob, NUL-terminated. */
int sp_blob_read(struct sp_store *s, const char *digest, size_t max, char **out, size_t *len,
                 sp_error **err);
/* Size in bytes, or -1 with err. */
int64_t sp_blob_size(struct sp_store *s, const char *digest, sp_error **err);

/* ---- safe unpacking ----------------------------------------------------- */

struct sp_unpack_opts {
    uint64_t max_bytes;   /* total file data; more is a decompression bomb */
    uint64_t max_entries; /* number of entries */
    bool devices;         /* create block/char device nodes (else skip them) */
};

/*
 * Defaults, overridable with SEPTA_LAYER_MAX_SIZE (a size, "2G") and
 * SEPTA_LAYER_MAX_ENTRIES so that tests and small hosts can lower them.
 */
int sp_unpack_opts_default(struct sp_unpack_opts *o, sp_error **err);

struct sp_unpack_stats {
    uint64_t entries;
    uint64_t bytes;              /* file data written */
    uint64_t tar_bytes;          /* uncompressed tar stream length */
    char diff_id[SP_DIGEST_MAX]; /* sha256 of the uncompressed tar stream */
};

/*
 * Unpack a (plain, gzip or zstd) tar stream read from fd into the directory
 * rootfd.  Every entry is created relative to rootfd without following a
 * symlink out of it; ".." components are refused, absolute names are taken
 * relative to the root.  Whiteouts become overlayfs whiteouts (.wh.NAME ->
 * 0/0 char device, .wh..wh..opq -> trusted.overlay.opaque=y).  On failure the
 * message names the entry; the caller removes the partial directory.
 */
int sp_unpack_fd(int fd, int rootfd, const struct sp_unpack_opts *o, struct sp_unpack_stats *st,
                 sp_error **err);

/* ---- layers ------------------------------------------------------------- */

/*
 * Make sure the layer whose uncompressed digest is `diff_id` is unpacked,
 * from the blob `blob_digest` (already in the store).  Unpacks into tmp/ and
 * renames into place, so a layer directory is always complete; a diff_id
 * mismatch fails and leaves nothing.  *created says whether work was done.
 */
int sp_layer_ensure(struct sp_store *s, const char *blob_digest, const char *diff_id, bool *created,
                    sp_error **err);
bool sp_layer_exists(struct sp_store *s, const char *diff_id);
/* Host path of the layer's root directory (free it). */
char *sp_layer_path(struct sp_store *s, const char *diff_id);

/* ---- container root filesystems ----------------------------------------- */

/*
 * A container's root: an overlay of image layers (read-only lower dirs) with
 * a private upper/work dir under <data_root>/storage/containers/ID/.  The
 * record (rootfs.json) is written before anything is created, so gc can undo
 * what a crash left.  `diff_ids` is a JSON array, lowest layer first.
 * *rootfs receives the mount point (free it).
 */
#define SP_ROOTFS_READ_ONLY 1u /* the overlay mounted read-only */
/* overlayfs "volatile": no sync of the upper dir, neither on the container's
 * fsync nor at unmount, for a root that is thrown away with its container
 * (run --rm, as podman does); such an upper cannot be mounted again after a
 * crash, which gc's removal of the orphan makes moot. */
#define SP_ROOTFS_VOLATILE 2u
int sp_rootfs_create(struct sp_store *s, const char *id, json_t *diff_ids, unsigned flags,
                     const char *owner, char **rootfs, sp_error **err);
/* Unmount (if mounted); the upper dir is kept.  Idempotent. */
int sp_rootfs_unmount(struct sp_store *s, const char *id, sp_error **err);
/* Unmount and remove everything of it, record last.  A missing id is not an error. */
int sp_rootfs_remove(struct sp_store *s, const char *id, sp_error **err);
/*
 * Every rootfs record: array of {"id", "layers", "read_only", "owner", "rootfs",
 * "mounted"}; a record cut short by a crash has "broken": true.  `owner` says
 * who made it ("container": septa run; "mount": septa image mount).
 */
int sp_rootfs_list(struct sp_store *s, json_t **out, sp_error **err);
/* Is the ID safe to use as a directory name ([A-Za-z0-9_.-], 1..128)? */
bool sp_storage_id_valid(const char *id);

/* ---- named volumes ------------------------------------------------------ */

/*
 * Volumes live in <data_root>/volumes/NAME/_data with NAME/volume.json.
 * Names: [A-Za-z0-9][A-Za-z0-9_.-]* up to 128.
 */
int sp_volume_create(const char *data_root, const char *name, json_t **out, sp_error **err);
/* {"name", "mountpoint", "created"} or ENOENT error. */
int sp_volume_get(const char *data_root, const char *name, json_t **out, sp_error **err);
int sp_volume_list(const char *data_root, json_t **out, sp_error **err);
int sp_volume_remove(const char *data_root, const char *name, sp_error **err);

/* ---- disks for guests ----------------------------------------------------- */

/*
 * A qcow2 overlay `out` on the read-only base image `base` (format probed
 * from its header: qcow2 or raw), via qemu-img started with an argv.  QEMU
 * opens backing files read-only, so guests never change the base.  size 0
 * keeps the base's virtual size.  `out` must not exist; on failure nothing
 * is left.
 */
int sp_disk_overlay(const char *base, const char *out, uint64_t size, sp_error **err);

/*
 * A raw ext4 image `out` of `size` bytes holding the tree at `dir` (owners,
 * modes, links kept), via mke2fs -d started with an argv.  `out` must not
 * exist; on failure nothing is left.
 */
int sp_disk_ext4_from_dir(const char *dir, const char *out, uint64_t size, const char *label,
                          sp_error **err);

/* ---- pruning and usage -------------------------------------------------- */

/*
 * Remove every blob and layer not named in `keep_blobs` / `keep_layers`
 * (arrays of digests) and everything left in tmp/.  The caller holds the
 * exclusive store lock.  Counts and bytes freed are returned.
 */
int sp_storage_prune(struct sp_store *s, json_t *keep_blobs, json_t *keep_layers, uint64_t *nblobs,
                     uint64_t *nlayers, uint64_t *bytes, sp_error **err);

/*
 * Remove every partial download in partial/ (none is in use: a pull holds
 * the store lock shared and the caller holds it exclusively).
 */
int sp_storage_prune_partials(struct sp_store *s, uint64_t *count, uint64_t *bytes, sp_error **err);

/* Disk usage of a directory tree below dirfd/name (not crossing mounts). */
uint64_t sp_du_at(int dirfd, const char *name);

#endif
