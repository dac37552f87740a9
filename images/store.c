/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image store: names -> manifests -> config + layers, on storage/'s
 * content-addressed blobs and shared layers.  Loading takes the store lock
 * shared (so a concurrent prune cannot remove blobs not yet recorded) and the
 * records lock exclusive only to update images.json.
 */
#include "images.h"
#include "internal.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_MAX       (4u << 20)

const char *sp_image_host_arch(void)
{
    static struct utsname u;
    if (uname(&u) < 0)
        return "amd64";
    static const struct {
        const char *machine, *arch;
    } map[] = {
        {"x86_64", "amd64"}, {"aarch64", "arm64"},   {"i686", "386"},    {"i386", "386"},
        {"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
    };
    for (size_t i = 0; i < SP_ARRAY_SIZE(map); i++)
        if (strcmp(u.machine, map[i].machine) == 0)
            return map[i].arch;
    return u.machine;
}

char *sp_image_ref_normalize(const char *ref)
{
    if (strchr(ref, '@'))
        return sp_xstrdup(ref);
    const char *slash = strrchr(ref, '/');
    const char *last = slash ? slash + 1 : ref;
    if (strchr(last, ':'))
        return sp_xstrdup(ref);
    return sp_xasprintf("%s:latest", ref);
}

/* A name people can type: no spaces or control characters, sane length. */
static int check_name(const char *name, sp_error **err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255)
        return sp_err(err, EINVAL, "invalid image name '%s'", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch >= 127)
            return sp_err(err, EINVAL, "invalid image name '%s': character 0x%02x", name, ch);
    }
    if (name[0] == '-' || name[0] == ':' || name[n - 1] == ':')
        return sp_err(err, EINVAL, "invalid image name '%s'", name);
    return 0;
}

/* ---- records ------------------------------------------------------------ */

static int records_read(struct sp_store *s, json_t **out, sp_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(s->dirfd, "images.json", SP_JSON_MAX_SIZE, &text, &len, &e) < 0) {
        if (e && e->errnum == ENOENT) {
            *out = json_pack("{s:{}, s:{}}", "names", "images");
            return 0;
        }
        *err = sp_steal_ptr(&e);
        return sp_err_wrap(err, "reading the image records");
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j || !json_is_object(json_object_get(j, "names")) ||
        !json_is_object(json_object_get(j, "images"))) {
        json_decref(j);
        return sp_err(err, 0, "%s/images.json: corrupt image records (line %d: %s)", s->dir,
                      je.line, j ? "missing names/images" : je.text);
    }
    *out = j;
    return 0;
}

static int records_write(struct sp_store *s, json_t *rec, sp_error **err)
{
    if (sp_json_write_file(s->dirfd, "images.json", rec, true, err) < 0)
        return sp_err_wrap(err, "writing the image records");
    return 0;
}

