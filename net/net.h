/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/: virtual switches and their ports.  This header is the module's whole
 * API; the runtime (containers), partition (guests) and cli call it.
 *
 * A switch is a Linux bridge with a subnet and a gateway address on it,
 * recorded in <data_root>/networks/<name>.json.  Its ports (veth pairs for
 * containers, tap devices for guests) and their address leases live in
 * <data_root>/networks/<name>.leases.  Every change to these files, to the
 * links and to septa's nftables table happens under one lock
 * (<data_root>/networks/.lock), and a port is recorded (state "creating")
 * before its links exist, so that sp_net_gc() can undo a killed attach.
 *
 * nftables: septa owns exactly one table per store, `inet septa` for
 * /var/lib/septa (`inet septa-HASH` for any other data root, so that a test
 * store never rebuilds the real one), and rebuilds it from the records in one
 * atomic batch whenever a switch or a published port changes; no other table
 * is ever read or written.
 */
#ifndef SEPTA_NET_H
#define SEPTA_NET_H

#include "common.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* The switch used when none is named; created with a free 10.x.0.0/16 on first use. */
#define SP_NET_DEFAULT_SWITCH "septa0"

/* ------------------------------------------------------------------------ */
/* Addresses (pure functions, no privileges; unit-tested)                    */
/* ------------------------------------------------------------------------ */

struct sp_ipaddr {
    int family;    /* AF_INET or AF_INET6 */
    uint8_t a[16]; /* network byte order; v4 uses a[0..3] */
};

struct sp_cidr {
    struct sp_ipaddr addr; /* the network address (host bits cleared) */
    int prefix;
};

int sp_ip_parse(const char *s, struct sp_ipaddr *out, sp_error **err);
/* "10.1.0.0/24", "fd00:1::/64".  Host bits set in the address are refused. */
int sp_cidr_parse(const char *s, struct sp_cidr *out, sp_error **err);
void sp_ip_format(const struct sp_ipaddr *ip, char buf[INET6_ADDRSTRLEN]);
bool sp_cidr_contains(const struct sp_cidr *c, const struct sp_ipaddr *ip);
bool sp_cidr_overlap(const struct sp_cidr *a, const struct sp_cidr *b);
/* The n-th address of the subnet (0 = network address); false past the end. */
bool sp_cidr_nth(const struct sp_cidr *c, uint64_t n, struct sp_ipaddr *out);
/* Is ip a usable host address of c (not the network or v4 broadcast address)? */
bool sp_cidr_is_host(const struct sp_cidr *c, const struct sp_ipaddr *ip);

/* A published port: -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]. */
struct sp_publish {
    bool has_host_ip;
    struct sp_ipaddr host_ip; /* IPv4 only */
    uint16_t host_port;
    uint16_t ctr_port;
    int proto; /* IPPROTO_TCP or IPPROTO_UDP */
};
int sp_publish_parse(const char *s, struct sp_publish *out, sp_error **err);
/* Two publications that would claim the same host port. */
bool sp_publish_conflict(const struct sp_publish *a, const struct sp_publish *b);

/*
 * Choose an address for a new port: the lowest usable address of `subnet`
 * that is not the gateway and not in `used` (NULL-terminated strings).
 */
int sp_ipam_pick(const struct sp_cidr *subnet, const struct sp_ipaddr *gateway,
                 const char *const *used, struct sp_ipaddr *out, sp_error **err);
