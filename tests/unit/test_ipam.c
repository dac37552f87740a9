/* Unit tests: net/ addresses, subnets, -p specs, address picking, hosts and resolv.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../net/internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void expect_fail(int r, sp_error **err, const char *needle)
{
    assert_int_equal(r, -1);
    assert_non_null(*err);
    if (!strstr((*err)->msg, needle))
        fail_msg("message '%s' lacks '%s'", (*err)->msg, needle);
    sp_error_free(err);
}

static struct sp_cidr cidr(const char *s)
{
    struct sp_cidr c;
    sp_error *err = NULL;
    if (sp_cidr_parse(s, &c, &err) < 0)
        fail_msg("%s: %s", s, err->msg);
    return c;
}

static struct sp_ipaddr ip(const char *s)
{
    struct sp_ipaddr a;
    sp_error *err = NULL;
    if (sp_ip_parse(s, &a, &err) < 0)
        fail_msg("%s: %s", s, err->msg);
    return a;
}

static void test_cidr_parse(void **state)
{
    sp_error *err = NULL;
    struct sp_cidr c = cidr("10.1.0.0/16");
    assert_int_equal(c.addr.family, AF_INET);
    assert_int_equal(c.prefix, 16);
    c = cidr("fd00:1::/64");
    assert_int_equal(c.addr.family, AF_INET6);
    assert_int_equal(c.prefix, 64);
    c = cidr("0.0.0.0/0");
    assert_int_equal(c.prefix, 0);
    expect_fail(sp_cidr_parse("10.1.0.0", &c, &err), &err, "expected ADDRESS/PREFIX");
    expect_fail(sp_cidr_parse("10.1.0.0/33", &c, &err), &err, "prefix length must be 0-32");
    expect_fail(sp_cidr_parse("fd00::/129", &c, &err), &err, "prefix length must be 0-128");
    expect_fail(sp_cidr_parse("10.1.0.0/", &c, &err), &err, "prefix length");
    expect_fail(sp_cidr_parse("10.1.0.0/1a", &c, &err), &err, "prefix length");
    expect_fail(sp_cidr_parse("10.1.0.0/-1", &c, &err), &err, "prefix length");
    expect_fail(sp_cidr_parse("10.300.0.0/16", &c, &err), &err, "invalid address '10.300.0.0'");
    expect_fail(sp_cidr_parse("10.1.0.1/16", &c, &err), &err, "host bits are set");
    expect_fail(sp_cidr_parse("fd00::1/64", &c, &err), &err, "host bits are set");
    expect_fail(sp_cidr_parse("", &c, &err), &err, "empty");
    expect_fail(sp_cidr_parse(NULL, &c, &err), &err, "empty");
    struct sp_ipaddr a;
    expect_fail(sp_ip_parse("1.2.3", &a, &err), &err, "invalid IP address '1.2.3'");
}

static void test_contains_overlap(void **state)
{
    struct sp_cidr a = cidr("10.1.0.0/16"), b = cidr("10.1.128.0/17"), c = cidr("10.2.0.0/16");
    struct sp_cidr v6 = cidr("fd00::/8");
    assert_true(sp_cidr_overlap(&a, &b));
    assert_true(sp_cidr_overlap(&b, &a));
    assert_false(sp_cidr_overlap(&a, &c));
    assert_false(sp_cidr_overlap(&a, &v6));
    struct sp_ipaddr x = ip("10.1.200.3"), y = ip("10.2.0.1");
    assert_true(sp_cidr_contains(&a, &x));
    assert_true(sp_cidr_contains(&b, &x));
    assert_false(sp_cidr_contains(&a, &y));
    struct sp_ipaddr z = ip("fd12::1");
    assert_true(sp_cidr_contains(&v6, &z));
    assert_false(sp_cidr_contains(&a, &z));
}

static void test_nth_and_hosts(void **state)
{
    struct sp_cidr c = cidr("10.9.0.0/24");
    struct sp_ipaddr a;
    char buf[INET6_ADDRSTRLEN];
    assert_true(sp_cidr_nth(&c, 1, &a));
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "10.9.0.1");
    assert_true(sp_cidr_nth(&c, 255, &a));
    assert_false(sp_cidr_is_host(&c, &a)); /* broadcast */
    assert_false(sp_cidr_nth(&c, 256, &a));
    assert_true(sp_cidr_nth(&c, 0, &a));
    assert_false(sp_cidr_is_host(&c, &a)); /* network */
    struct sp_ipaddr h = ip("10.9.0.254");
    assert_true(sp_cidr_is_host(&c, &h));
    struct sp_ipaddr out = ip("10.9.1.1");
    assert_false(sp_cidr_is_host(&c, &out));
    /* carry across bytes */
    struct sp_cidr w = cidr("10.8.0.0/16");
    assert_true(sp_cidr_nth(&w, 256 + 7, &a));
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "10.8.1.7");
    struct sp_cidr v6 = cidr("fd00:1::/64");
    assert_true(sp_cidr_nth(&v6, 0x10001, &a));
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "fd00:1::1:1");
    struct sp_ipaddr all1 = ip("fd00:1::ffff:ffff:ffff:ffff");
    assert_true(sp_cidr_is_host(&v6, &all1)); /* no broadcast in v6 */
}