static int records_lock(struct sp_store *s, sp_error **err)
{
    return sp_lock_file(s->dirfd, "images.lock", true, true, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names of one image, sorted. */
static json_t *names_of(json_t *rec, const char *digest)
{
    json_t *all = json_object_get(rec, "names");
    const char **v = sp_xcalloc(json_object_size(all) + 1, sizeof(char *));
    size_t n = 0;
    const char *k;
    json_t *val;
    json_object_foreach(all, k, val)
    {
        if (json_is_string(val) && strcmp(json_string_value(val), digest) == 0)
            v[n++] = k;
    }
    qsort(v, n, sizeof(char *), cmp_str);
    json_t *names = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(names, json_string(v[i]));
    free(v);
    return names;
}

static bool is_hex(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static bool builtin_alias(const char *ref)
{
    static const char *const aliases[] = {"busybox", "busybox:latest", "busybox:builtin",
                                          "septa.local/busybox", SP_BUILTIN_IMAGE_NAME};
    for (size_t i = 0; i < SP_ARRAY_SIZE(aliases); i++)
        if (strcmp(ref, aliases[i]) == 0)
            return true;
    return false;
}

/* Find a manifest digest for ref in rec; NULL and err when absent or ambiguous. */
static const char *lookup(json_t *rec, const char *ref, sp_error **err)
{
    _cleanup_free_ char *norm = sp_image_ref_normalize(ref);
    json_t *v = json_object_get(json_object_get(rec, "names"), norm);
    if (json_is_string(v))
        return json_string_value(v);
    const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
    if (strlen(hex) >= 4 && is_hex(hex)) {
        const char *found = NULL;
        const char *k;
        json_t *img;
        size_t hl = strlen(hex);
        json_object_foreach(json_object_get(rec, "images"), k, img)
        {
            const char *cfg = json_string_value(json_object_get(img, "config"));
            bool m = strncmp(k + 7, hex, hl) == 0 || (cfg && strncmp(cfg + 7, hex, hl) == 0);
            if (!m)
                continue;
            if (found && strcmp(found, k) != 0) {
                sp_err(err, 0, "image '%s': ambiguous, it matches several images", ref);
                return NULL;
            }
            found = k;
        }
        if (found)
            return found;
    }
    if (builtin_alias(ref) && strcmp(ref, SP_BUILTIN_IMAGE_NAME) != 0) {
        v = json_object_get(json_object_get(rec, "names"), SP_BUILTIN_IMAGE_NAME);
        if (json_is_string(v))
            return json_string_value(v);
    }
    sp_err(err, 0, "image '%s': no such image", ref);
    return NULL;
}

/* ---- reading an OCI layout or a docker archive (untrusted) --------------- */

struct source {
    int dirfd;         /* the layout / archive directory */
    const char *label; /* for messages: what the user passed */
    bool docker;       /* docker-archive (manifest.json) rather than OCI layout */
};

static int src_open(struct source *src, const char *rel, sp_error **err)
{
    if (src->dirfd < 0)
        return sp_err(err, ENOENT, "%s: %s is not in the store", src->label, rel);
    /* Paths inside an archive are names from untrusted JSON: resolve them
     * inside the archive directory only. */
    int fd = sp_open_in_root(src->dirfd, rel, O_RDONLY | O_CLOEXEC, 0, err);
    if (fd < 0)
        return sp_err_wrap(err, "%s", src->label);
    return fd;
}

static int src_blob_rel(const char *digest, char **out, sp_error **err)
{
    if (!sp_oci_digest_valid(digest))
        return sp_err(err, 0, "'%s' is not a sha256 digest", digest);
    *out = sp_xasprintf("blobs/sha256/%s", digest + 7);
    return 0;
}

/* Copy a blob named by an OCI descriptor from the source into the store. */
static int ingest_desc(struct sp_store *s, struct source *src, const char *digest, int64_t size,
                       sp_error **err)
{
    if (sp_blob_exists(s, digest))
        return 0;
    _cleanup_free_ char *rel = NULL;
    if (src_blob_rel(digest, &rel, err) < 0)
        return -1;
    _cleanup_close_ int fd = src_open(src, rel, err);
    if (fd < 0)
        return -1;
    if (sp_blob_put_fd(s, fd, digest, size < 0 ? UINT64_MAX : (uint64_t)size, NULL, NULL, err) < 0)
        return sp_err_wrap(err, "%s", src->label);
    return 0;
}

static bool layer_media_ok(const char *mt)
{
    static const char *const ok[] = {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar",
    };
    for (size_t i = 0; i < SP_ARRAY_SIZE(ok); i++)
        if (strcmp(mt, ok[i]) == 0)
            return true;
    return false;
}

static char *now_iso(void)
{
    char buf[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return sp_xstrdup(buf);
}

/*
 * With the manifest blob in the store: fetch config and layers from src,
 * verify the config's diff_ids against the unpacked layers, and build the
 * image record.  *unpacked counts layers that needed work.
 */
static int import_manifest(struct sp_store *s, struct source *src, const char *mdigest,
                           json_t **record, int *unpacked, sp_error **err)
{
    _cleanup_free_ char *mtext = NULL;
    size_t mlen = 0;
    if (sp_blob_read(s, mdigest, MANIFEST_MAX, &mtext, &mlen, err) < 0)
        return -1;
    _cleanup_free_ char *mname = sp_xasprintf("manifest %s", mdigest);
    _cleanup_jdoc_ sp_jdoc *m = NULL;
    if (sp_jdoc_load_buf(mtext, mlen, mname, &m, err) < 0)
        return -1;
    json_t *cfgd = NULL, *layers = NULL;
    const char *cdigest = NULL, *mt = NULL;
    int64_t csize = 0;
    if (sp_json_get_obj(m, m->root, "", "config", true, &cfgd, err) < 0 ||
        sp_json_get_str(m, cfgd, "config", "digest", true, &cdigest, err) < 0 ||
        sp_json_get_range(m, cfgd, "config", "size", true, 0, MANIFEST_MAX, &csize, err) < 0 ||
        sp_json_get_arr(m, m->root, "", "layers", true, &layers, err) < 0 ||
        sp_json_get_str(m, m->root, "", "mediaType", false, &mt, err) < 0)
        return -1;
    if (mt && strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0)
        return sp_jerr(m, err, "mediaType", "unsupported manifest type '%s'", mt);
    if (ingest_desc(s, src, cdigest, csize, err) < 0)
        return -1;
    _cleanup_free_ char *ctext = NULL;
    size_t clen = 0;
    if (sp_blob_read(s, cdigest, MANIFEST_MAX, &ctext, &clen, err) < 0)
        return -1;
    _cleanup_free_ char *cname = sp_xasprintf("config %s", cdigest);
    _cleanup_jdoc_ sp_jdoc *c = NULL;
    if (sp_jdoc_load_buf(ctext, clen, cname, &c, err) < 0)
        return -1;
    json_t *rootfs = NULL, *diff_ids = NULL;
    const char *arch = "", *os = "", *created = "";
    if (sp_json_get_obj(c, c->root, "", "rootfs", true, &rootfs, err) < 0 ||
        sp_json_get_arr(c, rootfs, "rootfs", "diff_ids", true, &diff_ids, err) < 0 ||
        sp_json_get_str(c, c->root, "", "architecture", false, &arch, err) < 0 ||
        sp_json_get_str(c, c->root, "", "os", false, &os, err) < 0 ||
        sp_json_get_str(c, c->root, "", "created", false, &created, err) < 0)
        return -1;
    if (json_array_size(diff_ids) != json_array_size(layers))
        return sp_jerr(c, err, "rootfs.diff_ids", "%zu diff_ids for %zu layers in %s",
                       json_array_size(diff_ids), json_array_size(layers), mdigest);

    json_t *lrec = json_array();
    _cleanup_json_ json_t *guard = lrec;
    uint64_t total = 0;
    for (size_t i = 0; i < json_array_size(layers); i++) {
        _cleanup_free_ char *lp = sp_jpath_idx("layers", i);
        json_t *ld = json_array_get(layers, i);
        const char *ldigest = NULL, *lmt = NULL;
        int64_t lsize = 0;
        if (!json_is_object(ld))
            return sp_jerr(m, err, lp, "expected an object");
        if (sp_json_get_str(m, ld, lp, "digest", true, &ldigest, err) < 0 ||
            sp_json_get_str(m, ld, lp, "mediaType", true, &lmt, err) < 0 ||
            sp_json_get_range(m, ld, lp, "size", true, 0, INT64_MAX, &lsize, err) < 0)
            return -1;
        if (!layer_media_ok(lmt)) {
            _cleanup_free_ char *mp = sp_jpath_key(lp, "mediaType");
            return sp_jerr(m, err, mp, "unsupported layer type '%s'", lmt);
        }
        json_t *dv = json_array_get(diff_ids, i);
        const char *diff_id = json_string_value(dv);
        if (!diff_id || !sp_oci_digest_valid(diff_id)) {
            _cleanup_free_ char *dp = sp_jpath_idx("rootfs.diff_ids", i);
            return sp_jerr(c, err, dp, "expected a sha256 digest");
        }
        /* Layer work is skipped entirely when the diff_id is already there. */
        if (!sp_layer_exists(s, diff_id)) {
            if (ingest_desc(s, src, ldigest, lsize, err) < 0)
                return -1;
            bool created_now = false;
            if (sp_layer_ensure(s, ldigest, diff_id, &created_now, err) < 0)
                return sp_err_wrap(err, "%s", src->label);
            if (created_now)
                (*unpacked)++;
        } else if (!sp_blob_exists(s, ldigest)) {
            /* Keep the blob too, so that save can write the image back. */
            if (ingest_desc(s, src, ldigest, lsize, err) < 0)
                return -1;
        }
        total += (uint64_t)lsize;
        json_array_append_new(lrec,
                              json_pack("{s:s, s:s, s:s, s:I}", "blob", ldigest, "diff_id", diff_id,
                                        "media_type", lmt, "size", (json_int_t)lsize));
    }
    _cleanup_free_ char *loaded = now_iso();
    *record = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:I}", "config", cdigest, "layers", lrec,
                        "created", created, "loaded", loaded, "architecture", arch, "os", os,
                        "size", (json_int_t)total);
    return 0;
}

struct pending {
    char *digest;
    char **names;
};

static void pending_free(struct pending *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].digest);
        sp_strv_free(p[i].names);
    }
    free(p);
}

