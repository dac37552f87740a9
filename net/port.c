/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ports: attach a network namespace (veth) or a guest (tap) to a switch,
 * detach, and collect what crashed owners left.  The order inside the store
 * lock is the crash-safety argument: lease recorded as "creating" (with our
 * pid) -> links made -> nftables rules -> lease marked "ready".  A septa
 * killed anywhere in between leaves a "creating" lease whose pid is dead,
 * which sp_net_gc() undoes completely.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

void sp_port_free(struct sp_port *p)
{
    if (!p)
        return;
    free(p->switch_name);
    free(p->container_id);
    free(p->container_name);
    free(p->host_ifname);
    free(p->ifname);
    free(p->address);
    free(p->gateway);
    free(p->mac);
    free(p);
}

void sp_port_freep(struct sp_port **p)
{
    sp_port_free(*p);
    *p = NULL;
}

static char *jstr_dup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? sp_xstrdup(s) : NULL;
}

static struct sp_port *port_from_lease(const char *sw, const struct net_switch *s, json_t *l)
{
    struct sp_port *p = sp_xcalloc(1, sizeof(*p));
    char gw[INET6_ADDRSTRLEN];
    sp_ip_format(&s->gateway, gw);
    p->switch_name = sp_xstrdup(sw);
    p->container_id = jstr_dup(l, "id");
    p->container_name = jstr_dup(l, "name");
    p->host_ifname = jstr_dup(l, "host_if");
    p->ifname = jstr_dup(l, "ifname");
    p->address = jstr_dup(l, "address");
    p->prefix = s->subnet.prefix;
    p->gateway = sp_xstrdup(gw);
    p->mac = jstr_dup(l, "mac");
    return p;
}

static int check_owner(const char *id, sp_error **err)
{
    if (!id || !*id)
        return sp_err(err, 0, "invalid container id '': must not be empty");
    if (strlen(id) > 128)
        return sp_err(err, 0, "invalid container id '%.20s...': at most 128 characters", id);
    for (const char *c = id; *c; c++)
        if (*c <= ' ' || *c == '/' || *c == 0x7f)
            return sp_err(err, 0,
                          "invalid container id '%s': no spaces, control characters "
                          "or '/'",
                          id);
    return 0;
}

static void lease_remove(json_t *leases, const char *id)
{
    size_t idx;
    if (net_leases_find(leases, id, &idx))
        json_array_remove(json_object_get(leases, "ports"), idx);
}

/* Every host port already published, for the "already published" check. */
static int check_publish_free(struct net_store *st, const struct sp_publish *want, size_t n,
                              char *const *specs, sp_error **err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (sp_publish_conflict(&want[i], &want[j]))
                return sp_err(err, EADDRINUSE, "port publication '%s' conflicts with '%s'",
                              specs[i], specs[j]);
    _cleanup_json_ json_t *snap = NULL;
    if (net_snapshot(st, &snap, err) < 0)
        return -1;
    size_t a, b, c;
    json_t *sw, *p, *spec;
    json_array_foreach(snap, a, sw) {
        json_array_foreach(json_object_get(sw, "ports"), b, p) {
            json_array_foreach(json_object_get(p, "publish"), c, spec) {
                struct sp_publish have;
                _cleanup_error_ sp_error *ign = NULL;
                if (sp_publish_parse(json_string_value(spec), &have, &ign) < 0)
                    continue;
                for (size_t i = 0; i < n; i++)
                    if (sp_publish_conflict(&want[i], &have))
                        return sp_err(err, EADDRINUSE,
                                      "port %u/%s is already published by "
                                      "%s on switch %s",
                                      want[i].host_port,
                                      want[i].proto == IPPROTO_UDP ? "udp" : "tcp",
                                      json_string_value(json_object_get(p, "id")),
                                      json_string_value(json_object_get(sw, "name")));
            }
        }
    }
    return 0;
}

static int choose_address(const struct net_switch *s, json_t *leases, const char *fixed,
                          struct sp_ipaddr *out, sp_error **err)
{
    json_t *ports = json_object_get(leases, "ports");
    size_t n = json_array_size(ports);
    _cleanup_free_ const char **used = sp_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        used[i] = json_string_value(json_object_get(json_array_get(ports, i), "address"));
    if (!fixed)
        return sp_ipam_pick(&s->subnet, &s->gateway, used, out, err);
    if (sp_ip_parse(fixed, out, err) < 0)
        return sp_err_wrap(err, "--ip");
    char net[INET6_ADDRSTRLEN], norm[INET6_ADDRSTRLEN];
    sp_ip_format(&s->subnet.addr, net);
    sp_ip_format(out, norm);
    if (!sp_cidr_is_host(&s->subnet, out))
        return sp_err(err, 0, "address %s is not a host address of subnet %s/%d of switch %s",
                      fixed, net, s->subnet.prefix, s->name);
    if (memcmp(out->a, s->gateway.a, 16) == 0)
        return sp_err(err, EADDRINUSE, "address %s is the gateway of switch %s", fixed, s->name);
    for (size_t i = 0; i < n; i++)
        if (strcmp(used[i], norm) == 0)
            return sp_err(err, EADDRINUSE, "address %s is already leased to %s on switch %s", fixed,
                          json_string_value(json_object_get(json_array_get(ports, i), "id")),
                          s->name);
    return 0;
}

