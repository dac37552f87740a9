/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The switch store: <data_root>/networks/<name>.json and <name>.leases,
 * written atomically, all under <data_root>/networks/.lock.  One lock for
 * the whole store keeps address picking, published-port checks and the
 * nftables table (which spans every switch) consistent with each other.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int net_store_open(const char *data_root, struct net_store *st, sp_error **err)
{
    st->dirfd = -1;
    st->lockfd = -1;
    st->dir = sp_path_join(data_root, "networks");
    /*
     * The default store owns table "septa"; any other data root (tests, a second
     * instance) gets its own table so that two stores never rebuild each other's.
     */
    char real[PATH_MAX];
    if (!realpath(data_root, real))
        snprintf(real, sizeof(real), "%s", data_root);
    if (strcmp(real, "/var/lib/septa") == 0) {
        snprintf(st->table, sizeof(st->table), "septa");
    } else {
        char hex[65];
        sp_sha256_hex(real, strlen(real), hex);
        snprintf(st->table, sizeof(st->table), "septa-%.8s", hex);
    }
    if (sp_mkdir_p(st->dir, 0700, err) < 0)
        goto fail;
    st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dirfd < 0) {
        sp_err(err, errno, "opening %s", st->dir);
        goto fail;
    }
    st->lockfd = sp_lock_file(st->dirfd, ".lock", true, true, err);
    if (st->lockfd < 0)
        goto fail;
    return 0;
fail:
    sp_err_wrap(err, "opening the switch store");
    net_store_close(st);
    return -1;
}

void net_store_close(struct net_store *st)
{
    if (st->lockfd >= 0)
        close(st->lockfd);
    if (st->dirfd >= 0)
        close(st->dirfd);
    free(st->dir);
    st->dir = NULL;
    st->lockfd = st->dirfd = -1;
}

int net_err_no_switch(sp_error **err, const char *name)
{
    sp_err(err, 0, "no such switch: %s", name);
    (*err)->errnum = ENOENT;
    return -1;
}

void net_switch_clear(struct net_switch *s)
{
    free(s->name);
    memset(s, 0, sizeof(*s));
}

json_t *net_switch_to_json(const struct net_switch *s)
{
    char net[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
    sp_ip_format(&s->subnet.addr, net);
    sp_ip_format(&s->gateway, gw);
    _cleanup_free_ char *subnet = sp_xasprintf("%s/%d", net, s->subnet.prefix);
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:i}", "name", s->name, "bridge", s->name,
                     "subnet", subnet, "gateway", gw, "internal", s->internal, "isolate",
                     s->isolate, "mtu", s->mtu);
}

static const char *const switch_keys[] = {"name",     "bridge",  "subnet", "gateway",
                                          "internal", "isolate", "mtu",    NULL};

int net_switch_load(struct net_store *st, const char *name, struct net_switch *out, sp_error **err)
{
    memset(out, 0, sizeof(*out));
    _cleanup_free_ char *file = sp_xasprintf("%s.json", name);
    _cleanup_free_ char *path = sp_path_join(st->dir, file);
    if (faccessat(st->dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return sp_err(err, errno, "reading switch record %s", path);
    }
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0)
        return -1;
    json_t *r = doc->root;
    const char *sname, *subnet, *gw;
    int64_t mtu;
    if (!json_is_object(r))
        return sp_jerr(doc, err, "", "expected an object");
    if (sp_json_check_keys(doc, r, "", switch_keys, err) < 0 ||
        sp_json_get_str(doc, r, "", "name", true, &sname, err) < 0 ||
        sp_json_get_str(doc, r, "", "subnet", true, &subnet, err) < 0 ||
        sp_json_get_str(doc, r, "", "gateway", true, &gw, err) < 0 ||
        sp_json_get_bool(doc, r, "", "internal", true, &out->internal, err) < 0 ||
        sp_json_get_bool(doc, r, "", "isolate", true, &out->isolate, err) < 0 ||
        sp_json_get_range(doc, r, "", "mtu", true, 68, 65535, &mtu, err) < 0)
        return -1;
    if (strcmp(sname, name) != 0)
        return sp_jerr(doc, err, "name", "record of '%s' names '%s'", name, sname);
    _cleanup_error_ sp_error *e = NULL;
    if (sp_cidr_parse(subnet, &out->subnet, &e) < 0)
        return sp_jerr(doc, err, "subnet", "%s", e->msg);
    if (sp_ip_parse(gw, &out->gateway, &e) < 0)
        return sp_jerr(doc, err, "gateway", "%s", e->msg);
    out->mtu = (int)mtu;
    out->name = sp_xstrdup(name);
    return 1;
}

