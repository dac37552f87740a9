/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Addresses, subnets, published-port specs and address picking.  Pure
 * functions over values people type; no privileges, no state (unit-tested
 * by tests/unit/test_ipam.c, which links this file alone).
 */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int sp_ip_parse(const char *s, struct sp_ipaddr *out, sp_error **err)
{
    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return sp_err(err, 0, "empty IP address");
    if (inet_pton(AF_INET, s, out->a) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->a) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    return sp_err(err, 0, "invalid IP address '%s'", s);
}

static int addr_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* Is bit i (0 = most significant) of the address set? */
static bool bit_get(const uint8_t *a, int i)
{
    return (a[i / 8] >> (7 - i % 8)) & 1;
}

int sp_cidr_parse(const char *s, struct sp_cidr *out, sp_error **err)
{
    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return sp_err(err, 0, "invalid CIDR '': empty");
    const char *slash = strchr(s, '/');
    if (!slash)
        return sp_err(err, 0, "invalid CIDR '%s': expected ADDRESS/PREFIX", s);
    _cleanup_free_ char *ip = strndup(s, (size_t)(slash - s));
    if (!ip)
        return sp_err(err, ENOMEM, "parsing '%s'", s);
    _cleanup_error_ sp_error *e = NULL;
    if (sp_ip_parse(ip, &out->addr, &e) < 0)
        return sp_err(err, 0, "invalid CIDR '%s': invalid address '%s'", s, ip);
    int max = addr_bits(out->addr.family);
    const char *p = slash + 1;
    if (!*p || strlen(p) > 3)
        return sp_err(err, 0, "invalid CIDR '%s': prefix length must be 0-%d", s, max);
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return sp_err(err, 0, "invalid CIDR '%s': prefix length must be 0-%d", s, max);
    int prefix = atoi(p);
    if (prefix > max)
        return sp_err(err, 0, "invalid CIDR '%s': prefix length must be 0-%d", s, max);
    out->prefix = prefix;
    for (int i = prefix; i < max; i++)
        if (bit_get(out->addr.a, i))
            return sp_err(err, 0,
                          "invalid CIDR '%s': host bits are set (the network is /%d "
                          "of a network address)",
                          s, prefix);
    return 0;
}

void sp_ip_format(const struct sp_ipaddr *ip, char buf[INET6_ADDRSTRLEN])
{
    if (!inet_ntop(ip->family == AF_INET6 ? AF_INET6 : AF_INET, ip->a, buf, INET6_ADDRSTRLEN))
        snprintf(buf, INET6_ADDRSTRLEN, "?");
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    for (int i = 0; i < bits; i++)
        if (bit_get(a, i) != bit_get(b, i))
            return false;
    return true;
}

bool sp_cidr_contains(const struct sp_cidr *c, const struct sp_ipaddr *ip)
{
    return c->addr.family == ip->family && prefix_equal(c->addr.a, ip->a, c->prefix);
}

bool sp_cidr_overlap(const struct sp_cidr *a, const struct sp_cidr *b)
{
    if (a->addr.family != b->addr.family)
        return false;
    int bits = a->prefix < b->prefix ? a->prefix : b->prefix;
    return prefix_equal(a->addr.a, b->addr.a, bits);
}

/* Host part as a number: only the low 64 bits are addressable, which is plenty. */
bool sp_cidr_nth(const struct sp_cidr *c, uint64_t n, struct sp_ipaddr *out)
{
    int max = addr_bits(c->addr.family);
    int hostbits = max - c->prefix;
    if (hostbits < 64 && n >= (UINT64_C(1) << hostbits))
        return false;
    *out = c->addr;
    int bytes = max / 8;
    /* Add n to the address, big-endian, with carry. */
    unsigned carry = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        unsigned v = out->a[i] + (unsigned)(n & 0xff) + carry;
        out->a[i] = (uint8_t)v;
        carry = v >> 8;
        n >>= 8;
    }
    return true;
}

bool sp_cidr_is_host(const struct sp_cidr *c, const struct sp_ipaddr *ip)
{
    if (!sp_cidr_contains(c, ip))
        return false;
    int max = addr_bits(c->addr.family);
    if (c->prefix >= max - 1)
        return true; /* /31, /32, /127, /128: point-to-point, every address is a host */
    bool all0 = true, all1 = true;
    for (int i = c->prefix; i < max; i++) {
        if (bit_get(ip->a, i))
            all0 = false;
        else
            all1 = false;
    }
    if (all0)
        return false; /* network address (v6: subnet-router anycast) */
    if (all1 && c->addr.family == AF_INET)
        return false; /* broadcast */
    return true;
}