static void test_pick(void **state)
{
    sp_error *err = NULL;
    struct sp_cidr c = cidr("10.9.0.0/29"); /* hosts .1-.6 */
    struct sp_ipaddr gw = ip("10.9.0.1"), a;
    char buf[INET6_ADDRSTRLEN];
    const char *used[] = {"10.9.0.2", "10.9.0.4", NULL};
    assert_int_equal(sp_ipam_pick(&c, &gw, used, &a, &err), 0);
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "10.9.0.3");
    const char *full[] = {"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6", NULL};
    expect_fail(sp_ipam_pick(&c, &gw, full, &a, &err), &err, "no free address in 10.9.0.0/29");
    /* the gateway need not be the first address */
    struct sp_ipaddr gw6 = ip("10.9.0.6");
    assert_int_equal(sp_ipam_pick(&c, &gw6, NULL, &a, &err), 0);
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "10.9.0.1");
    struct sp_cidr v6 = cidr("fd00:1::/64");
    struct sp_ipaddr g6 = ip("fd00:1::1");
    const char *used6[] = {"fd00:1::2", NULL};
    assert_int_equal(sp_ipam_pick(&v6, &g6, used6, &a, &err), 0);
    sp_ip_format(&a, buf);
    assert_string_equal(buf, "fd00:1::3");
}

static void test_publish(void **state)
{
    sp_error *err = NULL;
    struct sp_publish p, q;
    assert_int_equal(sp_publish_parse("8080:80", &p, &err), 0);
    assert_false(p.has_host_ip);
    assert_int_equal(p.host_port, 8080);
    assert_int_equal(p.ctr_port, 80);
    assert_int_equal(p.proto, IPPROTO_TCP);
    assert_int_equal(sp_publish_parse("127.0.0.1:53:5353/udp", &p, &err), 0);
    assert_true(p.has_host_ip);
    assert_int_equal(p.proto, IPPROTO_UDP);
    assert_int_equal(p.host_port, 53);
    assert_int_equal(p.ctr_port, 5353);
    assert_int_equal(sp_publish_parse("1:65535/tcp", &p, &err), 0);
    expect_fail(sp_publish_parse("80", &p, &err), &err, "expected [HOSTIP:]HOSTPORT:CTRPORT");
    expect_fail(sp_publish_parse("0:80", &p, &err), &err, "port must be 1-65535");
    expect_fail(sp_publish_parse("65536:80", &p, &err), &err, "port must be 1-65535");
    expect_fail(sp_publish_parse("8080:80/sctp", &p, &err), &err, "unknown protocol 'sctp'");
    expect_fail(sp_publish_parse("8080:", &p, &err), &err, "port must be 1-65535");
    expect_fail(sp_publish_parse(":80", &p, &err), &err, "port must be 1-65535");
    expect_fail(sp_publish_parse("x:8080:80", &p, &err), &err, "host address 'x'");
    expect_fail(sp_publish_parse("::1:8080:80", &p, &err), &err, "not an IPv4 address");
    expect_fail(sp_publish_parse("", &p, &err), &err, "invalid port publication");
    /* conflicts */
    sp_publish_parse("8080:80", &p, &err);
    sp_publish_parse("127.0.0.1:8080:81", &q, &err);
    assert_true(sp_publish_conflict(&p, &q));
    sp_publish_parse("127.0.0.2:8080:81", &p, &err);
    assert_false(sp_publish_conflict(&p, &q));
    sp_publish_parse("127.0.0.1:8080:81/udp", &p, &err);
    assert_false(sp_publish_conflict(&p, &q));
    sp_publish_parse("127.0.0.1:8080:99", &p, &err);
    assert_true(sp_publish_conflict(&p, &q));
}