struct attach_req {
    const char *sw;
    const char *id;
    const char *name;
    const char *netns_path; /* NULL: tap */
    int netns_fd;
    struct stat ns_st;
    const struct sp_port_opts *opts;
};

static int attach_locked(struct net_store *st, const struct attach_req *rq, struct sp_port **out,
                         sp_error **err)
{
    bool tap = rq->netns_path == NULL;
    const char *want = rq->opts ? rq->opts->ifname : NULL;
    if (!tap && want && sp_net_check_name("interface", want, err) < 0)
        return -1;
    /* Without a name, the first free eth0..eth15: a second switch gives eth1. */
    bool auto_ifname = want == NULL;
    char ifname[16];
    snprintf(ifname, sizeof(ifname), "%s", want ? want : "eth0");
    int mtu = rq->opts ? rq->opts->mtu : 0;
    if (mtu != 0 && (mtu < 68 || mtu > 65535))
        return sp_err(err, 0, "invalid MTU %d: must be 68-65535", mtu);

    /* Parse every -p before touching anything. */
    size_t npub = 0;
    char *const *specs = rq->opts ? (char *const *)rq->opts->publish : NULL;
    while (specs && specs[npub])
        npub++;
    _cleanup_free_ struct sp_publish *pub = sp_xcalloc(npub + 1, sizeof(*pub));
    for (size_t i = 0; i < npub; i++)
        if (sp_publish_parse(specs[i], &pub[i], err) < 0)
            return -1;

    struct net_switch s;
    if (net_switch_use(st, rq->sw, &s, err) < 0)
        return -1;
    int ret = -1;
    _cleanup_json_ json_t *leases = NULL;
    if (net_leases_load(st, rq->sw, &leases, err) < 0)
        goto out;
    if (net_leases_find(leases, rq->id, NULL)) {
        sp_err(err, EEXIST, "%s is already attached to switch %s", rq->id, rq->sw);
        goto out;
    }
    if (npub && s.subnet.addr.family != AF_INET) {
        sp_err(err, ENOTSUP, "publishing ports is supported on IPv4 switches only; %s is IPv6",
               rq->sw);
        goto out;
    }
    if (npub && check_publish_free(st, pub, npub, specs, err) < 0)
        goto out;
    struct sp_ipaddr addr;
    if (choose_address(&s, leases, rq->opts ? rq->opts->ip : NULL, &addr, err) < 0)
        goto out;

    char host_if[16], macs[18], abuf[INET6_ADDRSTRLEN];
    uint8_t mac[6];
    net_port_ifname(tap ? "st" : "sv", rq->sw, rq->id, host_if);
    net_port_mac(rq->sw, rq->id, mac, macs);
    sp_ip_format(&addr, abuf);
    bool stale = false;
    if (net_link_exists(host_if, &stale, err) < 0)
        goto out;
    if (stale) {
        /* Our own name, left by a crash that gc has not seen yet. */
        if (net_link_delete(host_if, err) < 0)
            goto out;
    }
    json_t *pubs = json_array();
    for (size_t i = 0; i < npub; i++)
        json_array_append_new(pubs, json_string(specs[i]));
    json_t *lease = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:i}", "id", rq->id, "name",
                              rq->name ? rq->name : "", "kind", tap ? "tap" : "veth", "address",
                              abuf, "mac", macs, "host_if", host_if, "publish", pubs, "state",
                              "creating", "pid", (int)getpid());
    if (!tap) {
        json_object_set_new(lease, "ifname", json_string(ifname));
        json_object_set_new(lease, "netns", json_string(rq->netns_path));
        json_object_set_new(lease, "ns_dev", json_integer((json_int_t)rq->ns_st.st_dev));
        json_object_set_new(lease, "ns_ino", json_integer((json_int_t)rq->ns_st.st_ino));
    }
    json_array_append_new(json_object_get(leases, "ports"), lease);
    if (net_leases_save(st, rq->sw, leases, err) < 0)
        goto out;

    int r;
    if (tap) {
        r = net_tap_create(rq->sw, host_if, mac, mtu ? mtu : s.mtu, err);
    } else {
        struct net_veth_req vr = {
            .bridge = rq->sw,
            .host_if = host_if,
            .ifname = ifname,
            .netns_fd = rq->netns_fd,
            .mac = mac,
            .mtu = mtu ? mtu : s.mtu,
            .address = &addr,
            .prefix = s.subnet.prefix,
            .gateway = s.internal ? NULL : &s.gateway,
        };
        r = net_veth_create(&vr, err);
        for (int n = 1; r < 0 && auto_ifname && (*err)->errnum == EEXIST && n < 16; n++) {
            sp_error_free(err);
            snprintf(ifname, sizeof(ifname), "eth%d", n);
            r = net_veth_create(&vr, err);
        }
        if (r == 0)
            json_object_set_new(net_leases_find(leases, rq->id, NULL), "ifname",
                                json_string(ifname));
    }
    if (r == 0 && npub)
        r = net_nft_sync(st, err);
    if (r == 0) {
        lease = net_leases_find(leases, rq->id, NULL);
        json_object_set_new(lease, "state", json_string("ready"));
        json_object_del(lease, "pid");
        r = net_leases_save(st, rq->sw, leases, err);
    }
    if (r < 0) {
        /* Undo in reverse; the lease goes last so a crash here is still collectable. */
        _cleanup_error_ sp_error *ign = NULL;
        net_link_delete(host_if, &ign);
        lease_remove(leases, rq->id);
        if (npub)
            net_nft_sync(st, &ign);
        net_leases_save(st, rq->sw, leases, &ign);
        goto out;
    }
    if (out)
        *out = port_from_lease(rq->sw, &s, net_leases_find(leases, rq->id, NULL));
    ret = 0;