/* A scan's result: handed out on success, freed on failure. */
static int pending_finish(struct pending *p, size_t n, int rc, struct pending **out, size_t *nout)
{
    if (rc < 0) {
        pending_free(p, n);
        return -1;
    }
    *out = p;
    *nout = n;
    return 0;
}

/* Pick the host's manifest from an index blob (already in the store). */
static int pick_platform(struct sp_store *s, struct source *src, const char *idigest, char **out,
                         sp_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_blob_read(s, idigest, MANIFEST_MAX, &text, &len, err) < 0)
        return -1;
    _cleanup_free_ char *iname = sp_xasprintf("index %s", idigest);
    _cleanup_jdoc_ sp_jdoc *d = NULL;
    if (sp_jdoc_load_buf(text, len, iname, &d, err) < 0)
        return -1;
    json_t *ms = NULL;
    if (sp_json_get_arr(d, d->root, "", "manifests", true, &ms, err) < 0)
        return -1;
    const char *want = sp_image_host_arch();
    for (size_t i = 0; i < json_array_size(ms); i++) {
        _cleanup_free_ char *p = sp_jpath_idx("manifests", i);
        json_t *md = json_array_get(ms, i), *plat = NULL;
        const char *digest = NULL, *arch = NULL, *os = NULL;
        int64_t size = 0;
        if (!json_is_object(md))
            return sp_jerr(d, err, p, "expected an object");
        if (sp_json_get_obj(d, md, p, "platform", false, &plat, err) < 0)
            return -1;
        if (!plat)
            continue;
        _cleanup_free_ char *pp = sp_jpath_key(p, "platform");
        if (sp_json_get_str(d, plat, pp, "architecture", true, &arch, err) < 0 ||
            sp_json_get_str(d, plat, pp, "os", true, &os, err) < 0 ||
            sp_json_get_str(d, md, p, "digest", true, &digest, err) < 0 ||
            sp_json_get_range(d, md, p, "size", true, 0, MANIFEST_MAX, &size, err) < 0)
            return -1;
        if (strcmp(os, "linux") != 0 || strcmp(arch, want) != 0)
            continue;
        if (ingest_desc(s, src, digest, size, err) < 0)
            return -1;
        *out = sp_xstrdup(digest);
        return 0;
    }
    return sp_err(err, ENOENT, "%s: %s has no manifest for linux/%s", src->label, idigest, want);
}

static char **strv1(const char *s)
{
    char **v = sp_xcalloc(2, sizeof(char *));
    if (s)
        v[0] = sp_xstrdup(s);
    return v;
}

