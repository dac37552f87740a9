/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links over rtnetlink (libnl-route): bridges, veth pairs, tap devices, and
 * address/route configuration inside a container's network namespace.  No
 * `ip` commands: every change is one netlink request whose failure names the
 * link it was about.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void sockp(struct nl_sock **s)
{
    if (*s)
        nl_socket_free(*s);
}
static void linkp(struct rtnl_link **l)
{
    if (*l)
        rtnl_link_put(*l);
}
static void nladdrp(struct nl_addr **a)
{
    if (*a)
        nl_addr_put(*a);
}
static void rtaddrp(struct rtnl_addr **a)
{
    if (*a)
        rtnl_addr_put(*a);
}
static void routep(struct rtnl_route **r)
{
    if (*r)
        rtnl_route_put(*r);
}
#define _cleanup_sock_   _cleanup_(sockp)
#define _cleanup_link_   _cleanup_(linkp)
#define _cleanup_nladdr_ _cleanup_(nladdrp)
#define _cleanup_rtaddr_ _cleanup_(rtaddrp)
#define _cleanup_route_  _cleanup_(routep)

static int nl_open(struct nl_sock **out, sp_error **err)
{
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk)
        return sp_err(err, ENOMEM, "allocating a netlink socket");
    int r = nl_connect(sk, NETLINK_ROUTE);
    if (r < 0) {
        nl_socket_free(sk);
        return sp_err(err, 0, "connecting to rtnetlink: %s", nl_geterror(r));
    }
    *out = sk;
    return 0;
}

static struct nl_addr *to_nladdr(const struct sp_ipaddr *ip, int prefix)
{
    struct nl_addr *a = nl_addr_build(ip->family, ip->a, ip->family == AF_INET ? 4 : 16);
    if (a && prefix >= 0)
        nl_addr_set_prefixlen(a, prefix);
    return a;
}

int net_link_exists(const char *ifname, bool *exists, sp_error **err)
{
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *l = NULL;
    int r = rtnl_link_get_kernel(sk, 0, ifname, &l);
    if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
        *exists = false;
        return 0;
    }
    if (r < 0)
        return sp_err(err, 0, "looking up link %s: %s", ifname, nl_geterror(r));
    *exists = true;
    return 0;
}

int net_link_delete(const char *ifname, sp_error **err)
{
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
    rtnl_link_set_name(l, ifname);
    int r = rtnl_link_delete(sk, l);
    if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
        return sp_err(err, 0, "deleting link %s: %s", ifname, nl_geterror(r));
    return 0;
}

/* Bring an existing link up (and optionally set its MTU / master). */
static int link_set_up(struct nl_sock *sk, const char *ifname, int mtu, int master, sp_error **err)
{
    _cleanup_link_ struct rtnl_link *cur = NULL;
    int r = rtnl_link_get_kernel(sk, 0, ifname, &cur);
    if (r < 0)
        return sp_err(err, 0, "looking up link %s: %s", ifname, nl_geterror(r));
    _cleanup_link_ struct rtnl_link *chg = rtnl_link_alloc();
    rtnl_link_set_flags(chg, IFF_UP);
    if (mtu > 0)
        rtnl_link_set_mtu(chg, (unsigned)mtu);
    if (master > 0)
        rtnl_link_set_master(chg, master);
    r = rtnl_link_change(sk, cur, chg, 0);
    if (r < 0)
        return sp_err(err, 0, "configuring link %s: %s", ifname, nl_geterror(r));
    return 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const char *ifname, const struct sp_ipaddr *ip,
                    int prefix, sp_error **err)
{
    _cleanup_rtaddr_ struct rtnl_addr *a = rtnl_addr_alloc();
    _cleanup_nladdr_ struct nl_addr *local = to_nladdr(ip, prefix);
    if (!a || !local)
        return sp_err(err, ENOMEM, "allocating an address");
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_local(a, local);
    rtnl_addr_set_prefixlen(a, prefix);
    /* Addresses septa hands out are unique by construction: skip the DAD wait. */
    if (ip->family == AF_INET6)
        rtnl_addr_set_flags(a, IFA_F_NODAD);
    int r = rtnl_addr_add(sk, a, 0);
    if (r < 0 && r != -NLE_EXIST) {
        char buf[INET6_ADDRSTRLEN];
        sp_ip_format(ip, buf);
        return sp_err(err, 0, "adding address %s/%d to %s: %s", buf, prefix, ifname,
                      nl_geterror(r));
    }
    return 0;
}