static void test_names(void **state)
{
    sp_error *err = NULL;
    assert_int_equal(sp_net_check_name("switch", "septa0", &err), 0);
    assert_int_equal(sp_net_check_name("switch", "a.b-c_d", &err), 0);
    expect_fail(sp_net_check_name("switch", "abcdefghijklmnop", &err), &err, "at most 15");
    expect_fail(sp_net_check_name("switch", "-x", &err), &err, "must start with");
    expect_fail(sp_net_check_name("switch", "a/b", &err), &err, "only letters");
    expect_fail(sp_net_check_name("switch", "", &err), &err, "must not be empty");
    char a[16], b[16];
    net_port_ifname("sv", "sw", "c1", a);
    net_port_ifname("sv", "sw", "c2", b);
    assert_true(strlen(a) <= 15);
    assert_string_not_equal(a, b);
    uint8_t mac[6];
    char m1[18], m2[18];
    net_port_mac("sw", "c1", mac, m1);
    assert_int_equal(mac[0], 0x02); /* locally administered unicast */
    net_port_mac("sw", "c1", mac, m2);
    assert_string_equal(m1, m2); /* stable per owner */
}

static void test_hosts(void **state)
{
    json_t *snap = json_loads(
        "[{\"name\":\"a\",\"ports\":[{\"id\":\"c1\",\"name\":\"web\",\"address\":\"10.1.0.2\"},"
        "{\"id\":\"c2\",\"name\":\"db\",\"address\":\"10.1.0.3\"}]},"
        "{\"name\":\"b\",\"ports\":[{\"id\":\"c3\",\"name\":\"other\",\"address\":\"10.2.0.2\"},"
        "{\"id\":\"c2\",\"name\":\"db\",\"address\":\"10.2.0.9\"}]}]",
        0, NULL);
    assert_non_null(snap);
    char *h = net_hosts_render(snap, "c1");
    assert_non_null(strstr(h, "127.0.0.1\tlocalhost\n"));
    assert_non_null(strstr(h, "10.1.0.2\tweb\n10.1.0.3\tdb\n"));
    assert_null(strstr(h, "other")); /* not on c1's switches */
    free(h);
    h = net_hosts_render(snap, "c2");
    assert_non_null(strstr(h, "10.1.0.3\tdb\n10.2.0.9\tdb\n10.1.0.2\tweb\n10.2.0.2\tother\n"));
    free(h);
    json_decref(snap);
}

static void test_resolv(void **state)
{
    sp_error *err = NULL;
    char *out = NULL;
    const char *dns[] = {"1.1.1.1", "2606:4700::1111", NULL};
    assert_int_equal(sp_net_resolv_conf(dns, NULL, &out, &err), 0);
    assert_string_equal(out, "nameserver 1.1.1.1\nnameserver 2606:4700::1111\n");
    free(out);
    const char *bad[] = {"one.one", NULL};
    expect_fail(sp_net_resolv_conf(bad, NULL, &out, &err), &err, "--dns");
    char path[] = "/tmp/septa-resolv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *host = "search example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n"
                       "options edns0\n";
    assert_int_equal(write(fd, host, strlen(host)), (int)strlen(host));
    close(fd);
    assert_int_equal(sp_net_resolv_conf(NULL, path, &out, &err), 0);
    assert_string_equal(out, "search example.org\nnameserver 192.0.2.1\noptions edns0\n");
    free(out);
    unlink(path);
    assert_int_equal(sp_net_resolv_conf(NULL, "/nonexistent/resolv.conf", &out, &err), 0);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parse),    cmocka_unit_test(test_contains_overlap),
        cmocka_unit_test(test_nth_and_hosts), cmocka_unit_test(test_pick),
        cmocka_unit_test(test_publish),       cmocka_unit_test(test_names),
        cmocka_unit_test(test_hosts),         cmocka_unit_test(test_resolv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