/* The manifests an OCI layout's index.json names, host platform only. */
static int scan_oci(struct sp_store *s, struct source *src, struct pending **out, size_t *nout,
                    sp_error **err)
{
    _cleanup_close_ int lfd = src_open(src, "oci-layout", err);
    if (lfd < 0)
        return -1;
    _cleanup_close_ int ifd = src_open(src, "index.json", err);
    if (ifd < 0)
        return -1;
    _cleanup_free_ char *iname = sp_xasprintf("%s: index.json", src->label);
    _cleanup_jdoc_ sp_jdoc *d = NULL;
    if (sp_jdoc_load_fd(ifd, iname, &d, err) < 0)
        return -1;
    json_t *ms = NULL;
    if (sp_json_get_arr(d, d->root, "", "manifests", true, &ms, err) < 0)
        return -1;
    const char *want = sp_image_host_arch();
    struct pending *p = sp_xcalloc(json_array_size(ms) + 1, sizeof(*p));
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < json_array_size(ms) && rc == 0; i++) {
        _cleanup_free_ char *path = sp_jpath_idx("manifests", i);
        json_t *md = json_array_get(ms, i), *ann = NULL, *plat = NULL;
        const char *digest = NULL, *mt = NULL, *name = NULL, *cname = NULL;
        int64_t size = 0;
        if (!json_is_object(md)) {
            rc = sp_jerr(d, err, path, "expected an object");
            break;
        }
        if (sp_json_get_str(d, md, path, "digest", true, &digest, err) < 0 ||
            sp_json_get_str(d, md, path, "mediaType", true, &mt, err) < 0 ||
            sp_json_get_range(d, md, path, "size", true, 0, MANIFEST_MAX, &size, err) < 0 ||
            sp_json_get_obj(d, md, path, "annotations", false, &ann, err) < 0 ||
            sp_json_get_obj(d, md, path, "platform", false, &plat, err) < 0) {
            rc = -1;
            break;
        }
        if (!sp_oci_digest_valid(digest)) {
            _cleanup_free_ char *dp = sp_jpath_key(path, "digest");
            rc = sp_jerr(d, err, dp, "'%s' is not a sha256 digest", digest);
            break;
        }
        if (ann) {
            _cleanup_free_ char *ap = sp_jpath_key(path, "annotations");
            if (sp_json_get_str(d, ann, ap, "org.opencontainers.image.ref.name", false, &name,
                                err) < 0 ||
                sp_json_get_str(d, ann, ap, "io.containerd.image.name", false, &cname, err) < 0) {
                rc = -1;
                break;
            }
        }
        if (plat) {
            const char *arch = json_string_value(json_object_get(plat, "architecture"));
            const char *os = json_string_value(json_object_get(plat, "os"));
            if ((arch && strcmp(arch, want) != 0) || (os && strcmp(os, "linux") != 0))
                continue;
        }
        /* A bare tag ("latest") names no repository; such an image loads
         * untagged and can be named with `septa tag`. */
        const char *full = cname                                                ? cname
                           : (name && (strchr(name, '/') || strchr(name, ':'))) ? name
                                                                                : NULL;
        if (ingest_desc(s, src, digest, size, err) < 0) {
            rc = -1;
            break;
        }
        char *mdigest = NULL;
        if (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0) {
            if (pick_platform(s, src, digest, &mdigest, err) < 0) {
                rc = -1;
                break;
            }
        } else if (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0) {
            mdigest = sp_xstrdup(digest);
        } else {
            _cleanup_free_ char *mp = sp_jpath_key(path, "mediaType");
            rc = sp_jerr(d, err, mp, "unsupported manifest type '%s'", mt);
            break;
        }
        p[n].digest = mdigest;
        p[n].names = strv1(full);
        n++;
    }
    if (rc == 0 && n == 0)
        rc = sp_err(err, ENOENT, "%s: no image for linux/%s", src->label, want);
    return pending_finish(p, n, rc, out, nout);
}

static const char *layer_media_of(struct sp_store *s, const char *digest)
{
    _cleanup_close_ int fd = sp_blob_open(s, digest, NULL);
    unsigned char magic[4] = {0};
    if (fd < 0 || read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic))
        return "application/vnd.oci.image.layer.v1.tar";
    if (magic[0] == 0x1f && magic[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

/*
 * docker save's manifest.json: [{"Config", "RepoTags", "Layers"}].  Its blobs
 * are not addressed by digest, so an OCI manifest is made for each image
 * (deterministically, so loading the same archive twice gives one digest).
 */
static int scan_docker(struct sp_store *s, struct source *src, struct pending **out, size_t *nout,
                       sp_error **err)
{
    _cleanup_close_ int fd = src_open(src, "manifest.json", err);
    if (fd < 0)
        return -1;
    _cleanup_free_ char *dname = sp_xasprintf("%s: manifest.json", src->label);
    _cleanup_jdoc_ sp_jdoc *d = NULL;
    if (sp_jdoc_load_fd(fd, dname, &d, err) < 0)
        return -1;
    if (!json_is_array(d->root) || json_array_size(d->root) == 0)
        return sp_jerr(d, err, "", "expected a non-empty array");
    size_t count = json_array_size(d->root);
    struct pending *p = sp_xcalloc(count + 1, sizeof(*p));
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        _cleanup_free_ char *path = sp_jpath_idx("", i);
        json_t *ent = json_array_get(d->root, i);
        const char *config = NULL;
        json_t *layers = NULL;
        char **tags = NULL;
        if (!json_is_object(ent)) {
            rc = sp_jerr(d, err, path, "expected an object");
            break;
        }
        if (sp_json_get_str(d, ent, path, "Config", true, &config, err) < 0 ||
            sp_json_get_arr(d, ent, path, "Layers", true, &layers, err) < 0 ||
            sp_json_get_strv(d, ent, path, "RepoTags", false, &tags, err) < 0) {
            rc = -1;
            break;
        }
        _cleanup_strv_ char **tagsg = tags;
        char cdigest[SP_DIGEST_MAX];
        uint64_t csize = 0;
        {
            _cleanup_close_ int cfd = src_open(src, config, err);
            if (cfd < 0 || sp_blob_put_fd(s, cfd, NULL, UINT64_MAX, cdigest, &csize, err) < 0) {
                rc = -1;
                break;
            }
        }
        json_t *ldescs = json_array();
        for (size_t k = 0; k < json_array_size(layers) && rc == 0; k++) {
            const char *lp = json_string_value(json_array_get(layers, k));
            if (!lp) {
                _cleanup_free_ char *lpath = sp_jpath_key(path, "Layers");
                _cleanup_free_ char *ip = sp_jpath_idx(lpath, k);
                rc = sp_jerr(d, err, ip, "expected a string");
                break;
            }
            char ldigest[SP_DIGEST_MAX];
            uint64_t lsize = 0;
            _cleanup_close_ int lfd = src_open(src, lp, err);
            if (lfd < 0 || sp_blob_put_fd(s, lfd, NULL, UINT64_MAX, ldigest, &lsize, err) < 0) {
                rc = -1;
                break;
            }
            json_array_append_new(ldescs, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                    layer_media_of(s, ldigest), "digest", ldigest,
                                                    "size", (json_int_t)lsize));
        }
        if (rc < 0) {
            json_decref(ldescs);
            break;
        }
        _cleanup_json_ json_t *man =
            json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                      MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest", cdigest,
                      "size", (json_int_t)csize, "layers", ldescs);
        _cleanup_free_ char *mtext = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
        char mdigest[SP_DIGEST_MAX];
        if (sp_blob_put_buf(s, mtext, strlen(mtext), mdigest, err) < 0) {
            rc = -1;
            break;
        }
        p[n].digest = sp_xstrdup(mdigest);
        p[n].names = tagsg ? sp_steal_ptr(&tagsg) : strv1(NULL);
        n++;
    }
    return pending_finish(p, n, rc, out, nout);
}