out:
    net_switch_clear(&s);
    return ret;
}

static int attach(const char *data_root, struct attach_req *rq, struct sp_port **out,
                  sp_error **err)
{
    if (!rq->sw)
        rq->sw = SP_NET_DEFAULT_SWITCH;
    if (sp_net_check_name("switch", rq->sw, err) < 0 || check_owner(rq->id, err) < 0)
        return -1;
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    int r = attach_locked(&st, rq, out, err);
    net_store_close(&st);
    return r;
}

int sp_net_attach(const char *data_root, const char *switch_name, const char *container_id,
                  const char *container_name, const char *netns_path,
                  const struct sp_port_opts *opts, struct sp_port **out, sp_error **err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!netns_path || !*netns_path)
        return sp_err(err, 0, "attaching %s: no network namespace given", container_id);
    _cleanup_close_ int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "attaching %s: opening network namespace %s", container_id,
                      netns_path);
    struct statfs sfs;
    struct attach_req rq = {.sw = switch_name,
                            .id = container_id,
                            .name = container_name,
                            .netns_path = netns_path,
                            .netns_fd = fd,
                            .opts = opts};
    if (fstatfs(fd, &sfs) < 0 || fstat(fd, &rq.ns_st) < 0)
        return sp_err(err, errno, "attaching %s: %s", container_id, netns_path);
    if (sfs.f_type != NSFS_MAGIC)
        return sp_err(err, EINVAL, "attaching %s: %s is not a namespace file", container_id,
                      netns_path);
    if (attach(data_root, &rq, out, err) < 0)
        return sp_err_wrap(err, "attaching %s to switch %s", container_id,
                           switch_name ? switch_name : SP_NET_DEFAULT_SWITCH);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* The benchmark reads this: the attach itself, without process start-up. */
    sp_debug("attached %s to switch %s in %.3f ms", container_id, rq.sw,
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}

int sp_net_tap_create(const char *data_root, const char *switch_name, const char *owner_id,
                      const char *owner_name, const struct sp_port_opts *opts, struct sp_port **out,
                      sp_error **err)
{
    struct attach_req rq = {
        .sw = switch_name, .id = owner_id, .name = owner_name, .opts = opts, .netns_fd = -1};
    if (attach(data_root, &rq, out, err) < 0)
        return sp_err_wrap(err, "creating a tap port for %s on switch %s", owner_id,
                           switch_name ? switch_name : SP_NET_DEFAULT_SWITCH);
    return 0;
}

/* Remove one port from a loaded lease list: link, then (caller) rules and record. */
static int port_remove(json_t *leases, const char *id, bool *had_publish, sp_error **err)
{
    json_t *l = net_leases_find(leases, id, NULL);
    if (!l)
        return 0;
    if (json_array_size(json_object_get(l, "publish")) > 0)
        *had_publish = true;
    if (net_link_delete(json_string_value(json_object_get(l, "host_if")), err) < 0)
        return -1;
    lease_remove(leases, id);
    return 0;
}