int net_switch_save(struct net_store *st, const struct net_switch *s, sp_error **err)
{
    _cleanup_json_ json_t *j = net_switch_to_json(s);
    _cleanup_free_ char *file = sp_xasprintf("%s.json", s->name);
    if (sp_json_write_file(st->dirfd, file, j, true, err) < 0)
        return sp_err_wrap(err, "recording switch %s", s->name);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int net_switch_names(struct net_store *st, char ***out, sp_error **err)
{
    int fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "reading %s", st->dir);
    _cleanup_dir_ DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return sp_err(err, errno, "reading %s", st->dir);
    }
    size_t n = 0;
    char **v = sp_xcalloc(1, sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        v = sp_xrealloc(v, (n + 2) * sizeof(char *));
        v[n++] = strndup(de->d_name, len - 5);
        v[n] = NULL;
    }
    qsort(v, n, sizeof(char *), cmp_str);
    *out = v;
    return 0;
}

int net_leases_load(struct net_store *st, const char *sw, json_t **out, sp_error **err)
{
    _cleanup_free_ char *file = sp_xasprintf("%s.leases", sw);
    _cleanup_free_ char *path = sp_path_join(st->dir, file);
    if (faccessat(st->dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            return sp_err(err, errno, "reading leases %s", path);
        *out = json_pack("{s:[]}", "ports");
        return 0;
    }
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0)
        return -1;
    json_t *ports;
    if (!json_is_object(doc->root))
        return sp_jerr(doc, err, "", "expected an object");
    if (sp_json_get_arr(doc, doc->root, "", "ports", true, &ports, err) < 0)
        return -1;
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        _cleanup_free_ char *ppath = sp_xasprintf("ports[%zu]", i);
        const char *s;
        if (!json_is_object(p))
            return sp_jerr(doc, err, ppath, "expected an object");
        static const char *const req[] = {"id", "kind", "address", "host_if", "state"};
        for (size_t k = 0; k < SP_ARRAY_SIZE(req); k++)
            if (sp_json_get_str(doc, p, ppath, req[k], true, &s, err) < 0)
                return -1;
    }
    *out = json_incref(doc->root);
    return 0;
}

int net_leases_save(struct net_store *st, const char *sw, json_t *leases, sp_error **err)
{
    _cleanup_free_ char *file = sp_xasprintf("%s.leases", sw);
    if (sp_json_write_file(st->dirfd, file, leases, true, err) < 0)
        return sp_err_wrap(err, "recording leases of switch %s", sw);
    return 0;
}

json_t *net_leases_find(json_t *leases, const char *id, size_t *index)
{
    json_t *ports = json_object_get(leases, "ports");
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0) {
            if (index)
                *index = i;
            return p;
        }
    }
    return NULL;
}

/*
 * FNV-1a, 64 bits: names and MACs only need to be stable and spread out, and
 * this keeps the attach path away from the crypto library's start-up cost.
 */
static uint64_t fnv1a(const char *a, const char *b, const char *c)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const char *parts[] = {a, "/", b, "/", c};
    for (size_t i = 0; i < SP_ARRAY_SIZE(parts); i++)
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
            h ^= *p;
            h *= UINT64_C(0x100000001b3);
        }
    return h;
}

void net_port_ifname(const char *prefix, const char *sw, const char *id, char out[16])
{
    /* prefix (2) + 11 hex digits = 13 bytes: 44 bits, no clash among a switch's ports. */
    snprintf(out, 16, "%.2s%011llx", prefix, (unsigned long long)(fnv1a("if", sw, id) >> 20));
}

void net_port_mac(const char *sw, const char *id, uint8_t mac[6], char str[18])
{
    uint64_t h = fnv1a("mac", sw, id);
    /* 02: locally administered, unicast; the rest from the owner so it is stable. */
    mac[0] = 0x02;
    for (int i = 1; i < 6; i++)
        mac[i] = (uint8_t)(h >> (8 * (i - 1)));
    snprintf(str, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}