/* A tar input is unpacked (safely, regular files only matter) into tmp/. */
static int extract_tar(struct sp_store *s, const char *path, char **tmpdir, sp_error **err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "opening %s", path);
    static unsigned counter;
    _cleanup_free_ char *rel =
        sp_xasprintf("tmp/import-%d-%ld-%u", (int)getpid(), (long)time(NULL), counter++);
    if (mkdirat(s->dirfd, rel, 0700) < 0)
        return sp_err(err, errno, "creating %s/%s", s->dir, rel);
    *tmpdir = sp_path_join(s->dir, rel);
    _cleanup_close_ int root = openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return sp_err(err, errno, "opening %s", *tmpdir);
    struct sp_unpack_opts o;
    if (sp_unpack_opts_default(&o, err) < 0)
        return -1;
    o.devices = false;
    struct sp_unpack_stats st;
    if (sp_unpack_fd(fd, root, &o, &st, err) < 0)
        return sp_err_wrap(err, "reading %s", path);
    return 0;
}

static int open_source(struct sp_store *s, const char *path, struct source *src, char **tmpdir,
                       sp_error **err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return sp_err(err, errno, "%s", path);
    const char *dir = path;
    if (!S_ISDIR(st.st_mode)) {
        if (extract_tar(s, path, tmpdir, err) < 0)
            return -1;
        dir = *tmpdir;
    }
    src->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (src->dirfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    src->label = path;
    if (faccessat(src->dirfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        src->docker = false;
    else if (faccessat(src->dirfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        src->docker = true;
    else
        return sp_err(err, 0,
                      "%s: neither an OCI layout (oci-layout) nor a docker archive "
                      "(manifest.json)",
                      path);
    return 0;
}

/*
 * Import the manifests in p (their blobs come from src unless already in the
 * store) and record them with their names, all or nothing.
 */
static int commit_pending(struct sp_store *s, struct source *src, struct pending *p, size_t n,
                          const char *label, json_t **loaded, sp_error **err)
{
    int rc = 0;
    _cleanup_json_ json_t *records = json_array();
    json_t *result = json_array();
    _cleanup_json_ json_t *guard = result;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *rec = NULL;
        int unpacked = 0;
        rc = import_manifest(s, src, p[i].digest, &rec, &unpacked, err);
        if (rc < 0)
            break;
        json_array_append_new(records, rec);
        for (size_t k = 0; rc == 0 && p[i].names[k]; k++)
            if (check_name(p[i].names[k], err) < 0)
                rc = sp_err_wrap(err, "%s", label);
        for (size_t k = 0; k == 0 || p[i].names[k]; k++) {
            _cleanup_free_ char *nm =
                p[i].names[k] ? sp_image_ref_normalize(p[i].names[k]) : sp_xstrdup("");
            json_array_append_new(result, json_pack("{s:s, s:s, s:i}", "name", nm, "digest",
                                                    p[i].digest, "layers_unpacked", unpacked));
            if (!p[i].names[k])
                break;
        }
    }
    if (rc < 0)
        return -1;
    _cleanup_close_ int rlock = records_lock(s, err);
    _cleanup_json_ json_t *all = NULL;
    if (rlock < 0 || records_read(s, &all, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *img = json_object_get(all, "images");
        json_t *old = json_object_get(img, p[i].digest);
        json_t *rec = json_array_get(records, i);
        if (old && json_object_get(old, "loaded"))
            json_object_set(rec, "loaded", json_object_get(old, "loaded"));
        json_object_set(img, p[i].digest, rec);
        for (size_t k = 0; p[i].names[k]; k++) {
            _cleanup_free_ char *nm = sp_image_ref_normalize(p[i].names[k]);
            json_object_set_new(json_object_get(all, "names"), nm, json_string(p[i].digest));
        }
    }
    if (records_write(s, all, err) < 0)
        return -1;
    *loaded = sp_steal_ptr(&guard);
    return 0;
}

int sp_image_load(const char *data_root, const char *path, json_t **loaded, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_close_ int slock = sp_storage_lock(s, false, err);
    if (slock < 0)
        return -1;
    _cleanup_free_ char *tmpdir = NULL;
    struct source src = {.dirfd = -1};
    struct pending *p = NULL;
    size_t n = 0;
    int rc = open_source(s, path, &src, &tmpdir, err);
    if (rc == 0)
        rc = src.docker ? scan_docker(s, &src, &p, &n, err) : scan_oci(s, &src, &p, &n, err);
    if (rc == 0)
        rc = commit_pending(s, &src, p, n, path, loaded, err);
    if (src.dirfd >= 0)
        close(src.dirfd);
    if (tmpdir) {
        _cleanup_error_ sp_error *e2 = NULL;
        sp_rm_rf_at(AT_FDCWD, tmpdir, &e2);
    }
    pending_free(p, n);
    return rc;
}

int sp_image_import_stored(const char *data_root, const char *mdigest, const char *name,
                           const char *label, json_t **loaded, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_close_ int slock = sp_storage_lock(s, false, err);
    if (slock < 0)
        return -1;
    struct source src = {.dirfd = -1, .label = label};
    char *names[2] = {(char *)name, NULL};
    struct pending p = {.digest = (char *)mdigest, .names = names};
    return commit_pending(s, &src, &p, 1, label, loaded, err);
}

/* ---- queries ------------------------------------------------------------ */

static int open_records(const char *data_root, struct sp_store **s, json_t **rec, sp_error **err)
{
    if (sp_storage_open(data_root, s, err) < 0)
        return -1;
    _cleanup_close_ int rlock = sp_lock_file((*s)->dirfd, "images.lock", false, true, err);
    if (rlock < 0)
        return -1;
    return records_read(*s, rec, err);
}

static json_t *summary(json_t *rec, const char *digest, json_t *img)
{
    json_t *o = json_deep_copy(img);
    json_object_set_new(o, "digest", json_string(digest));
    json_object_set_new(o, "id", json_incref(json_object_get(img, "config")));
    json_object_set_new(o, "names", names_of(rec, digest));
    return o;
}

int sp_image_list(const char *data_root, json_t **out, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    _cleanup_json_ json_t *rec = NULL;
    if (open_records(data_root, &s, &rec, err) < 0)
        return -1;
    json_t *arr = json_array();
    const char *k;
    json_t *img;
    json_object_foreach(json_object_get(rec, "images"), k, img)
        json_array_append_new(arr, summary(rec, k, img));
    *out = arr;
    return 0;
}

int sp_image_resolve(const char *data_root, const char *ref, bool load_builtin, json_t **record,
                     sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    _cleanup_json_ json_t *rec = NULL;
    if (open_records(data_root, &s, &rec, err) < 0)
        return -1;
    _cleanup_error_ sp_error *e = NULL;
    const char *digest = lookup(rec, ref, &e);
    if (!digest && load_builtin && builtin_alias(ref)) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_json_ json_t *loaded = NULL;
        if (sp_image_builtin_dir(&dir, err) < 0 || sp_image_load(data_root, dir, &loaded, err) < 0)
            return sp_err_wrap(err, "loading the built-in image");
        json_decref(rec);
        rec = NULL;
        sp_storage_close(s);
        s = NULL;
        if (open_records(data_root, &s, &rec, err) < 0)
            return -1;
        sp_error_free(&e);
        digest = lookup(rec, ref, &e);
    }
    if (!digest) {
        *err = sp_steal_ptr(&e);
        return -1;
    }
    *record = summary(rec, digest, json_object_get(json_object_get(rec, "images"), digest));
    return 0;
}

int sp_image_inspect(const char *data_root, const char *ref, json_t **out, sp_error **err)
{
    _cleanup_json_ json_t *r = NULL;
    if (sp_image_resolve(data_root, ref, false, &r, err) < 0)
        return -1;
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    const char *cdigest = json_string_value(json_object_get(r, "config"));
    _cleanup_free_ char *ctext = NULL;
    size_t clen = 0;
    if (sp_blob_read(s, cdigest, MANIFEST_MAX, &ctext, &clen, err) < 0)
        return -1;
    json_error_t je;
    _cleanup_json_ json_t *cfg = json_loadb(ctext, clen, 0, &je);
    if (!cfg)
        return sp_err(err, 0, "config %s: %s", cdigest, je.text);
    json_t *diff_ids = json_array(), *layers = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(r, "layers"), i, l)
    {
        json_array_append(diff_ids, json_object_get(l, "diff_id"));
        _cleanup_free_ char *lp =
            sp_layer_path(s, json_string_value(json_object_get(l, "diff_id")));
        json_array_append_new(layers, json_string(lp));
    }
    json_t *doc = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:{s:s, s:o}, s:o}", "Id",
        json_object_get(r, "config"), "Digest", json_object_get(r, "digest"), "RepoTags",
        json_object_get(r, "names"), "Created", json_object_get(r, "created"), "Architecture",
        json_object_get(r, "architecture"), "Os", json_object_get(r, "os"), "Size",
        json_object_get(r, "size"), "Loaded", json_object_get(r, "loaded"), "RootFS", "Type",
        "layers", "Layers", diff_ids, "LayerDirs", layers);
    json_t *c = json_object_get(cfg, "config");
    json_object_set_new(doc, "Config", c ? json_incref(c) : json_object());
    *out = doc;
    return 0;
}

int sp_image_tag(const char *data_root, const char *src, const char *dst, sp_error **err)
{
    if (check_name(dst, err) < 0)
        return -1;
    _cleanup_json_ json_t *r = NULL;
    if (sp_image_resolve(data_root, src, true, &r, err) < 0)
        return -1;
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_close_ int rlock = records_lock(s, err);
    if (rlock < 0)
        return -1;
    _cleanup_json_ json_t *rec = NULL;
    if (records_read(s, &rec, err) < 0)
        return -1;
    const char *digest = json_string_value(json_object_get(r, "digest"));
    if (!json_object_get(json_object_get(rec, "images"), digest))
        return sp_err(err, ENOENT, "image '%s': removed while tagging", src);
    _cleanup_free_ char *nm = sp_image_ref_normalize(dst);
    json_object_set_new(json_object_get(rec, "names"), nm, json_string(digest));
    return records_write(s, rec, err);
}

/* Blobs and layers that some image record uses. */
static void referenced(json_t *rec, json_t *blobs, json_t *layers)
{
    const char *k;
    json_t *img;
    json_object_foreach(json_object_get(rec, "images"), k, img)
    {
        json_array_append_new(blobs, json_string(k));
        json_array_append(blobs, json_object_get(img, "config"));
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(img, "layers"), i, l)
        {
            json_array_append(blobs, json_object_get(l, "blob"));
            json_array_append(layers, json_object_get(l, "diff_id"));
        }
    }
}

