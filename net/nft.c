/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * septa's nftables table, `inet septa`, rebuilt from the switch records in
 * one atomic batch (add table, delete it, add it again with every chain and
 * rule): the kernel applies all of it or none, so the table always matches
 * some consistent state of the records, and rules whose owner is gone vanish
 * at the next rebuild.  No other table is read or written.
 *
 *   forward     (filter, hook forward)   same-switch traffic, published ports
 *                                        and replies pass; switch-to-switch
 *                                        traffic is dropped unless both ends
 *                                        are --isolate=false; nothing enters or
 *                                        leaves an --internal switch
 *   prerouting  (nat, dstnat)            published ports, from other switches
 *   output      (nat, dstnat)            published ports, from the host itself
 *                                        (127.0.0.1 and the host's addresses)
 *   postrouting (nat, srcnat)            masquerade out of non-internal
 *                                        switches; loopback-sourced DNAT'ed
 *                                        traffic (route_localnet on the bridge)
 *                                        and hairpin traffic are masqueraded
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growing buffer of netlink messages. */
struct batch {
    const char *table;
    char *buf;
    size_t len, cap;
    uint32_t seq;
    unsigned acks; /* messages that will be answered */
};

static char *batch_reserve(struct batch *b)
{
    /* Every message septa builds is far below 64 KiB. */
    if (b->cap - b->len < 65536) {
        b->cap = b->cap * 2 + 131072;
        b->buf = sp_xrealloc(b->buf, b->cap);
    }
    /* libnftnl writes whole headers and attributes; clear just the fixed part. */
    memset(b->buf + b->len, 0, 256);
    return b->buf + b->len;
}

static void batch_commit(struct batch *b, struct nlmsghdr *nlh)
{
    b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *msg_hdr(struct batch *b, uint16_t type, uint16_t flags)
{
    b->acks++;
    return nftnl_nlmsg_build_hdr(batch_reserve(b), type, NFPROTO_INET, flags | NLM_F_ACK, b->seq++);
}

static void add_table(struct batch *b, bool del)
{
    struct nftnl_table *t = nftnl_table_alloc();
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, b->table);
    struct nlmsghdr *nlh =
        msg_hdr(b, del ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE, del ? 0 : NLM_F_CREATE);
    nftnl_table_nlmsg_build_payload(nlh, t);
    batch_commit(b, nlh);
    nftnl_table_free(t);
}

static void add_chain(struct batch *b, const char *name, const char *type, uint32_t hook,
                      int32_t prio)
{
    struct nftnl_chain *c = nftnl_chain_alloc();
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
    struct nlmsghdr *nlh = msg_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    nftnl_chain_nlmsg_build_payload(nlh, c);
    batch_commit(b, nlh);
    nftnl_chain_free(c);
}

/* ---- expression helpers: each loads into register 1 and compares ---- */

static void e_meta(struct nftnl_rule *r, uint32_t key)
{
    struct nftnl_expr *e = nftnl_expr_alloc("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
}

static void e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    nftnl_rule_add_expr(r, e);
}

static void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
}

static void e_mask(struct nftnl_rule *r, const void *mask, uint32_t len)
{
    uint8_t zero[16] = {0};
    struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
    nftnl_rule_add_expr(r, e);
}

static void m_ifname(struct nftnl_rule *r, bool in, uint32_t op, const char *name)
{
    char buf[IFNAMSIZ] = {0};
    snprintf(buf, sizeof(buf), "%s", name);
    e_meta(r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME);
    e_cmp(r, op, buf, IFNAMSIZ);
}

static void m_ipv4(struct nftnl_rule *r)
{
    uint8_t p = NFPROTO_IPV4;
    e_meta(r, NFT_META_NFPROTO);
    e_cmp(r, NFT_CMP_EQ, &p, 1);
}

/* ip saddr/daddr within prefix (v4). */
static void m_ip4(struct nftnl_rule *r, bool src, const uint8_t *addr, int prefix)
{
    uint32_t mask = prefix == 0 ? 0 : htonl(~UINT32_C(0) << (32 - prefix));
    uint32_t net;
    memcpy(&net, addr, 4);
    net &= mask;
    e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, src ? 12 : 16, 4);
    if (prefix < 32)
        e_mask(r, &mask, 4);
    e_cmp(r, NFT_CMP_EQ, &net, 4);
}

static void m_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits)
{
    struct nftnl_expr *e = nftnl_expr_alloc("ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
    e_mask(r, &bits, 4);
    uint32_t zero = 0;
    e_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static void v_verdict(struct nftnl_rule *r, int verdict)
{
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
    nftnl_rule_add_expr(r, e);
}

static struct nftnl_rule *rule_new_t(const char *table, const char *chain)
{
    struct nftnl_rule *r = nftnl_rule_alloc();
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    return r;
}
#define rule_new(chain) rule_new_t(b->table, chain)

static void rule_add(struct batch *b, struct nftnl_rule *r, const char *comment)
{
    /* The owner, as nft(8) shows it: `comment "..."`. */
    if (comment) {
        size_t n = strlen(comment);
        uint8_t ud[2 + 128];
        if (n > 127)
            n = 127;
        ud[0] = 0; /* NFTNL_UDATA_RULE_COMMENT */
        ud[1] = (uint8_t)(n + 1);
        memcpy(ud + 2, comment, n);
        ud[2 + n] = 0;
        nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, ud, (uint32_t)(n + 3));
    }
    struct nlmsghdr *nlh = msg_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r);
    batch_commit(b, nlh);
    nftnl_rule_free(r);
}

