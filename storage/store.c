/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content-addressed store: blobs, layer directories, locks, pruning. */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool digest_ok(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
        return false;
    for (const char *h = d + 7; *h; h++)
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
            return false;
    return true;
}

static void hex_of(const unsigned char *md, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

int sp_storage_open(const char *data_root, struct sp_store **out, sp_error **err)
{
    _cleanup_free_ char *dir = sp_path_join(data_root, "storage");
    static const char *const subdirs[] = {"blobs/sha256", "layers", "tmp", "partial"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(subdirs); i++) {
        _cleanup_free_ char *p = sp_path_join(dir, subdirs[i]);
        if (sp_mkdir_p(p, 0700, err) < 0)
            return sp_err_wrap(err, "creating the image store");
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "opening the image store %s", dir);
    struct sp_store *s = sp_xcalloc(1, sizeof(*s));
    s->dir = sp_steal_ptr(&dir);
    s->dirfd = fd;
    *out = s;
    return 0;
}

void sp_storage_close(struct sp_store *s)
{
    if (!s)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->dir);
    free(s);
}

void sp_storage_closep(struct sp_store **s)
{
    sp_storage_close(*s);
    *s = NULL;
}

int sp_storage_lock(struct sp_store *s, bool exclusive, sp_error **err)
{
    return sp_lock_file(s->dirfd, "store.lock", exclusive, true, err);
}

static char *blob_rel(const char *digest)
{
    return sp_xasprintf("blobs/sha256/%s", digest + 7);
}

bool sp_blob_exists(struct sp_store *s, const char *digest)
{
    if (!digest_ok(digest))
        return false;
    _cleanup_free_ char *rel = blob_rel(digest);
    return faccessat(s->dirfd, rel, F_OK, 0) == 0;
}