/*
 * With the exclusive store lock held (no load is between ingesting a blob
 * and recording it, no root is being mounted): drop what no image and no
 * root filesystem uses.  Index blobs of multi-platform loads are referenced
 * by no record and go too.
 */
static int prune_locked(struct sp_store *s, json_t *report, sp_error **err)
{
    _cleanup_json_ json_t *rec = NULL;
    {
        _cleanup_close_ int rlock = records_lock(s, err);
        if (rlock < 0 || records_read(s, &rec, err) < 0)
            return -1;
    }
    _cleanup_json_ json_t *blobs = json_array();
    _cleanup_json_ json_t *layers = json_array();
    referenced(rec, blobs, layers);
    _cleanup_json_ json_t *roots = NULL;
    if (sp_rootfs_list(s, &roots, err) < 0)
        return -1;
    size_t i;
    json_t *r;
    json_array_foreach(roots, i, r) json_array_extend(layers, json_object_get(r, "layers"));
    uint64_t nb = 0, nl = 0, bytes = 0;
    if (sp_storage_prune(s, blobs, layers, &nb, &nl, &bytes, err) < 0)
        return -1;
    json_object_set_new(report, "blobs_removed", json_integer((json_int_t)nb));
    json_object_set_new(report, "layers_removed", json_integer((json_int_t)nl));
    json_object_set_new(report, "bytes_freed", json_integer((json_int_t)bytes));
    return 0;
}