/* Per-bridge sysctls; they vanish with the bridge, so nothing global is changed. */
static int bridge_sysctls(const struct net_switch *s, sp_error **err)
{
    if (s->subnet.addr.family == AF_INET) {
        /* Routing off the bridge (other switches, NAT) is decided by the input device. */
        _cleanup_free_ char *fwd = sp_xasprintf("/proc/sys/net/ipv4/conf/%s/forwarding", s->name);
        if (sp_write_file(AT_FDCWD, fwd, "1", err) < 0)
            return -1;
        /* Published ports answer on 127.0.0.1: DNAT'ed loopback traffic may leave here. */
        _cleanup_free_ char *rl =
            sp_xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", s->name);
        if (sp_write_file(AT_FDCWD, rl, "1", err) < 0)
            return -1;
    } else {
        _cleanup_free_ char *fwd = sp_xasprintf("/proc/sys/net/ipv6/conf/%s/forwarding", s->name);
        if (sp_write_file(AT_FDCWD, fwd, "1", err) < 0)
            return -1;
    }
    return 0;
}

int net_bridge_ensure(const struct net_switch *s, sp_error **err)
{
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *cur = NULL;
    int r = rtnl_link_get_kernel(sk, 0, s->name, &cur);
    if (r == 0) {
        const char *type = rtnl_link_get_type(cur);
        if (!type || strcmp(type, "bridge") != 0)
            return sp_err(err, EEXIST,
                          "switch %s: a network interface of that name exists "
                          "and is not a bridge",
                          s->name);
        return 0; /* already there (the normal case) */
    }
    if (r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
        return sp_err(err, 0, "looking up bridge %s: %s", s->name, nl_geterror(r));

    _cleanup_link_ struct rtnl_link *br = rtnl_link_bridge_alloc();
    if (!br)
        return sp_err(err, ENOMEM, "allocating bridge %s", s->name);
    rtnl_link_set_name(br, s->name);
    rtnl_link_set_mtu(br, (unsigned)s->mtu);
    r = rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL);
    if (r < 0)
        return sp_err(err, 0, "creating bridge %s: %s", s->name, nl_geterror(r));
    _cleanup_link_ struct rtnl_link *made = NULL;
    r = rtnl_link_get_kernel(sk, 0, s->name, &made);
    if (r < 0) {
        sp_err(err, 0, "looking up bridge %s: %s", s->name, nl_geterror(r));
        goto undo;
    }
    if (bridge_sysctls(s, err) < 0 ||
        addr_add(sk, rtnl_link_get_ifindex(made), s->name, &s->gateway, s->subnet.prefix, err) <
            0 ||
        link_set_up(sk, s->name, 0, 0, err) < 0)
        goto undo;
    return 0;
undo:
    rtnl_link_delete(sk, made ? made : br);
    return sp_err_wrap(err, "creating switch %s", s->name);
}

