/*
 * Unit tests: the mount options septa added for runtime-spec 1.1 (recursive
 * attributes rro/rnosuid/... and id-mapped binds), parsed by runtime/config.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bundle_fixture.h"

#include "runtime/config.h" /* runtime/ internal; "config.h" alone is the build config */

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>


/* A valid config with one mount (`mount` is its JSON object) and maybe a user namespace. */
static char *config_with(const char *mount, bool userns)
{
    return sp_xasprintf(
        "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"},\n"
        " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},\n"
        " \"mounts\": [%s],\n"
        " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}%s]%s}}\n",
        mount, userns ? ", {\"type\": \"user\"}" : "",
        userns ? ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
                 " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"
               : "");
}

static struct sp_config *parse_ok(const char *mount, bool userns)
{
    _cleanup_free_ char *t = config_with(mount, userns);
    struct sp_config *c = NULL;
    sp_error *err = NULL;
    if (sp_config_parse_buf(t, strlen(t), bundle, &c, &err) < 0)
        fail_msg("unexpected error: %s\n%s", err->msg, t);
    return c;
}

static void parse_fails(const char *mount, bool userns, const char *want)
{
    _cleanup_free_ char *t = config_with(mount, userns);
    struct sp_config *c = NULL;
    sp_error *err = NULL;
    if (sp_config_parse_buf(t, strlen(t), bundle, &c, &err) == 0) {
        sp_config_free(c);
        fail_msg("accepted, want '%s'\n%s", want, t);
    }
    if (!strstr(err->msg, want))
        fail_msg("got  '%s'\nwant '%s'", err->msg, want);
    sp_error_free(&err);
}

static void test_recursive_attrs(void **state)
{
    struct sp_config *c =
        parse_ok("{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"/\","
                 " \"options\": [\"rbind\", \"rro\", \"rnosuid\", \"rnodev\","
                 " \"rnoexec\", \"rnosymfollow\", \"ro\"]}",
                 false);
    const struct sp_mount *m = &c->mounts[0];
    assert_true(m->bind && m->recursive);
    assert_int_equal(m->rattr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                       MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW);
    assert_int_equal(m->rattr_clr, 0);
    /* The classic flag is still there for the top mount's remount. */
    assert_int_equal(m->flags, MS_RDONLY);
    assert_int_equal(m->tree_fd, -1);
    assert_false(m->idmap);
    sp_config_free(c);

    /* The last word wins, and clearing is recorded for mount_setattr's attr_clr. */
    c = parse_ok("{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"/\","
                 " \"options\": [\"rbind\", \"rro\", \"rrw\", \"rsuid\", \"rdev\", \"rexec\"]}",
                 false);
    m = &c->mounts[0];
    assert_int_equal(m->rattr_set, 0);
    assert_int_equal(m->rattr_clr,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    sp_config_free(c);
}

static void test_recursive_atime(void **state)
{
    static const struct {
        const char *opt;
        uint64_t mode;
    } cases[] = {
        {"rnoatime", MOUNT_ATTR_NOATIME},        {"rrelatime", MOUNT_ATTR_RELATIME},
        {"ratime", MOUNT_ATTR_RELATIME},         {"rstrictatime", MOUNT_ATTR_STRICTATIME},
        {"rnorelatime", MOUNT_ATTR_STRICTATIME},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        _cleanup_free_ char *mj = sp_xasprintf("{\"destination\": \"/t\", \"type\": \"tmpfs\", "
                                               "\"options\": [\"rnodiratime\", \"%s\"]}",
                                               cases[i].opt);
        struct sp_config *c = parse_ok(mj, false);
        const struct sp_mount *m = &c->mounts[0];
        /* The atime mode is a field: the whole field is cleared, then one value set. */
        assert_int_equal(m->rattr_clr, MOUNT_ATTR__ATIME);
        assert_int_equal(m->rattr_set, cases[i].mode | MOUNT_ATTR_NODIRATIME);
        sp_config_free(c);
    }
}

static void test_idmap(void **state)
{
    /* Own mappings make the bind id-mapped even without the option. */
    struct sp_config *c =
        parse_ok("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\","
                 " \"options\": [\"rbind\"],"
                 " \"uidMappings\": [{\"containerID\": 1000, \"hostID\": 0, \"size\": 1}],"
                 " \"gidMappings\": [{\"containerID\": 1000, \"hostID\": 0, \"size\": 2},"
                 "                   {\"containerID\": 5, \"hostID\": 50, \"size\": 1}]}",
                 false);
    const struct sp_mount *m = &c->mounts[0];
    assert_true(m->idmap);
    assert_false(m->ridmap);
    assert_int_equal(m->n_uid_maps, 1);
    assert_int_equal(m->uid_maps[0].container_id, 1000);
    assert_int_equal(m->uid_maps[0].host_id, 0);
    assert_int_equal(m->n_gid_maps, 2);
    assert_int_equal(m->gid_maps[1].host_id, 50);
    sp_config_free(c);

    /* "ridmap" without mappings: the container's user namespace's. */
    c = parse_ok("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\","
                 " \"options\": [\"rbind\", \"ridmap\"]}",
                 true);
    m = &c->mounts[0];
    assert_true(m->idmap && m->ridmap);
    assert_null(m->uid_maps);
    sp_config_free(c);
}

static void test_idmap_errors(void **state)
{
    parse_fails("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\", \"options\": "
                "[\"idmap\"]}",
                false,
                "mounts[0].options: 'idmap' without uidMappings/gidMappings uses the "
                "container's user namespace, and linux.namespaces has none");
    parse_fails(
        "{\"destination\": \"/d\", \"type\": \"tmpfs\", \"options\": [\"idmap\"]}", true,
        "mounts[0].options: id-mapped mounts are supported for bind mounts only, not tmpfs");
    parse_fails("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\","
                " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
                false, "mounts[0].uidMappings: missing: an id-mapped mount needs both");
    parse_fails("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\","
                " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}],"
                " \"gidMappings\": [{\"containerID\": -1, \"hostID\": 1, \"size\": 1}]}",
                false, "mounts[0].gidMappings[0].containerID");
    parse_fails("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/\","
                " \"uidMappings\": {}, \"gidMappings\": []}",
                false, "mounts[0].uidMappings: expected an array");
    parse_fails("{\"destination\": \"/d\", \"type\": \"tmpfs\", \"options\": [\"rfoo\"]}", false,
                "mounts[0].options[0]: unknown mount option 'rfoo'");
}

static void test_mount_ns_path_refused(void **state)
{
    const char *t = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"},"
                    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"},"
                    " {\"type\": \"mount\", \"path\": \"/proc/self/ns/mnt\"}]}}";
    struct sp_config *c = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_non_null(strstr(err->msg, "linux.namespaces[1].path: joining a mount namespace "
                                     "('/proc/self/ns/mnt') is refused"));
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recursive_attrs),
        cmocka_unit_test(test_recursive_atime),
        cmocka_unit_test(test_idmap),
        cmocka_unit_test(test_idmap_errors),
        cmocka_unit_test(test_mount_ns_path_refused),
    };
    return cmocka_run_group_tests(tests, make_bundle, drop_bundle);
}