/* Switch and interface names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 15 bytes (IFNAMSIZ). */
int sp_net_check_name(const char *what, const char *name, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Switches                                                                  */
/* ------------------------------------------------------------------------ */

struct sp_switch_opts {
    const char *subnet;  /* CIDR; NULL picks a free 10.x.0.0/16 */
    const char *gateway; /* NULL = first host address of the subnet */
    bool internal;       /* no default route, no masquerade, nothing leaves the host */
    int mtu;             /* 0 = 1500 */
    bool isolate;        /* refuse traffic to and from other switches (default true) */
};

int sp_net_switch_create(const char *data_root, const char *name, const struct sp_switch_opts *opts,
                         sp_error **err);
/*
 * Refused while a port is attached (the message names the users), unless
 * `force`: then every port's link and lease goes first.
 */
int sp_net_switch_rm(const char *data_root, const char *name, bool force, sp_error **err);
/* Change whether a switch routes to other non-isolated switches. */
int sp_net_switch_set_isolate(const char *data_root, const char *name, bool isolate,
                              sp_error **err);
/*
 * The records, as JSON (an array of switch objects, each with "ports").  Also
 * recreates bridges and the nftables table that a reboot removed.
 */
int sp_net_switch_list(const char *data_root, json_t **out, sp_error **err);
int sp_net_switch_inspect(const char *data_root, const char *name, json_t **out, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Ports                                                                     */
/* ------------------------------------------------------------------------ */

struct sp_port_opts {
    const char *ip;             /* fixed address, NULL = next free */
    const char *const *publish; /* NULL-terminated -p specs, may be NULL */
    const char *const *dns;     /* for sp_net_resolv_conf; not used by attach */
    int mtu;                    /* 0 = the switch's MTU */
    const char *ifname;         /* name inside the namespace, NULL = first free eth0..eth15 */
};

struct sp_port {
    char *switch_name;
    char *container_id;
    char *container_name;
    char *host_ifname; /* the host end (veth) or the tap device */
    char *ifname;      /* inside the namespace (veth only) */
    char *address;     /* "10.88.0.2" */
    int prefix;
    char *gateway;
    char *mac; /* "02:..:..:..:..:.." */
};
void sp_port_free(struct sp_port *p);
void sp_port_freep(struct sp_port **p);
#define _cleanup_port_ _cleanup_(sp_port_freep)

/*
 * Give the network namespace at netns_path a port on switch_name (NULL =
 * the default switch, created on first use).  container_id is the port's
 * owner (unique per switch); container_name goes into /etc/hosts.
 */
int sp_net_attach(const char *data_root, const char *switch_name, const char *container_id,
                  const char *container_name, const char *netns_path,
                  const struct sp_port_opts *opts, struct sp_port **out, sp_error **err);
/* Remove container_id's port (veth or tap), its lease and its nftables rules. */
int sp_net_detach(const char *data_root, const char *switch_name, const char *container_id,
                  sp_error **err);
/* Remove every port that container_id has on any switch. */
int sp_net_detach_all(const char *data_root, const char *container_id, sp_error **err);

/*
 * A persistent tap device for a guest, enslaved to the switch, with a lease
 * (the guest configures the address itself, e.g. by kernel command line).
 * Remove it with sp_net_detach(data_root, switch, owner_id).
 */
int sp_net_tap_create(const char *data_root, const char *switch_name, const char *owner_id,
                      const char *owner_name, const struct sp_port_opts *opts, struct sp_port **out,
                      sp_error **err);

/*
 * Is the owner of a port still there?  The default (callback NULL) says yes
 * while the recorded network namespace still exists (same inode), or for a
 * tap device while the device exists.
 */
typedef bool (*sp_net_alive_fn)(const char *container_id, void *userdata);
/*
 * Remove ports whose owner is gone and attaches that a killed septa left
 * half done, with their links, leases and nftables rules.  *removed (may be
 * NULL) receives the count.
 */
int sp_net_gc(const char *data_root, sp_net_alive_fn is_alive, void *userdata, int *removed,
              sp_error **err);

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * /etc/hosts for a container: localhost, then the container's own addresses
 * with its name, then every other container on its switches.
 */
int sp_net_hosts_file(const char *data_root, const char *container_id, char **out, sp_error **err);
/*
 * /etc/resolv.conf: nameservers from `dns` if given, else the host's
 * resolv.conf (host_resolv, NULL = /etc/resolv.conf) without loopback
 * nameservers, which a container cannot reach.
 */
int sp_net_resolv_conf(const char *const *dns, const char *host_resolv, char **out, sp_error **err);

#endif