/* Inside the namespace: lo up, the port up with its address, and the default route. */
static int configure_in_ns(const struct net_veth_req *req, sp_error **err)
{
    if (setns(req->netns_fd, CLONE_NEWNET) < 0)
        return sp_err(err, errno, "entering the network namespace");
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    if (link_set_up(sk, "lo", 0, 0, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *port = NULL;
    int r = rtnl_link_get_kernel(sk, 0, req->ifname, &port);
    if (r < 0)
        return sp_err(err, 0, "looking up %s in the namespace: %s", req->ifname, nl_geterror(r));
    int ifindex = rtnl_link_get_ifindex(port);
    if (addr_add(sk, ifindex, req->ifname, req->address, req->prefix, err) < 0 ||
        link_set_up(sk, req->ifname, 0, 0, err) < 0)
        return -1;
    if (!req->gateway)
        return 0;
    _cleanup_route_ struct rtnl_route *rt = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    _cleanup_nladdr_ struct nl_addr *gw = to_nladdr(req->gateway, -1);
    _cleanup_nladdr_ struct nl_addr *dst = nl_addr_build(req->gateway->family, NULL, 0);
    if (!rt || !nh || !gw || !dst)
        return sp_err(err, ENOMEM, "allocating a route");
    nl_addr_set_prefixlen(dst, 0);
    rtnl_route_set_family(rt, (uint8_t)req->gateway->family);
    rtnl_route_set_dst(rt, dst);
    rtnl_route_nh_set_gateway(nh, gw);
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(rt, nh);
    r = rtnl_route_add(sk, rt, NLM_F_CREATE);
    if (r < 0 && r != -NLE_EXIST)
        return sp_err(err, 0, "adding the default route in the namespace: %s", nl_geterror(r));
    return 0;
}

struct ns_job {
    const struct net_veth_req *req;
    sp_error *err;
    int ret;
};

static void *ns_thread(void *arg)
{
    struct ns_job *job = arg;
    job->ret = configure_in_ns(job->req, &job->err);
    return NULL;
}

/*
 * The network namespace is a per-thread attribute: a short-lived thread
 * setns()es and configures, the caller's thread never changes namespace, and
 * the namespace reference goes with the thread.  (A fork would do the same at
 * twice the cost: this is on the attach path, which has a time budget.)
 */
static int configure_netns(const struct net_veth_req *req, sp_error **err)
{
    struct ns_job job = {.req = req};
    pthread_t t;
    int r = pthread_create(&t, NULL, ns_thread, &job);
    if (r != 0)
        return sp_err(err, r, "starting a thread to configure the namespace");
    pthread_join(t, NULL);
    if (job.ret < 0) {
        sp_err(err, job.err ? job.err->errnum : 0, "%s",
               job.err && job.err->msg ? job.err->msg : "configuring the namespace failed");
        sp_error_free(&job.err);
        return -1;
    }
    return 0;
}

int net_veth_create(const struct net_veth_req *req, sp_error **err)
{
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *br = NULL;
    int r = rtnl_link_get_kernel(sk, 0, req->bridge, &br);
    if (r < 0)
        return sp_err(err, 0, "looking up bridge %s: %s", req->bridge, nl_geterror(r));

    _cleanup_link_ struct rtnl_link *veth = rtnl_link_veth_alloc();
    if (!veth)
        return sp_err(err, ENOMEM, "allocating a veth pair");
    struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
    rtnl_link_set_name(veth, req->host_if);
    rtnl_link_set_mtu(veth, (unsigned)req->mtu);
    rtnl_link_set_master(veth, rtnl_link_get_ifindex(br));
    /* Up at creation: one request instead of two. */
    rtnl_link_set_flags(veth, IFF_UP);
    /* The peer is born inside the namespace with its final name: no rename race. */
    rtnl_link_set_name(peer, req->ifname);
    rtnl_link_set_mtu(peer, (unsigned)req->mtu);
    rtnl_link_set_ns_fd(peer, req->netns_fd);
    _cleanup_nladdr_ struct nl_addr *mac = nl_addr_build(AF_LLC, req->mac, 6);
    rtnl_link_set_addr(peer, mac);
    r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    if (r < 0) {
        sp_err(err, 0, "creating veth pair %s/%s: %s", req->host_if, req->ifname, nl_geterror(r));
        /* The host name is checked first, so this names the namespace side: callers retry. */
        if (r == -NLE_EXIST)
            (*err)->errnum = EEXIST;
        return -1;
    }
    if (configure_netns(req, err) < 0) {
        _cleanup_link_ struct rtnl_link *del = rtnl_link_alloc();
        rtnl_link_set_name(del, req->host_if);
        rtnl_link_delete(sk, del);
        return -1;
    }
    return 0;
}

int net_tap_create(const char *bridge, const char *tap_if, const uint8_t *mac, int mtu,
                   sp_error **err)
{
    _cleanup_sock_ struct nl_sock *sk = NULL;
    if (nl_open(&sk, err) < 0)
        return -1;
    _cleanup_link_ struct rtnl_link *br = NULL;
    int r = rtnl_link_get_kernel(sk, 0, bridge, &br);
    if (r < 0)
        return sp_err(err, 0, "looking up bridge %s: %s", bridge, nl_geterror(r));
    _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "opening /dev/net/tun");
    struct ifreq ifr = {0};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap_if);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return sp_err(err, errno, "creating tap device %s", tap_if);
    /* Persistent: the device outlives this process until the port is removed. */
    if (ioctl(fd, TUNSETPERSIST, 1) < 0)
        return sp_err(err, errno, "making tap device %s persistent", tap_if);
    if (link_set_up(sk, tap_if, mtu, rtnl_link_get_ifindex(br), err) < 0) {
        ioctl(fd, TUNSETPERSIST, 0);
        return -1;
    }
    (void)mac; /* the guest's NIC carries the MAC (QEMU -netdev ... mac=) */
    return 0;
}