/* ---- the ruleset ---- */

struct sw_view {
    const char *name;
    bool internal, isolate, v4;
    struct sp_cidr subnet;
};

static void build_forward(struct batch *b, struct sw_view *sw, size_t n)
{
    struct nftnl_rule *r = rule_new("forward");
    m_ct_bits(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
    v_verdict(r, NF_ACCEPT);
    rule_add(b, r, "replies");
    for (size_t i = 0; i < n; i++) {
        r = rule_new("forward");
        m_ifname(r, true, NFT_CMP_EQ, sw[i].name);
        m_ifname(r, false, NFT_CMP_EQ, sw[i].name);
        v_verdict(r, NF_ACCEPT);
        rule_add(b, r, sw[i].name);
        /* A published port is reachable from anywhere the DNAT happened. */
        r = rule_new("forward");
        m_ifname(r, false, NFT_CMP_EQ, sw[i].name);
        m_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT);
        v_verdict(r, NF_ACCEPT);
        rule_add(b, r, sw[i].name);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            bool open = !sw[i].isolate && !sw[j].isolate;
            r = rule_new("forward");
            m_ifname(r, true, NFT_CMP_EQ, sw[i].name);
            m_ifname(r, false, NFT_CMP_EQ, sw[j].name);
            v_verdict(r, open ? NF_ACCEPT : NF_DROP);
            rule_add(b, r, sw[i].name);
        }
    for (size_t i = 0; i < n; i++) {
        if (sw[i].internal) {
            /* Nothing leaves an internal switch... */
            r = rule_new("forward");
            m_ifname(r, true, NFT_CMP_EQ, sw[i].name);
            v_verdict(r, NF_DROP);
            rule_add(b, r, sw[i].name);
        }
        /* ...and nothing unsolicited enters any switch from outside. */
        r = rule_new("forward");
        m_ifname(r, false, NFT_CMP_EQ, sw[i].name);
        v_verdict(r, NF_DROP);
        rule_add(b, r, sw[i].name);
    }
}

static void build_dnat(struct batch *b, const char *chain, const struct sp_publish *p,
                       const struct sp_ipaddr *ctr, const char *owner)
{
    struct nftnl_rule *r = rule_new(chain);
    m_ipv4(r);
    if (p->has_host_ip) {
        e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
        e_cmp(r, NFT_CMP_EQ, p->host_ip.a, 4);
    } else {
        /* Any of the host's own addresses, 127.0.0.1 and bridge gateways included. */
        struct nftnl_expr *e = nftnl_expr_alloc("fib");
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, e);
        uint32_t local = RTN_LOCAL;
        e_cmp(r, NFT_CMP_EQ, &local, 4);
    }
    uint8_t proto = (uint8_t)p->proto;
    e_meta(r, NFT_META_L4PROTO);
    e_cmp(r, NFT_CMP_EQ, &proto, 1);
    uint16_t hport = htons(p->host_port), cport = htons(p->ctr_port);
    e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    e_cmp(r, NFT_CMP_EQ, &hport, 2);
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, ctr->a, 4);
    nftnl_rule_add_expr(r, e);
    e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &cport, 2);
    nftnl_rule_add_expr(r, e);
    e = nftnl_expr_alloc("nat");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
    nftnl_rule_add_expr(r, e);
    rule_add(b, r, owner);
}

static void add_masq(struct nftnl_rule *r)
{
    nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
}

static void build_postrouting(struct batch *b, struct sw_view *sw, size_t n)
{
    static const uint8_t loopback[4] = {127, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (!sw[i].v4)
            continue;
        /* 127.0.0.1 -> published port: the reply must come back to a real address. */
        struct nftnl_rule *r = rule_new("postrouting");
        m_ipv4(r);
        m_ifname(r, false, NFT_CMP_EQ, sw[i].name);
        m_ip4(r, true, loopback, 8);
        add_masq(r);
        rule_add(b, r, sw[i].name);
        /*
         * Hairpin: a container reaching its own switch's published port via the
         * host.  An internal switch has no default route, so its containers could
         * not answer other switches' clients: there every DNAT'ed source is hidden.
         */
        r = rule_new("postrouting");
        m_ipv4(r);
        m_ifname(r, false, NFT_CMP_EQ, sw[i].name);
        if (!sw[i].internal)
            m_ip4(r, true, sw[i].subnet.addr.a, sw[i].subnet.prefix);
        m_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT);
        add_masq(r);
        rule_add(b, r, sw[i].name);
        if (sw[i].internal)
            continue;
        r = rule_new("postrouting");
        m_ipv4(r);
        m_ip4(r, true, sw[i].subnet.addr.a, sw[i].subnet.prefix);
        m_ifname(r, false, NFT_CMP_NEQ, sw[i].name);
        add_masq(r);
        rule_add(b, r, sw[i].name);
    }
}