int sp_blob_open(struct sp_store *s, const char *digest, sp_error **err)
{
    if (!digest_ok(digest))
        return sp_err(err, EINVAL, "'%s' is not a sha256 digest", digest);
    _cleanup_free_ char *rel = blob_rel(digest);
    int fd = openat(s->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return sp_err(err, errno, "blob %s", digest);
    return fd;
}

int64_t sp_blob_size(struct sp_store *s, const char *digest, sp_error **err)
{
    if (!digest_ok(digest))
        return sp_err(err, EINVAL, "'%s' is not a sha256 digest", digest);
    _cleanup_free_ char *rel = blob_rel(digest);
    struct stat st;
    if (fstatat(s->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return sp_err(err, errno, "blob %s", digest);
    return (int64_t)st.st_size;
}

int sp_blob_read(struct sp_store *s, const char *digest, size_t max, char **out, size_t *len,
                 sp_error **err)
{
    if (!digest_ok(digest))
        return sp_err(err, EINVAL, "'%s' is not a sha256 digest", digest);
    _cleanup_free_ char *rel = blob_rel(digest);
    if (sp_read_file(s->dirfd, rel, max, out, len, err) < 0)
        return sp_err_wrap(err, "blob %s", digest);
    return 0;
}

/* A fresh name in tmp/ that no other process uses. */
static char *tmp_name(const char *kind)
{
    static unsigned counter;
    return sp_xasprintf("tmp/%s-%d-%u", kind, (int)getpid(), counter++);
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Stream into a temp file while hashing; only a verified blob is renamed into
 * blobs/, so a reader never sees a blob whose name lies about its content.
 */
static int blob_put(struct sp_store *s, int fd, const void *buf, size_t buflen,
                    const char *expected, uint64_t expected_size, char digest_out[SP_DIGEST_MAX],
                    uint64_t *size_out, sp_error **err)
{
    if (expected && !digest_ok(expected))
        return sp_err(err, EINVAL, "'%s' is not a sha256 digest", expected);
    _cleanup_free_ char *tmp = tmp_name("blob");
    _cleanup_close_ int out = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return sp_err(err, errno, "creating %s/%s", s->dir, tmp);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        abort();
    uint64_t total = 0;
    int rc = 0;
    if (buf) {
        EVP_DigestUpdate(ctx, buf, buflen);
        total = buflen;
        if (write_all(out, buf, buflen) < 0)
            rc = sp_err(err, errno, "writing %s/%s", s->dir, tmp);
    } else {
        char *chunk = sp_xmalloc(1 << 20);
        for (;;) {
            ssize_t n = read(fd, chunk, 1 << 20);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = sp_err(err, errno, "reading");
                break;
            }
            if (n == 0)
                break;
            EVP_DigestUpdate(ctx, chunk, (size_t)n);
            total += (uint64_t)n;
            if (expected_size != UINT64_MAX && total > expected_size) {
                rc = sp_err(err, 0, "blob %s: more than the %llu bytes announced", expected,
                            (unsigned long long)expected_size);
                break;
            }
            if (write_all(out, chunk, (size_t)n) < 0) {
                rc = sp_err(err, errno, "writing %s/%s", s->dir, tmp);
                break;
            }
            /* Start writeback now so the fsync below does not wait for all
             * of it at once (overlaps disk writes with hashing and reading). */
            sync_file_range(out, (off64_t)(total - (uint64_t)n), n, SYNC_FILE_RANGE_WRITE);
        }
        free(chunk);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    char hex[65];
    hex_of(md, hex);
    char digest[SP_DIGEST_MAX];
    snprintf(digest, sizeof(digest), "sha256:%s", hex);
    if (rc == 0 && expected_size != UINT64_MAX && total != expected_size)
        rc = sp_err(err, 0, "blob %s: %llu bytes, expected %llu", expected ? expected : digest,
                    (unsigned long long)total, (unsigned long long)expected_size);
    if (rc == 0 && expected && strcmp(expected, digest) != 0)
        rc = sp_err(err, 0, "blob %s: content has digest %s", expected, digest);
    if (rc == 0 && fsync(out) < 0)
        rc = sp_err(err, errno, "writing %s/%s", s->dir, tmp);
    _cleanup_free_ char *rel = blob_rel(digest);
    if (rc == 0 && renameat(s->dirfd, tmp, s->dirfd, rel) < 0)
        rc = sp_err(err, errno, "storing blob %s", digest);
    if (rc < 0) {
        unlinkat(s->dirfd, tmp, 0);
        return -1;
    }
    if (digest_out)
        memcpy(digest_out, digest, sizeof(digest));
    if (size_out)
        *size_out = total;
    return 0;
}

int sp_blob_put_fd(struct sp_store *s, int fd, const char *expected, uint64_t expected_size,
                   char digest_out[SP_DIGEST_MAX], uint64_t *size_out, sp_error **err)
{
    /* Already stored and verified when it was put: no work (a second load). */
    if (expected && sp_blob_exists(s, expected)) {
        if (digest_out)
            snprintf(digest_out, SP_DIGEST_MAX, "%s", expected);
        if (size_out) {
            int64_t sz = sp_blob_size(s, expected, err);
            if (sz < 0)
                return -1;
            *size_out = (uint64_t)sz;
        }
        return 0;
    }
    return blob_put(s, fd, NULL, 0, expected, expected_size, digest_out, size_out, err);
}

int sp_blob_put_buf(struct sp_store *s, const void *buf, size_t len, char digest_out[SP_DIGEST_MAX],
                    sp_error **err)
{
    return blob_put(s, -1, buf, len, NULL, UINT64_MAX, digest_out, NULL, err);
}

struct sp_blob_writer {
    struct sp_store *s;
    char *tmp; /* relative to the store: tmp/dl-... or partial/HEX */
    int fd;
    EVP_MD_CTX *md;
    uint64_t total;
    bool resumable; /* partial/HEX: kept by suspend */
};

int sp_blob_writer_open(struct sp_store *s, struct sp_blob_writer **out, sp_error **err)
{
    struct sp_blob_writer *w = sp_xcalloc(1, sizeof(*w));
    w->s = s;
    w->tmp = tmp_name("dl");
    w->fd = openat(s->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        int e = errno;
        free(w->tmp);
        free(w);
        return sp_err(err, e, "creating a blob in %s/tmp", s->dir);
    }
    w->md = EVP_MD_CTX_new();
    if (!w->md || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL))
        abort();
    *out = w;
    return 0;
}

int sp_blob_writer_write(struct sp_blob_writer *w, const void *buf, size_t n, sp_error **err)
{
    EVP_DigestUpdate(w->md, buf, n);
    w->total += n;
    if (write_all(w->fd, buf, n) < 0)
        return sp_err(err, errno, "writing %s/%s", w->s->dir, w->tmp);
    return 0;
}

uint64_t sp_blob_writer_size(const struct sp_blob_writer *w)
{
    return w->total;
}

/* Hash what an earlier pull left in w->fd, ending at its end. */
static int writer_rehash(struct sp_blob_writer *w, uint64_t max_size, sp_error **err)
{
    struct stat st;
    if (fstat(w->fd, &st) < 0)
        return sp_err(err, errno, "%s/%s", w->s->dir, w->tmp);
    if ((uint64_t)st.st_size > max_size) {
        /* Longer than the blob can be: not a prefix of it. */
        if (ftruncate(w->fd, 0) < 0)
            return sp_err(err, errno, "truncating %s/%s", w->s->dir, w->tmp);
        st.st_size = 0;
    }
    char *chunk = sp_xmalloc(1 << 20);
    uint64_t off = 0;
    int rc = 0;
    while (off < (uint64_t)st.st_size) {
        ssize_t n = pread(w->fd, chunk, 1 << 20, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = sp_err(err, n < 0 ? errno : EIO, "reading %s/%s", w->s->dir, w->tmp);
            break;
        }
        EVP_DigestUpdate(w->md, chunk, (size_t)n);
        off += (uint64_t)n;
    }
    free(chunk);
    w->total = off;
    if (rc == 0 && lseek(w->fd, (off_t)off, SEEK_SET) < 0)
        rc = sp_err(err, errno, "%s/%s", w->s->dir, w->tmp);
    return rc;
}

int sp_blob_writer_open_resumable(struct sp_store *s, const char *digest, uint64_t max_size,
                                  struct sp_blob_writer **out, sp_error **err)
{
    if (!digest_ok(digest))
        return sp_err(err, EINVAL, "'%s' is not a sha256 digest", digest);
    _cleanup_free_ char *rel = sp_xasprintf("partial/%s", digest + 7);
    _cleanup_close_ int fd = openat(s->dirfd, rel, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sp_err(err, errno, "opening %s/%s", s->dir, rel);
    /* Another pull of the same blob has it: download privately instead. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        return sp_blob_writer_open(s, out, err);
    /* The file may have been committed (renamed into blobs/) or discarded
     * between our open and our lock: only the file still at the name is ours
     * to append to. */
    struct stat a, b;
    if (fstat(fd, &a) < 0 || fstatat(s->dirfd, rel, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
        a.st_dev != b.st_dev || a.st_ino != b.st_ino || !S_ISREG(a.st_mode))
        return sp_blob_writer_open(s, out, err);
    struct sp_blob_writer *w = sp_xcalloc(1, sizeof(*w));
    w->s = s;
    w->tmp = sp_steal_ptr(&rel);
    w->fd = sp_steal_fd(&fd);
    w->resumable = true;
    w->md = EVP_MD_CTX_new();
    if (!w->md || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL))
        abort();
    if (writer_rehash(w, max_size, err) < 0) {
        sp_blob_writer_abort(w);
        return -1;
    }
    *out = w;
    return 0;
}

void sp_blob_writer_suspend(struct sp_blob_writer *w)
{
    if (!w)
        return;
    if (!w->resumable) {
        sp_blob_writer_abort(w);
        return;
    }
    close(w->fd); /* written with write(2): a later pull reads it back */
    EVP_MD_CTX_free(w->md);
    free(w->tmp);
    free(w);
}

void sp_blob_writer_abort(struct sp_blob_writer *w)
{
    if (!w)
        return;
    close(w->fd);
    unlinkat(w->s->dirfd, w->tmp, 0);
    EVP_MD_CTX_free(w->md);
    free(w->tmp);
    free(w);
}

int sp_blob_writer_commit(struct sp_blob_writer *w, const char *expected, uint64_t expected_size,
                          char digest_out[SP_DIGEST_MAX], sp_error **err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(w->md, md, &mdlen);
    char hex[65];
    hex_of(md, hex);
    char digest[SP_DIGEST_MAX];
    snprintf(digest, sizeof(digest), "sha256:%s", hex);
    int rc = 0;
    if (expected_size != UINT64_MAX && w->total != expected_size)
        rc = sp_err(err, 0, "blob %s: %llu bytes, expected %llu", expected ? expected : digest,
                    (unsigned long long)w->total, (unsigned long long)expected_size);
    else if (expected && strcmp(expected, digest) != 0)
        rc = sp_err(err, 0, "blob %s: content has digest %s", expected, digest);
    else if (fsync(w->fd) < 0)
        rc = sp_err(err, errno, "writing %s/%s", w->s->dir, w->tmp);
    _cleanup_free_ char *rel = blob_rel(digest);
    if (rc == 0 && renameat(w->s->dirfd, w->tmp, w->s->dirfd, rel) < 0)
        rc = sp_err(err, errno, "storing blob %s", digest);
    if (rc == 0 && digest_out)
        memcpy(digest_out, digest, sizeof(digest));
    if (rc < 0)
        unlinkat(w->s->dirfd, w->tmp, 0);
    close(w->fd);
    EVP_MD_CTX_free(w->md);
    free(w->tmp);
    free(w);
    return rc;
}

/* ---- layers ------------------------------------------------------------- */

char *sp_layer_path(struct sp_store *s, const char *diff_id)
{
    return sp_xasprintf("%s/layers/%s/root", s->dir, diff_id + 7);
}

bool sp_layer_exists(struct sp_store *s, const char *diff_id)
{
    if (!digest_ok(diff_id))
        return false;
    _cleanup_free_ char *rel = sp_xasprintf("layers/%s/root", diff_id + 7);
    return faccessat(s->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int sp_layer_ensure(struct sp_store *s, const char *blob_digest, const char *diff_id, bool *created,
                    sp_error **err)
{
    *created = false;
    if (!digest_ok(diff_id))
        return sp_err(err, EINVAL, "'%s' is not a sha256 diff_id", diff_id);
    if (sp_layer_exists(s, diff_id))
        return 0;
    /* One unpacker per layer: a concurrent load of the same image waits here
     * and then finds the layer done instead of unpacking it a second time. */
    _cleanup_free_ char *lockname = sp_xasprintf("layers/%s.lock", diff_id + 7);
    _cleanup_close_ int lock = sp_lock_file(s->dirfd, lockname, true, true, err);
    if (lock < 0)
        return -1;
    if (sp_layer_exists(s, diff_id))
        return 0;

    struct sp_unpack_opts o;
    if (sp_unpack_opts_default(&o, err) < 0)
        return -1;
    o.devices = geteuid() == 0;
    _cleanup_close_ int blob = sp_blob_open(s, blob_digest, err);
    if (blob < 0)
        return -1;
    _cleanup_free_ char *tmp = tmp_name("layer");
    if (mkdirat(s->dirfd, tmp, 0700) < 0)
        return sp_err(err, errno, "creating %s/%s", s->dir, tmp);
    _cleanup_free_ char *tmproot = sp_path_join(tmp, "root");
    int rc = 0;
    if (mkdirat(s->dirfd, tmproot, 0755) < 0)
        rc = sp_err(err, errno, "creating %s/%s", s->dir, tmproot);
    struct sp_unpack_stats st = {0};
    if (rc == 0) {
        _cleanup_close_ int rootfd =
            openat(s->dirfd, tmproot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
            rc = sp_err(err, errno, "opening %s/%s", s->dir, tmproot);
        else if (sp_unpack_fd(blob, rootfd, &o, &st, err) < 0)
            rc = sp_err_wrap(err, "layer %s", blob_digest);
        else if (strcmp(st.diff_id, diff_id) != 0)
            rc = sp_err(err, 0,
                        "layer %s: uncompressed content has digest %s, the image "
                        "config says %s",
                        blob_digest, st.diff_id, diff_id);
    }
    if (rc == 0) {
        _cleanup_json_ json_t *meta =
            json_pack("{s:s, s:s, s:I, s:I}", "diff_id", diff_id, "blob", blob_digest, "entries",
                      (json_int_t)st.entries, "size", (json_int_t)st.bytes);
        _cleanup_close_ int tfd = openat(s->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0 || sp_json_write_file(tfd, "layer.json", meta, false, err) < 0)
            rc = tfd < 0 ? sp_err(err, errno, "opening %s/%s", s->dir, tmp) : -1;
    }
    _cleanup_free_ char *final = sp_xasprintf("layers/%s", diff_id + 7);
    if (rc == 0 && renameat(s->dirfd, tmp, s->dirfd, final) < 0)
        rc = sp_err(err, errno, "storing layer %s", diff_id);
    if (rc < 0) {
        /* Nothing of a bad layer stays: the temp tree goes with the error. */
        _cleanup_error_ sp_error *e2 = NULL;
        sp_rm_rf_at(s->dirfd, tmp, &e2);
        return -1;
    }
    fsync(s->dirfd);
    *created = true;
    return 0;
}

/* ---- pruning ------------------------------------------------------------ */

static bool in_list(json_t *list, const char *digest)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), digest) == 0)
            return true;
    }
    return false;
}

int sp_storage_prune(struct sp_store *s, json_t *keep_blobs, json_t *keep_layers, uint64_t *nblobs,
                     uint64_t *nlayers, uint64_t *bytes, sp_error **err)
{
    *nblobs = *nlayers = *bytes = 0;
    static const char *const dirs[] = {"blobs/sha256", "layers", "tmp"};
    for (size_t k = 0; k < SP_ARRAY_SIZE(dirs); k++) {
        _cleanup_close_ int dfd =
            openat(s->dirfd, dirs[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            return sp_err(err, errno, "opening %s/%s", s->dir, dirs[k]);
        _cleanup_dir_ DIR *d = fdopendir(dup(dfd));
        if (!d)
            return sp_err(err, errno, "listing %s/%s", s->dir, dirs[k]);
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            bool is_lock =
                strlen(de->d_name) > 5 && strcmp(de->d_name + strlen(de->d_name) - 5, ".lock") == 0;
            char digest[SP_DIGEST_MAX];
            snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
            bool keep = false;
            if (k == 0)
                keep = in_list(keep_blobs, digest);
            else if (k == 1)
                keep = in_list(keep_layers, digest);
            if (keep)
                continue;
            if (is_lock) {
                /* The lock of a layer that is gone (or never finished); no
                 * loader holds it while we hold the store lock exclusively. */
                unlinkat(dfd, de->d_name, 0);
                continue;
            }
            *bytes += sp_du_at(dfd, de->d_name);
            if (sp_rm_rf_at(dfd, de->d_name, err) < 0)
                return sp_err_wrap(err, "pruning %s/%s", s->dir, dirs[k]);
            if (k == 0)
                (*nblobs)++;
            else if (k == 1)
                (*nlayers)++;
        }
    }
    return 0;
}

static uint64_t du_fd(int dfd, dev_t dev, int depth)
{
    uint64_t total = 0;
    _cleanup_dir_ DIR *d = fdopendir(dup(dfd));
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        total += (uint64_t)st.st_blocks * 512;
        if (S_ISDIR(st.st_mode) && st.st_dev == dev && depth < 256) {
            _cleanup_close_ int c =
                openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (c >= 0)
                total += du_fd(c, dev, depth + 1);
        }
    }
    return total;
}

uint64_t sp_du_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    uint64_t total = (uint64_t)st.st_blocks * 512;
    if (!S_ISDIR(st.st_mode))
        return total;
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return total;
    return total + du_fd(fd, st.st_dev, 0);
}

int sp_storage_prune_partials(struct sp_store *s, uint64_t *count, uint64_t *bytes, sp_error **err)
{
    *count = *bytes = 0;
    _cleanup_close_ int dfd =
        openat(s->dirfd, "partial", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "opening %s/partial", s->dir);
    _cleanup_dir_ DIR *d = fdopendir(dup(dfd));
    if (!d)
        return sp_err(err, errno, "listing %s/partial", s->dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        *bytes += sp_du_at(dfd, de->d_name);
        if (sp_rm_rf_at(dfd, de->d_name, err) < 0)
            return sp_err_wrap(err, "removing %s/partial/%s", s->dir, de->d_name);
        (*count)++;
    }
    return 0;
}