static int parse_port(const char *spec, const char *s, size_t len, uint16_t *out, sp_error **err)
{
    if (len == 0 || len > 5)
        return sp_err(err, 0, "invalid port publication '%s': port must be 1-65535", spec);
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return sp_err(err, 0, "invalid port publication '%s': port must be 1-65535", spec);
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return sp_err(err, 0, "invalid port publication '%s': port must be 1-65535", spec);
    *out = (uint16_t)v;
    return 0;
}

int sp_publish_parse(const char *s, struct sp_publish *out, sp_error **err)
{
    memset(out, 0, sizeof(*out));
    out->proto = IPPROTO_TCP;
    if (!s || !*s)
        return sp_err(err, 0,
                      "invalid port publication '': expected "
                      "[HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]");
    _cleanup_free_ char *copy = sp_xstrdup(s);
    char *slash = strchr(copy, '/');
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "tcp") == 0)
            out->proto = IPPROTO_TCP;
        else if (strcmp(slash + 1, "udp") == 0)
            out->proto = IPPROTO_UDP;
        else
            return sp_err(err, 0,
                          "invalid port publication '%s': unknown protocol '%s' "
                          "(expected tcp or udp)",
                          s, slash + 1);
    }
    char *last = strrchr(copy, ':');
    if (!last)
        return sp_err(err, 0,
                      "invalid port publication '%s': expected "
                      "[HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]",
                      s);
    if (parse_port(s, last + 1, strlen(last + 1), &out->ctr_port, err) < 0)
        return -1;
    *last = '\0';
    char *mid = strrchr(copy, ':');
    const char *hostport = copy;
    if (mid) {
        *mid = '\0';
        hostport = mid + 1;
        _cleanup_error_ sp_error *e = NULL;
        if (sp_ip_parse(copy, &out->host_ip, &e) < 0 || out->host_ip.family != AF_INET)
            return sp_err(err, 0,
                          "invalid port publication '%s': host address '%s' is not "
                          "an IPv4 address",
                          s, copy);
        out->has_host_ip = true;
    }
    return parse_port(s, hostport, strlen(hostport), &out->host_port, err);
}

bool sp_publish_conflict(const struct sp_publish *a, const struct sp_publish *b)
{
    if (a->proto != b->proto || a->host_port != b->host_port)
        return false;
    if (!a->has_host_ip || !b->has_host_ip)
        return true; /* "all addresses" claims the port on every address */
    return memcmp(a->host_ip.a, b->host_ip.a, 4) == 0;
}

static bool in_used(const char *addr, const char *const *used)
{
    for (size_t i = 0; used && used[i]; i++)
        if (strcmp(used[i], addr) == 0)
            return true;
    return false;
}

int sp_ipam_pick(const struct sp_cidr *subnet, const struct sp_ipaddr *gateway,
                 const char *const *used, struct sp_ipaddr *out, sp_error **err)
{
    char gw[INET6_ADDRSTRLEN] = "";
    if (gateway)
        sp_ip_format(gateway, gw);
    /* The lowest free address: leases stay compact and easy to read. */
    for (uint64_t n = 1;; n++) {
        struct sp_ipaddr ip;
        if (!sp_cidr_nth(subnet, n, &ip) || n > (UINT64_C(1) << 24))
            break;
        if (!sp_cidr_is_host(subnet, &ip))
            continue;
        char buf[INET6_ADDRSTRLEN];
        sp_ip_format(&ip, buf);
        if (strcmp(buf, gw) == 0 || in_used(buf, used))
            continue;
        *out = ip;
        return 0;
    }
    char net[INET6_ADDRSTRLEN];
    sp_ip_format(&subnet->addr, net);
    return sp_err(err, ENOSPC, "no free address in %s/%d", net, subnet->prefix);
}

int sp_net_check_name(const char *what, const char *name, sp_error **err)
{
    if (!name || !*name)
        return sp_err(err, 0, "invalid %s name '': must not be empty", what);
    if (strlen(name) > 15)
        return sp_err(err, 0,
                      "invalid %s name '%s': at most 15 characters (it names a "
                      "network interface)",
                      what, name);
    if (!isalnum((unsigned char)name[0]))
        return sp_err(err, 0, "invalid %s name '%s': must start with a letter or digit", what,
                      name);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return sp_err(err, 0,
                          "invalid %s name '%s': only letters, digits, '_', '.' and "
                          "'-' are allowed",
                          what, name);
    return 0;
}