static int prune(struct sp_store *s, json_t *report, sp_error **err)
{
    _cleanup_close_ int slock = sp_storage_lock(s, true, err);
    if (slock < 0)
        return -1;
    return prune_locked(s, report, err);
}

int sp_image_remove(const char *data_root, const char *ref, bool force, json_t **removed,
                    sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    json_t *out = json_array();
    _cleanup_json_ json_t *guard = out;
    {
        _cleanup_close_ int rlock = records_lock(s, err);
        if (rlock < 0)
            return -1;
        _cleanup_json_ json_t *rec = NULL;
        if (records_read(s, &rec, err) < 0)
            return -1;
        const char *d = lookup(rec, ref, err);
        if (!d)
            return -1;
        _cleanup_free_ char *digest = sp_xstrdup(d);
        _cleanup_json_ json_t *names = names_of(rec, digest);
        _cleanup_free_ char *norm = sp_image_ref_normalize(ref);
        bool by_name = json_object_get(json_object_get(rec, "names"), norm) != NULL;
        if (by_name && json_array_size(names) > 1) {
            /* Untag only: the image keeps its other names. */
            json_object_del(json_object_get(rec, "names"), norm);
            json_array_append_new(out, json_string(norm));
            if (records_write(s, rec, err) < 0)
                return -1;
            *removed = sp_steal_ptr(&guard);
            return 0;
        }
        if (!by_name && json_array_size(names) > 1 && !force)
            return sp_err(err, 0,
                          "image '%s' has several names (%zu); remove them one by one "
                          "or use --force",
                          ref, json_array_size(names));
        size_t i;
        json_t *nm;
        json_array_foreach(names, i, nm)
        {
            json_object_del(json_object_get(rec, "names"), json_string_value(nm));
            json_array_append(out, nm);
        }
        json_object_del(json_object_get(rec, "images"), digest);
        json_array_append_new(out, json_string(digest));
        if (records_write(s, rec, err) < 0)
            return -1;
    }
    _cleanup_json_ json_t *report = json_object();
    if (prune(s, report, err) < 0)
        return sp_err_wrap(err, "image removed, but pruning its layers failed (run septa gc)");
    *removed = sp_steal_ptr(&guard);
    return 0;
}

