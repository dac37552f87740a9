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

#endif
