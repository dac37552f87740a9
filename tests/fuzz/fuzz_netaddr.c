/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: net/'s parsers of values people type (addresses, CIDR
 * subnets, -p publications, switch names) and address picking.  Built and
 * run by tests/fuzz/run (README.md).
 * Whatever the input: no crash, a refusal always carries a message, and what
 * parses formats back to something that parses to the same value.
 */
#include "fuzz.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    sp_error *err = NULL;

    struct sp_ipaddr ip;
    int r = sp_ip_parse(s, &ip, &err);
    fuzz_check(r, &err);

    struct sp_cidr c;
    r = sp_cidr_parse(s, &c, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        char buf[INET6_ADDRSTRLEN], again[INET6_ADDRSTRLEN + 8];
        sp_ip_format(&c.addr, buf);
        snprintf(again, sizeof(again), "%s/%d", buf, c.prefix);
        struct sp_cidr c2;
        if (sp_cidr_parse(again, &c2, &err) < 0 || c2.prefix != c.prefix ||
            memcmp(c2.addr.a, c.addr.a, 16) != 0 || !sp_cidr_overlap(&c, &c2))
            abort();
        struct sp_ipaddr gw, pick;
        if (sp_cidr_nth(&c, 1, &gw)) {
            const char *used[] = {"10.0.0.2", "fd00::2", NULL};
            r = sp_ipam_pick(&c, &gw, used, &pick, &err);
            fuzz_check(r, &err);
            if (r == 0 && (!sp_cidr_contains(&c, &pick) || !sp_cidr_is_host(&c, &pick)))
                abort();
        }
    }

    struct sp_publish p;
    r = sp_publish_parse(s, &p, &err);
    fuzz_check(r, &err);
    if (r == 0 && (p.host_port == 0 || p.ctr_port == 0 || !sp_publish_conflict(&p, &p)))
        abort();

    r = sp_net_check_name("switch", s, &err);
    fuzz_check(r, &err);
    if (r == 0 && strlen(s) > 15)
        abort();
    free(s);
    return 0;
}
