/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --user-ns=auto: each container gets its own 65536-wide range of host uids
 * and gids.  The ranges come from a pool, the "containers" entry of
 * /etc/subuid and /etc/subgid as podman reads it, else a default pool far
 * above the ids that login users and their subordinate ranges use.  Who has
 * which range is recorded in <data_root>/userns.json under
 * <data_root>/userns.lock, so that two septa runs never hand out overlapping
 * ranges; a range is given back when its container is removed, and a range
 * whose container record is gone (a crash) is taken back on the next
 * allocation.
 */
#include "images.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USERNS_RECORD "userns.json"
#define USERNS_LOCK   "userns.lock"

int sp_subid_parse(const char *text, const char *name, uint64_t *start, uint64_t *count,
                   sp_error **err)
{
    size_t nl = strlen(name);
    unsigned line = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        line++;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || p[0] == '#' || len <= nl || strncmp(p, name, nl) != 0 || p[nl] != ':')
            continue;
        _cleanup_free_ char *rest = strndup(p + nl + 1, len - nl - 1);
        char *colon = strchr(rest, ':'), *e1 = NULL, *e2 = NULL;
        if (!colon)
            return sp_err(err, EINVAL, "line %u: expected %s:START:COUNT", line, name);
        *colon = '\0';
        errno = 0;
        unsigned long long s = strtoull(rest, &e1, 10);
        unsigned long long c = strtoull(colon + 1, &e2, 10);
        if (errno || e1 == rest || *e1 || e2 == colon + 1 || *e2 || rest[0] == '-' ||
            colon[1] == '-')
            return sp_err(err, EINVAL, "line %u: expected %s:START:COUNT with decimal numbers",
                          line, name);
        /* ids are 32 bits and (uid_t)-1 means "none" */
        if (c == 0 || s + c > 0xffffffffull)
            return sp_err(err, ERANGE, "line %u: %s:%llu:%llu is outside the 32-bit id space", line,
                          name, s, c);
        *start = s;
        *count = c;
        return 1;
    }
    return 0;
}

/* The "containers" entry of one subordinate id file, or the default pool. */
static int pool_from(const char *env, const char *file, uint64_t *start, uint64_t *count,
                     sp_error **err)
{
    const char *path = getenv(env);
    if (!path || !*path)
        path = file;
    *start = SP_USERNS_DEFAULT_START;
    *count = SP_USERNS_DEFAULT_COUNT;
    _cleanup_free_ char *text = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, path, 1u << 20, &text, NULL, &e) < 0) {
        if (e->errnum == ENOENT)
            return 0; /* no such file: the default pool */
        *err = sp_steal_ptr(&e);
        return sp_err_wrap(err, "reading %s", path);
    }
    uint64_t s = 0, c = 0;
    int r = sp_subid_parse(text, "containers", &s, &c, err);
    if (r < 0)
        return sp_err_wrap(err, "%s", path);
    if (r == 0)
        return 0;
    if (c < SP_USERNS_SIZE)
        return sp_err(err, ERANGE, "%s: containers:%llu:%llu is smaller than one range of %u ids",
                      path, (unsigned long long)s, (unsigned long long)c, SP_USERNS_SIZE);
    *start = s;
    *count = c;
    return 0;
}

int sp_userns_pool(struct sp_userns_pool *p, sp_error **err)
{
    if (pool_from("SEPTA_SUBUID", "/etc/subuid", &p->uid_start, &p->uid_count, err) < 0 ||
        pool_from("SEPTA_SUBGID", "/etc/subgid", &p->gid_start, &p->gid_count, err) < 0)
        return sp_err_wrap(err, "--user-ns=auto: the subordinate id pool");
    return 0;
}

static bool overlaps(uint64_t a, uint64_t b)
{
    return a < b + SP_USERNS_SIZE && b < a + SP_USERNS_SIZE;
}

/* Is the range of `id` still owned, i.e. does its container record exist? */
static bool owner_alive(const char *data_root, const char *id)
{
    _cleanup_free_ char *p = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    return access(p, F_OK) == 0;
}