/* Send the batch and collect one answer per message; the first error wins. */
static int batch_send(struct batch *b, sp_error **err)
{
    struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
    if (!nl)
        return sp_err(err, errno, "opening a netfilter netlink socket");
    int ret = -1;
    /* Before the first goto: the cleanup must never see it uninitialised. */
    _cleanup_free_ char *rbuf = NULL;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        sp_err(err, errno, "binding a netfilter netlink socket");
        goto out;
    }
    int sz = (int)b->len + 65536;
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
    if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
        sp_err(err, errno, "sending the nftables batch");
        goto out;
    }
    unsigned answered = 0;
    int first_err = 0;
    rbuf = sp_xmalloc(65536);
    while (answered < b->acks) {
        struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
        int pr = poll(&pfd, 1, first_err ? 100 : 5000);
        if (pr <= 0)
            break;
        ssize_t n = mnl_socket_recvfrom(nl, rbuf, 65536);
        if (n < 0) {
            if (!first_err)
                first_err = errno;
            break;
        }
        const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
        int len = (int)n;
        while (mnl_nlmsg_ok(nlh, len)) {
            if (nlh->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                answered++;
                if (e->error < 0 && !first_err)
                    first_err = -e->error;
            }
            nlh = mnl_nlmsg_next(nlh, &len);
        }
    }
    if (first_err) {
        sp_err(err, first_err, "updating nftables table inet %s", b->table);
        goto out;
    }
    if (answered < b->acks) {
        sp_err(err, ETIMEDOUT,
               "updating nftables table inet %s: the kernel answered %u of %u "
               "requests",
               b->table, answered, b->acks);
        goto out;
    }
    ret = 0;
out:
    mnl_socket_close(nl);
    return ret;
}

int net_nft_apply(const char *table, json_t *switches, sp_error **err)
{
    size_t n = json_array_size(switches);
    struct sw_view *sw = sp_xcalloc(n ? n : 1, sizeof(*sw));
    struct batch b = {.table = table, .seq = (uint32_t)time(NULL)};
    int ret = -1;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(switches, i);
        sw[i].name = json_string_value(json_object_get(s, "name"));
        sw[i].internal = json_is_true(json_object_get(s, "internal"));
        sw[i].isolate = json_is_true(json_object_get(s, "isolate"));
        if (sp_cidr_parse(json_string_value(json_object_get(s, "subnet")), &sw[i].subnet, err) < 0)
            goto out;
        sw[i].v4 = sw[i].subnet.addr.family == AF_INET;
    }

    nftnl_batch_begin(batch_reserve(&b), b.seq++);
    b.len += NLMSG_ALIGN(((struct nlmsghdr *)(b.buf + b.len))->nlmsg_len);
    /* add + delete: removes the table whether or not it existed, atomically. */
    add_table(&b, false);
    add_table(&b, true);
    if (n > 0) {
        add_table(&b, false);
        add_chain(&b, "forward", "filter", NF_INET_FORWARD, 0);
        add_chain(&b, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
        add_chain(&b, "output", "nat", NF_INET_LOCAL_OUT, -100);
        add_chain(&b, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
        build_forward(&b, sw, n);
        for (size_t i = 0; i < n; i++) {
            json_t *ports = json_object_get(json_array_get(switches, i), "ports");
            size_t k;
            json_t *p;
            json_array_foreach(ports, k, p) {
                struct sp_ipaddr ctr;
                if (sp_ip_parse(json_string_value(json_object_get(p, "address")), &ctr, err) < 0)
                    goto out;
                if (ctr.family != AF_INET)
                    continue;
                size_t m;
                json_t *spec;
                json_array_foreach(json_object_get(p, "publish"), m, spec) {
                    struct sp_publish pub;
                    if (sp_publish_parse(json_string_value(spec), &pub, err) < 0)
                        goto out;
                    _cleanup_free_ char *owner = sp_xasprintf(
                        "%s/%s", sw[i].name, json_string_value(json_object_get(p, "id")));
                    build_dnat(&b, "prerouting", &pub, &ctr, owner);
                    build_dnat(&b, "output", &pub, &ctr, owner);
                }
            }
        }
        build_postrouting(&b, sw, n);
    }
    nftnl_batch_end(batch_reserve(&b), b.seq++);
    b.len += NLMSG_ALIGN(((struct nlmsghdr *)(b.buf + b.len))->nlmsg_len);
    ret = batch_send(&b, err);
out:
    free(b.buf);
    free(sw);
    return ret;
}
