/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Switches: create, remove, list; recreate what a reboot removed. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every switch record with its ports, as JSON, in name order. */
int net_snapshot(struct net_store *st, json_t **out, sp_error **err)
{
    _cleanup_strv_ char **names = NULL;
    if (net_switch_names(st, &names, err) < 0)
        return -1;
    _cleanup_json_ json_t *arr = json_array();
    for (size_t i = 0; names[i]; i++) {
        struct net_switch s;
        int r = net_switch_load(st, names[i], &s, err);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        json_t *j = net_switch_to_json(&s);
        net_switch_clear(&s);
        _cleanup_json_ json_t *leases = NULL;
        if (net_leases_load(st, names[i], &leases, err) < 0) {
            json_decref(j);
            return -1;
        }
        json_object_set(j, "ports", json_object_get(leases, "ports"));
        json_array_append_new(arr, j);
    }
    *out = sp_steal_ptr(&arr);
    return 0;
}

int net_nft_sync(struct net_store *st, sp_error **err)
{
    _cleanup_json_ json_t *snap = NULL;
    if (net_snapshot(st, &snap, err) < 0)
        return -1;
    return net_nft_apply(st->table, snap, err);
}

/* After a reboot the records remain and the bridges are gone: make them again. */
static int ensure_all(struct net_store *st, sp_error **err)
{
    _cleanup_strv_ char **names = NULL;
    if (net_switch_names(st, &names, err) < 0)
        return -1;
    bool created = false;
    for (size_t i = 0; names[i]; i++) {
        struct net_switch s;
        int r = net_switch_load(st, names[i], &s, err);
        if (r <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        bool exists = false;
        r = net_link_exists(s.name, &exists, err);
        if (r == 0 && !exists) {
            r = net_bridge_ensure(&s, err);
            created = true;
        }
        net_switch_clear(&s);
        if (r < 0)
            return -1;
    }
    return created ? net_nft_sync(st, err) : 0;
}

/* The first 10.x.0.0/16 (x from 88) that no switch uses. */
static int pick_subnet(json_t *snap, struct sp_cidr *out, sp_error **err)
{
    for (int x = 88; x < 256; x++) {
        _cleanup_free_ char *s = sp_xasprintf("10.%d.0.0/16", x);
        if (sp_cidr_parse(s, out, err) < 0)
            return -1;
        bool clash = false;
        size_t i;
        json_t *sw;
        json_array_foreach(snap, i, sw) {
            struct sp_cidr other;
            if (sp_cidr_parse(json_string_value(json_object_get(sw, "subnet")), &other, err) < 0)
                return -1;
            if (sp_cidr_overlap(out, &other))
                clash = true;
        }
        if (!clash)
            return 0;
    }
    return sp_err(err, ENOSPC, "no free 10.x.0.0/16 subnet left; give --subnet");
}

static int create_locked(struct net_store *st, const char *name, const struct sp_switch_opts *opts,
                         sp_error **err)
{
    if (sp_net_check_name("switch", name, err) < 0)
        return -1;
    struct net_switch s = {0};
    int r = net_switch_load(st, name, &s, err);
    net_switch_clear(&s);
    if (r < 0)
        return -1;
    if (r > 0)
        return sp_err(err, EEXIST, "switch %s already exists", name);
    bool exists = false;
    if (net_link_exists(name, &exists, err) < 0)
        return -1;
    if (exists)
        return sp_err(err, EEXIST, "a network interface named %s already exists on the host", name);
    if (opts->mtu != 0 && (opts->mtu < 68 || opts->mtu > 65535))
        return sp_err(err, 0, "invalid MTU %d: must be 68-65535", opts->mtu);

    _cleanup_json_ json_t *snap = NULL;
    if (net_snapshot(st, &snap, err) < 0)
        return -1;
    s.mtu = opts->mtu ? opts->mtu : 1500;
    s.internal = opts->internal;
    s.isolate = opts->isolate;
    if (opts->subnet) {
        if (sp_cidr_parse(opts->subnet, &s.subnet, err) < 0)
            return -1;
        int max = s.subnet.addr.family == AF_INET ? 30 : 126;
        if (s.subnet.prefix > max)
            return sp_err(err, 0, "subnet %s is too small: at most /%d", opts->subnet, max);
    } else if (pick_subnet(snap, &s.subnet, err) < 0) {
        return -1;
    }
    size_t i;
    json_t *sw;
    json_array_foreach(snap, i, sw) {
        struct sp_cidr other;
        const char *os = json_string_value(json_object_get(sw, "subnet"));
        if (sp_cidr_parse(os, &other, err) < 0)
            return -1;
        if (sp_cidr_overlap(&s.subnet, &other)) {
            char net[INET6_ADDRSTRLEN];
            sp_ip_format(&s.subnet.addr, net);
            return sp_err(err, 0, "subnet %s/%d overlaps subnet %s of switch %s", net,
                          s.subnet.prefix, os, json_string_value(json_object_get(sw, "name")));
        }
    }
    if (opts->gateway) {
        if (sp_ip_parse(opts->gateway, &s.gateway, err) < 0)
            return sp_err_wrap(err, "--gateway");
        if (!sp_cidr_is_host(&s.subnet, &s.gateway)) {
            char net[INET6_ADDRSTRLEN];
            sp_ip_format(&s.subnet.addr, net);
            return sp_err(err, 0, "gateway %s is not a host address of subnet %s/%d", opts->gateway,
                          net, s.subnet.prefix);
        }
    } else {
        sp_cidr_nth(&s.subnet, 1, &s.gateway);
    }
    s.name = sp_xstrdup(name);
    if (!s.internal && s.subnet.addr.family == AF_INET) {
        _cleanup_free_ char *fwd = NULL;
        size_t len;
        _cleanup_error_ sp_error *ign = NULL;
        /* A global setting: septa states the need and leaves the choice to the admin. */
        if (sp_read_file(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", 16, &fwd, &len, &ign) == 0 &&
            fwd[0] == '0')
            sp_warn("switch %s: net.ipv4.ip_forward is 0, so its containers reach the host "
                    "and other switches but not other machines",
                    name);
    }
    /* Record first: a crash between here and the bridge leaves something gc/ensure can see. */
    r = net_switch_save(st, &s, err);
    if (r == 0)
        r = net_bridge_ensure(&s, err);
    if (r == 0)
        r = net_nft_sync(st, err);
    if (r < 0) {
        _cleanup_error_ sp_error *ign = NULL;
        _cleanup_free_ char *file = sp_xasprintf("%s.json", name);
        unlinkat(st->dirfd, file, 0);
        net_link_delete(name, &ign);
        net_nft_sync(st, &ign);
    }
    net_switch_clear(&s);
    return r;
}

int sp_net_switch_create(const char *data_root, const char *name, const struct sp_switch_opts *opts,
                         sp_error **err)
{
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    int r = create_locked(&st, name, opts, err);
    net_store_close(&st);
    if (r < 0)
        return sp_err_wrap(err, "creating switch %s", name ? name : "");
    return 0;
}

/* Load `name`, creating the default switch on first use; recreate its bridge if gone. */
int net_switch_use(struct net_store *st, const char *name, struct net_switch *out, sp_error **err)
{
    int r = net_switch_load(st, name, out, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        if (strcmp(name, SP_NET_DEFAULT_SWITCH) != 0)
            return net_err_no_switch(err, name);
        struct sp_switch_opts def = {.isolate = true};
        if (create_locked(st, name, &def, err) < 0)
            return sp_err_wrap(err, "creating the default switch %s", name);
        if (net_switch_load(st, name, out, err) <= 0)
            return -1;
        return 0;
    }
    bool exists = false;
    if (net_link_exists(out->name, &exists, err) < 0)
        return -1;
    if (!exists && (net_bridge_ensure(out, err) < 0 || net_nft_sync(st, err) < 0))
        return -1;
    return 0;
}

int sp_net_switch_rm(const char *data_root, const char *name, bool force, sp_error **err)
{
    if (sp_net_check_name("switch", name, err) < 0)
        return -1;
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    int ret = -1;
    struct net_switch s;
    _cleanup_json_ json_t *leases = NULL;
    _cleanup_free_ char *file = sp_xasprintf("%s.json", name);
    _cleanup_free_ char *lfile = sp_xasprintf("%s.leases", name);
    int r = net_switch_load(&st, name, &s, err);
    if (r <= 0) {
        if (r == 0)
            net_err_no_switch(err, name);
        goto out;
    }
    net_switch_clear(&s);
    if (net_leases_load(&st, name, &leases, err) < 0)
        goto out;
    json_t *ports = json_object_get(leases, "ports");
    size_t i;
    json_t *p;
    if (force) {
        json_array_foreach(ports, i, p) {
            if (net_link_delete(json_string_value(json_object_get(p, "host_if")), err) < 0)
                goto out;
        }
    } else if (json_array_size(ports) > 0) {
        _cleanup_free_ char *users = sp_xstrdup("");
        json_array_foreach(ports, i, p) {
            const char *who = json_string_value(json_object_get(p, "name"));
            if (!who || !*who)
                who = json_string_value(json_object_get(p, "id"));
            char *u = sp_xasprintf("%s%s%s", users, i ? ", " : "", who);
            free(users);
            users = u;
        }
        sp_err(err, EBUSY, "switch %s is in use by %s", name, users);
        goto out;
    }
    /* Records first, then the rules rebuilt without the switch, then the bridge. */
    if (unlinkat(st.dirfd, file, 0) < 0) {
        sp_err(err, errno, "removing the record of switch %s", name);
        goto out;
    }
    unlinkat(st.dirfd, lfile, 0);
    if (net_nft_sync(&st, err) < 0 || net_link_delete(name, err) < 0)
        goto out;
    ret = 0;
out:
    net_store_close(&st);
    if (ret < 0)
        sp_err_wrap(err, "removing switch %s", name);
    return ret;
}

int sp_net_switch_set_isolate(const char *data_root, const char *name, bool isolate, sp_error **err)
{
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    struct net_switch s;
    int ret = -1;
    int r = net_switch_load(&st, name, &s, err);
    if (r == 0)
        net_err_no_switch(err, name);
    if (r > 0) {
        s.isolate = isolate;
        if (net_switch_save(&st, &s, err) == 0 && net_nft_sync(&st, err) == 0)
            ret = 0;
        net_switch_clear(&s);
    }
    net_store_close(&st);
    if (ret < 0)
        sp_err_wrap(err, "updating switch %s", name);
    return ret;
}

int sp_net_switch_list(const char *data_root, json_t **out, sp_error **err)
{
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    int r = ensure_all(&st, err);
    if (r == 0)
        r = net_snapshot(&st, out, err);
    net_store_close(&st);
    return r;
}

int sp_net_switch_inspect(const char *data_root, const char *name, json_t **out, sp_error **err)
{
    if (sp_net_check_name("switch", name, err) < 0)
        return -1;
    _cleanup_json_ json_t *all = NULL;
    if (sp_net_switch_list(data_root, &all, err) < 0)
        return -1;
    size_t i;
    json_t *sw;
    json_array_foreach(all, i, sw) {
        if (strcmp(json_string_value(json_object_get(sw, "name")), name) == 0) {
            *out = json_incref(sw);
            return 0;
        }
    }
    return net_err_no_switch(err, name);
}

int sp_net_hosts_file(const char *data_root, const char *container_id, char **out, sp_error **err)
{
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    _cleanup_json_ json_t *snap = NULL;
    int r = net_snapshot(&st, &snap, err);
    net_store_close(&st);
    if (r < 0)
        return sp_err_wrap(err, "writing hosts for %s", container_id);
    *out = net_hosts_render(snap, container_id);
    return 0;
}
