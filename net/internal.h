/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to net/: the store, link operations and the nftables table. */
#ifndef SEPTA_NET_INTERNAL_H
#define SEPTA_NET_INTERNAL_H

#include "net.h"

/* A switch record (<data_root>/networks/<name>.json). */
struct net_switch {
    char *name; /* also the bridge's name */
    struct sp_cidr subnet;
    struct sp_ipaddr gateway;
    bool internal;
    bool isolate;
    int mtu;
};
void net_switch_clear(struct net_switch *s);
json_t *net_switch_to_json(const struct net_switch *s);

/* The store: an open <data_root>/networks directory and the lock held on it. */
struct net_store {
    int dirfd;
    int lockfd;
    char *dir;
    char table[32]; /* septa's nftables table for this data root */
};
/* Open (creating) the store and take its lock; everything below needs it. */
int net_store_open(const char *data_root, struct net_store *st, sp_error **err);
void net_store_close(struct net_store *st);
/* Returns 1 and fills *out, 0 when no such switch, -1 on error. */
int net_switch_load(struct net_store *st, const char *name, struct net_switch *out, sp_error **err);
int net_switch_save(struct net_store *st, const struct net_switch *s, sp_error **err);
/* Every recorded switch name, sorted (NULL-terminated). */
int net_switch_names(struct net_store *st, char ***out, sp_error **err);

/*
 * Leases of one switch: {"ports": [{id, name, kind, address, mac, host_if,
 * ifname, netns, ns_dev, ns_ino, publish[], state, pid}]}.  A missing file is
 * an empty list.
 */
int net_leases_load(struct net_store *st, const char *sw, json_t **out, sp_error **err);
int net_leases_save(struct net_store *st, const char *sw, json_t *leases, sp_error **err);
/* The port of `id` in leases (NULL if none) and its index. */
json_t *net_leases_find(json_t *leases, const char *id, size_t *index);

/* Links (net/link.c), all over rtnetlink in the host namespace. */
int net_link_exists(const char *ifname, bool *exists, sp_error **err);
/* Create the bridge if missing, with its address, MTU and sysctls, and bring it up. */
int net_bridge_ensure(const struct net_switch *s, sp_error **err);
int net_link_delete(const char *ifname, sp_error **err); /* missing is not an error */
/*
 * A veth pair: host end `host_if` enslaved to the bridge, the peer created
 * directly inside the namespace `netns_fd` as `ifname`, then configured there.
 */
struct net_veth_req {
    const char *bridge;
    const char *host_if;
    const char *ifname;
    int netns_fd;
    const uint8_t *mac; /* 6 bytes, for the namespace end */
    int mtu;
    const struct sp_ipaddr *address;
    int prefix;
    const struct sp_ipaddr *gateway; /* NULL: no default route (internal switch) */
};
int net_veth_create(const struct net_veth_req *req, sp_error **err);
int net_tap_create(const char *bridge, const char *tap_if, const uint8_t *mac, int mtu,
                   sp_error **err);

/* Every switch record with its "ports", as a JSON array in name order. */
int net_snapshot(struct net_store *st, json_t **out, sp_error **err);
/* "no such switch: NAME", with errnum ENOENT for callers but no strerror in the text. */
int net_err_no_switch(sp_error **err, const char *name);
/* Load a switch for use: the default one is created on first use, a missing bridge recreated. */
int net_switch_use(struct net_store *st, const char *name, struct net_switch *out, sp_error **err);

/* Rebuild septa's nftables table from every record in the store. */
int net_nft_sync(struct net_store *st, sp_error **err);
/* Make the table hold exactly the rules `switches` need (none: remove it). */
int net_nft_apply(const char *table, json_t *switches, sp_error **err);

/* /etc/hosts text for container_id from a snapshot (net_snapshot's shape). */
char *net_hosts_render(json_t *snap, const char *container_id);

/* Name of the host end / tap of a port: derived from switch and owner, 15 bytes at most. */
void net_port_ifname(const char *prefix, const char *sw, const char *id, char out[16]);
void net_port_mac(const char *sw, const char *id, uint8_t mac[6], char str[18]);

#endif