int sp_image_gc(const char *data_root, sp_rootfs_alive_fn alive, void *data, json_t **report,
                sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_close_ int slock = sp_storage_lock(s, true, err);
    if (slock < 0)
        return -1;
    _cleanup_json_ json_t *roots = NULL;
    if (sp_rootfs_list(s, &roots, err) < 0)
        return -1;
    json_t *r = json_object();
    _cleanup_json_ json_t *guard = r;
    json_t *removed = json_array();
    json_object_set_new(r, "roots_removed", removed);
    size_t i;
    json_t *root;
    json_array_foreach(roots, i, root)
    {
        const char *id = json_string_value(json_object_get(root, "id"));
        const char *owner = json_string_value(json_object_get(root, "owner"));
        bool broken = json_is_true(json_object_get(root, "broken"));
        /* A "disk" root only lives while its creator holds the store lock
         * shared; holding it exclusive here means its creator is gone. */
        bool orphan = owner && ((strcmp(owner, "container") == 0 && alive && !alive(id, data)) ||
                                strcmp(owner, "disk") == 0);
        if (!broken && !orphan)
            continue;
        if (sp_rootfs_remove(s, id, err) < 0)
            return sp_err_wrap(err, "gc");
        json_array_append_new(removed, json_string(id));
    }
    if (prune_locked(s, r, err) < 0)
        return sp_err_wrap(err, "gc");
    /* Downloads an interrupted pull left for the next one to resume: with
     * the store lock exclusive no pull is using them. */
    uint64_t np = 0, pbytes = 0;
    if (sp_storage_prune_partials(s, &np, &pbytes, err) < 0)
        return sp_err_wrap(err, "gc");
    json_object_set_new(r, "partials_removed", json_integer((json_int_t)np));
    json_object_set_new(
        r, "bytes_freed",
        json_integer(json_integer_value(json_object_get(r, "bytes_freed")) + (json_int_t)pbytes));
    *report = sp_steal_ptr(&guard);
    return 0;
}

int sp_image_mount(const char *data_root, const char *ref, const char *id, bool read_only,
                   const char *owner, char **rootfs, json_t **image, sp_error **err)
{
    return sp_image_mount_flags(data_root, ref, id, read_only ? SP_ROOTFS_READ_ONLY : 0, owner,
                                rootfs, image, err);
}

int sp_image_mount_flags(const char *data_root, const char *ref, const char *id, unsigned flags,
                         const char *owner, char **rootfs, json_t **image, sp_error **err)
{
    _cleanup_json_ json_t *img = NULL;
    if (sp_image_resolve(data_root, ref, true, &img, err) < 0)
        return -1;
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    /* Shared: gc and rmi (exclusive) cannot prune these layers mid-mount. */
    _cleanup_close_ int slock = sp_storage_lock(s, false, err);
    if (slock < 0)
        return -1;
    _cleanup_json_ json_t *diff_ids = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(img, "layers"), i, l)
        json_array_append(diff_ids, json_object_get(l, "diff_id"));
    if (sp_rootfs_create(s, id, diff_ids, flags, owner, rootfs, err) < 0)
        return sp_err_wrap(err, "image '%s'", ref);
    if (image)
        *image = sp_steal_ptr(&img);
    return 0;
}

int sp_image_disk(const char *data_root, const char *ref, const char *out, uint64_t size,
                  sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_close_ int slock = sp_storage_lock(s, false, err);
    if (slock < 0)
        return -1;
    _cleanup_free_ char *id = sp_xasprintf("disk-%d-%ld", (int)getpid(), (long)time(NULL));
    _cleanup_free_ char *root = NULL;
    if (sp_image_mount(data_root, ref, id, true, "disk", &root, NULL, err) < 0)
        return -1;
    int rc = sp_disk_ext4_from_dir(root, out, size, "septa-root", err);
    _cleanup_error_ sp_error *e2 = NULL;
    if (sp_rootfs_remove(s, id, &e2) < 0 && rc == 0) {
        *err = sp_steal_ptr(&e2);
        rc = -1;
    }
    return rc;
}

int sp_image_unmount(const char *data_root, const char *id, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    return sp_rootfs_remove(s, id, err);
}

int sp_image_df(const char *data_root, json_t **out, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    _cleanup_json_ json_t *rec = NULL;
    if (open_records(data_root, &s, &rec, err) < 0)
        return -1;
    _cleanup_json_ json_t *roots = NULL;
    if (sp_rootfs_list(s, &roots, err) < 0)
        return -1;
    _cleanup_json_ json_t *vols = NULL;
    if (sp_volume_list(data_root, &vols, err) < 0)
        return -1;
    uint64_t vsize = 0;
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v) vsize +=
        (uint64_t)json_integer_value(json_object_get(v, "size"));
    *out = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "images",
        (json_int_t)json_object_size(json_object_get(rec, "images")), "blobs",
        (json_int_t)sp_du_at(s->dirfd, "blobs"), "layers", (json_int_t)sp_du_at(s->dirfd, "layers"),
        "containers", (json_int_t)json_array_size(roots), "containers_size",
        (json_int_t)sp_du_at(s->dirfd, "containers"), "volumes", (json_int_t)json_array_size(vols),
        "volumes_size", (json_int_t)vsize, "tmp", (json_int_t)sp_du_at(s->dirfd, "tmp"), "partial",
        (json_int_t)sp_du_at(s->dirfd, "partial"));
    return 0;
}