static int detach_locked(struct net_store *st, const char *sw, const char *id, bool must_exist,
                         sp_error **err)
{
    _cleanup_json_ json_t *leases = NULL;
    if (net_leases_load(st, sw, &leases, err) < 0)
        return -1;
    if (!net_leases_find(leases, id, NULL)) {
        if (must_exist)
            return sp_err(err, ENOENT, "%s is not attached to switch %s", id, sw);
        return 0;
    }
    bool pub = false;
    if (port_remove(leases, id, &pub, err) < 0)
        return -1;
    if (pub && net_nft_sync(st, err) < 0)
        return -1;
    return net_leases_save(st, sw, leases, err);
}

int sp_net_detach(const char *data_root, const char *switch_name, const char *container_id,
                  sp_error **err)
{
    const char *sw = switch_name ? switch_name : SP_NET_DEFAULT_SWITCH;
    if (sp_net_check_name("switch", sw, err) < 0 || check_owner(container_id, err) < 0)
        return -1;
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    struct net_switch s;
    int r = net_switch_load(&st, sw, &s, err);
    if (r == 0)
        r = net_err_no_switch(err, sw);
    if (r > 0) {
        net_switch_clear(&s);
        r = detach_locked(&st, sw, container_id, true, err);
    }
    net_store_close(&st);
    if (r < 0)
        return sp_err_wrap(err, "detaching %s from switch %s", container_id, sw);
    return 0;
}

int sp_net_detach_all(const char *data_root, const char *container_id, sp_error **err)
{
    if (check_owner(container_id, err) < 0)
        return -1;
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    _cleanup_strv_ char **names = NULL;
    int r = net_switch_names(&st, &names, err);
    for (size_t i = 0; r == 0 && names[i]; i++)
        r = detach_locked(&st, names[i], container_id, false, err);
    net_store_close(&st);
    if (r < 0)
        return sp_err_wrap(err, "detaching %s", container_id);
    return 0;
}

/* The default liveness test: the recorded namespace (same inode) and our link still exist. */
static bool default_alive(json_t *l)
{
    bool exists = false;
    _cleanup_error_ sp_error *e = NULL;
    if (net_link_exists(json_string_value(json_object_get(l, "host_if")), &exists, &e) < 0)
        return true; /* cannot tell: keep */
    if (!exists)
        return false;
    const char *kind = json_string_value(json_object_get(l, "kind"));
    if (strcmp(kind, "veth") != 0)
        return true;
    const char *ns = json_string_value(json_object_get(l, "netns"));
    struct stat sb;
    if (!ns || stat(ns, &sb) < 0)
        return false;
    return (json_int_t)sb.st_dev == json_integer_value(json_object_get(l, "ns_dev")) &&
           (json_int_t)sb.st_ino == json_integer_value(json_object_get(l, "ns_ino"));
}

int sp_net_gc(const char *data_root, sp_net_alive_fn is_alive, void *userdata, int *removed,
              sp_error **err)
{
    struct net_store st;
    if (net_store_open(data_root, &st, err) < 0)
        return -1;
    int count = 0, ret = -1;
    bool pub = false;
    _cleanup_strv_ char **names = NULL;
    if (net_switch_names(&st, &names, err) < 0)
        goto out;
    for (size_t i = 0; names[i]; i++) {
        _cleanup_json_ json_t *leases = NULL;
        if (net_leases_load(&st, names[i], &leases, err) < 0)
            goto out;
        json_t *ports = json_object_get(leases, "ports");
        int before = count;
        for (size_t k = json_array_size(ports); k-- > 0;) {
            json_t *l = json_array_get(ports, k);
            const char *id = json_string_value(json_object_get(l, "id"));
            bool alive;
            if (strcmp(json_string_value(json_object_get(l, "state")), "ready") != 0) {
                /* Half-made: alive only while the septa that was making it runs. */
                json_int_t pid = json_integer_value(json_object_get(l, "pid"));
                alive = pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0;
            } else {
                alive = is_alive ? is_alive(id, userdata) : default_alive(l);
            }
            if (alive)
                continue;
            _cleanup_free_ char *idc = sp_xstrdup(id);
            if (port_remove(leases, idc, &pub, err) < 0)
                goto out;
            count++;
        }
        if (count != before && net_leases_save(&st, names[i], leases, err) < 0)
            goto out;
    }
    /* Always rebuild: also drops rules a crash left for ports no record names. */
    if (net_nft_sync(&st, err) < 0)
        goto out;
    (void)pub;
    if (removed)
        *removed = count;
    ret = 0;
out:
    net_store_close(&st);
    if (ret < 0)
        sp_err_wrap(err, "collecting network garbage");
    return ret;
}
