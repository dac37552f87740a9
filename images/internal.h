/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to images/: shared between the store and the registry client. */
#ifndef SEPTA_IMAGES_INTERNAL_H
#define SEPTA_IMAGES_INTERNAL_H

#include "images.h"

/*
 * Record the image whose manifest, config and layer blobs are already in the
 * store (a pull fetched them): layers are unpacked and verified against the
 * config's diff_ids, then `name` (may be NULL) points at it.  *loaded as
 * sp_image_load's.
 */
int sp_image_import_stored(const char *data_root, const char *mdigest, const char *name,
                           const char *label, json_t **loaded, sp_error **err);

/* sp_image_mount with storage.h's SP_ROOTFS_* flags (read-only, volatile). */
int sp_image_mount_flags(const char *data_root, const char *ref, const char *id, unsigned flags,
                         const char *owner, char **rootfs, json_t **image, sp_error **err);

#endif