static int record_load(int dfd, json_t **out, sp_error **err)
{
    _cleanup_close_ int fd = openat(dfd, USERNS_RECORD, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            return sp_err(err, errno, "opening %s", USERNS_RECORD);
        *out = json_pack("{s:{}}", "ranges");
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadfd(fd, 0, &je);
    if (!j || !json_is_object(json_object_get(j, "ranges"))) {
        json_decref(j);
        return sp_err(err, EINVAL, "%s: %s", USERNS_RECORD, j ? "no \"ranges\" object" : je.text);
    }
    *out = j;
    return 0;
}

/* The range record under its lock: open with db_open, let db_close go. */
struct userns_db {
    int dfd;
    int lock;
    json_t *rec;
};

static void db_close(struct userns_db *d)
{
    json_decref(d->rec);
    if (d->lock >= 0)
        close(d->lock);
    if (d->dfd >= 0)
        close(d->dfd);
}

static int db_open(const char *data_root, bool exclusive, struct userns_db *d, sp_error **err)
{
    *d = (struct userns_db){.dfd = -1, .lock = -1};
    d->dfd = open(data_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->dfd < 0)
        return sp_err(err, errno, "opening %s", data_root);
    d->lock = sp_lock_file(d->dfd, USERNS_LOCK, exclusive, true, err);
    if (d->lock < 0)
        return -1;
    if (record_load(d->dfd, &d->rec, err) < 0)
        return sp_err_wrap(err, "%s", data_root);
    return 0;
}

int sp_userns_alloc(const char *data_root, const char *id, const struct sp_userns_pool *p,
                    uint64_t *uid_base, uint64_t *gid_base, sp_error **err)
{
    if (sp_mkdir_p(data_root, 0700, err) < 0)
        return -1;
    __attribute__((cleanup(db_close))) struct userns_db db;
    if (db_open(data_root, true, &db, err) < 0)
        return -1;
    json_t *rec = db.rec;
    int dfd = db.dfd;
    json_t *ranges = json_object_get(rec, "ranges");
    /* Ranges of containers that are gone (their septa crashed) are free. */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(ranges, tmp, k, v)
    {
        if (strcmp(k, id) == 0 || !owner_alive(data_root, k))
            json_object_del(ranges, k);
    }
    uint64_t slots = (p->uid_count < p->gid_count ? p->uid_count : p->gid_count) / SP_USERNS_SIZE;
    for (uint64_t i = 0; i < slots; i++) {
        uint64_t u = p->uid_start + i * SP_USERNS_SIZE, g = p->gid_start + i * SP_USERNS_SIZE;
        bool taken = false;
        /* Compared as intervals, not slot numbers: the pool may have moved
         * (an edited /etc/subuid) while older containers keep their ranges. */
        json_object_foreach(ranges, k, v)
        {
            uint64_t ou = (uint64_t)json_integer_value(json_object_get(v, "uid"));
            uint64_t og = (uint64_t)json_integer_value(json_object_get(v, "gid"));
            if (overlaps(u, ou) || overlaps(g, og)) {
                taken = true;
                break;
            }
        }
        if (taken)
            continue;
        json_object_set_new(ranges, id,
                            json_pack("{s:I, s:I, s:i}", "uid", (json_int_t)u, "gid", (json_int_t)g,
                                      "size", (int)SP_USERNS_SIZE));
        if (sp_json_write_file(dfd, USERNS_RECORD, rec, true, err) < 0)
            return sp_err_wrap(err, "%s", data_root);
        *uid_base = u;
        *gid_base = g;
        return 0;
    }
    return sp_err(err, ENOSPC,
                  "--user-ns=auto: all %llu ranges of %u ids in the pool (uids %llu+%llu, gids "
                  "%llu+%llu) belong to live containers",
                  (unsigned long long)slots, SP_USERNS_SIZE, (unsigned long long)p->uid_start,
                  (unsigned long long)p->uid_count, (unsigned long long)p->gid_start,
                  (unsigned long long)p->gid_count);
}

int sp_userns_release(const char *data_root, const char *id, sp_error **err)
{
    _cleanup_free_ char *path = sp_path_join(data_root, USERNS_RECORD);
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0; /* no container ever had a range here */
    __attribute__((cleanup(db_close))) struct userns_db db;
    if (db_open(data_root, true, &db, err) < 0)
        return -1;
    if (json_object_del(json_object_get(db.rec, "ranges"), id) < 0)
        return 0;
    if (sp_json_write_file(db.dfd, USERNS_RECORD, db.rec, true, err) < 0)
        return sp_err_wrap(err, "%s", data_root);
    return 0;
}

int sp_userns_get(const char *data_root, const char *id, uint64_t *uid_base, uint64_t *gid_base,
                  sp_error **err)
{
    __attribute__((cleanup(db_close))) struct userns_db db;
    if (db_open(data_root, false, &db, err) < 0)
        return -1;
    json_t *v = json_object_get(json_object_get(db.rec, "ranges"), id);
    if (!v)
        return 0;
    *uid_base = (uint64_t)json_integer_value(json_object_get(v, "uid"));
    *gid_base = (uint64_t)json_integer_value(json_object_get(v, "gid"));
    return 1;
}
